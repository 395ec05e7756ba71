/**
 * `getcourse-bot stats` and pg_stat_statements (the seed's "Анализ производительности"), each
 * state for real: on this machine's PostgreSQL, where the library is not preloaded, the
 * extension absent and then created in a throwaway database (created, not loaded); on an
 * embedded PostgreSQL 18 started with shared_preload_libraries=pg_stat_statements, before and
 * after CREATE EXTENSION, with the slowest statements listed (text and --json) and a password
 * typed into a statement masked.
 *
 *   npm run build && npx jest test/integration/slowStatements.test.ts
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { maskPasswords } from '../../lib/db/slowStatements';
/* eslint-disable @typescript-eslint/no-require-imports */
const testPgConfig = require('../support/pgEnv') as () => { host: string; port: number; user: string; password: string; database: string };
const { startEmbeddedPostgres } = require('../../scripts/embedded-pg');
/* eslint-enable @typescript-eslint/no-require-imports */

const run = promisify(execFile);
const CLI = join(__dirname, '../../dist/lib/cli/main.js');
const cfg = testPgConfig();
const throwaway = `gcb_pgss_${randomBytes(4).toString('hex')}`;
let root: string | undefined;
let embedded: { port: number; password: string; stop(): Promise<unknown> } | undefined;

async function cli(args: string[], over: Record<string, string>) {
	const env = { PATH: process.env.PATH ?? '', POSTGRES_HOST_EXTERNAL: cfg.host, POSTGRES_PORT: String(cfg.port), POSTGRES_USER: cfg.user, POSTGRES_PASSWORD: cfg.password, POSTGRES_DB: throwaway, SERVER_ENV: 'dev', ...over };
	try {
		const r = await run(process.execPath, [CLI, ...args], { env });
		return { code: 0, out: r.stdout + r.stderr };
	} catch (e) {
		const err = e as { code: number; stdout: string; stderr: string };
		return { code: err.code, out: err.stdout + err.stderr };
	}
}

async function sql(conn: Record<string, unknown>, statements: string[]): Promise<void> {
	const c = new Client(conn);
	await c.connect();
	try {
		for (const s of statements) await c.query(s);
	} finally {
		await c.end();
	}
}

beforeAll(async () => {
	if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
	await sql(cfg, [`CREATE DATABASE ${throwaway}`]);
}, 60000);

afterAll(async () => {
	await embedded?.stop();
	if (root) rmSync(root, { recursive: true, force: true });
	await sql(cfg, [`DROP DATABASE IF EXISTS ${throwaway}`]);
}, 60000);

