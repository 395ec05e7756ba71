/**
 * Delivery rules of SPEC §11 on real PostgreSQL against the loopback Bot API peer, which enforces
 * Telegram's limits (30/s per bot, 1/s per chat, 20 in any minute per group, 429 retry_after):
 * group pace kept across executions, chat_pace honoured, fair claims, topping up while a slow
 * chat waits, staff alert digests, forum topics. Time-dependent rules are driven by setting
 * dates in chat_pace and on claims, not by sleeping.
 */
import { claimNotifications } from '../../lib/db/notifications';
import { DEFAULT_STAFF_TEMPLATE } from '../../lib/notify/template';
import { prepareStaffAlert } from '../../lib/notify/createNotifications';
import { exportCurrentRows } from '../../lib/reference/export';
import { botKey } from '../../lib/telegram/pacer';
import { sendPending } from '../../lib/telegram/sendPending';
import { GetCourseCreateNotification } from '../../nodes/GetCourseCreateNotification/GetCourseCreateNotification.node';
import { GetCourseReferenceData } from '../../nodes/GetCourseReferenceData/GetCourseReferenceData.node';
import { GetCourseResolveMentor } from '../../nodes/GetCourseResolveMentor/GetCourseResolveMentor.node';
import { GetCourseStoreEvent } from '../../nodes/GetCourseStoreEvent/GetCourseStoreEvent.node';
import { withDbAndPeer } from '../support/dbAndPeer';
import { seedReference, type TestDb } from '../support/db';
import { processCall } from '../support/fixtures';
import { runNode } from '../support/nodeContext';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createTelegramPeer } = require('../support/telegram-peer');

interface PeerMessage {
	chat_id: string;
	message_thread_id: number | null;
	text: string;
	message_id: number;
	at: number;
}

const TOKEN = '123456789:AAEdeliveryLoopbackTestToken_xyz';
/** Another bot key: a Send Pending with no memory of this process's pacing, as another worker has. */
const OTHER_TOKEN = '987654321:AAEdeliveryOtherWorkerToken_xyz';
const peer = createTelegramPeer({ enforceLimits: true });
let t: TestDb;
let baseUrl: string;
const q = (sql: string, v: unknown[] = []) => t.db.pool.query(sql, v);
const creds = () => ({ getCourseBotPostgres: t.credential as never });
const messages = () => peer.messages as PeerMessage[];
const to = (chat: string) => peer.messagesTo(chat) as PeerMessage[];
const limited = () => peer.limited as { overall: number; perChat: number; perGroup: number };
const send = (options: Record<string, unknown> = {}, token = TOKEN) =>
	sendPending(t.db.pool, { baseUrl, token, requestTimeoutMs: 5000 }, { maxRunSeconds: 20, retryBaseMs: 50, ...options });

/** Queues notifications: a mentor's by default (mentor_id 1), a staff row with mentor: null. */
async function queue(rows: Array<{ chat: string; type?: string; mentor?: number | null; text?: string }>): Promise<string[]> {
	const r = await q(
		`INSERT INTO notifications (mentor_id, type, message, chat_id, message_hash)
		 SELECT x.mentor, x.type, x.text, x.chat, md5(random()::text || x.i)
		   FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS x(mentor, type, text, chat, i)
		  ORDER BY x.i
		 RETURNING id::text`,
		[
			rows.map((x) => (x.mentor === undefined ? 1 : x.mentor)),
			rows.map((x) => x.type ?? 'homework_submitted'),
			rows.map((x, i) => x.text ?? `<b>Сообщение</b> ${x.chat} №${i}`),
			rows.map((x) => x.chat),
		],
	);
	return r.rows.map((x) => x.id);
}

withDbAndPeer('delivery', peer, 'notifications, chat_pace, webhook_events, mentors, students, trainings, lessons, mapping', (db, url) => {
	t = db;
	baseUrl = url;
});

