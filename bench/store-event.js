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
 *           validation, no conflict handling; the arrays are built before the clock starts.
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

async function main() {
	header('Store Event: 10,000 items in one execution', `${N} items, ${RUNS} runs; medians`);
	const s = await freshSchema('store');
	const raw = await s.rawClient();
	const creds = { getCourseBotPostgres: s.credential };
	const items = Array.from({ length: N }, (_, i) => item(i));
	const node = new GetCourseStoreEvent();
	const times = { node: [], lib: [], raw: [] };

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

	// one warm-up of each (JIT, pool, plan cache), not counted
	for (const w of Object.keys(ways)) {
		await reset();
		await ways[w](arrays);
	}
	const order = ['node', 'lib', 'raw'];
	for (let run = 0; run < RUNS; run++) {
		const rotated = order.slice(run % 3).concat(order.slice(0, run % 3));
		for (const w of rotated) {
			await reset();
			const t0 = process.hrtime.bigint();
			await ways[w](arrays);
			times[w].push(Number(process.hrtime.bigint() - t0) / 1e6);
			await check(w);
		}
		process.stderr.write(`  run ${run + 1}/${RUNS}: node ${times.node[run].toFixed(0)} ms, lib ${times.lib[run].toFixed(0)} ms, raw ${times.raw[run].toFixed(0)} ms\n`);
	}
	const m = { node: median(times.node), lib: median(times.lib), raw: median(times.raw) };
	const ratioNode = times.node.map((t, i) => t / times.raw[i]);
	table(
		['way', 'median ms', 'rows/s', 'min ms', 'max ms', 'vs raw (median of per-run ratios)'],
		['node', 'lib', 'raw'].map((w) => [
			w,
			fmt(m[w]),
			fmt((N / m[w]) * 1000),
			fmt(Math.min(...times[w])),
			fmt(Math.max(...times[w])),
			w === 'raw' ? '1.00×' : `${median(times[w].map((t, i) => t / times.raw[i])).toFixed(2)}×`,
		]),
	);
	console.log(`\nnode / raw per run: ${ratioNode.map((r) => r.toFixed(2)).join(', ')}`);
	console.log(`peak RSS: ${fmt(peakRssMb())} MB`);
	await raw.end();
	await s.drop();
}

main().catch(async (err) => {
	console.error(err);
	process.exit(1);
});
