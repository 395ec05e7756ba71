import { queueDigests } from '../../lib/review/digest';
import { GetCourseCreateNotification } from '../../nodes/GetCourseCreateNotification/GetCourseCreateNotification.node';
import { GetCourseResolveMentor } from '../../nodes/GetCourseResolveMentor/GetCourseResolveMentor.node';
import { GetCourseReviewClock } from '../../nodes/GetCourseReviewClock/GetCourseReviewClock.node';
import { GetCourseSendPending } from '../../nodes/GetCourseSendPending/GetCourseSendPending.node';
import { GetCourseStoreEvent } from '../../nodes/GetCourseStoreEvent/GetCourseStoreEvent.node';
import { withDbAndPeer } from '../support/dbAndPeer';
import { seedReference, type TestDb } from '../support/db';
import { processCall, techApiCall } from '../support/fixtures';
import { runNode } from '../support/nodeContext';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createTelegramPeer } = require('../support/telegram-peer');

/**
 * The review clock's rules on real PostgreSQL (SPEC §13): reviews open when a mentor is notified
 * of an answer and close when GetCourse says it was checked; deadlines, one reminder, one
 * escalation, digests. Time passes by moving the reviews' dates back, never by sleeping.
 */

const TOKEN = '123456789:AAEfakeTokenForReviewClockTests_x';
const SCHOOL = 'https://school.getcourse.ru';
const STAFF = '-100777';
const peer = createTelegramPeer({ token: TOKEN });
let peerUrl: string;
let t: TestDb;
const q = async (sql: string, v: unknown[] = []) => (await t.db.pool.query(sql, v)).rows;
const creds = () => ({ getCourseBotPostgres: t.credential as never });

const store = (items: Array<{ json: unknown }>) => runNode(new GetCourseStoreEvent(), { items: items as never, credentials: creds() });
/** Resolve Mentor → Create Notification, as the pipeline runs them (the button on). */
async function notify(): Promise<void> {
	const [resolved] = await runNode(new GetCourseResolveMentor(), { credentials: creds() });
	if (resolved.length) await runNode(new GetCourseCreateNotification(), { items: resolved, parameters: { schoolAddress: SCHOOL }, credentials: creds() });
}
const clock = (parameters: Record<string, unknown> = {}) =>
	runNode(new GetCourseReviewClock(), {
		parameters: { operation: 'remind', staffChatId: STAFF, schoolAddress: SCHOOL, ...parameters },
		credentials: creds(),
	}).then((r) => r[0][0].json as Record<string, number | string | null>);
const reviews = () =>
	q(`SELECT id::int, event_id::int, answer_id, is_resubmission, mentor_email, student_name, lesson_name, training_name, opened_at, deadline_at,
	          escalate_at, review_hours::float AS review_hours, reminded_at, escalated_at, closed_at, closed_by, closed_by_event_id::int
	     FROM reviews ORDER BY id`);
const notes = (type: string) => q(`SELECT id::int, mentor_id::int, chat_id, message, reply_markup, webhook_event_id::int FROM notifications WHERE type = $1 ORDER BY id`, [type]);
/** Moves a review's clock: its deadline (and escalation) this many minutes in the past. */
const pastDeadline = (answerId: string, minutes: number, escalateMinutes?: number) =>
	q(
		`UPDATE reviews SET deadline_at = NOW() - make_interval(mins => $2), escalate_at = CASE WHEN $3::int IS NULL THEN NOW() + interval '1 hour' ELSE NOW() - make_interval(mins => $3::int) END
		  WHERE answer_id = $1 AND closed_at IS NULL`,
		[answerId, minutes, escalateMinutes ?? null],
	);

