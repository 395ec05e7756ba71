'use strict';
/**
 * Scenario 3: Send Pending against the loopback Bot API peer, default node parameters (28.5 msg/s
 * overall, 1.1 s per chat, at most 20 in any minute per group, 8 in flight, at most 1,000 messages
 * and 25 s per execution), executions back to back until nothing is pending, as a schedule would
 * (an execution that finds nothing due is followed by the next one a second later).
 *
 *   node bench/send-pending.js           both parts (BENCH_SEND_PART=private|staff for one)
 *
 * The peer (test/support/telegram-peer.js, enforceLimits) answers like Telegram: a sendMessage
 * beyond 30 in any 1 s window, a second one to a chat within 1 s, or a 21st to a group (negative
 * chat id) within 60 s is refused with 429 retry_after and not delivered. It runs in a process of
 * its own (test/support/telegram-peer-process.js), so that it stamps arrivals as Telegram would,
 * not when this process's busy event loop gets round to them.
 *
 * (a) private: 2,000 notifications to 500 private chats (4 each), queued before the first run.
 *     Reported: messages/s over the whole backlog and within executions, the most delivered in
 *     any 1 s, 429s, duplicates. Target: ≥ 28 msg/s, 0 × 429, 0 duplicates.
 * (b) staff: 300 staff alerts (the shipped template, realistic problems) waiting for the staff
 *     group, then 200 mentor messages to 50 mentors queued 10 a second while the executions run.
 *     Reported: mentor latency (queued → delivered) p50/p95/max, when the last alert was named
 *     in the group, the number of group messages, 429s. Target: 0 × 429, mentor p95 ≤ 10 s,
 *     every alert named within 120 s.
 */
const path = require('node:path');
const { requireDist, freshSchema, runNode, median, peakRssMb, fmt, table, header, ROOT } = require('./common');
const { startPeerProcess } = require(path.join(ROOT, 'test/support/telegram-peer-process.js'));
const { GetCourseSendPending } = requireDist('nodes/GetCourseSendPending/GetCourseSendPending.node.js');
const { prepareStaffAlert } = requireDist('lib/notify/createNotifications.js');
const { DEFAULT_STAFF_TEMPLATE } = requireDist('lib/notify/template.js');
const { DEFAULT_SEND_OPTIONS } = requireDist('lib/telegram/sendOptions.js');

const RUNS = Math.max(1, Number(process.env.BENCH_SEND_RUNS || 1));
const N = Number(process.env.BENCH_NOTIFICATIONS || 2000);
const CHATS = Number(process.env.BENCH_CHATS || 500);
const PART = process.env.BENCH_SEND_PART || 'all';
const TOKEN = '123456789:AAbenchTokenForTheLoopbackPeer_0123';
const STAFF_CHAT = '-1001234567890';
const ALERTS = 300;
const MENTOR_MESSAGES = 200;
const MENTORS = 50;

const quantile = (xs, p) => {
	const s = [...xs].sort((a, b) => a - b);
	return s.length ? s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] : NaN;
};

/** Runs Send Pending executions back to back until `done()`; returns per-execution figures. */
async function drain(node, creds, peer, done, label) {
	const executions = [];
	for (;;) {
		const before = (await peer.sync()).messages.length;
		const e0 = Date.now();
		const [out] = await runNode(node, { credentials: creds });
		const delivered = (await peer.sync()).messages.slice(before);
		const at = delivered.map((m) => m.at).sort((a, b) => a - b);
		executions.push({ items: out.length, ms: Date.now() - e0, delivered: delivered.length, span: at.length > 1 ? at[at.length - 1] - at[0] : 0, at, firstMs: at.length ? Math.round(at[0] - e0) : null });
		if (out.length) process.stderr.write(`  ${label}, execution ${executions.length}: ${out.length} items, ${delivered.length} delivered in ${((Date.now() - e0) / 1000).toFixed(1)} s\n`);
		if (await done(out)) break;
		if (executions.filter((e) => e.items).length > 40 || executions.length > 400) throw new Error('backlog does not drain');
		if (!out.length) await new Promise((r) => setTimeout(r, 1000)); // nothing due yet (a group's minute is full): the next tick
	}
	return executions;
}

