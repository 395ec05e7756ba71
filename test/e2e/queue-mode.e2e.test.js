'use strict';
/**
 * End to end under load, n8n in queue mode: one main (`n8n start`, EXECUTIONS_MODE=queue) and two
 * workers (`n8n worker`) on one n8n database, one encryption key, one user folder, Redis on
 * 127.0.0.1:6379 (QUEUE_BULL_* ; a unique QUEUE_BULL_PREFIX per run, its keys deleted at the end).
 * The shipped template full-pipeline (GetCourse Trigger → Resolve Mentor → Create Notification →
 * Send Pending, with its 2-minute schedule) is imported and published; the test keeps successful
 * executions so that they can be counted.
 *
 * 2,000 GetCourse-shaped answers (half Tech API JSON POSTs, half process "call URL" GETs) plus 200
 * duplicate deliveries go to the production webhook with 20 requests in flight. The trigger stores
 * each call on the main; new answers share executions (the default, coalesced start mode), which
 * the workers run. Asserted: every answer gives exactly one message in its mentor's chat at the
 * Telegram peer, every event processed, every notification sent, the bot's pace kept across both
 * workers, far fewer executions than answers in n8n's own records (execution_entity), all
 * successful, both workers (not the main) executed them, and the main stops within its own grace
 * period after SIGTERM.
 *
 * Two facts of n8n's queue mode shape this test:
 *  - A webhook is answered before its execution is even recorded, and executions queued behind
 *    busy ones still run after the last message is out (they find nothing left to do): the test
 *    waits for n8n's records to settle (a condition) before it counts them.
 *  - The main learns that a job ended from Bull's job.finished(), which never resolves when the
 *    job completed and was removed from Redis before the main began to listen (Bull issue #2504:
 *    removeOnComplete, a job that finishes fast). n8n removes completed jobs at once by default
 *    (N8N_EXECUTIONS_QUEUE_KEEP_LAST_COMPLETED=0): such executions stay "active" on the main, which
 *    then waits for them on SIGTERM until its 30-second grace period runs out. Keeping the last
 *    completed jobs lets job.finished() find them; docs/scaling.md gives the same setting.
 *
 *   npm run build && npx jest -c jest.e2e.config.js test/e2e/queue-mode.e2e.test.js
 *
 * QUEUE_E2E_ANSWERS (default 2000) sets the number of answers.
 * Needs Redis at QUEUE_E2E_REDIS_HOST/PORT (default 127.0.0.1:6379). E2E_KEEP=1 keeps the n8n
 * folder (main log n8n.log, worker logs worker-1.log / worker-2.log) and the databases.
 */

const fs = require('node:fs');
const path = require('node:path');
const net = require('node:net');
const { spawn } = require('node:child_process');

const { setupE2E, techApiAnswer, people } = require('../support/e2e-harness');
const rt = require('../../scripts/n8n');

const WF = 'gcbFullPipeline1';
const REDIS_HOST = process.env.QUEUE_E2E_REDIS_HOST || '127.0.0.1';
const REDIS_PORT = Number(process.env.QUEUE_E2E_REDIS_PORT || 6379);
const PREFIX = `gcbq${rt.randomId(10).toLowerCase()}`;

const ANSWERS = Math.max(100, Math.round(Number(process.env.QUEUE_E2E_ANSWERS || 2000) / 10) * 10); // a multiple of 10
const DUPLICATE_EVERY = 10; // every 10th answer is delivered twice
const CONCURRENCY = 20;
const MENTORS = 100;
const STUDENTS = 400;
const FIRST_ANSWER_ID = 810000000;

const mentor = (k) => ({ email: `qm.mentor${k}@school.test`, first: `Наставник${k}`, last: 'Очередь', chat: String(300000 + k) });
const student = (k) => ({ userId: String(46100000 + k), email: `qm.student${k}@example.ru`, first: `Студент${k}`, last: 'Нагрузкин' });
const studentOf = (i) => i % STUDENTS;
const mentorOfStudent = (k) => k % MENTORS;
const answerText = (i) => `Ответ под нагрузкой №${i}`;

