'use strict';
/**
 * Scenario 3: Send Pending against the loopback Bot API peer, 2,000 notifications to 500 chats
 * (4 each), the node's default pacing (29 msg/s overall, 1 s per chat, 8 in flight).
 *
 *   node bench/send-pending.js        (BENCH_SEND_RUNS=1; each run takes ~70 s)
 *
 * The peer (test/support/telegram-peer.js, option enforceLimits) enforces Telegram's flood limits:
 * a sendMessage beyond 30 in any 1 s window, or a second one to a chat within 1 s, is answered
 * 429 with retry_after 1 and not delivered. Send Pending executions (dist/nodes, default
 * parameters, e.g. at most 1,000 messages and 25 s per execution) run back to back until nothing
 * is pending, as a schedule would. Reported: messages/s over the whole backlog (first claim to
 * last answer) and within executions (first to last delivery of each), 429s, duplicates.
 * Target: ≥ 28 msg/s, zero 429s, zero duplicates.
 */
const path = require('node:path');
const { requireDist, freshSchema, runNode, median, peakRssMb, fmt, table, header, ROOT } = require('./common');
const { createTelegramPeer } = require(path.join(ROOT, 'test/support/telegram-peer.js'));
const { GetCourseSendPending } = requireDist('nodes/GetCourseSendPending/GetCourseSendPending.node.js');

const RUNS = Math.max(1, Number(process.env.BENCH_SEND_RUNS || 1));
const N = Number(process.env.BENCH_NOTIFICATIONS || 2000);
const CHATS = Number(process.env.BENCH_CHATS || 500);
const TOKEN = '123456789:AAbenchTokenForTheLoopbackPeer_0123';

async function main() {
	header('Send Pending: 2,000 notifications to 500 chats, default pacing', `${N} notifications, ${CHATS} chats, ${RUNS} run(s); peer enforces 30/s overall and 1/s per chat`);
	const s = await freshSchema('send');
	const peer = createTelegramPeer({ token: TOKEN, enforceLimits: true });
	const baseUrl = await peer.start();
	const creds = { getCourseBotPostgres: s.credential, getCourseBotTelegramApi: { accessToken: TOKEN, baseUrl } };
	const node = new GetCourseSendPending();
	const results = [];
	for (let run = 0; run < RUNS; run++) {
		peer.reset();
		await s.q('TRUNCATE notifications RESTART IDENTITY');
		await s.q(
			`INSERT INTO notifications (mentor_id, type, message, chat_id, message_hash)
			 SELECT 1 + g % 50, 'homework_submitted', '<b>Домашнее задание</b> №' || g || ' от студента ' || g, (900000000 + g % $2)::text, md5('bench' || g)
			   FROM generate_series(0, $1 - 1) g`,
			[N, CHATS],
		);
		const t0 = Date.now();
		const executions = [];
		for (;;) {
			const before = peer.messages.length;
			const e0 = Date.now();
			const [out] = await runNode(node, { credentials: creds });
			const delivered = peer.messages.slice(before);
			executions.push({ items: out.length, ms: Date.now() - e0, delivered: delivered.length, span: delivered.length > 1 ? delivered[delivered.length - 1].at - delivered[0].at : 0 });
			process.stderr.write(`  run ${run + 1}, execution ${executions.length}: ${out.length} items, ${delivered.length} delivered in ${((Date.now() - e0) / 1000).toFixed(1)} s\n`);
			if (!out.length) break;
			if (executions.length > 20) throw new Error('backlog does not drain');
		}
		const elapsed = Date.now() - t0;
		const sendRequests = peer.requests.filter((r) => r.method === 'sendMessage');
		const r429 = sendRequests.filter((r) => r.status === 429).length;
		const texts = peer.messages.map((m) => `${m.chat_id}\u0000${m.text}`);
		const duplicates = texts.length - new Set(texts).size;
		const st = (await s.q(`SELECT status, count(*)::int AS n FROM notifications GROUP BY status`)).rows;
		const sent = st.find((x) => x.status === 'sent')?.n ?? 0;
		// steady pace inside executions: deliveries / time from first to last delivery of each
		const busy = executions.filter((e) => e.delivered > 1);
		const inRun = busy.reduce((a, e) => a + e.delivered - 1, 0) / (busy.reduce((a, e) => a + e.span, 0) / 1000);
		// the most deliveries seen in any 1 s window (sliding)
		const at = peer.messages.map((m) => m.at).sort((a, b) => a - b);
		let maxWindow = 0;
		for (let i = 0, j = 0; i < at.length; i++) {
			while (at[i] - at[j] >= 1000) j++;
			maxWindow = Math.max(maxWindow, i - j + 1);
		}
		results.push({ elapsed, overall: (peer.messages.length / elapsed) * 1000, inRun, r429, duplicates, delivered: peer.messages.length, sent, executions: executions.length - 1, maxWindow, limited: { ...peer.limited } });
	}
	table(
		['run', 'delivered', 'rows sent', 'executions', 'elapsed s', 'msg/s overall', 'msg/s within executions', 'max delivered in any 1 s', '429s (overall / per chat)', 'duplicates'],
		results.map((r, i) => [i + 1, fmt(r.delivered), fmt(r.sent), r.executions, (r.elapsed / 1000).toFixed(1), r.overall.toFixed(1), r.inRun.toFixed(1), r.maxWindow, `${r.r429} (${r.limited.overall} / ${r.limited.perChat})`, r.duplicates]),
	);
	if (results.length > 1) {
		console.log(`\nmedians: ${median(results.map((r) => r.overall)).toFixed(1)} msg/s overall, ${median(results.map((r) => r.inRun)).toFixed(1)} msg/s within executions`);
	}
	const ok = results.every((r) => r.overall >= 28 && r.r429 === 0 && r.duplicates === 0 && r.delivered === N);
	console.log(`\nvs Telegram's limit (30 msg/s): ${(median(results.map((r) => r.overall)) / 30).toFixed(2)} of it`);
	console.log(`target (≥ 28 msg/s overall, 0 × 429, 0 duplicates, all ${N} delivered): ${ok ? 'met' : 'NOT met'}`);
	console.log(`peak RSS: ${fmt(peakRssMb())} MB`);
	await peer.stop();
	await s.drop();
}

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
