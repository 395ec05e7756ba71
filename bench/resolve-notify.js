'use strict';
/**
 * Scenario 2: Resolve Mentor + Create Notification over 10,000 pending events
 * (1,000 students, 50 mentors, 5 trainings, 40 lessons; every event resolvable).
 *
 *   node bench/resolve-notify.js        (BENCH_RUNS=5, BENCH_EVENTS=10000, BENCH_NAIVE_EVENTS=2000: the per-event loop runs ~40 s for 10,000; its rate does not depend on the count)
 *
 * Side by side in each run (order alternated; events reset to unprocessed, notifications
 * emptied and tables vacuumed before each way):
 *   nodes B=1000 / B=10000 — the node classes from dist/nodes (Resolve Mentor → Create
 *       Notification, output items of one fed as input items of the other), executions looped
 *       until Resolve Mentor returns nothing, as a schedule would;
 *   naive — what a hand-built workflow does, per event: SELECT student, SELECT mapping,
 *       SELECT mentor, INSERT notification, UPDATE event (autocommit, same temporal
 *       conditions, the same template rendering and hash from dist/lib).
 * Targets: ≥ 5,000 events/s and ≥ 10× the naive loop.
 */
const { requireDist, freshSchema, runNode, median, peakRssMb, fmt, table, runsFromEnv, header } = require('./common');

const { GetCourseResolveMentor } = requireDist('nodes/GetCourseResolveMentor/GetCourseResolveMentor.node.js');
const { GetCourseCreateNotification } = requireDist('nodes/GetCourseCreateNotification/GetCourseCreateNotification.node.js');
const { renderMessage, formatDate, DEFAULT_TEMPLATE } = requireDist('lib/notify/template.js');
const { messageHash } = requireDist('lib/notify/createNotifications.js');

const RUNS = runsFromEnv(5);
const N = Number(process.env.BENCH_EVENTS || 10_000);
const NAIVE_N = Math.min(N, Number(process.env.BENCH_NAIVE_EVENTS || 2000));
const STUDENTS = 1000;
const MENTORS = 50;

async function seed(s) {
	await s.q(`INSERT INTO mentors (email, first_name, last_name, telegram_id, valid_from)
	           SELECT 'mentor' || g || '@school.ru', 'Наставник', 'N' || g, 900000000 + g, '2000-01-01' FROM generate_series(0, $1 - 1) g`, [MENTORS]);
	await s.q(`INSERT INTO students (user_id, email, first_name, last_name, valid_from)
	           SELECT (40000000 + g)::text, 'student' || g || '@example.ru', 'Иван', 'Студент' || g, '2000-01-01' FROM generate_series(0, $1 - 1) g`, [STUDENTS]);
	await s.q(`INSERT INTO trainings (training_id, name, valid_from) SELECT (889900 + g)::text, 'Поток ' || g, '2000-01-01' FROM generate_series(0, 4) g`);
	await s.q(`INSERT INTO lessons (lesson_id, training_id, name, valid_from)
	           SELECT (2223000 + g)::text, (889900 + g % 5)::text, 'Урок ' || g, '2000-01-01' FROM generate_series(0, 39) g`);
	// Each student: a mapping for every training (NULL) to mentor g % 50, plus for a fifth of the
	// students an older closed mapping (the temporal condition has something to reject).
	await s.q(`INSERT INTO mapping (student_email, mentor_email, training_id, valid_from)
	           SELECT 'student' || g || '@example.ru', 'mentor' || (g % $2) || '@school.ru', NULL, '2025-01-01' FROM generate_series(0, $1 - 1) g`, [STUDENTS, MENTORS]);
	await s.q(`INSERT INTO mapping (student_email, mentor_email, training_id, valid_from, valid_to)
	           SELECT 'student' || g || '@example.ru', 'mentor' || ((g + 1) % $2) || '@school.ru', NULL, '2000-01-01', '2025-01-01'
	             FROM generate_series(0, $1 - 1, 5) g`, [STUDENTS, MENTORS]);
	await s.q(`INSERT INTO webhook_events (idempotency_key, event_date, user_id, user_email, answer_id, answer_training_id, answer_lesson_id,
	                                       answer_status, answer_text, raw_payload, event_type, source)
	           SELECT 'answer:' || (700000000 + g) || ':new', TIMESTAMPTZ '2026-02-01 12:00:00+03' + (g || ' seconds')::interval,
	                  (40000000 + g % $2)::text, 'student' || (g % $2) || '@example.ru', (700000000 + g)::text,
	                  (889900 + g % 5)::text, (2223000 + (g % 8) * 5 + g % 5)::text, 'new', 'Сделал упражнение ' || g,
	                  jsonb_build_object('answer_id', (700000000 + g)::text), 'getcourse/process', 'process'
	             FROM generate_series(0, $1 - 1) g`, [N, STUDENTS]);
	await s.q('ANALYZE');
}

async function reset(s) {
	await s.q(`UPDATE webhook_events SET processed = FALSE, processed_at = NULL, attempts = 0, locked_until = NULL, error_message = NULL`);
	await s.q('TRUNCATE notifications, reviews, error_logs, application_logs RESTART IDENTITY');
	await s.q('VACUUM ANALYZE webhook_events');
	await s.q('VACUUM ANALYZE notifications');
}

async function pipeline(s, batchSize) {
	const creds = { getCourseBotPostgres: s.credential };
	const resolveNode = new GetCourseResolveMentor();
	const createNode = new GetCourseCreateNotification();
	let total = 0;
	for (;;) {
		const [resolved] = await runNode(resolveNode, { parameters: { batchSize }, credentials: creds });
		if (!resolved.length) break;
		const [created] = await runNode(createNode, { items: resolved, credentials: creds });
		total += created.filter((c) => c.json.created).length;
	}
	return total;
}

