'use strict';
/**
 * Scenario 4: intake in real n8n (2.40.7, Node 24, regular mode), side by side in one instance:
 *  - trigger: GetCourse Trigger in the shipped workflows/full-pipeline.json, POST
 *    /webhook/getcourse?secret=…: secret, typing, storage, answer; new answers share coalesced
 *    executions (Resolve Mentor → Create Notification → Send Pending to a loopback Bot API peer);
 *  - perEvent: the same pipeline with Start Execution: For Each New Event (one execution per
 *    answer), /webhook/getcourse-each;
 *  - handbuilt: the whole job with n8n's own nodes, in the request (bench/handbuiltWorkflow.js):
 *    Webhook → Postgres insert → Postgres mentor at the date → Telegram → Respond to Webhook;
 *  - trigger (duplicates): the same calls again: answered "duplicate", no execution;
 *  - store: the same trigger set to Start Execution: Never (intake alone), /webhook/getcourse-store;
 *  - intake: the older shape, workflows/intake.json (Webhook → Store Event → Respond to Webhook),
 *    moved to /webhook/getcourse-intake;
 *  - bare: Webhook (POST /webhook/bare) → n8n's own Postgres node executeQuery
 *    `INSERT INTO bench_bare(payload) VALUES ($1::jsonb)` → Respond to Webhook: the least a
 *    webhook → PostgreSQL workflow can do.
 *
 *   npm run build && node bench/intake-n8n.js
 *   (BENCH_INTAKE_RUNS=3, BENCH_INTAKE_SECONDS=10, BENCH_INTAKE_CONCURRENCY=10)
 *
 * Every request is a GetCourse process "call URL" POST with the fields in a form-urlencoded body
 * and a distinct answer id (so each one is stored). Load: bench/loadgen.js, a fixed number of
 * keep-alive connections each sending one request after another; the ways alternate run by run,
 * after a short warm-up of each, and after every trigger run the executions it started are let
 * finish (every event processed, every message sent) before the next run. Reported per way: the
 * medians over the runs of p50/p99 latency and requests/s (answers/s), and for the trigger ways the
 * executions they started and the time until the last message was out; targets (issue 20): the
 * trigger ≥ 3× handbuilt's and ≥ 2× bare's answers/s, with 0 duplicates.
 *
 * n8n runs with the expression engine `npm start` gives it (legacy, see scripts/start.js);
 * BENCH_EXPRESSION_ENGINE=vm measures n8n's own default instead.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freshSchema, median, fmt, table, header, ROOT } = require('./common');
const { loadTest } = require('./loadgen');
const { cpuSnapshot, cpuSpent } = require('./cpuTime');
const rt = require(path.join(ROOT, 'scripts/n8n'));
const { CREDENTIALS } = require(path.join(ROOT, 'dist/lib/credentialNames.js'));
const { createTelegramPeer } = require(path.join(ROOT, 'test/support/telegram-peer'));
const { handTableSql, handbuiltWorkflow } = require('./handbuiltWorkflow');

const TOKEN = '7000000003:AAbenchIntakeTokenNotReal_abcdefg';
const ENGINE = process.env.BENCH_EXPRESSION_ENGINE || 'legacy';
const ALL_WAYS = ['trigger', 'perEvent', 'handbuilt', 'duplicates', 'store', 'intake', 'bare'];
/** BENCH_INTAKE_WAYS=trigger,store,… measures some ways only (duplicates needs trigger). */
const WAYS = process.env.BENCH_INTAKE_WAYS ? ALL_WAYS.filter((w) => process.env.BENCH_INTAKE_WAYS.split(',').includes(w)) : ALL_WAYS;
/** Ways whose answers run the pipeline afterwards: the bench waits until every message is out. */
const PIPELINE_WAYS = new Set(['trigger', 'perEvent']);
const SECRET = `bench-intake-${rt.randomId(24)}`;

const RUNS = Math.max(1, Number(process.env.BENCH_INTAKE_RUNS || 3));
const SECONDS = Math.max(1, Number(process.env.BENCH_INTAKE_SECONDS || 10));
const CONCURRENCY = Math.max(1, Number(process.env.BENCH_INTAKE_CONCURRENCY || 10));
const WARMUP_SECONDS = 3;
const BARE_ID = 'gcbBenchBare0001';
const HAND_ID = 'gcbBenchHand0001';
const EACH_ID = 'gcbBenchEach0001';

