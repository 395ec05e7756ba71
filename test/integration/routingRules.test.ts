/**
 * SPEC §9 on real PostgreSQL: never a guess, a departed mentor, internationalised emails and
 * comments routed by their student, with the staff alert each problem raises (in Russian).
 */
import { closeAllPools } from '../../lib/db/pool';
import { closeReferenceIn } from '../../lib/reference/close';
import { syncReferenceData } from '../../lib/reference/sync';
import { GetCourseCreateNotification } from '../../nodes/GetCourseCreateNotification/GetCourseCreateNotification.node';
import { GetCourseReferenceData } from '../../nodes/GetCourseReferenceData/GetCourseReferenceData.node';
import { GetCourseResolveMentor } from '../../nodes/GetCourseResolveMentor/GetCourseResolveMentor.node';
import { GetCourseStoreEvent } from '../../nodes/GetCourseStoreEvent/GetCourseStoreEvent.node';
import { createTestDb, seedReference, type TestDb } from '../support/db';
import { processCall, techApiCall } from '../support/fixtures';
import { runNode } from '../support/nodeContext';

let t: TestDb;
const q = async (sql: string, v: unknown[] = []) => (await t.db.pool.query(sql, v)).rows;
const creds = () => ({ getCourseBotPostgres: t.credential as never });
const store = (items: ReturnType<typeof processCall>[]) => runNode(new GetCourseStoreEvent(), { items, credentials: creds() });
const resolve = () => runNode(new GetCourseResolveMentor(), { credentials: creds() });
const alert = (items: { json: unknown }[]) =>
	runNode(new GetCourseCreateNotification(), { items: items as never, parameters: { recipient: 'staff', staffChatId: '-100500' }, credentials: creds() });
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const json = (items: { json: unknown }[]) => items.map((i) => i.json as Json);

const MARIA = { email: 'maria@school.ru', telegram_id: 1001, first_name: 'Мария' };
const PETR = { email: 'petr@school.ru', telegram_id: 1002, first_name: 'Пётр' };
const IVAN = { user_id: '45678901', email: 'ivan@example.ru', first_name: 'Иван', last_name: 'Петров' };

beforeAll(async () => {
	t = await createTestDb('routing_rules');
});
afterAll(async () => {
	await t.drop();
	await closeAllPools();
});
beforeEach(async () => {
	await q('TRUNCATE webhook_events, notifications, error_logs, application_logs, mentors, students, trainings, lessons, mapping RESTART IDENTITY');
});