withDbAndPeer('review', peer, 'webhook_events, notifications, reviews, error_logs, application_logs, mentors, students, trainings, lessons, mapping', (db, url) => {
	t = db;
	peerUrl = url;
});
beforeEach(async () => {
	await seedReference(t.db, {
		mentors: [
			{ email: 'Maria@School.ru', telegram_id: 1001, first_name: 'Мария' },
			{ email: 'petr@school.ru', telegram_id: 1002, first_name: 'Пётр' },
		],
		students: [
			{ user_id: '45678901', email: 'ivan@example.ru', first_name: 'Иван', last_name: 'Петров' },
			{ user_id: '555', email: 'olga@example.ru', first_name: 'Ольга', last_name: 'Сидорова' },
		],
		trainings: [
			{ training_id: '889900', name: 'Поток весна' },
			{ training_id: '777', name: 'Интенсив' },
		],
		lessons: [{ lesson_id: '2223334', training_id: '889900', name: '2.3 Практика' }],
		mapping: [
			{ student_email: 'ivan@example.ru', mentor_email: 'maria@school.ru', training_id: null },
			{ student_email: 'olga@example.ru', mentor_email: 'petr@school.ru', training_id: null },
		],
	});
});

describe('a review opens when the mentor is notified of an answer', () => {
	it('one review per notified answer, with mentor, student, training, lesson and the receipt time; comments and staff alerts open none', async () => {
		await store([processCall({ answer_id: 'A1' }), processCall({ answer_id: 'C1', comment_id: '9001', comment_text: 'Вопрос по заданию' })]);
		await notify();
		expect((await q(`SELECT type, count(*)::int AS n FROM notifications GROUP BY type`))).toEqual([{ type: 'homework_submitted', n: 2 }]);
		const r = await reviews();
		expect(r).toHaveLength(1);
		const [event] = await q(`SELECT id::int, created_at FROM webhook_events WHERE answer_id = 'A1'`);
		expect(r[0]).toMatchObject({
			event_id: event.id,
			answer_id: 'A1',
			mentor_email: 'maria@school.ru',
			student_name: 'Иван Петров',
			lesson_name: '2.3 Практика',
			training_name: 'Поток весна',
			deadline_at: null,
			closed_at: null,
		});
		// the clock starts at the receipt (the call's event_date, 2025-12-20, may be the answer's first hand-in)
		expect(r[0].opened_at).toEqual(event.created_at);
		// a staff alert, a second Create Notification of the same events: nothing new
		await q(`INSERT INTO notifications (webhook_event_id, mentor_id, chat_id, type, message, message_hash) VALUES ($1, NULL, $2, 'staff_alert', 'x', 'h-staff')`, [event.id, STAFF]);
		const [resolvedAgain] = await runNode(new GetCourseResolveMentor(), { credentials: creds() });
		expect(resolvedAgain).toHaveLength(0);
		expect(await reviews()).toHaveLength(1);
	});

	it("the mentor's notification carries the «Открыть урок» button", async () => {
		await store([processCall({ answer_id: 'A2' })]);
		await notify();
		const [n] = await notes('homework_submitted');
		expect(n.reply_markup).toEqual({ inline_keyboard: [[{ text: 'Открыть урок', url: `${SCHOOL}/pl/teach/control/lesson/view?id=2223334` }]] });
		const [sent] = await runNode(new GetCourseSendPending(), {
			parameters: { maxRunSeconds: 10 },
			credentials: { ...creds(), getCourseBotTelegramApi: { accessToken: TOKEN, baseUrl: peerUrl } },
		});
		expect(sent.map((s) => s.json.status)).toEqual(['sent']);
		expect(peer.messages[0].reply_markup).toEqual(n.reply_markup);
	});
});

