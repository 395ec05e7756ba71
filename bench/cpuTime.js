'use strict';
/**
 * CPU time of the processes a benchmark drives, from /proc (Linux): n8n's process, every
 * PostgreSQL process on the machine, and this process — to say where the two cores went
 * during a run (a way that answers fewer calls may simply have spent the CPU elsewhere).
 */
const fs = require('node:fs');

const TICK_MS = 10; // USER_HZ is 100 on Linux

function ticksOf(pid) {
	try {
		const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
		const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		return Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
	} catch {
		return 0; // gone
	}
}

function commOf(pid) {
	try {
		return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
	} catch {
		return '';
	}
}

/** CPU so far, in milliseconds: n8n's process, this process, and each PostgreSQL process by PID. */
function cpuSnapshot(n8nPid) {
	const postgres = new Map();
	for (const d of fs.readdirSync('/proc')) if (/^\d+$/.test(d) && commOf(d) === 'postgres') postgres.set(d, ticksOf(d) * TICK_MS);
	return { n8n: ticksOf(n8nPid) * TICK_MS, postgres, bench: ticksOf(process.pid) * TICK_MS };
}

/**
 * CPU milliseconds spent between two snapshots. PostgreSQL: the backends alive at the end (a
 * backend that exited meanwhile is not counted: its time is gone from /proc).
 */
function cpuSpent(a, b) {
	let postgres = 0;
	for (const [pid, ms] of b.postgres) postgres += ms - (a.postgres.get(pid) ?? 0);
	return { n8n: b.n8n - a.n8n, postgres, bench: b.bench - a.bench };
}

module.exports = { cpuSnapshot, cpuSpent };