let ctx;
let workers = [];
const timings = {};

function redisReachable() {
	return new Promise((resolve) => {
		const s = net.connect({ host: REDIS_HOST, port: REDIS_PORT });
		s.setTimeout(2000);
		s.once('connect', () => {
			s.end();
			resolve(true);
		});
		s.once('error', () => resolve(false));
		s.once('timeout', () => {
			s.destroy();
			resolve(false);
		});
	});
}

/** `n8n worker` with the instance's environment and its own task-runner broker port; stopped by PID. */
async function startWorker(n8n, name) {
	const logFile = path.join(n8n.userFolder, `${name}.log`);
	const out = fs.createWriteStream(logFile, { flags: 'a' });
	const brokerPort = await rt.freePort();
	const child = spawn(n8n.runtime.node, [n8n.runtime.bin, 'worker', '--concurrency=10'], {
		cwd: n8n.userFolder,
		env: n8n.env({ N8N_RUNNERS_BROKER_PORT: String(brokerPort), QUEUE_HEALTH_CHECK_ACTIVE: 'false' }),
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let text = '';
	let exited = null;
	const exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve((exited = { code, signal }))));
	exit.then(() => out.end());
	const onData = (chunk) => {
		out.write(chunk);
		text += chunk;
	};
	child.stdout.on('data', onData);
	child.stderr.on('data', onData);
	const w = {
		name,
		pid: child.pid,
		logFile,
		log: () => text,
		async stop() {
			if (exited) return exited;
			try {
				process.kill(child.pid, 'SIGTERM');
			} catch {}
			const timer = setTimeout(() => {
				try {
					process.kill(child.pid, 'SIGKILL');
				} catch {}
			}, 40000);
			await exit;
			clearTimeout(timer);
			return exited;
		},
	};
	const deadline = Date.now() + 120000;
	while (!/n8n worker is now ready/.test(text)) {
		if (exited) throw new Error(`${name} exited during start-up (${JSON.stringify(exited)}):\n${text.split('\n').slice(-40).join('\n')}`);
		if (Date.now() > deadline) {
			await w.stop();
			throw new Error(`${name} not ready within 120 s:\n${text.split('\n').slice(-40).join('\n')}`);
		}
		await new Promise((r) => setTimeout(r, 200));
	}
	return w;
}

/** Deletes this run's Bull keys (ioredis from n8n's own install). */
async function dropRedisKeys(n8nDir) {
	const Redis = require(require.resolve('ioredis', { paths: [path.join(n8nDir, 'node_modules')] }));
	const redis = new Redis({ host: REDIS_HOST, port: REDIS_PORT, lazyConnect: true, maxRetriesPerRequest: 1 });
	await redis.connect();
	try {
		let cursor = '0';
		do {
			const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
			cursor = next;
			if (keys.length) await redis.del(...keys);
		} while (cursor !== '0');
	} finally {
		redis.disconnect();
	}
}

/** Runs `fn` over `items` with `limit` in flight. */
async function pool(items, limit, fn) {
	let next = 0;
	const results = new Array(items.length);
	await Promise.all(
		Array.from({ length: limit }, async () => {
			while (next < items.length) {
				const i = next++;
				results[i] = await fn(items[i], i);
			}
		}),
	);
	return results;
}

function deliveryFor(i) {
	const s = student(studentOf(i));
	const answerId = String(FIRST_ANSWER_ID + i);
	if (i % 2 === 0) {
		return { kind: 'tech', method: 'POST', body: techApiAnswer({ answerId, userId: s.userId, text: answerText(i), ts64: 1770109511 + i }) };
	}
	const query = new URLSearchParams({
		user_id: s.userId,
		user_email: s.email,
		answer_id: answerId,
		answer_status: 'new',
		answer_training_id: people.TRAINING.id,
		answer_lesson_id: people.LESSON.id,
		answer_text: answerText(i),
		event_date: '2026-02-03 15:10:00',
	});
	return { kind: 'process', method: 'GET', query };
}