describe('3. never a guess (before: an event naming no training went to one of the mentors: a NULL training matched every mapping)', () => {
	const twoMentors = () =>
		seedReference(t.db, {
			mentors: [MARIA, PETR],
			students: [IVAN],
			mapping: [
				{ student_email: IVAN.email, mentor_email: MARIA.email, training_id: '889900' },
				{ student_email: IVAN.email, mentor_email: PETR.email, training_id: '111111' },
			],
		});

	it('no training id, an unknown lesson and two mentors at that date: unresolved ambiguous_mentor naming both, one Russian staff alert', async () => {
		await twoMentors();
		await store([processCall({ answer_id: '1', answer_training_id: '', answer_lesson_id: '999' })]);
		const [resolved, unresolved] = await resolve();
		expect(resolved).toHaveLength(0);
		const u = json(unresolved)[0];
		expect(u).toMatchObject({
			problemCode: 'ambiguous_mentor',
			candidates: ['maria@school.ru', 'petr@school.ru'],
			problem: 'ambiguous mentor: student ivan@example.ru has 2 mentors at the event date (maria@school.ru, petr@school.ru) and the event names no training and lesson 999 is not in lessons',
		});
		const [out] = await alert(unresolved);
		expect(json(out)[0]).toMatchObject({ status: 'pending', type: 'staff_alert' });
		const [n] = await q(`SELECT message FROM notifications`);
		expect(n.message).toContain('Проблема: неясно, какому наставнику писать: у ученика ivan@example.ru на дату события 2 наставника (maria@school.ru, petr@school.ru), а событие не называет тренинг, а урока 999 нет в lessons');
		expect(n.message).toContain('Что сделать: передавайте тренинг в вызове (answer_training_id={object.training_id}');
		expect(n.message).toContain('«getcourse-bot retry --event 1»');
		const [e] = await q(`SELECT processed, error_message FROM webhook_events`);
		expect(e).toMatchObject({ processed: false, error_message: expect.stringMatching(/^ambiguous mentor/) });
	});

	it('the training comes from the lesson when it is known; with one mentor only, that mentor is used', async () => {
		await twoMentors();
		await q(`INSERT INTO lessons (lesson_id, training_id, name, valid_from) VALUES ('2223334', '111111', 'Урок', '2000-01-01')`);
		await store([processCall({ answer_id: '1', answer_training_id: '' })]);
		expect(json((await resolve())[0])[0].mentor.telegramId).toBe('1002');
		await q(`TRUNCATE mapping, lessons, webhook_events RESTART IDENTITY`);
		await seedReference(t.db, { mentors: [], students: [], mapping: [{ student_email: IVAN.email, mentor_email: MARIA.email, training_id: '889900' }] });
		await store([processCall({ answer_id: '2', answer_training_id: '', answer_lesson_id: '' })]);
		expect(json((await resolve())[0])[0].mentor.telegramId).toBe('1001');
	});

	it('an all-trainings mapping and a training mapping to the same mentor are one candidate', async () => {
		await seedReference(t.db, {
			mentors: [MARIA],
			students: [IVAN],
			mapping: [
				{ student_email: IVAN.email, mentor_email: MARIA.email, training_id: null },
				{ student_email: IVAN.email, mentor_email: 'MARIA@school.ru', training_id: '889900' },
			],
		});
		await store([processCall({ answer_id: '1', answer_training_id: '', answer_lesson_id: '' })]);
		expect(json((await resolve())[0])[0].mentor.telegramId).toBe('1001');
	});
});

describe('8. a departed mentor (before: "mentor … is not in mentors", inviting staff to re-open them)', () => {
	it('closed with no successor: mentor_departed, "m@x left on DATE: assign the student a new mentor"; Close warns about the mappings still open', async () => {
		await seedReference(t.db, {
			mentors: [{ ...MARIA, valid_from: '2025-01-01T00:00:00Z' }],
			students: [IVAN],
			mapping: [{ student_email: IVAN.email, mentor_email: MARIA.email, training_id: '889900' }],
		});
		const closed = await closeReferenceIn(t.db, { table: 'mentors', key: 'Maria@School.ru', at: new Date('2026-01-15T09:00:00Z') });
		expect(closed.change.action).toBe('closed');
		expect(closed.warnings).toEqual([
			'mentor maria@school.ru is closed, but 1 mapping(s) still send students to them: ivan@example.ru (training 889900). Their answers will be reported as "maria@school.ru left": assign each student a new mentor (Reference Data → Assign Mentor, or "getcourse-bot import mapping")',
		]);
		await store([processCall({ answer_id: '1', event_date: '2026-02-01 10:00:00' })]);
		const [, unresolved] = await resolve();
		const u = json(unresolved)[0];
		expect(u).toMatchObject({ problemCode: 'mentor_departed', problem: 'maria@school.ru left on 2026-01-15: assign the student a new mentor', mentorLeftAt: '2026-01-15T09:00:00.000Z' });
		await alert(unresolved);
		const [n] = await q(`SELECT message FROM notifications`);
		expect(n.message).toContain('Проблема: maria@school.ru больше не наставник (с 15.01.2026): назначьте ученику нового наставника');
		expect(n.message).not.toMatch(/нет в mentors|not in mentors/);
		// an answer handed in while she was the mentor still reaches her (her row valid then)
		await store([processCall({ answer_id: '2', event_date: '2026-01-10 10:00:00' })]);
		expect(json((await resolve())[0])[0]).toMatchObject({ mentor: { email: 'maria@school.ru' }, notes: [expect.stringMatching(/^mentor: no row valid now/)] });
	});

	it('the Close operation of the Reference Data node and an import that closes a mentor say the same; a mentor never seen is still "not in mentors"', async () => {
		await seedReference(t.db, {
			mentors: [MARIA, PETR],
			students: [IVAN],
			mapping: [{ student_email: IVAN.email, mentor_email: PETR.email, training_id: null }],
		});
		const [out] = await runNode(new GetCourseReferenceData(), {
			parameters: { operation: 'close', table: 'mentors', key: PETR.email, dryRun: true },
			credentials: creds(),
		});
		expect(out[0].json).toMatchObject({ action: 'closed', dryRun: true, warnings: [expect.stringMatching(/^mentor petr@school\.ru is closed, but 1 mapping\(s\) still send students to them: ivan@example\.ru \(every training\)/)] });
		const sync = await syncReferenceData(t.db, [{ email: MARIA.email, first_name: 'Мария', telegram_id: '1001' }], { table: 'mentors', timeZone: 'UTC', closeMissing: true, dryRun: true });
		expect(sync.warnings).toEqual([expect.stringMatching(/^mentor petr@school\.ru is closed, but 1 mapping/)]);
		// a mapping to somebody who was never in mentors
		await q(`UPDATE mapping SET mentor_email = 'ghost@school.ru'`);
		await store([processCall({ answer_id: '1' })]);
		expect(json((await resolve())[1])[0]).toMatchObject({ problemCode: 'mentor_unknown' });
	});
});