/** The per-event loop of a naive workflow. */
async function naive(client, limit) {
	const events = (
		await client.query(
			`SELECT id::text, idempotency_key, event_date, user_id, user_email, answer_id, answer_status, answer_text,
			        answer_training_id, answer_lesson_id
			   FROM webhook_events WHERE processed = FALSE ORDER BY id LIMIT $1`,
			[limit],
		)
	).rows;
	let total = 0;
	for (const e of events) {
		const st = (
			await client.query(
				`SELECT * FROM students WHERE (user_id = $1 OR lower(email) = lower($2)) AND valid_from <= $3 AND $3 < valid_to
				  ORDER BY (user_id = $1) DESC, valid_from DESC LIMIT 1`,
				[e.user_id, e.user_email, e.event_date],
			)
		).rows[0];
		const mp = (
			await client.query(
				`SELECT * FROM mapping WHERE lower(student_email) = lower($1) AND (training_id = $2 OR training_id IS NULL)
				    AND valid_from <= $3 AND $3 < valid_to ORDER BY (training_id IS NULL), valid_from DESC LIMIT 1`,
				[st.email, e.answer_training_id, e.event_date],
			)
		).rows[0];
		const me = (
			await client.query(
				`SELECT * FROM mentors WHERE lower(email) = lower($1) AND valid_from <= $2 AND $2 < valid_to ORDER BY valid_from DESC LIMIT 1`,
				[mp.mentor_email, e.event_date],
			)
		).rows[0];
		const chat = String(me.telegram_id);
		const message = renderMessage(DEFAULT_TEMPLATE, {
			student_name: `${st.first_name} ${st.last_name}`,
			student_email: st.email,
			training_name: e.answer_training_id,
			lesson_name: e.answer_lesson_id,
			answer_status: e.answer_status,
			answer_text: e.answer_text,
			event_date: formatDate(e.event_date, 'Europe/Moscow'),
		});
		const r = await client.query(
			`INSERT INTO notifications (webhook_event_id, mentor_id, chat_id, type, message, message_hash, status)
			 VALUES ($1, $2, $3, 'homework_submitted', $4, $5, 'pending') ON CONFLICT (message_hash) DO NOTHING`,
			[e.id, me.id, chat, message, messageHash('homework_submitted', e.idempotency_key)],
		);
		await client.query(`UPDATE webhook_events SET processed = TRUE, processed_at = NOW() WHERE id = $1`, [e.id]);
		total += r.rowCount;
	}
	return total;
}

async function main() {
	header('Resolve Mentor + Create Notification', `${N} pending events, ${STUDENTS} students, ${MENTORS} mentors; naive loop over ${NAIVE_N} events; ${RUNS} runs; medians`);
	const s = await freshSchema('resolve');
	await seed(s);
	const raw = await s.rawClient();
	const ways = {
		'nodes, batch 1000': () => pipeline(s, 1000),
		'nodes, batch 10000': () => pipeline(s, 10000),
		'naive per-event loop': () => naive(raw, NAIVE_N),
	};
	const expected = { 'nodes, batch 1000': N, 'nodes, batch 10000': N, 'naive per-event loop': NAIVE_N };
	const rates = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
	const ms = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
	// warm-up, not counted
	await reset(s);
	await pipeline(s, 1000);
	const names = Object.keys(ways);
	for (let run = 0; run < RUNS; run++) {
		const order = run % 2 ? [...names].reverse() : names;
		for (const w of order) {
			await reset(s);
			const t0 = process.hrtime.bigint();
			const made = await ways[w]();
			const t = Number(process.hrtime.bigint() - t0) / 1e6;
			if (made !== expected[w]) throw new Error(`${w}: ${made} notifications, expected ${expected[w]}`);
			const n = (await s.q('SELECT count(*)::int AS n FROM notifications')).rows[0].n;
			if (n !== expected[w]) throw new Error(`${w}: ${n} notifications rows, expected ${expected[w]}`);
			ms[w].push(t);
			rates[w].push((expected[w] / t) * 1000);
		}
		process.stderr.write(`  run ${run + 1}/${RUNS}: ${names.map((w) => `${w} ${rates[w][run].toFixed(0)}/s`).join(', ')}\n`);
	}
	const naiveKey = 'naive per-event loop';
	table(
		['way', 'events', 'median ms', 'events/s', 'min events/s', 'max events/s', 'vs naive (median of per-run ratios)'],
		names.map((w) => [
			w,
			fmt(expected[w]),
			fmt(median(ms[w])),
			fmt(median(rates[w])),
			fmt(Math.min(...rates[w])),
			fmt(Math.max(...rates[w])),
			w === naiveKey ? '1.0×' : `${median(rates[w].map((r, i) => r / rates[naiveKey][i])).toFixed(1)}×`,
		]),
	);
	const best = Math.max(median(rates['nodes, batch 1000']), median(rates['nodes, batch 10000']));
	const bestRatio = Math.max(
		median(rates['nodes, batch 1000'].map((r, i) => r / rates[naiveKey][i])),
		median(rates['nodes, batch 10000'].map((r, i) => r / rates[naiveKey][i])),
	);
	console.log(`\ntargets: ≥ 5,000 events/s → ${best >= 5000 ? 'met' : 'NOT met'} (${fmt(best)}); ≥ 10× naive → ${bestRatio >= 10 ? 'met' : 'NOT met'} (${bestRatio.toFixed(1)}×)`);
	console.log(`peak RSS: ${fmt(peakRssMb())} MB`);
	await raw.end();
	await s.drop();
}

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
