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
	it('keeps each hour\'s offset without changing a result, across DST changes and half-hour zones', () => {
		// The reference: ask Intl for every date (what parseEventDate did before it kept offsets per hour).
		const formats = new Map<string, Intl.DateTimeFormat>();
		const offsetAt = (tz: string, instant: number) => {
			if (!formats.has(tz)) formats.set(tz, new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }));
			const f = formats.get(tz) as Intl.DateTimeFormat;
			const p = Object.fromEntries(f.formatToParts(new Date(instant)).filter((x) => x.type !== 'literal').map((x) => [x.type, Number(x.value)]));
			return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(instant / 1000) * 1000;
		};
		const reference = (tz: string, wall: number) => {
			let guess = wall - offsetAt(tz, wall);
			guess = wall - offsetAt(tz, guess);
			return new Date(guess).toISOString();
		};
		const changes: Array<[string, string]> = [
			['Europe/Berlin', '2025-03-30'],
			['Europe/Berlin', '2025-10-26'],
			['Australia/Lord_Howe', '2025-04-06'], // a 30-minute change
			['Australia/Lord_Howe', '2025-10-05'],
			['America/St_Johns', '2025-11-02'],
			['Asia/Kathmandu', '2025-06-01'],
			['Europe/Moscow', '2011-03-27'], // the last change Moscow made
		];
		const pad = (n: number) => String(n).padStart(2, '0');
		let compared = 0;
		for (const [tz, day] of changes) {
			const [y, m, d] = day.split('-').map(Number);
			const walls: number[] = [];
			for (let min = -6 * 60; min <= 30 * 60; min += 7) walls.push(Date.UTC(y, m - 1, d, 0, min, 13));
			// forwards, then backwards (the kept hours then come from the other side)
			for (const wall of [...walls, ...walls.reverse()]) {
				const w = new Date(wall);
				const text = `${w.getUTCFullYear()}-${pad(w.getUTCMonth() + 1)}-${pad(w.getUTCDate())} ${pad(w.getUTCHours())}:${pad(w.getUTCMinutes())}:${pad(w.getUTCSeconds())}`;
				expect([text, tz, parseEventDate(text, tz)?.toISOString()]).toEqual([text, tz, reference(tz, wall)]);
				compared++;
			}
		}
		expect(compared).toBeGreaterThan(2000);
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
		expect(r.event.callKey).toMatch(/^answer:700000123:new:[0-9a-f]{16}$/);
		expect(r.event.eventDate.toISOString()).toBe('2026-02-03T09:05:11.000Z');
	});

	it('reads a process call, lowercases the email and drops the secret from the raw payload', () => {
		const r = normaliseEvent(processCall, { timeZone: TZ, dropKeys: ['secret'] });
		expect(r.ok).toBe(true);
		if (!r.ok) return;
		expect(r.event).toMatchObject({ source: 'process', userEmail: 'ivan@example.ru', kind: 'answer' });
		expect(r.event.callKey).toMatch(/^answer:700000123:new:[0-9a-f]{16}$/);
		expect(r.event.rawPayload.secret).toBeUndefined();
		expect(r.event.eventDate.toISOString()).toBe('2025-12-20T11:03:11.000Z');
	});

	it('a redelivery has the same key; a new status, new text or a new date is a new event', () => {
		const key = (p: Record<string, unknown>) => {
			const r = normaliseEvent(p, { timeZone: TZ });
			if (!r.ok) throw new Error(r.reason);
			return r.event.callKey;
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
		expect(a.event.callKey).toBe('comment:5001');
		expect(b.event.callKey).toBe('comment:5002');
		const p = normaliseEvent({ ...processCall, comment_id: '6001', comment_text: 'Спасибо' }, { timeZone: TZ });
		expect(p.ok && p.event).toMatchObject({ kind: 'comment', callKey: 'comment:6001', text: 'Спасибо' });
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
		[{ ...processCall, user_email: '', user_id: '' }, /user id and email are both missing \(parameters "user_id" and "user_email"\): one of them is needed/],
		[{ ...processCall, user_email: 'not-an-email' }, /not a valid address/],
		[{ ...processCall, user_email: 'ivan@mail' }, /not a valid address/],
		[{ ...processCall, user_email: 'iv an@mail.ru' }, /not a valid address/],
		[{ ...processCall, answer_id: "''" }, /answer id is missing/],
		[{ ...processCall, event_date: '2025-99-99' }, /is not a date/],
		[{ ...processCall, user_id: '1'.repeat(51) }, /longer than 50/],
		[{}, /answer id is missing.*user id and email are both missing/],
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

	it('a process call needs the user id or the email, not both', () => {
		const byEmail = normaliseEvent({ ...processCall, user_id: '' }, { timeZone: TZ });
		expect(byEmail.ok && byEmail.event).toMatchObject({ userId: '', userEmail: 'ivan@example.ru' });
		const byId = normaliseEvent({ ...processCall, user_email: '' }, { timeZone: TZ });
		expect(byId.ok && byId.event).toMatchObject({ userId: '45678901', userEmail: '' });
		const tech = normaliseEvent({ ...techApi.json, answer: { ...techApi.json.answer, user_id: null }, user_email: 'ivan@example.ru' }, { timeZone: TZ });
		expect(tech.ok).toBe(false); // a Tech API answer is found by its user id
		if (!tech.ok) expect(tech.reason).toBe('answer.user_id is missing');
	});

	it('internationalised emails are accepted and stored in one form: trimmed, lower-case, Unicode domain', () => {
		const email = (v: string) => {
			const r = normaliseEvent({ ...processCall, user_email: v }, { timeZone: TZ });
			if (!r.ok) throw new Error(r.reason);
			return r.event.userEmail;
		};
		expect(email('ученица@почта.рф')).toBe('ученица@почта.рф');
		expect(email('  Ученица@ПОЧТА.РФ ')).toBe('ученица@почта.рф');
		expect(email('ученица@xn--80a1acny.xn--p1ai')).toBe('ученица@почта.рф');
		expect(email('ученица@XN--80A1ACNY.XN--P1AI')).toBe('ученица@почта.рф');
		expect(email('иван@mail.ru')).toBe('иван@mail.ru');
		expect(email('Ivan.Petrov+hw@Example.RU')).toBe('ivan.petrov+hw@example.ru');
	});

	it('a date more than a day after receipt is replaced by the receipt time, and the fact noted', () => {
		const now = new Date('2026-03-01T10:00:00Z');
		const ahead = normaliseEvent({ ...processCall, event_date: '2031-03-01 10:00:00' }, { timeZone: TZ, now: () => now });
		expect(ahead.ok).toBe(true);
		if (!ahead.ok) return;
		expect(ahead.event.eventDate.toISOString()).toBe(now.toISOString());
		expect(ahead.event.dateNote).toMatch(/^event date "2031-03-01 10:00:00" \(2031-03-01T07:00:00\.000Z\) is more than a day after the call arrived: the receipt time is used$/);
		// the key still follows the call as sent: its redelivery is recognised
		const again = normaliseEvent({ ...processCall, event_date: '2031-03-01 10:00:00' }, { timeZone: TZ, now: () => new Date('2026-03-01T10:05:00Z') });
		expect(again.ok && again.event.callKey).toBe(ahead.event.callKey);
		// a Tech API ts64 with a false "Z" a few hours ahead is within the day: kept
		const soon = normaliseEvent({ ...processCall, event_date: '2026-03-01 16:00:00' }, { timeZone: TZ, now: () => now });
		expect(soon.ok && soon.event.eventDate.toISOString()).toBe('2026-03-01T13:00:00.000Z');
		expect(soon.ok && soon.event.dateNote).toBeNull();
	});

	it("a Tech API comment's student is comment.owner_id, its author comment.user_id", () => {
		const r = normaliseEvent(
			{ eventType: 'getcourse/answerCommentCreated', ts64: 1770109600, comment: { id: 7001, answer_id: 700000123, user_id: 99000001, owner_id: 45678901, owner_type_id: 1, comment_text: 'Задание принято, отличная работа!', lesson_data: { lesson_id: 2223334, training_id: 889900 } } },
			{ timeZone: TZ },
		);
		expect(r.ok && r.event).toMatchObject({ kind: 'comment', userId: '45678901', authorUserId: '99000001', trainingId: '889900' });
		const p = normaliseEvent({ ...processCall, comment_id: '6002', comment_text: 'Ответ куратора', comment_user_id: '99000002' }, { timeZone: TZ });
		expect(p.ok && p.event).toMatchObject({ kind: 'comment', userId: '45678901', authorUserId: '99000002' });
		const missing = normaliseEvent({ eventType: 'getcourse/answerCommentCreated', ts64: 1770109600, comment: { id: 7002, answer_id: 1, comment_text: 'x' } }, { timeZone: TZ });
		expect(!missing.ok && missing.reason).toBe('comment.owner_id (the student) is missing');
	});

	it('a missing date falls back to the receipt time', () => {
		const now = new Date('2026-01-01T00:00:00Z');
		const { event_date: _omit, ...rest } = processCall;
		const r = normaliseEvent(rest, { timeZone: TZ, now: () => now });
		expect(r.ok && r.event.eventDate.toISOString()).toBe(now.toISOString());
	});
});
