import { Client } from 'pg';
import { closeAllPools } from '../../lib/db/pool';
import { CLAIM_AND_RESOLVE_SQL } from '../../lib/db/resolve';
import { retryUnresolved } from '../../lib/resolve/retry';
import { GetCourseCreateNotification } from '../../nodes/GetCourseCreateNotification/GetCourseCreateNotification.node';
import { GetCourseResolveMentor } from '../../nodes/GetCourseResolveMentor/GetCourseResolveMentor.node';
import { GetCourseStoreEvent } from '../../nodes/GetCourseStoreEvent/GetCourseStoreEvent.node';
import { createTestDb, seedReference, type TestDb } from '../support/db';
import { processCall, techApiCall } from '../support/fixtures';
import { runNode } from '../support/nodeContext';

/** The rules of README "How routing works" (SPEC §8–§9), each on real PostgreSQL. */

let t: TestDb;
const q = async (sql: string, v: unknown[] = []) => (await t.db.pool.query(sql, v)).rows;
const creds = () => ({ getCourseBotPostgres: t.credential as never });
const store = (items: ReturnType<typeof processCall>[]) => runNode(new GetCourseStoreEvent(), { items, credentials: creds() });
const resolve = (parameters: Record<string, unknown> = {}) => runNode(new GetCourseResolveMentor(), { parameters, credentials: creds() });
const create = (items: { json: unknown }[], parameters: Record<string, unknown> = {}) =>
	runNode(new GetCourseCreateNotification(), { items: items as never, parameters, credentials: creds() });
/** Makes every waiting event due now (instead of after its back-off). */
const due = () => q(`UPDATE webhook_events SET locked_until = NULL WHERE processed = FALSE`);
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const json = (items: { json: unknown }[]) => items.map((i) => i.json as Json);

beforeAll(async () => {
	t = await createTestDb('routing');
});
afterAll(async () => {
	await t.drop();
	await closeAllPools();
});
beforeEach(async () => {
	await q('TRUNCATE webhook_events, notifications, error_logs, application_logs, mentors, students, trainings, lessons, mapping RESTART IDENTITY');
});

const MARIA = { email: 'maria@school.ru', telegram_id: 1001, first_name: 'Мария' };
const PETR = { email: 'petr@school.ru', telegram_id: 1002, first_name: 'Пётр' };
const IVAN = { user_id: '45678901', email: 'ivan@example.ru', first_name: 'Иван', last_name: 'Петров' };

