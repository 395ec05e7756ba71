/**
 * SPEC §8 on real PostgreSQL: what one submission is. Each case says what it did before this
 * round (release 0.2's storage, keyed on status + text + date) and what it does now.
 */
import { closeAllPools } from '../../lib/db/pool';
import { storeEvents, type StoreOptions } from '../../lib/store/storeEvents';
import { GetCourseStoreEvent } from '../../nodes/GetCourseStoreEvent/GetCourseStoreEvent.node';
import { createTestDb, type TestDb } from '../support/db';
import { processCall, techApiCall } from '../support/fixtures';
import { runNode } from '../support/nodeContext';

let t: TestDb;
const q = async (sql: string, v: unknown[] = []) => (await t.db.pool.query(sql, v)).rows;
const OPTS: StoreOptions = { timeZone: 'Europe/Moscow', notifyStatuses: ['new'] };
type Call = ReturnType<typeof processCall>;
/** One call, as GetCourse Trigger stores it (one statement per call). */
const store = async (call: Call, opts: Partial<StoreOptions> = {}) => (await storeEvents(t.db.pool, [call.json], { ...OPTS, ...opts }))[0];
/** The README's "Вызвать URL": no answer_text, event_date={object.created_at} (the same on every call of an answer). */
const readmeCall = (over: Record<string, string> = {}) => {
	const c = processCall({ answer_id: '500', answer_status: 'new', event_date: '2026-02-03 15:10:00', ...over });
	if (!('answer_text' in over)) delete (c.json.query as Record<string, string>).answer_text;
	return c;
};
const events = () => q(`SELECT id::int, answer_status, is_resubmission, skip_reason, processed, delivery_count FROM webhook_events ORDER BY id`);

beforeAll(async () => {
	t = await createTestDb('event_rules');
});
afterAll(async () => {
	await t.drop();
	await closeAllPools();
});
beforeEach(async () => {
	await q('TRUNCATE webhook_events, error_logs RESTART IDENTITY');
});

describe('1. a resubmission without text (before: the second "new" was answered duplicate and nobody heard of it)', () => {
	it('new → declined → new with no text and the same date: the second new is a resubmission that notifies; the same call right after is a duplicate', async () => {
		expect(await store(readmeCall())).toMatchObject({ status: 'stored', notify: true, resubmission: false });
		expect(await store(readmeCall({ answer_status: 'declined' }))).toMatchObject({ status: 'stored', notify: false, skipReason: 'status' });
		const again = await store(readmeCall());
		expect(again).toMatchObject({ status: 'stored', notify: true, resubmission: true, skipReason: null });
		const redelivered = await store(readmeCall());
		expect(redelivered).toMatchObject({ status: 'duplicate', eventId: again.eventId, notify: false });
		expect(await events()).toEqual([
			{ id: 1, answer_status: 'new', is_resubmission: false, skip_reason: null, processed: false, delivery_count: 1 },
			{ id: 2, answer_status: 'declined', is_resubmission: false, skip_reason: 'status', processed: true, delivery_count: 1 },
			{ id: 3, answer_status: 'new', is_resubmission: true, skip_reason: null, processed: false, delivery_count: 2 },
		]);
		// one notification per event: the resubmission has a key of its own
		const keys = await q(`SELECT idempotency_key, call_key FROM webhook_events ORDER BY id`);
		expect(keys[2].call_key).toBe(keys[0].idempotency_key);
		expect(keys[2].idempotency_key).toBe(`${keys[0].idempotency_key}#2`);
	});

	it('after accepted, too; and a second accepted after the resubmission is an event of its own', async () => {
		await store(readmeCall());
		await store(readmeCall({ answer_status: 'accepted' }));
		expect(await store(readmeCall())).toMatchObject({ status: 'stored', resubmission: true, notify: true });
		expect(await store(readmeCall({ answer_status: 'accepted' }))).toMatchObject({ status: 'stored', skipReason: 'status' });
		expect((await events()).map((e) => e.answer_status)).toEqual(['new', 'accepted', 'new', 'accepted']);
	});

	it('"viewed" only says a mentor opened it: new → viewed → the same new again is a redelivery of the first', async () => {
		const first = await store(readmeCall());
		await store(readmeCall({ answer_status: 'viewed' }));
		expect(await store(readmeCall())).toMatchObject({ status: 'duplicate', eventId: first.eventId });
		expect(await store(readmeCall({ answer_status: 'viewed' }))).toMatchObject({ status: 'duplicate' });
		expect((await events()).map((e) => [e.answer_status, e.delivery_count])).toEqual([
			['new', 2],
			['viewed', 2],
		]);
	});

	it('new text or a new date on a "new" is a resubmission; a redelivery of an older call after a newer one is stored, never notifies', async () => {
		await store(readmeCall({ answer_text: 'Вариант 1' }));
		expect(await store(readmeCall({ answer_text: 'Вариант 2' }))).toMatchObject({ status: 'stored', resubmission: true });
		expect(await store(readmeCall({ answer_text: 'Вариант 2', event_date: '2026-02-04 10:00:00' }))).toMatchObject({ status: 'stored', resubmission: true });
		// Tech API: new (ts64 T), accepted (T+100); then the first call comes again, late
		const newer = (over: Record<string, unknown>, env: Record<string, unknown>) => techApiCall({ id: "'600'", ...over }, env);
		await store(newer({}, { ts64: 1770109000 }));
		await store(newer({ status: 'accepted' }, { ts64: 1770109100 }));
		expect(await store(newer({}, { ts64: 1770109000 }))).toMatchObject({ status: 'stored', notify: false, skipReason: 'stale' });
	});

	it('two identical calls at once are one row, also for a resubmission (the key follows the stored state, the unique index decides)', async () => {
		const burst = async (call: Call) => Promise.all(Array.from({ length: 8 }, () => store(call)));
		const first = await burst(readmeCall());
		expect(first.filter((o) => o.status === 'stored')).toHaveLength(1);
		await store(readmeCall({ answer_status: 'declined' }));
		const resubmitted = await burst(readmeCall());
		expect(resubmitted.filter((o) => o.status === 'stored')).toHaveLength(1);
		expect(new Set(resubmitted.map((o) => o.eventId)).size).toBe(1);
		expect((await events()).map((e) => [e.answer_status, e.is_resubmission, e.delivery_count])).toEqual([
			['new', false, 8],
			['declined', false, 1],
			['new', true, 8],
		]);
	});

	it('one Store Event batch with new, declined and new again: three events (one statement per round, almost always one round)', async () => {
		const [out] = await runNode(new GetCourseStoreEvent(), {
			items: [readmeCall(), readmeCall(), readmeCall({ answer_status: 'declined' }), readmeCall(), readmeCall({ answer_id: '501' })],
			credentials: { getCourseBotPostgres: t.credential as never },
		});
		expect(out.map((o) => [o.json.status, o.json.resubmission])).toEqual([
			['stored', false],
			['duplicate', false],
			['stored', false],
			['stored', true],
			['stored', false],
		]);
		expect((await events()).map((e) => [e.answer_status, e.delivery_count])).toEqual([
			['new', 2],
			['new', 1],
			['declined', 1],
			['new', 1],
		]);
	});
});

