'use strict';
/**
 * Coalesced pipeline starts (SPEC §14) in real n8n 2.x with the shipped full-pipeline template:
 * GetCourse Trigger's default start mode lets a burst of new answers share executions.
 *
 *  - n8n starts: "On start (catch up)" runs the pipeline once, so an answer stored while n8n was
 *    down is delivered at once (not at the schedule's next run);
 *  - a burst of 300 answers (20 in flight): every answer reaches its mentor once, and n8n's own
 *    records show far fewer executions than answers;
 *  - an execution that fails half way (Create Notification cannot write: the notifications table
 *    is renamed for a moment) loses nothing: the safety-net schedule claims those events again once
 *    their lease runs out, and each is delivered once.
 *
 * The test's transform keeps successful executions (so they can be counted), runs the safety net
 * every 10 seconds and gives Resolve Mentor its shortest lease (30 s), so the failure case takes
 * well under a minute instead of the template's minutes.
 */

const path = require('node:path');
const { Client } = require('pg');
const rt = require('../../scripts/n8n');
const { setupE2E, techApiAnswer, people } = require('../support/e2e-harness');

const WF = 'gcbFullPipeline1';
const MENTORS = 100;
const BURST = 300;
const CONCURRENCY = 20;
let ctx;

const mentor = (k) => ({ email: `co.mentor${k}@school.test`, chat: String(400000 + k) });
const student = (k) => ({ userId: String(46300000 + k), email: `co.student${k}@example.ru` });
const marker = (tag, i) => `Общий запуск ${tag}-${i}`;

const BEFORE_START = 'Сдано, пока n8n стоял';

beforeAll(async () => {
	ctx = await setupE2E({
		templates: ['full-pipeline'],
		label: 'e2ecoal',
		transform: (wf) => {
			wf.settings = { ...wf.settings, saveDataSuccessExecution: 'all' };
			for (const node of wf.nodes) {
				if (node.type === 'n8n-nodes-base.scheduleTrigger') node.parameters.rule = { interval: [{ field: 'seconds', secondsInterval: 10 }] };
				if (node.type === 'n8n-nodes-getcourse-bot.getCourseResolveMentor') node.parameters.leaseSeconds = 30;
			}
			return wf;
		},
		// The reference data, and one answer stored while n8n was down (as the trigger stores it).
		beforeStart: async (c) => {
			const ks = Array.from({ length: MENTORS }, (_, k) => k);
			await c.q(
				`INSERT INTO mentors (email, first_name, telegram_id, valid_from) SELECT e, 'Наставник', c::bigint, '2020-01-01' FROM unnest($1::text[], $2::text[]) AS t(e, c)`,
				[ks.map((k) => mentor(k).email), ks.map((k) => mentor(k).chat)],
			);
			await c.q(
				`INSERT INTO students (user_id, email, first_name, valid_from) SELECT u, e, 'Студент', '2020-01-01' FROM unnest($1::text[], $2::text[]) AS t(u, e)`,
				[ks.map((k) => student(k).userId), ks.map((k) => student(k).email)],
			);
			await c.q(
				`INSERT INTO mapping (student_email, mentor_email, valid_from) SELECT s, m, '2020-01-01' FROM unnest($1::text[], $2::text[]) AS t(s, m)`,
				[ks.map((k) => student(k).email), ks.map((k) => mentor(k).email)],
			);
			const { storeEvents } = require(path.join(rt.REPO_DIR, 'dist/lib/store/storeEvents.js'));
			const db = new Client({ host: c.appPg.host, port: c.appPg.port, user: c.appPg.user, password: c.appPg.password || undefined, database: c.appDb });
			await db.connect();
			try {
				await db.query(`SET search_path TO ${rt.quoteIdentifier(c.schema)}`);
				const s = student(7);
				const [outcome] = await storeEvents(
					db,
					[{ headers: {}, body: {}, query: { user_id: s.userId, user_email: s.email, answer_id: '985000001', answer_status: 'new', answer_lesson_id: people.LESSON.id, answer_text: BEFORE_START, event_date: '2026-02-03 15:10:00' } }], // a GET "Вызвать URL" as n8n hands it over
					{ timeZone: 'Europe/Moscow', notifyStatuses: ['new'] },
				);
				expect(outcome).toMatchObject({ status: 'stored', notify: true });
			} finally {
				await db.end();
			}
		},
	});
}, 20 * 60 * 1000);

afterAll(async () => {
	if (ctx) await ctx.teardown();
}, 120000);

/** Posts answers i = 0…n-1 (half Tech API, half "Вызвать URL"), `CONCURRENCY` in flight. */
async function burst(tag, n, firstAnswerId) {
	let next = 0;
	const statuses = [];
	await Promise.all(
		Array.from({ length: CONCURRENCY }, async () => {
			while (next < n) {
				const i = next++;
				const s = student(i % MENTORS);
				const answerId = String(firstAnswerId + i);
				const res =
					i % 2 === 0
						? await ctx.post(techApiAnswer({ answerId, userId: s.userId, text: marker(tag, i), ts64: 1770109511 + i }))
						: await ctx.get({ user_id: s.userId, user_email: s.email, answer_id: answerId, answer_status: 'new', answer_lesson_id: people.LESSON.id, answer_text: marker(tag, i), event_date: '2026-02-03 15:10:00' });
				statuses.push(`${res.status}/${res.json && res.json.status}`);
			}
		}),
	);
	return statuses;
}