describe('who the mentor is, how to reach them', () => {
	it('late reference data: student and mapping added after the event (valid from now) are used, and the fallback is recorded', async () => {
		await seedReference(t.db, { mentors: [MARIA], students: [], mapping: [] });
		await store([processCall({ answer_id: '1', event_date: '2025-12-20 14:03:11' })]);
		const [none, unresolved] = await resolve();
		expect(none).toHaveLength(0);
		expect(json(unresolved)[0]).toMatchObject({ problemCode: 'student_not_found', fix: expect.stringMatching(/Reference Data/) });
		// staff add the student and the mapping the documented way: valid from now
		await q(`INSERT INTO students (user_id, email, first_name) VALUES ('45678901', 'ivan@example.ru', 'Иван')`);
		await q(`INSERT INTO mapping (student_email, mentor_email, training_id) VALUES ('ivan@example.ru', 'maria@school.ru', NULL)`);
		await due();
		const [resolved] = await resolve();
		expect(json(resolved)[0]).toMatchObject({ mentor: { telegramId: '1001' }, notes: expect.arrayContaining([expect.stringMatching(/^student: no row valid at the event date/), expect.stringMatching(/^mapping: /)]) });
		const [event] = await q(`SELECT resolution_note FROM webhook_events`);
		expect(event.resolution_note).toMatch(/student: .*mapping: /);
		const logs = await q(`SELECT level, message FROM application_logs WHERE message LIKE 'fallback%'`);
		expect(logs).toHaveLength(2);
	});

	it('contact data comes from the mentor\'s row valid now: a new telegram_id reaches waiting and earlier events', async () => {
		await seedReference(t.db, {
			mentors: [{ email: 'maria@school.ru', telegram_id: null, first_name: 'Мария', valid_to: '2026-01-01T00:00:00Z' }],
			students: [IVAN],
			mapping: [{ student_email: IVAN.email, mentor_email: MARIA.email }],
		});
		await q(`INSERT INTO mentors (email, first_name, telegram_id, valid_from) VALUES ('maria@school.ru', 'Мария', NULL, '2026-01-01')`);
		await store([processCall({ answer_id: '1', event_date: '2025-12-20 14:03:11' })]);
		const [, problem] = await resolve();
		expect(json(problem)[0]).toMatchObject({ problemCode: 'mentor_no_telegram' });
		// a new version of the mentor, from now, with the chat
		await q(`UPDATE mentors SET valid_to = NOW() WHERE valid_to > NOW()`);
		await q(`INSERT INTO mentors (email, first_name, telegram_id) VALUES ('maria@school.ru', 'Мария', 5005)`);
		await due();
		const [resolved] = await resolve();
		expect(json(resolved)[0].mentor).toMatchObject({ telegramId: '5005' });
	});

	it('a mentor whose Telegram account changed gets waiting messages at the new chat', async () => {
		await seedReference(t.db, { mentors: [MARIA], students: [IVAN], mapping: [{ student_email: IVAN.email, mentor_email: MARIA.email }] });
		await store([processCall({ answer_id: '1', event_date: '2025-12-20 14:03:11' })]);
		await q(`UPDATE mentors SET valid_to = NOW()`);
		await q(`INSERT INTO mentors (email, first_name, telegram_id) VALUES ('maria@school.ru', 'Мария', 7007)`);
		const [resolved] = await resolve();
		expect(json(resolved)[0].mentor).toMatchObject({ telegramId: '7007' });
	});

	it('an all-trainings mapping works for a training missing from trainings (name from the payload)', async () => {
		await seedReference(t.db, { mentors: [MARIA], students: [IVAN], mapping: [{ student_email: IVAN.email, mentor_email: MARIA.email, training_id: null }] });
		await store([techApiCall({ training_id: 777777, training_name: 'Новый поток' })]);
		const [resolved] = await resolve();
		expect(json(resolved)[0]).toMatchObject({ mentor: { telegramId: '1001' }, training: { id: '777777', name: 'Новый поток' } });
	});

	it('a training-specific mapping beats an all-trainings one, whatever their order', async () => {
		await seedReference(t.db, {
			mentors: [MARIA, PETR],
			students: [IVAN],
			mapping: [
				{ student_email: IVAN.email, mentor_email: PETR.email, training_id: '889900' },
				{ student_email: IVAN.email, mentor_email: MARIA.email, training_id: null, valid_from: '2024-01-01T00:00:00Z' },
			],
		});
		await store([processCall({ answer_id: '1' }), processCall({ answer_id: '2', answer_training_id: '111' })]);
		const [resolved] = await resolve();
		expect(json(resolved).map((r) => [r.answer.id, r.mentor.telegramId])).toEqual([
			['1', '1002'],
			['2', '1001'],
		]);
	});

	it('an event without a training id takes it from its lesson, so a training-specific mapping applies', async () => {
		await seedReference(t.db, {
			mentors: [PETR],
			students: [IVAN],
			lessons: [{ lesson_id: '2223334', training_id: '889900', name: '2.3 Практика' }],
			mapping: [{ student_email: IVAN.email, mentor_email: PETR.email, training_id: '889900' }],
		});
		await store([processCall({ answer_id: '1', answer_training_id: '' })]);
		const [resolved] = await resolve();
		expect(json(resolved)[0]).toMatchObject({ mentor: { telegramId: '1002' }, training: { id: '889900' }, lesson: { name: '2.3 Практика' } });
	});

	it('two mappings valid at once: latest valid_from, then highest id, and a warning in error_logs', async () => {
		// data from before the overlap guard (init leaves a guard off while rows overlap)
		await q(`ALTER TABLE mapping DROP CONSTRAINT IF EXISTS mapping_student_training_no_overlap`);
		await seedReference(t.db, {
			mentors: [MARIA, PETR],
			students: [IVAN],
			mapping: [
				{ student_email: IVAN.email, mentor_email: MARIA.email, training_id: '889900', valid_from: '2025-01-01T00:00:00Z' },
				{ student_email: IVAN.email, mentor_email: PETR.email, training_id: '889900', valid_from: '2025-06-01T00:00:00Z' },
				{ student_email: IVAN.email, mentor_email: MARIA.email, training_id: '889900', valid_from: '2025-06-01T00:00:00Z' },
			],
		});
		await store([processCall({ answer_id: '1' })]);
		const [resolved] = await resolve();
		expect(json(resolved)[0].mentor.telegramId).toBe('1001'); // ids 2 and 3 share valid_from: 3 wins
		expect(json(resolved)[0].notes).toEqual([expect.stringMatching(/^mapping: rows 1, 2, 3 are valid at the event date at once; used 3 \(latest valid_from, then highest id\)$/)]);
		const warnings = await q(`SELECT level, message FROM error_logs WHERE message LIKE 'overlap%'`);
		expect(warnings).toEqual([{ level: 'warning', message: expect.stringMatching(/rows 1, 2, 3/) }]);
	});

	it('the mapping follows the student across an email change (same GetCourse user id)', async () => {
		await seedReference(t.db, {
			mentors: [MARIA],
			students: [{ ...IVAN, valid_from: '2025-01-01T00:00:00Z' }],
			mapping: [{ student_email: IVAN.email, mentor_email: MARIA.email }],
		});
		await q(`UPDATE students SET valid_to = '2025-11-01'`);
		await q(`INSERT INTO students (user_id, email, first_name, valid_from) VALUES ('45678901', 'ivan.new@example.ru', 'Иван', '2025-11-01')`);
		await store([processCall({ answer_id: '1', user_email: 'ivan.new@example.ru', event_date: '2025-12-20 14:03:11' }), techApiCall()]);
		const [resolved] = await resolve();
		expect(json(resolved).map((r) => [r.student.email, r.mentor.telegramId])).toEqual([
			['ivan.new@example.ru', '1001'],
			['ivan.new@example.ru', '1001'],
		]);
	});
});