async function privateChats(s, peer, creds, node) {
	header('Send Pending: 2,000 notifications to 500 private chats, default pacing', `${N} notifications, ${CHATS} chats, ${RUNS} run(s); peer enforces 30/s overall, 1/s per chat, 20/min per group`);
	const results = [];
	for (let run = 0; run < RUNS; run++) {
		await peer.reset();
		await s.q('TRUNCATE notifications, chat_pace RESTART IDENTITY');
		await s.q(
			`INSERT INTO notifications (mentor_id, type, message, chat_id, message_hash)
			 SELECT 1 + g % 50, 'homework_submitted', '<b>Домашнее задание</b> №' || g || ' от студента ' || g, (900000000 + g % $2)::text, md5('bench' || g)
			   FROM generate_series(0, $1 - 1) g`,
			[N, CHATS],
		);
		const t0 = Date.now();
		const executions = await drain(node, creds, peer, async (out) => !out.length && !(await s.q(`SELECT 1 FROM notifications WHERE status IN ('pending', 'sending') LIMIT 1`)).rows.length, `run ${run + 1}`);
		const elapsed = Date.now() - t0;
		await peer.sync();
		const sendRequests = peer.requests.filter((r) => r.method === 'sendMessage');
		const r429 = sendRequests.filter((r) => r.status === 429).length;
		const texts = peer.messages.map((m) => `${m.chat_id}\u0000${m.text}`);
		const duplicates = texts.length - new Set(texts).size;
		const st = (await s.q(`SELECT status, count(*)::int AS n FROM notifications GROUP BY status`)).rows;
		const sent = st.find((x) => x.status === 'sent')?.n ?? 0;
		const busy = executions.filter((e) => e.delivered > 1);
		const inRun = busy.reduce((a, e) => a + e.delivered - 1, 0) / (busy.reduce((a, e) => a + e.span, 0) / 1000);
		const at = peer.messages.map((m) => m.at).sort((a, b) => a - b);
		let maxWindow = 0;
		for (let i = 0, j = 0; i < at.length; i++) {
			while (at[i] - at[j] >= 1000) j++;
			maxWindow = Math.max(maxWindow, i - j + 1);
		}
		// where the pace is lost: gaps between arrivals within executions longer than 1.5× the default pace's
		const paceMs = 1000 / DEFAULT_SEND_OPTIONS.messagesPerSecond;
		const gaps = [];
		for (const e of executions) for (let i = 1; i < e.at.length; i++) gaps.push(e.at[i] - e.at[i - 1]);
		const long = gaps.filter((g) => g > 1.5 * paceMs);
		process.stderr.write(
			`  run ${run + 1}: arrival gaps within executions median ${median(gaps).toFixed(1)} ms; ${long.length} longer than ${(1.5 * paceMs).toFixed(0)} ms, ${(long.reduce((a, g) => a + g - paceMs, 0) / 1000).toFixed(2)} s beyond the pace (longest ${Math.max(0, ...gaps).toFixed(0)} ms); first arrival ${executions.map((e) => e.firstMs).filter((x) => x != null).join(' / ')} ms after each execution's start\n`,
		);
		results.push({ elapsed, overall: (peer.messages.length / elapsed) * 1000, inRun, r429, duplicates, delivered: peer.messages.length, sent, executions: executions.filter((e) => e.items).length, maxWindow, limited: { ...peer.limited } });
	}
	table(
		['run', 'delivered', 'rows sent', 'executions', 'elapsed s', 'msg/s overall', 'msg/s within executions', 'max delivered in any 1 s', '429s (overall / per chat / per group)', 'duplicates'],
		results.map((r, i) => [i + 1, fmt(r.delivered), fmt(r.sent), r.executions, (r.elapsed / 1000).toFixed(1), r.overall.toFixed(1), r.inRun.toFixed(1), r.maxWindow, `${r.r429} (${r.limited.overall} / ${r.limited.perChat} / ${r.limited.perGroup})`, r.duplicates]),
	);
	if (results.length > 1) console.log(`\nmedians: ${median(results.map((r) => r.overall)).toFixed(1)} msg/s overall, ${median(results.map((r) => r.inRun)).toFixed(1)} msg/s within executions`);
	const ok = results.every((r) => r.overall >= 28 && r.r429 === 0 && r.duplicates === 0 && r.delivered === N);
	console.log(`\nvs Telegram's limit (30 msg/s): ${(median(results.map((r) => r.overall)) / 30).toFixed(2)} of it`);
	console.log(`target (≥ 28 msg/s overall, 0 × 429, 0 duplicates, all ${N} delivered): ${ok ? 'met' : 'NOT met'}`);
	return ok;
}

