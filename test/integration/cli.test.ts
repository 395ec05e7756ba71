import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { closeAllPools } from '../../lib/db/pool';
import { testPostgresCredential } from '../../nodes/shared/database';
import { createTestDb, type TestDb } from '../support/db';

const run = promisify(execFile);
const CLI = join(__dirname, '../../dist/lib/cli/main.js');
let t: TestDb;

beforeAll(async () => {
	if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
	t = await createTestDb('cli', false);
});
afterAll(async () => {
	await t.drop();
	await closeAllPools();
});

function env(over: Record<string, string> = {}) {
	return {
		PATH: process.env.PATH ?? '',
		POSTGRES_HOST_EXTERNAL: t.settings.hostExternal,
		POSTGRES_PORT: String(t.settings.port),
		POSTGRES_USER: t.settings.user,
		POSTGRES_PASSWORD: t.settings.password,
		POSTGRES_DB: t.settings.database,
		POSTGRES_SCHEMA: t.settings.schema,
		SERVER_ENV: 'dev',
		...over,
	};
}

async function cli(args: string[], over: Record<string, string> = {}) {
	try {
		const r = await run(process.execPath, [CLI, ...args], { env: env(over), cwd: __dirname });
		return { code: 0, stdout: r.stdout, stderr: r.stderr };
	} catch (e) {
		const err = e as { code: number; stdout: string; stderr: string };
		return { code: err.code, stdout: err.stdout, stderr: err.stderr };
	}
}

describe('getcourse-bot command line', () => {
	it('init applies the schema (twice) and lists what it found', async () => {
		const first = await cli(['init']);
		expect(first.code).toBe(0);
		expect(first.stdout).toMatch(/Connected to PostgreSQL .* \(environment is dev, so the external host is used\)/);
		expect(first.stdout).toMatch(/Found an empty schema at version 0 of \d+/);
		expect(first.stdout).toMatch(/applied 001_baseline/);
		expect(first.stdout).toMatch(/tables \(12\): application_logs, chat_pace, error_logs, lessons, mapping, mentors, notifications, schema_migrations, send_pace, students, trainings, webhook_events/);
		expect(first.stdout).toMatch(/views \(5\)/);
		expect(first.stdout).toMatch(/triggers \(5\)/);
		const second = await cli(['init']);
		expect(second.code).toBe(0);
		expect(second.stdout).toMatch(/Nothing to migrate: the schema is up to date/);
		expect(second.stdout).not.toMatch(/applied /);
		const objects = (out: string) => out.split('\n').filter((l) => /^  (tables|views|indexes|triggers) /.test(l));
		expect(objects(second.stdout)).toEqual(objects(first.stdout));
	});

	it('stats and cleanup work on the schema', async () => {
		await t.db.pool.query(`INSERT INTO error_logs (source, message, created_at) VALUES ('x', 'old', NOW() - interval '100 days')`);
		const stats = await cli(['stats', '--json']);
		expect(stats.code).toBe(0);
		expect(JSON.parse(stats.stdout)).toMatchObject({ pendingWebhooks: 0, notifications: { pending: 0 } });
		const clean = await cli(['cleanup']);
		expect(clean.stdout).toMatch(/Deleted 0 application_logs rows older than 30 days and 1 error_logs rows older than 90 days/);
	});

	it.each([
		[{ POSTGRES_SCHEMA: 'bad-name' }, /Invalid schema name "bad-name"/],
		[{ POSTGRES_PORT: '1' }, /at 127\.0\.0\.1:1 \(environment is dev, so the external host is used\).*connection refused/],
		[{ POSTGRES_DB: 'no_such_db_gcb' }, /database "no_such_db_gcb" does not exist/],
		[{ SERVER_ENV: 'prod', POSTGRES_HOST_INTERNAL: 'no-such-host.invalid' }, /no-such-host\.invalid:\d+ \(environment is prod, so the internal host is used\).*host name not found/],
		[{ POSTGRES_USER: 'no_such_role_gcb', POSTGRES_PASSWORD: 'Pa55word-secret' }, /user "no_such_role_gcb"/],
	])('%j fails with one readable line and a non-zero status, never the password', async (over, re) => {
		const r = await cli(['init'], over as Record<string, string>);
		expect(r.code).toBe(1);
		expect(r.stderr).toMatch(re);
		expect(r.stderr.trim().split('\n')).toHaveLength(1);
		expect(r.stderr + r.stdout).not.toContain('Pa55word-secret');
	});

	it('an unknown command prints usage', async () => {
		const r = await cli(['frobnicate']);
		expect(r.code).toBe(2);
		expect(r.stderr).toMatch(/Unknown command "frobnicate"/);
	});
});

describe('credential test (n8n credential dialog)', () => {
	it('reports the host, why it was chosen, and fails (naming the fix) while the schema is missing or out of date', async () => {
		const test = (data: Record<string, unknown>) => testPostgresCredential.call({} as never, { id: '1', name: 'x', type: 'getCourseBotPostgres', data: data as never });
		const ok = await test(t.credential);
		expect(ok).toEqual({ status: 'OK', message: expect.stringMatching(/^Connected to PostgreSQL .* at 127\.0\.0\.1 \(environment is dev.*; schema "t_cli_\w+" is at the latest version/) });
		const noSchema = await test({ ...t.credential, schema: 'never_created_gcb' });
		expect(noSchema).toEqual({
			status: 'Error',
			message: expect.stringMatching(/schema "never_created_gcb" does not exist: run GetCourse Maintenance → Set Up Database in n8n, or "getcourse-bot init"/),
		});
		await t.db.pool.query(`DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)`);
		const outdated = await test(t.credential);
		expect(outdated.status).toBe('Error');
		expect(outdated.message).toMatch(/is at version \d+ of \d+: run GetCourse Maintenance → Set Up Database/);
		await t.db.pool.query(`CREATE SCHEMA IF NOT EXISTS gcb_empty_schema_test`);
		const empty = await test({ ...t.credential, schema: 'gcb_empty_schema_test' });
		expect(empty.message).toMatch(/has no GetCourse Bot tables yet/);
		await t.db.pool.query(`DROP SCHEMA gcb_empty_schema_test`);
		const bad = await testPostgresCredential.call({} as never, {
			id: '1', name: 'x', type: 'getCourseBotPostgres', data: { ...t.credential, port: 1, password: 'Pa55word-secret' } as never,
		});
		expect(bad.status).toBe('Error');
		expect(bad.message).toMatch(/connection refused/);
		expect(bad.message).not.toContain('Pa55word-secret');
	});
});
