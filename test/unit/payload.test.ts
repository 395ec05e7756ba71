import { parseEventDate } from '../../lib/payload/dates';
import { normaliseEvent } from '../../lib/payload/normalise';
import { extractRequest } from '../../lib/payload/request';

const TZ = 'Europe/Moscow';
const techApi = {
	json: {
		ts: '2026-02-03T12:05:11Z',
		ts64: 1770109511,
		gcAccountId: 123456,
		eventType: 'getcourse/lessonAnswerCreated',
		answer: {
			id: "'700000123'",
			type: 'mission_answer',
			status: 'new',
			text: 'Сделал упражнение 2',
			user_id: 45678901,
			lesson_id: 2223334,
			lesson_name: '2.3 Практика',
			training_id: 889900,
			training_name: 'Поток весна',
			created_at: '2026-02-03T12:05:11Z',
			deleted: 0,
			lesson_teacher_id: null,
			questionary: [],
			additional_fields: [{ required: '1' }],
		},
	},
};

describe('dates', () => {
	it('reads GetCourse local time in the school zone', () => {
		expect(parseEventDate('2025-12-20 14:03:11', TZ)?.toISOString()).toBe('2025-12-20T11:03:11.000Z');
		expect(parseEventDate('20.12.2025 14:03', TZ)?.toISOString()).toBe('2025-12-20T11:03:00.000Z');
	});
	it('handles DST zones', () => {
		expect(parseEventDate('2025-07-01 12:00:00', 'Europe/Berlin')?.toISOString()).toBe('2025-07-01T10:00:00.000Z');
		expect(parseEventDate('2025-01-01 12:00:00', 'Europe/Berlin')?.toISOString()).toBe('2025-01-01T11:00:00.000Z');
	});
	it('reads ISO and Unix time', () => {
		expect(parseEventDate('2026-02-03T12:05:11+03:00', TZ)?.toISOString()).toBe('2026-02-03T09:05:11.000Z');
		expect(parseEventDate('1770109511', TZ)?.toISOString()).toBe('2026-02-03T09:05:11.000Z');
		expect(parseEventDate(1770109511000, TZ)?.toISOString()).toBe('2026-02-03T09:05:11.000Z');
	});
	it.each(['yesterday', '2025-13-01 00:00:00', '31.02.2025 10:00', '2025-12-20 25:00:00', '12', "1' OR '1'='1"])('rejects %j', (v) => {
		expect(parseEventDate(v, TZ)).toBeNull();
	});
});

describe('request extraction', () => {
	it('merges query and body, body wins', () => {
		const r = extractRequest({ headers: { 'X-GetCourse-Secret': 's' }, query: { a: '1', b: 'q' }, body: { b: 'body' }, params: {} });
		expect(r.params).toEqual({ a: '1', b: 'body' });
		expect(r.headers['x-getcourse-secret']).toBe('s');
	});
	it('parses form and JSON text bodies', () => {
		expect(extractRequest({ query: {}, body: 'user_id=1&user_email=a%40b.ru' }).params).toEqual({ user_id: '1', user_email: 'a@b.ru' });
		expect(extractRequest({ query: {}, body: '{"x":1}' }).params).toEqual({ x: 1 });
	});
	it('unwraps the Tech API {"json": …} envelope', () => {
		expect(extractRequest({ query: {}, body: techApi }).params.eventType).toBe('getcourse/lessonAnswerCreated');
	});
});