describe('one notification per event', () => {
	it('re-running an event after a mentor change queues no second notification', async () => {
		await seedReference(t.db, { mentors: [MARIA, PETR], students: [IVAN], mapping: [{ student_email: IVAN.email, mentor_email: MARIA.email }] });
		await store([processCall({ answer_id: '1' })]);
		const [first] = await resolve();
		expect(json((await create(first))[0])[0]).toMatchObject({ status: 'pending', chatId: '1001' });
		// staff re-run the event after moving the student to Petr
		await q(`UPDATE mapping SET mentor_email = 'petr@school.ru'`);
		await q(`UPDATE webhook_events SET processed = FALSE, processed_at = NULL`);
		const [again] = await resolve();
		expect(json(again)[0].mentor.telegramId).toBe('1002');
		expect(json((await create(again))[0])[0]).toMatchObject({ status: 'duplicate' });
		expect(await q(`SELECT chat_id FROM notifications`)).toEqual([{ chat_id: '1001' }]);
	});

	it('a late "new" that raced a later "accepted" past the store is stale at resolve time, never notified', async () => {
		await seedReference(t.db, { mentors: [MARIA], students: [IVAN], mapping: [{ student_email: IVAN.email, mentor_email: MARIA.email }] });
		await store([processCall({ answer_id: '1', answer_status: 'accepted', event_date: '2025-12-20 15:00:00' })]);
		// a concurrent store that did not see the "accepted" yet left the late "new" waiting
		await q(`INSERT INTO webhook_events (idempotency_key, event_date, user_id, user_email, answer_id, answer_status, answer_training_id)
		         VALUES ('answer:1:new:late', '2025-12-20 11:00:00+00', '45678901', 'ivan@example.ru', '1', 'new', '889900')`);
		const [resolved, unresolved] = await resolve();
		expect(resolved).toHaveLength(0);
		expect(unresolved).toHaveLength(0);
		expect(await q(`SELECT answer_status, processed, skip_reason FROM webhook_events ORDER BY id`)).toEqual([
			{ answer_status: 'accepted', processed: true, skip_reason: 'status' },
			{ answer_status: 'new', processed: true, skip_reason: 'stale' },
		]);
	});

	it('a "new" that arrived before its "accepted" still notifies, even when processed after it (schedules only)', async () => {
		await seedReference(t.db, { mentors: [MARIA], students: [IVAN], mapping: [{ student_email: IVAN.email, mentor_email: MARIA.email }] });
		await store([processCall({ answer_id: '1', event_date: '2025-12-20 14:00:00' })]);
		await store([processCall({ answer_id: '1', answer_status: 'accepted', event_date: '2025-12-20 15:00:00' })]);
		const [resolved] = await resolve();
		expect(json(resolved).map((r) => [r.answer.id, r.answer.status])).toEqual([['1', 'new']]);
	});
});

