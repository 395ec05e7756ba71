#!/usr/bin/env node
// `npm test`: builds, finds a PostgreSQL (127.0.0.1:5432 on the project's machines; an
// embedded one started here when none answers), then runs the unit + integration suites
// and the end-to-end suite (real n8n 2.x, installed into a cache on first use).
// Prints one closing line "tests: N passed, N failed". `--no-e2e` skips the n8n suite.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('pg');
const { reachable, startEmbeddedPostgres } = require('./embedded-pg');

const ROOT = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const withE2e = !args.includes('--no-e2e');

function pgFromEnv() {
	return {
		host: process.env.TEST_PG_HOST || '127.0.0.1',
		port: Number(process.env.TEST_PG_PORT || 5432),
		user: process.env.TEST_PG_USER || 'postgres',
		password: process.env.TEST_PG_PASSWORD || '',
		database: 'postgres',
	};
}

async function ensureTestDatabase(cfg) {
	const c = new Client(cfg);
	await c.connect();
	try {
		const r = await c.query(`SELECT 1 FROM pg_database WHERE datname = 'test'`);
		if (!r.rowCount) await c.query('CREATE DATABASE test');
	} finally {
		await c.end();
	}
}

function run(cmd, cmdArgs, env) {
	console.log(`\n$ ${cmd} ${cmdArgs.join(' ')}`);
	return spawnSync(cmd, cmdArgs, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } }).status ?? 1;
}

function jest(config, env, label) {
	const out = path.join(os.tmpdir(), `getcourse-bot-jest-${label}-${process.pid}.json`);
	const status = run(process.execPath, [require.resolve('jest/bin/jest'), '-c', config, '--json', `--outputFile=${out}`], env);
	let passed = 0;
	let failed = 0;
	try {
		const r = JSON.parse(fs.readFileSync(out, 'utf8'));
		passed = r.numPassedTests;
		failed = r.numFailedTests + (r.numRuntimeErrorTestSuites || 0);
		fs.rmSync(out);
	} catch {
		failed += 1; // jest could not report: count the run as a failure
	}
	if (status !== 0 && failed === 0) failed = 1;
	return { passed, failed };
}

async function main() {
	if (run('npm', ['run', 'build', '--silent']) !== 0) {
		console.error('build failed');
		return 1;
	}
	let cfg = pgFromEnv();
	let embedded = null;
	if (!(await reachable(cfg))) {
		console.log(`No PostgreSQL at ${cfg.host}:${cfg.port}: starting an embedded one for the tests`);
		const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'getcourse-bot-test-pg-'));
		fs.chmodSync(dataDir, 0o777); // as root, PostgreSQL runs as user postgres and must create its folder here
		embedded = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'data'), port: 54329 });
		cfg = { host: embedded.host, port: embedded.port, user: embedded.user, password: embedded.password, database: 'postgres' };
	}
	const env = {
		TEST_PG_HOST: cfg.host,
		TEST_PG_PORT: String(cfg.port),
		TEST_PG_USER: cfg.user,
		TEST_PG_PASSWORD: cfg.password,
		TEST_PG_DATABASE: 'test',
	};
	try {
		await ensureTestDatabase(cfg);
		const totals = { passed: 0, failed: 0 };
		const add = (r) => {
			totals.passed += r.passed;
			totals.failed += r.failed;
		};
		add(jest('jest.config.js', env, 'main'));
		if (withE2e) add(jest('jest.e2e.config.js', env, 'e2e'));
		console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed`);
		return totals.failed === 0 && totals.passed > 0 ? 0 : 1;
	} finally {
		if (embedded) await embedded.stop();
	}
}

main().then(
	(code) => process.exit(code),
	(err) => {
		console.error(err);
		process.exit(1);
	},
);
