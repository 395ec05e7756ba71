import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PoolClient } from 'pg';
import { quoteIdentifier } from '../identifiers';
import { DEFAULT_RUNNER, planSteps, runSteps, type RunnerOptions, type Step } from './migrationSteps';
import { ensureOverlapGuards, type OverlapGuardReport } from './overlapGuards';
import { withClient, withTestClient, type Db } from './pool';
import { withoutDirectives } from './sqlStatements';
import type { Queryable } from './types';

/**
 * Versioned migrations: ordered SQL files `NNN_name.sql` in ./migrations, each applied once and
 * recorded in schema_migrations. A small ordered list rather than a migration library: the
 * files are plain SQL that psql can read, the runner needs the package's own advisory lock and
 * schema handling, and it adds no dependency to n8n.
 *
 * Writing a migration (SPEC §10, §12: `init` must not stop intake on a big database):
 *  1. Plain SQL that can run again harmlessly (IF NOT EXISTS, OR REPLACE, DO blocks that check
 *     first): dist/lib/db/schema.sql runs every file again for psql users, each in one
 *     transaction, and `init` re-runs a migration that failed halfway from its first statement.
 *  2. `init` runs a migration statement by statement, each in its own short transaction, with
 *     lock_timeout (1 s): a statement that cannot get its lock in time is tried again later (up to
 *     30 times), so an ALTER TABLE never keeps intake waiting for more than about a second, and no
 *     lock is held past its statement. The version is recorded after the last statement.
 *     Statements that must succeed or fail together go into one DO block.
 *  3. Indexes: write `CREATE [UNIQUE] INDEX IF NOT EXISTS name ON table (…)` at the top level
 *     (not inside DO). On a table of 8 MB or more `init` builds it CONCURRENTLY, outside any
 *     transaction, so inserts go on; a leftover invalid index of an interrupted build is dropped
 *     and built again. psql users get the plain (blocking) build.
 *  4. Columns: `ALTER TABLE … ADD COLUMN IF NOT EXISTS c type [DEFAULT constant]` (no table
 *     rewrite). No volatile default, type change, SET NOT NULL or VALIDATE on a big table in the
 *     same statement as other work: those scan or rewrite the table under an exclusive lock.
 *  5. Backfills: put `-- gcb:batched` on the line above an `UPDATE table [alias] SET … [WHERE …]`
 *     (no RETURNING; the table has a bigint `id`): `init` runs it in id ranges of 10,000, each
 *     committed alone, then catches up rows added meanwhile. Only for updates whose result
 *     does not depend on the batch order; the WHERE must make a done row not match again.
 *  6. `-- gcb:…` lines are directives to this runner: they are left out of the checksum, so
 *     adding one to a shipped migration does not make it "changed" in users' databases.
 */
export const MIGRATIONS_DIR = join(__dirname, 'migrations');

/** CREATE OR REPLACE TRIGGER (used since the first migration) needs PostgreSQL 14. */
export const MIN_SERVER_VERSION = 140000;

const LOCK_KEY = 'getcourse-bot:schema';
const FILE_NAME = /^(\d{3})_([a-z0-9_]+)\.sql$/;

export interface Migration {
	version: number;
	name: string;
	description: string;
	/** sha256 of the file without its `-- gcb:` directive lines. */
	checksum: string;
	sql: string;
	steps: Step[];
}

export type Origin = 'empty' | 'seed-v2' | 'package-0.1' | 'managed' | 'unknown';

export interface SchemaState {
	schemaExists: boolean;
	origin: Origin;
	/** Highest applied version (0 when none). */
	current: number;
	latest: number;
	pending: Migration[];
	/** Applied migrations whose file has changed since (reported, never re-run). */
	changed: number[];
	/** Rows in the tables that exist, before anything runs (when counted). */
	rows: Record<string, number>;
	serverVersion: string;
}

export interface AppliedMigration {
	version: number;
	name: string;
	ms: number;
	/** Indexes built CONCURRENTLY (the table was big). */
	concurrentIndexes: string[];
	/** Id-range batches of `-- gcb:batched` UPDATEs. */
	batches: number;
	/** Statements run again because a lock was busy. */
	lockRetries: number;
}

export interface MigrateResult extends SchemaState {
	applied: AppliedMigration[];
	notices: string[];
	/** The overlap guard of each reference key after the migrations (empty for a dry run). */
	guards: OverlapGuardReport[];
}

