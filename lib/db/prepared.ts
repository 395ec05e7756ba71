import { Client, Pool, type QueryResult, type QueryResultRow } from 'pg';
import type { Queryable } from './types';

/**
 * Server-side prepared statements that cannot be used here: a pooler in transaction mode
 * (PgBouncer before 1.21) moves a client between server connections, so a statement prepared on
 * one is missing on the next (26000) or already there (42P05); and a migration that changed what a
 * prepared statement returns makes PostgreSQL refuse its cached plan (0A000). Once seen, this
 * process stops naming statements and sends them as plain ones.
 */
const UNUSABLE = new Set(['26000', '42P05', '0A000']);
let named = true;

/**
 * Runs a statement that is sent once per webhook or per message under its own name, so each
 * connection parses and plans it once: PostgreSQL then keeps a generic plan. For the intake's
 * store statement this is most of its cost (plan 1.1 ms, execution 0.35 ms: PostgreSQL's CPU
 * per call 2.0 → 0.3 ms). The text must be constant for a name. Anything that is not a pg
 * pool or client (a test's wrapper) gets the plain statement; so does every statement after a
 * pooler refused a named one (the failed statement did not run: it is sent again plain, unless
 * it was inside a transaction, which the error aborted).
 */
export async function queryNamed<R extends QueryResultRow = QueryResultRow>(q: Queryable, name: string, text: string, values: unknown[]): Promise<QueryResult<R>> {
	if (!named || !(q instanceof Client || q instanceof Pool)) return q.query<R>(text, values);
	try {
		return await (q as Client).query<R>({ name, text, values });
	} catch (err) {
		if (!UNUSABLE.has(String((err as { code?: string }).code))) throw err;
		named = false;
		// Inside a transaction the error aborted it: nothing to send again in it, the caller's
		// transaction fails once (Resolve Mentor's claim: the schedule claims again, plain).
		if ((q as { _txStatus?: string })._txStatus === 'E') throw err;
		return q.query<R>(text, values);
	}
}

/** For tests: whether statements are still named in this process, and a way back. */
export const namedStatements = {
	enabled: (): boolean => named,
	reset: (): void => {
		named = true;
	},
};
