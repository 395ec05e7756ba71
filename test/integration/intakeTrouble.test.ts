/**
 * GetCourse Trigger when the database is in trouble (SPEC §12), through the node's webhook() on
 * real PostgreSQL: a table lock, a server that stops answering, a server stopped and started
 * again, a flood of wrong-secret calls, a schema older than the package. Each call is either
 * stored (200) or answered 503 with Retry-After and a short body; the call sent again
 * afterwards is stored; refused calls cost no database write each.
 */
import { Client } from 'pg';
import { normaliseSettings } from '../../lib/config';
import { getIntakeDb } from '../../lib/db/intakeDb';
import { migrate } from '../../lib/db/migrate';
import { closeAllPools, getDb } from '../../lib/db/pool';
import { SETUP_HINT } from '../../lib/db/schemaGate';
import { flushIntakeLog, pendingIntakeLog } from '../../lib/store/intakeLog';
import { receiveWebhook } from '../../lib/store/receiveWebhook';
import { GetCourseCreateNotification } from '../../nodes/GetCourseCreateNotification/GetCourseCreateNotification.node';
import { GetCourseMaintenance } from '../../nodes/GetCourseMaintenance/GetCourseMaintenance.node';
import { GetCourseResolveMentor } from '../../nodes/GetCourseResolveMentor/GetCourseResolveMentor.node';
import { GetCourseSendPending } from '../../nodes/GetCourseSendPending/GetCourseSendPending.node';
import { GetCourseTrigger } from '../../nodes/GetCourseTrigger/GetCourseTrigger.node';
import { createTestDb, type TestDb } from '../support/db';
import { runNode, runWebhook, type WebhookAnswer } from '../support/nodeContext';
import { startRelay, startRestartablePg } from '../support/troubleDb';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const testPgConfig = require('../support/pgEnv');

const SECRET = 'intake-trouble-secret-77';
const trigger = new GetCourseTrigger();
let t: TestDb;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
	t = await createTestDb('intake_trouble');
});
afterAll(async () => {
	for (const c of cleanups.reverse()) await c().catch(() => undefined);
	await t.drop();
	await closeAllPools();
});

const processQuery = (answerId: string, over: Record<string, string> = {}) => ({
	user_id: '45678901',
	user_email: 'ivan@example.ru',
	answer_id: answerId,
	answer_status: 'new',
	answer_text: `Ответ ${answerId}`,
	event_date: '2025-12-20 14:03:11',
	...over,
});

function call(credential: Record<string, unknown>, answerId: string, o: { secret?: string | null; parameters?: Record<string, unknown>; logs?: string[] } = {}): Promise<WebhookAnswer> {
	const secret = o.secret === undefined ? SECRET : o.secret;
	return runWebhook(trigger, {
		credentials: { getCourseBotPostgres: credential as never, getCourseBotWebhookSecret: { secret: SECRET } },
		parameters: o.parameters,
		query: { ...processQuery(answerId), ...(secret === null ? {} : { secret }) },
		logs: o.logs,
	});
}

/** A 503 as SPEC §12 has it: Retry-After, a short body naming no host, port, user, table or driver text. */
function expectUnavailable(a: WebhookAnswer, reason: RegExp) {
	expect(a.status).toBe(503);
	expect(Number(a.headers['retry-after'])).toBeGreaterThan(0);
	expect(a.body).toEqual({ ok: false, status: 'unavailable', reason: expect.stringMatching(reason) });
	expect(JSON.stringify(a.body)).not.toMatch(/127\.0\.0\.1|localhost|port|user|postgres|webhook_events|error_logs|column|relation|lock timeout|ECONN|terminat/i);
	expect(a.workflowData).toBeUndefined();
}

const adminClient = async (cfg = testPgConfig(), schema = t.settings.schema) => {
	const c = new Client({ ...cfg, application_name: 'intake-trouble-test' });
	await c.connect();
	await c.query(`SET search_path TO "${schema}"`);
	return c;
};

async function until<T>(what: string, fn: () => Promise<T>, tries = 400): Promise<T> {
	for (let i = 0; i < tries; i++) {
		const v = await fn();
		if (v) return v;
		await new Promise((r) => setTimeout(r, 25));
	}
	throw new Error(`timed out waiting for ${what}`);
}

