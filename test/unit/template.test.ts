import { DEFAULT_TEMPLATE, escapeHtml, formatDate, renderMessage, TELEGRAM_MAX_LENGTH } from '../../lib/notify/template';
import { messageHash, prepareNotification, prepareStaffAlert } from '../../lib/notify/createNotifications';
import { DEFAULT_STAFF_TEMPLATE } from '../../lib/notify/template';

const values = {
	event_title: 'Новое домашнее задание',
	student_name: 'Иван <Петров>',
	student_email: 'ivan@example.ru',
	training_name: 'Поток & весна',
	lesson_name: '2.3 Практика',
	answer_status: 'new',
	answer_text: 'Сделал <script>alert(1)</script>',
	event_date: '20.12.2025, 14:03',
};

describe('message template', () => {
	it('fills the Russian default, escaping every value', () => {
		const m = renderMessage(DEFAULT_TEMPLATE, values);
		expect(m).toContain('<b>Новое домашнее задание</b>');
		expect(m).toContain('Студент: Иван &lt;Петров&gt; (ivan@example.ru)');
		expect(m).toContain('Тренинг: Поток &amp; весна');
		expect(m).toContain('Сделал &lt;script&gt;alert(1)&lt;/script&gt;');
		expect(m).not.toContain('<script>');
	});

	it('leaves unknown placeholders alone and shows a dash for empty values', () => {
		expect(renderMessage('{nope} {lesson_name}', { lesson_name: '' })).toBe('{nope} —');
	});

	it('cuts to 4096 characters by shortening values, keeping the markup whole', () => {
		const m = renderMessage('<b>{student_name}</b>\n{answer_text}', { student_name: 'A', answer_text: '<'.repeat(10_000) });
		expect(m.length).toBeLessThanOrEqual(TELEGRAM_MAX_LENGTH);
		expect(m.startsWith('<b>A</b>\n')).toBe(true);
		expect(m).not.toMatch(/&[a-z]*…$/); // never half an entity
		expect(m.endsWith('…')).toBe(true);
	});

	it('refuses a template that alone is over the limit', () => {
		expect(() => renderMessage('x'.repeat(5000), {})).toThrow(/longer than/);
	});

	it('escapes', () => expect(escapeHtml('<a href="x">&</a>')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;'));

	it('a template split once fills exactly as a replace over it would (repeats, unknown and nested braces, $ in values)', () => {
		const reference = (template: string, v: Record<string, string>) =>
			template.replace(/\{([a-z_]+)\}/g, (whole, name: string) => (name in v || name === 'answer_excerpt' ? escapeHtml(name === 'answer_excerpt' ? v.answer_text : v[name] || '—') : whole));
		const v = { student_name: 'Иван $& $1 <b>', lesson_name: '', answer_text: 'x"y' };
		for (const template of ['', 'plain', '{student_name}', '{{student_name}}', '{student_name}{student_name} {lesson_name}.', '{Student_name} {nope} {answer_excerpt}', '}{lesson_name}{']) {
			const allowed = ['student_name', 'lesson_name', 'answer_text', 'answer_excerpt'];
			expect(renderMessage(template, v, allowed)).toBe(reference(template, v));
			expect(renderMessage(template, v, allowed)).toBe(reference(template, v)); // and again, from the kept split
		}
	});

	it('dates to the minute in the school zone, the same as asking Intl every time (minute texts are kept)', () => {
		const zones = ['Europe/Moscow', 'Europe/Berlin', 'Asia/Kolkata', 'America/St_Johns', 'Australia/Lord_Howe', 'UTC'];
		const fresh = new Map(zones.map((zone) => [zone, new Intl.DateTimeFormat('ru-RU', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })]));
		const differ: unknown[] = [];
		let t = Date.UTC(2025, 2, 29, 22, 0, 0);
		for (let i = 0; i < 3000; i++) {
			t += 7_919 + (i % 13) * 1_000; // steps of 8–20 s across the DST change of 30 March 2025
			const zone = zones[i % zones.length];
			const want = fresh.get(zone)?.format(new Date(t));
			if (formatDate(new Date(t), zone) !== want) differ.push([zone, t, formatDate(new Date(t), zone), want]);
		}
		expect(differ).toEqual([]);
		// before 1973 some zones were seconds off the minute: asked every time
		const monrovia = new Intl.DateTimeFormat('ru-RU', { timeZone: 'Africa/Monrovia', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
		for (const s of [0, 29, 31, 59]) {
			const d = new Date(Date.UTC(1970, 5, 1, 12, 0, s));
			expect(formatDate(d, 'Africa/Monrovia')).toBe(monrovia.format(d));
		}
	});
});

describe('preparing a notification', () => {
	const item = {
		eventId: '7',
		idempotencyKey: 'answer:1:new',
		eventDate: '2025-12-20T11:03:11.000Z',
		answer: { id: '1', status: 'new', text: 'hi', trainingId: 't', lessonId: 'l' },
		student: { userId: '5', email: 'a@b.ru', name: 'A B' },
		mentor: { id: '3', name: 'M', telegramId: '777' },
		training: { id: 't', name: 'T' },
		lesson: { id: 'l', name: 'L' },
	};

	it('builds the row with chat, hash and the date in the school zone', () => {
		const p = prepareNotification(item, { template: DEFAULT_TEMPLATE, type: 'homework_submitted', timeZone: 'Europe/Moscow' });
		expect(p.ok).toBe(true);
		if (!p.ok) return;
		expect(p.row).toMatchObject({ eventId: '7', mentorId: '3', chatId: '777', messageHash: messageHash('homework_submitted', 'answer:1:new') });
		expect(p.row.message).toContain('20.12.2025, 14:03');
		expect(p.row.message).toContain('<b>Новое домашнее задание</b>');
		expect(p.row.messageHash).toMatch(/^[0-9a-f]{64}$/);
	});

	it('one notification per event and type: a new mentor or chat gives the same hash', () => {
		const opts = { template: DEFAULT_TEMPLATE, type: 'homework_submitted', timeZone: 'UTC' };
		const a = prepareNotification(item, opts);
		const b = prepareNotification({ ...item, mentor: { id: '4', name: 'N', telegramId: '888' } }, opts);
		const c = prepareNotification(item, { ...opts, type: 'other' });
		expect(a.ok && b.ok && c.ok).toBe(true);
		if (a.ok && b.ok && c.ok) {
			expect(b.row.messageHash).toBe(a.row.messageHash);
			expect(c.row.messageHash).not.toBe(a.row.messageHash);
		}
	});

	it('marks a resubmission and a comment in the title', () => {
		const opts = { template: DEFAULT_TEMPLATE, type: 'homework_submitted', timeZone: 'UTC' };
		const re = prepareNotification({ ...item, resubmission: true }, opts);
		expect(re.ok && re.row.message).toContain('<b>Повторная сдача домашнего задания</b>');
		const comment = prepareNotification({ ...item, kind: 'comment', answer: { ...item.answer, text: null }, comment: { id: '9', text: 'Вопрос' } }, opts);
		expect(comment.ok && comment.row.message).toContain('<b>Новый комментарий к домашнему заданию</b>');
		expect(comment.ok && comment.row.message).toContain('Вопрос');
	});

	it('builds a staff alert naming the problem and the fix, one per event', () => {
		const unresolved = {
			eventId: '9',
			idempotencyKey: 'answer:2:new:abc',
			eventDate: '2025-12-20T11:03:11.000Z',
			answerId: '2',
			userId: '5',
			userEmail: 'x@y.ru',
			problem: 'no mentor mapped to student x@y.ru',
			fix: 'assign a mentor: GetCourse Reference Data → Assign Mentor',
			attempts: 1,
			maxAttempts: 10,
			givenUp: false,
		};
		const p = prepareStaffAlert(unresolved, { template: DEFAULT_STAFF_TEMPLATE, type: 'staff_alert', timeZone: 'UTC', chatId: '-100500' });
		expect(p.ok).toBe(true);
		if (!p.ok) return;
		expect(p.row).toMatchObject({ chatId: '-100500', mentorId: null, type: 'staff_alert', messageHash: messageHash('staff_alert', 'answer:2:new:abc') });
		expect(p.row.message).toContain('Проблема: no mentor mapped to student x@y.ru');
		expect(p.row.message).toContain('Что сделать: assign a mentor');
		const again = prepareStaffAlert({ ...unresolved, attempts: 2 }, { template: DEFAULT_STAFF_TEMPLATE, type: 'staff_alert', timeZone: 'UTC', chatId: '-100500' });
		expect(again.ok && again.row.messageHash).toBe(p.row.messageHash);
	});

	it('says what is missing from a foreign item', () => {
		const p = prepareNotification({ eventId: '1' }, { template: DEFAULT_TEMPLATE, type: 'x', timeZone: 'UTC' });
		expect(p.ok).toBe(false);
		if (!p.ok) expect(p.reason).toMatch(/not a Resolve Mentor item/);
	});
});