function bareWorkflow(schema) {
	return {
		id: BARE_ID,
		name: 'Bench — bare webhook → Postgres → respond',
		nodes: [
			{
				id: 'b0000000-0000-4000-8000-000000000001',
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2.1,
				position: [0, 0],
				webhookId: 'b0000000-0000-4000-8000-0000000000aa',
				parameters: { httpMethod: 'POST', path: 'bare', responseMode: 'responseNode', options: {} },
			},
			{
				id: 'b0000000-0000-4000-8000-000000000002',
				name: 'Postgres',
				type: 'n8n-nodes-base.postgres',
				typeVersion: 2.6,
				position: [260, 0],
				parameters: {
					operation: 'executeQuery',
					query: `INSERT INTO ${rt.quoteIdentifier(schema)}.bench_bare(payload) VALUES ($1::jsonb)`,
					options: { queryReplacement: '={{ JSON.stringify($json.body) }}' },
				},
				credentials: { postgres: { id: null, name: 'Bench PostgreSQL' } },
			},
			{
				id: 'b0000000-0000-4000-8000-000000000003',
				name: 'Respond to Webhook',
				type: 'n8n-nodes-base.respondToWebhook',
				typeVersion: 1.5,
				position: [520, 0],
				parameters: { respondWith: 'json', responseBody: '={{ { ok: true } }}', options: {} },
			},
		],
		connections: {
			Webhook: { main: [[{ node: 'Postgres', type: 'main', index: 0 }]] },
			Postgres: { main: [[{ node: 'Respond to Webhook', type: 'main', index: 0 }]] },
		},
		settings: JSON.parse(fs.readFileSync(rt.templatePath('intake'), 'utf8')).settings,
		pinData: {},
	};
}

/** A GetCourse process "call URL" POST (form body); `n` makes the answer id distinct. */
function processCall(path_, n, runTag) {
	const body = new URLSearchParams({
		user_id: String(45000000 + (n % 5000)),
		user_email: `student${n % 5000}@example.ru`,
		answer_id: `${runTag}${String(n).padStart(7, '0')}`,
		answer_status: 'new',
		answer_training_id: '889900',
		answer_lesson_id: '2223334',
		answer_text: `Сделал упражнение 2, прошу проверить (${runTag}-${n})`,
		event_date: '2026-02-03 15:10:00',
	}).toString();
	return { method: 'POST', path: path_, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body };
}

const waysOf = (base) => ({
	trigger: `${base}/webhook/getcourse?secret=${encodeURIComponent(SECRET)}`,
	perEvent: `${base}/webhook/getcourse-each?secret=${encodeURIComponent(SECRET)}`,
	handbuilt: `${base}/webhook/handbuilt`,
	duplicates: `${base}/webhook/getcourse?secret=${encodeURIComponent(SECRET)}`,
	store: `${base}/webhook/getcourse-store?secret=${encodeURIComponent(SECRET)}`,
	intake: `${base}/webhook/getcourse-intake?secret=${encodeURIComponent(SECRET)}`,
	bare: `${base}/webhook/bare`,
});