function alertText(k) {
	const userId = String(46200000 + k);
	const email = `new.student${k}@example.ru`;
	const p = prepareStaffAlert(
		{
			eventId: String(70000 + k),
			idempotencyKey: `bench:${k}`,
			eventDate: new Date(Date.UTC(2026, 1, 3, 12, k % 60)).toISOString(),
			answerId: String(900000000 + k),
			userId,
			userEmail: email,
			problem: `student not found: no student with GetCourse user id ${userId} or email ${email}`,
			fix: `add the student (GetCourse user id ${userId} or email ${email}) to students: GetCourse Reference Data → Sync Versions (students), or "getcourse-bot import students file.csv"`,
			attempts: 1,
			maxAttempts: 10,
			givenUp: false,
		},
		{ template: DEFAULT_STAFF_TEMPLATE, type: 'staff_alert', timeZone: 'Europe/Moscow', chatId: STAFF_CHAT },
	);
	if (!p.ok) throw new Error(p.reason);
	return p.row;
}

async function staffGroup(s, peer, creds, node) {
	header(
		'Send Pending: a staff group with 300 waiting alerts, plus 200 mentor messages',
		`${ALERTS} staff alerts for group ${STAFF_CHAT} queued at once, then ${MENTOR_MESSAGES} mentor messages to ${MENTORS} mentors queued 10 a second; executions back to back; peer enforces Telegram's limits`,
	);
	await peer.reset();
	await s.q('TRUNCATE notifications, chat_pace RESTART IDENTITY');
	const alerts = Array.from({ length: ALERTS }, (_, k) => alertText(k));
	const t0 = Date.now();
	await s.q(
		`INSERT INTO notifications (mentor_id, type, message, chat_id, message_hash)
		 SELECT NULL, 'staff_alert', m, $2, h FROM unnest($1::text[], $3::text[]) WITH ORDINALITY AS x(m, h, i) ORDER BY i`,
		[alerts.map((a) => a.message), STAFF_CHAT, alerts.map((a) => a.messageHash)],
	);
	const queuedAt = new Map();
	let queued = 0;
	const producer = (async () => {
		for (let k = 0; k < MENTOR_MESSAGES; k++) {
			const due = t0 + 500 + k * 100;
			if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
			const text = `📚 <b>Новое домашнее задание</b>\nСтудент №${k} (MENTOR-${k}-END)`;
			await s.q(`INSERT INTO notifications (mentor_id, type, message, chat_id, message_hash) VALUES ($1, 'homework_submitted', $2, $3, md5($2))`, [
				1 + (k % MENTORS),
				text,
				String(800000000 + (k % MENTORS)),
			]);
			queuedAt.set(`MENTOR-${k}-END`, Date.now());
			queued++;
		}
	})();
	const pending = async () => (await s.q(`SELECT count(*)::int AS n FROM notifications WHERE status IN ('pending', 'sending')`)).rows[0].n;
	const executions = await drain(node, creds, peer, async () => queued === MENTOR_MESSAGES && (await pending()) === 0, 'staff');
	await producer;
	const elapsed = Date.now() - t0;
	await peer.sync();

	const latencies = [];
	for (const m of peer.messages) {
		const k = /MENTOR-\d+-END/.exec(m.text);
		if (k) latencies.push(m.at - queuedAt.get(k[0]));
	}
	const group = peer.messagesTo(STAFF_CHAT);
	let lastNamed = 0;
	let named = 0;
	let namedTwice = 0;
	for (let k = 0; k < ALERTS; k++) {
		const marker = `ученик new.student${k}@example.ru, id ${46200000 + k}`;
		const carriers = group.filter((m) => m.text.includes(marker));
		if (carriers.length) named++;
		if (carriers.length > 1) namedTwice++;
		if (carriers.length) lastNamed = Math.max(lastNamed, carriers[0].at - t0);
	}
	const r429 = peer.requests.filter((r) => r.method === 'sendMessage' && r.status === 429).length;
	const texts = peer.messages.filter((m) => m.chat_id !== STAFF_CHAT).map((m) => m.text);
	const duplicates = texts.length - new Set(texts).size + namedTwice;
	const r = {
		groupMessages: group.length,
		maxLength: Math.max(...group.map((m) => m.text.length)),
		named,
		lastNamed,
		p50: quantile(latencies, 0.5),
		p95: quantile(latencies, 0.95),
		max: Math.max(...latencies),
		mentorDelivered: latencies.length,
		r429,
		duplicates,
	};
	table(
		['alerts named', 'all named after s', 'group messages', 'longest group message', 'mentor messages', 'mentor latency p50 / p95 / max ms', '429s (overall / per chat / per group)', 'duplicates', 'executions', 'elapsed s'],
		[
			[
				`${r.named} of ${ALERTS}`,
				(r.lastNamed / 1000).toFixed(1),
				r.groupMessages,
				fmt(r.maxLength),
				`${r.mentorDelivered} of ${MENTOR_MESSAGES}`,
				`${fmt(r.p50)} / ${fmt(r.p95)} / ${fmt(r.max)}`,
				`${r429} (${peer.limited.overall} / ${peer.limited.perChat} / ${peer.limited.perGroup})`,
				r.duplicates,
				`${executions.filter((e) => e.items).length} (+${executions.filter((e) => !e.items).length} empty)`,
				(elapsed / 1000).toFixed(1),
			],
		],
	);
	for (const req of peer.requests.filter((x) => x.method === 'sendMessage' && x.status === 429)) {
		const before = peer.messages.filter((m) => m.chat_id === req.body.chat_id && m.at <= req.at).pop();
		console.log(`429: chat ${req.body.chat_id} at +${req.at - t0} ms, ${before ? `${req.at - before.at} ms after its previous message` : 'its first'}`);
	}
	const ok = r.r429 === 0 && r.named === ALERTS && r.lastNamed <= 120_000 && r.mentorDelivered === MENTOR_MESSAGES && r.p95 <= 10_000 && r.duplicates === 0;
	console.log(`\ntarget (0 × 429, mentor p95 ≤ 10 s, every alert named within 120 s, 0 duplicates): ${ok ? 'met' : 'NOT met'}`);
	return ok;
}

async function main() {
	const s = await freshSchema('send');
	const peer = await startPeerProcess({ token: TOKEN, enforceLimits: true });
	const { baseUrl } = peer;
	const creds = { getCourseBotPostgres: s.credential, getCourseBotTelegramApi: { accessToken: TOKEN, baseUrl } };
	const node = new GetCourseSendPending();
	try {
		if (PART === 'all' || PART === 'private') await privateChats(s, peer, creds, node);
		if (PART === 'all' || PART === 'staff') await staffGroup(s, peer, creds, node);
		console.log(`peak RSS: ${fmt(peakRssMb())} MB`);
	} finally {
		await peer.stop();
		await s.drop();
	}
}

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
