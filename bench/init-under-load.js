'use strict';
/**
 * `init` on a big database while intake goes on (SPEC §12: migrations take short locks; target:
 * no single block of intake over 2 s).
 *
 *   npm run build && node bench/init-under-load.js      (BENCH_ROWS=1000000, BENCH_NOTIFICATIONS=100000)
 *
 * 1. Adoption: a database of the seed design (test/fixtures/seed-v2.0.0.sql: its DDL, indexes,
 *    views) with BENCH_ROWS seed-shaped webhook_events (and BENCH_NOTIFICATIONS notifications),
 *    brought to the package's schema by `init` (lib/db/migrate.ts) while a loop keeps inserting
 *    events the way the seed's n8n flow does (plain INSERT, with intake's lock and statement
 *    timeouts). The package's own intake cannot store before init (the schema is too old).
 * 2. Upgrade: the same database, now at the package's version, gets one more migration written
 *    the way migrations 004–006 are (bench/migrations/900_bench_upgrade.sql: ADD COLUMN, two
 *    indexes on webhook_events, a `-- gcb:batched` backfill) while a loop stores GetCourse calls
 *    through the package's intake code path (lib/store/intake.js storeWithin: the intake pool,
 *    its timeouts and deadline, the storing statement), as the running package does.
 * BENCH_COMPARE=1 adds phase 1 again with every migration run the old way (one transaction per
 * file, as psql runs dist/lib/db/schema.sql), for comparison.
 *
 * Printed per phase: how long init took, the longest time between two stored events (the
 * longest block of intake), the slowest single call, calls that failed (intake would answer 503).
 *
 * It works in a database of its own (BENCH_DATABASE, default gcb_bench_init, created and dropped):
 * a concurrent index build waits for every older snapshot of its database, so tests of other
 * work in the shared `test` database would be measured too.
 */
const path = require('node:path');
const fs = require('node:fs');
const { randomBytes } = require('node:crypto');
const { Client } = require('pg');
const { requireDist, fmt, table, header, ROOT } = require('./common');

const { normaliseSettings } = requireDist('lib/config.js');
const { getDb, closeAllPools } = requireDist('lib/db/pool.js');
const { migrate, loadMigrations } = requireDist('lib/db/migrate.js');
const { getIntakeDb, DEFAULT_INTAKE_LIMITS } = requireDist('lib/db/intakeDb.js');
const { storeWithin } = requireDist('lib/store/intake.js');
const testPgConfig = require(path.join(ROOT, 'test/support/pgEnv.js'));

const ROWS = Number(process.env.BENCH_ROWS || 1_000_000);
const NOTIFICATIONS = Math.min(ROWS, Number(process.env.BENCH_NOTIFICATIONS || 100_000));
const PACE_MS = Number(process.env.BENCH_PACE_MS || 20);
const BENCH_DB = process.env.BENCH_DATABASE || 'gcb_bench_init';
const server = testPgConfig();
const cfg = { ...server, database: BENCH_DB };

function credentialFor(schema) {
	return { hostExternal: cfg.host, port: cfg.port, user: cfg.user, password: cfg.password, database: cfg.database, schema, connectionTimeout: 10 };
}

/** A statement on the server's own test database (creating and dropping the bench's). */
async function onServer(sql) {
	const c = new Client({ ...server, application_name: 'bench-init-under-load' });
	await c.connect();
	try {
		await c.query(sql);
	} finally {
		await c.end();
	}
}

async function admin(schema) {
	const c = new Client({ ...cfg, application_name: 'bench-init-under-load' });
	await c.connect();
	if (schema) await c.query(`SET search_path TO "${schema}"`);
	return c;
}

