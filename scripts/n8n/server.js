'use strict';
/**
 * `n8n start` as a child process: output to a log file (and a tail in memory), readiness (healthy,
 * REST API up, then every probed webhook registered), and stop by PID (SIGTERM, wait; SIGKILL after a timeout).
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { log } = require('./paths');
const { delay, trackPid, untrackPid } = require('./processes');
const { httpRequest } = require('./http');

/**
 * @param {object} o
 * @param {{node: string, bin: string}} o.runtime  Node 24 and n8n's bin script
 * @param {string} o.cwd, o.logFile, o.baseUrl
 * @param {object} o.env
 * @param {Array<{path: string, method?: string}>} [o.probes]  a method the webhook does NOT listen
 *   to; n8n answers 404 "…Did you mean to make a POST request?" once the webhook is registered (no
 *   execution, no side effects) and "…is not registered" before.
 * @param {boolean} [o.detached]  a process group of its own: a terminal's Ctrl-C does not reach n8n,
 *   the caller stops it (and n8n stops by itself when the caller dies, see parentWatch.js).
 * @param {function} [o.onSpawn]  gets the handle at once, before readiness (to stop a starting n8n)
 */
async function startServer({ runtime, cwd, env, baseUrl, logFile, probes = [], timeoutMs = 180000, detached = false, onSpawn }) {
	const started = Date.now();
	const out = fs.createWriteStream(logFile, { flags: 'a' });
	const child = spawn(runtime.node, ['-r', path.join(__dirname, 'parentWatch.js'), runtime.bin, 'start'], {
		cwd,
		env: { ...env, GETCOURSE_BOT_PARENT_PID: String(process.pid) },
		stdio: ['ignore', 'pipe', 'pipe'],
		detached,
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
	// The log is complete once the output pipes are drained (after 'exit' there may be more).
	const logClosed = new Promise((resolve) => child.on('close', () => out.end(resolve)));
	trackPid(pid);
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
			let drainTimer;
			await Promise.race([logClosed, new Promise((resolve) => (drainTimer = setTimeout(resolve, 5000)))]);
			clearTimeout(drainTimer);
			return exitInfo;
		},
	};
	if (onSpawn) onSpawn(handle);
	const deadline = Date.now() + timeoutMs;
	const fail = async (message) => {
		await handle.stop();
		throw new Error(`${message}\n--- n8n log tail (${logFile}) ---\n${tail.slice(-60).join('\n')}`);
	};
	for (;;) {
		if (exited) await fail(`n8n exited during start-up (${JSON.stringify(exitInfo)})`);
		if (Date.now() > deadline) await fail(`n8n not healthy within ${timeoutMs} ms`);
		const res = await httpRequest(`${baseUrl}/healthz`).catch(() => null);
		if (res && res.status === 200) break;
		await delay(200);
	}
	handle.healthyMs = Date.now() - started;
	// /healthz answers before the REST API is mounted (until then the editor's index.html answers
	// every path): wait for the settings endpoint (no login needed) to answer JSON.
	for (;;) {
		if (exited) await fail(`n8n exited during start-up (${JSON.stringify(exitInfo)})`);
		if (Date.now() > deadline) await fail(`n8n REST API not up within ${timeoutMs} ms`);
		const res = await httpRequest(`${baseUrl}/rest/settings`).catch(() => null);
		if (res && res.status === 200 && res.json) break;
		await delay(200);
	}
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

module.exports = { startServer };