describe('unresolved events', () => {
	it('come out of the Unresolved output with back-off (1, 2, 5 … minutes) and one staff alert each, not one per retry', async () => {
		await store([processCall({ answer_id: '1', user_id: '999', user_email: 'nobody@example.ru' })]);
		const before = Date.now();
		const [, first] = await resolve();
		const u = json(first)[0];
		expect(u).toMatchObject({ problemCode: 'student_not_found', attempts: 1, maxAttempts: 10, givenUp: false, answerId: '1' });
		expect(new Date(u.nextAttemptAt).getTime() - before).toBeGreaterThanOrEqual(59_000);
		const [row1] = await q(`SELECT extract(epoch FROM locked_until - NOW())::int AS wait FROM webhook_events`);
		expect(row1.wait).toBeGreaterThanOrEqual(55);
		expect(row1.wait).toBeLessThanOrEqual(60);
		const [alert1] = await create(first, { recipient: 'staff', staffChatId: '-100500' });
		expect(json(alert1)[0]).toMatchObject({ status: 'pending', chatId: '-100500', type: 'staff_alert' });
		await due();
		const [, second] = await resolve();
		expect(json(second)[0]).toMatchObject({ attempts: 2 });
		const [row2] = await q(`SELECT extract(epoch FROM locked_until - NOW())::int AS wait FROM webhook_events`);
		expect(row2.wait).toBeGreaterThanOrEqual(115);
		const [alert2] = await create(second, { recipient: 'staff', staffChatId: '-100500' });
		expect(json(alert2)[0]).toMatchObject({ status: 'duplicate' });
		const alerts = await q(`SELECT chat_id, mentor_id, message FROM notifications`);
		expect(alerts).toHaveLength(1);
		expect(alerts[0].mentor_id).toBeNull();
		// in Russian, problem and fix alike
		expect(alerts[0].message).toMatch(/Проблема: ученик не найден: в students нет ученика с GetCourse user id 999 или email nobody@example\.ru\nЧто сделать: добавьте ученика/);
		expect(alerts[0].message).not.toMatch(/student not found|add the student/);
		// the event still waits: the alert does not mark it processed
		expect(await q(`SELECT processed FROM webhook_events`)).toEqual([{ processed: false }]);
	});

	it('without a staff chat the alerts are skipped, not failed', async () => {
		await store([processCall({ answer_id: '1', user_id: '999', user_email: 'nobody@example.ru' })]);
		const [, unresolved] = await resolve();
		const [out] = await create(unresolved, { recipient: 'staff' });
		expect(json(out)[0]).toMatchObject({ status: 'skipped' });
		expect(await q(`SELECT count(*)::int AS n FROM notifications`)).toEqual([{ n: 0 }]);
	});

	it('retry re-queues given-up and waiting events at once (all, or one)', async () => {
		await store([processCall({ answer_id: '1', user_id: '998', user_email: 'a@example.ru' }), processCall({ answer_id: '2', user_id: '999', user_email: 'b@example.ru' })]);
		await resolve({ maxAttempts: 1 });
		expect(await q(`SELECT processed, gave_up_at IS NOT NULL AS gave_up FROM webhook_events ORDER BY id`)).toEqual([
			{ processed: true, gave_up: true },
			{ processed: true, gave_up: true },
		]);
		expect((await retryUnresolved(t.db.pool, '2')).requeued).toEqual(['2']);
		expect(await q(`SELECT id::int, processed FROM webhook_events ORDER BY id`)).toEqual([
			{ id: 1, processed: true },
			{ id: 2, processed: false },
		]);
		// all: the given-up one and the one waiting for its next attempt
		expect((await retryUnresolved(t.db.pool)).requeued).toEqual(['1', '2']);
		expect(await q(`SELECT attempts, locked_until FROM webhook_events`)).toEqual([
			{ attempts: 0, locked_until: null },
			{ attempts: 0, locked_until: null },
		]);
		await seedReference(t.db, { mentors: [MARIA], students: [{ user_id: '998', email: 'a@example.ru' }], mapping: [{ student_email: 'a@example.ru', mentor_email: MARIA.email }] });
		const [resolved] = await resolve();
		expect(json(resolved).map((r) => r.answer.id)).toEqual(['1']);
	});
});

