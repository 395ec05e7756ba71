#!/usr/bin/env node
'use strict';
/**
 * `npm start`: a local n8n with this package, its credentials and the shipped workflows, ready to
 * receive GetCourse webhooks.
 *
 *   1. Node 24 + n8n 2.40.7 in the cache (installed on first use; see scripts/n8n/install.js)
 *   2. the package is built (runs `npm run build` when dist/ is missing or older than the sources)
 *   3. PostgreSQL: POSTGRES_* from the environment or .env when POSTGRES_HOST_EXTERNAL/INTERNAL is
 *      set; otherwise an embedded PostgreSQL with its data in .data/pg (port 5433)
 *   4. schema.sql applied with the package CLI (`getcourse-bot init`)
 *   5. n8n's own database (N8N_DB_NAME, default getcourse_bot_n8n) on the same server, its user
 *      folder in .data/n8n, the package linked, the credentials imported ("GetCourse Bot PostgreSQL",
 *      and "GetCourse Bot Telegram" when TELEGRAM_BOT_TOKEN is set), the templates intake,
 *      processing, sending and maintenance imported (once; --reset-workflows re-imports them) and
 *      published; sending is published only with a Telegram token
 *   6. n8n on http://127.0.0.1:5678 (N8N_PORT); Ctrl-C stops n8n and the embedded PostgreSQL.
 *
 * Options: --port N, --reset-workflows, --no-build
 * Environment: POSTGRES_HOST_EXTERNAL, POSTGRES_HOST_INTERNAL, SERVER_ENV, POSTGRES_PORT,
 *   POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, POSTGRES_SCHEMA, POSTGRES_SSL,
 *   TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL, GETCOURSE_SHARED_SECRET (informational),
 *   N8N_PORT, N8N_DB_NAME, N8N_ENCRYPTION_KEY, GETCOURSE_BOT_PG_PORT (embedded, default 5433),
 *   GETCOURSE_BOT_CACHE.
 */

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const rt = require('./n8n');
const { startEmbeddedPostgres } = require('./embedded-pg');

const REPO = rt.REPO_DIR;
const DATA = path.join(REPO, '.data');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
	const i = args.indexOf(name);
	return i >= 0 ? args[i + 1] : fallback;
};

const say = (...m) => console.log('[start]', ...m);

function loadDotEnv(file) {
	if (!fs.existsSync(file)) return false;
	for (const line of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
		const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/.exec(line);
		if (!m || line.trim().startsWith('#')) continue;
		let value = m[2];
		if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
		else value = value.replace(/\s+#.*$/, '');
		if (process.env[m[1]] === undefined) process.env[m[1]] = value;
	}
	return true;
}

function newestMtime(dir, filter) {
	let newest = 0;
	if (!fs.existsSync(dir)) return newest;
	for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
		const p = path.join(dir, entry.name);
		if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p, filter));
		else if (filter(p)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
	}
	return newest;
}

