#!/usr/bin/env node
'use strict';
/**
 * `npm start`: a local n8n with this package, its credentials and the shipped workflows, ready to
 * receive GetCourse webhooks.
 *
 *   1. the package is built (`npm run build` when dist/ is missing or older than the sources);
 *      .env is read with the package's own reader (dist/lib/config.js)
 *   2. Node 24 + n8n 2.40.7 in the cache (installed on first use; scripts/n8n/install.js)
 *   3. PostgreSQL: the POSTGRES_* variables (SERVER_ENV picks the host, POSTGRES_SSL,
 *      POSTGRES_SSL_CA) when a host is set; otherwise an embedded PostgreSQL with its data in
 *      <data>/pg (port 5433; user postgres, password getcourse-bot-local, database getcourse_bot)
 *   4. schema applied with the package CLI (`getcourse-bot init`)
 *   5. n8n's own database (N8N_DB_NAME, default getcourse_bot_n8n) on the same server, its user
 *      folder in <data>/n8n, the package linked, the credentials imported under the names the
 *      templates use (PostgreSQL; the webhook secret; Telegram when TELEGRAM_BOT_TOKEN is set), the
 *      templates imported (once; --reset-workflows re-imports them) and published
 *   6. n8n on http://127.0.0.1:5678 (N8N_PORT or --port), allowed to read files in <data>/n8n-files
 *      (N8N_RESTRICT_FILE_ACCESS_TO), where <data>/n8n-files/reference gets the sample reference
 *      tables the imported "Reference sync" points at (scripts/start/referenceFiles.js); the
 *      templates' successful executions are saved (a local trial: something to look at)
 *
 * Ctrl-C (SIGINT) or SIGTERM: n8n is stopped first (SIGTERM, waited for), then the embedded
 * PostgreSQL. Both run in process groups of their own, so the terminal's Ctrl-C reaches only this
 * script. If this script dies without stopping them, the embedded PostgreSQL stops when its stdin
 * closes and n8n when it sees its parent gone (scripts/n8n/parentWatch.js).
 *
 * Options: --port N, --reset-workflows, --no-build
 * Environment: POSTGRES_HOST_EXTERNAL, POSTGRES_HOST_INTERNAL, SERVER_ENV, POSTGRES_PORT,
 *   POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, POSTGRES_SCHEMA, POSTGRES_SSL, POSTGRES_SSL_CA,
 *   TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL, GETCOURSE_STAFF_CHAT_ID, GETCOURSE_REVIEW_HOURS (publishes the review
 *   clock), GETCOURSE_SCHOOL_ADDRESS (the «Открыть урок» button), GETCOURSE_SHARED_SECRET (else generated into
 *   <data>/webhook-secret), N8N_PORT, N8N_RUNNERS_BROKER_PORT (default N8N_PORT + 1), N8N_DB_NAME,
 *   N8N_ENCRYPTION_KEY, N8N_EXPRESSION_ENGINE (default legacy), GETCOURSE_BOT_PG_PORT (embedded, default 5433), GETCOURSE_BOT_DATA_DIR
 *   (default .data), GETCOURSE_BOT_CACHE.
 */

const fs = require('node:fs');
const path = require('node:path');

const rt = require('./n8n');
const { distLib } = require('./n8n/paths');
const { ensureBuilt } = require('./start/build');
const { choosePostgres, cliEnv } = require('./start/database');
const { prepareReferenceFiles, restrictFileAccessTo } = require('./start/referenceFiles');
const { readOrCreateSecret, webhookSecret } = require('./start/secrets');
const { importAndPublish } = require('./start/templates');

const REPO = rt.REPO_DIR;
const args = process.argv.slice(2);
const opt = (name, fallback) => {
	const i = args.indexOf(name);
	return i >= 0 ? args[i + 1] : fallback;
};
const say = (...m) => console.log('[start]', ...m);
const seconds = (since) => ((Date.now() - since) / 1000).toFixed(1);

let embedded = null;
let server = null;
let stopping = false;

