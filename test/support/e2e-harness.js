'use strict';
/**
 * Shared set-up for the end-to-end tests: PostgreSQL (E2E_PG_* or TEST_PG_*, default 127.0.0.1:5432;
 * when nothing answers, an embedded one), a fresh app schema applied with the package CLI, reference data, a Telegram Bot API peer,
 * and real n8n with this package linked, the three credentials imported under the names the
 * templates use (lib/credentialNames.ts: PostgreSQL, Telegram with TOKEN, webhook secret with
 * SECRET, also ctx.secret) and the given templates imported and published as shipped.
 *
 * E2E_KEEP=1 keeps the n8n user folder (n8n.log inside) and the databases.
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('pg');

const rt = require('../../scripts/n8n');
const { reachable, startEmbeddedPostgres } = require('../../scripts/embedded-pg');
const { createTelegramPeer } = require('./telegram-peer');
const { startPeerProcess } = require('./telegram-peer-process');

const REPO = rt.REPO_DIR;
const TOKEN = '7000000001:AAE2eLoopbackTokenNotReal_abcdef';
/** The webhook secret of the test instance (credential "GetCourse Webhook Secret account"). */
const SECRET = 'e2e-webhook-secret-not-real-7f3a9c';
const SINCE = '2020-01-01T00:00:00Z';

const people = {
	MARIA: { email: 'maria.mentor@school.test', first: 'Мария', last: 'Наставникова', chat: '100001' },
	PETR: { email: 'petr.mentor@school.test', first: 'Пётр', last: 'Проверяющий', chat: '100002' },
	BLOCKED: { email: 'blocked.mentor@school.test', first: 'Борис', last: 'Заблокированный', chat: '100003' },
	IVAN: { userId: '45678901', email: 'ivan@example.ru', first: 'Иван', last: 'Студентов' },
	OLGA: { userId: '45678902', email: 'olga@example.ru', first: 'Ольга', last: 'Ученица' },
	SEMEN: { userId: '45678903', email: 'semen@example.ru', first: 'Семён', last: 'Блокированный' },
	NOBODY: { userId: '45678999', email: 'nobody@example.ru', first: 'Никита', last: 'Безнаставника' },
	TRAINING: { id: '889900', name: 'Поток весна' },
	LESSON: { id: '2223334', name: '2.3 Практика' },
};

/** Credential names and types, from the built package (dist/lib/credentialNames.js). */
function credentialNames() {
	return require(path.join(REPO, 'dist/lib/credentialNames.js')).CREDENTIALS;
}

/**
 * PostgreSQL for an end-to-end run: E2E_PG_* first, then TEST_PG_* (set by scripts/run-tests.js),
 * then the machines' server on 127.0.0.1:5432; when nothing answers, an embedded one in a
 * temporary folder. Returns { pg: {host, port, user, password}, stop() }.
 */
async function e2ePostgres() {
	const env = (name, fallback) => process.env[`E2E_PG_${name}`] || process.env[`TEST_PG_${name}`] || fallback;
	const wanted = {
		host: env('HOST', '127.0.0.1'),
		port: Number(env('PORT', 5432)),
		user: env('USER', 'postgres'),
		password: env('PASSWORD', ''),
	};
	if (await reachable(wanted)) return { pg: wanted, embedded: false, stop: async () => undefined };
	const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-e2e-pg-'));
	fs.chmodSync(dataRoot, 0o755);
	const pg = await startEmbeddedPostgres({ dataDir: path.join(dataRoot, 'pg'), port: await rt.freePort() });
	return {
		pg,
		embedded: true,
		stop: async () => {
			await pg.stop();
			fs.rmSync(dataRoot, { recursive: true, force: true });
		},
	};
}

function assertBuilt() {
	const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
	const missing = [...(pkg.n8n.nodes || []), ...(pkg.n8n.credentials || []), 'dist/lib/cli/main.js'].filter((f) => !fs.existsSync(path.join(REPO, f)));
	if (missing.length) throw new Error(`Build the package first (npm run build); missing: ${missing.join(', ')}`);
}