describe('the peer enforces Telegram limits', () => {
	it('a group (negative id) gets 20 messages in any minute, the 21st is 429 with retry_after; a topic counts against its group', async () => {
		const strict = createTelegramPeer({ enforceLimits: true, perChatPerSecond: 1000, perGroupPerMinute: 3 });
		const url = await strict.start();
		try {
			const post = (chat_id: string, extra: object = {}) =>
				fetch(`${url}/bot${TOKEN}/sendMessage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chat_id, text: 'x', ...extra }) }).then(
					async (r) => ({ status: r.status, body: (await r.json()) as { parameters?: { retry_after?: number }; result?: { message_thread_id?: number } } }),
				);
			const answers = [await post('-42'), await post('-42', { message_thread_id: 7 }), await post('-42'), await post('-42', { message_thread_id: 8 }), await post('42'), await post('42')];
			expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429, 200, 200]);
			expect(answers[3].body.parameters?.retry_after).toBeGreaterThanOrEqual(55);
			expect(answers[1].body.result?.message_thread_id).toBe(7);
			expect(strict.limited).toEqual({ overall: 0, perChat: 0, perGroup: 1 });
			expect(strict.messagesTo('-42:7')).toHaveLength(1);
		} finally {
			await strict.stop();
		}
	});
});

/** A group's minute as chat_pace keeps it: `count` starts, the oldest `oldestSecondsAgo` ago, 1.1 s apart. */
async function setMinute(chat: string, count: number, oldestSecondsAgo: number): Promise<void> {
	await q(
		`INSERT INTO chat_pace (chat_id, next_at, recent)
		 VALUES ($1, NOW() - interval '1 second',
		         ARRAY(SELECT clock_timestamp() - make_interval(secs => $3::float8 - g * 1.1) FROM generate_series($2::int - 1, 0, -1) g))
		 ON CONFLICT (chat_id) DO UPDATE SET next_at = EXCLUDED.next_at, recent = EXCLUDED.recent`,
		[chat, count, oldestSecondsAgo],
	);
}

describe('group chats: at most 20 messages in any minute, kept across executions', () => {
	it('messages to a group go at least 1.1 s apart, with no 429', async () => {
		await queue([{ chat: '-1001' }, { chat: '-1001' }, { chat: '-1001' }]);
		const out = await send();
		expect(out.map((o) => o.status)).toEqual(['sent', 'sent', 'sent']);
		const at = to('-1001').map((m) => m.at);
		expect(at).toHaveLength(3);
		expect(at[1] - at[0]).toBeGreaterThanOrEqual(1050);
		expect(at[2] - at[1]).toBeGreaterThanOrEqual(1050);
		expect(limited()).toEqual({ overall: 0, perChat: 0, perGroup: 0 });
		// the starts are kept for other processes, newest first
		const [pace] = (await q(`SELECT cardinality(recent) AS n, recent[1] > recent[3] AS newest_first FROM chat_pace WHERE chat_id = '-1001'`)).rows;
		expect(pace).toEqual({ n: 3, newest_first: true });
	});

	it("a group that had its 20 messages of the minute (chat_pace, dates set) waits until the oldest is 61 s old; a private chat does not wait", async () => {
		await setMinute('-1005', 20, 58.5); // the oldest leaves the window in 2.5 s
		const set = Date.now();
		await queue([{ chat: '-1005' }, { chat: '557' }]);
		const out = await send();
		expect(out.map((o) => o.status)).toEqual(['sent', 'sent']);
		expect(messages().map((m) => m.chat_id)).toEqual(['557', '-1005']);
		expect(to('-1005')[0].at - set).toBeGreaterThanOrEqual(2400);
		// 21 allowed: the same minute leaves room
		await setMinute('-1006', 20, 58.5);
		await queue([{ chat: '-1006' }, { chat: '558' }]);
		peer.reset();
		await send({ groupMessagesPerMinute: 21 });
		expect(messages().map((m) => m.chat_id).sort()).toEqual(['-1006', '558']);
		expect(messages()[0].chat_id).toBe('-1006'); // it went first: nothing held it back
	});

	it("another worker (no shared memory) continues the group's minute from PostgreSQL", async () => {
		await queue([{ chat: '-1002' }, { chat: '-1002' }, { chat: '-1002' }]);
		await send({ groupMessagesPerMinute: 3 });
		const first = to('-1002')[0].at;
		expect(to('-1002')).toHaveLength(3);
		// 57 s pass (dates moved, not waited for); the next turn is left for the starts to decide
		await q(`UPDATE chat_pace SET next_at = NOW() - interval '1 second', recent = ARRAY(SELECT t - interval '57 seconds' FROM unnest(recent) t) WHERE chat_id = '-1002'`);
		const moved = Date.now();
		await queue([{ chat: '-1002' }]);
		const out = await send({ groupMessagesPerMinute: 3 }, OTHER_TOKEN);
		expect(out.map((o) => o.status)).toEqual(['sent']);
		// the first start is now 57 s + (moved - first) ago: the window frees 61 s after it
		expect(to('-1002')[3].at - moved).toBeGreaterThanOrEqual(4000 - (moved - first) - 100);
		expect(to('-1002')[3].at - to('-1002')[2].at).toBeGreaterThanOrEqual(1050);
		expect(limited()).toEqual({ overall: 0, perChat: 0, perGroup: 0 });
	});

	it("a chat whose next turn (chat_pace) is far off is left pending, untouched; once it is due it goes out", async () => {
		await queue([{ chat: '-1003' }, { chat: '555' }, { chat: '556' }]);
		await q(`INSERT INTO chat_pace (chat_id, next_at) VALUES ('-1003', NOW() + interval '1 hour'), ('555', NOW() + interval '1 hour')`);
		const first = await send();
		expect(first.map((o) => o.chatId)).toEqual(['556']);
		expect((await q(`SELECT chat_id, status, attempts FROM notifications WHERE chat_id <> '556' ORDER BY id`)).rows).toEqual([
			{ chat_id: '-1003', status: 'pending', attempts: 0 },
			{ chat_id: '555', status: 'pending', attempts: 0 },
		]);
		await q(`UPDATE chat_pace SET next_at = NOW() - interval '1 second' WHERE chat_id IN ('-1003', '555')`);
		const second = await send();
		expect(second.map((o) => [o.chatId, o.status]).sort()).toEqual([
			['-1003', 'sent'],
			['555', 'sent'],
		]);
	});

	it('refuses a group limit outside 1–60 a minute', async () => {
		await queue([{ chat: '-1004' }]);
		await expect(send({ groupMessagesPerMinute: 0 })).rejects.toThrow(/groupMessagesPerMinute must be between 1 and 60, got 0/);
		expect((await q(`SELECT status FROM notifications`)).rows).toEqual([{ status: 'pending' }]);
	});
});

describe('fair claims: one busy chat never holds up another', () => {
	it('300 waiting for a mentor and 300 for a group fill no batch: a later message for another chat is in the first claim', async () => {
		await queue(Array.from({ length: 300 }, () => ({ chat: '700' })));
		await queue(Array.from({ length: 300 }, () => ({ chat: '-1700' })));
		const [late] = await queue([{ chat: '701' }]);
		const claimed = await claimNotifications(t.db.pool, 100, 60);
		const count = (chat: string) => claimed.filter((n) => n.chat_id === chat).length;
		expect(claimed.map((n) => n.id)).toContain(late);
		expect(count('700')).toBeGreaterThanOrEqual(1);
		expect(count('700')).toBeLessThanOrEqual(5); // what 1.1 s apart fits in the 5 s horizon
		expect(count('-1700')).toBeLessThanOrEqual(5);
		await q(`UPDATE notifications SET status = 'pending', attempts = 0 WHERE status = 'sending'`);

		const out = await send({ maxRunSeconds: 2 });
		expect(out.find((o) => o.notificationId === late)?.status).toBe('sent');
		// round robin over chats: the late chat's message is among the first three to go
		expect(messages().slice(0, 3).map((m) => m.chat_id)).toContain('701');
		expect(limited()).toEqual({ overall: 0, perChat: 0, perGroup: 0 });
		expect(to('700').length).toBeGreaterThan(0);
	});

	it('a chat with a message in flight belongs to that run; a claim whose lease ran out comes back counted as uncertain', async () => {
		const [inFlight] = await queue([{ chat: '600' }, { chat: '600' }, { chat: '601' }]);
		await q(`UPDATE notifications SET status = 'sending', attempts = 1, claim_token = gen_random_uuid(), locked_until = NOW() + interval '1 hour' WHERE id = $1`, [inFlight]);
		const first = await claimNotifications(t.db.pool, 100, 60);
		expect(first.map((n) => n.chat_id)).toEqual(['601']);
		await q(`UPDATE notifications SET locked_until = NOW() - interval '1 second' WHERE id = $1`, [inFlight]);
		const second = await claimNotifications(t.db.pool, 100, 60);
		expect(second.map((n) => n.chat_id)).toEqual(['600', '600']);
		expect((await q(`SELECT id::text, uncertain_sends, attempts FROM notifications WHERE chat_id = '600' ORDER BY id`)).rows).toEqual([
			{ id: inFlight, uncertain_sends: 1, attempts: 2 },
			{ id: String(Number(inFlight) + 1), uncertain_sends: 0, attempts: 1 },
		]);
	});

	it('while a slow chat waits for its turn, the run takes a new message for another chat and sends it first', async () => {
		await setMinute('-1800', 20, 57.5); // the group's minute is full for 3.5 s more
		const [slow] = await queue([{ chat: '-1800' }]);
		const running = send();
		while (!(await q(`SELECT 1 FROM notifications WHERE id = $1 AND status = 'sending'`, [slow])).rows.length) await new Promise((r) => setTimeout(r, 20));
		const [fresh] = await queue([{ chat: '801' }]);
		const out = await running;
		expect(out.find((o) => o.notificationId === fresh)?.status).toBe('sent');
		expect(messages().map((m) => m.chat_id)).toEqual(['801', '-1800']);
	});
});

describe('staff alerts coalesce into digests', () => {
	const alert = (k: number) =>
		prepareStaffAlert(
			{
				eventId: String(5000 + k),
				idempotencyKey: `answer:${k}`,
				eventDate: '2026-02-03T12:10:00Z',
				answerId: String(900000 + k),
				userId: String(46200000 + k),
				userEmail: `new.student${k}@example.ru`,
				problem: `student not found: no student with GetCourse user id ${46200000 + k} or email new.student${k}@example.ru`,
				fix: `add the student (GetCourse user id ${46200000 + k} or email new.student${k}@example.ru) to students: GetCourse Reference Data → Sync Versions (students), or "getcourse-bot import students file.csv"`,
				attempts: 1,
				maxAttempts: 10,
				givenUp: false,
			},
			{ template: DEFAULT_STAFF_TEMPLATE, type: 'staff_alert', timeZone: 'Europe/Moscow', chatId: '-1900' },
		);

	it('25 alerts and a failed-send alert for the staff group go as a few digests naming every one; a report goes alone', async () => {
		const rows = Array.from({ length: 25 }, (_, k) => {
			const p = alert(k);
			if (!p.ok) throw new Error(p.reason);
			return { chat: '-1900', type: 'staff_alert', mentor: null, text: p.row.message };
		});
		rows.push({ chat: '-1900', type: 'send_failed_alert', mentor: null, text: '⚠️ <b>Не доставлено</b>\nНаставник <i>petr@school.test</i>: бот заблокирован (FAILED-MARKER)' });
		rows.push({ chat: '-1900', type: 'review_report', mentor: null, text: '📊 <b>Отчёт</b> за неделю' });
		const ids = await queue(rows);
		let out: Awaited<ReturnType<typeof send>> = [];
		for (let i = 0; i < 5 && (await q(`SELECT 1 FROM notifications WHERE status <> 'sent'`)).rows.length; i++) out = out.concat(await send());
		expect(out.filter((o) => o.status === 'sent')).toHaveLength(27);

		const group = to('-1900');
		expect(group.length).toBeGreaterThanOrEqual(3); // 25 alerts of ~450 characters do not fit in one
		expect(group.length).toBeLessThanOrEqual(6);
		for (const m of group) {
			expect(m.text.length).toBeLessThanOrEqual(4096);
			for (const tag of ['b', 'i']) expect((m.text.match(new RegExp(`<${tag}>`, 'g')) ?? []).length).toBe((m.text.match(new RegExp(`</${tag}>`, 'g')) ?? []).length);
		}
		const stored = (await q(`SELECT id, message, telegram_message_id, status FROM notifications ORDER BY id`)).rows;
		for (let k = 0; k < 25; k++) {
			const carriers = group.filter((m) => m.text.includes(`ученик new.student${k}@example.ru, id ${46200000 + k}`));
			expect({ k, carriers: carriers.length }).toEqual({ k, carriers: 1 });
			expect({ k, ...stored[k] }).toMatchObject({ k, status: 'sent', telegram_message_id: String(carriers[0].message_id) });
		}
		expect(group.filter((m) => m.text.includes('FAILED-MARKER'))).toHaveLength(1);
		const report = group.filter((m) => m.text === '📊 <b>Отчёт</b> за неделю');
		expect(report).toHaveLength(1);
		expect(stored[26].telegram_message_id).toBe(String(report[0].message_id));
		// the alerts' shared title heads a part once; each alert keeps the rest of its text
		expect(group[0].text).toMatch(/^⚠️ <b>GetCourse Bot: ответ ученика не передан наставнику<\/b> — 1–\d+ из 26\n\n<b>1\.<\/b> Проблема: student not found/);
		expect(group[0].text.match(/ответ ученика не передан наставнику/g)).toHaveLength(1);
		expect(out.filter((o) => o.digestOf).length).toBeGreaterThanOrEqual(25);
		expect(ids).toHaveLength(27);
		expect(limited()).toEqual({ overall: 0, perChat: 0, perGroup: 0 });
	});

	it('one alert alone goes exactly as written; mentor messages of the same type are never merged', async () => {
		const p = alert(99);
		if (!p.ok) throw new Error(p.reason);
		await queue([{ chat: '-1901', type: 'staff_alert', mentor: null, text: p.row.message }]);
		await queue([{ chat: '-1902', type: 'staff_alert', mentor: 5, text: 'один' }, { chat: '-1902', type: 'staff_alert', mentor: 5, text: 'два' }]);
		await send();
		expect(to('-1901').map((m) => m.text)).toEqual([p.row.message]);
		expect(to('-1902').map((m) => m.text)).toEqual(['один', 'два']);
	});
});

describe('forum topics: a chat id -100123:45 sends to topic 45 of group -100123', () => {
	it('a staff chat with a topic: Create Notification accepts it, Send Pending sends with message_thread_id; a bad topic is refused', async () => {
		await seedReference(t.db, { mentors: [], students: [], mapping: [] });
		await runNode(new GetCourseStoreEvent(), { items: [processCall({ answer_id: '1', user_id: '999', user_email: 'nobody@example.ru' })], credentials: creds() });
		const [, unresolved] = await runNode(new GetCourseResolveMentor(), { credentials: creds() });
		expect(unresolved).toHaveLength(1);
		const bad = runNode(new GetCourseCreateNotification(), { items: unresolved, parameters: { recipient: 'staff', staffChatId: '-100123:0' }, credentials: creds() });
		await expect(bad).rejects.toThrow(/Staff Chat ID the topic id in "-100123:0" must be between 1 and 2147483647/);
		const [created] = await runNode(new GetCourseCreateNotification(), { items: unresolved, parameters: { recipient: 'staff', staffChatId: '-100123:45' }, credentials: creds() });
		expect(created[0].json).toMatchObject({ status: 'pending', chatId: '-100123:45' });
		await send();
		expect(messages()).toHaveLength(1);
		expect(messages()[0]).toMatchObject({ chat_id: '-100123', message_thread_id: 45 });
		expect(messages()[0].text).toContain('ученик не найден');
	});

	it("a mentor's telegram_id -1002233:7 (reference import): stored as the group and the topic, exported back, and the mentor's messages go to the topic", async () => {
		const sync = (rows: Array<Record<string, unknown>>, table: string) =>
			runNode(new GetCourseReferenceData(), { items: rows.map((json) => ({ json })), parameters: { operation: 'syncVersions', table }, credentials: creds(), continueOnFail: true });
		const [first] = await sync([{ email: 'topic.mentor@school.test', first_name: 'Тема', telegram_id: '-1002233:7' }, { email: 'bad@school.test', telegram_id: '-1002233:x' }], 'mentors');
		expect(JSON.stringify(first)).toMatch(/telegram_id \\"-1002233:x\\" is not a Telegram chat id \(a whole number, or a forum topic as -100123:45\)/);
		expect((await q(`SELECT telegram_id::text, telegram_topic_id FROM mentors`)).rows).toEqual([{ telegram_id: '-1002233', telegram_topic_id: 7 }]);
		const [again] = await sync([{ email: 'topic.mentor@school.test', first_name: 'Тема', telegram_id: '-1002233:7' }], 'mentors');
		expect(again[again.length - 1].json).toMatchObject({ action: 'summary', created: 0, versioned: 0, unchanged: 1 });
		expect((await exportCurrentRows(t.db.pool, 'mentors')).rows).toEqual([{ email: 'topic.mentor@school.test', first_name: 'Тема', last_name: null, telegram_id: '-1002233:7' }]);
		await seedReference(t.db, { mentors: [], students: [{ user_id: '45678901', email: 'ivan@example.ru' }], mapping: [{ student_email: 'ivan@example.ru', mentor_email: 'topic.mentor@school.test' }] });
		await runNode(new GetCourseStoreEvent(), { items: [processCall({ answer_id: '2' })], credentials: creds() });
		const [resolved] = await runNode(new GetCourseResolveMentor(), { credentials: creds() });
		expect((resolved[0].json.mentor as { telegramId: string }).telegramId).toBe('-1002233:7');
		await runNode(new GetCourseCreateNotification(), { items: resolved, credentials: creds() });
		await send();
		expect(messages()).toHaveLength(1);
		expect(messages()[0]).toMatchObject({ chat_id: '-1002233', message_thread_id: 7 });
	});
});

describe('the overall pace, as Telegram counts it: at most the pace rounded up in any second of arrival', () => {
	it('15 messages to 15 chats at 4.5 a second (5 in any 1.1 s) against a peer that refuses a 6th within a second: all sent, no 429, a window between bursts', async () => {
		const tight = createTelegramPeer({ enforceLimits: true, overallPerSecond: 5 });
		const url = await tight.start();
		try {
			await queue(Array.from({ length: 15 }, (_, i) => ({ chat: String(7100 + i) })));
			const out = await sendPending(t.db.pool, { baseUrl: url, token: TOKEN, requestTimeoutMs: 5000 }, { maxRunSeconds: 20, retryBaseMs: 50, messagesPerSecond: 4.5 });
			expect(out.map((o) => o.status)).toEqual(Array(15).fill('sent'));
			expect(tight.limited).toEqual({ overall: 0, perChat: 0, perGroup: 0 });
			const at = (tight.messages as PeerMessage[]).map((m) => m.at).sort((a, b) => a - b);
			expect(at).toHaveLength(15);
			// the 6th arrives a second after the 1st at the earliest, the 11th a second after the 6th
			for (let i = 5; i < 15; i++) expect(at[i] - at[i - 5]).toBeGreaterThanOrEqual(1000);
			// the shared window in PostgreSQL holds the latest five slots, newest first
			const [pace] = (await q(`SELECT cardinality(recent_slots) AS n, recent_slots[1] >= recent_slots[5] AS newest_first FROM send_pace WHERE bot_key = $1`, [botKey(url, TOKEN)])).rows;
			expect(pace).toEqual({ n: 5, newest_first: true });
		} finally {
			await tight.stop();
		}
	});

	it('a burst of 29 new messages to 29 chats at the default pace goes out on one round trip for their shared slots, no 429', async () => {
		// a peer of its own: a bot this process has not paced yet (an empty window)
		const fresh = createTelegramPeer({ enforceLimits: true });
		const url = await fresh.start();
		try {
			await queue(Array.from({ length: 29 }, (_, i) => ({ chat: String(7200 + i) })));
			let reservations = 0;
			const counting = {
				query: (text: string, values?: unknown[]) => {
					if (/FROM send_pace WHERE bot_key = \$1 FOR UPDATE/.test(text)) reservations++;
					return t.db.pool.query(text, values);
				},
			};
			const out = await sendPending(counting as never, { baseUrl: url, token: TOKEN, requestTimeoutMs: 5000 }, { maxRunSeconds: 20, retryBaseMs: 50 });
			expect(out.map((o) => o.status)).toEqual(Array(29).fill('sent'));
			expect(fresh.limited).toEqual({ overall: 0, perChat: 0, perGroup: 0 });
			// one reservation for all 29 (one each put a busy event loop's turn between two messages of a burst)
			expect(reservations).toBe(1);
			const [pace] = (await q(`SELECT cardinality(recent_slots) AS n, (SELECT count(DISTINCT t) FROM unnest(recent_slots) t) AS distinct_slots FROM send_pace WHERE bot_key = $1`, [botKey(url, TOKEN)])).rows;
			expect(pace).toEqual({ n: 29, distinct_slots: '29' });
		} finally {
			await fresh.stop();
		}
	});
});
