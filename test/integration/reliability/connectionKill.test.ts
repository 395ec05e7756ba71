/**
 * PostgreSQL connections killed mid-batch (pg_terminate_backend from a separate admin client,
 * limited to this file's own pool connections: every pool shares the application_name and jest
 * runs files in parallel). The execution fails cleanly or records what it could; the next
 * execution finishes the work; no event is lost and no message is sent twice.
 */
import { getIntakeDb } from '../../../lib/db/intakeDb';
import { closeAllPools } from '../../../lib/db/pool';
import { GetCourseCreateNotification } from '../../../nodes/GetCourseCreateNotification/GetCourseCreateNotification.node';
import { GetCourseResolveMentor } from '../../../nodes/GetCourseResolveMentor/GetCourseResolveMentor.node';
import { GetCourseSendPending } from '../../../nodes/GetCourseSendPending/GetCourseSendPending.node';
import { GetCourseStoreEvent } from '../../../nodes/GetCourseStoreEvent/GetCourseStoreEvent.node';
import { createTestDb, type TestDb } from '../../support/db';
import { processCall } from '../../support/fixtures';
import { runNode } from '../../support/nodeContext';
import { adminClient, killBackends, sleep, trackBackends, waitForActive } from './helpers';
import type { Client } from 'pg';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createTelegramPeer } = require('../../support/telegram-peer');

const TOKEN = '555666777:AAreliabilityConnectionKillToken';
const peer = createTelegramPeer({ token: TOKEN });
let t: TestDb;
let baseUrl: string;
let admin: Client;
let tracked: ReturnType<typeof trackBackends>;
const q = (sql: string, v: unknown[] = []) => t.db.pool.query(sql, v);
const creds = () => ({ getCourseBotPostgres: t.credential as never, getCourseBotTelegramApi: { accessToken: TOKEN, baseUrl } as never });
const count = async (sql: string) => (await q(sql)).rows[0].n as number;

beforeAll(async () => {
	t = await createTestDb('rel_kill');
	tracked = trackBackends(t.db);
	admin = await adminClient();
	baseUrl = await peer.start();
	await q(`INSERT INTO mentors (email, telegram_id, valid_from) SELECT 'm' || g || '@school.ru', 8000000 + g, '2000-01-01' FROM generate_series(0, 49) g`);
	await q(`INSERT INTO students (user_id, email, valid_from) SELECT (100 + g)::text, 's' || g || '@example.ru', '2000-01-01' FROM generate_series(0, 199) g`);
	await q(`INSERT INTO trainings (training_id, name, valid_from) VALUES ('889900', 'Поток', '2000-01-01')`);
	await q(`INSERT INTO mapping (student_email, mentor_email, valid_from) SELECT 's' || g || '@example.ru', 'm' || (g % 50) || '@school.ru', '2000-01-01' FROM generate_series(0, 199) g`);
});
afterAll(async () => {
	await admin.end();
	await peer.stop();
	await t.drop();
	await closeAllPools();
});

let sendDuplicates = -1;
const TEMPLATE = 'answer={answer_id} student={student_email}'; // one distinct text per notification
const call = (k: number) => processCall({ answer_id: String(k), user_id: String(100 + (k % 200)), user_email: `s${k % 200}@example.ru` });

it('Store Event killed mid-statement: every call answers 503, nothing half-stored; the redelivery stores all', async () => {
	const items = Array.from({ length: 6000 }, (_, k) => call(k));
	const intake = trackBackends(getIntakeDb(t.settings)); // Store Event stores on the intake pool
	const run = runNode(new GetCourseStoreEvent(), { items, credentials: creds() });
	// (pg_stat_activity keeps the first 1 kB of a statement: match its opening lines)
	expect(await waitForActive(admin, intake.pids, 'AS t(call_key, event_date')).toBe(true);
	expect(await killBackends(admin, intake.pids(), true)).toBeGreaterThan(0);
	const [answered] = await run;
	expect(answered).toHaveLength(6000);
	expect(answered.every((o) => o.json.status === 'unavailable' && o.json.httpStatus === 503)).toBe(true);
	expect(JSON.stringify(answered[0].json)).not.toMatch(/terminat|administrator|postgres/i); // a short reason, not the driver's text
	expect(await count(`SELECT count(*)::int AS n FROM webhook_events`)).toBe(0); // one statement: all or nothing
	// GetCourse calls again; the pool heals by itself
	const [out] = await runNode(new GetCourseStoreEvent(), { items, credentials: creds() });
	expect(out.every((o) => o.json.status === 'stored')).toBe(true);
	expect(await count(`SELECT count(*)::int AS n FROM webhook_events`)).toBe(6000);
});

