'use strict';
/**
 * `npm start` (node scripts/start.js) as a user runs it: fresh data folder, embedded PostgreSQL,
 * real n8n; ready, the printed webhook URL carries the generated secret, the credentials are
 * imported under the names the templates use; then Ctrl-C as a terminal sends it (SIGINT to the
 * whole foreground process group) stops n8n first, then PostgreSQL, exits 0 and leaves nothing
 * running.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('pg');
const rt = require('../../scripts/n8n');

const REPO = rt.REPO_DIR;
const { CREDENTIALS } = require(path.join(REPO, 'dist/lib/credentialNames.js'));

let dataDir;
let child;
let output = '';
let exit;
let secret = '';
const pids = new Set();

/** Output for failure messages, without the secret. */
const shown = () => (secret ? output.split(secret).join('***') : output).split('\n').slice(-60).join('\n');

/** PIDs of every process below `root` (from /proc), the root included. */
function processTree(root) {
	const children = new Map();
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		let stat;
		try {
			stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
		} catch {
			continue;
		}
		const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
		if (!children.has(ppid)) children.set(ppid, []);
		children.get(ppid).push(Number(entry));
	}
	const out = [root];
	for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]) || []));
	return out;
}

/** Running (a zombie waiting for its reaper counts as gone). */
function alive(pid) {
	try {
		const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
	} catch {
		return false;
	}
}

