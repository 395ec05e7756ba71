'use strict';
/**
 * All benchmarks, each in a child process of its own (so its peak RSS is its own):
 *   npm run build && npm run bench        (or: node bench/run-all.js [store-event resolve-notify send-pending intake-n8n])
 * BENCH_RUNS (default 5) sets the repeats of store-event and resolve-notify, BENCH_SEND_RUNS
 * (default 1, ~70 s each) those of send-pending's private chats (its staff group part adds ~80 s
 * once); intake-n8n (real n8n, ~1.5 min) takes
 * BENCH_INTAKE_RUNS (3), BENCH_INTAKE_SECONDS (10), BENCH_INTAKE_CONCURRENCY (10).
 * init-under-load (1,000,000 events, several minutes) runs only when named.
 */
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');

const ALL = ['store-event', 'resolve-notify', 'send-pending', 'intake-n8n', 'webhook-to-telegram', 'reference-sync', 'review-clock'];
const ON_REQUEST = ['init-under-load'];
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : ALL;

if (!fs.existsSync(path.join(__dirname, '..', 'dist', 'lib', 'db', 'schema.js'))) {
	console.error('bench: dist/ is missing: run "npm run build" first');
	process.exit(2);
}
let failed = 0;
for (const name of wanted) {
	if (!ALL.includes(name) && !ON_REQUEST.includes(name)) {
		console.error(`bench: unknown scenario ${name} (${[...ALL, ...ON_REQUEST].join(', ')})`);
		process.exit(2);
	}
	const started = Date.now();
	const r = spawnSync(process.execPath, [path.join(__dirname, `${name}.js`)], { stdio: 'inherit', env: process.env });
	console.log(`\n(${name}: ${((Date.now() - started) / 1000).toFixed(0)} s, exit ${r.status})`);
	if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
