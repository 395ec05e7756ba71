/**
 * `getcourse-bot backup` / `restore` with the real pg_dump and pg_restore of this machine: a
 * populated schema (reference versions, answers sent, waiting and unresolved, logs) is dumped,
 * restored into a new empty database, every row of every table is found there, and the pipeline
 * works on the copy (redelivery still a duplicate, Resolve → Create → Send to the loopback Bot API
 * peer, the waiting notification sent once, the one sent before the backup not again). Also: the
 * refusals (a schema that already has tables, another schema's backup, an archive of a newer
 * pg_dump, a file that is no archive) and, on an embedded PostgreSQL 18, pg_dump of an older
 * major version refused with the fix — the password never printed.
 *
 *   npm run build && npx jest test/integration/backup.test.ts
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { closeAllPools } from '../../lib/db/pool';
import { GetCourseCreateNotification } from '../../nodes/GetCourseCreateNotification/GetCourseCreateNotification.node';
import { GetCourseResolveMentor } from '../../nodes/GetCourseResolveMentor/GetCourseResolveMentor.node';
import { GetCourseSendPending } from '../../nodes/GetCourseSendPending/GetCourseSendPending.node';
import { GetCourseStoreEvent } from '../../nodes/GetCourseStoreEvent/GetCourseStoreEvent.node';
import { TABLES } from '../support/schemaTables';
import { cliEnv } from '../support/cli';
import { createTestDb, seedReference, type TestDb } from '../support/db';
import { processCall } from '../support/fixtures';
import { runNode } from '../support/nodeContext';
/* eslint-disable @typescript-eslint/no-require-imports */
const testPgConfig = require('../support/pgEnv') as () => { host: string; port: number; user: string; password: string; database: string };
const { createTelegramPeer } = require('../support/telegram-peer');
const { startEmbeddedPostgres } = require('../../scripts/embedded-pg');
/* eslint-enable @typescript-eslint/no-require-imports */

const run = promisify(execFile);
const CLI = join(__dirname, '../../dist/lib/cli/main.js');
const TOKEN = '123456789:AAEfakeTokenForBackupTests_xyz';
const peer = createTelegramPeer({ token: TOKEN });
const cfg = testPgConfig();
const restoredDb = `gcb_restore_${randomBytes(4).toString('hex')}`;

let source: TestDb;
let dir: string;
let baseUrl: string;
let embedded: { port: number; password: string; stop(): Promise<unknown> } | undefined;
let embeddedRoot: string | undefined;

async function admin<T>(fn: (c: Client) => Promise<T>, database = cfg.database): Promise<T> {
	const c = new Client({ ...cfg, database });
	await c.connect();
	try {
		return await fn(c);
	} finally {
		await c.end();
	}
}

const env = (over: Record<string, string> = {}): NodeJS.ProcessEnv => cliEnv(source.settings, over);

async function cli(args: string[], over: Record<string, string> = {}) {
	try {
		const r = await run(process.execPath, [CLI, ...args], { env: env(over), cwd: dir });
		return { code: 0, out: r.stdout + r.stderr };
	} catch (e) {
		const err = e as { code: number; stdout: string; stderr: string };
		return { code: err.code, out: err.stdout + err.stderr };
	}
}

const pipeline = (credential: Record<string, unknown>) => {
	const creds = { getCourseBotPostgres: credential as never };
	return {
		store: (items: ReturnType<typeof processCall>[]) => runNode(new GetCourseStoreEvent(), { items, credentials: creds }),
		resolve: () => runNode(new GetCourseResolveMentor(), { credentials: creds }),
		create: (items: { json: unknown }[]) => runNode(new GetCourseCreateNotification(), { items: items as never, credentials: creds }),
		send: () =>
			runNode(new GetCourseSendPending(), {
				parameters: { maxRunSeconds: 20, options: { retryBaseMs: 50 } },
				credentials: { ...creds, getCourseBotTelegramApi: { accessToken: TOKEN, baseUrl } },
			}),
	};
};

