'use strict';
/**
 * Scenario 4: the intake webhook in real n8n (2.40.7, Node 24, regular mode) against a bare n8n
 * webhook that does the least a webhook → PostgreSQL workflow can do.
 *
 *   npm run build && node bench/intake-n8n.js
 *   (BENCH_INTAKE_RUNS=3, BENCH_INTAKE_SECONDS=10, BENCH_INTAKE_CONCURRENCY=10)
 *
 * One n8n instance (fresh n8n database, this package linked from dist/) serves both, published:
 *  - intake: the shipped workflows/intake.json as it is (Webhook → GetCourse Store Event →
 *    Respond to Webhook), POST /webhook/getcourse;
 *  - bare: Webhook (POST /webhook/bare) → n8n's own Postgres node (credential type `postgres`,
 *    same database) executeQuery `INSERT INTO bench_bare(payload) VALUES ($1::jsonb)` with the
 *    body → Respond to Webhook; the same workflow settings as the template.
 * Both get the same request: a GetCourse process "call URL" POST with the fields in a
 * form-urlencoded body; for intake every request carries a distinct answer_id, so each one is
 * stored (not answered as a duplicate). Load: bench/loadgen.js, a fixed number of keep-alive
 * connections each sending one request after another; runs alternate (intake, bare, bare, intake,
 * …) after a short warm-up of each. Reported per way: medians over the runs of p50/p99 latency
 * and requests/s, and the ratio intake p50 / bare p50 (target ≤ 1.1×).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freshSchema, median, fmt, table, header, ROOT } = require('./common');
const { loadTest } = require('./loadgen');
const rt = require(path.join(ROOT, 'scripts/n8n'));
const { CREDENTIALS } = require(path.join(ROOT, 'dist/lib/credentialNames.js'));

const RUNS = Math.max(1, Number(process.env.BENCH_INTAKE_RUNS || 3));
const SECONDS = Math.max(1, Number(process.env.BENCH_INTAKE_SECONDS || 10));
const CONCURRENCY = Math.max(1, Number(process.env.BENCH_INTAKE_CONCURRENCY || 10));
const WARMUP_SECONDS = 3;
const BARE_ID = 'gcbBenchBare0001';

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
		answer_text: 'Сделал упражнение 2, прошу проверить',
		event_date: '2026-02-03 15:10:00',
	}).toString();
	return { method: 'POST', path: path_, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body };
}

async function main() {
	header(
		'Intake webhook in n8n vs a bare webhook → Postgres → respond',
		`${RUNS} alternating runs × ${SECONDS} s per way, ${CONCURRENCY} keep-alive connections, ${WARMUP_SECONDS} s warm-up each; real n8n ${rt.N8N_VERSION} (regular mode)`,
	);
	const s = await freshSchema('intake');
	await s.q('CREATE TABLE bench_bare (id bigserial PRIMARY KEY, payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())');
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
			extra: { GENERIC_TIMEZONE: 'Europe/Moscow', N8N_LOG_LEVEL: 'warn' },
		});
		await n8n.init();
		await n8n.linkPackage(ROOT);
		await n8n.importCredentials([
			{ id: 'gcbBenchPgCred01', name: CREDENTIALS.postgres.name, type: CREDENTIALS.postgres.type, data: { ...s.credential, hostInternal: s.credential.hostExternal } },
			{
				id: 'gcbBenchN8nPg001',
				name: 'Bench PostgreSQL',
				type: 'postgres',
				data: { host: pg.host, port: pg.port, database: s.credential.database, user: pg.user, password: pg.password || '', ssl: 'disable', allowUnauthorizedCerts: false, sshTunnel: false },
			},
		]);
		fs.writeFileSync(wfFile, JSON.stringify(bareWorkflow(s.schema)));
		await n8n.importWorkflows([rt.templatePath('intake'), wfFile], { publish: true });
		server = await n8n.start({
			probes: [
				{ path: 'getcourse', method: 'PATCH' },
				{ path: 'bare', method: 'GET' },
			],
		});
		console.log(`n8n ready in ${(server.readyMs / 1000).toFixed(1)} s (PID ${server.pid})\n`);

		const ways = {
			intake: { url: `${server.baseUrl}/webhook/getcourse`, path: '/webhook/getcourse' },
			bare: { url: `${server.baseUrl}/webhook/bare`, path: '/webhook/bare' },
		};
		let tag = 10;
		const once = async (way, seconds) => {
			const runTag = String(tag++);
			const r = await loadTest({ url: ways[way].url, concurrency: CONCURRENCY, durationMs: seconds * 1000, request: (n) => processCall(ways[way].path, n, runTag) });
			if (r.errors) throw new Error(`${way}: ${r.errors} of ${r.requests} requests failed (first: ${r.firstError}; statuses ${JSON.stringify(r.statuses)})`);
			return r;
		};
		// warm-up (JIT, pools), not counted
		await once('intake', WARMUP_SECONDS);
		await once('bare', WARMUP_SECONDS);
		const results = { intake: [], bare: [] };
		for (let run = 0; run < RUNS; run++) {
			const order = run % 2 === 0 ? ['intake', 'bare'] : ['bare', 'intake'];
			for (const way of order) {
				const r = await once(way, SECONDS);
				results[way].push(r);
				console.log(`run ${run + 1} ${way.padEnd(6)}: ${fmt(r.ok)} requests, ${r.rps.toFixed(1)} req/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`);
			}
		}
		// Every answered request did its write.
		const stored = Number((await s.q('SELECT count(*) AS n FROM webhook_events')).rows[0].n);
		const bareRows = Number((await s.q('SELECT count(*) AS n FROM bench_bare')).rows[0].n);
		const okIntake = RUNS && [...results.intake].reduce((a, r) => a + r.ok, 0);
		const okBare = [...results.bare].reduce((a, r) => a + r.ok, 0);
		console.log(`\nrows written: webhook_events ${fmt(stored)} (incl. warm-up), bench_bare ${fmt(bareRows)} (incl. warm-up); counted requests ${fmt(okIntake)} / ${fmt(okBare)}`);

		const row = (way) => {
			const rs = results[way];
			return [way, fmt(median(rs.map((r) => r.p50)), 1), fmt(median(rs.map((r) => r.p99)), 1), fmt(median(rs.map((r) => r.rps)), 1), fmt(Math.min(...rs.map((r) => r.p50)), 1), fmt(Math.max(...rs.map((r) => r.p50)), 1)];
		};
		console.log('');
		table(['way', 'p50 ms (median)', 'p99 ms (median)', 'req/s (median)', 'p50 min', 'p50 max'], [row('intake'), row('bare')]);
		const ratio = median(results.intake.map((r) => r.p50)) / median(results.bare.map((r) => r.p50));
		const perRun = median(results.intake.map((r, i) => r.p50 / results.bare[i].p50));
		const rpsRatio = median(results.intake.map((r) => r.rps)) / median(results.bare.map((r) => r.rps));
		console.log(`\nintake p50 / bare p50: ${ratio.toFixed(2)}× (median of per-run ratios ${perRun.toFixed(2)}×); req/s intake / bare: ${rpsRatio.toFixed(2)}`);
		console.log(`target (intake p50 ≤ 1.1 × bare p50): ${ratio <= 1.1 ? 'met' : 'NOT met'}`);
	} finally {
		if (server) await server.stop();
		await rt.dropDatabase(n8nDb, pg).catch((e) => console.error(`drop ${n8nDb}: ${e.message}`));
		fs.rmSync(userFolder, { recursive: true, force: true });
		await s.drop();
	}
}

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