describe('cost', () => {
	it('resolution stays one statement per batch with index lookups on 10,000 events (EXPLAIN)', async () => {
		await q(`INSERT INTO mentors (email, telegram_id, valid_from) SELECT 'm' || i || '@school.ru', 1000 + i, '2000-01-01' FROM generate_series(1, 50) i`);
		await q(`INSERT INTO students (user_id, email, valid_from) SELECT (100000 + i)::text, 's' || i || '@example.ru', '2000-01-01' FROM generate_series(1, 1000) i`);
		await q(`INSERT INTO mapping (student_email, mentor_email, training_id, valid_from) SELECT 's' || i || '@example.ru', 'm' || (i % 50 + 1) || '@school.ru', '889900', '2000-01-01' FROM generate_series(1, 1000) i`);
		await q(
			`INSERT INTO webhook_events (idempotency_key, event_date, user_id, user_email, answer_id, answer_training_id, answer_status)
			 SELECT 'k' || i, NOW() - interval '1 day', (100000 + i % 1000 + 1)::text, '', i::text, '889900', 'new' FROM generate_series(1, 10000) i`,
		);
		await q('ANALYZE');
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const c = new Client(require('../support/pgEnv')());
		await c.connect();
		try {
			await c.query(`SET search_path TO "${t.settings.schema}"`);
			const plan = (await c.query(`EXPLAIN ${CLAIM_AND_RESOLVE_SQL}`, [1000, 300])).rows.map((r) => r['QUERY PLAN']).join('\n');
			// a B-tree index, or the GiST index of the key's overlap guard (exclusion constraint)
			expect(plan).toMatch(/Index Scan using (idx_students_user_id|students_user_id_no_overlap)/);
			expect(plan).toMatch(/(Index Scan using|Bitmap Index Scan on) (idx_mapping_student_training|mapping_student_training_no_overlap)/);
			expect(plan).toMatch(/Index Scan using (idx_students_email|students_email_no_overlap)/);
			expect(plan).toMatch(/idx_webhook_events_answer/);
			expect(plan).toMatch(/Index Scan using idx_webhook_events_unprocessed/);
			// 50 mentors fit in one page, where the planner rightly reads the table
			expect(plan).not.toMatch(/Seq Scan on (students|mapping)\b/);
		} finally {
			await c.end();
		}
	});
});
