'use strict';
/**
 * The review clock's every-minute run over 100,000 open reviews (lib/review/clock.ts), on the
 * test PostgreSQL, in a fresh schema:
 *
 *   node bench/review-clock.js          (BENCH_REVIEWS=100000, BENCH_RUNS=10 for the idle run)
 *
 *  1. deadlines for 100,000 new reviews (the first run after they opened; 10 % of them in trainings
 *     with review_hours, working hours Mon–Fri 10:00–20:00 on);
 *  2. the idle run: 100,000 open reviews, nothing due — what the schedule costs every minute;
 *  3. 1,000 of them past their deadline: the reminders of one run;
 *  4. all 100,000 past twice their deadline: every reminder and escalation, batch after batch;
 *  5. intake: 10,000 events that each close an open review (the trigger on webhook_events)
 *     against 10,000 new answers (the trigger's WHEN clause keeps them from calling it).
 * Each step reads a batch of 500 with one statement and writes it with one statement; EXPLAIN
 * (ANALYZE, BUFFERS) of the read and write statements of one batch is printed.
 */
const { requireDist, freshSchema, median, fmt, table, header, runsFromEnv } = require('./common');
const { runReviewClock } = requireDist('lib/review/clock.js');
const { dueReviews, queueReviewNotices, unscheduledReviews } = requireDist('lib/db/reviews.js');

const N = Number(process.env.BENCH_REVIEWS || 100000);
const RUNS = runsFromEnv(10);
const MENTORS = 200;
const settings = {
	timeZone: 'Europe/Moscow',
	workingHours: { days: [1, 2, 3, 4, 5], start: 600, end: 1200 },
	checkWithinHours: 24,
	catchUpHours: 24 * 365,
	staffChatId: '-100777',
	link: { schoolAddress: 'https://school.getcourse.ru', linkTemplate: '{school}/pl/teach/control/lesson/view?id={lesson_id}' },
};
const ALL = { batchSize: 500, maxBatches: 100000 };

/** A Queryable that remembers the statements it ran (for EXPLAIN). */
function recording(pool) {
	const seen = [];
	return { seen, query: (text, values) => (seen.push({ text, values }), pool.query(text, values)) };
}