/** Every row of every table of the schema, as JSON, in a stable order. */
async function snapshot(database: string, schema: string): Promise<Record<string, unknown[]>> {
	return admin(async (c) => {
		const tables = (await c.query<{ t: string }>('SELECT tablename AS t FROM pg_tables WHERE schemaname = $1 ORDER BY 1', [schema])).rows.map((r) => r.t);
		const out: Record<string, unknown[]> = {};
		for (const t of tables) {
			out[t] = (await c.query<{ rows: unknown[] }>(`SELECT coalesce(json_agg(x ORDER BY x::text), '[]') AS rows FROM "${schema}"."${t}" x`)).rows[0].rows;
		}
		return out;
	}, database);
}

beforeAll(async () => {
	if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
	dir = mkdtempSync(join(tmpdir(), 'gcb-backup-'));
	baseUrl = await peer.start();
	source = await createTestDb('backup');
	await seedReference(source.db, {
		mentors: [
			{ email: 'maria@school.ru', telegram_id: 1001, first_name: 'Мария' },
			// a closed version and its successor: history must survive the round trip
			{ email: 'petr@school.ru', telegram_id: 1099, first_name: 'Пётр', valid_to: '2026-01-01T00:00:00Z' },
			{ email: 'petr@school.ru', telegram_id: 1002, first_name: 'Пётр', valid_from: '2026-01-01T00:00:00Z' },
		],
		students: [
			{ user_id: '45678901', email: 'ivan@example.ru', first_name: 'Иван' },
			{ user_id: '555', email: 'olga@example.ru', first_name: 'Ольга' },
		],
		trainings: [{ training_id: '889900', name: 'Поток весна' }],
		lessons: [{ lesson_id: '2223334', training_id: '889900', name: '2.3 Практика' }],
		mapping: [
			{ student_email: 'ivan@example.ru', mentor_email: 'maria@school.ru', training_id: '889900' },
			{ student_email: 'olga@example.ru', mentor_email: 'petr@school.ru', training_id: null },
		],
	});
	const p = pipeline(source.credential);
	// answer 1: sent before the backup
	await p.store([processCall({ answer_id: '1', event_date: '2026-02-01 10:00:00' })]);
	await p.create((await p.resolve())[0]);
	await p.send();
	// answer 2: queued, not sent yet; answer 3: nobody knows this student (unresolved)
	await p.store([
		processCall({ answer_id: '2', user_id: '555', user_email: 'olga@example.ru', event_date: '2026-02-02 10:00:00' }),
		processCall({ answer_id: '3', user_id: '777', user_email: 'stranger@example.ru', event_date: '2026-02-02 11:00:00' }),
	]);
	await p.create((await p.resolve())[0]);
	expect(peer.messages.map((m: { chat_id: string }) => String(m.chat_id))).toEqual(['1001']);
	peer.reset();
}, 120000);

afterAll(async () => {
	await peer.stop();
	await closeAllPools();
	await embedded?.stop();
	if (embeddedRoot) rmSync(embeddedRoot, { recursive: true, force: true });
	await source?.drop();
	await admin((c) => c.query(`DROP DATABASE IF EXISTS ${restoredDb}`));
	if (dir) rmSync(dir, { recursive: true, force: true });
}, 60000);