/** n8n first (it still uses the database while it shuts down), then the embedded PostgreSQL. */
async function shutdown(code) {
	if (stopping) return;
	stopping = true;
	say('stopping ...');
	if (server) {
		const t = Date.now();
		const info = await server.stop().catch((e) => say(`n8n stop: ${e.message}`));
		say(`n8n (PID ${server.pid}) stopped in ${seconds(t)} s${info && info.signal === 'SIGKILL' ? ' (killed after the timeout)' : ''}`);
	}
	if (embedded) {
		const t = Date.now();
		await embedded.stop().catch((e) => say(`PostgreSQL stop: ${e.message}`));
		say(`embedded PostgreSQL (PID ${embedded.pid}) stopped in ${seconds(t)} s`);
	}
	process.exit(code);
}

function onSignal(signal) {
	if (stopping) return say(`${signal} again: still stopping, please wait`);
	say(`${signal} received`);
	shutdown(0);
}

async function main() {
	const started = Date.now();
	process.on('SIGINT', onSignal);
	process.on('SIGTERM', onSignal);
	const dataDir = path.resolve(process.env.GETCOURSE_BOT_DATA_DIR || path.join(REPO, '.data'));

	// 1. build, then the package's own configuration reader
	await ensureBuilt({ allowBuild: !args.includes('--no-build'), say });
	const { loadDotEnv } = distLib('config.js');
	const { CREDENTIALS } = distLib('credentialNames.js');
	if (loadDotEnv(path.join(REPO, '.env'))) say('read .env');

	// 2. runtime
	const runtime = await rt.ensureRuntime();
	say(`n8n ${rt.N8N_VERSION} on Node 24 ready (${(runtime.ensureMs / 1000).toFixed(1)} s)`);

	// 3. PostgreSQL
	fs.mkdirSync(dataDir, { recursive: true });
	const pg = await choosePostgres({ dataDir, embeddedPort: Number(process.env.GETCOURSE_BOT_PG_PORT || 5433), say });
	embedded = pg.embedded;
	const { settings } = pg;

	// 4. app database + schema
	await rt.createDatabase(settings.database, pg.server).catch((e) => {
		throw new Error(`Cannot create or find database "${settings.database}" on ${pg.server.host}:${pg.server.port}: ${e.message}`);
	});
	const init = await rt.run(process.execPath, [path.join(REPO, 'dist/lib/cli/main.js'), 'init'], {
		cwd: REPO,
		env: { ...process.env, ...cliEnv(settings) },
		label: 'getcourse-bot init',
	});
	say(init.stdout.trim().split('\n').slice(0, 2).join(' | '));

	// 5. n8n
	const n8nDb = process.env.N8N_DB_NAME || 'getcourse_bot_n8n';
	await rt.createDatabase(n8nDb, pg.server);
	const userFolder = path.join(dataDir, 'n8n');
	fs.mkdirSync(userFolder, { recursive: true });
	const encryptionKey = process.env.N8N_ENCRYPTION_KEY || readOrCreateSecret(path.join(userFolder, 'encryption-key')).value;
	const port = Number(opt('--port', process.env.N8N_PORT || 5678));
	const reference = prepareReferenceFiles(dataDir);
	if (reference.copied.length) say(`sample reference files put into ${reference.referenceDir}: ${reference.copied.join(', ')}`);
	const n8n = rt.createInstance({
		userFolder,
		port,
		brokerPort: Number(process.env.N8N_RUNNERS_BROKER_PORT || port + 1),
		dbName: n8nDb,
		encryptionKey,
		db: pg.server,
		// production: no stack traces in webhook error answers
		extra: {
			GENERIC_TIMEZONE: process.env.GENERIC_TIMEZONE || 'Europe/Moscow',
			NODE_ENV: 'production',
			// n8n 2.40's default "vm" engine makes every call to a trigger other than n8n's own Webhook
			// node wait for its one expression isolate: ~30 GetCourse calls/s on 2 cores against ~180
			// with the in-process engine of n8n 1.x (bench/RESULTS.md). N8N_EXPRESSION_ENGINE=vm keeps n8n's default.
			N8N_EXPRESSION_ENGINE: process.env.N8N_EXPRESSION_ENGINE || 'legacy',
			// n8n 2.x reads files only below these folders; the template "Reference sync" reads the school's CSVs there
			N8N_RESTRICT_FILE_ACCESS_TO: restrictFileAccessTo(reference.filesDir),
		},
	});
	await n8n.init();
	await n8n.linkPackage(REPO);

	const secret = webhookSecret(dataDir);
	const token = (process.env.TELEGRAM_BOT_TOKEN || '').trim();
	const credentials = [
		{ id: 'gcbPgCredential1', ...CREDENTIALS.postgres, data: { ...settings } },
		{ id: 'gcbWsCredential1', ...CREDENTIALS.webhookSecret, data: { secret: secret.value } },
	];
	if (token) {
		credentials.push({
			id: 'gcbTgCredential1',
			...CREDENTIALS.telegram,
			data: { accessToken: token, baseUrl: process.env.TELEGRAM_API_BASE_URL || 'https://api.telegram.org' },
		});
	}
	let t = Date.now();
	await n8n.importCredentials(credentials);
	say(`credentials imported: ${credentials.map((c) => `"${c.name}"`).join(', ')} (${seconds(t)} s); webhook secret ${secret.source}`);
	await importAndPublish({
		n8n,
		server: pg.server,
		n8nDb,
		credentialIds: new Map(credentials.map((c) => [c.name, c.id])),
		hasToken: !!token,
		referenceDir: reference.referenceDir,
		reset: args.includes('--reset-workflows'),
		say,
	});
	if (!token) {
		say('WARNING: TELEGRAM_BOT_TOKEN is not set: GetCourse Send Pending is disabled in the full pipeline, so');
		say('         notifications stay pending. Set TELEGRAM_BOT_TOKEN (in .env) and run npm start again.');
	}

	// 6. start
	t = Date.now();
	// onSpawn: a Ctrl-C during n8n's start-up stops it too (before the database)
	await n8n.start({ probes: [{ path: 'getcourse', method: 'PATCH' }], detached: true, onSpawn: (handle) => (server = handle) });
	say(`n8n PID ${server.pid} ready in ${seconds(t)} s (log: ${path.relative(process.cwd(), server.logFile)}); total ${seconds(started)} s`);
	const base = server.baseUrl;
	const webhook = `${base}/webhook/getcourse?secret=${encodeURIComponent(secret.value)}`;
	console.log(`
  Editor:   ${base}/   (first visit: create the owner account)
  Webhook:  ${webhook}
            (GET or POST; GetCourse "Вызвать URL" or Tech API subscription; keep ?secret=… in the URL)
  Database: ${settings.user}@${pg.server.host}:${settings.port}/${settings.database} schema ${settings.schema}${embedded ? ` (embedded, ${path.join(dataDir, 'pg')})` : ''}

  Try it:
    curl -s '${webhook}&user_id=45678901&user_email=ivan@example.ru&answer_id=700000123&answer_status=new&answer_lesson_id=2223334&answer_training_id=889900&event_date=2026-02-03%2012:05:11'
    curl -s -X POST '${webhook}' -H 'content-type: application/json' \\
      -d '{"json":{"ts64":1770109511,"eventType":"getcourse/lessonAnswerCreated","answer":{"id":"700000124","status":"new","user_id":45678901,"lesson_id":2223334,"training_id":889900,"text":"Готово"}}}'

  Reference data: ${reference.referenceDir}
            mentors.csv … mapping.csv (samples to start with: edit them), loaded by the workflow
            "Reference sync" (open it, Execute workflow) or \`npm run cli -- import <table> <file.csv>\`
  What happened: the pipeline's Executions tab (successful runs are saved here), \`npm run cli -- stats\`,
            the tables webhook_events and notifications (docs/troubleshooting.md)
  Ctrl-C stops n8n${embedded ? ', then the embedded PostgreSQL' : ''}.
`);
	// If n8n dies on its own, stop the rest too.
	server.waitForExit().then((info) => {
		if (stopping) return;
		say(`n8n exited unexpectedly (${JSON.stringify(info)}); log tail:\n${server.tail().split('\n').slice(-30).join('\n')}`);
		shutdown(1);
	});
}

main().catch(async (error) => {
	if (stopping) return; // a step interrupted by the shutdown
	console.error(`[start] ${error.message}`);
	await shutdown(1);
});