async function waitFor(what, fn, timeoutMs) {
	const deadline = Date.now() + timeoutMs;
	while (!fn()) {
		if (exit) throw new Error(`npm start exited (${JSON.stringify(exit)}) while waiting for ${what}:\n${shown()}`);
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${shown()}`);
		await new Promise((r) => setTimeout(r, 250));
	}
}

beforeAll(async () => {
	if (!fs.existsSync(path.join(REPO, 'dist/lib/config.js'))) throw new Error('Build the package first (npm run build)');
	dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-start-'));
	fs.chmodSync(dataDir, 0o755); // as root, the embedded PostgreSQL runs as `postgres`
	const [n8nPort, brokerPort, pgPort] = [await rt.freePort(), await rt.freePort(), await rt.freePort()];
	const env = { ...process.env };
	for (const key of Object.keys(env)) if (/^(POSTGRES_|TEST_PG_|E2E_PG_|N8N_|SERVER_ENV$|TELEGRAM_|GETCOURSE_)/.test(key)) delete env[key];
	Object.assign(env, {
		// Empty values win over a developer's .env (it never overrides a set variable): embedded
		// PostgreSQL, no Telegram, a generated secret and key.
		POSTGRES_HOST_EXTERNAL: '',
		POSTGRES_HOST_INTERNAL: '',
		POSTGRES_HOST: '',
		TELEGRAM_BOT_TOKEN: '',
		GETCOURSE_SHARED_SECRET: '',
		N8N_ENCRYPTION_KEY: '',
		GETCOURSE_BOT_DATA_DIR: dataDir,
		GETCOURSE_BOT_PG_PORT: String(pgPort),
		N8N_PORT: String(n8nPort),
		N8N_RUNNERS_BROKER_PORT: String(brokerPort),
		GETCOURSE_BOT_QUIET: '1',
	});
	if (process.env.GETCOURSE_BOT_CACHE) env.GETCOURSE_BOT_CACHE = process.env.GETCOURSE_BOT_CACHE;
	// A process group of its own, as a terminal gives a foreground job.
	child = spawn(process.execPath, [path.join(REPO, 'scripts/start.js'), '--no-build'], { cwd: REPO, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
	child.stdout.on('data', (c) => (output += c));
	child.stderr.on('data', (c) => (output += c));
	child.on('exit', (code, signal) => (exit = { code, signal, at: Date.now() }));
	await waitFor('the ready banner', () => /Ctrl-C stops n8n/.test(output), 10 * 60 * 1000);
	secret = fs.readFileSync(path.join(dataDir, 'webhook-secret'), 'utf8').trim();
	for (const pid of processTree(child.pid)) pids.add(pid);
}, 11 * 60 * 1000);

afterAll(async () => {
	if (child && !exit) {
		try {
			process.kill(-child.pid, 'SIGTERM');
		} catch {}
		await waitFor('npm start to exit', () => exit, 60000).catch(() => undefined);
	}
	for (const pid of pids) {
		if (alive(pid)) {
			try {
				process.kill(pid, 'SIGKILL');
			} catch {}
		}
	}
	if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
}, 120000);

describe('npm start', () => {
	test('turns the webhook secret on: generated, kept with mode 0600, in the printed URL and curl lines', async () => {
		expect(secret.length).toBeGreaterThanOrEqual(32);
		expect(fs.statSync(path.join(dataDir, 'webhook-secret')).mode & 0o777).toBe(0o600);
		const query = `?secret=${encodeURIComponent(secret)}`;
		const webhookLine = output.split('\n').find((l) => l.includes('Webhook:'));
		expect(webhookLine && webhookLine.includes(`/webhook/getcourse${query}`)).toBe(true);
		const curls = output.split('\n').filter((l) => l.trim().startsWith('curl '));
		expect(curls).toHaveLength(2);
		for (const line of curls) expect(line.includes(`/webhook/getcourse${query}`)).toBe(true);
		// the printed GET example is a working call
		const url = /curl -s '([^']+)'/.exec(curls[0])[1];
		const res = await rt.httpRequest(url);
		expect({ status: res.status, body: res.json }).toMatchObject({ status: 200, body: { status: 'stored' } });
	});

	test('imports the credentials under the names the templates use, and the templates resolve them', async () => {
		const pgPort = Number(/on 127\.0\.0\.1:(\d+), PID/.exec(output)[1]);
		const c = new Client({ host: '127.0.0.1', port: pgPort, user: 'postgres', password: 'getcourse-bot-local', database: 'getcourse_bot_n8n' });
		await c.connect();
		try {
			const creds = (await c.query('SELECT name, type FROM credentials_entity ORDER BY name')).rows;
			expect(creds).toEqual(
				expect.arrayContaining([
					{ name: CREDENTIALS.postgres.name, type: CREDENTIALS.postgres.type },
					{ name: CREDENTIALS.webhookSecret.name, type: CREDENTIALS.webhookSecret.type },
				]),
			);
			const workflows = (await c.query('SELECT id, nodes FROM workflow_entity')).rows;
			expect(workflows.length).toBeGreaterThanOrEqual(3);
			for (const wf of workflows) for (const node of wf.nodes) for (const ref of Object.values(node.credentials || {})) {
				if (ref.name !== CREDENTIALS.telegram.name) expect({ workflow: wf.id, ref }).toEqual({ workflow: wf.id, ref: { id: expect.any(String), name: ref.name } });
			}
		} finally {
			await c.end();
		}
	});

	test('puts the sample reference files where n8n may read them, and "Reference sync" loads them as imported', async () => {
		const referenceDir = path.join(fs.realpathSync(dataDir), 'n8n-files', 'reference');
		for (const table of ['mentors', 'students', 'trainings', 'lessons', 'mapping']) {
			expect(fs.readFileSync(path.join(referenceDir, `${table}.csv`), 'utf8')).toBe(fs.readFileSync(path.join(REPO, 'workflows', 'samples', `${table}.csv`), 'utf8'));
		}
		expect(output).toContain(`Reference data: ${referenceDir}`);
		const pgPort = Number(/on 127\.0\.0\.1:(\d+), PID/.exec(output)[1]);
		const server = { host: '127.0.0.1', port: pgPort, user: 'postgres', password: 'getcourse-bot-local' };
		const stored = await rt.withPg(server, 'getcourse_bot_n8n', async (c) => (await c.query(`SELECT nodes, settings FROM workflow_entity WHERE id = 'gcbReferenceSync1'`)).rows[0]);
		const folder = stored.nodes.find((n) => n.name === 'Settings').parameters.assignments.assignments.find((a) => a.name === 'folder').value;
		expect(folder).toBe(referenceDir);

		// the imported workflow as it is, run by n8n's CLI beside the running server (same instance, same file access)
		const n8n = rt.createInstance({
			userFolder: path.join(dataDir, 'n8n'),
			port: Number(/127\.0\.0\.1:(\d+)\//.exec(output.split('\n').find((l) => l.includes('Editor:')))[1]),
			dbName: 'getcourse_bot_n8n',
			encryptionKey: fs.readFileSync(path.join(dataDir, 'n8n', 'encryption-key'), 'utf8').trim(),
			db: server,
			extra: { N8N_RESTRICT_FILE_ACCESS_TO: path.join(fs.realpathSync(dataDir), 'n8n-files') },
		});
		const run = await n8n.execute('gcbReferenceSync1');
		expect({ finished: run.output.finished, status: run.output.status }).toEqual({ finished: true, status: 'success' });
		const summaries = Object.entries(run.nodes)
			.filter(([name]) => name.startsWith('Sync '))
			.map(([name, items]) => [name, items.find((i) => i.action === 'summary')]);
		expect(summaries).toHaveLength(5);
		for (const [name, summary] of summaries) expect({ name, rejected: summary.rejected, created: summary.created > 0 }).toEqual({ name, rejected: 0, created: true });
		const counts = await rt.withPg(server, 'getcourse_bot', async (c) =>
			(await c.query(`SELECT (SELECT count(*)::int FROM mentors) AS mentors, (SELECT count(*)::int FROM students) AS students, (SELECT count(*)::int FROM mapping) AS mapping`)).rows[0],
		);
		expect(counts).toEqual({ mentors: 2, students: 2, mapping: 2 });
	});

	test('a new answer for the sample student is routed to the sample mentor, and its successful execution is saved', async () => {
		const pgPort = Number(/on 127\.0\.0\.1:(\d+), PID/.exec(output)[1]);
		const server = { host: '127.0.0.1', port: pgPort, user: 'postgres', password: 'getcourse-bot-local' };
		const executions = async () =>
			rt.withPg(server, 'getcourse_bot_n8n', async (c) => (await c.query(`SELECT status FROM execution_entity WHERE "workflowId" = 'gcbFullPipeline1' AND mode = 'webhook' AND status = 'success'`)).rows.length);
		const before = await executions();
		const postLine = output.split('\n').find((l) => l.trim().startsWith('curl -s -X POST'));
		const url = /curl -s -X POST '([^']+)'/.exec(postLine)[1];
		const body = /-d '([^']+)'/.exec(output.slice(output.indexOf(postLine)))[1];
		const res = await rt.httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
		expect({ status: res.status, body: res.json }).toMatchObject({ status: 200, body: { status: 'stored' } });
		let note;
		const deadline = Date.now() + 60000;
		while (Date.now() < deadline) {
			note = await rt.withPg(server, 'getcourse_bot', async (c) => (await c.query(`SELECT chat_id, status FROM notifications n JOIN webhook_events e ON e.id = n.webhook_event_id WHERE e.answer_id = '700000124'`)).rows[0]);
			if (note && (await executions()) > before) break;
			await new Promise((r) => setTimeout(r, 250));
		}
		// Send Pending is deactivated without TELEGRAM_BOT_TOKEN: the notification waits for the sample mentor's chat
		expect(note).toEqual({ chat_id: '100000001', status: 'pending' });
		expect(await executions()).toBeGreaterThan(before);
	});

	test('the "Вызвать URL" line of docs/nodes.md, filled in as GetCourse does, is stored and routed', async () => {
		const pgPort = Number(/on 127\.0\.0\.1:(\d+), PID/.exec(output)[1]);
		const server = { host: '127.0.0.1', port: pgPort, user: 'postgres', password: 'getcourse-bot-local' };
		const documented = fs.readFileSync(path.join(REPO, 'docs', 'nodes.md'), 'utf8').split('\n').find((l) => l.startsWith('https://n8n.example.com/webhook/getcourse?secret=SECRET&'));
		const values = {
			'object.user.id': '45678902',
			'object.user.email': 'olga@example.ru',
			'object.id': '700000125',
			'object.status': 'new',
			'object.training_id': '889900',
			'object.lesson_id': '2223334',
			'object.created_at': '2026-02-04 10:00:00',
		};
		const base = /Editor:\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(output)[1];
		const url = documented
			.replace('https://n8n.example.com', base)
			.replace('SECRET', encodeURIComponent(secret))
			.replace(/\{(object\.[a-z_.]+)\}/g, (_, key) => encodeURIComponent(values[key]));
		expect(url).not.toMatch(/[{}]/);
		const res = await rt.httpRequest(url);
		expect({ status: res.status, body: res.json }).toMatchObject({ status: 200, body: { status: 'stored' } });
		let note;
		const deadline = Date.now() + 60000;
		while (!note && Date.now() < deadline) {
			note = await rt.withPg(server, 'getcourse_bot', async (c) => (await c.query(`SELECT n.chat_id, e.user_email, e.answer_text FROM notifications n JOIN webhook_events e ON e.id = n.webhook_event_id WHERE e.answer_id = '700000125'`)).rows[0]);
			if (!note) await new Promise((r) => setTimeout(r, 250));
		}
		// the documented call sends no answer text (GetCourse's process has no placeholder the docs rely on for it)
		expect(note).toEqual({ chat_id: '100000002', user_email: 'olga@example.ru', answer_text: null });
	});

	test('Ctrl-C stops n8n first, then PostgreSQL: exit 0, no dropped connections, nothing left running', async () => {
		const n8nPid = Number(/n8n PID (\d+) ready/.exec(output)[1]);
		const pgPid = Number(/embedded PostgreSQL .* PID (\d+), up in/.exec(output)[1]);
		const postmaster = Number(fs.readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
		for (const pid of [n8nPid, pgPid, postmaster]) expect(pids.has(pid)).toBe(true);
		expect(pids.size).toBeGreaterThanOrEqual(5); // start.js, n8n, its task runner, embedded-pg, postgres (+ its workers)

		const sent = Date.now();
		process.kill(-child.pid, 'SIGINT'); // what the terminal does on Ctrl-C
		await waitFor('npm start to exit', () => exit, 60000);
		const stopMs = exit.at - sent;
		console.log(`npm start stopped ${stopMs} ms after SIGINT; processes seen: ${pids.size}`);
		expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });

		const n8nStopped = output.search(/\[start\] n8n \(PID \d+\) stopped/);
		const pgStopped = output.search(/\[start\] embedded PostgreSQL \(PID \d+\) stopped/);
		expect(n8nStopped).toBeGreaterThan(0);
		expect(pgStopped).toBeGreaterThan(n8nStopped);
		expect(output).not.toMatch(/killed after the timeout/);

		const n8nLog = fs.readFileSync(path.join(dataDir, 'n8n', 'n8n.log'), 'utf8');
		expect(n8nLog).not.toMatch(/Connection terminated|terminating connection|connection (was )?lost|ECONNREFUSED|ECONNRESET|the database system is shutting down/i);

		// nothing left: every process seen under npm start is gone, PostgreSQL shut down cleanly
		for (let i = 0; i < 40 && [...pids].some(alive); i++) await new Promise((r) => setTimeout(r, 250));
		expect([...pids].filter(alive)).toEqual([]);
		expect(fs.existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
	});
});