describe('2. a date from the future (before: one call dated years ahead made every later event of its answer stale)', () => {
	it('is replaced by the receipt time, noted on the event, and never makes a later event stale', async () => {
		const before = Date.now();
		const ahead = await store(readmeCall({ event_date: '2031-02-03 15:10:00' }));
		expect(ahead).toMatchObject({ status: 'stored', notify: true });
		const [row] = await q(`SELECT event_date, date_note, raw_payload->>'event_date' AS sent FROM webhook_events`);
		expect(row.event_date.getTime()).toBeGreaterThanOrEqual(before - 1000);
		expect(row.event_date.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
		expect(row.date_note).toMatch(/^event date "2031-02-03 15:10:00" \(2031-02-03T12:10:00\.000Z\) is more than a day after the call arrived: the receipt time is used$/);
		expect(row.sent).toBe('2031-02-03 15:10:00');
		// later events of the answer, with the school's real (earlier) dates
		expect(await store(readmeCall({ answer_status: 'declined', event_date: '2026-02-04 10:00:00' }))).toMatchObject({ status: 'stored', skipReason: 'status' });
		expect(await store(readmeCall({ event_date: '2026-02-05 10:00:00' }))).toMatchObject({ status: 'stored', notify: true, resubmission: true, skipReason: null });
	});

	it('a row stored before this rule with a date years ahead does not make later events stale either', async () => {
		await q(`INSERT INTO webhook_events (idempotency_key, event_date, user_id, user_email, answer_id, answer_status, created_at)
		         VALUES ('answer:500:new:old', '2031-01-01', '45678901', 'ivan@example.ru', '500', 'new', NOW() - interval '1 hour')`);
		expect(await store(readmeCall({ answer_text: 'после ошибки' }))).toMatchObject({ status: 'stored', notify: true, skipReason: null });
	});
});

describe("4. a comment's author (before: the mentor's reply was taken for the student: \"student not found\", retries, alerts)", () => {
	const comment = (id: number, author: number, text: string) =>
		techApiCall({}, {
			eventType: 'getcourse/answerCommentCreated',
			ts64: 1770109600 + id,
			answer: undefined,
			comment: { id, answer_id: "'700000999'", user_id: author, owner_id: 45678901, owner_type_id: 1, comment_text: text, created_at: '2026-02-03 15:20:00', lesson_data: { lesson_id: 2223334, lesson_name: '2.3 Практика', training_id: 889900 } },
		});

	it("a comment by anyone but the student is stored processed (staff_comment): it notifies nobody, raises no alert; the student's own comment notifies", async () => {
		const mentorReply = await store(comment(9001, 99000001, 'Задание принято, отличная работа!'));
		expect(mentorReply).toMatchObject({ status: 'stored', kind: 'comment', notify: false, skipReason: 'staff_comment' });
		const studentQuestion = await store(comment(9002, 45678901, 'А можно уточнить?'));
		expect(studentQuestion).toMatchObject({ status: 'stored', kind: 'comment', notify: true, skipReason: null });
		// comments switched off: staff's own reply still says what it is (the review clock closes on it)
		expect(await store(comment(9003, 99000001, 'Ещё замечание'), { notifyComments: false })).toMatchObject({ skipReason: 'staff_comment' });
		expect(await store(comment(9004, 45678901, 'Спасибо'), { notifyComments: false })).toMatchObject({ skipReason: 'comments_off' });
		expect(await q(`SELECT comment_id, user_id, author_user_id, skip_reason, processed FROM webhook_events ORDER BY id`)).toEqual([
			{ comment_id: '9001', user_id: '45678901', author_user_id: '99000001', skip_reason: 'staff_comment', processed: true },
			{ comment_id: '9002', user_id: '45678901', author_user_id: '45678901', skip_reason: null, processed: false },
			{ comment_id: '9003', user_id: '45678901', author_user_id: '99000001', skip_reason: 'staff_comment', processed: true },
			{ comment_id: '9004', user_id: '45678901', author_user_id: '45678901', skip_reason: 'comments_off', processed: true },
		]);
		expect(await store(comment(9001, 99000001, 'Задание принято, отличная работа!'))).toMatchObject({ status: 'duplicate' });
	});

	it('a process call says the author in comment_user_id', async () => {
		const c = processCall({ comment_id: '9101', comment_text: 'Ответ куратора', comment_user_id: '99000002' });
		expect(await store(c)).toMatchObject({ status: 'stored', skipReason: 'staff_comment' });
	});
});

describe('5. both intake styles at once (before: the process call after the Tech API event was a second "Повторная сдача")', () => {
	const tech = (ts64: number) => techApiCall({ id: "'700'", text: 'Сделал' }, { ts64 });
	const proc = (status = 'new') => readmeCall({ answer_id: '700', answer_status: status, event_date: '2026-02-03 15:10:00' });

	it('the same answer and status within 10 minutes is one event, whichever came first', async () => {
		const a = await store(tech(1770109511));
		expect(await store(proc())).toMatchObject({ status: 'duplicate', eventId: a.eventId });
		// a new status from the other style is news
		expect(await store(proc('accepted'))).toMatchObject({ status: 'stored' });
		expect(await store(techApiCall({ id: "'700'", text: 'Сделал', status: 'accepted' }, { ts64: 1770109999 }))).toMatchObject({ status: 'duplicate' });
		const b = await store(readmeCall({ answer_id: '701' })); // the process call first this time
		expect(await store(techApiCall({ id: "'701'", text: 'x' }, { ts64: 1770109511 }))).toMatchObject({ status: 'duplicate', eventId: b.eventId });
		expect((await events()).map((e) => [e.answer_status, e.delivery_count])).toEqual([
			['new', 2],
			['accepted', 2],
			['new', 2],
		]);
	});

	it('more than 10 minutes apart, or after a declined, it is a new event', async () => {
		await store(tech(1770109511));
		await q(`UPDATE webhook_events SET created_at = NOW() - interval '11 minutes'`);
		expect(await store(proc())).toMatchObject({ status: 'stored', resubmission: true });
		await q('TRUNCATE webhook_events RESTART IDENTITY');
		await store(tech(1770109511));
		await store(proc('declined'));
		expect(await store(proc())).toMatchObject({ status: 'stored', resubmission: true, notify: true });
	});
});

describe('6. internationalised emails (before: 422 "not a valid address")', () => {
	it.each(['ученица@почта.рф', 'иван@mail.ru', 'ученица@xn--80a1acny.xn--p1ai', ' Ученица@ПОЧТА.РФ '])('%j is accepted and stored in one form', async (email) => {
		const out = await store(processCall({ answer_id: `e-${email.trim().length}-${email.charCodeAt(1)}`, user_email: email }));
		expect(out).toMatchObject({ status: 'stored', httpStatus: 200 });
		const [row] = await q(`SELECT user_email FROM webhook_events`);
		expect(row.user_email).toBe(email.includes('mail.ru') ? 'иван@mail.ru' : 'ученица@почта.рф');
	});

	it('a process call needs the user id or the email, not both', async () => {
		expect(await store(processCall({ answer_id: '801', user_id: '' }))).toMatchObject({ status: 'stored' });
		expect(await store(processCall({ answer_id: '802', user_email: '' }))).toMatchObject({ status: 'stored' });
		expect(await store(processCall({ answer_id: '803', user_email: '', user_id: '' }))).toMatchObject({ status: 'invalid', httpStatus: 422 });
	});
});
