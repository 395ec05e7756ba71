import { Client } from 'pg';
import { closeAllPools } from '../../lib/db/pool';
import { flushIntakeLog } from '../../lib/store/intakeLog';
import { GetCourseStoreEvent } from '../../nodes/GetCourseStoreEvent/GetCourseStoreEvent.node';
import { createTestDb, type TestDb } from '../support/db';
import { processCall, techApiCall } from '../support/fixtures';
import { runNode } from '../support/nodeContext';
import { statementText } from '../support/statements';

let t: TestDb;
const node = new GetCourseStoreEvent();
const run = (items: ReturnType<typeof processCall>[], parameters: Record<string, unknown> = {}, secret?: string, version?: number) =>
	runNode(node, {
		items,
		parameters,
		version,
		credentials: { getCourseBotPostgres: t.credential as never, ...(secret ? { getCourseBotWebhookSecret: { secret } } : {}) },
	});
const q = (sql: string, v: unknown[] = []) => t.db.pool.query(sql, v);

beforeAll(async () => {
	t = await createTestDb('store');
});
afterAll(async () => {
	await t.drop();
	await closeAllPools();
});
beforeEach(async () => {
	await q('TRUNCATE webhook_events, error_logs RESTART IDENTITY');
});

describe('GetCourse Store Event', () => {
	it('stores a process call with its raw payload and answers 200 stored', async () => {
		const [out] = await run([processCall()]);
		expect(out[0].json).toMatchObject({ status: 'stored', httpStatus: 200, source: 'process', kind: 'answer', notify: true, resubmission: false });
		expect(out[0].json.idempotencyKey).toMatch(/^answer:700000123:new:[0-9a-f]{16}$/);
		expect(out[0].pairedItem).toEqual({ item: 0 });
		const row = (await q('SELECT * FROM webhook_events')).rows[0];
		expect(row).toMatchObject({ user_id: '45678901', user_email: 'ivan@example.ru', answer_id: '700000123', processed: false, source: 'process' });
		expect(row.event_date.toISOString()).toBe('2025-12-20T11:03:11.000Z');
		expect(row.raw_payload.answer_text).toBe('Сделал упражнение 2');
	});

	it('stores a Tech API event (wrapped in "json", quoted id, no email)', async () => {
		const [out] = await run([techApiCall()]);
		expect(out[0].json).toMatchObject({ status: 'stored', source: 'tech_api' });
		const row = (await q('SELECT * FROM webhook_events')).rows[0];
		expect(row).toMatchObject({ answer_id: '700000999', user_email: '', lesson_name: '2.3 Практика', event_type: 'getcourse/lessonAnswerCreated' });
	});

	it('a duplicate delivery is one row, and the output says duplicate (across executions and within one)', async () => {
		const [first] = await run([processCall(), processCall()]);
		const [second] = await run([processCall()]);
		expect(first.map((o) => o.json.status)).toEqual(['stored', 'duplicate']);
		expect(second[0].json).toMatchObject({ status: 'duplicate', httpStatus: 200, eventId: first[0].json.eventId });
		const rows = (await q('SELECT delivery_count FROM webhook_events')).rows;
		expect(rows).toEqual([{ delivery_count: 3 }]);
	});

	it('a new status of the same answer is a new event', async () => {
		const [out] = await run([processCall(), processCall({ answer_status: 'accepted' })], { notifyStatuses: 'new' });
		expect(out.map((o) => o.json.status)).toEqual(['stored', 'stored']);
		const rows = (await q('SELECT answer_status, processed FROM webhook_events ORDER BY answer_status DESC')).rows;
		// statuses that notify nobody are stored already processed
		expect(rows).toEqual([{ answer_status: 'new', processed: false }, { answer_status: 'accepted', processed: true }]);
	});

	it('malformed payloads answer 422 with the reason and are kept in error_logs with the raw payload', async () => {
		const [out] = await run([
			processCall({ user_email: '', user_id: '' }),
			processCall({ event_date: 'вчера' }),
			processCall({ answer_id: '' }),
			processCall({ answer_id: '42' }),
		]);
		expect(out.map((o) => o.json.status)).toEqual(['invalid', 'invalid', 'invalid', 'stored']);
		expect(out[0].json).toMatchObject({ httpStatus: 422, reason: expect.stringMatching(/user id and email are both missing/) });
		expect(out[1].json.reason).toMatch(/event date "вчера" is not a date/);
		const logs = (await q(`SELECT message, context FROM error_logs ORDER BY id`)).rows;
		expect(logs).toHaveLength(3);
		expect(logs[1].context.raw_payload.event_date).toBe('вчера');
		expect(logs[0].context.status).toBe('invalid');
		expect((await q('SELECT count(*)::int AS n FROM webhook_events')).rows[0].n).toBe(1);
	});

	it('huge, SQL-looking and non-UTF-8-safe text is stored as data', async () => {
		const evil = "'); DROP TABLE webhook_events; --\u0000\uDC00 ☃";
		const [out] = await run([processCall({ answer_text: evil + 'ж'.repeat(200_000), answer_id: '1' })]);
		expect(out[0].json.status).toBe('stored');
		const row = (await q('SELECT answer_text, raw_payload FROM webhook_events')).rows[0];
		expect(row.answer_text.startsWith("'); DROP TABLE webhook_events; --\uFFFD\uFFFD ☃")).toBe(true);
		expect(row.answer_text.length).toBe(20_000);
		expect(row.raw_payload.answer_text.length).toBe(evil.length + 200_000);
	});

	it('a text cut inside a surrogate pair ends in U+FFFD; a text quoting a JSON escape stays as sent', async () => {
		const quoted = String.raw`C:\ud83d \\ud800 "\u0000"`;
		const [out] = await run([
			processCall({ answer_id: '1', answer_text: 'a'.repeat(19_999) + '💡 tail', lesson_name: 'б'.repeat(499) + '💡' }),
			processCall({ answer_id: '2', answer_text: quoted, training_name: '💡'.repeat(300) }),
		]);
		expect(out.map((o) => o.json.status)).toEqual(['stored', 'stored']);
		const rows = (await q('SELECT answer_text, lesson_name, training_name, raw_payload FROM webhook_events ORDER BY answer_id')).rows;
		expect(rows[0].answer_text).toBe('a'.repeat(19_999) + '\uFFFD');
		expect(rows[0].lesson_name).toBe('б'.repeat(499) + '\uFFFD');
		expect(rows[0].raw_payload.answer_text).toBe('a'.repeat(19_999) + '💡 tail');
		expect(rows[1].answer_text).toBe(quoted);
		expect(rows[1].raw_payload.answer_text).toBe(quoted);
		expect(rows[1].training_name).toBe('💡'.repeat(250));
	});

	it.each([
		['version 2, GetCourse Webhook Secret credential', {}, 'gc-Secret-123', 2],
		['version 1, Shared Secret parameter', { sharedSecret: 'gc-Secret-123' }, undefined, 1],
	])('checks the shared secret in constant time (%s); a wrong or missing one is 401, counted without body or secret', async (_label, params, secret, version) => {
		const [out] = await run(
			[
				processCall({ secret: 'gc-Secret-123', answer_id: '1' }),
				processCall({ answer_id: '2' }, { 'x-getcourse-secret': 'gc-Secret-123' }),
				processCall({ secret: 'wrong', answer_id: '3', answer_text: 'body-marker' }),
				processCall({ answer_id: '4', answer_text: 'body-marker' }),
			],
			params,
			secret,
			version,
		);
		expect(out.map((o) => [o.json.status, o.json.httpStatus])).toEqual([
			['stored', 200],
			['stored', 200],
			['unauthorized', 401],
			['unauthorized', 401],
		]);
		// no database write per refused call: counted, and written as one line a minute (here: at once)
		expect((await q('SELECT count(*)::int AS n FROM error_logs')).rows[0].n).toBe(0);
		await flushIntakeLog({ all: true });
		const dump = JSON.stringify((await q('SELECT * FROM error_logs')).rows) + JSON.stringify((await q('SELECT raw_payload FROM webhook_events')).rows);
		expect(dump).not.toContain('gc-Secret-123');
		expect(dump).not.toContain('body-marker');
		const logs = (await q(`SELECT level, message, context FROM error_logs ORDER BY id`)).rows;
		expect(logs).toEqual([
			{
				level: 'warning',
				message: expect.stringMatching(/^2 GetCourse call\(s\) refused \(unauthorized, from process\) within \d+ s: shared secret (does not match|is missing) \(1\); /),
				context: expect.objectContaining({ status: 'unauthorized', source: 'process', count: 2, size: expect.any(Number) }),
			},
		]);
		expect(logs[0].context.reasons).toEqual({ 'shared secret does not match': 1, 'shared secret is missing': 1 });
	});

	it('a run of wrong-secret calls only writes nothing at all (not even its run log)', async () => {
		await q('TRUNCATE application_logs');
		const spy = jest.spyOn(Client.prototype, 'query');
		const [out] = await run([processCall({ secret: 'wrong' }), processCall({ secret: 'wrong too' })], {}, 'gc-Secret-123');
		const statements = spy.mock.calls.length;
		spy.mockRestore();
		expect(out.map((o) => o.json.httpStatus)).toEqual([401, 401]);
		expect(statements).toBe(0);
		expect((await q('SELECT count(*)::int AS n FROM application_logs')).rows[0].n).toBe(0);
		await flushIntakeLog({ all: true });
	});

	it('without a secret credential (version 2) every call is accepted', async () => {
		const [out] = await run([processCall({ answer_id: '5' })]);
		expect(out[0].json.status).toBe('stored');
	});

	it('stores 2,000 items of one execution in one round trip', async () => {
		const items = Array.from({ length: 2000 }, (_, i) => processCall({ answer_id: String(10_000 + i) }));
		const spy = jest.spyOn(Client.prototype, 'query');
		const [out] = await run(items);
		const statements = spy.mock.calls.map((c) => statementText(c[0]));
		spy.mockRestore();
		// the whole batch in one statement; besides it only the run's application_logs row
		expect(statements.filter((sql) => /webhook_events/.test(sql))).toHaveLength(1);
		expect(statements).toHaveLength(2);
		expect(statements.filter((sql) => !/webhook_events/.test(sql))[0]).toMatch(/INSERT INTO application_logs/);
		expect(out).toHaveLength(2000);
		expect(out.every((o) => o.json.status === 'stored')).toBe(true);
		expect(out[1999].pairedItem).toEqual({ item: 1999 });
		expect((await q('SELECT count(*)::int AS n FROM webhook_events')).rows[0].n).toBe(2000);
	});

	it('a database away is no node failure: each call gets 503 unavailable with retryAfter and a short reason; the cause goes to n8n\'s log', async () => {
		const bad = { ...t.credential, port: 1, connectionTimeout: 2 };
		const logs: string[] = [];
		const [out] = await runNode(node, { items: [processCall(), processCall({ secret: 'x' })], logs, credentials: { getCourseBotPostgres: bad as never } });
		expect(out.map((o) => o.json)).toEqual([
			expect.objectContaining({ status: 'unavailable', httpStatus: 503, retryAfter: 30, reason: 'the database cannot be reached; call again later', eventId: null }),
			expect.objectContaining({ status: 'unavailable', httpStatus: 503 }),
		]);
		expect(out[1].pairedItem).toEqual({ item: 1 });
		expect(JSON.stringify(out.map((o) => o.json))).not.toMatch(/127\.0\.0\.1|port|user|postgres|ECONN|refused/i);
		expect(logs.join('\n')).toMatch(/warn: GetCourse Store Event answered 503 \(unreachable\): Cannot use PostgreSQL at 127.0.0.1:1 .*connection refused/);
	});
});