/** The seed's schema with ROWS events shaped like its rows (processed ones with a sent notification). */
async function seedDatabase(schema) {
	const c = await admin();
	await c.query(`CREATE SCHEMA "${schema}"`);
	await c.query(`SET search_path TO "${schema}"`);
	await c.query(fs.readFileSync(path.join(ROOT, 'test/fixtures/seed-v2.0.0.sql'), 'utf8'));
	const started = Date.now();
	for (let from = 1; from <= ROWS; from += 100_000) {
		const to = Math.min(ROWS, from + 99_999);
		await c.query(
			`INSERT INTO webhook_events (event_date, user_id, user_email, answer_id, answer_training_id, answer_lesson_id, answer_status,
			                            answer_text, raw_payload, processed, processed_at, created_at)
			 SELECT ts, uid, 's' || (g % 5000) || '@example.ru', (1000000 + g)::text, 'training-00' || (g % 7), 'lesson-' || (g % 120),
			        CASE WHEN g % 10 = 0 THEN 'accepted' ELSE 'new' END, 'Ответ студента ' || g || ': ' || repeat('текст ответа ', 8),
			        jsonb_build_object('user_id', uid, 'answer_id', (1000000 + g)::text, 'answer_status', 'new', 'answer_text', 'Ответ ' || g),
			        g % 50 <> 0, CASE WHEN g % 50 <> 0 THEN ts + interval '1 minute' END, ts
			   FROM (SELECT g, timestamptz '2024-01-01' + g * interval '30 seconds' AS ts, (900000 + g % 5000)::text AS uid
			           FROM generate_series($1::int, $2::int) g) x`,
			[from, to],
		);
		process.stdout.write(`\r  filling webhook_events: ${fmt(to)} of ${fmt(ROWS)}`);
	}
	await c.query(
		`INSERT INTO notifications (mentor_id, type, message, status, webhook_event_id, message_hash, created_at, sent_at, telegram_message_id)
		 SELECT 1 + g % 2, 'new_homework', 'Новое задание ' || g, 'sent', g + 3, md5(g::text), now(), now(), (5000 + g)::text
		   FROM generate_series(1, $1::int) g`,
		[NOTIFICATIONS],
	);
	await c.query('VACUUM ANALYZE webhook_events');
	await c.query('VACUUM ANALYZE notifications');
	const size = (await c.query(`SELECT pg_size_pretty(pg_total_relation_size('webhook_events')) AS s`)).rows[0].s;
	console.log(`\r  filled ${fmt(ROWS)} events and ${fmt(NOTIFICATIONS)} notifications in ${((Date.now() - started) / 1000).toFixed(0)} s (webhook_events ${size} with indexes)`);
	await c.end();
}

/**
 * Calls `once` every PACE_MS until stopped; records each call's time and the gaps between
 * successful ones (a block of intake shows as a long gap, across failed calls too).
 */
function loop(once) {
	let running = true;
	const stats = { ok: 0, failed: 0, slowestMs: 0, longestGapMs: 0, over2s: 0, lastOk: Date.now(), errors: new Map() };
	const done = (async () => {
		while (running) {
			const t0 = Date.now();
			try {
				const ok = await once();
				if (!ok) throw new Error('not stored');
				const now = Date.now();
				stats.ok++;
				const gap = now - stats.lastOk - PACE_MS;
				stats.longestGapMs = Math.max(stats.longestGapMs, gap);
				if (gap > 2000) stats.over2s++;
				stats.lastOk = now;
			} catch (err) {
				stats.failed++;
				const key = String(err.message).slice(0, 80);
				stats.errors.set(key, (stats.errors.get(key) || 0) + 1);
			}
			stats.slowestMs = Math.max(stats.slowestMs, Date.now() - t0);
			await new Promise((r) => setTimeout(r, PACE_MS));
		}
	})();
	return {
		async stop() {
			running = false;
			await done;
			return stats;
		},
	};
}

/** The seed's n8n flow storing a call during adoption, with intake's timeouts. */
async function seedFlowWriter(schema) {
	const c = new Client({ ...cfg, statement_timeout: 5000, lock_timeout: DEFAULT_INTAKE_LIMITS.lockTimeoutMs, application_name: 'bench-seed-flow' });
	await c.connect();
	await c.query(`SET search_path TO "${schema}"`);
	let k = 0;
	return {
		once: async () => {
			k++;
			await c.query(
				`INSERT INTO webhook_events (event_date, user_id, user_email, answer_id, answer_status, answer_text, raw_payload)
				 VALUES (now(), $1, $2, $3, 'new', 'Во время init', $4)`,
				['901234', 'live@example.ru', String(5_000_000 + k), JSON.stringify({ answer_id: String(5_000_000 + k) })],
			);
			return true;
		},
		end: () => c.end(),
	};
}

