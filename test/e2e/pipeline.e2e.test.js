'use strict';
/**
 * End to end: real n8n 2.40.7 (Node 24) with this package (dist/) linked as a community package,
 * the shipped templates workflows/intake.json, processing.json, sending.json imported and
 * published as they are, PostgreSQL, and a Telegram Bot API peer on loopback.
 *
 *   npm run build && npm run test:e2e
 *
 * PostgreSQL: E2E_PG_* or TEST_PG_* (HOST/PORT/USER/PASSWORD; default 127.0.0.1:5432 postgres);
 * when nothing answers there, an embedded PostgreSQL is started for the run.
 * E2E_KEEP=1 keeps the n8n user folder (log: <folder>/n8n.log) and the databases for inspection.
 */

const { setupE2E, techApiAnswer, people } = require('../support/e2e-harness');
const rt = require('../../scripts/n8n');

const { MARIA, PETR, BLOCKED, IVAN, OLGA, SEMEN, NOBODY, TRAINING, LESSON } = people;
const WF = { intake: 'gcbIntake0000001', processing: 'gcbProcessing001', sending: 'gcbSending000001' };

let ctx;
let q;
let peer;
let n8n;
let TOKEN;
let webhookUrl;
let timings;
let t0;
const post = (...a) => ctx.post(...a);
const until = (...a) => ctx.until(...a);

beforeAll(async () => {
	ctx = await setupE2E({ templates: ['intake', 'processing', 'sending'], label: 'e2e' });
	({ q, peer, n8n, TOKEN, webhookUrl, timings, t0 } = ctx);
	// Credentials were resolved by name on import, and every template is published
	expect(ctx.storedWorkflows.map((w) => w.id).sort()).toEqual(Object.values(WF).sort());
	for (const row of ctx.storedWorkflows) {
		expect(row.activeVersionId).toBeTruthy();
		for (const node of row.nodes) {
			for (const ref of Object.values(node.credentials || {})) expect(ref.id).toMatch(/^gcbE2e(Pg|Tg|Ws)Cred0001$/);
		}
	}
}, 20 * 60 * 1000);

afterAll(async () => {
	if (ctx) await ctx.teardown();
}, 120000);

const answerIds = {
	ivanTech: '700000123',
	olgaProcess: '700000200',
	ivanForm: '700000300',
	nobody: '700000400',
	semen: '700000500',
	unknownUser: '700000600',
};

