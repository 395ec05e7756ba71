'use strict';
/**
 * Child processes: run a command to completion, and remember long-running ones by PID so that
 * anything still running when this process exits is sent SIGTERM.
 */
const { spawn } = require('node:child_process');
const path = require('node:path');

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

const trackedPids = new Set();
let exitHookInstalled = false;

/** Sends SIGTERM to the PID when this process exits, unless untracked first. */
function trackPid(pid) {
	trackedPids.add(pid);
	if (exitHookInstalled) return;
	exitHookInstalled = true;
	process.on('exit', () => {
		for (const p of trackedPids) {
			try {
				process.kill(p, 'SIGTERM');
			} catch {}
		}
	});
}

function untrackPid(pid) {
	trackedPids.delete(pid);
}

module.exports = { delay, isPidAlive, run, trackPid, untrackPid };
