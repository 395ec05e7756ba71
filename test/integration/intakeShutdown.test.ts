/**
 * Counts of refused calls not written yet are not lost when n8n is stopped cleanly: on SIGTERM
 * the tally writes them while n8n shuts down (n8n gives a webhook node no shutdown hook). Runs
 * the built package (dist/) in a child process, as n8n does: `npm run build` first.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { closeAllPools } from '../../lib/db/pool';
import { createTestDb, type TestDb } from '../support/db';

const DIST = join(__dirname, '../../dist');
let t: TestDb;

beforeAll(async () => {
	if (!existsSync(join(DIST, 'lib/store/intakeLog.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
	t = await createTestDb('intake_shutdown');
});
afterAll(async () => {
	await t.drop();
	await closeAllPools();
});

/** A process that counts refused calls, says so, and then runs until it is told to stop. */
function child(ownHandler: boolean) {
	const script = `
		const { normaliseSettings } = require(${JSON.stringify(join(DIST, 'lib/config.js'))});
		const { getIntakeDb } = require(${JSON.stringify(join(DIST, 'lib/db/intakeDb.js'))});
		const { tally } = require(${JSON.stringify(join(DIST, 'lib/store/intakeLog.js'))});
		const db = getIntakeDb(normaliseSettings(JSON.parse(process.env.GCB_CREDENTIAL)));
		for (let i = 0; i < 3; i++) tally(db, 'getcourse-store-event', { kind: 'refused', status: 'unauthorized', source: process.env.GCB_SOURCE, reason: 'shared secret does not match', size: 10 });
		// like n8n: its own shutdown on SIGTERM, which takes a moment and then exits
		if (${ownHandler}) process.on('SIGTERM', () => setTimeout(() => process.exit(0), 300));
		setInterval(() => undefined, 1000);
		console.log('counted');
	`;
	const source = ownHandler ? 'with_host_handler' : 'alone';
	const p = spawn(process.execPath, ['-e', script], { env: { ...process.env, GCB_CREDENTIAL: JSON.stringify(t.credential), GCB_SOURCE: source }, stdio: ['ignore', 'pipe', 'inherit'] });
	const ready = new Promise<void>((resolve) => p.stdout.on('data', (d) => String(d).includes('counted') && resolve()));
	const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => p.on('exit', (code, signal) => resolve({ code, signal })));
	return { p, ready, exited, source };
}

it.each([
	['alone: the signal is raised again afterwards, so it still ends as it would have', false, { code: null, signal: 'SIGTERM' }],
	["beside the host's own handler (n8n's): it ends as the host decides", true, { code: 0, signal: null }],
])('on SIGTERM the counts are written (%s)', async (_label, ownHandler, exit) => {
	const c = child(ownHandler);
	await c.ready;
	c.p.kill('SIGTERM');
	expect(await c.exited).toEqual(exit);
	const rows = (await t.db.pool.query(`SELECT message, context FROM error_logs WHERE context->>'source' = $1`, [c.source])).rows;
	expect(rows).toEqual([{ message: expect.stringMatching(/^3 GetCourse call\(s\) refused \(unauthorized, from /), context: expect.objectContaining({ count: 3 }) }]);
});