async function main() {
	header(
		'The whole job in n8n: GetCourse Trigger (coalesced, per event) vs a hand-built n8n workflow vs a bare webhook → Postgres → respond',
		`${RUNS} alternating runs × ${SECONDS} s per way, ${CONCURRENCY} keep-alive connections, ${WARMUP_SECONDS} s warm-up each; real n8n ${rt.N8N_VERSION} (regular mode, expression engine ${ENGINE})`,
	);
	const s = await freshSchema('intake');
	await s.q('CREATE TABLE bench_bare (id bigserial PRIMARY KEY, payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())');
	await s.q(handTableSql(rt.quoteIdentifier(s.schema)));
	// 5,000 students over 50 mentors, so that every stored answer is resolved and sent
	await s.q(`INSERT INTO mentors (email, telegram_id, valid_from) SELECT 'bm' || k || '@school.test', 700000 + k, '2020-01-01' FROM generate_series(0, 49) k`);
	await s.q(`INSERT INTO students (user_id, email, valid_from) SELECT (45000000 + k)::text, 'student' || k || '@example.ru', '2020-01-01' FROM generate_series(0, 4999) k`);
	await s.q(`INSERT INTO mapping (student_email, mentor_email, valid_from) SELECT 'student' || k || '@example.ru', 'bm' || (k % 50) || '@school.test', '2020-01-01' FROM generate_series(0, 4999) k`);
	const peer = createTelegramPeer({ token: TOKEN });
	const peerUrl = await peer.start();
	const pg = { host: s.credential.hostExternal, port: s.credential.port, user: s.credential.user, password: s.credential.password };
	const n8nDb = `n8n_bench_${rt.randomId(8).toLowerCase()}`;
	const userFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-bench-n8n-'));
	const wfFile = path.join(userFolder, 'bare.json');
	let server;
	try {
		await rt.createDatabase(n8nDb, pg);
		const n8n = rt.createInstance({
			userFolder,
			port: await rt.freePort(),
			brokerPort: await rt.freePort(),
			dbName: n8nDb,
			encryptionKey: rt.randomId(32),
			db: pg,
			extra: {
				GENERIC_TIMEZONE: 'Europe/Moscow',
				N8N_LOG_LEVEL: 'warn',
				N8N_EXPRESSION_ENGINE: ENGINE,
				// e.g. BENCH_N8N_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof": a profile of n8n, written when it stops
				...(process.env.BENCH_N8N_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_N8N_NODE_OPTIONS } : {}),
			},
		});
		await n8n.init();
		await n8n.linkPackage(ROOT);
		await n8n.importCredentials([
			{ id: 'gcbBenchPgCred01', name: CREDENTIALS.postgres.name, type: CREDENTIALS.postgres.type, data: { ...s.credential, hostInternal: s.credential.hostExternal } },
			{ id: 'gcbBenchWsCred01', name: CREDENTIALS.webhookSecret.name, type: CREDENTIALS.webhookSecret.type, data: { secret: SECRET } },
			{ id: 'gcbBenchTgCred01', name: CREDENTIALS.telegram.name, type: CREDENTIALS.telegram.type, data: { accessToken: TOKEN, baseUrl: peerUrl } },
			{ id: 'gcbBenchN8nTg001', name: 'Bench Telegram', type: 'telegramApi', data: { accessToken: TOKEN, baseUrl: peerUrl } },
			{
				id: 'gcbBenchN8nPg001',
				name: 'Bench PostgreSQL',
				type: 'postgres',
				data: { host: pg.host, port: pg.port, database: s.credential.database, user: pg.user, password: pg.password || '', ssl: 'disable', allowUnauthorizedCerts: false, sshTunnel: false },
			},
		]);
		fs.writeFileSync(wfFile, JSON.stringify(bareWorkflow(s.schema)));
		// The older intake moves off the trigger's path.
		const movePath = (wf) => {
			for (const node of wf.nodes) if (node.type === 'n8n-nodes-base.webhook') node.parameters.path = 'getcourse-intake';
			return wf;
		};
		// The same trigger, store only, on a path of its own.
		const storeOnly = JSON.parse(fs.readFileSync(rt.templatePath('full-pipeline'), 'utf8'));
		storeOnly.id = 'gcbBenchStore001';
		storeOnly.name = 'Bench — GetCourse Trigger, store only';
		storeOnly.nodes = storeOnly.nodes.filter((n) => n.type === 'n8n-nodes-getcourse-bot.getCourseTrigger');
		storeOnly.nodes[0].parameters = { ...storeOnly.nodes[0].parameters, path: 'getcourse-store', start: 'never' };
		storeOnly.nodes[0].webhookId = 'b0000000-0000-4000-8000-0000000000bb';
		storeOnly.connections = {};
		const storeFile = path.join(userFolder, 'store.json');
		fs.writeFileSync(storeFile, JSON.stringify(storeOnly));
		// The same pipeline, one execution per new answer, on a path of its own.
		const perEvent = JSON.parse(fs.readFileSync(rt.templatePath('full-pipeline'), 'utf8'));
		perEvent.id = EACH_ID;
		perEvent.name = 'Bench — full pipeline, one execution per event';
		for (const node of perEvent.nodes) {
			node.id = node.id.replace(/^.{8}/, 'e0000000');
			if (node.type === 'n8n-nodes-getcourse-bot.getCourseTrigger') {
				node.parameters = { ...node.parameters, path: 'getcourse-each', start: 'eachNew' };
				node.webhookId = 'b0000000-0000-4000-8000-0000000000cc';
			}
		}
		const eachFile = path.join(userFolder, 'each.json');
		fs.writeFileSync(eachFile, JSON.stringify(perEvent));
		const handFile = path.join(userFolder, 'hand.json');
		fs.writeFileSync(
			handFile,
			JSON.stringify(
				handbuiltWorkflow({ id: HAND_ID, path: 'handbuilt', schemaQ: rt.quoteIdentifier(s.schema), pgCredential: 'Bench PostgreSQL', telegramCredential: 'Bench Telegram', settings: bareWorkflow(s.schema).settings }),
			),
		);
		await n8n.importWorkflows([rt.templatePath('full-pipeline'), rt.templatePath('intake'), wfFile, storeFile, eachFile, handFile], {
			publish: true,
			transform: (wf) => (wf.id === 'gcbIntake0000001' ? movePath(wf) : wf),
		});
		server = await n8n.start({
			probes: [
				{ path: 'getcourse', method: 'PATCH' },
				{ path: 'getcourse-intake', method: 'PATCH' },
				{ path: 'getcourse-store', method: 'PATCH' },
				{ path: 'getcourse-each', method: 'PATCH' },
				{ path: 'bare', method: 'GET' },
				{ path: 'handbuilt', method: 'GET' },
			],
		});
		console.log(`n8n ready in ${(server.readyMs / 1000).toFixed(1)} s (PID ${server.pid})\n`);
		const ways = waysOf(server.baseUrl);
		const count = async (sql) => Number((await s.q(sql)).rows[0].n);
		/** The trigger's executions finish: every event processed, every notification sent. */
		const drained = async () => {
			const deadline = Date.now() + 600000;
			while (Date.now() < deadline) {
				const left = await count(`SELECT (SELECT count(*) FROM webhook_events WHERE processed = false) + (SELECT count(*) FROM notifications WHERE status <> 'sent') AS n`);
				if (!left) return;
				await new Promise((r) => setTimeout(r, 500));
			}
			throw new Error('the trigger\'s executions did not finish within 10 minutes');
		};
		let tag = 10;
		const last = {};
		const starts = async () => count(`SELECT coalesce(sum(starts), 0) AS n FROM pipeline_starts`);
		const once = async (way, seconds) => {
			const startsBefore = await starts();
			const runTag = way === 'duplicates' ? last.trigger : String(tag++);
			if (way === 'trigger') last.trigger = runTag;
			const u = new URL(ways[way]);
			const cpu0 = cpuSnapshot(server.pid);
			const r = await loadTest({
				url: ways[way],
				concurrency: CONCURRENCY,
				durationMs: seconds * 1000,
				// duplicates: the calls of the last trigger run again, in the same order
				request: (n) => processCall(u.pathname + u.search, way === 'duplicates' ? n % last.count : n, runTag),
			});
			// CPU per answer during the load (the pipeline ways' drain afterwards is not counted)
			const cpu = cpuSpent(cpu0, cpuSnapshot(server.pid));
			r.cpuPerAnswer = Object.fromEntries(Object.entries(cpu).map(([k, ms]) => [k, ms / Math.max(1, r.ok)]));
			if (way === 'trigger') last.count = r.requests;
			if (r.errors) throw new Error(`${way}: ${r.errors} of ${r.requests} requests failed (first: ${r.firstError}; statuses ${JSON.stringify(r.statuses)})`);
			if (PIPELINE_WAYS.has(way)) {
				const t = Date.now();
				await drained();
				r.drainMs = Date.now() - t;
				// coalesced: the starts it made; per event: one execution per stored answer
				r.executions = way === 'trigger' ? (await starts()) - startsBefore : r.ok;
			}
			// store only and the older intake measure intake alone: their events must not load the next runs
			if (way === 'store' || way === 'intake') await s.q(`UPDATE webhook_events SET processed = true, processed_at = now() WHERE processed = false AND answer_id LIKE $1`, [`${runTag}%`]);
			return r;
		};
		// warm-up (JIT, pools), not counted
		for (const way of WAYS) await once(way, WARMUP_SECONDS);
		const results = Object.fromEntries(WAYS.map((w) => [w, []]));
		for (let run = 0; run < RUNS; run++) {
			const order = run % 2 === 0 ? WAYS : ['bare', 'intake', 'store', 'handbuilt', 'perEvent', 'trigger', 'duplicates'].filter((w) => WAYS.includes(w));
			for (const way of order) {
				const r = await once(way, SECONDS);
				results[way].push(r);
				const pipeline = PIPELINE_WAYS.has(way) ? `; ${fmt(r.executions)} executions, last message ${(r.drainMs / 1000).toFixed(1)} s after the load` : '';
				const c = r.cpuPerAnswer;
				console.log(
					`run ${run + 1} ${way.padEnd(10)}: ${fmt(r.ok)} requests, ${r.rps.toFixed(1)} req/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms; CPU per answer n8n ${c.n8n.toFixed(2)} ms, PostgreSQL ${c.postgres.toFixed(2)} ms, bench ${c.bench.toFixed(2)} ms${pipeline}`,
				);
			}
		}
		const stored = await count('SELECT count(*) AS n FROM webhook_events');
		const sent = peer.messages.length;
		const keys = peer.messages.map((m) => `${m.chat_id}|${m.text}`);
		const handStored = await count(`SELECT count(*) AS n FROM bench_hand_events`);
		console.log(
			`\nrows: webhook_events ${fmt(stored)}, bench_hand_events ${fmt(handStored)}, bench_bare ${fmt(await count('SELECT count(*) AS n FROM bench_bare'))} (incl. warm-up); messages at the peer ${fmt(sent)} (pipeline ${fmt(await count(`SELECT count(*) AS n FROM notifications WHERE status = 'sent'`))} + hand-built), duplicates ${fmt(keys.length - new Set(keys).size)}`,
		);

		const stat = (way, k) => results[way].map((r) => r[k]);
		const mmm = (xs, d = 1) => `${fmt(Math.min(...xs), d)} / ${fmt(median(xs), d)} / ${fmt(Math.max(...xs), d)}`;
		const cpuOf = (way) => ['n8n', 'postgres', 'bench'].map((k) => median(results[way].map((r) => r.cpuPerAnswer[k])).toFixed(2)).join(' / ');
		const row = (way) => [way, fmt(median(stat(way, 'p50')), 1), fmt(median(stat(way, 'p99')), 1), mmm(stat(way, 'rps')), cpuOf(way)];
		console.log('');
		table(['way', 'p50 ms (median)', 'p99 ms (median)', 'answers/s min / median / max', 'CPU ms per answer: n8n / PostgreSQL / bench (median)'], WAYS.map(row));
		for (const way of WAYS.filter((w) => PIPELINE_WAYS.has(w))) {
			const per100 = results[way].map((r) => (100 * r.executions) / r.ok);
			console.log(`${way}: executions per 100 answers ${mmm(per100)}; last message after the load (s) ${mmm(stat(way, 'drainMs').map((x) => x / 1000))}`);
		}
		const med = (way, k) => median(stat(way, k));
		if (!['trigger', 'handbuilt', 'bare'].every((w) => WAYS.includes(w))) return;
		const ratio = (a, b) => med(a, 'rps') / med(b, 'rps');
		// the ways of a partial run (BENCH_INTAKE_WAYS) only
		const also = [
			['per event / handbuilt', 'perEvent', 'handbuilt'],
			['store only / bare', 'store', 'bare'],
		].filter(([, a]) => WAYS.includes(a));
		console.log(
			`\ntrigger / handbuilt: ${ratio('trigger', 'handbuilt').toFixed(2)}× the answers/s; trigger / bare: ${ratio('trigger', 'bare').toFixed(2)}×${also.map(([label, a, b]) => `; ${label}: ${ratio(a, b).toFixed(2)}×`).join('')}`,
		);
		const met = ratio('trigger', 'handbuilt') >= 3 && ratio('trigger', 'bare') >= 2 && keys.length === new Set(keys).size;
		console.log(`targets for the trigger (≥ 3× handbuilt, ≥ 2× bare, 0 duplicates): ${met ? 'met' : 'NOT met'}`);
	} finally {
		if (server) await server.stop();
		await peer.stop();
		await rt.dropDatabase(n8nDb, pg).catch((e) => console.error(`drop ${n8nDb}: ${e.message}`));
		fs.rmSync(userFolder, { recursive: true, force: true });
		await s.drop();
	}
}

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