const count = async (sql, params) => Number((await ctx.q(sql, params))[0].n);

beforeAll(async () => {
	if (!(await redisReachable())) throw new Error(`queue-mode e2e needs Redis at ${REDIS_HOST}:${REDIS_PORT}`);
	ctx = await setupE2E({
		templates: ['full-pipeline'],
		label: 'qm',
		// the peer counts arrivals per second as Telegram does: in a process of its own, so that this
		// process posting 30 webhooks a second does not stamp them late and in bunches
		peerProcess: true,
		transform: (wf) => ({ ...wf, settings: { ...wf.settings, saveDataSuccessExecution: 'all' } }),
		n8nEnv: {
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: REDIS_HOST,
			QUEUE_BULL_REDIS_PORT: String(REDIS_PORT),
			QUEUE_BULL_PREFIX: PREFIX,
			N8N_EXECUTIONS_QUEUE_KEEP_LAST_COMPLETED: '1000',
			N8N_EXECUTIONS_QUEUE_KEEP_LAST_FAILED: '1000',
			N8N_LOG_LEVEL: 'info',
		},
	});
	const cleanupRedis = () => dropRedisKeys(ctx.n8n.runtime.dir).catch((e) => console.warn(`redis clean-up: ${e.message}`));
	const teardown = ctx.teardown;
	ctx.teardown = async () => {
		// Workers first (by PID), then the harness (main, peer, databases), then this run's Redis keys.
		await Promise.all(workers.map((w) => w.stop()));
		try {
			await teardown();
		} finally {
			await cleanupRedis();
		}
	};
	try {
		const t = Date.now();
		workers = await Promise.all([startWorker(ctx.n8n, 'worker-1'), startWorker(ctx.n8n, 'worker-2')]);
		timings.workersReadyMs = Date.now() - t;
		// Reference data: MENTORS mentors with a chat each, STUDENTS students, each mapped to one mentor.
		const values = (n, f) => Array.from({ length: n }, (_, k) => f(k));
		const ms = values(MENTORS, mentor);
		await ctx.q(
			`INSERT INTO mentors (email, first_name, last_name, telegram_id, valid_from)
			 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::timestamptz[])`,
			[ms.map((m) => m.email), ms.map((m) => m.first), ms.map((m) => m.last), ms.map((m) => m.chat), ms.map(() => '2020-01-01T00:00:00Z')],
		);
		const ss = values(STUDENTS, student);
		await ctx.q(
			`INSERT INTO students (user_id, email, first_name, last_name, valid_from)
			 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])`,
			[ss.map((s) => s.userId), ss.map((s) => s.email), ss.map((s) => s.first), ss.map((s) => s.last), ss.map(() => '2020-01-01T00:00:00Z')],
		);
		await ctx.q(
			`INSERT INTO mapping (student_email, mentor_email, training_id, valid_from)
			 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])`,
			[ss.map((s) => s.email), ss.map((_, k) => mentor(mentorOfStudent(k)).email), ss.map(() => people.TRAINING.id), ss.map(() => '2020-01-01T00:00:00Z')],
		);
	} catch (error) {
		await ctx.teardown().catch(() => undefined);
		ctx = null;
		throw error;
	}
}, 10 * 60 * 1000);

afterAll(async () => {
	if (ctx) await ctx.teardown();
	console.log(`queue-mode timings (ms): ${JSON.stringify(timings)}`);
}, 180000);