it('Create Notification killed mid-transaction: rolled back; after the lease the next execution creates every notification once', async () => {
	const [resolved] = await runNode(new GetCourseResolveMentor(), { parameters: { batchSize: 6000, leaseSeconds: 30 }, credentials: creds() });
	expect(resolved).toHaveLength(6000);
	const run = runNode(new GetCourseCreateNotification(), { items: resolved, parameters: { template: TEMPLATE }, credentials: creds() }).then(
		() => null,
		(err: Error) => err,
	);
	expect(await waitForActive(admin, tracked.pids, 'INSERT INTO notifications')).toBe(true);
	expect(await killBackends(admin, tracked.pids(), true)).toBeGreaterThan(0);
	const err = await run;
	expect(err).not.toBeNull();
	expect(await count(`SELECT count(*)::int AS n FROM notifications`)).toBe(0);
	expect(await count(`SELECT count(*)::int AS n FROM webhook_events WHERE processed`)).toBe(0);
	// the claims are held by the lease …
	expect((await runNode(new GetCourseResolveMentor(), { parameters: { batchSize: 6000 }, credentials: creds() }))[0]).toHaveLength(0);
	// … until it runs out (simulated: the clock moves past locked_until)
	await q(`UPDATE webhook_events SET locked_until = NOW() - interval '1 second' WHERE NOT processed`);
	for (let guard = 0; guard < 10; guard++) {
		const [again] = await runNode(new GetCourseResolveMentor(), { parameters: { batchSize: 2000 }, credentials: creds() });
		if (!again.length) break;
		await runNode(new GetCourseCreateNotification(), { items: again, parameters: { template: TEMPLATE }, credentials: creds() });
	}
	expect(await count(`SELECT count(*)::int AS n FROM notifications`)).toBe(6000);
	expect(await count(`SELECT count(*)::int AS n FROM webhook_events WHERE processed AND error_message IS NULL`)).toBe(6000);
});

it('Send Pending with its connections killed again and again mid-batch: every notification is delivered', async () => {
	await q(`DELETE FROM notifications WHERE id > (SELECT min(id) + 399 FROM notifications)`); // keep 400
	peer.reset();
	peer.delayMs = 60; // Telegram answers slowly, so the batch is in flight when the kills come
	const send = () =>
		runNode(new GetCourseSendPending(), {
			parameters: { maxRunSeconds: 20, options: { messagesPerSecond: 1000, perChatIntervalMs: 5, concurrency: 8, batchSize: 50 } },
			credentials: creds(),
		}).then(
			([out]) => ({ out, err: null as Error | null }),
			(err: Error) => ({ out: [] as Array<{ json: Record<string, unknown> }>, err }),
		);
	const running = send();
	let kills = 0;
	let done = false;
	running.then(() => (done = true));
	while (!done && kills < 25) {
		kills += await killBackends(admin, tracked.pids(), true);
		await sleep(15);
	}
	const first = await running;
	expect(kills).toBeGreaterThan(0);
	peer.delayMs = 0;
	// whatever the first execution could not record is claimed again after its lease
	await q(`UPDATE notifications SET locked_until = NOW() - interval '1 second' WHERE status = 'sending'`);
	for (let guard = 0; guard < 10; guard++) {
		const { out } = await send();
		if (!out.length) break;
	}
	const messages = peer.messages as Array<{ chat_id: string; text: string }>;
	const keys = messages.map((m) => `${m.chat_id}|${m.text}`);
	const duplicates = keys.length - new Set(keys).size;
	console.log(
		`send under kills: ${kills} connections killed; first execution ${first.err ? 'failed: ' + first.err.message : `returned ${first.out.length} items (${first.out.filter((o) => o.json.status !== 'sent').length} not sent)`}; ${messages.length} delivered, ${duplicates} duplicates`,
	);
	expect(await count(`SELECT count(*)::int AS n FROM notifications WHERE status = 'sent'`)).toBe(400);
	expect(new Set(keys).size).toBe(400); // nothing lost
	sendDuplicates = duplicates;
});

// A message Telegram accepted must be recorded even when the connection drops while recording
// it (markSent is retried on a fresh connection), or the next run would send it again.
it('… and none of them twice', () => {
	expect(sendDuplicates).toBe(0);
});

// Regression: pg-pool listens for errors only on idle clients; a connection dropped while checked
// out once raised an unhandled 'error' that ended the whole n8n process.
it('a checked-out client has an error listener, so a connection dropped between statements cannot crash the process', async () => {
	const { withClient, getDb } = await import('../../../lib/db/pool');
	const { normaliseSettings } = await import('../../../lib/config');
	const db = getDb(normaliseSettings({ ...t.credential, connectionTimeout: 9 }));
	// (killing its backend here would show the crash itself: "Unhandled error … 57P01" fails the file)
	const listeners = await withClient(db, async (c) => c.listenerCount('error'));
	expect(listeners).toBeGreaterThan(0);
});