describe('stats: the slowest statements', () => {
	it('without the library loaded: says how to enable it, then (extension created) how to load it', async () => {
		const preload = await run('psql', ['-h', cfg.host, '-p', String(cfg.port), '-U', cfg.user, '-d', throwaway, '-Atc', 'SHOW shared_preload_libraries']);
		expect(preload.stdout).not.toMatch(/pg_stat_statements/); // this machine's server: not preloaded
		expect((await cli(['init'], { POSTGRES_SCHEMA: 'school' })).code).toBe(0);

		const off = await cli(['stats'], { POSTGRES_SCHEMA: 'school' });
		expect(off.code).toBe(0);
		expect(off.out).toMatch(/^Tables:/m);
		expect(off.out).toContain(
			"Slowest statements: pg_stat_statements is not enabled: add pg_stat_statements to shared_preload_libraries in postgresql.conf (shared_preload_libraries = 'pg_stat_statements'",
		);
		expect(off.out).toContain('then CREATE EXTENSION pg_stat_statements;');
		const json = JSON.parse((await cli(['stats', '--json'], { POSTGRES_SCHEMA: 'school' })).out);
		expect(json.slowStatements).toMatchObject({ available: false, reason: 'not_created' });

		await sql({ ...cfg, database: throwaway }, ['CREATE EXTENSION pg_stat_statements']);
		const created = await cli(['stats'], { POSTGRES_SCHEMA: 'school' });
		expect(created.code).toBe(0);
		expect(created.out).toContain('Slowest statements: pg_stat_statements is created in this database but not loaded: add pg_stat_statements to shared_preload_libraries');
	});

	it('with shared_preload_libraries = pg_stat_statements (embedded PostgreSQL 18): lists the slowest, --top N, --json', async () => {
		root = mkdtempSync(join(tmpdir(), 'gcb-pgss-'));
		chmodSync(root, 0o755); // as root, PostgreSQL runs as `postgres`
		const port = await new Promise<number>((resolve) => {
			const srv = createServer();
			srv.listen(0, '127.0.0.1', () => {
				const p = (srv.address() as { port: number }).port;
				srv.close(() => resolve(p));
			});
		});
		embedded = await startEmbeddedPostgres({ dataDir: join(root, 'pg'), port, postgresFlags: ['-c', 'shared_preload_libraries=pg_stat_statements'] });
		const over = { POSTGRES_PORT: String(port), POSTGRES_PASSWORD: embedded!.password, POSTGRES_DB: 'postgres', POSTGRES_SCHEMA: 'school' };
		const conn = { host: '127.0.0.1', port, user: 'postgres', password: embedded!.password, database: 'postgres' };
		expect((await cli(['init'], over)).code).toBe(0);

		const loaded = await cli(['stats'], over);
		expect(loaded.out).toContain('Slowest statements: pg_stat_statements is loaded but not created in this database: CREATE EXTENSION pg_stat_statements;');

		await sql(conn, [
			'CREATE EXTENSION pg_stat_statements',
			'SELECT pg_sleep(0.2)',
			"SELECT count(*) FROM school.webhook_events WHERE user_email = 'ivan@example.ru'",
			"CREATE ROLE gcb_reader LOGIN PASSWORD 'Secret-Pass-42'",
			'DROP ROLE gcb_reader',
		]);
		const text = await cli(['stats', '--top', '3'], over);
		expect(text.code).toBe(0);
		const section = text.out.slice(text.out.indexOf('Slowest statements (pg_stat_statements, this database, by mean time):'));
		const lines = section.split('\n').slice(1).filter((l) => /ms mean/.test(l));
		expect(lines).toHaveLength(3);
		expect(lines[0]).toMatch(/^\s+\d+\.\d\d ms mean\s+1 calls\s+\d+ ms total  SELECT pg_sleep\(\$1\)/);
		expect(Number(/([\d.]+) ms mean/.exec(lines[0])![1])).toBeGreaterThanOrEqual(200);

		const json = JSON.parse((await cli(['stats', '--json', '--top', '1000'], over)).out);
		expect(json.slowStatements).toMatchObject({ available: true });
		const statements = json.slowStatements.statements as Array<{ query: string; calls: number; meanMs: number }>;
		expect(statements[0]).toMatchObject({ query: 'SELECT pg_sleep($1)', calls: 1 });
		expect(statements.map((s) => s.meanMs)).toEqual([...statements.map((s) => s.meanMs)].sort((a, b) => b - a));
		expect(statements.some((s) => /webhook_events WHERE user_email = \$1/.test(s.query))).toBe(true);
		expect(JSON.stringify(json)).not.toContain('Secret-Pass-42');
		expect(statements.some((s) => s.query.includes("PASSWORD '***'"))).toBe(true);

		const bad = await cli(['stats', '--top', 'ten'], over);
		expect(bad).toMatchObject({ code: 2, out: expect.stringContaining('--top needs a whole number from 1 to 1000') });
	}, 120000);

	it('masks passwords typed into statements', () => {
		expect(maskPasswords("ALTER ROLE x PASSWORD 'a''b c'")).toBe("ALTER ROLE x PASSWORD '***'");
		expect(maskPasswords('CREATE USER y WITH password $$p$$')).toBe("CREATE USER y WITH password '***'");
		expect(maskPasswords('SELECT 1')).toBe('SELECT 1');
	});
});
