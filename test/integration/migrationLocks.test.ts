/**
 * The migration runner takes short locks (SPEC §12): statements wait for a lock only briefly
 * and are tried again, indexes of big tables are built CONCURRENTLY (forced here with a size
 * threshold of 0), marked UPDATEs run in id ranges, and a migration that fails halfway is
 * run again from the start by the next init.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadMigrations, migrate, type Migration } from '../../lib/db/migrate';
import { normaliseSettings } from '../../lib/config';
import { closeAllPools, getDb } from '../../lib/db/pool';
import { createTestDb, type TestDb } from '../support/db';
import { loadStartingPoint } from '../support/migrationFixtures';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const testPgConfig = require('../support/pgEnv');

const dirs: string[] = [];
const tests: TestDb[] = [];
const FAST = { lockTimeoutMs: 200, retryDelayMs: 50 };

/** The package's migrations followed by extra ones written for the test (as NNN_name.sql files). */
function withExtra(files: Record<string, string>): Migration[] {
	const dir = mkdtempSync(join(tmpdir(), 'gcb-mig-'));
	dirs.push(dir);
	for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
	return [...loadMigrations(), ...loadMigrations(dir)];
}

async function fresh(prefix: string, point: 'empty' | 'seed-v2' = 'empty'): Promise<TestDb> {
	const t = await createTestDb(prefix, false);
	tests.push(t);
	if (point !== 'empty') await loadStartingPoint({ label: 'machine', ...testPgConfig(), stop: async () => undefined }, t.settings.schema, point);
	return t;
}

async function admin(schema: string): Promise<Client> {
	const c = new Client({ ...testPgConfig(), application_name: 'migration-locks-test' });
	await c.connect();
	await c.query(`SET search_path TO "${schema}"`);
	return c;
}

afterAll(async () => {
	for (const t of tests) await t.drop();
	for (const d of dirs) rmSync(d, { recursive: true, force: true });
	await closeAllPools();
});

it('builds indexes concurrently on big tables; an invalid leftover of an interrupted build is dropped and built again', async () => {
	const t = await fresh('mig_cic', 'seed-v2');
	const c = await admin(t.settings.schema);
	try {
		// An interrupted concurrent build leaves an invalid index under the name init will use:
		// IF NOT EXISTS alone would take it for done, and intake's ON CONFLICT would find no unique index.
		await c.query(`INSERT INTO webhook_events (event_date, user_id, user_email, answer_id) VALUES (now(), '1', 'a@b.c', '1'), (now(), '1', 'a@b.c', '1')`);
		await c.query(`ALTER TABLE webhook_events ADD COLUMN idempotency_key VARCHAR(300)`);
		await expect(c.query(`CREATE UNIQUE INDEX CONCURRENTLY uq_webhook_events_idempotency ON webhook_events (answer_id)`)).rejects.toThrow(/duplicate|could not create unique/);
		const state = async () =>
			(await c.query(`SELECT i.indisvalid AS valid, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
			                 WHERE x.relname = 'uq_webhook_events_idempotency' AND x.relnamespace = current_schema()::regnamespace`)).rows;
		expect((await state())[0].valid).toBe(false);

		const r = await migrate(t.db, { runner: { ...FAST, concurrentIndexMinBytes: 0 } });
		expect(r.applied.map((a) => a.version)).toEqual(loadMigrations().map((m) => m.version));
		const built = r.applied.flatMap((a) => a.concurrentIndexes);
		expect(built).toEqual(expect.arrayContaining(['uq_webhook_events_idempotency', 'idx_webhook_events_raw_payload', 'idx_webhook_events_answer']));
		expect(await state()).toEqual([{ valid: true, def: expect.stringContaining('(idempotency_key)') }]);
		const invalid = await c.query(`SELECT count(*)::int AS n FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid WHERE NOT i.indisvalid AND x.relnamespace = current_schema()::regnamespace`);
		expect(invalid.rows[0].n).toBe(0);
		// the seed rows kept their keys, one each
		expect((await c.query(`SELECT count(DISTINCT idempotency_key)::int AS n FROM webhook_events`)).rows[0].n).toBe(5);
		expect((await migrate(t.db, { runner: { concurrentIndexMinBytes: 0 } })).applied).toEqual([]);
	} finally {
		await c.end();
	}
});

it('two inits at once while indexes are built concurrently: one waits for the other without a deadlock', async () => {
	const t = await fresh('mig_twice', 'seed-v2');
	const other = getDb(normaliseSettings({ ...t.credential, connectionTimeout: 9 })); // another process's pool
	const runner = { ...FAST, concurrentIndexMinBytes: 0, lockRetries: 0 }; // a deadlock would fail at once
	const [a, b] = await Promise.all([migrate(t.db, { runner }), migrate(other, { runner })]);
	expect([a.applied.length, b.applied.length].sort()).toEqual([0, loadMigrations().length]);
});