async function ensureBuilt() {
	const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
	const outputs = [...((pkg.n8n && pkg.n8n.nodes) || []), ...((pkg.n8n && pkg.n8n.credentials) || []), 'dist/lib/cli/main.js'].map((f) => path.join(REPO, f));
	const missing = outputs.filter((f) => !fs.existsSync(f));
	const srcNewest = Math.max(
		...['lib', 'nodes', 'credentials'].map((d) => newestMtime(path.join(REPO, d), (p) => /\.(ts|json|sql|svg)$/.test(p) && !p.endsWith('.d.ts'))),
	);
	const distOldest = missing.length ? 0 : Math.min(...outputs.map((f) => fs.statSync(f).mtimeMs));
	if (!missing.length && distOldest >= srcNewest) return;
	if (args.includes('--no-build')) {
		if (missing.length) throw new Error(`dist/ is incomplete (${missing.map((f) => path.relative(REPO, f)).join(', ')}); run npm run build`);
		say('warning: dist/ is older than the sources (--no-build given)');
		return;
	}
	say(missing.length ? 'dist/ missing: building (npm run build) ...' : 'sources changed since the last build: building (npm run build) ...');
	const t = Date.now();
	await rt.run('npm', ['run', 'build'], { cwd: REPO, label: 'npm run build' });
	say(`built in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

function readOrCreateSecret(file, bytes = 24) {
	if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
	const value = crypto.randomBytes(bytes).toString('base64url');
	fs.mkdirSync(path.dirname(file), { recursive: true });
	fs.writeFileSync(file, value + '\n', { mode: 0o600 });
	return value;
}

async function main() {
	const started = Date.now();
	if (loadDotEnv(path.join(REPO, '.env'))) say('read .env');

	// 1. runtime
	const runtime = await rt.ensureRuntime();
	say(`n8n ${rt.N8N_VERSION} on Node 24 ready (${(runtime.ensureMs / 1000).toFixed(1)} s)`);

	// 2. build
	await ensureBuilt();

	// 3. PostgreSQL
	let embedded = null;
	let pg;
	const usingEnv = !!(process.env.POSTGRES_HOST_EXTERNAL || process.env.POSTGRES_HOST_INTERNAL);
	if (usingEnv) {
		const env = (process.env.SERVER_ENV || 'dev').toLowerCase();
		const host = env === 'prod' ? process.env.POSTGRES_HOST_INTERNAL || process.env.POSTGRES_HOST_EXTERNAL : process.env.POSTGRES_HOST_EXTERNAL || process.env.POSTGRES_HOST_INTERNAL;
		pg = {
			host,
			port: Number(process.env.POSTGRES_PORT || 5432),
			user: process.env.POSTGRES_USER || 'postgres',
			password: process.env.POSTGRES_PASSWORD || '',
			database: process.env.POSTGRES_DB || 'getcourse_bot',
			schema: process.env.POSTGRES_SCHEMA || 'public',
			ssl: process.env.POSTGRES_SSL === 'require' ? 'require' : 'disable',
			environment: env === 'prod' ? 'prod' : 'dev',
			hostExternal: process.env.POSTGRES_HOST_EXTERNAL || host,
			hostInternal: process.env.POSTGRES_HOST_INTERNAL || host,
		};
		say(`PostgreSQL from the environment: ${pg.user}@${pg.host}:${pg.port}/${pg.database} schema ${pg.schema} (SERVER_ENV=${env})`);
	} else {
		const port = Number(process.env.GETCOURSE_BOT_PG_PORT || 5433);
		fs.mkdirSync(DATA, { recursive: true });
		const t = Date.now();
		embedded = await startEmbeddedPostgres({ dataDir: path.join(DATA, 'pg'), port });
		pg = {
			host: '127.0.0.1',
			port,
			user: embedded.user,
			password: embedded.password,
			database: 'getcourse_bot',
			schema: 'public',
			ssl: 'disable',
			environment: 'dev',
			hostExternal: '127.0.0.1',
			hostInternal: '127.0.0.1',
		};
		say(`embedded PostgreSQL ${embedded.fresh ? '(new, ' : '('}data in .data/pg) on 127.0.0.1:${port}, PID ${embedded.pid}, up in ${((Date.now() - t) / 1000).toFixed(1)} s`);
	}

	let server = null;
	let stopping = false;
	const shutdown = async (code = 0) => {
		if (stopping) return;
		stopping = true;
		say('stopping ...');
		if (server) {
			await server.stop().catch((e) => say(`n8n stop: ${e.message}`));
			say(`n8n (PID ${server.pid}) stopped`);
		}
		if (embedded) {
			await embedded.stop().catch((e) => say(`PostgreSQL stop: ${e.message}`));
			say(`embedded PostgreSQL (PID ${embedded.pid}) stopped`);
		}
		process.exit(code);
	};
	process.on('SIGINT', () => shutdown(0));
	process.on('SIGTERM', () => shutdown(0));

	try {
		// 4. app database + schema
		await rt.createDatabase(pg.database, pg).catch((e) => {
			throw new Error(`Cannot create or find database "${pg.database}" on ${pg.host}:${pg.port}: ${e.message}`);
		});
		const init = await rt.run(process.execPath, [path.join(REPO, 'dist/lib/cli/main.js'), 'init'], {
			cwd: REPO,
			env: {
				...process.env,
				POSTGRES_HOST_EXTERNAL: pg.hostExternal,
				POSTGRES_HOST_INTERNAL: pg.hostInternal,
				SERVER_ENV: pg.environment,
				POSTGRES_PORT: String(pg.port),
				POSTGRES_USER: pg.user,
				POSTGRES_PASSWORD: pg.password,
				POSTGRES_DB: pg.database,
				POSTGRES_SCHEMA: pg.schema,
				POSTGRES_SSL: pg.ssl,
			},
			label: 'getcourse-bot init',
		});
		say(init.stdout.trim().split('\n').slice(0, 2).join(' | '));

		// 5. n8n
		const n8nDb = process.env.N8N_DB_NAME || 'getcourse_bot_n8n';
		await rt.createDatabase(n8nDb, pg);
		const userFolder = path.join(DATA, 'n8n');
		fs.mkdirSync(userFolder, { recursive: true });
		const encryptionKey = process.env.N8N_ENCRYPTION_KEY || readOrCreateSecret(path.join(userFolder, 'encryption-key'));
		const port = Number(opt('--port', process.env.N8N_PORT || 5678));
		const n8n = rt.createInstance({
			userFolder,
			port,
			brokerPort: port + 1,
			dbName: n8nDb,
			encryptionKey,
			db: pg,
			// production: no stack traces in webhook error answers
			extra: { GENERIC_TIMEZONE: process.env.GENERIC_TIMEZONE || 'Europe/Moscow', NODE_ENV: 'production' },
		});
		await n8n.init();
		await n8n.linkPackage(REPO);

		const token = (process.env.TELEGRAM_BOT_TOKEN || '').trim();
		const credentials = [
			{
				id: 'gcbPgCredential1',
				name: 'GetCourse Bot PostgreSQL',
				type: 'getCourseBotPostgres',
				data: {
					hostExternal: pg.hostExternal,
					hostInternal: pg.hostInternal,
					environment: pg.environment,
					port: pg.port,
					user: pg.user,
					password: pg.password,
					database: pg.database,
					schema: pg.schema,
					ssl: pg.ssl,
					connectionTimeout: 60,
				},
			},
		];
		if (token) {
			credentials.push({
				id: 'gcbTgCredential1',
				name: 'GetCourse Bot Telegram',
				type: 'getCourseBotTelegramApi',
				data: { accessToken: token, baseUrl: process.env.TELEGRAM_API_BASE_URL || 'https://api.telegram.org' },
			});
		}
		let t = Date.now();
		await n8n.importCredentials(credentials);
		say(`credentials imported: ${credentials.map((c) => `"${c.name}"`).join(', ')} (${((Date.now() - t) / 1000).toFixed(1)} s)`);

		// Templates: imported once (editor changes survive restarts) unless --reset-workflows.
		const names = ['intake', 'processing', 'sending', 'maintenance'].filter((n) => fs.existsSync(rt.templatePath(n)));
		const templates = names.map((n) => ({ name: n, file: rt.templatePath(n), wf: JSON.parse(fs.readFileSync(rt.templatePath(n), 'utf8')) }));
		const existing = await rt.withPg(pg, n8nDb, async (c) => {
			const r = await c.query(`SELECT id, nodes FROM workflow_entity WHERE id = ANY($1)`, [templates.map((x) => x.wf.id)]);
			return new Map(r.rows.map((row) => [row.id, row]));
		});
		const reset = args.includes('--reset-workflows');
		const importedNames = new Set(credentials.map((c) => c.name));
		// A workflow imported before its credential existed keeps {"id": null}: import it again.
		const unresolved = (row) =>
			(row.nodes || []).some((node) => Object.values(node.credentials || {}).some((ref) => !ref.id && importedNames.has(ref.name)));
		const toImport = templates.filter((x) => reset || !existing.has(x.wf.id) || unresolved(existing.get(x.wf.id)));
		if (toImport.length) {
			t = Date.now();
			await n8n.importWorkflows(
				toImport.map((x) => x.file),
				{ publish: false },
			);
			say(`workflows imported: ${toImport.map((x) => x.name).join(', ')} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
		}
		const active = await rt.withPg(pg, n8nDb, async (c) => {
			const r = await c.query(`SELECT id, "activeVersionId" FROM workflow_entity WHERE id = ANY($1)`, [templates.map((x) => x.wf.id)]);
			return new Map(r.rows.map((row) => [row.id, !!row.activeVersionId]));
		});
		const wantPublished = templates.filter((x) => x.name !== 'sending' || token);
		const toPublish = wantPublished.filter((x) => !active.get(x.wf.id));
		const sending = templates.find((x) => x.name === 'sending');
		t = Date.now();
		await Promise.all([
			n8n.publishAll(toPublish.map((x) => x.wf.id)),
			!token && sending && active.get(sending.wf.id) ? n8n.cli(['unpublish:workflow', `--id=${sending.wf.id}`]) : null,
		]);
		if (!token && sending && active.get(sending.wf.id)) say('sending unpublished (no TELEGRAM_BOT_TOKEN)');
		if (toPublish.length) say(`published: ${toPublish.map((x) => x.name).join(', ')} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
		if (!token) {
			say('WARNING: TELEGRAM_BOT_TOKEN is not set: the sending workflow is imported but NOT published, so');
			say('         notifications stay pending. Set TELEGRAM_BOT_TOKEN (in .env) and run npm start again.');
		}

		// 6. start
		t = Date.now();
		server = await n8n.start({ probes: [{ path: 'getcourse', method: 'PATCH' }] });
		say(`n8n PID ${server.pid} ready in ${((Date.now() - t) / 1000).toFixed(1)} s (log: ${path.relative(REPO, server.logFile)}); total ${((Date.now() - started) / 1000).toFixed(1)} s`);
		const base = server.baseUrl;
		const secret = process.env.GETCOURSE_SHARED_SECRET;
		console.log(`
  Editor:   ${base}/   (first visit: create the owner account)
  Webhook:  ${base}/webhook/getcourse   (GET or POST; GetCourse "call URL" or Tech API subscription)
  Database: ${pg.user}@${pg.host}:${pg.port}/${pg.database} schema ${pg.schema}${embedded ? ' (embedded, .data/pg)' : ''}

  Try it:
    curl -s '${base}/webhook/getcourse?user_id=45678901&user_email=ivan@example.ru&answer_id=700000123&answer_status=new&answer_lesson_id=2223334&answer_training_id=889900&event_date=2026-02-03%2012:05:11${secret ? '&secret=' + encodeURIComponent(secret) : ''}'
    curl -s -X POST '${base}/webhook/getcourse' -H 'content-type: application/json' \\
      -d '{"json":{"ts64":1770109511,"eventType":"getcourse/lessonAnswerCreated","answer":{"id":"700000124","status":"new","user_id":45678901,"lesson_id":2223334,"training_id":889900,"text":"Готово"}}}'

  Reference data (mentors, students, mapping, …) is edited in the database; see README.
  Ctrl-C stops n8n${embedded ? ' and the embedded PostgreSQL' : ''}.
`);
		// If n8n dies on its own, stop the rest too.
		server.waitForExit().then((info) => {
			if (stopping) return;
			say(`n8n exited unexpectedly (${JSON.stringify(info)}); log tail:\n${server.tail().split('\n').slice(-30).join('\n')}`);
			shutdown(1);
		});
	} catch (error) {
		console.error(`[start] ${error.message}`);
		await shutdown(1);
	}
}

main().catch((error) => {
	console.error(`[start] ${error.stack || error.message}`);
	process.exit(1);
});
