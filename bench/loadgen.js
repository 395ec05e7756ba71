'use strict';
/**
 * A small closed-loop HTTP load generator for the benchmarks (loopback only): `concurrency`
 * workers, each with its own keep-alive connection, send one request after another for
 * `durationMs`; every request's latency (request start → last byte of the answer) is recorded.
 *
 *   const { loadTest } = require('./loadgen');
 *   const r = await loadTest({ url, concurrency: 10, durationMs: 10000, request: (n) => ({ method, path, headers, body }) });
 *   // r: { requests, ok, errors, statuses, seconds, rps, p50, p90, p99, max, mean } (latencies in ms)
 *
 * `request(n)` builds the n-th request (n counts from 0 across all workers), so every request
 * can carry distinct data. Answers other than 2xx count as errors (and are not in `ok`), as do
 * socket errors; their latencies are still recorded.
 */
const http = require('node:http');

function percentile(sorted, p) {
	if (!sorted.length) return NaN;
	const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
	return sorted[idx];
}

function once(agent, base, spec) {
	return new Promise((resolve) => {
		const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
		const headers = { ...(spec.headers || {}) };
		if (body) headers['content-length'] = body.length;
		const started = process.hrtime.bigint();
		const req = http.request(
			{ hostname: base.hostname, port: base.port, path: spec.path, method: spec.method || 'GET', headers, agent },
			(res) => {
				res.on('data', () => undefined);
				res.on('end', () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
				res.on('error', (error) => resolve({ status: 0, error, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
			},
		);
		req.setTimeout(60000, () => req.destroy(new Error('timeout after 60 s')));
		req.on('error', (error) => resolve({ status: 0, error, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
		if (body) req.write(body);
		req.end();
	});
}

async function loadTest({ url, concurrency = 10, durationMs = 10000, request }) {
	const base = new URL(url);
	if (!['127.0.0.1', 'localhost', '[::1]'].includes(base.hostname)) throw new Error(`loadgen: refusing non-loopback URL ${url}`);
	const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
	const latencies = [];
	const statuses = {};
	let n = 0;
	let ok = 0;
	let errors = 0;
	let firstError;
	const started = process.hrtime.bigint();
	const endAt = Date.now() + durationMs;
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (Date.now() < endAt) {
				const spec = request(n++);
				const r = await once(agent, base, spec);
				latencies.push(r.ms);
				statuses[r.status] = (statuses[r.status] || 0) + 1;
				if (r.status >= 200 && r.status < 300) ok++;
				else {
					errors++;
					if (!firstError) firstError = r.error ? r.error.message : `HTTP ${r.status}`;
				}
			}
		}),
	);
	const seconds = Number(process.hrtime.bigint() - started) / 1e9;
	agent.destroy();
	const sorted = latencies.sort((a, b) => a - b);
	return {
		requests: latencies.length,
		ok,
		errors,
		firstError,
		statuses,
		seconds,
		rps: ok / seconds,
		p50: percentile(sorted, 50),
		p90: percentile(sorted, 90),
		p99: percentile(sorted, 99),
		max: sorted[sorted.length - 1],
		mean: sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1),
	};
}

module.exports = { loadTest, percentile };