describe('the deadline', () => {
	it('Check Within hours from the receipt; a training with review_hours uses its own; fractions', async () => {
		await q(`UPDATE trainings SET review_hours = 2.5 WHERE training_id = '777'`);
		await store([processCall({ answer_id: 'D1' }), processCall({ answer_id: 'D2', answer_training_id: '777' })]);
		await notify();
		const out = await clock({ checkWithinHours: 0.05 });
		expect(out).toMatchObject({ deadlinesSet: 2, reminders: 0, escalations: 0 });
		const [d1, d2] = await reviews();
		expect(d1.review_hours).toBe(0.05);
		expect(d1.deadline_at.getTime() - d1.opened_at.getTime()).toBe(3 * 60_000);
		expect(d1.escalate_at.getTime() - d1.opened_at.getTime()).toBe(6 * 60_000);
		expect(d2.review_hours).toBe(2.5);
		expect(d2.deadline_at.getTime() - d2.opened_at.getTime()).toBe(2.5 * 3600_000);
		// a deadline is given once: changing Check Within does not move it
		await clock({ checkWithinHours: 48 });
		expect((await reviews())[0].deadline_at).toEqual(d1.deadline_at);
	});

	it('within working hours the clock stands still at night and at the weekend', async () => {
		await store([processCall({ answer_id: 'W1' })]);
		await notify();
		// handed in on Friday 2026-03-06 at 19:00 Moscow time
		await q(`UPDATE reviews SET opened_at = '2026-03-06 19:00:00+03'`);
		await clock({ checkWithinHours: 3, workingHoursOnly: true, workingDays: ['1', '2', '3', '4', '5'], workingDayStart: '10:00', workingDayEnd: '20:00' });
		const [w] = await reviews();
		expect(w.deadline_at.toISOString()).toBe(new Date('2026-03-09T12:00:00+03:00').toISOString()); // Monday 12:00
		expect(w.escalate_at.toISOString()).toBe(new Date('2026-03-09T15:00:00+03:00').toISOString());
	});

	it('bad settings fail the run with the reason', async () => {
		await expect(clock({ checkWithinHours: 0 })).rejects.toThrow(/Check Within \(Hours\) must be a number of hours above 0/);
		await expect(clock({ workingHoursOnly: true, workingDayStart: '20:00', workingDayEnd: '10:00' })).rejects.toThrow(/must start before it ends/);
		await expect(clock({ schoolAddress: 'school.getcourse.ru' })).rejects.toThrow(/School Address "school.getcourse.ru" is not an address/);
		await expect(clock({ staffChatId: 'staff room' })).rejects.toThrow(/Staff Chat ID "staff room" is not a Telegram chat id/);
	});
});

