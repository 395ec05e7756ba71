'use strict';
/**
 * What deciding "redelivery or resubmission" against the answer's latest stored event costs one
 * GetCourse call (SPEC §8, lib/db/events.ts), with a history in webhook_events.
 *
 *   node bench/event-identity.js       (BENCH_HISTORY=200000 events, BENCH_CALLS=2000 by default)
 *
 * The history: BENCH_HISTORY events over BENCH_HISTORY/4 answers (new, declined, new again,
 * accepted). Then BENCH_CALLS single calls, one statement each as GetCourse Trigger stores them,
 * from 4 connections at once, mixed: new answers, redeliveries of a latest event, resubmissions
 * (new after accepted, no text, the same date) and the other intake style's copy of a latest
 * event. Prints p50/p95/p99 per kind, calls/s, and the plan of one call.
 */
const { requireDist, freshSchema, fmt, table, header } = require('./common');

const { storeEvents } = requireDist('lib/store/storeEvents.js');

const HISTORY = Number(process.env.BENCH_HISTORY || 200_000);
const CALLS = Number(process.env.BENCH_CALLS || 2000);
const ANSWERS = Math.max(1, Math.floor(HISTORY / 4));
const OPTS = { timeZone: 'Europe/Moscow', notifyStatuses: ['new'] };
const DATE = '2026-02-03 15:10:00';

const call = (answer, status, extra = {}) => ({
	headers: {},
	query: { user_id: String(40_000_000 + (answer % 5000)), user_email: `s${answer % 5000}@example.ru`, answer_id: String(answer), answer_status: status, answer_training_id: '889900', answer_lesson_id: '2223334', event_date: DATE, ...extra },
	body: {},
});
const techCopy = (answer, status) => ({
	headers: {},
	query: {},
	body: { json: { ts64: 1770109511, eventType: 'getcourse/lessonAnswerCreated', answer: { id: `'${answer}'`, status, user_id: 40_000_000 + (answer % 5000), text: 'копия', lesson_id: 2223334, training_id: 889900 } } },
});

function pct(xs, p) {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function main() {
	header('Event identity: one call decided against its answer\'s history', `${fmt(HISTORY)} stored events over ${fmt(ANSWERS)} answers; ${fmt(CALLS)} single calls, 4 at a time`);
	const s = await freshSchema('identity');
	try {
		// History in bulk, in the shape storeEvents writes (call keys as identity.ts makes them).
		const t0 = Date.now();
		for (let from = 0; from < ANSWERS; from += 10_000) {
			const batch = [];
			for (let a = from; a < Math.min(ANSWERS, from + 10_000); a++) {
				for (const status of ['new', 'declined', 'new', 'accepted']) batch.push(call(1_000_000 + a, status));
			}
			// four rounds per answer in one storeEvents call: new, declined, new (a resubmission), accepted
			await storeEvents(s.db.pool, batch, OPTS);
		}
		await s.q('VACUUM ANALYZE webhook_events');
		const n = (await s.q('SELECT count(*)::int AS n FROM webhook_events')).rows[0].n;
		console.log(`history: ${fmt(n)} events stored in ${fmt(Date.now() - t0)} ms\n`);

		const kinds = ['new answer', 'redelivery', 'resubmission', 'other intake style'];
		const make = (i) => {
			const answer = 1_000_000 + ((i * 7919) % ANSWERS);
			switch (i % 4) {
				case 0:
					return { kind: kinds[0], item: call(5_000_000 + i, 'new') };
				case 1:
					return { kind: kinds[1], item: call(answer, 'accepted') };
				case 2:
					return { kind: kinds[2], item: call(answer + 1, 'new') };
				default:
					return { kind: kinds[3], item: techCopy(answer + 2, 'accepted') };
			}
		};
		const times = Object.fromEntries(kinds.map((k) => [k, []]));
		const outcomes = {};
		let next = 0;
		const started = Date.now();
		await Promise.all(
			Array.from({ length: 4 }, async () => {
				for (let i = next++; i < CALLS; i = next++) {
					const { kind, item } = make(i);
					const t = process.hrtime.bigint();
					const [o] = await storeEvents(s.db.pool, [item], OPTS);
					times[kind].push(Number(process.hrtime.bigint() - t) / 1e6);
					const key = `${kind}: ${o.status}${o.resubmission ? ' (resubmission)' : ''}`;
					outcomes[key] = (outcomes[key] || 0) + 1;
				}
			}),
		);
		const wall = Date.now() - started;
		table(
			['call', 'n', 'p50 ms', 'p95 ms', 'p99 ms'],
			kinds.map((k) => [k, times[k].length, fmt(pct(times[k], 50), 2), fmt(pct(times[k], 95), 2), fmt(pct(times[k], 99), 2)]),
		);
		console.log(`\n${fmt(CALLS)} calls in ${fmt(wall)} ms: ${fmt((CALLS / wall) * 1000)} calls/s`);
		console.log(`outcomes: ${Object.entries(outcomes).map(([k, v]) => `${k} ${v}`).join('; ')}`);

		// The lookup each call makes (lib/db/events.ts): one backward step of idx_webhook_events_answer_latest.
		const plan = await s.q(
			`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF)
			 SELECT p.id FROM webhook_events p WHERE p.answer_id = $1 AND p.event_kind = 'answer' ORDER BY p.id DESC LIMIT 1`,
			[String(1_000_123)],
		);
		console.log(`\nplan of "the answer's latest stored event":\n${plan.rows.map((r) => '  ' + r['QUERY PLAN']).join('\n')}`);
	} finally {
		await s.drop();
	}
}

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
