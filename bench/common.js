'use strict';
/**
 * Shared helpers of the benchmarks. They use the BUILT package (dist/, run `npm run build`
 * first) and the test PostgreSQL (TEST_PG_* or 127.0.0.1:5432, database `test`); each scenario
 * works in a fresh schema of its own and drops it at the end.
 */
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { Client } = require('pg');

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dist');

function requireDist(rel) {
	try {
		return require(path.join(DIST, rel));
	} catch (err) {
		if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(DIST)) {
			console.error(`bench: ${rel} is missing: run "npm run build" first`);
			process.exit(2);
		}
		throw err;
	}
}

const testPgConfig = require(path.join(ROOT, 'test/support/pgEnv.js'));
const { normaliseSettings } = requireDist('lib/config.js');
const { getDb, closeAllPools } = requireDist('lib/db/pool.js');
const { applySchema } = requireDist('lib/db/schema.js');
const { NodeHelpers } = require('n8n-workflow');

/** A fresh schema with the package's schema.sql applied; drop() removes it. */
async function freshSchema(prefix) {
	const cfg = testPgConfig();
	const schema = `bench_${prefix}_${randomBytes(3).toString('hex')}`;
	const credential = {
		hostExternal: cfg.host,
		hostInternal: '',
		environment: 'dev',
		port: cfg.port,
		user: cfg.user,
		password: cfg.password,
		database: cfg.database,
		schema,
		ssl: 'disable',
		connectionTimeout: 10,
	};
	const settings = normaliseSettings(credential);
	const db = getDb(settings);
	await applySchema(db);
	return {
		schema,
		credential,
		settings,
		db,
		q: (sql, v = []) => db.pool.query(sql, v),
		/** A plain pg client in the same schema (the "raw" side of a comparison). */
		async rawClient() {
			const c = new Client({ ...cfg, options: `-c search_path="${schema}"` });
			await c.connect();
			return c;
		},
		async drop() {
			await closeAllPools();
			const c = new Client({ ...cfg });
			await c.connect();
			await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
			await c.end();
		},
	};
}

const outboundHttp = () => require('@n8n/di').Container.get(require('@n8n/backend-network').OutboundHttp);

/** Drives a node's execute() the way n8n does (cf. test/support/nodeContext.ts). */
async function runNode(nodeType, { items = [{ json: {} }], parameters = {}, credentials, continueOnFail = false }) {
	const d = nodeType.description;
	const resolved = NodeHelpers.getNodeParameters(d.properties, parameters, true, false, null, d) || {};
	const node = { id: 'bench', name: d.defaults.name, type: `n8n-nodes-getcourse-bot.${d.name}`, typeVersion: 1, position: [0, 0], parameters: resolved };
	const ctx = {
		getInputData: () => items,
		getNode: () => node,
		continueOnFail: () => continueOnFail,
		getNodeParameter: (name, _i, fallback) => {
			const v = name.split('.').reduce((acc, k) => (acc == null ? undefined : acc[k]), resolved);
			return v === undefined ? fallback : v;
		},
		getCredentials: async (type) => {
			if (!credentials[type]) throw new Error(`no credentials "${type}"`);
			return credentials[type];
		},
		// n8n's own outbound HTTP (what helpers.httpRequest calls inside n8n)
		helpers: { httpRequest: (options) => outboundHttp().requests().request(options) },
	};
	return nodeType.execute.call(ctx);
}

function median(xs) {
	const s = [...xs].sort((a, b) => a - b);
	const m = Math.floor(s.length / 2);
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Peak resident set size of this process so far, in MB. */
function peakRssMb() {
	const kb = process.resourceUsage().maxRSS; // kilobytes on Linux
	return Math.max(kb / 1024, process.memoryUsage().rss / 1048576);
}

function fmt(n, digits = 0) {
	if (typeof n !== 'number') return String(n);
	return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Prints a Markdown table: header = array of names, rows = arrays of cells. */
function table(header, rows) {
	const widths = header.map((h, i) => Math.max(String(h).length, ...rows.map((r) => String(r[i]).length)));
	const line = (cells) => '| ' + cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
	console.log(line(header));
	console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
	for (const r of rows) console.log(line(r));
}

const runsFromEnv = (fallback) => Math.max(1, Number(process.env.BENCH_RUNS || fallback));

function header(title, what) {
	console.log(`\n## ${title}\n`);
	console.log(`${what}`);
	console.log(`node ${process.version}, ${require('node:os').cpus().length} cores, ${new Date().toISOString()}\n`);
}

module.exports = { requireDist, freshSchema, runNode, median, peakRssMb, fmt, table, runsFromEnv, header, ROOT };