describe('one reminder, one escalation', () => {
	it('past the deadline: exactly one reminder to the mentor (student, lesson, how long, a button); past twice the deadline: one escalation to the staff chat', async () => {
		await store([processCall({ answer_id: 'R1' })]);
		await notify();
		await clock();
		await pastDeadline('R1', 5);
		expect(await clock()).toMatchObject({ reminders: 1, escalations: 0 });
		for (let i = 0; i < 3; i++) expect(await clock()).toMatchObject({ reminders: 0, escalations: 0 });
		const [reminder] = await notes('review_reminder');
		const [event] = await q(`SELECT id::int FROM webhook_events WHERE answer_id = 'R1'`);
		expect(reminder).toMatchObject({ chat_id: '1001', mentor_id: 1, webhook_event_id: event.id });
		expect(reminder.message).toContain('Ответ ждёт проверки');
		expect(reminder.message).toContain('Студент: Иван Петров (ivan@example.ru)');
		expect(reminder.message).toContain('Урок: 2.3 Практика');
		expect(reminder.message).toMatch(/Ждёт: (меньше минуты|\d+ мин)/);
		expect(reminder.reply_markup.inline_keyboard[0][0]).toEqual({ text: 'Открыть урок', url: `${SCHOOL}/pl/teach/control/lesson/view?id=2223334` });

		await pastDeadline('R1', 70, 10);
		await q(`UPDATE reviews SET opened_at = NOW() - interval '2 hours 5 minutes' WHERE answer_id = 'R1'`);
		expect(await clock()).toMatchObject({ reminders: 0, escalations: 1 });
		expect(await clock()).toMatchObject({ reminders: 0, escalations: 0 });
		const [escalation] = await notes('review_escalation');
		expect(escalation).toMatchObject({ chat_id: STAFF, mentor_id: null, reply_markup: null });
		expect(escalation.message).toContain('Ответ не проверен вовремя');
		expect(escalation.message).toContain('Наставник: Мария (maria@school.ru)');
		expect(escalation.message).toContain('Студент: Иван Петров');
		expect(escalation.message).toContain('ждёт 2 ч 5 мин');
		const [r] = await reviews();
		expect(r.reminded_at).not.toBeNull();
		expect(r.escalated_at).not.toBeNull();
	});

	it('no Staff Chat ID: no escalation (it comes once one is set)', async () => {
		await store([processCall({ answer_id: 'R2' })]);
		await notify();
		await clock();
		await pastDeadline('R2', 200, 100);
		expect(await clock({ staffChatId: '' })).toMatchObject({ reminders: 1, escalations: 0, escalationsSkipped: 'no Staff Chat ID set' });
		expect(await clock()).toMatchObject({ reminders: 0, escalations: 1 });
	});

	it('the reminder goes to the telegram_id the mentor has now', async () => {
		await store([processCall({ answer_id: 'R3' })]);
		await notify();
		await clock();
		await q(`UPDATE mentors SET valid_to = NOW() WHERE email = 'Maria@School.ru'`);
		await q(`INSERT INTO mentors (email, first_name, telegram_id, valid_from) VALUES ('maria@school.ru', 'Мария', 2001, NOW())`);
		await pastDeadline('R3', 1);
		await clock();
		expect((await notes('review_reminder')).map((n) => n.chat_id)).toEqual(['2001']);
	});

	it('parallel runs queue one reminder per review', async () => {
		await store(Array.from({ length: 60 }, (_, i) => processCall({ answer_id: `P${i}` })));
		await notify();
		await clock();
		await q(`UPDATE reviews SET deadline_at = NOW() - interval '1 minute', escalate_at = NOW() - interval '1 second'`);
		const runs = await Promise.all([clock({ remindOptions: { batchSize: 7 } }), clock({ remindOptions: { batchSize: 11 } }), clock({ remindOptions: { batchSize: 60 } })]);
		expect(runs.reduce((s, r) => s + Number(r.reminders), 0)).toBe(60);
		expect(runs.reduce((s, r) => s + Number(r.escalations), 0)).toBe(60);
		expect(await q(`SELECT type, count(*)::int AS n, count(DISTINCT webhook_event_id)::int AS events FROM notifications GROUP BY type ORDER BY type`)).toEqual([
			{ type: 'homework_submitted', n: 60, events: 60 },
			{ type: 'review_escalation', n: 60, events: 60 },
			{ type: 'review_reminder', n: 60, events: 60 },
		]);
	});

	it('a deadline that passed while the clock was off for longer than the catch-up window sends nothing', async () => {
		await store([processCall({ answer_id: 'O1' }), processCall({ answer_id: 'O2' })]);
		await notify();
		await clock();
		await q(`UPDATE reviews SET deadline_at = NOW() - interval '9 days', escalate_at = NOW() - interval '8 days' WHERE answer_id = 'O1'`);
		await pastDeadline('O2', 1);
		expect(await clock()).toMatchObject({ reminders: 1, escalations: 0 });
		expect(await clock({ remindOptions: { catchUpHours: 24 * 10 } })).toMatchObject({ reminders: 1, escalations: 1 });
	});
});