describe('normalisation', () => {
	const processCall = {
		secret: 'x',
		user_id: '45678901',
		user_email: 'Ivan@Example.ru',
		answer_id: '700000123',
		answer_status: 'new',
		answer_lesson_id: '2223334',
		answer_training_id: '889900',
		answer_text: 'Готово',
		event_date: '2025-12-20 14:03:11',
	};

	it('reads a Tech API answer event (quotes stripped, ts64 preferred, no email needed)', () => {
		const r = normaliseEvent(extractRequest({ query: {}, body: techApi }).params, { timeZone: TZ });
		expect(r.ok).toBe(true);
		if (!r.ok) return;
		expect(r.event).toMatchObject({
			source: 'tech_api',
			answerId: '700000123',
			userId: '45678901',
			userEmail: '',
			trainingId: '889900',
			lessonId: '2223334',
			lessonName: '2.3 Практика',
			status: 'new',
			kind: 'answer',
			commentId: null,
		});
		expect(r.event.idempotencyKey).toMatch(/^answer:700000123:new:[0-9a-f]{16}$/);
		expect(r.event.eventDate.toISOString()).toBe('2026-02-03T09:05:11.000Z');
	});

	it('reads a process call, lowercases the email and drops the secret from the raw payload', () => {
		const r = normaliseEvent(processCall, { timeZone: TZ, dropKeys: ['secret'] });
		expect(r.ok).toBe(true);
		if (!r.ok) return;
		expect(r.event).toMatchObject({ source: 'process', userEmail: 'ivan@example.ru', kind: 'answer' });
		expect(r.event.idempotencyKey).toMatch(/^answer:700000123:new:[0-9a-f]{16}$/);
		expect(r.event.rawPayload.secret).toBeUndefined();
		expect(r.event.eventDate.toISOString()).toBe('2025-12-20T11:03:11.000Z');
	});

	it('a redelivery has the same key; a new status, new text or a new date is a new event', () => {
		const key = (p: Record<string, unknown>) => {
			const r = normaliseEvent(p, { timeZone: TZ });
			if (!r.ok) throw new Error(r.reason);
			return r.event.idempotencyKey;
		};
		const first = key(processCall);
		expect(key({ ...processCall })).toBe(first); // the same call again
		expect(key({ ...processCall, secret: 'other' })).toBe(first); // parameters that are not the answer's do not count
		expect(key({ ...processCall, answer_status: 'accepted' })).not.toBe(first);
		expect(key({ ...processCall, answer_text: 'Исправил' })).not.toBe(first); // resubmitted with new text
		expect(key({ ...processCall, event_date: '2025-12-21 09:00:00' })).not.toBe(first); // handed in again later
		const tech = extractRequest({ query: {}, body: techApi }).params;
		expect(key(tech)).toBe(key(JSON.parse(JSON.stringify(tech))));
		expect(key({ ...tech, ts64: 1770200000 })).not.toBe(key(tech));
	});

	it('a comment is its own event, keyed by its comment id (Tech API and process)', () => {
		const comment = (id: unknown, text: string) =>
			normaliseEvent(
				{ eventType: 'getcourse/answerCommentCreated', ts64: 1770109600, comment: { id, answer_id: "'700000123'", comment_text: text, lesson_data: { user_id: 45678901, lesson_id: 2223334 } } },
				{ timeZone: TZ },
			);
		const a = comment(5001, 'Вопрос по заданию');
		const b = comment(5002, 'Вопрос по заданию');
		expect(a.ok && b.ok).toBe(true);
		if (!a.ok || !b.ok) return;
		expect(a.event).toMatchObject({ kind: 'comment', commentId: '5001', answerId: '700000123', status: 'comment', text: 'Вопрос по заданию', userId: '45678901' });
		expect(a.event.idempotencyKey).toBe('comment:5001');
		expect(b.event.idempotencyKey).toBe('comment:5002');
		const p = normaliseEvent({ ...processCall, comment_id: '6001', comment_text: 'Спасибо' }, { timeZone: TZ });
		expect(p.ok && p.event).toMatchObject({ kind: 'comment', idempotencyKey: 'comment:6001', text: 'Спасибо' });
	});

	it.each([
		[{ id: { x: 1 } }, /answer\.id must be a string or a number, got an object/],
		[{ id: ['1'] }, /answer\.id must be a string or a number, got an array/],
		[{ user_id: { id: 1 } }, /answer\.user_id must be a string or a number, got an object/],
		[{ lesson_id: true }, /answer\.lesson_id must be a string or a number, got a boolean/],
		[{ status: 7 }, /answer\.status must be a string, got a number/],
		[{ text: { html: 'x' } }, /answer\.text must be a string, got an object/],
	])('refuses a wrongly typed Tech API field %j', (over, reason) => {
		const r = normaliseEvent({ ...techApi.json, answer: { ...techApi.json.answer, ...over } }, { timeZone: TZ });
		expect(r.ok).toBe(false);
		if (!r.ok) expect(r.reason).toMatch(reason);
	});

	it('refuses a wrongly typed process field (JSON body)', () => {
		const r = normaliseEvent({ ...processCall, answer_status: 1, user_id: [1] }, { timeZone: TZ });
		expect(r.ok).toBe(false);
		if (!r.ok) expect(r.reason).toMatch(/parameter "user_id" must be a string or a number, got an array; parameter "answer_status" must be a string, got a number/);
	});

	it('uses custom parameter names', () => {
		const r = normaliseEvent({ uid: '1', mail: 'a@b.ru', aid: '9' }, { timeZone: TZ, fields: { userId: 'uid', userEmail: 'mail', answerId: 'aid' } });
		expect(r.ok && r.event.answerId).toBe('9');
	});

	it.each([
		[{ ...processCall, user_email: '' }, /email is missing/],
		[{ ...processCall, user_email: 'not-an-email' }, /not a valid address/],
		[{ ...processCall, user_id: '' }, /user id is missing/],
		[{ ...processCall, answer_id: "''" }, /answer id is missing/],
		[{ ...processCall, event_date: '2025-99-99' }, /is not a date/],
		[{ ...processCall, user_id: '1'.repeat(51) }, /longer than 50/],
		[{}, /user id is missing.*answer id is missing.*email is missing/],
	])('rejects %j with a reason', (p, reason) => {
		const r = normaliseEvent(p, { timeZone: TZ });
		expect(r.ok).toBe(false);
		if (!r.ok) expect(r.reason).toMatch(reason);
	});

	it('keeps hostile text storable: NUL and lone surrogates replaced, SQL left as text', () => {
		const text = "x'); DROP TABLE webhook_events; --\u0000\uD800end";
		const r = normaliseEvent({ ...processCall, answer_text: text }, { timeZone: TZ });
		expect(r.ok).toBe(true);
		if (r.ok) {
			expect(r.event.text).toBe("x'); DROP TABLE webhook_events; --\uFFFD\uFFFDend");
			expect(JSON.stringify(r.event.rawPayload)).not.toContain('\\u0000');
		}
	});

	it('cuts a huge text in its column but stores it whole in the raw payload', () => {
		const big = 'я'.repeat(100_000);
		const r = normaliseEvent({ ...processCall, answer_text: big }, { timeZone: TZ });
		expect(r.ok).toBe(true);
		if (r.ok) {
			expect(r.event.text?.length).toBe(20_000);
			expect((r.event.rawPayload.answer_text as string).length).toBe(100_000);
		}
	});

	it('a missing date falls back to the receipt time', () => {
		const now = new Date('2026-01-01T00:00:00Z');
		const { event_date: _omit, ...rest } = processCall;
		const r = normaliseEvent(rest, { timeZone: TZ, now: () => now });
		expect(r.ok && r.event.eventDate.toISOString()).toBe(now.toISOString());
	});
});
