import { Client } from 'pg';
import type { Db } from '../../../lib/db/pool';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const testPgConfig = require('../../support/pgEnv') as () => { host: string; port: number; user: string; password: string; database: string };

/** Seeded PRNG (mulberry32): the same seed gives the same hostile inputs on every machine. */
export function prng(seed: number) {
	let a = seed >>> 0;
	const next = () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
	const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
	const shuffle = <T>(xs: T[]): T[] => {
		const out = [...xs];
		for (let i = out.length - 1; i > 0; i--) {
			const j = Math.floor(next() * (i + 1));
			[out[i], out[j]] = [out[j], out[i]];
		}
		return out;
	};
	return { next, int, pick, shuffle, chance: (p: number) => next() < p };
}

/**
 * The backend pids of one pool's connections. Every pool of the package shares the
 * application_name, and jest runs test files in parallel, so a kill must be limited to this
 * file's own connections: they are tracked as the pool opens them.
 */
export function trackBackends(db: Db): { pids: () => number[] } {
	const pids = new Set<number>();
	const pool = db.pool as unknown as { _clients?: Array<{ processID?: number }>; on: (e: string, f: (c: { processID?: number }) => void) => void };
	for (const c of pool._clients ?? []) if (c.processID) pids.add(c.processID);
	pool.on('connect', (c) => {
		if (c.processID) pids.add(c.processID);
	});
	return { pids: () => [...pids] };
}

export async function adminClient(): Promise<Client> {
	const c = new Client({ ...testPgConfig(), application_name: 'reliability-admin' });
	await c.connect();
	return c;
}

/** Terminates this file's pool connections (the brief's query, limited to the tracked pids). */
export async function killBackends(admin: Client, pids: number[], onlyActive = false): Promise<number> {
	const r = await admin.query(
		`SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
		  WHERE application_name = 'n8n-nodes-getcourse-bot' AND pid <> pg_backend_pid() AND datname = current_database()
		    AND pid = ANY($1::int[]) ${onlyActive ? "AND state = 'active'" : ''}`,
		[pids],
	);
	return r.rows.filter((x) => x.killed).length;
}

/** Waits until one of the pids runs a statement matching the pattern; resolves to true if seen. */
export async function waitForActive(admin: Client, pids: () => number[], pattern: string, timeoutMs = 10_000): Promise<boolean> {
	const until = Date.now() + timeoutMs;
	while (Date.now() < until) {
		const r = await admin.query(
			`SELECT pid FROM pg_stat_activity WHERE pid = ANY($1::int[]) AND state = 'active' AND query LIKE $2`,
			[pids(), `%${pattern}%`],
		);
		if (r.rows.length) return true;
		await new Promise((res) => setTimeout(res, 5));
	}
	return false;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