let cached: Migration[] | null = null;

/** The checksum recorded in schema_migrations (scripts/build-schema-sql.js computes the same). */
export function migrationChecksum(sql: string): string {
	return createHash('sha256').update(withoutDirectives(sql)).digest('hex');
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
	if (cached && dir === MIGRATIONS_DIR) return cached;
	const list = readdirSync(dir)
		.map((file) => ({ file, m: FILE_NAME.exec(file) }))
		.filter((x): x is { file: string; m: RegExpExecArray } => x.m !== null)
		.map(({ file, m }) => {
			const sql = readFileSync(join(dir, file), 'utf8');
			const description = /^--\s*description:\s*(.+)$/m.exec(sql)?.[1].trim() ?? m[2].replace(/_/g, ' ');
			let steps: Step[];
			try {
				steps = planSteps(sql);
			} catch (err) {
				throw new Error(`Migration ${file}: ${(err as Error).message}`);
			}
			return { version: Number(m[1]), name: m[2], description, sql, checksum: migrationChecksum(sql), steps };
		})
		.sort((a, b) => a.version - b.version);
	list.forEach((m, i) => {
		if (i > 0 && m.version === list[i - 1].version) throw new Error(`Two migrations have version ${m.version}`);
	});
	if (dir === MIGRATIONS_DIR) cached = list;
	return list;
}

const KNOWN_TABLES = ['mentors', 'students', 'trainings', 'lessons', 'mapping', 'webhook_events', 'notifications', 'application_logs', 'error_logs'];