describe('GetCourse Bot in n8n queue mode (main + 2 workers) under load', () => {
	test(`${ANSWERS} answers + duplicates through GetCourse Trigger, resolved and sent by the workers in shared executions: one message per answer`, async () => {
		// Deliveries: every answer once, every DUPLICATE_EVERY-th twice, the copies spread through the stream.
		const deliveries = [];
		for (let i = 0; i < ANSWERS; i++) {
			deliveries.push({ i, ...deliveryFor(i) });
			if (i % DUPLICATE_EVERY === 0 && i >= 40) deliveries.push({ i: i - 40, dup: true, ...deliveryFor(i - 40) });
		}
		for (let i = ANSWERS - 40; i < ANSWERS; i += DUPLICATE_EVERY) deliveries.push({ i, dup: true, ...deliveryFor(i) });
		const duplicates = deliveries.filter((d) => d.dup).length;
		expect(duplicates).toBe(ANSWERS / DUPLICATE_EVERY);

		let t = Date.now();
		const results = await pool(deliveries, CONCURRENCY, async (d) => {
			const url = ctx.urlWith(d.query || '');
			const res = await rt.httpRequest(url, { method: d.method, body: d.body, timeoutMs: 120000 });
			return { status: res.status, result: res.json && res.json.status };
		});
		timings.webhooksMs = Date.now() - t;
		timings.webhooksPerSecond = Math.round((deliveries.length / timings.webhooksMs) * 1000);
		const byResult = {};
		for (const r of results) byResult[`${r.status}/${r.result}`] = (byResult[`${r.status}/${r.result}`] || 0) + 1;
		expect(byResult).toEqual({ '200/stored': ANSWERS, '200/duplicate': duplicates });
		expect(await count(`SELECT count(*) AS n FROM webhook_events`)).toBe(ANSWERS);
		expect(await count(`SELECT count(*) AS n FROM (SELECT answer_id FROM webhook_events GROUP BY answer_id, answer_status HAVING count(*) > 1) d`)).toBe(0);

		// Nothing else runs: each new answer's own execution resolves, queues and sends it.
		t = Date.now();
		await ctx.until(
			'every answer processed and every notification sent',
			async () => (await count(`SELECT count(*) AS n FROM notifications WHERE status = 'sent'`)) === ANSWERS && (await count(`SELECT count(*) AS n FROM webhook_events WHERE processed = false`)) === 0,
			{ timeoutMs: 300000, intervalMs: 500 },
		);
		timings.deliveredAfterWebhooksMs = Date.now() - t;
		await ctx.peer.sync();
		const at = ctx.peer.messages.map((m) => m.at).sort((a, b) => a - b);
		timings.firstToLastMessageMs = at[at.length - 1] - at[0];
		timings.messagesPerSecond = Math.round((ANSWERS / timings.firstToLastMessageMs) * 1000);
		// Telegram allows 30 messages a second per bot, whichever worker sends: both reserve their
		// slots in PostgreSQL (send_pace: at most 29 in any 1,017.5 ms at the default 28.5/s, a slot
		// moved to its message's answer when it comes), and a slot a late timer missed is given up
		// rather than bunched with the other worker's next one (lib/telegram/sharedSlot.ts). Counted
		// at the peer, as Telegram counts: by arrival, in any window of one second.
		let maxWindow = 0;
		for (let i = 0, j = 0; i < at.length; i++) {
			while (at[i] - at[j] >= 1000) j++;
			maxWindow = Math.max(maxWindow, i - j + 1);
		}
		timings.maxMessagesInAnySecond = maxWindow;
		// The measurement's own error: the peer (a process of its own, ahead in the scheduler) stamps a
		// request when its event loop gets to it: at most its largest loop delay of the run after the
		// arrival. So 31 arrivals in a row must span at least a second less that error. A message counts
		// in the window until its answer, so the product's own jitter (a busy worker on two busy cores)
		// cannot bring them closer.
		timings.shortestSpanOf31Ms = Math.min(...at.slice(30).map((x, i) => x - at[i]));
		timings.peerStampLag = ctx.peer.stampLag;
		expect(timings.shortestSpanOf31Ms + ctx.peer.stampLag.maxMs).toBeGreaterThanOrEqual(1000);

		// Database: all sent, none twice
		expect(await count(`SELECT count(*) AS n FROM notifications WHERE status = 'sent' AND telegram_message_id IS NOT NULL`)).toBe(ANSWERS);
		expect(await count(`SELECT count(*) AS n FROM webhook_events WHERE processed = false`)).toBe(0);

		// Peer: exactly one message per answer, in the mentor's chat, no duplicates
		const peer = ctx.peer;
		expect(peer.messages).toHaveLength(ANSWERS);
		const seen = new Map();
		for (const m of peer.messages) {
			const match = /Ответ под нагрузкой №(\d+)/.exec(m.text);
			expect(match).toBeTruthy();
			const i = Number(match[1]);
			expect(seen.has(i)).toBe(false);
			seen.set(i, String(m.chat_id));
		}
		expect(seen.size).toBe(ANSWERS);
		for (let i = 0; i < ANSWERS; i++) expect(seen.get(i)).toBe(mentor(mentorOfStudent(studentOf(i))).chat);
		const messageIds = new Set(peer.messages.map((m) => String(m.message_id)));
		const stored = await ctx.q(`SELECT telegram_message_id FROM notifications`);
		expect(new Set(stored.map((r) => String(r.telegram_message_id))).size).toBe(ANSWERS);
		for (const r of stored) expect(messageIds.has(String(r.telegram_message_id))).toBe(true);

		// n8n's records: new answers shared executions (coalesced starts), all successful. A webhook
		// is answered before its execution is recorded, and executions queued behind busy ones run
		// after the last message: wait until the records settle (none unfinished, the count steady).
		const webhookRecords = () =>
			rt.withPg(ctx.pg, ctx.n8nDb, async (c) =>
				(await c.query(`SELECT status, count(*)::int AS n FROM execution_entity WHERE "workflowId" = $1 AND mode = 'webhook' GROUP BY 1`, [WF])).rows,
			);
		const unfinished = (rows) => rows.filter((r) => ['new', 'running', 'waiting'].includes(r.status)).reduce((a, r) => a + r.n, 0);
		const starts = await count(`SELECT coalesce(sum(starts), 0) AS n FROM pipeline_starts`);
		timings.coalescedStarts = starts;
		await ctx.until(
			'n8n recorded every execution the trigger started and none is unfinished',
			async () => {
				const rows = await webhookRecords();
				return rows.reduce((a, r) => a + r.n, 0) >= starts && unfinished(rows) === 0;
			},
			{ timeoutMs: 300000, intervalMs: 500 },
		);
		const records = await rt.withPg(ctx.pg, ctx.n8nDb, async (c) =>
			(await c.query(`SELECT "workflowId", mode, status, count(*)::int AS n FROM execution_entity GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`)).rows,
		);
		timings.executionRecords = records.map((r) => `${r.workflowId}/${r.mode}/${r.status}=${r.n}`).join(' ');
		const webhookRuns = records.filter((r) => r.workflowId === WF && r.mode === 'webhook');
		expect(webhookRuns).toEqual([{ workflowId: WF, mode: 'webhook', status: 'success', n: starts }]);
		expect(starts).toBeGreaterThanOrEqual(1);
		expect(starts).toBeLessThanOrEqual(ANSWERS / 3);

		// The workers ran them, the main none. (Which worker ran which is not in n8n's records: the
		// logs show each worker started executions; the main's whole log file shows none.)
		const started = workers.map((w) => (w.log().match(/Worker started execution/g) || []).length);
		timings.executionsPerWorker = started;
		for (const n of started) expect(n).toBeGreaterThan(0);
		expect(fs.readFileSync(ctx.server.logFile, 'utf8')).not.toMatch(/Worker started execution/);
	}, 10 * 60 * 1000);

	test('the main stops within its own grace period after SIGTERM: no execution is left active', async () => {
		// n8n waits up to 30 s for active executions on SIGTERM, then exits with "Shutdown timed out"
		// (status 1). The harness would SIGKILL it after its own timeout; here it must exit by itself.
		const exit = await ctx.server.stop({ timeoutMs: 90000 });
		const log = fs.readFileSync(ctx.server.logFile, 'utf8');
		timings.mainExit = exit;
		expect(log).not.toMatch(/Shutdown timed out/);
		expect(exit).toEqual({ code: 0, signal: null });
	}, 120000);
});
