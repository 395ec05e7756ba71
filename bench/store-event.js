'use strict';
/**
 * Scenario 1: GetCourse Store Event with 10,000 items in ONE execution.
 *
 *   node bench/store-event.js            (BENCH_RUNS=5, BENCH_ITEMS=10000 by default)
 *
 * Three ways to store the same 10,000 GetCourse "call URL" deliveries, side by side in each run
 * (order rotated run by run; the table is emptied and vacuumed before each):
 *   node  — the node class from dist/nodes/GetCourseStoreEvent driven through an n8n-like
 *           execute context (parameters resolved by n8n-workflow's NodeHelpers): validation with
 *           zod, normalisation, idempotent INSERT … ON CONFLICT, output items;
 *   lib   — dist/lib/store/storeEvents.js called directly on a pooled client (no n8n layer);
 *   raw   — the physical limit: one plain `INSERT … SELECT FROM unnest(…)` of the already
 *           normalised rows (same columns, JSONB raw payload, same indexes) with `pg`, no
 *           validation, no conflict handling; the arrays are built before the clock starts
 *           (the driver still quotes them element by element inside the timed call);
 *   raw json — the same plain INSERT fed one JSON document (an array per row), the way the
 *           node sends its rows; the document is built before the clock starts.
 * The target is node ≤ 2× raw; node / raw json is printed beside it.
 */
const { requireDist, freshSchema, runNode, median, peakRssMb, fmt, table, runsFromEnv, header } = require('./common');

const { GetCourseStoreEvent } = requireDist('nodes/GetCourseStoreEvent/GetCourseStoreEvent.node.js');
const { storeEvents } = requireDist('lib/store/storeEvents.js');
const { normaliseEvent } = requireDist('lib/payload/normalise.js');
const { extractRequest } = requireDist('lib/payload/request.js');
const { withClient } = requireDist('lib/db/pool.js');

const RUNS = runsFromEnv(5);
const N = Number(process.env.BENCH_ITEMS || 10_000);

function item(i) {
	return {
		json: {
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			params: {},
			query: {
				user_id: String(40_000_000 + (i % 1000)),
				user_email: `student${i % 1000}@example.ru`,
				answer_id: String(700_000_000 + i),
				answer_status: 'new',
				answer_training_id: String(889_900 + (i % 5)),
				answer_lesson_id: String(2_223_000 + (i % 40)),
				answer_text: `Сделал упражнение ${i}: ` + 'текст ответа '.repeat(8),
				event_date: `2026-02-${String(1 + (i % 28)).padStart(2, '0')} 14:03:11`,
			},
			body: {},
			webhookUrl: 'http://127.0.0.1/webhook/getcourse',
			executionMode: 'production',
		},
	};
}

const RAW_SQL = `INSERT INTO webhook_events (idempotency_key, event_date, user_id, user_email, answer_id, answer_training_id,
    answer_lesson_id, answer_status, answer_text, raw_payload, event_type, source)
  SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                       $8::text[], $9::text[], $10::jsonb[], $11::text[], $12::text[])`;
const RAW_JSON_SQL = `INSERT INTO webhook_events (idempotency_key, event_date, user_id, user_email, answer_id, answer_training_id,
    answer_lesson_id, answer_status, answer_text, raw_payload, event_type, source)
  SELECT r->>0, (r->>1)::timestamptz, r->>2, r->>3, r->>4, r->>5, r->>6, r->>7, r->>8, r->9, r->>10, r->>11
    FROM jsonb_array_elements($1::jsonb) AS r`;

