import { closeAllPools } from '../../lib/db/pool';
import { GetCourseCreateNotification } from '../../nodes/GetCourseCreateNotification/GetCourseCreateNotification.node';
import { GetCourseResolveMentor } from '../../nodes/GetCourseResolveMentor/GetCourseResolveMentor.node';
import { GetCourseStoreEvent } from '../../nodes/GetCourseStoreEvent/GetCourseStoreEvent.node';
import { createTestDb, seedReference, type TestDb } from '../support/db';
import { processCall, techApiCall } from '../support/fixtures';
import { runNode } from '../support/nodeContext';
import { statementText } from '../support/statements';

let t: TestDb;
const q = (sql: string, v: unknown[] = []) => t.db.pool.query(sql, v);
const creds = () => ({ getCourseBotPostgres: t.credential as never });
const store = (items: ReturnType<typeof processCall>[]) => runNode(new GetCourseStoreEvent(), { items, credentials: creds() });
const resolve = (parameters: Record<string, unknown> = {}) => runNode(new GetCourseResolveMentor(), { parameters, credentials: creds() });
const create = (items: { json: unknown }[], parameters: Record<string, unknown> = {}) =>
	runNode(new GetCourseCreateNotification(), { items: items as never, parameters, credentials: creds() });

beforeAll(async () => {
	t = await createTestDb('resolve');
});
afterAll(async () => {
	await t.drop();
	await closeAllPools();
});
beforeEach(async () => {
	await q('TRUNCATE webhook_events, notifications, error_logs, mentors, students, trainings, lessons, mapping RESTART IDENTITY');
	await seedReference(t.db, {
		mentors: [
			{ email: 'old.mentor@school.ru', telegram_id: 1001, first_name: 'Старый' },
			{ email: 'new.mentor@school.ru', telegram_id: 1002, first_name: 'Новый' },
			{ email: 'silent@school.ru', telegram_id: null },
		],
		students: [
			{ user_id: '45678901', email: 'ivan@example.ru', first_name: 'Иван', last_name: 'Петров' },
			{ user_id: '555', email: 'olga@example.ru', first_name: 'Ольга' },
		],
		trainings: [{ training_id: '889900', name: 'Поток весна' }],
		lessons: [{ lesson_id: '2223334', training_id: '889900', name: '2.3 Практика' }],
		mapping: [
			// Ivan's mentor changed on 2026-01-15: older answers belong to the old mentor.
			{ student_email: 'ivan@example.ru', mentor_email: 'old.mentor@school.ru', training_id: '889900', valid_to: '2026-01-15T00:00:00Z' },
			{ student_email: 'ivan@example.ru', mentor_email: 'new.mentor@school.ru', training_id: '889900', valid_from: '2026-01-15T00:00:00Z' },
			{ student_email: 'olga@example.ru', mentor_email: 'silent@school.ru', training_id: null },
		],
	});
});