describe('a review closes when GetCourse says the answer was checked', () => {
	it('accepted (a "Вызвать URL" call) or declined (Tech API) closes it: no reminder, no escalation', async () => {
		await store([processCall({ answer_id: 'K1' }), techApiCall({ id: "'K2'" })]);
		await notify();
		await clock();
		await store([processCall({ answer_id: 'K1', answer_status: 'accepted', answer_text: '' })]);
		await store([techApiCall({ id: "'K2'", status: 'declined' }, { ts64: 1770109611 })]);
		const r = await reviews();
		expect(r.map((x) => [x.answer_id, x.closed_by])).toEqual([
			['K1', 'accepted'],
			['K2', 'declined'],
		]);
		const closers = await q(`SELECT id::int, created_at FROM webhook_events WHERE answer_status IN ('accepted', 'declined') ORDER BY id`);
		expect(r.map((x) => x.closed_by_event_id)).toEqual(closers.map((c) => c.id));
		expect(r[0].closed_at).toEqual(closers[0].created_at);
		await q(`UPDATE reviews SET deadline_at = NOW() - interval '1 hour', escalate_at = NOW() - interval '1 minute'`);
		expect(await clock()).toMatchObject({ reminders: 0, escalations: 0 });
	});

	it("a staff comment (skip_reason 'staff_comment', stored or marked later) closes it; the student's own comment does not", async () => {
		await store([processCall({ answer_id: 'S1' }), processCall({ answer_id: 'S2' })]);
		await notify();
		// the student asks a question: still open
		await store([processCall({ answer_id: 'S1', comment_id: '501', comment_text: 'А можно так?' })]);
		expect((await reviews()).map((r) => r.closed_by)).toEqual([null, null]);
		// as the comment rules store a mentor's reply: processed, skip_reason staff_comment
		await q(
			`INSERT INTO webhook_events (idempotency_key, event_date, user_id, answer_id, event_kind, comment_id, answer_status, skip_reason, processed, processed_at)
			 VALUES ('comment:502', NOW(), '45678901', 'S1', 'comment', '502', 'comment', 'staff_comment', TRUE, NOW())`,
		);
		// a comment found to be the mentor's after it was stored
		await q(
			`INSERT INTO webhook_events (idempotency_key, event_date, user_id, answer_id, event_kind, comment_id, answer_status)
			 VALUES ('comment:503', NOW(), '45678901', 'S2', 'comment', '503', 'comment')`,
		);
		expect((await reviews()).map((r) => r.closed_by)).toEqual(['staff_comment', null]);
		await q(`UPDATE webhook_events SET skip_reason = 'staff_comment', processed = TRUE WHERE comment_id = '503'`);
		expect((await reviews()).map((r) => r.closed_by)).toEqual(['staff_comment', 'staff_comment']);
	});

	it('a resubmission closes the earlier review and restarts the clock with its own', async () => {
		await store([processCall({ answer_id: 'N1', answer_text: 'первая версия' })]);
		await notify();
		await clock();
		await q(`UPDATE reviews SET opened_at = NOW() - interval '30 hours', deadline_at = NOW() - interval '6 hours', escalate_at = NOW() + interval '1 hour'`);
		const [first] = await reviews();
		await store([processCall({ answer_id: 'N1', answer_text: 'исправил' })]);
		const [event] = await q(`SELECT id::int, is_resubmission FROM webhook_events WHERE answer_text = 'исправил'`);
		expect(event.is_resubmission).toBe(true);
		expect((await reviews())[0]).toMatchObject({ closed_by: 'resubmission', closed_by_event_id: event.id });
		await notify();
		await clock();
		const [, second] = await reviews();
		expect(second).toMatchObject({ event_id: event.id, is_resubmission: true, closed_at: null });
		expect(second.opened_at.getTime()).toBeGreaterThan(first.deadline_at.getTime());
		expect(second.deadline_at.getTime() - second.opened_at.getTime()).toBe(24 * 3600_000);
		expect(await clock()).toMatchObject({ reminders: 0 }); // the first one's deadline had passed: it is closed
		await pastDeadline('N1', 1);
		expect(await clock()).toMatchObject({ reminders: 1 });
		expect((await notes('review_reminder'))[0].message).toContain('Повторная сдача ждёт проверки');
	});

	it('a stale status (dated before the answer it would close) closes nothing', async () => {
		await store([processCall({ answer_id: 'T1', event_date: '2026-02-03 12:00:00' })]);
		await notify();
		await store([processCall({ answer_id: 'T1', answer_status: 'declined', event_date: '2026-02-01 12:00:00' })]);
		expect(await q(`SELECT processed FROM webhook_events WHERE answer_status = 'declined'`)).toEqual([{ processed: true }]);
		expect((await reviews())[0].closed_at).toBeNull();
		// the same status dated at or after the answer closes it
		await store([processCall({ answer_id: 'T1', answer_status: 'declined', event_date: '2026-02-03 12:00:00' })]);
		expect((await reviews())[0].closed_by).toBe('declined');
	});

	it('an answer checked before its notification was queued (it waited for reference data) opens already closed', async () => {
		await store([processCall({ answer_id: 'L1', user_id: '777', user_email: 'late@example.ru' })]);
		await notify(); // nobody to route it to yet
		await store([processCall({ answer_id: 'L1', user_id: '777', user_email: 'late@example.ru', answer_status: 'accepted' })]);
		await q(`INSERT INTO students (user_id, email, valid_from) VALUES ('777', 'late@example.ru', '2000-01-01')`);
		await q(`INSERT INTO mapping (student_email, mentor_email, valid_from) VALUES ('late@example.ru', 'petr@school.ru', '2000-01-01')`);
		await q(`UPDATE webhook_events SET locked_until = NULL WHERE answer_id = 'L1'`); // its retry is due
		await notify();
		const [r] = await reviews();
		expect(r).toMatchObject({ answer_id: 'L1', closed_by: 'accepted' });
		await q(`UPDATE reviews SET deadline_at = NOW() - interval '1 hour'`);
		expect(await clock()).toMatchObject({ reminders: 0 });
	});
});