async function main() {
	header('Store Event: 10,000 items in one execution', `${N} items, ${RUNS} runs; medians`);
	const s = await freshSchema('store');
	const raw = await s.rawClient();
	const creds = { getCourseBotPostgres: s.credential };
	const items = Array.from({ length: N }, (_, i) => item(i));
	const node = new GetCourseStoreEvent();
	const times = { node: [], lib: [], raw: [], 'raw json': [] };

	const reset = async () => {
		await s.q('TRUNCATE webhook_events, error_logs RESTART IDENTITY');
		await s.q('VACUUM ANALYZE webhook_events');
	};
	const check = async (what) => {
		const n = (await s.q('SELECT count(*)::int AS n FROM webhook_events')).rows[0].n;
		if (n !== N) throw new Error(`${what}: ${n} rows stored, expected ${N}`);
	};
	const ways = {
		node: async () => {
			const [out] = await runNode(node, { items, credentials: creds });
			if (out.length !== N || out.some((o) => o.json.status !== 'stored')) throw new Error('node: not every item stored');
		},
		lib: async () => {
			const out = await withClient(s.db, (c) =>
				storeEvents(c, items.map((i) => i.json), { timeZone: 'Europe/Moscow', notifyStatuses: ['new'] }),
			);
			if (out.some((o) => o.status !== 'stored')) throw new Error('lib: not every item stored');
		},
		raw: async (arrays) => {
			await raw.query(RAW_SQL, arrays);
		},
		'raw json': async (_arrays, doc) => {
			await raw.query(RAW_JSON_SQL, [doc]);
		},
	};
	// The raw side gets the rows already normalised (same values the node stores).
	const rows = items.map((it) => {
		const r = normaliseEvent(extractRequest(it.json).params, { timeZone: 'Europe/Moscow' });
		if (!r.ok) throw new Error(r.reason);
		return r.event;
	});
	const arrays = [
		rows.map((e) => e.idempotencyKey),
		rows.map((e) => e.eventDate.toISOString()),
		rows.map((e) => e.userId),
		rows.map((e) => e.userEmail),
		rows.map((e) => e.answerId),
		rows.map((e) => e.trainingId),
		rows.map((e) => e.lessonId),
		rows.map((e) => e.status),
		rows.map((e) => e.text),
		rows.map((e) => JSON.stringify(e.rawPayload)),
		rows.map((e) => e.eventType),
		rows.map((e) => e.source),
	];
	const doc = JSON.stringify(
		rows.map((e) => [e.idempotencyKey, e.eventDate, e.userId, e.userEmail, e.answerId, e.trainingId, e.lessonId, e.status, e.text, e.rawPayload, e.eventType, e.source]),
	);

	// one warm-up of each (JIT, pool, plan cache), not counted
	for (const w of Object.keys(ways)) {
		await reset();
		await ways[w](arrays, doc);
	}
	const order = ['node', 'lib', 'raw', 'raw json'];
	for (let run = 0; run < RUNS; run++) {
		const rotated = order.slice(run % order.length).concat(order.slice(0, run % order.length));
		for (const w of rotated) {
			await reset();
			const t0 = process.hrtime.bigint();
			await ways[w](arrays, doc);
			times[w].push(Number(process.hrtime.bigint() - t0) / 1e6);
			await check(w);
		}
		process.stderr.write(`  run ${run + 1}/${RUNS}: ${order.map((w) => `${w} ${times[w][run].toFixed(0)} ms`).join(', ')}\n`);
	}
	const m = Object.fromEntries(order.map((w) => [w, median(times[w])]));
	const ratio = (w, base) => median(times[w].map((t, i) => t / times[base][i]));
	table(
		['way', 'median ms', 'rows/s', 'min ms', 'max ms', 'vs raw (median of per-run ratios)', 'vs raw json'],
		order.map((w) => [
			w,
			fmt(m[w]),
			fmt((N / m[w]) * 1000),
			fmt(Math.min(...times[w])),
			fmt(Math.max(...times[w])),
			`${ratio(w, 'raw').toFixed(2)}×`,
			`${ratio(w, 'raw json').toFixed(2)}×`,
		]),
	);
	const perRun = (base) => times.node.map((t, i) => (t / times[base][i]).toFixed(2)).join(', ');
	console.log(`\nnode / raw per run: ${perRun('raw')}; node / raw json per run: ${perRun('raw json')}`);
	console.log(`target node ≤ 2× raw: ${ratio('node', 'raw') <= 2 ? 'met' : 'NOT met'} (${ratio('node', 'raw').toFixed(2)}×)`);
	console.log(`peak RSS: ${fmt(peakRssMb())} MB`);
	await raw.end();
	await s.drop();
}

main().catch(async (err) => {
	console.error(err);
	process.exit(1);
});