describe('Resolve Mentor + Create Notification', () => {
	it('routes each answer to the mentor valid at the event date, and queues one notification each', async () => {
		await store([
			processCall({ answer_id: '1', event_date: '2026-01-10 10:00:00' }),
			processCall({ answer_id: '2', event_date: '2026-01-20 10:00:00' }),
		]);
		await store([techApiCall()]); // 2026-02-03, Tech API: no email, found by user id
		const [resolved] = await resolve();
		expect(resolved).toHaveLength(3);
		const byAnswer = Object.fromEntries(resolved.map((r) => [(r.json.answer as { id: string }).id, r.json]));
		expect((byAnswer['1'].mentor as { telegramId: string }).telegramId).toBe('1001');
		expect((byAnswer['2'].mentor as { telegramId: string }).telegramId).toBe('1002');
		expect(byAnswer['700000999']).toMatchObject({
			student: { email: 'ivan@example.ru', name: 'Иван Петров' },
			mentor: { telegramId: '1002', name: 'Новый' },
			training: { id: '889900', name: 'Поток весна' },
			lesson: { id: '2223334', name: '2.3 Практика' },
		});
		const [created] = await create(resolved);
		// the Tech API event got the student's email filled in when it was marked processed
		expect((await q(`SELECT user_email FROM webhook_events WHERE answer_id = '700000999'`)).rows[0].user_email).toBe('ivan@example.ru');
		expect(created.map((c) => c.json.status)).toEqual(['pending', 'pending', 'pending']);
		expect(created[2].pairedItem).toEqual({ item: 2 });
		const notes = (await q(`SELECT chat_id, status, message FROM notifications ORDER BY id`)).rows;
		expect(notes.map((n) => n.chat_id)).toEqual(['1001', '1002', '1002']);
		expect(notes[2].message).toContain('Студент: Иван Петров (ivan@example.ru)');
		expect(notes[2].message).toContain('Урок: 2.3 Практика');
		const events = (await q(`SELECT processed, locked_until, error_message FROM webhook_events`)).rows;
		expect(events.every((e) => e.processed && e.locked_until === null && e.error_message === null)).toBe(true);

		// nothing left to claim; creating again from the same items adds nothing
		expect((await resolve())[0]).toHaveLength(0);
		const [again] = await create(resolved);
		expect(again.map((c) => c.json.status)).toEqual(['duplicate', 'duplicate', 'duplicate']);
		expect((await q(`SELECT count(*)::int AS n FROM notifications`)).rows[0].n).toBe(3);
	});

	it('unmapped students, mentors without telegram_id and students without a mapping for the training are marked, logged and given up after max attempts', async () => {
		await store([
			processCall({ answer_id: '10', user_id: '999', user_email: 'nobody@example.ru' }),
			processCall({ answer_id: '11', user_id: '555', user_email: 'olga@example.ru', answer_training_id: '' }),
			processCall({ answer_id: '12', answer_training_id: '424242' }),
		]);
		const [first, unresolved] = await resolve({ maxAttempts: 2, retrySchedule: '0.001' });
		expect(first).toHaveLength(0);
		expect(unresolved.map((u) => [u.json.problemCode, u.json.attempts, u.json.givenUp])).toEqual([
			['student_not_found', 1, false],
			['mentor_no_telegram', 1, false],
			['no_mapping', 1, false],
		]);
		const rows = async () => (await q(`SELECT answer_id, processed, attempts, error_message FROM webhook_events ORDER BY answer_id`)).rows;
		let r = await rows();
		expect(r.map((x) => x.error_message)).toEqual([
			expect.stringMatching(/student not found: no student with GetCourse user id 999 or email nobody@example.ru/),
			expect.stringMatching(/mentor silent@school.ru has no telegram_id/),
			expect.stringMatching(/no mentor mapped to student ivan@example.ru in training 424242/),
		]);
		expect(r.every((x) => !x.processed && x.attempts === 1)).toBe(true);
		const [, second] = await resolve({ maxAttempts: 2, retrySchedule: '0.001' });
		expect(second.every((u) => u.json.givenUp === true && u.json.nextAttemptAt === null)).toBe(true);
		r = await rows();
		expect(r.every((x) => x.processed && x.attempts === 2)).toBe(true);
		await resolve({ maxAttempts: 2, retrySchedule: '0.001' });
		expect((await rows()).every((x) => x.attempts === 2)).toBe(true); // not retried forever
		const logs = (await q(`SELECT level, message FROM error_logs WHERE source = 'getcourse-resolve-mentor'`)).rows;
		expect(logs).toHaveLength(6);
		expect(logs.filter((l) => l.level === 'error')).toHaveLength(3);
	});

	it('an unresolved event waits for the retry delay, then resolves once the mapping is added', async () => {
		await store([processCall({ answer_id: '20', user_id: '777', user_email: 'late@example.ru' })]);
		await resolve({ retrySchedule: '60' });
		await q(`INSERT INTO students (user_id, email, valid_from) VALUES ('777', 'late@example.ru', '2000-01-01')`);
		await q(`INSERT INTO mapping (student_email, mentor_email, valid_from) VALUES ('late@example.ru', 'new.mentor@school.ru', '2000-01-01')`);
		expect((await resolve())[0]).toHaveLength(0); // still waiting
		await q(`UPDATE webhook_events SET locked_until = NOW() - interval '1 second'`);
		const [r] = await resolve();
		expect(r).toHaveLength(1);
		expect(r[0].json.mentor).toMatchObject({ telegramId: '1002' });
	});

	it('two parallel Resolve executions never claim the same event', async () => {
		await store(Array.from({ length: 300 }, (_, i) => processCall({ answer_id: String(1000 + i) })));
		const [a, b, c] = await Promise.all([resolve({ batchSize: 120 }), resolve({ batchSize: 120 }), resolve({ batchSize: 120 })]);
		const ids = [...a[0], ...b[0], ...c[0]].map((x) => x.json.eventId);
		expect(ids).toHaveLength(300);
		expect(new Set(ids).size).toBe(300);
	});

	it('a foreign input item is a per-item error with its index; continueOnFail keeps the good ones', async () => {
		await store([processCall({ answer_id: '30' })]);
		const [resolved] = await resolve();
		await expect(create([{ json: { hello: 1 } }, ...resolved])).rejects.toThrow(/Item 0: input is not a Resolve Mentor item/);
		const [out] = await runNode(new GetCourseCreateNotification(), {
			items: [{ json: { hello: 1 } }, ...resolved] as never,
			continueOnFail: true,
			credentials: creds(),
		});
		expect(out[0]).toMatchObject({ json: { error: expect.stringMatching(/Item 0/) }, pairedItem: { item: 0 } });
		expect(out[1].json).toMatchObject({ status: 'pending' });
	});

	it('resolution is one set-based statement for the whole batch', async () => {
		await store(Array.from({ length: 200 }, (_, i) => processCall({ answer_id: String(5000 + i) })));
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const { Client } = require('pg');
		const spy = jest.spyOn(Client.prototype, 'query');
		const [r] = await resolve({ batchSize: 500 });
		const statements = spy.mock.calls.map((c: unknown[]) => statementText(c[0]).trim().split(/\s+/).slice(0, 3).join(' '));
		spy.mockRestore();
		expect(r).toHaveLength(200);
		// BEGIN, no JIT for the claim (compiling it cost more than running it: lib/db/resolve.ts),
		// claim+resolve, COMMIT (all resolved, nothing else to record: Create Notification marks
		// them processed); then the run's application_logs row
		expect(statements).toEqual(['BEGIN', 'SET LOCAL jit', 'WITH claimed AS', 'COMMIT', 'WITH input AS']);
	});
});