describe('GetCourse Bot in real n8n', () => {
	test('the intake webhook stores GetCourse deliveries and answers each one', async () => {
		// A. Tech API JSON, wrapped in {"json": …}, quoted answer id
		const ivan = techApiAnswer({ answerId: answerIds.ivanTech, userId: IVAN.userId, text: 'Сделал упражнение 2 <b>жирно</b> & с амперсандом', ts64: 1770109511 });
		let res = await post(ivan);
		expect(res.status).toBe(200);
		expect(res.json).toMatchObject({ status: 'stored' });

		// A again: the same delivery is one row
		res = await post(ivan);
		expect(res.status).toBe(200);
		expect(res.json).toMatchObject({ status: 'duplicate' });

		// The same answer with a new status (accepted): a new event, but not one that notifies
		res = await post(techApiAnswer({ answerId: answerIds.ivanTech, userId: IVAN.userId, status: 'accepted', text: 'Сделал упражнение 2', ts64: 1770113111 }));
		expect(res.status).toBe(200);
		expect(res.json).toMatchObject({ status: 'stored' });

		// B. Process "call URL": GET, values in the query string, local date
		res = await rt.httpRequest(
			ctx.urlWith({
				user_id: OLGA.userId,
				user_email: OLGA.email,
				answer_id: answerIds.olgaProcess,
				answer_status: 'new',
				answer_training_id: TRAINING.id,
				answer_lesson_id: LESSON.id,
				answer_text: 'Ответ Ольги по уроку 2.3',
				event_date: '2026-02-03 15:10:00',
			}),
		);
		expect(res.status).toBe(200);
		expect(res.json).toMatchObject({ status: 'stored' });

		// B. Process POST with a form body (body wins over the query string)
		res = await post(
			new URLSearchParams({
				user_id: IVAN.userId,
				user_email: IVAN.email,
				answer_id: answerIds.ivanForm,
				answer_status: 'new',
				answer_training_id: TRAINING.id,
				answer_lesson_id: LESSON.id,
				answer_text: 'Второе задание Ивана',
				event_date: '2026-02-04 10:00:00',
			}).toString(),
			{ query: '?answer_status=accepted', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
		);
		expect(res.status).toBe(200);
		expect(res.json).toMatchObject({ status: 'stored' });

		// A student without a mentor, and one whose mentor blocked the bot
		for (const [who, id] of [
			[NOBODY, answerIds.nobody],
			[SEMEN, answerIds.semen],
		]) {
			res = await post(techApiAnswer({ answerId: id, userId: who.userId, text: `Ответ ${who.first}`, ts64: 1770200000 }));
			expect(res.status).toBe(200);
			expect(res.json).toMatchObject({ status: 'stored' });
		}

		// Invalid: no answer id, no user → 4xx, nothing stored, an error_logs row with the raw payload
		const errorsBefore = Number((await q(`SELECT count(*) AS n FROM error_logs`))[0].n);
		res = await post({ foo: 'bar', marker: 'e2e-invalid-payload' });
		expect(res.status).toBeGreaterThanOrEqual(400);
		expect(res.status).toBeLessThan(500);
		expect(res.json).toMatchObject({ status: 'invalid' });
		const errorsAfter = await q(`SELECT source, message, context FROM error_logs ORDER BY id`);
		expect(errorsAfter.length).toBe(errorsBefore + 1);
		expect(JSON.stringify(errorsAfter[errorsAfter.length - 1])).toContain('e2e-invalid-payload');

		const events = await q(`SELECT answer_id, answer_status, source, processed, user_email FROM webhook_events ORDER BY id`);
		expect(events.map((e) => `${e.answer_id}/${e.answer_status}`)).toEqual([
			`${answerIds.ivanTech}/new`,
			`${answerIds.ivanTech}/accepted`,
			`${answerIds.olgaProcess}/new`,
			`${answerIds.ivanForm}/new`,
			`${answerIds.nobody}/new`,
			`${answerIds.semen}/new`,
		]);
	});

	test('processing resolves mentors and queues one notification per answer', async () => {
		peer.failAlways(BLOCKED.chat, peer.answers[403]());
		peer.failNext(PETR.chat, peer.answers[429](1));
		const run = await n8n.execute(WF.processing);
		timings.processingExecuteDone = Date.now() - t0;
		expect(run.output && run.output.status).toBe('success');
		// The schedule may have claimed some events first: wait on the database, not on this run.
		const settled = await until('all webhook events to be processed or marked', async () => {
			const rows = await q(`SELECT answer_id, answer_status, processed, error_message FROM webhook_events ORDER BY id`);
			return rows.every((r) => r.processed === true || r.error_message) ? rows : null;
		});
		const byAnswer = Object.fromEntries(settled.filter((r) => r.answer_status === 'new').map((r) => [r.answer_id, r]));
		expect(byAnswer[answerIds.nobody].error_message).toBeTruthy();
		for (const id of [answerIds.ivanTech, answerIds.olgaProcess, answerIds.ivanForm, answerIds.semen]) {
			expect(byAnswer[id]).toMatchObject({ processed: true });
		}
		const notes = await q(
			`SELECT n.chat_id, e.answer_id FROM notifications n JOIN webhook_events e ON e.id = n.webhook_event_id ORDER BY n.id`,
		);
		expect(notes.map((n) => `${n.answer_id}->${n.chat_id}`).sort()).toEqual(
			[
				`${answerIds.ivanTech}->${MARIA.chat}`,
				`${answerIds.olgaProcess}->${PETR.chat}`,
				`${answerIds.ivanForm}->${MARIA.chat}`,
				`${answerIds.semen}->${BLOCKED.chat}`,
			].sort(),
		);
	});

	test('sending delivers each notification exactly once, even with parallel runs and a schedule', async () => {
		// Two CLI executions at once, beside the published 30 s schedule.
		const runs = await Promise.all([n8n.execute(WF.sending), n8n.execute(WF.sending)]);
		timings.sendingExecuteDone = Date.now() - t0;
		for (const r of runs) expect(r.output && r.output.status).toBe('success');
		const final = await until(
			'every notification to be sent or failed',
			async () => {
				const rows = await q(`SELECT id, chat_id, status, telegram_message_id, sent_at, last_error, message FROM notifications ORDER BY id`);
				return rows.length === 4 && rows.every((r) => r.status === 'sent' || r.status === 'failed') ? rows : null;
			},
			{ timeoutMs: 150000 },
		);
		timings.allNotificationsSettled = Date.now() - t0;

		const byChat = (chat) => final.filter((r) => r.chat_id === chat);
		expect(byChat(MARIA.chat).map((r) => r.status)).toEqual(['sent', 'sent']);
		expect(byChat(PETR.chat).map((r) => r.status)).toEqual(['sent']);
		expect(byChat(BLOCKED.chat).map((r) => r.status)).toEqual(['failed']);
		expect(byChat(BLOCKED.chat)[0].last_error).toMatch(/blocked/);

		// The peer got exactly one message per answer, for the right chat
		expect(peer.messagesTo(MARIA.chat)).toHaveLength(2);
		expect(peer.messagesTo(PETR.chat)).toHaveLength(1);
		expect(peer.messagesTo(BLOCKED.chat)).toHaveLength(0);
		expect(peer.messages).toHaveLength(3);
		for (const m of peer.messages) {
			expect(m.token).toBe(TOKEN);
			expect(m.parse_mode).toBe('HTML');
			expect(m.text.length).toBeLessThanOrEqual(4096);
		}
		const maria = peer.messagesTo(MARIA.chat).map((m) => m.text);
		expect(maria.every((t) => t.includes(IVAN.first))).toBe(true);
		expect(maria.some((t) => t.includes('Сделал упражнение 2 &lt;b&gt;жирно&lt;/b&gt; &amp;'))).toBe(true);
		expect(maria.some((t) => t.includes('Второе задание Ивана'))).toBe(true);
		expect(peer.messagesTo(PETR.chat)[0].text).toContain(OLGA.first);
		// 429 was honoured: Petr's chat was asked twice, delivered once
		expect(peer.requests.filter((r) => r.method === 'sendMessage' && r.body.chat_id === PETR.chat).map((r) => r.status)).toEqual([429, 200]);

		// Stored message ids are the peer's
		const delivered = new Map(peer.messages.map((m) => [String(m.message_id), m.chat_id]));
		for (const r of final.filter((x) => x.status === 'sent')) {
			expect(delivered.get(String(r.telegram_message_id))).toBe(r.chat_id);
			expect(r.sent_at).toBeTruthy();
		}

		// The token is nowhere in the database
		const leaks = await q(
			`SELECT (SELECT count(*) FROM notifications WHERE coalesce(last_error,'') LIKE '%' || $1 || '%')
			      + (SELECT count(*) FROM error_logs WHERE message LIKE '%' || $1 || '%' OR coalesce(context::text,'') LIKE '%' || $1 || '%')
			      + (SELECT count(*) FROM application_logs WHERE message LIKE '%' || $1 || '%' OR coalesce(context::text,'') LIKE '%' || $1 || '%') AS n`,
			[TOKEN.split(':')[1]],
		);
		expect(Number(leaks[0].n)).toBe(0);
	});

	test('running everything again sends nothing more', async () => {
		const before = peer.requests.length;
		await n8n.execute(WF.processing);
		await n8n.execute(WF.sending);
		expect(peer.messages).toHaveLength(3);
		expect(peer.requests.length).toBe(before);
		const pending = await q(`SELECT count(*) AS n FROM notifications WHERE status NOT IN ('sent','failed')`);
		expect(Number(pending[0].n)).toBe(0);
	});
});
