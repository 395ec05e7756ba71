import { existsSync } from 'node:fs';
import { closeAllPools } from '../../lib/db/pool';
import { testPostgresCredential } from '../../nodes/shared/database';
import { TABLES } from '../support/schemaTables';
import { CLI, runCli } from '../support/cli';
import { createTestDb, type TestDb } from '../support/db';

let t: TestDb;

beforeAll(async () => {
	if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
	t = await createTestDb('cli', false);
});
afterAll(async () => {
	await t.drop();
	await closeAllPools();
});


const cli = (args: string[], over: Record<string, string> = {}) => runCli(t.settings, args, { env: over });

describe('getcourse-bot command line', () => {
	it('init applies the schema (twice) and lists what it found', async () => {
		const first = await cli(['init']);
		expect(first.code).toBe(0);
		expect(first.stdout).toMatch(/Connected to PostgreSQL .* \(environment is dev, so the external host is used\)/);
		expect(first.stdout).toMatch(/Found an empty schema at version 0 of \d+/);
		expect(first.stdout).toMatch(/applied 001_baseline/);
		expect(first.stdout).toMatch(new RegExp(`tables \\(${TABLES.length}\\): ${[...TABLES].sort().join(', ')}\n`));
		expect(first.stdout).toMatch(/views \(5\)/);
		expect(first.stdout).toMatch(/triggers \(8\)/);
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

	it('an unknown command is exit status 2 with one line', async () => {
		const r = await cli(['frobnicate']);
		expect(r.code).toBe(2);
		expect(r.stderr.trim()).toMatch(/^getcourse-bot: unknown command "frobnicate" \(commands: init, stats, cleanup, retry, import, export, close, check, report, backup, restore; "getcourse-bot help" lists them\)$/);
	});

	it.each(['init', 'stats', 'cleanup', 'retry', 'import', 'export', 'close', 'check'])('%s refuses an unknown option with one line and exit status 2, touching nothing', async (command) => {
		const r = await cli([command, '--no-such-option']);
		expect(r.code).toBe(2);
		expect(r.stdout).toBe('');
		expect(r.stderr.trim().split('\n')).toHaveLength(1);
		expect(r.stderr).toMatch(new RegExp(`^getcourse-bot ${command}: unknown option --no-such-option \\(this command knows --`));
	});

	it.each([
		[['stats', 'extra'], /^getcourse-bot stats: unexpected argument "extra" \(this command takes none\)/],
		[['export', 'mentors', 'more'], /^getcourse-bot export: unexpected argument "more" \(this command takes <table>\)/],
		[['import', 'mentors'], /^getcourse-bot import: missing <file\.csv>/],
		[['cleanup', '--app-days', 'ten'], /^getcourse-bot cleanup: --app-days needs a whole number of days, got "ten"/],
		[['retry', '--event'], /^getcourse-bot retry: --event needs a webhook_events id/],
		[['retry', '--mentor', 'boris@school.ru'], /^getcourse-bot retry: --mentor goes with --failed/],
		[['retry', '--failed', '--mentor', 'not-an-email'], /^getcourse-bot retry: --mentor needs a mentor's email, got "not-an-email"/],
		[['retry', '--failed', '--event', '1'], /^getcourse-bot retry: --event goes alone/],
	])('%j is a usage error (exit status 2)', async (args, message) => {
		const r = await cli(args);
		expect(r.code).toBe(2);
		expect(r.stderr.trim()).toMatch(message);
		expect(r.stderr.trim().split('\n')).toHaveLength(1);
	});

	it('retry --faild (a typo) re-queues nothing; --help shows the command\'s usage', async () => {
		await t.db.pool.query(
			`INSERT INTO webhook_events (idempotency_key, event_date, user_id, answer_id, error_message, processed, gave_up_at) VALUES ('k-typo', NOW(), '1', '1', 'student not found', TRUE, NOW())`,
		);
		const typo = await cli(['retry', '--faild']);
		expect(typo.code).toBe(2);
		expect(typo.stderr).toMatch(/unknown option --faild \(this command knows --event --backlog --failed --mentor\)/);
		expect((await t.db.pool.query(`SELECT processed FROM webhook_events WHERE idempotency_key = 'k-typo'`)).rows).toEqual([{ processed: true }]);
		const help = await cli(['retry', '--help']);
		expect(help.code).toBe(0);
		expect(help.stdout).toMatch(/^Usage: getcourse-bot retry \[--event ID\]/);
		expect(help.stdout).toContain('retry --failed [--mentor EMAIL]');
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