describe('backup and restore', () => {
	it('dumps the schema, restores it into an empty database with every row, and the pipeline goes on there', async () => {
		const before = await snapshot(cfg.database, source.settings.schema);
		expect(before.webhook_events).toHaveLength(3);
		expect(before.notifications).toHaveLength(2);
		expect(before.mentors).toHaveLength(3);

		const b = await cli(['backup', '--file', 'school.dump']);
		expect(b).toMatchObject({ code: 0 });
		expect(b.out).toMatch(new RegExp(`Backed up schema "${source.settings.schema}" of database "${cfg.database}" .* ${TABLES.length} tables, .* → school\\.dump`));
		expect(existsSync(join(dir, 'school.dump.partial'))).toBe(false);

		await admin((c) => c.query(`CREATE DATABASE ${restoredDb}`));
		const r = await cli(['restore', 'school.dump'], { POSTGRES_DB: restoredDb });
		expect(r.out).toMatch(/rows: .*mentors 3, notifications 2, .*webhook_events 3/);
		expect(r.out).toMatch(/schema version \d+: up to date/);
		expect(r.code).toBe(0);

		// every row of every table, column for column
		const after = await snapshot(restoredDb, source.settings.schema);
		expect(Object.keys(after)).toEqual(Object.keys(before));
		expect(after).toEqual(before);
		// the overlap guards and the indexes came along
		const objects = (database: string) =>
			admin(
				async (c) =>
					(
						await c.query(
							`SELECT (SELECT count(*) FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace WHERE n.nspname = $1 AND k.contype = 'x') AS guards,
							        (SELECT count(*) FROM pg_indexes WHERE schemaname = $1) AS indexes,
							        (SELECT count(*) FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid JOIN pg_namespace n ON n.oid = r.relnamespace WHERE n.nspname = $1 AND NOT t.tgisinternal) AS triggers`,
							[source.settings.schema],
						)
					).rows[0],
				database,
			);
		expect(await objects(restoredDb)).toEqual(await objects(cfg.database));

		// the pipeline on the restored copy
		const p = pipeline({ ...source.credential, database: restoredDb });
		const [again] = await p.store([processCall({ answer_id: '1', event_date: '2026-02-01 10:00:00' })]);
		expect(again[0].json.status).toBe('duplicate');
		await p.store([processCall({ answer_id: '4', event_date: '2026-02-03 09:00:00' })]);
		const [resolved, unresolved] = await p.resolve();
		expect(resolved.map((x) => (x.json.answer as { id: string }).id)).toEqual(['4']);
		expect(unresolved).toHaveLength(0); // answer 3 waits for its retry time, as before the backup
		const [created] = await p.create(resolved);
		expect(created.map((c) => c.json.status)).toEqual(['pending']);
		await p.send();
		const sent = peer.messages.map((m: { chat_id: string; text: string }) => ({ chat: String(m.chat_id), text: m.text }));
		// the notification waiting in the backup (Olga → Пётр's current chat) and the new one; answer 1 not again
		expect(sent.map((m: { chat: string }) => m.chat).sort()).toEqual(['1001', '1002']);
		const ids = await admin(async (c) => (await c.query(`SELECT id, status FROM "${source.settings.schema}".notifications ORDER BY id`)).rows, restoredDb);
		expect(ids.map((x) => x.status)).toEqual(['sent', 'sent', 'sent']);
		expect(Number(ids[2].id)).toBeGreaterThan(Number(ids[1].id)); // sequences restored: no id reused
	});

	it('refuses a schema that already has tables unless --clean, and another schema’s backup', async () => {
		if (!existsSync(join(dir, 'school.dump'))) await cli(['backup', '--file', 'school.dump']);
		await admin((c) => c.query(`CREATE DATABASE ${restoredDb}`)).catch(() => undefined);
		await cli(['restore', 'school.dump'], { POSTGRES_DB: restoredDb });
		await admin((c) => c.query(`INSERT INTO "${source.settings.schema}".application_logs (level, source, message) VALUES ('info', 'after', 'kept?')`), restoredDb);

		const refused = await cli(['restore', 'school.dump'], { POSTGRES_DB: restoredDb });
		expect(refused.code).toBe(1);
		expect(refused.out).toMatch(/already holds \d+ table\(s\): restore into an empty database .* or add --clean/);
		const count = () => admin(async (c) => Number((await c.query(`SELECT count(*) AS n FROM "${source.settings.schema}".application_logs WHERE source = 'after'`)).rows[0].n), restoredDb);
		expect(await count()).toBe(1);

		const clean = await cli(['restore', 'school.dump', '--clean'], { POSTGRES_DB: restoredDb });
		expect(clean.code).toBe(0);
		expect(await count()).toBe(0); // replaced by the backup's rows

		const other = await cli(['restore', 'school.dump'], { POSTGRES_DB: restoredDb, POSTGRES_SCHEMA: 'another_schema' });
		expect(other.code).toBe(1);
		expect(other.out).toContain(`holds schema "${source.settings.schema}", not "another_schema": set POSTGRES_SCHEMA=${source.settings.schema}`);

		const flag = await cli(['restore', 'school.dump', '--cleen'], { POSTGRES_DB: restoredDb });
		expect(flag).toMatchObject({ code: 2, out: expect.stringContaining('restore: unknown option --cleen') });
	});

	it('round-trips the default schema "public" (which every new database already has)', async () => {
		const [src, dst] = [`${restoredDb}_pub_src`, `${restoredDb}_pub_dst`];
		await admin(async (c) => {
			await c.query(`CREATE DATABASE ${src}`);
			await c.query(`CREATE DATABASE ${dst}`);
		});
		try {
			const over = { POSTGRES_SCHEMA: 'public', POSTGRES_DB: src };
			expect((await cli(['init'], over)).code).toBe(0);
			await admin((c) => c.query(`INSERT INTO public.mentors (email, telegram_id) VALUES ('maria@school.ru', 1001)`), src);
			expect((await cli(['backup', '--file', 'public.dump'], over)).code).toBe(0);
			const r = await cli(['restore', 'public.dump'], { ...over, POSTGRES_DB: dst });
			expect(r).toMatchObject({ code: 0, out: expect.stringMatching(/mentors 1,/) });
			const again = await cli(['restore', 'public.dump', '--clean'], { ...over, POSTGRES_DB: dst });
			expect(again).toMatchObject({ code: 0, out: expect.stringMatching(/mentors 1,/) });
			expect(await snapshot(dst, 'public')).toEqual(await snapshot(src, 'public'));
		} finally {
			await admin(async (c) => {
				await c.query(`DROP DATABASE IF EXISTS ${src}`);
				await c.query(`DROP DATABASE IF EXISTS ${dst}`);
			});
		}
	});

	it('says which archives it cannot read: another program’s file, a newer pg_dump’s archive', async () => {
		if (!existsSync(join(dir, 'school.dump'))) await cli(['backup', '--file', 'school.dump']);
		writeFileSync(join(dir, 'notes.txt'), 'not a backup\n');
		const text = await cli(['restore', 'notes.txt']);
		expect(text.code).toBe(1);
		expect(text.out).toContain('notes.txt is not a pg_dump archive in custom format');

		// the archive header's format version (bytes 5-7 after "PGDMP"), as a newer pg_dump writes it
		const bytes = readFileSync(join(dir, 'school.dump'));
		expect(bytes.subarray(0, 5).toString()).toBe('PGDMP');
		bytes[6] = 99;
		writeFileSync(join(dir, 'future.dump'), bytes);
		const future = await cli(['restore', 'future.dump']);
		expect(future.code).toBe(1);
		expect(future.out).toMatch(/future\.dump was written by a newer pg_dump than pg_restore [\d.]+ can read \(archive format 1\.99\): restore it with pg_restore of the PostgreSQL version that made it, or newer \(--pg-bin DIR\)/);
	});

	it('on PostgreSQL 18: an older pg_dump is refused with the fix, a wrong password named without printing it', async () => {
		const root = (embeddedRoot = mkdtempSync(join(tmpdir(), 'gcb-backup-pg18-')));
		chmodSync(root, 0o755); // as root, PostgreSQL runs as `postgres`
		const port = await new Promise<number>((resolve) => {
			// eslint-disable-next-line @typescript-eslint/no-require-imports
			const srv = require('node:net').createServer();
			srv.listen(0, '127.0.0.1', () => {
				const p = srv.address().port;
				srv.close(() => resolve(p));
			});
		});
		embedded = await startEmbeddedPostgres({ dataDir: join(root, 'pg'), port });
		const password = embedded!.password;
		const over = { POSTGRES_PORT: String(port), POSTGRES_PASSWORD: password, POSTGRES_DB: 'postgres', POSTGRES_SCHEMA: 'school' };
		expect((await cli(['init'], over)).code).toBe(0);
		const { stdout } = await run('pg_dump', ['--version']);
		const clientMajor = Number(/\(PostgreSQL\) (\d+)/.exec(stdout)![1]);

		const b = await cli(['backup', '--file', 'pg18.dump'], over);
		expect(b.out).not.toContain(password);
		if (clientMajor < 18) {
			expect(b.code).toBe(1);
			expect(b.out).toMatch(
				new RegExp(`pg_dump ${clientMajor}\\.\\d+ cannot back up PostgreSQL 18\\.\\d+ .*apt-get install postgresql-client-18.*--pg-bin /usr/lib/postgresql/18/bin`),
			);
			expect(existsSync(join(dir, 'pg18.dump'))).toBe(false);
		} else {
			expect(b.code).toBe(0); // a machine with the PostgreSQL 18 client: the backup just works
		}
		const wrong = await cli(['backup', '--file', 'pg18.dump'], { ...over, POSTGRES_PASSWORD: 'wrong-password-1234' });
		expect(wrong.code).toBe(1);
		expect(wrong.out).toMatch(/password/i);
		expect(wrong.out).not.toContain('wrong-password-1234');
	}, 120000);
});