it('a table lock held for 30 s: 503 while the lock is still held, nothing stored; the call sent again afterwards is stored once', async () => {
	const locker = await adminClient();
	locker.on('error', () => undefined); // its session is ended below
	const watcher = await adminClient();
	cleanups.push(() => locker.end(), () => watcher.end());
	const lockPid = (await locker.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
	// One round trip: the lock is taken and held for 30 s by the server, whatever this test does.
	const holding = locker.query(`BEGIN; LOCK TABLE webhook_events IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(30); COMMIT`).catch((e: Error) => e);
	const lockHeld = async () =>
		(await watcher.query(`SELECT count(*)::int AS n FROM pg_locks WHERE pid = $1 AND relation = 'webhook_events'::regclass AND mode = 'AccessExclusiveLock' AND granted`, [lockPid])).rows[0]
			.n === 1;
	await until('the lock', lockHeld);

	const logs: string[] = [];
	const first = await call(t.credential, '800001', { logs });
	expect(await lockHeld()).toBe(true); // the answer came back while the lock was still held
	expectUnavailable(first, /busy/);
	expect(first.headers['retry-after']).toBe('10');
	expect(logs).toEqual([expect.stringMatching(/^warn: GetCourse Trigger answered 503 \(busy\): a lock held by another session: canceling statement due to lock timeout/)]);

	await watcher.query('SELECT pg_terminate_backend($1)', [lockPid]); // ends the 30 s early: its session goes, the transaction rolls back
	await holding;
	const again = await call(t.credential, '800001');
	expect(again.status).toBe(200);
	expect(again.body).toMatchObject({ ok: true, status: 'stored' });
	expect(again.workflowData).toEqual([[{ json: expect.objectContaining({ eventId: again.body.eventId }) }]]);
	expect((await watcher.query(`SELECT answer_id, delivery_count FROM webhook_events`)).rows).toEqual([{ answer_id: '800001', delivery_count: 1 }]);
	// the failure is one error_logs line of the minute, with the cause
	await flushIntakeLog({ all: true });
	const lines = (await watcher.query(`SELECT level, message, context FROM error_logs`)).rows;
	expect(lines).toEqual([
		{ level: 'error', message: expect.stringMatching(/^1 GetCourse call\(s\) answered 503 \(busy\) within 1 s: a lock held by another session/), context: expect.objectContaining({ count: 1 }) },
	]);
	await watcher.query('TRUNCATE error_logs');
});

it('a server that stops answering (connections frozen): 503 by the deadline; after it answers again the next call is stored', async () => {
	const relay = await startRelay(testPgConfig());
	cleanups.push(() => relay.close());
	const credential = { ...t.credential, port: relay.port };
	const parameters = { databaseLimits: { answerWithinSeconds: 2, connectTimeoutSeconds: 1 } };
	expect((await call(credential, '800101', { parameters })).status).toBe(200); // a pooled connection now exists

	relay.freeze();
	expectUnavailable(await call(credential, '800102', { parameters }), /did not answer in time/);
	// a new connection hangs too (another pool): connecting gives up
	expectUnavailable(await call({ ...credential, connectionTimeout: 9 }, '800102', { parameters }), /did not answer in time/);
	relay.thaw();

	const next = await call(credential, '800102', { parameters });
	expect(next.body).toMatchObject({ ok: true, status: 'stored' }); // stored now, not a duplicate: the frozen call stored nothing
	await flushIntakeLog({ all: true });
	expect(pendingIntakeLog()).toEqual([]);
	await t.db.pool.query('TRUNCATE error_logs');
});

it('the database stopped and started again: 503 while it is down, the very next call afterwards is stored (no restart of anything)', async () => {
	const pg = await startRestartablePg();
	cleanups.push(() => pg.destroy());
	const credential = { hostExternal: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database, schema: 'school', connectionTimeout: 10 };
	await migrate(getDb(normaliseSettings(credential)), { overlapGuards: 'skip' });
	expect((await call(credential, '800201')).body).toMatchObject({ status: 'stored' });

	await pg.stop();
	const logs: string[] = [];
	const down = await call(credential, '800202', { logs });
	expectUnavailable(down, /cannot be reached/);
	expect(down.headers['retry-after']).toBe('30');
	expect(logs.join('\n')).toMatch(/answered 503 \(unreachable\): Cannot use PostgreSQL at 127\.0\.0\.1:\d+ .*connection refused/);
	expect(logs.join('\n')).not.toContain(pg.password);
	await flushIntakeLog({ all: true }); // cannot be written now: kept
	expect(pendingIntakeLog()).toEqual([expect.objectContaining({ kind: 'failed', source: 'unreachable', count: 1 })]);

	await pg.start();
	const back = await call(credential, '800202');
	expect(back.body).toMatchObject({ ok: true, status: 'stored' });
	expect((await call(credential, '800202')).body).toMatchObject({ status: 'duplicate' });
	await flushIntakeLog({ all: true }); // written now that the database is back
	const c = await adminClient(pg, 'school');
	cleanups.push(() => c.end());
	expect((await c.query(`SELECT answer_id FROM webhook_events ORDER BY id`)).rows.map((r) => r.answer_id)).toEqual(['800201', '800202']);
	expect((await c.query(`SELECT context->>'count' AS n, context->>'source' AS why FROM error_logs`)).rows).toEqual([{ n: '1', why: 'unreachable' }]);
});

it('a flood of 1,000 wrong-secret calls: all 401, no execution, no database statement; one error_logs line with the count', async () => {
	await flushIntakeLog({ all: true });
	await t.db.pool.query('TRUNCATE error_logs');
	await call(t.credential, '800301'); // pools open, schema known
	const spy = jest.spyOn(Client.prototype, 'query');
	const answers: WebhookAnswer[] = [];
	for (let k = 0; k < 1000; k++) answers.push(await call(t.credential, `9${k}`, { secret: k % 10 === 0 ? null : `wrong-${k}` }));
	const duringFlood = spy.mock.calls.length;
	expect(answers.every((a) => a.status === 401 && a.workflowData === undefined)).toBe(true);
	expect(answers[0].body).toEqual({ ok: false, status: 'unauthorized', reason: 'shared secret is missing' });
	expect(duringFlood).toBe(0);
	expect((await t.db.pool.query(`SELECT count(*)::int AS n FROM error_logs`)).rows[0].n).toBe(0);

	spy.mockClear();
	await flushIntakeLog({ now: Date.now() + 61_000 }); // the minute is over (the clock set, not slept)
	const writes = spy.mock.calls.map((x) => String(x[0])).filter((sql) => /INSERT/i.test(sql));
	spy.mockRestore();
	expect(writes).toHaveLength(1);
	const rows = (await t.db.pool.query(`SELECT level, source, message, context FROM error_logs`)).rows;
	expect(rows).toEqual([
		{
			level: 'warning',
			source: 'getcourse-store-event',
			message: expect.stringMatching(/^1000 GetCourse call\(s\) refused \(unauthorized, from process\) within \d+ s: shared secret does not match \(900\); shared secret is missing \(100\)$/),
			context: expect.objectContaining({ status: 'unauthorized', source: 'process', count: 1000 }),
		},
	]);
	expect(JSON.stringify(rows)).not.toMatch(/wrong-\d/);
	expect((await t.db.pool.query(`SELECT count(*)::int AS n FROM webhook_events WHERE answer_id LIKE '9%'`)).rows[0].n).toBe(0);
});

it('refused calls of one minute become one line when the minute is over, written by the next call', async () => {
	await flushIntakeLog({ all: true });
	await t.db.pool.query('TRUNCATE error_logs');
	const db = getIntakeDb(t.settings);
	const start = Date.parse('2030-01-01T10:00:00Z');
	const receive = (at: number, body: number) =>
		receiveWebhook(
			db,
			{ headers: {}, query: processQuery('1', { secret: SECRET }), body: {}, bodyBytes: body },
			{ sharedSecret: SECRET, maxBodyBytes: 100, start: 'eachNew', timeZone: 'Europe/Moscow', notifyStatuses: ['new'], now: () => new Date(at) },
		);
	for (let s = 0; s < 60; s += 6) expect((await receive(start + s * 1000, 500)).httpStatus).toBe(413);
	expect((await t.db.pool.query(`SELECT count(*)::int AS n FROM error_logs`)).rows[0].n).toBe(0);
	await receive(start + 61_000, 700); // opens the next minute and writes the last one
	const rows = await until('the line of the minute', async () => {
		const r = (await t.db.pool.query(`SELECT message, context FROM error_logs`)).rows;
		return r.length ? r : null;
	});
	expect(rows).toEqual([
		{
			message: '10 GetCourse call(s) refused (too_large, from process) within 54 s: body over the limit of 100 bytes',
			context: expect.objectContaining({ status: 'too_large', count: 10, size: 500, first_at: '2030-01-01T10:00:00.000Z', last_at: '2030-01-01T10:00:54.000Z' }),
		},
	]);
	expect(pendingIntakeLog()).toEqual([{ kind: 'refused', status: 'too_large', source: 'process', count: 1 }]);
	await flushIntakeLog({ all: true });
});

it('a set-up problem of the node itself (empty secret credential) is 503 too: nothing stored, GetCourse calls again', async () => {
	const logs: string[] = [];
	const a = await runWebhook(trigger, {
		credentials: { getCourseBotPostgres: t.credential as never, getCourseBotWebhookSecret: { secret: '' } },
		query: { ...processQuery('800501'), secret: 'anything' },
		logs,
	});
	expectUnavailable(a, /could not read its settings/);
	expect(a.headers['retry-after']).toBe('300');
	expect(logs).toEqual(['warn: GetCourse Trigger answered 503: the GetCourse Webhook Secret credential is empty']);
});

describe('a schema older than the package', () => {
	let old: TestDb;
	beforeAll(async () => {
		old = await createTestDb('intake_old_schema');
		// As if the package was upgraded and nobody ran init: version 1 only, 002's columns missing.
		await old.db.pool.query(`DELETE FROM schema_migrations WHERE version >= 2`);
		await old.db.pool.query(`ALTER TABLE webhook_events DROP COLUMN event_kind CASCADE`);
	});
	afterAll(async () => {
		await old.drop();
	});

	it('is found at the first call, logged once with the fix, answered 503; the nodes fail with the same clear error; after Set Up Database the next call is stored', async () => {
		const logs: string[] = [];
		const answers = [await call(old.credential, '800401', { logs }), await call(old.credential, '800401', { logs }), await call(old.credential, '800402', { logs })];
		for (const a of answers) expectUnavailable(a, /not set up for this version/);
		expect(answers[0].headers['retry-after']).toBe('300');
		expect(logs).toEqual([expect.stringContaining(`warn: GetCourse Trigger answered 503 (setup): The database schema "${old.settings.schema}" is at version 1, this package needs version`)]);
		const lines = await until('the line', async () => {
			const r = (await old.db.pool.query(`SELECT message FROM error_logs`)).rows;
			return r.length ? r : null;
		});
		await flushIntakeLog({ all: true });
		expect((await old.db.pool.query(`SELECT message FROM error_logs`)).rows).toEqual(lines);
		expect(lines).toEqual([{ message: expect.stringContaining(SETUP_HINT) }]);
		expect(lines[0].message).not.toMatch(/does not exist/);

		const creds = { getCourseBotPostgres: old.credential as never, getCourseBotTelegramApi: { accessToken: '123456:AAnotARealToken_abcdefghijklmnop', baseUrl: 'http://127.0.0.1:1' } as never };
		const resolvedItem = { json: { eventId: '1', idempotencyKey: 'k', eventDate: '2025-12-20T11:00:00Z', answer: { id: '1' }, student: {}, mentor: { id: '1', telegramId: '100' } } };
		for (const [name, run] of [
			['Resolve Mentor', () => runNode(new GetCourseResolveMentor(), { credentials: creds })],
			['Create Notification', () => runNode(new GetCourseCreateNotification(), { items: [resolvedItem], credentials: creds })],
			['Send Pending', () => runNode(new GetCourseSendPending(), { credentials: creds })],
		] as const) {
			const err = await run().then(
				() => null,
				(e: Error) => e,
			);
			expect({ name, message: err?.message }).toEqual({ name, message: expect.stringContaining(SETUP_HINT) });
			expect(err?.message).not.toMatch(/column .* does not exist/);
		}

		const [setUp] = await runNode(new GetCourseMaintenance(), { parameters: { operation: 'setupDatabase' }, credentials: creds });
		expect((setUp[0].json.applied as unknown[]).length).toBeGreaterThan(0);
		const stored = await call(old.credential, '800402');
		expect(stored.body).toMatchObject({ ok: true, status: 'stored' });
		expect((await runNode(new GetCourseResolveMentor(), { credentials: creds }))[1]).toHaveLength(1); // works again (no mentor known: unresolved)
	});
});