/** Every answer of the burst delivered, exactly once, to its mentor's chat. */
async function deliveredOnce(tag, n) {
	const mine = () => ctx.peer.messages.filter((m) => m.text.includes(`Общий запуск ${tag}-`));
	await ctx.until(`${n} messages of burst ${tag}`, async () => mine().length >= n, { timeoutMs: 300000, intervalMs: 500 });
	const seen = new Map();
	for (const m of mine()) {
		const i = Number(new RegExp(`Общий запуск ${tag}-(\\d+)`).exec(m.text)[1]);
		expect(seen.has(i)).toBe(false);
		seen.set(i, String(m.chat_id));
	}
	expect(seen.size).toBe(n);
	for (let i = 0; i < n; i++) expect(seen.get(i)).toBe(mentor(i % MENTORS).chat);
}

const webhookRecords = () =>
	rt.withPg(ctx.pg, ctx.n8nDb, async (c) => (await c.query(`SELECT status, count(*)::int AS n FROM execution_entity WHERE "workflowId" = $1 AND mode = 'webhook' GROUP BY 1`, [WF])).rows);
/** Waits until n8n's records of the trigger's executions settle (none new or running), then returns them. */
async function settledRecords() {
	let rows;
	await ctx.until(
		'the trigger\'s executions finished',
		async () => {
			rows = await webhookRecords();
			return rows.every((r) => !['new', 'running', 'waiting'].includes(r.status));
		},
		{ timeoutMs: 120000, intervalMs: 500 },
	);
	return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

describe('n8n starts: the pipeline runs once (On start)', () => {
	test('an answer stored while n8n was down is delivered once, and n8n records the run at start', async () => {
		await ctx.until('the answer stored before the start reaches its mentor', async () => ctx.peer.messages.some((m) => m.text.includes(BEFORE_START)), { timeoutMs: 120000, intervalMs: 250 });
		expect(ctx.peer.messages.filter((m) => m.text.includes(BEFORE_START)).map((m) => String(m.chat_id))).toEqual([mentor(7).chat]);
		// "On start (catch up)" ran the pipeline: its run of Resolve Mentor and Send Pending is in n8n's
		// records. n8n writes them when the execution ends, a moment after the message went out
		// (Send Pending still records the send and looks for more), so wait for the runs at start to end.
		let runs = [];
		await ctx.until(
			'n8n has recorded the execution On start began',
			async () => {
				const ended = (await ctx.executions(WF)).filter((e) => e.mode === 'trigger' && !['new', 'running', 'waiting'].includes(e.status));
				runs = await Promise.all(ended.map((e) => ctx.nodesRun(e.id)));
				return runs.some((nodes) => nodes.includes('On start (catch up)'));
			},
			{ timeoutMs: 60000, intervalMs: 250 },
		);
		expect(runs.filter((nodes) => nodes.includes('On start (catch up)'))).toEqual([expect.arrayContaining(['On start (catch up)', 'GetCourse Resolve Mentor', 'GetCourse Send Pending'])]);
	});
});

describe('coalesced starts: a burst shares executions', () => {
	test(`${BURST} answers at once: each delivered once, far fewer executions than answers`, async () => {
		const statuses = await burst('A', BURST, 830000000);
		expect(statuses.filter((s) => s === '200/stored')).toHaveLength(BURST);
		await deliveredOnce('A', BURST);
		const records = await settledRecords();
		console.log(`coalesced: ${BURST} answers, executions ${JSON.stringify(records)}`);
		expect(Object.keys(records)).toEqual(['success']);
		expect(records.success).toBeGreaterThanOrEqual(1);
		expect(records.success).toBeLessThanOrEqual(BURST / 3);
		expect(await ctx.q(`SELECT count(*)::int AS n FROM webhook_events WHERE processed = false`)).toEqual([{ n: 0 }]);
	});

	test('an execution that fails half way loses nothing: the safety net claims its events again, each delivered once', async () => {
		const before = await settledRecords();
		// Create Notification cannot write: every execution fails after Resolve Mentor claimed.
		await ctx.q(`ALTER TABLE notifications RENAME TO notifications_away`);
		let renamed = true;
		try {
			const statuses = await burst('B', 40, 831000000);
			expect(statuses.filter((s) => s === '200/stored')).toHaveLength(40);
			let seen = {};
			await ctx
				.until(
					'an execution failed and every event of the burst was claimed',
					async () => {
						const r = await webhookRecords();
						seen = { records: r, events: await ctx.q(`SELECT attempts, locked_until > now() AS locked, processed, count(*)::int AS n FROM webhook_events WHERE answer_id LIKE '831%' GROUP BY 1, 2, 3`) };
						const failed = r.filter((x) => x.status === 'error').reduce((a, x) => a + x.n, 0);
						return failed > 0 && seen.events.every((e) => e.attempts > 0);
					},
					{ timeoutMs: 120000, intervalMs: 250 },
				)
				.catch((e) => {
					throw new Error(`${e.message}\nlast seen: ${JSON.stringify(seen)}`);
				});
			expect(ctx.peer.messages.filter((m) => m.text.includes('Общий запуск B-'))).toHaveLength(0);
		} finally {
			if (renamed) await ctx.q(`ALTER TABLE notifications_away RENAME TO notifications`);
			renamed = false;
		}
		// Nothing new arrives: only the schedule can pick the claimed events up, after their lease.
		await deliveredOnce('B', 40);
		const after = await settledRecords();
		expect(after.error).toBeGreaterThan(before.error || 0);
		expect(await ctx.q(`SELECT count(*)::int AS n FROM webhook_events WHERE processed = false`)).toEqual([{ n: 0 }]);
	});
});
