/**
 * SPEC §10 on real PostgreSQL through the built command line: adopting a seed v2.0.0 database
 * with a backlog and a reversed-range reference row. (Before: `init` would have messaged mentors
 * about every months-old waiting event, and one row with valid_from after valid_to made it fail
 * while installing the overlap guard.)
 */
import { existsSync } from 'node:fs';
import { closeAllPools } from '../../lib/db/pool';
import { CLI, runCli } from '../support/cli';
import { createTestDb, type TestDb } from '../support/db';
import { loadStartingPoint, type PgServer } from '../support/migrationFixtures';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const testPgConfig = require('../support/pgEnv');

let t: TestDb;
const q = async (sql: string, v: unknown[] = []) => (await t.db.pool.query(sql, v)).rows;

const cli = (args: string[]) => runCli(t.settings, args);

const waiting = () => q(`SELECT id::int, processed, skip_reason FROM webhook_events ORDER BY id`);

beforeAll(async () => {
	if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
	t = await createTestDb('backlog', false);
	const server: PgServer = { label: 'machine', ...testPgConfig(), stop: async () => undefined };
	await loadStartingPoint(server, t.settings.schema, 'seed-v2');
	// One mentor row typed by hand the wrong way round, and an event that arrived yesterday.
	await q(`INSERT INTO mentors (email, first_name, telegram_id, valid_from, valid_to) VALUES ('reversed@school.test', 'Перепутанный', 200009, '2025-10-01', '2025-09-01')`);
	await q(`INSERT INTO webhook_events (event_date, user_id, user_email, answer_id, answer_status, answer_text, created_at)
	         VALUES (NOW() - interval '1 day', '900002', 'kolya@example.ru', '800004', 'new', 'Вчерашнее задание', NOW() - interval '1 day')`);
});
afterAll(async () => {
	await t.drop();
	await closeAllPools();
});

describe('init on a seed v2.0.0 database with a backlog and a reversed-range row', () => {
	it('--dry-run shows the backlog count and changes nothing', async () => {
		const r = await cli(['init', '--dry-run']);
		expect(r.code).toBe(0);
		expect(r.stdout).toContain(
			'Backlog: 2 waiting event(s) older than 7 day(s) (received 2025-12-21 … 2025-12-21) would be stored as processed (skip_reason backlog), not sent to mentors; "getcourse-bot retry --backlog" would send them.',
		);
		expect(r.stdout).toContain('Dry run: nothing was changed.');
		expect(await q(`SELECT count(*)::int AS n FROM webhook_events WHERE processed = FALSE`)).toEqual([{ n: 3 }]);
	});

	it('init adopts the old waiting events as backlog, keeps the recent one waiting, reports the reversed row and keeps that guard off', async () => {
		const r = await cli(['init']);
		expect(r).toMatchObject({ code: 0, stderr: '' });
		expect(r.stdout).toMatch(/mentors \(lower\(email\)\): 1 row\(s\) end before they start \(valid_from after valid_to: id 4\), so the overlap guard stays off until they are fixed \(see "getcourse-bot check"\)/);
		expect(r.stdout).toMatch(/Overlap guards: 5 of 6 keys guarded/);
		expect(r.stdout).toContain(
			'Backlog: 2 waiting event(s) older than 7 day(s) (received 2025-12-21 … 2025-12-21) stored as processed (skip_reason backlog): mentors are not messaged about them; "getcourse-bot retry --backlog" sends them anyway.',
		);
		expect(await waiting()).toEqual([
			{ id: 1, processed: true, skip_reason: null },
			{ id: 2, processed: true, skip_reason: 'backlog' },
			{ id: 3, processed: true, skip_reason: 'backlog' },
			{ id: 4, processed: false, skip_reason: null },
		]);
		// a student typed by hand with a punycode domain does not match what GetCourse sends: check says so
		await q(`INSERT INTO students (user_id, email, first_name) VALUES ('900003', 'alisa@xn--80a1acny.xn--p1ai', 'Алиса'), ('900004', ' ira@example.ru', 'Ира')`);
		const check = await cli(['check']);
		expect(check.code).toBe(1);
		expect(check.stdout).toMatch(/Rows that end before they start .*\(1\):\n  mentors id 4: valid_from 2025-10-01T00:00:00\.000Z, valid_to 2025-09-01T00:00:00\.000Z/);
		expect(check.stdout).toMatch(/Emails with spaces around them or a punycode domain .*\(2\):\n  students\.email id 3: "alisa@xn--80a1acny\.xn--p1ai"\n  students\.email id 4: " ira@example\.ru"/);
		const asJson = JSON.parse((await cli(['check', '--json'])).stdout);
		expect(asJson.reversedRanges).toEqual([{ table: 'mentors', id: '4', valid_from: '2025-10-01T00:00:00.000Z', valid_to: '2025-09-01T00:00:00.000Z' }]);
		await q(`DELETE FROM students WHERE user_id IN ('900003', '900004')`);
		// a second init changes nothing more
		expect((await cli(['init'])).stdout).toContain('Backlog: no event has waited more than 7 day(s).');
	});

	it('retry --backlog (or --event ID) sends them anyway; --backlog-days sets the age', async () => {
		const one = await cli(['retry', '--event', '2']);
		expect(one).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Re-queued 1 event\(s\): 2\./) });
		const all = await cli(['retry', '--backlog']);
		expect(all.stdout).toMatch(/^Re-queued 1 backlog event\(s\): 3\./);
		expect(await waiting()).toEqual([
			{ id: 1, processed: true, skip_reason: null },
			{ id: 2, processed: false, skip_reason: null },
			{ id: 3, processed: false, skip_reason: null },
			{ id: 4, processed: false, skip_reason: null },
		]);
		await q(`UPDATE webhook_events SET created_at = NOW() - interval '40 days' WHERE id IN (2, 3)`);
		expect((await cli(['init', '--backlog-days', '60'])).stdout).toContain('Backlog: no event has waited more than 60 day(s).');
		expect((await cli(['init', '--backlog-days=30'])).stdout).toMatch(/Backlog: 2 waiting event\(s\) older than 30 day\(s\)/);
		const bad = await cli(['init', '--backlog-days', 'week']);
		expect(bad.code).toBe(2);
		expect(bad.stderr.trim()).toBe('getcourse-bot init: --backlog-days needs a whole number of days, got "week"; see "getcourse-bot init --help"');
	});
});