describe('6. internationalised emails, compared normalised (before: refused with 422)', () => {
	it('a student imported as Ученица@Почта.РФ is found by a call carrying ученица@xn--80a1acny.xn--p1ai and no user id', async () => {
		await seedReference(t.db, { mentors: [MARIA], students: [], mapping: [] });
		const s = await syncReferenceData(t.db, [{ user_id: '', email: ' Ученица@Почта.РФ ', first_name: 'Алиса' }], { table: 'students', timeZone: 'UTC' });
		expect(s.rejected).toEqual([]);
		await syncReferenceData(t.db, [{ student_email: 'УЧЕНИЦА@xn--80a1acny.xn--p1ai', mentor_email: 'Maria@School.RU', training_id: '' }], { table: 'mapping', timeZone: 'UTC' });
		expect(await q(`SELECT email FROM students`)).toEqual([{ email: 'ученица@почта.рф' }]);
		expect(await q(`SELECT student_email, mentor_email FROM mapping`)).toEqual([{ student_email: 'ученица@почта.рф', mentor_email: 'maria@school.ru' }]);
		const [stored] = await store([processCall({ answer_id: '1', user_id: '', user_email: 'ученица@xn--80a1acny.xn--p1ai' })]);
		expect(stored[0].json).toMatchObject({ status: 'stored' });
		const [resolved] = await resolve();
		expect(json(resolved)[0]).toMatchObject({ student: { email: 'ученица@почта.рф', name: 'Алиса' }, mentor: { telegramId: '1001' } });
	});
});

describe("4. a comment is routed by its student, the answer's owner", () => {
	it("the student's comment reaches the student's mentor; the mentor's own reply is never claimed", async () => {
		await seedReference(t.db, { mentors: [MARIA], students: [IVAN], mapping: [{ student_email: IVAN.email, mentor_email: MARIA.email }] });
		const comment = (id: number, author: number) =>
			techApiCall({}, { eventType: 'getcourse/answerCommentCreated', ts64: 1770109600 + id, answer: undefined, comment: { id, answer_id: 700000999, user_id: author, owner_id: 45678901, comment_text: `комментарий ${id}`, lesson_data: { lesson_id: 2223334, training_id: 889900 } } });
		await store([comment(1, 45678901), comment(2, 99000001)]);
		const [resolved, unresolved] = await resolve();
		expect(unresolved).toHaveLength(0);
		expect(json(resolved).map((r) => [r.comment.id, r.mentor.telegramId])).toEqual([['1', '1001']]);
	});
});
