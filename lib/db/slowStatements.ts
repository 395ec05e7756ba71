import { quoteIdentifier } from '../identifiers';
import type { Queryable } from './types';

/**
 * The seed's "Анализ производительности": the slowest statements from pg_stat_statements, when
 * the server collects them. PostgreSQL 13 renamed the seed's total_time/mean_time to
 * total_exec_time/mean_exec_time; this package needs 14, so the new names are used.
 */
export interface SlowStatement {
	query: string;
	calls: number;
	totalMs: number;
	meanMs: number;
	rows: number;
}

export type SlowStatements =
	| { available: true; schema: string; statements: SlowStatement[] }
	| { available: false; reason: 'not_installed' | 'not_created' | 'not_loaded' | 'no_access'; hint: string };

const PRELOAD =
	"add pg_stat_statements to shared_preload_libraries in postgresql.conf (shared_preload_libraries = 'pg_stat_statements'; " +
	'a managed database: the same parameter in its settings) and restart PostgreSQL';
const CREATE = 'CREATE EXTENSION pg_stat_statements; (once, in this database, as a user allowed to)';

/** Passwords written in utility statements (ALTER ROLE … PASSWORD '…') are kept as typed: never shown. */
export function maskPasswords(query: string): string {
	return query.replace(/(PASSWORD\s+)('(?:[^']|'')*'|\$[A-Za-z0-9_]*\$[\s\S]*?\$[A-Za-z0-9_]*\$)/gi, "$1'***'");
}

export async function slowStatements(q: Queryable, limit = 10): Promise<SlowStatements> {
	const state = await q.query<{ schema: string | null; available: boolean; preloaded: boolean }>(
		`SELECT (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements') AS schema,
		        EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements') AS available,
		        'pg_stat_statements' = ANY (string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ',')) AS preloaded`,
	);
	const { schema, available, preloaded } = state.rows[0];
	if (!schema) {
		if (!available) {
			return {
				available: false,
				reason: 'not_installed',
				hint: `pg_stat_statements is not installed on this server: install PostgreSQL's contrib modules (Debian/Ubuntu: they come with the server package), then ${PRELOAD}, then ${CREATE}`,
			};
		}
		return {
			available: false,
			reason: 'not_created',
			hint: preloaded
				? `pg_stat_statements is loaded but not created in this database: ${CREATE}`
				: `pg_stat_statements is not enabled: ${PRELOAD}, then ${CREATE}`,
		};
	}
	try {
		const r = await q.query<{ query: string; calls: string; total: string; mean: string; rows: string }>(
			`SELECT s.query, s.calls, s.total_exec_time AS total, s.mean_exec_time AS mean, s.rows
			   FROM ${quoteIdentifier(schema, 'extension schema')}.pg_stat_statements s
			  WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
			  ORDER BY s.mean_exec_time DESC
			  LIMIT $1`,
			[limit],
		);
		return {
			available: true,
			schema,
			statements: r.rows.map((x) => ({
				query: maskPasswords(String(x.query ?? '<insufficient privilege>')),
				calls: Number(x.calls),
				totalMs: Math.round(Number(x.total) * 100) / 100,
				meanMs: Math.round(Number(x.mean) * 100) / 100,
				rows: Number(x.rows),
			})),
		};
	} catch (err) {
		const code = (err as { code?: string }).code;
		const message = (err as Error).message;
		if (code === '55000' || /shared_preload_libraries/.test(message)) {
			return { available: false, reason: 'not_loaded', hint: `pg_stat_statements is created in this database but not loaded: ${PRELOAD}` };
		}
		if (code === '42501') {
			return { available: false, reason: 'no_access', hint: `pg_stat_statements is not readable by this user: GRANT pg_read_all_stats TO <user>; (${message})` };
		}
		throw err;
	}
}
