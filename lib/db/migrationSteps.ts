import type { PoolClient } from 'pg';
import { hasTopLevelWord, splitStatements, topLevelWhere, type SqlStatement } from './sqlStatements';

/**
 * How `init` runs one migration without holding locks that stop intake (conventions in the
 * comment at the top of lib/db/migrate.ts). Every statement is its own short transaction under
 * lock_timeout, retried when the lock is busy; big tables get their indexes CONCURRENTLY and
 * their marked UPDATEs in id ranges.
 */
export interface RunnerOptions {
	/** How long one statement waits for a table lock; while it waits, writers queue behind it. */
	lockTimeoutMs: number;
	/** How often a statement that timed out on a lock (or deadlocked) is tried again. */
	lockRetries: number;
	/** First pause before a retry; it grows 1.5× per retry, up to 5 s. */
	retryDelayMs: number;
	/** Ids per batch of a `-- gcb:batched` UPDATE. */
	batchSize: number;
	/** Tables at least this big (pg_table_size) get their indexes built CONCURRENTLY. */
	concurrentIndexMinBytes: number;
	/** Lock wait of a concurrent index build: while it waits, it blocks no reader or writer. */
	indexLockTimeoutMs: number;
}

export const DEFAULT_RUNNER: RunnerOptions = {
	lockTimeoutMs: 1000,
	lockRetries: 30,
	retryDelayMs: 250,
	batchSize: 10_000,
	concurrentIndexMinBytes: 8 * 1024 * 1024,
	indexLockTimeoutMs: 30_000,
};

export interface StepStats {
	statements: number;
	/** Indexes built CONCURRENTLY, by name. */
	concurrentIndexes: string[];
	/** Id-range batches run for `-- gcb:batched` UPDATEs. */
	batches: number;
	/** Statements run again after a lock timeout or a deadlock. */
	lockRetries: number;
}

const IDENT = String.raw`(?:[A-Za-z_][\w$]*|"(?:[^"]|"")+")`;
const CREATE_INDEX = new RegExp(
	String.raw`^CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?!CONCURRENTLY\b)(IF\s+NOT\s+EXISTS\s+)?(${IDENT})\s+ON\s+(?:ONLY\s+)?(${IDENT}(?:\.${IDENT})?)`,
	'i',
);
const UPDATE_HEAD = new RegExp(String.raw`^UPDATE\s+(?:ONLY\s+)?(${IDENT}(?:\.${IDENT})?)(?:\s+(?:AS\s+)?(?!SET\b)(${IDENT}))?\s+SET\b`, 'i');
/** lock_not_available (lock_timeout), deadlock_detected. */
const RETRYABLE = new Set(['55P03', '40P01']);

export type Step =
	| { kind: 'sql'; stmt: SqlStatement }
	| { kind: 'index'; stmt: SqlStatement; name: string; table: string; ifNotExists: boolean }
	| { kind: 'batched'; stmt: SqlStatement; table: string; key: string };

const unquote = (ident: string) => (ident.startsWith('"') ? ident.slice(1, -1).replace(/""/g, '"') : ident.toLowerCase());

export function planSteps(sql: string): Step[] {
	return splitStatements(sql).map((stmt): Step => {
		const index = CREATE_INDEX.exec(stmt.text);
		if (index) return { kind: 'index', stmt, ifNotExists: Boolean(index[1]), name: index[2], table: index[3] };
		if (stmt.directives.includes('batched')) {
			const head = UPDATE_HEAD.exec(stmt.text);
			if (!head || hasTopLevelWord(stmt.text, 'RETURNING')) {
				throw new Error(`line ${stmt.line}: "-- gcb:batched" must stand above an UPDATE without RETURNING`);
			}
			const alias = head[2] ?? head[1].split('.').pop()!;
			return { kind: 'batched', stmt, table: head[1], key: `${alias}.id` };
		}
		return { kind: 'sql', stmt };
	});
}