async function insertReferenceData(q) {
	const { MARIA, PETR, BLOCKED, IVAN, OLGA, SEMEN, NOBODY, TRAINING, LESSON } = people;
	for (const m of [MARIA, PETR, BLOCKED]) {
		await q(`INSERT INTO mentors (email, first_name, last_name, telegram_id, valid_from) VALUES ($1,$2,$3,$4,$5)`, [m.email, m.first, m.last, m.chat, SINCE]);
	}
	for (const s of [IVAN, OLGA, SEMEN, NOBODY]) {
		await q(`INSERT INTO students (user_id, email, first_name, last_name, valid_from) VALUES ($1,$2,$3,$4,$5)`, [s.userId, s.email, s.first, s.last, SINCE]);
	}
	await q(`INSERT INTO trainings (training_id, name, valid_from) VALUES ($1,$2,$3)`, [TRAINING.id, TRAINING.name, SINCE]);
	await q(`INSERT INTO lessons (lesson_id, training_id, name, valid_from) VALUES ($1,$2,$3,$4)`, [LESSON.id, TRAINING.id, LESSON.name, SINCE]);
	for (const [student, mentor] of [
		[IVAN, MARIA],
		[OLGA, PETR],
		[SEMEN, BLOCKED],
	]) {
		await q(`INSERT INTO mapping (student_email, mentor_email, training_id, valid_from) VALUES ($1,$2,$3,$4)`, [student.email, mentor.email, TRAINING.id, SINCE]);
	}
}

/**
 * @param {object} o
 * @param {string[]} o.templates  names in workflows/ (e.g. ['intake', 'processing', 'sending'])
 * @param {string} [o.label]      goes into database and schema names
 * @param {object} [o.n8nEnv]     more environment for every n8n command of the instance (e.g. queue mode)
 * @param {function} [o.transform] (workflow) => workflow, applied to each template before import
 * @param {object} [o.peerOptions] more options of the Telegram peer (e.g. { enforceLimits: true })
 * @param {boolean} [o.peerProcess] run the peer in a process of its own (test/support/telegram-peer-process.js)
 * @param {object} [o.appPg]      {host, port, user, password}: the app's PostgreSQL when it is not n8n's
 *                                (a test that stops the app database keeps n8n's own running)
 * @param {function} [o.beforeStart] async (ctx) => …, once the schema, reference data and workflows
 *                                are in and before n8n starts (ctx.q works; ctx.server does not yet)
 */
