'use strict';
/**
 * Installing the runtime: Node 24 (npm package node-<platform>-<arch>@24) and n8n@N8N_VERSION
 * (with --ignore-scripts, Node 24 first on PATH) into the cache folder (see paths.js).
 *
 * Every install goes to a temporary folder first and is renamed into place, so an interrupted
 * install is never mistaken for a complete one; a lock folder keeps two runs from installing at once.
 *
 *   node scripts/n8n/install.js     installs both (CI warm-up) and prints where they are
 */
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const path = require('node:path');
const { N8N_VERSION, NODE_MAJOR, cacheDir, log } = require('./paths');
const { delay, isPidAlive, run } = require('./processes');

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
	const at = spec.lastIndexOf('@');
	const [name, version] = [spec.slice(0, at), spec.slice(at + 1)];
	await fsp.writeFile(
		path.join(tmpDir, 'package.json'),
		JSON.stringify({ name: path.basename(finalDir).replace(/[^a-z0-9-]/gi, '-').toLowerCase(), private: true, dependencies: { [name]: version } }, null, 2),
	);
	const logFile = path.join(parent, `${path.basename(finalDir)}-install.log`);
	const started = Date.now();
	log(`installing ${spec} into ${finalDir} (log: ${logFile}) ...`);
	try {
		const result = await run('npm', ['install', spec, '--save-exact', '--no-audit', '--no-fund', ...extraArgs], {
			cwd: tmpDir,
			env: env || process.env,
			label: `npm install ${spec}`,
		});
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

const node24Dir = () => path.join(cacheDir(), 'node24');
const node24PackageName = () => `node-${process.platform}-${process.arch}`;
const node24Binary = () => path.join(node24Dir(), 'node_modules', node24PackageName(), 'bin', 'node');

function nodeMajorOf(binary) {
	try {
		const out = execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 20000 });
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

const n8nDir = () => path.join(cacheDir(), `n8n-${N8N_VERSION}`);
const n8nBin = () => path.join(n8nDir(), 'node_modules', 'n8n', 'bin', 'n8n');

function n8nInstalledVersion() {
	try {
		return JSON.parse(fs.readFileSync(path.join(n8nDir(), 'node_modules', 'n8n', 'package.json'), 'utf8')).version;
	} catch {
		return null;
	}
}

/** PATH with the Node 24 binary's folder first (n8n spawns `node` for its task runner). */
function pathWithNode(node24) {
	return `${path.dirname(node24)}${path.delimiter}${process.env.PATH || ''}`;
}

/**
 * Node 24 and n8n, installed if needed. Returns { node, bin, dir, ensureMs }: the Node 24 binary,
 * n8n's bin script and the folder holding n8n's node_modules.
 */
async function ensureRuntime() {
	const started = Date.now();
	const node = await ensureNode24();
	const ready = () => n8nInstalledVersion() === N8N_VERSION && fs.existsSync(n8nBin());
	if (!ready()) {
		await withLock(`n8n-${N8N_VERSION}`, async () => {
			if (ready()) return;
			await npmInstallAtomic(n8nDir(), `n8n@${N8N_VERSION}`, {
				extraArgs: ['--ignore-scripts'],
				env: { ...process.env, PATH: pathWithNode(node) },
			});
		});
		if (n8nInstalledVersion() !== N8N_VERSION) throw new Error(`n8n ${N8N_VERSION} not found in ${n8nDir()} after install`);
	}
	return { node, bin: n8nBin(), dir: n8nDir(), ensureMs: Date.now() - started };
}

module.exports = { ensureRuntime, pathWithNode, n8nDir };

if (require.main === module) {
	const t = Date.now();
	ensureRuntime()
		.then((r) => console.log(JSON.stringify({ ...r, seconds: (Date.now() - t) / 1000 }, null, 2)))
		.catch((error) => {
			console.error(error.message);
			process.exit(1);
		});
}