/** The package's intake storing one GetCourse call (what GetCourse Trigger does after the secret check). */
function packageIntake(schema, requiredVersions) {
	const db = getIntakeDb(normaliseSettings(credentialFor(schema)));
	let k = 0;
	return async () => {
		k++;
		const item = {
			headers: {},
			query: {
				user_id: '901234',
				user_email: 'live@example.ru',
				answer_id: String(6_000_000 + k),
				answer_status: 'new',
				answer_text: `Во время обновления ${k}`,
				event_date: '2026-02-03 15:10:00',
			},
			body: {},
		};
		const { outcomes, trouble } = await storeWithin(db, [item], { timeZone: 'Europe/Moscow', notifyStatuses: ['new'], requiredVersions });
		if (trouble) throw new Error(`503 ${trouble.kind}: ${trouble.detail}`);
		return outcomes[0].status === 'stored';
	};
}

/** The old way: each migration file in one transaction (as psql runs schema.sql). */
async function migrateInOneTransactionEach(schema) {
	const c = await admin(schema);
	const { schemaSql } = require(path.join(ROOT, 'scripts/build-schema-sql.js'));
	await c.query(schemaSql());
	await c.end();
}

async function phase(label, schema, writer, run) {
	const l = loop(writer);
	const started = Date.now();
	let result;
	let error = null;
	try {
		result = await run();
	} catch (err) {
		error = err;
	}
	const ms = Date.now() - started;
	const s = await l.stop();
	if (error) console.log(`  ${label}: init FAILED: ${error.message}`);
	return { label, ms, s, result };
}

function report(rows) {
	table(
		['phase', 'init', 'calls stored', 'failed (503)', 'longest block', 'blocks > 2 s', 'slowest call', 'concurrent indexes', 'batches', 'lock retries'],
		rows.map(({ label, ms, s, result }) => {
			const applied = (result && result.applied) || [];
			return [
				label,
				`${(ms / 1000).toFixed(1)} s`,
				fmt(s.ok),
				fmt(s.failed),
				`${fmt(Math.max(0, s.longestGapMs))} ms`,
				fmt(s.over2s),
				`${fmt(s.slowestMs)} ms`,
				applied.reduce((n, a) => n + a.concurrentIndexes.length, 0),
				applied.reduce((n, a) => n + a.batches, 0),
				applied.reduce((n, a) => n + a.lockRetries, 0),
			];
		}),
	);
	for (const r of rows) for (const [e, n] of r.s.errors) console.log(`  ${r.label}: ${n} × ${e}`);
}

async function main() {
	header('init on a big database while intake goes on', `${fmt(ROWS)} seed-shaped webhook_events, ${fmt(NOTIFICATIONS)} notifications; one call every ${PACE_MS} ms`);
	const rows = [];
	const schemas = [];
	await onServer(`DROP DATABASE IF EXISTS "${BENCH_DB}"`);
	await onServer(`CREATE DATABASE "${BENCH_DB}"`);
	try {
		const schema = `bench_init_${randomBytes(3).toString('hex')}`;
		schemas.push(schema);
		await seedDatabase(schema);
		const db = getDb(normaliseSettings(credentialFor(schema)));
		const seedFlow = await seedFlowWriter(schema);
		rows.push(await phase('adopt seed v2 (init: 001–latest)', schema, seedFlow.once, () => migrate(db)));
		await seedFlow.end();

		const required = loadMigrations().map((m) => m.version);
		const migrations = [...loadMigrations(), ...loadMigrations(path.join(__dirname, 'migrations'))];
		rows.push(await phase('upgrade (init: +900_bench_upgrade)', schema, packageIntake(schema, required), () => migrate(db, { migrations })));

		if (process.env.BENCH_COMPARE === '1') {
			const old = `bench_init_old_${randomBytes(3).toString('hex')}`;
			schemas.push(old);
			await seedDatabase(old);
			const flow = await seedFlowWriter(old);
			rows.push(await phase('adopt seed v2, one transaction per file (psql)', old, flow.once, () => migrateInOneTransactionEach(old)));
			await flow.end();
		}
		console.log('');
		report(rows);
	} finally {
		await closeAllPools();
		if (process.env.BENCH_KEEP !== '1') await onServer(`DROP DATABASE IF EXISTS "${BENCH_DB}"`);
		else console.log(`kept database ${BENCH_DB}, schemas ${schemas.join(', ')}`);
	}
}

main().then(
	() => process.exit(0),
	(err) => {
		console.error(err);
		process.exit(1);
	},
);
