import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PoolClient } from 'pg';
import { quoteIdentifier } from '../identifiers';
import { ensureOverlapGuards, type OverlapGuardReport } from './overlapGuards';
import { withClient, type Db } from './pool';
import type { Queryable } from './types';

/**
 * Versioned migrations: ordered SQL files `NNN_name.sql` in ./migrations, each applied once in
 * a transaction of its own and recorded in schema_migrations. A small ordered list rather than
 * a migration library: the files are plain SQL that psql can read, the runner needs the
 * package's own advisory lock and schema handling, and it adds no dependency to n8n.
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
	checksum: string;
	sql: string;
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

export interface MigrateResult extends SchemaState {
	applied: Array<{ version: number; name: string; ms: number }>;
	notices: string[];
	/** The overlap guard of each reference key after the migrations (empty for a dry run). */
	guards: OverlapGuardReport[];
}

let cached: Migration[] | null = null;

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
	if (cached && dir === MIGRATIONS_DIR) return cached;
	const list = readdirSync(dir)
		.map((file) => ({ file, m: FILE_NAME.exec(file) }))
		.filter((x): x is { file: string; m: RegExpExecArray } => x.m !== null)
		.map(({ file, m }) => {
			const sql = readFileSync(join(dir, file), 'utf8');
			const description = /^--\s*description:\s*(.+)$/m.exec(sql)?.[1].trim() ?? m[2].replace(/_/g, ' ');
			return { version: Number(m[1]), name: m[2], description, sql, checksum: createHash('sha256').update(sql).digest('hex') };
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

async function applyOne(c: PoolClient, schema: string, m: Migration, notices: string[]): Promise<number> {
	const started = Date.now();
	// Only the migrations' own notices ("getcourse-bot: …"), not "already exists, skipping".
	const onNotice = (n: { message?: string }) => {
		if (n.message?.startsWith('getcourse-bot:')) notices.push(`${migrationLabel(m)}: ${n.message.slice(14).trim()}`);
	};
	c.on('notice', onNotice);
	try {
		await c.query('BEGIN');
		await c.query(`SET LOCAL search_path TO ${quoteIdentifier(schema)}`);
		await c.query(m.sql);
		await c.query(
			`INSERT INTO ${quoteIdentifier(schema)}.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`,
			[m.version, m.name, m.checksum],
		);
		await c.query('COMMIT');
	} catch (err) {
		await c.query('ROLLBACK').catch(() => undefined);
		throw new Error(`Migration ${migrationLabel(m)} failed, nothing of it was applied: ${(err as Error).message}`);
	} finally {
		c.removeListener('notice', onNotice);
	}
	return Date.now() - started;
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
}

export async function migrate(db: Db, opts: MigrateOptions = {}): Promise<MigrateResult> {
	const schema = db.settings.schema;
	const q = quoteIdentifier(schema);
	return withClient(db, async (c) => {
		const num = await c.query<{ num: string; version: string }>(
			`SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version`,
		);
		checkServerVersion(Number(num.rows[0].num), num.rows[0].version);
		if (opts.dryRun) return { ...(await inspectSchema(c, schema, { countRows: true })), applied: [], notices: [], guards: [] };
		await c.query('SELECT pg_advisory_lock(hashtext($1))', [LOCK_KEY]);
		try {
			await c.query(`CREATE SCHEMA IF NOT EXISTS ${q}`);
			const before = await inspectSchema(c, schema, { countRows: true });
			await c.query(
				`CREATE TABLE IF NOT EXISTS ${q}.schema_migrations (
				   version INTEGER PRIMARY KEY,
				   name VARCHAR(100) NOT NULL,
				   checksum VARCHAR(64) NOT NULL,
				   applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW())`,
			);
			const applied: MigrateResult['applied'] = [];
			const notices: string[] = [];
			for (const m of before.pending) {
				applied.push({ version: m.version, name: m.name, ms: await applyOne(c, schema, m, notices) });
			}
			// Not a migration: a guard stays off while data overlaps, and is installed by the first
			// init after staff fixed it (lib/db/overlapGuards.ts).
			await c.query(`SET search_path TO ${q}`);
			const mode = opts.overlapGuards ?? 'auto';
			const guards = mode === 'skip' ? [] : await ensureOverlapGuards(c, { forceTrigger: mode === 'trigger' });
			return { ...before, applied, notices, guards };
		} finally {
			await c.query('SELECT pg_advisory_unlock(hashtext($1))', [LOCK_KEY]).catch(() => undefined);
		}
	});
}
