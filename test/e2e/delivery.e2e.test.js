'use strict';
/**
 * Delivery end to end in real n8n 2.x with the shipped full pipeline (workflows/full-pipeline.json):
 * its Alert staff node is given a forum topic of a staff group (negative chat id), and the Bot
 * API peer enforces Telegram's limits (30/s, 1/s per chat, 20 in any minute per group, 429
 * retry_after). A new cohort of 25 students nobody entered yet hands in homework, and three
 * ordinary answers come right behind them: the three mentors get theirs, the staff topic gets
 * every alert, coalesced into a few messages, and Telegram never answers 429.
 */

const { setupE2E, people } = require('../support/e2e-harness');

const { MARIA, PETR, BLOCKED, IVAN, OLGA, SEMEN, TRAINING, LESSON } = people;
const WF = 'gcbFullPipeline1';
const STAFF_GROUP = '-1009876543210';
const STAFF_TOPIC = 7;
const COHORT = 25;
let ctx;

beforeAll(async () => {
	ctx = await setupE2E({
		templates: ['full-pipeline'],
		label: 'e2edelivery',
		peerOptions: { enforceLimits: true },
		transform: (wf) => {
			for (const node of wf.nodes) if (node.name === 'Alert staff') node.parameters.staffChatId = `${STAFF_GROUP}:${STAFF_TOPIC}`;
			return wf;
		},
	});
	expect(ctx.storedWorkflows.map((w) => w.id)).toEqual([WF]);
}, 20 * 60 * 1000);

afterAll(async () => {
	if (ctx) await ctx.teardown();
}, 120000);

const call = (over) => ({
	answer_training_id: TRAINING.id,
	answer_lesson_id: LESSON.id,
	answer_status: 'new',
	event_date: '2026-02-05 10:00:00',
	...over,
});
const newcomer = (k) => ({ userId: String(47100000 + k), email: `cohort${k}@example.ru` });

test('25 unknown students and three ordinary answers right behind them: the mentors get theirs, the staff topic gets every alert coalesced, no 429', async () => {
	const t0 = Date.now();
	const cohort = await Promise.all(
		Array.from({ length: COHORT }, (_, k) =>
			ctx.get(call({ answer_id: String(910000 + k), user_id: newcomer(k).userId, user_email: newcomer(k).email, answer_text: `Работа новичка ${k}` })),
		),
	);
	expect(cohort.map((r) => r.json.status)).toEqual(Array(COHORT).fill('stored'));
	const queued = Date.now();
	const ordinary = [
		[IVAN, MARIA, 'Обычный ответ Ивана'],
		[OLGA, PETR, 'Обычный ответ Ольги'],
		[SEMEN, BLOCKED, 'Обычный ответ Семёна'],
	];
	const answers = await Promise.all(ordinary.map(([student, , text], k) => ctx.get(call({ answer_id: String(920000 + k), user_id: student.userId, user_email: student.email, answer_text: text }))));
	expect(answers.map((r) => r.json.status)).toEqual(['stored', 'stored', 'stored']);

	// every mentor hears of their answer, once
	const latencies = [];
	for (const [, mentor, text] of ordinary) {
		await ctx.until(`"${text}" in chat ${mentor.chat}`, async () => ctx.peer.messagesTo(mentor.chat).some((m) => m.text.includes(text)), { timeoutMs: 150000, intervalMs: 50 });
		const got = ctx.peer.messagesTo(mentor.chat).filter((m) => m.text.includes(text));
		expect(got).toHaveLength(1);
		latencies.push(got[0].at - queued);
	}

	// every newcomer is named in the staff topic, once
	const topic = () => ctx.peer.messagesTo(`${STAFF_GROUP}:${STAFF_TOPIC}`);
	const named = (k) => topic().filter((m) => m.text.includes(`GetCourse user id ${newcomer(k).userId}`));
	await ctx.until('every newcomer named in the staff topic', async () => Array.from({ length: COHORT }, (_, k) => named(k).length).every((n) => n > 0), { timeoutMs: 240000 });
	for (let k = 0; k < COHORT; k++) expect({ k, messages: named(k).length }).toEqual({ k, messages: 1 });
	const group = ctx.peer.messagesTo(STAFF_GROUP);
	expect(group.every((m) => m.message_thread_id === STAFF_TOPIC)).toBe(true);
	expect(group.length).toBeLessThan(COHORT); // coalesced, not one message per alert
	for (const m of group) expect(m.text.length).toBeLessThanOrEqual(4096);
	const lastNamed = Math.max(...Array.from({ length: COHORT }, (_, k) => named(k)[0].at));
	console.log(
		`cohort of ${COHORT} + 3 answers: mentors got theirs after ${latencies.join(', ')} ms; ${group.length} staff messages named all ${COHORT} newcomers within ${lastNamed - t0} ms`,
	);

	// Telegram never had to refuse anything
	expect(ctx.peer.requests.filter((r) => r.method === 'sendMessage' && r.status === 429)).toHaveLength(0);
	expect(ctx.peer.limited).toEqual({ overall: 0, perChat: 0, perGroup: 0 });
	const rows = await ctx.q(`SELECT type, status, count(*)::int AS n FROM notifications GROUP BY type, status ORDER BY type`);
	expect(rows).toEqual([
		{ type: 'homework_submitted', status: 'sent', n: 3 },
		{ type: 'staff_alert', status: 'sent', n: COHORT },
	]);
}, 300000);
