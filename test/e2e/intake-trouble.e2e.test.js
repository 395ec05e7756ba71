'use strict';
/**
 * End to end (SPEC §12): GetCourse Trigger in real n8n 2.x (workflows/full-pipeline.json) when
 * the app's database is in trouble. The app database is an embedded PostgreSQL of its own, so
 * the test can stop and start it while n8n's own database keeps running.
 *
 *   - a schema older than the package: found at the first call, 503, logged once; after init
 *     the next call is stored and reaches the mentor;
 *   - a table lock held for 30 s: 503 while it is still held; the call sent again is stored and
 *     delivered once;
 *   - a flood of 1,000 wrong-secret calls: 401 each, a handful of database writes in all (one
 *     error_logs line with the count at the end of the minute);
 *   - the database stopped and started again: 503 while down, the next call stored and delivered.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('pg');
const rt = require('../../scripts/n8n');
const { startEmbeddedPostgres } = require('../../scripts/embedded-pg');
const { setupE2E, techApiAnswer, people } = require('../support/e2e-harness');

const { MARIA, IVAN } = people;
const SETUP_HINT = 'run GetCourse Maintenance → Set Up Database or `getcourse-bot init`';
let ctx;
let appPg;
let dataRoot;
let appPort;

beforeAll(async () => {
	dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-e2e-trouble-pg-'));
	fs.chmodSync(dataRoot, 0o777); // as root, PostgreSQL runs as user postgres and creates its folder here
	appPort = await rt.freePort();
	appPg = await startEmbeddedPostgres({ dataDir: path.join(dataRoot, 'pg'), port: appPort });
	ctx = await setupE2E({
		templates: ['full-pipeline'],
		label: 'e2etrouble',
		appPg,
		transform: (wf) => ({ ...wf, settings: { ...wf.settings, saveDataSuccessExecution: 'all' } }),
	});
}, 20 * 60 * 1000);

afterAll(async () => {
	if (ctx) await ctx.teardown();
	if (appPg) await appPg.stop();
	if (dataRoot) fs.rmSync(dataRoot, { recursive: true, force: true });
}, 120000);

/** A query on the app schema over a connection of its own (the harness's one dies with a stopped server). */
async function appQuery(sql, params = []) {
	const c = new Client({ host: appPg.host, port: appPg.port, user: appPg.user, password: appPg.password, database: ctx.appDb });
	c.on('error', () => undefined);
	await c.connect();
	try {
		await c.query(`SET search_path TO ${rt.quoteIdentifier(ctx.schema)}`);
		return (await c.query(sql, params)).rows;
	} finally {
		await c.end();
	}
}

/** A 503 as SPEC §12 has it: Retry-After, and a short body naming no host, port, user, table or driver text. */
function expectUnavailable(res, reason) {
	expect(res.status).toBe(503);
	expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
	expect(res.json).toEqual({ ok: false, status: 'unavailable', reason: expect.stringMatching(reason) });
	expect(res.body).not.toMatch(/127\.0\.0\.1|localhost|port|user|postgres|webhook_events|error_logs|column|relation|lock timeout|ECONN|terminat/i);
}

const answer = (id, text, ts64) => techApiAnswer({ answerId: id, userId: IVAN.userId, text, ts64 });

/** Waits until the event's notification was sent, then counts the messages that carry the marker. */
async function deliveredOnce(answerId, marker) {
	await ctx.until(`answer ${answerId} sent`, async () => {
		const rows = await appQuery(
			`SELECT n.status FROM notifications n JOIN webhook_events e ON e.id = n.webhook_event_id WHERE e.answer_id = $1`,
			[answerId],
		);
		return rows.length === 1 && rows[0].status === 'sent';
	});
	expect(ctx.peer.messagesTo(MARIA.chat).filter((m) => m.text.includes(marker))).toHaveLength(1);
}

test('a schema older than the package: found at the first call, 503 and logged once; after init the next call is stored and delivered', async () => {
	// As if the package was upgraded and nobody ran init (before any call reached the trigger).
	await appQuery(`DELETE FROM schema_migrations WHERE version >= 2`);
	await appQuery(`ALTER TABLE webhook_events DROP COLUMN event_kind CASCADE`);
	const call = answer('910000001', 'Ответ после обновления пакета', 1770300001);
	for (let k = 0; k < 3; k++) {
		const res = await ctx.post(call);
		expectUnavailable(res, /not set up for this version/);
		expect(res.headers['retry-after']).toBe('300');
	}
	const lines = await ctx.until('the error_logs line', async () => {
		const rows = await appQuery(`SELECT message FROM error_logs WHERE message LIKE '%Set Up Database%'`);
		return rows.length ? rows : null;
	});
	expect(lines).toEqual([{ message: expect.stringContaining(SETUP_HINT) }]);
	expect(lines[0].message).not.toMatch(/does not exist/);

	await rt.run(process.execPath, [path.join(rt.REPO_DIR, 'dist/lib/cli/main.js'), 'init'], { cwd: ctx.userFolder, env: ctx.cliEnv });
	const res = await ctx.post(call);
	expect(res.status).toBe(200);
	expect(res.json).toMatchObject({ ok: true, status: 'stored' });
	await deliveredOnce('910000001', 'Ответ после обновления пакета');
	expect(await appQuery(`SELECT count(*)::int AS n FROM error_logs WHERE message LIKE '%Set Up Database%'`)).toEqual([{ n: 1 }]);
});