it('runs a marked UPDATE in id ranges, each committed alone', async () => {
	const t = await fresh('mig_batch');
	await migrate(t.db);
	const c = await admin(t.settings.schema);
	try {
		await c.query(`INSERT INTO webhook_events (idempotency_key, event_date, user_id, user_email, answer_id, answer_status)
		               SELECT 'k' || g, now(), g::text, '', g::text, CASE WHEN g % 2 = 0 THEN 'comment' ELSE 'new' END FROM generate_series(1, 25000) g`);
		const migrations = withExtra({
			'900_backfill.sql': `-- description: a test backfill
ALTER TABLE webhook_events ADD COLUMN IF NOT EXISTS test_note TEXT;
-- gcb:batched
UPDATE webhook_events SET test_note = 'even:' || answer_id
 WHERE test_note IS NULL AND (answer_status = 'comment' OR answer_id = '1');
`,
		});
		const r = await migrate(t.db, { migrations, runner: { ...FAST, batchSize: 4000 } });
		expect(r.applied).toEqual([expect.objectContaining({ version: 900, batches: 7, lockRetries: 0 })]);
		const counts = await c.query(`SELECT count(*) FILTER (WHERE test_note IS NOT NULL)::int AS noted, count(*) FILTER (WHERE test_note = 'even:1')::int AS one FROM webhook_events`);
		// the OR of the migration's own WHERE kept its meaning inside the id range
		expect(counts.rows[0]).toEqual({ noted: 12501, one: 1 });
	} finally {
		await c.end();
	}
});

it('waits for a busy table only briefly at a time: writers get through meanwhile, and the statement is tried again', async () => {
	const t = await fresh('mig_lock');
	await migrate(t.db);
	const blocker = await admin(t.settings.schema);
	const writer = await admin(t.settings.schema);
	try {
		// A long transaction that has written to webhook_events (as a slow Resolve Mentor would).
		await blocker.query('BEGIN');
		await blocker.query(`INSERT INTO webhook_events (idempotency_key, event_date, user_id, user_email, answer_id) VALUES ('held', now(), '1', '', '1')`);
		const migrations = withExtra({ '900_add_column.sql': `ALTER TABLE webhook_events ADD COLUMN IF NOT EXISTS test_flag BOOLEAN NOT NULL DEFAULT FALSE;\n` });
		let migrated = false;
		const running = migrate(t.db, { migrations, runner: FAST }).then((r) => ((migrated = true), r));
		// The ALTER TABLE is waiting or retrying (seen from outside the blocker: a transaction sees one
		// snapshot of pg_stat_activity); intake-like inserts still go through, before the blocker ends.
		await until(async () => (await writer.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'ALTER TABLE webhook_events ADD COLUMN IF NOT EXISTS test_flag%' AND wait_event_type = 'Lock'`)).rows[0].n > 0);
		for (let k = 0; k < 5; k++) {
			await writer.query(`INSERT INTO webhook_events (idempotency_key, event_date, user_id, user_email, answer_id) VALUES ($1, now(), '2', '', '2')`, [`w${k}`]);
		}
		expect(migrated).toBe(false);
		await blocker.query('COMMIT');
		const r = await running;
		expect(r.applied).toEqual([expect.objectContaining({ version: 900 })]);
		expect(r.applied[0].lockRetries).toBeGreaterThan(0);
		expect((await writer.query(`SELECT count(*)::int AS n FROM webhook_events WHERE NOT test_flag`)).rows[0].n).toBe(6);
	} finally {
		await blocker.query('ROLLBACK').catch(() => undefined);
		await blocker.end();
		await writer.end();
	}
});

it('gives up after its retries with a clear error and records nothing; the next init applies the migration', async () => {
	const t = await fresh('mig_giveup');
	await migrate(t.db);
	const blocker = await admin(t.settings.schema);
	try {
		await blocker.query('BEGIN');
		await blocker.query(`LOCK TABLE webhook_events IN ACCESS SHARE MODE`);
		const migrations = withExtra({
			'900_two_steps.sql': `CREATE TABLE IF NOT EXISTS test_side (id BIGSERIAL PRIMARY KEY);
ALTER TABLE webhook_events ADD COLUMN IF NOT EXISTS test_flag BOOLEAN;
`,
		});
		const err = await migrate(t.db, { migrations, runner: { ...FAST, lockRetries: 2 } }).then(
			() => null,
			(e: Error) => e,
		);
		expect(err?.message).toMatch(/^Migration 900_two_steps failed at its statement on line 2: canceling statement due to lock timeout \(tried 3 times/);
		expect(err?.message).toMatch(/not recorded as applied; .* runs it again from the start/);
		await blocker.query('COMMIT');
		expect((await blocker.query(`SELECT count(*)::int AS n FROM schema_migrations WHERE version = 900`)).rows[0].n).toBe(0);
		expect((await blocker.query(`SELECT to_regclass('test_side') IS NOT NULL AS kept`)).rows[0].kept).toBe(true);
		const again = await migrate(t.db, { migrations, runner: FAST });
		expect(again.applied.map((a) => a.version)).toEqual([900]);
	} finally {
		await blocker.query('ROLLBACK').catch(() => undefined);
		await blocker.end();
	}
});

async function until(fn: () => Promise<boolean>): Promise<void> {
	for (let i = 0; i < 400; i++) {
		if (await fn()) return;
		await new Promise((r) => setTimeout(r, 25));
	}
	throw new Error('condition not reached');
}