async function explain(s, stmt) {
	const c = await s.db.pool.connect();
	try {
		await c.query('BEGIN');
		const r = await c.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${stmt.text}`, stmt.values);
		return r.rows.map((x) => x['QUERY PLAN']).join('\n');
	} finally {
		await c.query('ROLLBACK');
		c.release();
	}
}

async function timed(fn) {
	const t = process.hrtime.bigint();
	const r = await fn();
	return { ms: Number(process.hrtime.bigint() - t) / 1e6, r };
}

async function main() {
	header('Review clock: the every-minute run over 100,000 open reviews', `${fmt(N)} open reviews of ${MENTORS} mentors; batches of 500; working hours on`);
	const s = await freshSchema('review');
	try {
		await s.q(`INSERT INTO mentors (email, first_name, telegram_id, valid_from) SELECT 'm' || g || '@school.test', 'Наставник ' || g, 100000 + g, '2020-01-01' FROM generate_series(1, $1) g`, [MENTORS]);
		await s.q(`INSERT INTO trainings (training_id, name, review_hours, valid_from) VALUES ('t1', 'Быстрый', 4, '2020-01-01'), ('t2', 'Обычный', NULL, '2020-01-01')`);
		const t0 = Date.now();
		await s.q(
			`INSERT INTO reviews (event_id, answer_id, mentor_email, mentor_name, chat_id, student_user_id, student_email, student_name,
			                      training_id, training_name, lesson_id, lesson_name, event_date, opened_at)
			 SELECT g, 'a' || g, 'm' || (1 + g % $2) || '@school.test', 'Наставник', (100000 + 1 + g % $2)::text, (5000000 + g)::text,
			        's' || g || '@example.ru', 'Студент ' || g, CASE WHEN g % 10 = 0 THEN 't1' ELSE 't2' END, 'Поток', (2000000 + g % 300)::text,
			        'Урок ' || (g % 300), NOW() - make_interval(mins => g % 60), NOW() - make_interval(mins => g % 60)
			   FROM generate_series(1, $1) g`,
			[N, MENTORS],
		);
		await s.q('ANALYZE reviews');
		console.log(`seeded ${fmt(N)} reviews in ${fmt((Date.now() - t0) / 1000, 1)} s\n`);

		// 1. deadlines for every new review
		const rec1 = recording(s.db.pool);
		const first = await timed(() => runReviewClock(rec1, settings, ALL));
		const batches1 = Math.ceil(N / 500);
		const planUnscheduled = await explain(s, { text: rec1.seen[0].text, values: rec1.seen[0].values });
		await s.q('ANALYZE reviews');

		// 2. idle: everything open, nothing due
		await s.q(`UPDATE reviews SET deadline_at = NOW() + interval '1 day', escalate_at = NOW() + interval '2 days'`);
		await s.q('VACUUM ANALYZE reviews');
		const idle = [];
		let idleStatements = 0;
		for (let i = 0; i < RUNS; i++) {
			const r = await timed(() => runReviewClock(s.db.pool, settings, ALL));
			idle.push(r.ms);
			idleStatements = r.r.statements;
		}
		const recIdle = recording(s.db.pool);
		await runReviewClock(recIdle, settings, ALL);
		const planIdle = await explain(s, recIdle.seen.find((x) => /FROM reviews r\s+LEFT JOIN LATERAL[\s\S]*reminded_at IS NULL/.test(x.text)));

		// 3. 1,000 past their deadline
		await s.q(`UPDATE reviews SET deadline_at = NOW() - interval '1 minute' WHERE id % $1 = 0`, [Math.max(1, Math.floor(N / 1000))]);
		await s.q('ANALYZE reviews');
		const thousand = await timed(() => runReviewClock(s.db.pool, settings, ALL));

		// EXPLAIN of one batch's read and write (rolled back)
		await s.q(`UPDATE reviews SET deadline_at = NOW() - interval '1 minute', escalate_at = NOW() - interval '1 second'`);
		await s.q('VACUUM ANALYZE reviews');
		const recDue = recording(s.db.pool);
		const due = await dueReviews(recDue, 'reminder', settings.catchUpHours, 500);
		const planDue = await explain(s, recDue.seen[0]);
		const { messageHash } = requireDist('lib/notify/createNotifications.js');
		const { reminderMessage } = requireDist('lib/review/messages.js');
		const recWrite = recording(s.db.pool);
		const notices = due.map((r) => ({
			reviewId: r.id,
			eventId: r.event_id,
			mentorId: r.current_mentor_id,
			chatId: r.chat_id,
			message: reminderMessage(r, settings.timeZone),
			messageHash: messageHash('review_reminder', `review:${r.id}`),
			replyMarkup: null,
		}));
		const writeStmt = (async () => {
			const c = await s.db.pool.connect();
			try {
				await c.query('BEGIN');
				const rec = recording(c);
				await queueReviewNotices(rec, 'reminder', 'review_reminder', notices);
				await c.query('ROLLBACK');
				return rec.seen[0];
			} finally {
				c.release();
			}
		})();
		const planWrite = await explain(s, await writeStmt);
		void recWrite;

		// 4. all of them: reminders and escalations
		const all = await timed(() => runReviewClock(s.db.pool, settings, ALL));
		const allBatches = Math.ceil(N / 500) * 2;

		// 5. intake with the closing trigger (events stored after the reviews' own)
		await s.q(`UPDATE reviews SET closed_at = NULL, closed_by = NULL`);
		await s.q(`SELECT setval(pg_get_serial_sequence('webhook_events', 'id'), $1)`, [N + 1]);
		const insertEvents = (status, from) =>
			s.q(
				`INSERT INTO webhook_events (idempotency_key, event_date, user_id, answer_id, answer_status, processed, skip_reason)
				 SELECT 'bench:' || $2 || ':' || g, NOW(), '1', 'a' || g, $2, TRUE, 'status' FROM generate_series($1::int, $1::int + 9999) g`,
				[from, status],
			);
		const closing = await timed(() => insertEvents('accepted', 1));
		const [{ n: closed }] = (await s.q(`SELECT count(*)::int AS n FROM reviews WHERE closed_by = 'accepted'`)).rows;
		const plain = await timed(() => insertEvents('new', N + 1));

		console.log('Every-minute run (lib/review/clock.ts, batches of 500; ms):\n');
		table(
			['step', 'reviews', 'statements', 'total ms', 'ms per batch'],
			[
				['deadlines for new reviews (working hours)', fmt(first.r.deadlinesSet), first.r.statements, fmt(first.ms), fmt(first.ms / batches1, 1)],
				[`idle run, nothing due (median of ${RUNS})`, `${fmt(N)} open`, idleStatements, fmt(median(idle), 1), '-'],
				['1,000 past the deadline: reminders', fmt(thousand.r.reminders), thousand.r.statements, fmt(thousand.ms), fmt(thousand.ms / 2, 1)],
				['all past twice the deadline: reminders + escalations', `${fmt(all.r.reminders)} + ${fmt(all.r.escalations)}`, all.r.statements, fmt(all.ms), fmt(all.ms / allBatches, 1)],
			],
		);
		console.log('\nIntake with the closing trigger (10,000 events, one INSERT):\n');
		table(
			['events', 'reviews closed', 'ms', 'µs per event'],
			[
				['10,000 accepted, each closing an open review', fmt(closed), fmt(closing.ms), fmt((closing.ms * 1000) / 10000, 0)],
				['10,000 new answers (trigger not called)', 0, fmt(plain.ms), fmt((plain.ms * 1000) / 10000, 0)],
			],
		);
		console.log('\nEXPLAIN (ANALYZE, BUFFERS): reviews without a deadline (batch of 500)\n');
		console.log(planUnscheduled);
		console.log('\nEXPLAIN (ANALYZE, BUFFERS): the idle reminder read (100,000 open, none due)\n');
		console.log(planIdle);
		console.log('\nEXPLAIN (ANALYZE, BUFFERS): due reminders, one batch of 500 (all due)\n');
		console.log(planDue);
		console.log('\nEXPLAIN (ANALYZE, BUFFERS): queueing one batch of 500 reminders (rolled back)\n');
		console.log(planWrite);
	} finally {
		await s.drop();
	}
}

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