async function setupE2E({ templates, label = 'e2e', n8nEnv = {}, transform, peerOptions = {}, peerProcess = false, appPg, beforeStart }) {
	const t0 = Date.now();
	const timings = {};
	const mark = (name) => (timings[name] = Date.now() - t0);
	const suffix = rt.randomId(8).toLowerCase();
	const ctx = {
		TOKEN,
		secret: SECRET,
		people,
		timings,
		mark,
		t0,
		schema: `${label}_${suffix}`,
		appDb: process.env.E2E_APP_DB || process.env.TEST_PG_DATABASE || 'test',
		n8nDb: `n8n_${label}_${suffix}`,
		keep: process.env.E2E_KEEP === '1',
	};
	const cleanups = [];
	ctx.teardown = async () => {
		const errors = [];
		for (const fn of cleanups.reverse()) {
			try {
				await fn();
			} catch (e) {
				errors.push(e);
			}
		}
		mark('done');
		console.log(`${label} timings (ms since set-up start): ${JSON.stringify(timings)}`);
		if (errors.length) throw errors[0];
	};
	try {
		assertBuilt();
		const runtime = await rt.ensureRuntime();
		timings.runtimeEnsureMs = runtime.ensureMs;
		mark('runtimeReady');

		// PostgreSQL
		const server = await e2ePostgres();
		ctx.pg = server.pg;
		cleanups.push(server.stop);
		if (server.embedded) mark('embeddedPostgresStarted');
		const pg = ctx.pg;
		const app = (ctx.appPg = appPg || pg);
		await rt.createDatabase(ctx.appDb, app);
		await rt.createDatabase(ctx.n8nDb, pg);
		if (!ctx.keep) cleanups.push(() => rt.dropDatabase(ctx.n8nDb, pg));
		await rt.withPg(app, ctx.appDb, (c) => c.query(`CREATE SCHEMA IF NOT EXISTS ${rt.quoteIdentifier(ctx.schema)}`));
		if (!ctx.keep) cleanups.push(() => rt.withPg(app, ctx.appDb, (c) => c.query(`DROP SCHEMA IF EXISTS ${rt.quoteIdentifier(ctx.schema)} CASCADE`)));

		// Schema through the package CLI (cwd without a .env)
		ctx.userFolder = fs.mkdtempSync(path.join(os.tmpdir(), `gcb-${label}-n8n-`));
		cleanups.push(() => {
			if (ctx.keep) console.log(`kept n8n user folder ${ctx.userFolder}, databases ${ctx.n8nDb} and ${ctx.appDb}.${ctx.schema}`);
			else fs.rmSync(ctx.userFolder, { recursive: true, force: true });
		});
		/** Environment for the package CLI against the app schema (cwd without a .env). */
		ctx.cliEnv = {
			...process.env,
			POSTGRES_HOST_EXTERNAL: app.host,
			POSTGRES_HOST_INTERNAL: app.host,
			SERVER_ENV: 'dev',
			POSTGRES_PORT: String(app.port),
			POSTGRES_USER: app.user,
			POSTGRES_PASSWORD: app.password || '',
			POSTGRES_DB: ctx.appDb,
			POSTGRES_SCHEMA: ctx.schema,
		};
		await rt.run(process.execPath, [path.join(REPO, 'dist/lib/cli/main.js'), 'init'], { cwd: ctx.userFolder, env: ctx.cliEnv });
		mark('schemaApplied');

		const appClient = new Client({ host: app.host, port: app.port, user: app.user, password: app.password || undefined, database: ctx.appDb });
		appClient.on('error', () => undefined); // a test may stop the app's database
		await appClient.connect();
		cleanups.push(() => appClient.end());
		await appClient.query(`SET search_path TO ${rt.quoteIdentifier(ctx.schema)}`);
		ctx.q = async (sql, params = []) => (await appClient.query(sql, params)).rows;
		await insertReferenceData(ctx.q);

		// Telegram peer: in this process, or in one of its own where arrival times are measured
		// (this process's own load would stamp requests late and in bunches; call ctx.peer.sync()
		// before reading what it received)
		let peerUrl;
		if (peerProcess) {
			ctx.peer = await startPeerProcess({ ...peerOptions, token: TOKEN });
			peerUrl = ctx.peer.baseUrl;
		} else {
			ctx.peer = createTelegramPeer({ ...peerOptions, token: TOKEN });
			peerUrl = await ctx.peer.start();
		}
		cleanups.push(() => ctx.peer.stop());

		// n8n
		const port = await rt.freePort();
		ctx.n8n = rt.createInstance({
			userFolder: ctx.userFolder,
			port,
			brokerPort: await rt.freePort(),
			dbName: ctx.n8nDb,
			encryptionKey: rt.randomId(32),
			db: pg,
			extra: { GENERIC_TIMEZONE: 'Europe/Moscow', ...n8nEnv },
		});
		await ctx.n8n.init();
		await ctx.n8n.linkPackage(REPO);
		const CREDENTIALS = credentialNames();
		await ctx.n8n.importCredentials([
			{
				id: 'gcbE2ePgCred0001',
				name: CREDENTIALS.postgres.name,
				type: CREDENTIALS.postgres.type,
				data: {
					hostExternal: app.host,
					hostInternal: app.host,
					environment: 'dev',
					port: app.port,
					user: app.user,
					password: app.password || '',
					database: ctx.appDb,
					schema: ctx.schema,
					ssl: 'disable',
					connectionTimeout: 10,
				},
			},
			{ id: 'gcbE2eTgCred0001', name: CREDENTIALS.telegram.name, type: CREDENTIALS.telegram.type, data: { accessToken: TOKEN, baseUrl: peerUrl } },
			{ id: 'gcbE2eWsCred0001', name: CREDENTIALS.webhookSecret.name, type: CREDENTIALS.webhookSecret.type, data: { secret: SECRET } },
		]);
		mark('credentialsImported');
		ctx.workflows = await ctx.n8n.importWorkflows(templates.map(rt.templatePath), { publish: true, transform });
		mark('workflowsImportedAndPublished');
		ctx.storedWorkflows = await rt.withPg(pg, ctx.n8nDb, async (c) => (await c.query(`SELECT id, nodes, "activeVersionId" FROM workflow_entity`)).rows);

		// what the database holds before n8n starts (an answer stored while n8n was down, say)
		if (beforeStart) await beforeStart(ctx);
		ctx.server = await ctx.n8n.start({ probes: [{ path: 'getcourse', method: 'PATCH' }] });
		cleanups.push(() => ctx.server.stop());
		timings.n8nHealthyMs = ctx.server.healthyMs;
		timings.n8nWebhooksLiveMs = ctx.server.readyMs;
		mark('n8nStarted');
		ctx.webhookUrl = `${ctx.server.baseUrl}/webhook/getcourse`;
	} catch (error) {
		await ctx.teardown().catch(() => undefined);
		throw error;
	}

	/** Polls fn until truthy; on timeout fails with n8n's log tail. */
	ctx.until = async (what, fn, { timeoutMs = 120000, intervalMs = 250 } = {}) => {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const value = await fn();
			if (value) return value;
			if (Date.now() > deadline) {
				throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}\n--- n8n log tail ---\n${ctx.server.tail().split('\n').slice(-40).join('\n')}`);
			}
			await new Promise((r) => setTimeout(r, intervalMs));
		}
	};
	/** The webhook URL with the query given (a string "?a=1" or an object) and the secret (secret: null leaves it out). */
	ctx.urlWith = (query = '', secret = SECRET) => {
		const params = new URLSearchParams(typeof query === 'string' ? query.replace(/^\?/, '') : query);
		if (secret !== null) params.set('secret', secret);
		const qs = params.toString();
		return qs ? `${ctx.webhookUrl}?${qs}` : ctx.webhookUrl;
	};
	ctx.post = (body, { query = '', headers = {}, secret = SECRET } = {}) => rt.httpRequest(ctx.urlWith(query, secret), { method: 'POST', body, headers });
	ctx.get = (fields, { secret = SECRET } = {}) => rt.httpRequest(ctx.urlWith(fields, secret));
	/** Executions n8n recorded for a workflow (the templates save successful ones only when a test's transform says so). */
	ctx.executions = async (workflowId) =>
		rt.withPg(ctx.pg, ctx.n8nDb, async (c) => (await c.query(`SELECT id, status, mode FROM execution_entity WHERE "workflowId" = $1 ORDER BY id`, [workflowId])).rows);
	/** The nodes an execution ran, from n8n's record of it (saved when the workflow keeps successful runs). */
	ctx.nodesRun = async (executionId) => Object.keys((await rt.executionRunData(ctx.pg, ctx.n8nDb, executionId)) ?? {});
	return ctx;
}

/** A GetCourse Tech API "answer added" delivery, wrapped as {"json": …}, with a quoted answer id. */
function techApiAnswer({ answerId, userId, status = 'new', text, ts64 }) {
	const ts = new Date(ts64 * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
	return {
		json: {
			ts,
			ts64,
			gcAccountId: 123456,
			eventType: 'getcourse/lessonAnswerCreated',
			answer: {
				id: `'${answerId}'`,
				type: 'mission_answer',
				status,
				text,
				user_id: Number(userId),
				lesson_id: Number(people.LESSON.id),
				lesson_name: people.LESSON.name,
				training_id: Number(people.TRAINING.id),
				training_name: people.TRAINING.name,
				created_at: ts,
				deleted: 0,
				lesson_teacher_id: null,
				questionary: [],
				additional_fields: [{ name: 'Ссылка', value: 'https://example.ru/x', required: '1' }],
			},
		},
	};
}

module.exports = { setupE2E, techApiAnswer, people, TOKEN, SECRET, e2ePostgres };