/** The UPDATE limited to ids in [$1, $2): its own WHERE kept whole, in parentheses. */
export function batchedText(step: Extract<Step, { kind: 'batched' }>): string {
	const text = step.stmt.text;
	const range = `${step.key} >= $1::bigint AND ${step.key} < $2::bigint`;
	const where = topLevelWhere(text);
	if (where === -1) return `${text}\nWHERE ${range}`;
	return `${text.slice(0, where)}WHERE (${text.slice(where + 'where'.length)}\n) AND ${range}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function retrying<T>(o: RunnerOptions, stats: StepStats, fn: () => Promise<T>, cleanup?: () => Promise<void>): Promise<T> {
	for (let attempt = 0; ; attempt++) {
		try {
			return await fn();
		} catch (err) {
			if (cleanup) await cleanup();
			const code = (err as { code?: string }).code ?? '';
			if (!RETRYABLE.has(code) || attempt >= o.lockRetries) {
				if (RETRYABLE.has(code)) {
					(err as Error).message =
						`${(err as Error).message} (tried ${attempt + 1} times, waiting up to ${o.lockTimeoutMs} ms each: a long transaction holds the table; see pg_stat_activity)`;
				}
				throw err;
			}
			stats.lockRetries++;
			await sleep(Math.min(5000, o.retryDelayMs * 1.5 ** attempt) * (0.75 + Math.random() / 2));
		}
	}
}

async function setLockTimeout(c: PoolClient, ms: number): Promise<void> {
	await c.query(`SELECT set_config('lock_timeout', $1, false)`, [`${Math.max(1, Math.round(ms))}ms`]);
}

async function indexState(c: PoolClient, name: string): Promise<'missing' | 'valid' | 'invalid'> {
	const r = await c.query<{ valid: boolean }>(
		`SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
		  WHERE x.relname = $1 AND x.relnamespace = current_schema()::regnamespace`,
		[unquote(name)],
	);
	return r.rows.length ? (r.rows[0].valid ? 'valid' : 'invalid') : 'missing';
}

/**
 * CREATE INDEX CONCURRENTLY outside any transaction: writers go on while it builds. A build
 * that fails leaves an invalid index behind, which IF NOT EXISTS would then take for done: it
 * is dropped (concurrently too) before the next try.
 */
async function buildConcurrently(c: PoolClient, step: Extract<Step, { kind: 'index' }>, o: RunnerOptions, stats: StepStats): Promise<void> {
	const state = await indexState(c, step.name);
	if (state === 'valid' && step.ifNotExists) return;
	const dropInvalid = async () => {
		if ((await indexState(c, step.name).catch(() => 'missing')) === 'invalid') {
			await c.query(`DROP INDEX CONCURRENTLY IF EXISTS ${step.name}`).catch(() => undefined);
		}
	};
	if (state === 'invalid') await dropInvalid();
	const text = step.stmt.text.replace(/^(CREATE\s+(?:UNIQUE\s+)?INDEX)\s+/i, '$1 CONCURRENTLY ');
	await setLockTimeout(c, o.indexLockTimeoutMs);
	try {
		await retrying(o, stats, () => c.query(text), dropInvalid);
	} finally {
		await setLockTimeout(c, o.lockTimeoutMs);
	}
	stats.concurrentIndexes.push(unquote(step.name));
}

async function runBatched(c: PoolClient, step: Extract<Step, { kind: 'batched' }>, o: RunnerOptions, stats: StepStats): Promise<void> {
	const text = batchedText(step);
	const bounds = async () =>
		(await c.query<{ lo: string | null; hi: string | null }>(`SELECT min(id)::text AS lo, max(id)::text AS hi FROM ${step.table}`)).rows[0];
	const first = await bounds();
	if (first.lo === null || first.hi === null) return;
	let lo = BigInt(first.lo);
	let hi = BigInt(first.hi);
	const size = BigInt(o.batchSize);
	for (;;) {
		while (lo <= hi) {
			const from = lo;
			await retrying(o, stats, () => c.query(text, [from.toString(), (from + size).toString()]));
			stats.batches++;
			lo += size;
		}
		// Rows written meanwhile (intake goes on) get the same treatment.
		const now = await bounds();
		if (now.hi === null || BigInt(now.hi) < lo) return;
		hi = BigInt(now.hi);
	}
}

/** Runs a migration's statements in order; stats count what was done the careful way. */
export async function runSteps(c: PoolClient, steps: Step[], o: RunnerOptions): Promise<StepStats> {
	const stats: StepStats = { statements: 0, concurrentIndexes: [], batches: 0, lockRetries: 0 };
	await setLockTimeout(c, o.lockTimeoutMs);
	for (const step of steps) {
		try {
			if (step.kind === 'batched') await runBatched(c, step, o, stats);
			else if (step.kind === 'index' && (await isBig(c, step.table, o))) await buildConcurrently(c, step, o, stats);
			else await retrying(o, stats, () => c.query(step.stmt.text));
		} catch (err) {
			const e = err as Error & { line?: number };
			e.line = step.stmt.line;
			throw e;
		}
		stats.statements++;
	}
	return stats;
}

async function isBig(c: PoolClient, table: string, o: RunnerOptions): Promise<boolean> {
	const r = await c.query<{ bytes: string | null }>(`SELECT pg_table_size(to_regclass($1))::text AS bytes`, [table]);
	return r.rows[0].bytes !== null && Number(r.rows[0].bytes) >= o.concurrentIndexMinBytes;
}