describe('the daily digest', () => {
	it("per mentor with open reviews, oldest first, once a school day, not before the hour; none for a mentor with nothing open", async () => {
		await store([processCall({ answer_id: 'G1' }), processCall({ answer_id: 'G2' }), processCall({ answer_id: 'G3', user_id: '555', user_email: 'olga@example.ru' })]);
		await notify();
		await q(`UPDATE reviews SET opened_at = NOW() - interval '3 hours' WHERE answer_id = 'G2'`);
		await q(`UPDATE reviews SET opened_at = NOW() - interval '1 hour', deadline_at = NOW() - interval '1 minute' WHERE answer_id = 'G1'`);
		await store([processCall({ answer_id: 'G3', user_id: '555', user_email: 'olga@example.ru', answer_status: 'accepted' })]);
		const link = { schoolAddress: SCHOOL, linkTemplate: '{school}/pl/teach/control/lesson/view?id={lesson_id}' };
		const early = await queueDigests(t.db.pool, { timeZone: 'Europe/Moscow', hour: 9, link, now: new Date('2026-03-10T08:59:00+03:00') });
		expect(early).toMatchObject({ skipped: 'before 9:00 (Europe/Moscow)', created: 0 });
		const nine = await queueDigests(t.db.pool, { timeZone: 'Europe/Moscow', hour: 9, link, now: new Date('2026-03-10T09:00:00+03:00') });
		expect(nine).toMatchObject({ date: '2026-03-10', skipped: null, mentors: 1, created: 1 });
		const later = await queueDigests(t.db.pool, { timeZone: 'Europe/Moscow', hour: 9, link, now: new Date('2026-03-10T15:00:00+03:00') });
		expect(later).toMatchObject({ mentors: 1, created: 0 });
		const [d] = await notes('review_digest');
		expect(d.chat_id).toBe('1001');
		expect(d.message).toContain('Ответы ждут проверки: 2');
		const lines = d.message.split('\n').filter((l: string) => /^\d+\./.test(l));
		expect(lines).toHaveLength(2);
		expect(lines[0]).toMatch(/^1\. Иван Петров .* ждёт 3 ч/); // G2, the oldest
		expect(lines[1]).toMatch(/^2\. ⏰ Иван Петров .* ждёт 1 ч/); // G1, past its deadline
		expect(d.reply_markup.inline_keyboard).toHaveLength(2);
		const next = await queueDigests(t.db.pool, { timeZone: 'Europe/Moscow', hour: 9, link, now: new Date('2026-03-11T09:30:00+03:00') });
		expect(next).toMatchObject({ date: '2026-03-11', created: 1 });
	});
});