/** What is in the schema now and what `init` would do; reads only. */
export async function inspectSchema(
	c: Queryable,
	schema: string,
	{ countRows = false, migrations = loadMigrations() }: { countRows?: boolean; migrations?: Migration[] } = {},
): Promise<SchemaState> {
	const info = await c.query<{ version: string; num: string; exists: boolean }>(
		`SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num,
		        EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS exists`,
		[schema],
	);
	const { version, exists } = info.rows[0];
	const cols = await c.query<{ table_name: string; column_name: string }>(
		`SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = ANY($2)`,
		[schema, [...KNOWN_TABLES, 'schema_migrations']],
	);
	const tables = new Set(cols.rows.map((r) => r.table_name));
	const has = (t: string, col: string) => cols.rows.some((r) => r.table_name === t && r.column_name === col);
	const applied = new Map<number, string>();
	if (tables.has('schema_migrations')) {
		const r = await c.query<{ version: number; checksum: string }>(`SELECT version, checksum FROM ${quoteIdentifier(schema)}.schema_migrations`);
		for (const row of r.rows) applied.set(Number(row.version), row.checksum);
	}
	const rows: Record<string, number> = {};
	for (const t of countRows ? KNOWN_TABLES.filter((x) => tables.has(x)) : []) {
		const r = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdentifier(schema)}.${quoteIdentifier(t)}`);
		rows[t] = Number(r.rows[0].n);
	}
	let origin: Origin;
	if (applied.size) origin = 'managed';
	else if (!tables.size) origin = 'empty';
	else if (has('webhook_events', 'idempotency_key')) origin = 'package-0.1';
	else if (tables.has('webhook_events') || tables.has('notifications')) origin = 'seed-v2';
	else origin = 'unknown';
	return {
		schemaExists: exists,
		origin,
		current: applied.size ? Math.max(...applied.keys()) : 0,
		latest: migrations.length ? migrations[migrations.length - 1].version : 0,
		pending: migrations.filter((m) => !applied.has(m.version)),
		changed: migrations.filter((m) => applied.has(m.version) && applied.get(m.version) !== m.checksum).map((m) => m.version),
		rows,
		serverVersion: version,
	};
}

function checkServerVersion(num: number, version: string): void {
	if (num < MIN_SERVER_VERSION) {
		throw new Error(`PostgreSQL ${version} is too old: GetCourse Bot needs PostgreSQL 14 or newer`);
	}
}

export const migrationLabel = (m: { version: number; name: string }) => `${String(m.version).padStart(3, '0')}_${m.name}`;

async function applyOne(c: PoolClient, schema: string, m: Migration, notices: string[], runner: RunnerOptions): Promise<AppliedMigration> {
	const started = Date.now();
	// Only the migrations' own notices ("getcourse-bot: …"), not "already exists, skipping".
	const onNotice = (n: { message?: string }) => {
		if (n.message?.startsWith('getcourse-bot:')) notices.push(`${migrationLabel(m)}: ${n.message.slice(14).trim()}`);
	};
	c.on('notice', onNotice);
	try {
		const stats = await runSteps(c, m.steps, runner);
		await c.query(`INSERT INTO ${quoteIdentifier(schema)}.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`, [
			m.version,
			m.name,
			m.checksum,
		]);
		const { concurrentIndexes, batches, lockRetries } = stats;
		return { version: m.version, name: m.name, ms: Date.now() - started, concurrentIndexes, batches, lockRetries };
	} catch (err) {
		const line = (err as { line?: number }).line;
		throw new Error(
			`Migration ${migrationLabel(m)} failed${line ? ` at its statement on line ${line}` : ''}: ${(err as Error).message}. ` +
				'It is not recorded as applied; the statements before that one are kept (they are written to run again harmlessly) and the next init runs it again from the start.',
		);
	} finally {
		c.removeListener('notice', onNotice);
	}
}

/**
 * Brings the configured schema to the latest version, in place, keeping every row. Runs under
 * an advisory lock, so concurrent callers (n8n workers, the CLI) wait and then find nothing to do.
 * With dryRun nothing is written: the result says what would run.
 */
export interface MigrateOptions {
	dryRun?: boolean;
	/** auto: exclusion constraints where btree_gist is available, else triggers; skip: leave guards alone (tests). */
	overlapGuards?: 'auto' | 'trigger' | 'skip';
	/** Lock waits, retries, batch size, when to build indexes concurrently (defaults: DEFAULT_RUNNER). */
	runner?: Partial<RunnerOptions>;
	/** The migrations to bring the schema to (default: the package's). */
	migrations?: Migration[];
}

export async function migrate(db: Db, opts: MigrateOptions = {}): Promise<MigrateResult> {
	const schema = db.settings.schema;
	const q = quoteIdentifier(schema);
	const migrations = opts.migrations ?? loadMigrations();
	const runner: RunnerOptions = { ...DEFAULT_RUNNER, ...opts.runner };
	if (opts.dryRun) {
		return withClient(db, async (c) => {
			await checkServer(c);
			return { ...(await inspectSchema(c, schema, { countRows: true, migrations })), applied: [], notices: [], guards: [] };
		});
	}
	// A connection of its own: session settings (lock_timeout, search_path) and pg_temp helpers
	// of the migrations end with it instead of going back into the pool.
	return withTestClient(db.settings, async (c) => {
		await checkServer(c);
		await lockSchemaChanges(c);
		try {
			await c.query(`CREATE SCHEMA IF NOT EXISTS ${q}`);
			const before = await inspectSchema(c, schema, { countRows: true, migrations });
			await c.query(
				`CREATE TABLE IF NOT EXISTS ${q}.schema_migrations (
				   version INTEGER PRIMARY KEY,
				   name VARCHAR(100) NOT NULL,
				   checksum VARCHAR(64) NOT NULL,
				   applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW())`,
			);
			await c.query(`SET search_path TO ${q}`);
			const applied: AppliedMigration[] = [];
			const notices: string[] = [];
			for (const m of before.pending) applied.push(await applyOne(c, schema, m, notices, runner));
			// Not a migration: a guard stays off while data overlaps, and is installed by the first
			// init after staff fixed it (lib/db/overlapGuards.ts). It keeps its own lock waits.
			await c.query('RESET lock_timeout');
			const mode = opts.overlapGuards ?? 'auto';
			const guards = mode === 'skip' ? [] : await ensureOverlapGuards(c, { forceTrigger: mode === 'trigger' });
			return { ...before, applied, notices, guards };
		} finally {
			await c.query('SELECT pg_advisory_unlock(hashtext($1))', [LOCK_KEY]).catch(() => undefined);
		}
	});
}

/**
 * The advisory lock that serialises inits, polled rather than waited for: a session waiting in
 * pg_advisory_lock holds a snapshot, and an index built CONCURRENTLY by the session holding the
 * lock waits for every older snapshot of the database: the two would deadlock.
 */
async function lockSchemaChanges(c: PoolClient): Promise<void> {
	for (;;) {
		const r = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [LOCK_KEY]);
		if (r.rows[0].ok) return;
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}

async function checkServer(c: Queryable): Promise<void> {
	const num = await c.query<{ num: string; version: string }>(`SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version`);
	checkServerVersion(Number(num.rows[0].num), num.rows[0].version);
}