test('a table lock held for 30 s: 503 while the lock is still held; the call sent again is stored and delivered once', async () => {
	const locker = new Client({ host: appPg.host, port: appPg.port, user: appPg.user, password: appPg.password, database: ctx.appDb });
	locker.on('error', () => undefined);
	await locker.connect();
	try {
		await locker.query(`SET search_path TO ${rt.quoteIdentifier(ctx.schema)}`);
		const pid = (await locker.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
		// One round trip: the server takes the lock and holds it for 30 s, whatever this test does.
		const holding = locker.query(`BEGIN; LOCK TABLE webhook_events IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(30); COMMIT`).catch((e) => e);
		const lockHeld = async () =>
			(await appQuery(`SELECT count(*)::int AS n FROM pg_locks WHERE pid = $1 AND relation = 'webhook_events'::regclass AND mode = 'AccessExclusiveLock' AND granted`, [pid]))[0].n === 1;
		await ctx.until('the lock', lockHeld);

		const call = answer('910000002', 'Ответ во время блокировки', 1770300002);
		const res = await ctx.post(call);
		expect(await lockHeld()).toBe(true); // answered while the lock was still held
		expectUnavailable(res, /busy/);

		await appQuery('SELECT pg_terminate_backend($1)', [pid]); // the lock ends early: its session goes, the transaction rolls back
		await holding;
		expect(await appQuery(`SELECT count(*)::int AS n FROM webhook_events WHERE answer_id = '910000002'`)).toEqual([{ n: 0 }]); // nothing of it was stored
		const again = await ctx.post(call);
		expect(again.status).toBe(200);
		expect(again.json).toMatchObject({ ok: true, status: 'stored' });
		await deliveredOnce('910000002', 'Ответ во время блокировки');
	} finally {
		await locker.end().catch(() => undefined);
	}
});

test('a flood of 1,000 wrong-secret calls: all 401, no execution, no database write per call; one error_logs line a minute with the count', async () => {
	// Every row the calls could make: events, lines about refused calls, Store Event run logs.
	const refusedLines = async () => appQuery(`SELECT message, context FROM error_logs WHERE context->>'status' = 'unauthorized' ORDER BY id`);
	const writes = async () =>
		Number(
			(
				await appQuery(
					`SELECT (SELECT count(*) FROM webhook_events) + (SELECT count(*) FROM error_logs WHERE context->>'status' = 'unauthorized')
					      + (SELECT count(*) FROM application_logs WHERE source = 'getcourse-store-event') AS n`,
				)
			)[0].n,
		);
	const before = await writes();
	const runsBefore = (await ctx.executions('gcbFullPipeline1')).filter((e) => e.mode === 'webhook').length;
	const statuses = [];
	const body = answer('910000003', 'чужой вызов', 1770300003);
	const started = Date.now();
	for (let k = 0; k < 1000; k += 10) {
		const batch = await Promise.all(Array.from({ length: 10 }, (_, j) => ctx.post(body, { secret: (k + j) % 10 === 0 ? null : `wrong-secret-${k + j}` })));
		statuses.push(...batch.map((r) => r.status));
	}
	const floodMinutes = Math.ceil((Date.now() - started) / 60000);
	expect(statuses.filter((s) => s === 401)).toHaveLength(1000);
	expect((await ctx.executions('gcbFullPipeline1')).filter((e) => e.mode === 'webhook')).toHaveLength(runsBefore);

	// At the end of each minute, one line per source (tech_api here) with that minute's count.
	const lines = await ctx.until(
		'the lines of the flood',
		async () => {
			const rows = await refusedLines();
			return rows.reduce((n, r) => n + Number(r.context.count), 0) === 1000 ? rows : null;
		},
		{ timeoutMs: 150000, intervalMs: 1000 },
	);
	expect(lines.length).toBeLessThanOrEqual(floodMinutes + 1);
	for (const l of lines) {
		expect(l.message).toMatch(/^\d+ GetCourse call\(s\) refused \(unauthorized, from tech_api\) within \d+ s: shared secret (does not match|is missing)/);
		expect(l.context).toMatchObject({ source: 'tech_api', status: 'unauthorized' });
	}
	expect(JSON.stringify(lines)).not.toMatch(/wrong-secret|чужой/);
	expect(await writes()).toBe(before + lines.length); // the whole flood cost these lines, nothing else
});

test('the database stopped and started again: 503 while it is down; the next call is stored and delivered, without restarting n8n', async () => {
	const first = answer('910000004', 'Ответ до остановки базы', 1770300004);
	expect((await ctx.post(first)).status).toBe(200);
	await deliveredOnce('910000004', 'Ответ до остановки базы');

	await appPg.stop();
	const call = answer('910000005', 'Ответ при остановленной базе', 1770300005);
	const down = await ctx.post(call);
	expectUnavailable(down, /cannot be reached/);

	appPg = await startEmbeddedPostgres({ dataDir: path.join(dataRoot, 'pg'), port: appPort });
	const back = await ctx.post(call);
	expect(back.status).toBe(200);
	expect(back.json).toMatchObject({ ok: true, status: 'stored' });
	await deliveredOnce('910000005', 'Ответ при остановленной базе');
});