describe('what one submission is (SPEC §8)', () => {
	const events = async () =>
		(await q(`SELECT answer_status AS status, answer_text AS text, is_resubmission AS re, skip_reason AS skip, processed, delivery_count AS n FROM webhook_events ORDER BY id`)).rows;

	it('new → declined → new with new text: the resubmission is a new event that notifies, marked as such', async () => {
		const [a] = await run([processCall({ answer_text: 'Первый вариант', event_date: '2025-12-20 14:00:00' })]);
		const [b] = await run([processCall({ answer_status: 'declined', answer_text: 'Первый вариант', event_date: '2025-12-20 15:00:00' })]);
		const [c] = await run([processCall({ answer_text: 'Исправленный вариант', event_date: '2025-12-20 16:00:00' })]);
		expect([a[0].json, b[0].json, c[0].json].map((o) => [o.status, o.notify, o.resubmission, o.skipReason])).toEqual([
			['stored', true, false, null],
			['stored', false, false, 'status'],
			['stored', true, true, null],
		]);
		// a redelivery of the resubmission stays one row
		const [d] = await run([processCall({ answer_text: 'Исправленный вариант', event_date: '2025-12-20 16:00:00' })]);
		expect(d[0].json).toMatchObject({ status: 'duplicate', notify: false });
		expect(await events()).toEqual([
			{ status: 'new', text: 'Первый вариант', re: false, skip: null, processed: false, n: 1 },
			{ status: 'declined', text: 'Первый вариант', re: false, skip: 'status', processed: true, n: 1 },
			{ status: 'new', text: 'Исправленный вариант', re: true, skip: null, processed: false, n: 2 },
		]);
	});

	it('a "new" arriving after "accepted" of the same answer (late delivery) is stored and never notifies', async () => {
		await run([processCall({ answer_status: 'accepted', event_date: '2025-12-20 15:00:00' })]);
		const [late] = await run([processCall({ event_date: '2025-12-20 14:00:00' })]);
		expect(late[0].json).toMatchObject({ status: 'stored', notify: false, skipReason: 'stale', resubmission: false });
		expect((await events())[1]).toMatchObject({ status: 'new', skip: 'stale', processed: true });
	});

	it('each comment is its own event; whether comments notify is an option', async () => {
		const comment = (id: number, text: string) =>
			({
				json: {
					headers: {},
					query: {},
					body: { eventType: 'getcourse/answerCommentCreated', ts64: 1770109600 + id, comment: { id, answer_id: '700000123', comment_text: text, lesson_data: { user_id: 45678901 } } },
				},
			}) as never;
		const [on] = await run([comment(1, 'Первый вопрос'), comment(2, 'Второй вопрос'), comment(1, 'Первый вопрос')]);
		expect(on.map((o) => [o.json.status, o.json.kind, o.json.notify])).toEqual([
			['stored', 'comment', true],
			['stored', 'comment', true],
			['duplicate', 'comment', false],
		]);
		const [off] = await run([comment(3, 'Третий')], { notifyComments: false });
		expect(off[0].json).toMatchObject({ status: 'stored', notify: false, skipReason: 'comments_off' });
		const rows = (await q(`SELECT idempotency_key, event_kind, comment_id FROM webhook_events ORDER BY id`)).rows;
		expect(rows).toEqual([
			{ idempotency_key: 'comment:1', event_kind: 'comment', comment_id: '1' },
			{ idempotency_key: 'comment:2', event_kind: 'comment', comment_id: '2' },
			{ idempotency_key: 'comment:3', event_kind: 'comment', comment_id: '3' },
		]);
	});

	it('wrongly typed fields (an object as answer id, a numeric status) answer 422 and store nothing', async () => {
		const [out] = await run([techApiCall({ id: { evil: true } }), techApiCall({ status: 1 }), techApiCall({ lesson_id: false })]);
		expect(out.map((o) => [o.json.status, o.json.httpStatus])).toEqual([
			['invalid', 422],
			['invalid', 422],
			['invalid', 422],
		]);
		expect(out[0].json.reason).toMatch(/answer\.id must be a string or a number, got an object/);
		expect((await q('SELECT count(*)::int AS n FROM webhook_events')).rows[0].n).toBe(0);
	});
});
