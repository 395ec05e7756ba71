'use strict';
/**
 * End to end with the one-workflow template workflows/full-pipeline.json (intake + processing +
 * sending in one workflow), imported and published as shipped, in its own n8n.
 */

const { setupE2E, techApiAnswer, people } = require('../support/e2e-harness');

const { MARIA, OLGA, PETR, IVAN, TRAINING, LESSON } = people;
let ctx;

beforeAll(async () => {
	ctx = await setupE2E({ templates: ['full-pipeline'], label: 'e2efull' });
	expect(ctx.storedWorkflows).toHaveLength(1);
	expect(ctx.storedWorkflows[0].activeVersionId).toBeTruthy();
}, 20 * 60 * 1000);

afterAll(async () => {
	if (ctx) await ctx.teardown();
}, 120000);

test('one workflow takes a webhook to a Telegram message, once', async () => {
	let res = await ctx.post(techApiAnswer({ answerId: '800000001', userId: IVAN.userId, text: 'Полный конвейер', ts64: 1770109511 }));
	expect(res.status).toBe(200);
	expect(res.json).toMatchObject({ status: 'stored' });
	res = await ctx.get({
		user_id: OLGA.userId,
		user_email: OLGA.email,
		answer_id: '800000002',
		answer_status: 'new',
		answer_training_id: TRAINING.id,
		answer_lesson_id: LESSON.id,
		event_date: '2026-02-03 15:10:00',
	});
	expect(res.status).toBe(200);
	res = await ctx.post({ nothing: 'useful' });
	expect(res.status).toBe(422);

	// Manual Trigger → Resolve Mentor → Create Notification, then → Send Pending (one run)
	const run = await ctx.n8n.execute('gcbFullPipeline1');
	expect(run.output && run.output.status).toBe('success');
	ctx.mark('executeDone');
	await ctx.until('two messages at the peer', async () => ctx.peer.messages.length >= 2, { timeoutMs: 120000 });
	const rows = await ctx.until('notifications sent', async () => {
		const r = await ctx.q(`SELECT chat_id, status FROM notifications ORDER BY chat_id`);
		return r.length === 2 && r.every((x) => x.status === 'sent') ? r : null;
	});
	expect(rows.map((r) => r.chat_id)).toEqual([MARIA.chat, PETR.chat]);
	expect(ctx.peer.messagesTo(MARIA.chat)).toHaveLength(1);
	expect(ctx.peer.messagesTo(PETR.chat)).toHaveLength(1);
	expect(ctx.peer.messagesTo(MARIA.chat)[0].text).toContain('Полный конвейер');

	// Nothing more on a second run
	await ctx.n8n.execute('gcbFullPipeline1');
	expect(ctx.peer.messages).toHaveLength(2);
});
