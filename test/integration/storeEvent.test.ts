import { Client } from 'pg';
import { closeAllPools } from '../../lib/db/pool';
import { GetCourseStoreEvent } from '../../nodes/GetCourseStoreEvent/GetCourseStoreEvent.node';
import { createTestDb, type TestDb } from '../support/db';
import { processCall, techApiCall } from '../support/fixtures';
import { runNode } from '../support/nodeContext';

let t: TestDb;
const node = new GetCourseStoreEvent();
const run = (items: ReturnType<typeof processCall>[], parameters: Record<string, unknown> = {}) =>
	runNode(node, { items, parameters, credentials: { getCourseBotPostgres: t.credential as never } });
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
		expect(out[0].json).toMatchObject({ status: 'stored', httpStatus: 200, source: 'process', notify: true, idempotencyKey: 'answer:700000123:new' });
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
			processCall({ user_email: '' }),
			processCall({ event_date: 'вчера' }),
			processCall({ answer_id: '' }),
			processCall({ answer_id: '42' }),
		]);
		expect(out.map((o) => o.json.status)).toEqual(['invalid', 'invalid', 'invalid', 'stored']);
		expect(out[0].json).toMatchObject({ httpStatus: 422, reason: expect.stringMatching(/email is missing/) });
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

	it('checks the shared secret in constant time; a wrong or missing one is 401 and logged without the secret', async () => {
		const params = { sharedSecret: 'gc-Secret-123' };
		const [out] = await run(
			[
				processCall({ secret: 'gc-Secret-123', answer_id: '1' }),
				processCall({ answer_id: '2' }, { 'x-getcourse-secret': 'gc-Secret-123' }),
				processCall({ secret: 'wrong', answer_id: '3' }),
				processCall({ answer_id: '4' }),
			],
			params,
		);
		expect(out.map((o) => [o.json.status, o.json.httpStatus])).toEqual([
			['stored', 200],
			['stored', 200],
			['unauthorized', 401],
			['unauthorized', 401],
		]);
		const dump = JSON.stringify((await q('SELECT * FROM error_logs')).rows) + JSON.stringify((await q('SELECT raw_payload FROM webhook_events')).rows);
		expect(dump).not.toContain('gc-Secret-123');
		expect((await q('SELECT count(*)::int AS n FROM error_logs')).rows[0].n).toBe(2);
	});

	it('stores 2,000 items of one execution in one round trip', async () => {
		const items = Array.from({ length: 2000 }, (_, i) => processCall({ answer_id: String(10_000 + i) }));
		const spy = jest.spyOn(Client.prototype, 'query');
		const [out] = await run(items);
		const queries = spy.mock.calls.length;
		spy.mockRestore();
		expect(queries).toBe(1);
		expect(out).toHaveLength(2000);
		expect(out.every((o) => o.json.status === 'stored')).toBe(true);
		expect(out[1999].pairedItem).toEqual({ item: 1999 });
		expect((await q('SELECT count(*)::int AS n FROM webhook_events')).rows[0].n).toBe(2000);
	});

	it('a database failure is a clear node error, or error items with continueOnFail', async () => {
		const bad = { ...t.credential, port: 1, connectionTimeout: 2 };
		await expect(runNode(node, { items: [processCall()], credentials: { getCourseBotPostgres: bad as never } })).rejects.toThrow(
			/Cannot use PostgreSQL at 127.0.0.1:1 .*connection refused/,
		);
		const [out] = await runNode(node, { items: [processCall(), processCall()], continueOnFail: true, credentials: { getCourseBotPostgres: bad as never } });
		expect(out).toHaveLength(2);
		expect(out[1]).toMatchObject({ json: { error: expect.stringMatching(/connection refused/) }, pairedItem: { item: 1 } });
	});
});
