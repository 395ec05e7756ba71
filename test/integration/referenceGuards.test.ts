import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { normaliseSettings } from '../../lib/config';
import { describeOverlapRefusal, ensureOverlapGuards, findOverlaps, OverlapRefusedError } from '../../lib/db/overlapGuards';
import { closeAllPools, getDb, withClient } from '../../lib/db/pool';
import { loadMigrations } from '../../lib/db/migrate';
import { applySchema } from '../../lib/db/schema';
import { createTestDb, type TestDb } from '../support/db';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const testPgConfig = require('../support/pgEnv') as () => { host: string; port: number; user: string; password: string; database: string };

const EARLY = '2020-01-01T00:00:00Z';
const dbs: TestDb[] = [];

async function fresh(prefix: string): Promise<TestDb> {
	const t = await createTestDb(prefix, true, 'skip'); // each test installs the guards itself
	dbs.push(t);
	return t;
}

afterAll(async () => {
	for (const t of dbs) await t.drop();
	await closeAllPools();
});

async function insertMentor(q: { query: Client['query'] } | TestDb['db']['pool'], email: string, from: string, to = '9999-12-31T00:00:00Z') {
	return (q as Client).query(`INSERT INTO mentors (email, telegram_id, valid_from, valid_to) VALUES ($1, 1, $2, $3) RETURNING id`, [email, from, to]);
}

async function refusal(p: Promise<unknown>): Promise<Error> {
	try {
		await p;
	} catch (err) {
		const e = describeOverlapRefusal(err);
		if (!e) throw err;
		return e;
	}
	throw new Error('expected the database to refuse the overlap');
}

describe.each([
	['exclusion', false],
	['trigger', true],
] as const)('overlap guard: %s', (kind, forceTrigger) => {
	let t: TestDb;
	beforeAll(async () => {
		t = await fresh(`guard_${kind}`);
	});

	it('installs one guard per key on clean data, then reports them present', async () => {
		const first = await withClient(t.db, (c) => ensureOverlapGuards(c, { forceTrigger }));
		expect(first.map((r) => `${r.table}:${r.key}:${r.state}:${r.kind}:${r.overlaps}`)).toEqual([
			`mentors:lower(email):installed:${kind}:0`,
			`students:lower(email):installed:${kind}:0`,
			`students:user_id:installed:${kind}:0`,
			`trainings:training_id:installed:${kind}:0`,
			`lessons:lesson_id:installed:${kind}:0`,
			`mapping:lower(student_email), coalesce(training_id, ''):installed:${kind}:0`,
		]);
		const second = await withClient(t.db, (c) => ensureOverlapGuards(c, { forceTrigger }));
		expect(second.every((r) => r.state === 'present' && r.kind === kind)).toBe(true);
		// Applying the schema again leaves the guards in place.
		await applySchema(t.db);
		const third = await withClient(t.db, (c) => ensureOverlapGuards(c, { forceTrigger }));
		expect(third.every((r) => r.state === 'present')).toBe(true);
	});

	it('refuses a second row of one key valid at the same time, case-insensitively, and names the rows', async () => {
		const p = t.db.pool;
		const a = await insertMentor(p as never, 'maria@school.test', EARLY);
		const e2 = await refusal(insertMentor(p as never, 'MARIA@school.test', '2025-01-01T00:00:00Z'));
		expect(e2).toBeInstanceOf(OverlapRefusedError);
		expect(e2.message).toMatch(/mentors \(lower\(email\)\)/);
		if (kind === 'trigger') expect(e2.message).toMatch(new RegExp(`mentors rows \\d+ and ${a.rows[0].id} overlap`));
		else expect(e2.message).toMatch(/mentors_email_no_overlap/);
		expect(e2.message).toMatch(/maria@school\.test/);
	});

	it('lets a version close at T and its successor start at T (half-open), and refuses moving a row into overlap', async () => {
		const p = t.db.pool;
		const old = await insertMentor(p as never, 'petr@school.test', EARLY);
		await p.query(`UPDATE mentors SET valid_to = $2 WHERE id = $1`, [old.rows[0].id, '2026-01-01T00:00:00Z']);
		const next = await insertMentor(p as never, 'petr@school.test', '2026-01-01T00:00:00Z');
		expect(next.rows).toHaveLength(1);
		const e = await refusal(p.query(`UPDATE mentors SET valid_to = '2026-06-01' WHERE id = $1`, [old.rows[0].id]));
		expect(e.message).toMatch(/petr@school\.test/);
	});

	it('guards every key: students by email and by user id, trainings, lessons, mapping per training', async () => {
		const p = t.db.pool;
		await p.query(`INSERT INTO students (user_id, email, valid_from) VALUES ('1', 'a@x.ru', $1)`, [EARLY]);
		await refusal(p.query(`INSERT INTO students (user_id, email, valid_from) VALUES ('2', 'A@x.ru', '2025-01-01')`));
		await refusal(p.query(`INSERT INTO students (user_id, email, valid_from) VALUES ('1', 'b@x.ru', '2025-01-01')`));
		// no user id: not part of the user id key
		await p.query(`INSERT INTO students (user_id, email, valid_from) VALUES (NULL, 'c@x.ru', $1), (NULL, 'd@x.ru', $1)`, [EARLY]);
		await p.query(`INSERT INTO trainings (training_id, name, valid_from) VALUES ('10', 'T', $1)`, [EARLY]);
		await refusal(p.query(`INSERT INTO trainings (training_id, name, valid_from) VALUES ('10', 'T2', '2025-01-01')`));
		await p.query(`INSERT INTO lessons (lesson_id, name, valid_from) VALUES ('20', 'L', $1)`, [EARLY]);
		await refusal(p.query(`INSERT INTO lessons (lesson_id, name, valid_from) VALUES ('20', 'L2', '2025-01-01')`));
		await p.query(`INSERT INTO mapping (student_email, mentor_email, training_id, valid_from) VALUES ('a@x.ru', 'm@x.ru', NULL, $1), ('a@x.ru', 'm@x.ru', '10', $1)`, [EARLY]);
		await refusal(p.query(`INSERT INTO mapping (student_email, mentor_email, training_id, valid_from) VALUES ('A@X.ru', 'n@x.ru', NULL, '2025-01-01')`));
		await refusal(p.query(`INSERT INTO mapping (student_email, mentor_email, training_id, valid_from) VALUES ('a@x.ru', 'n@x.ru', '10', '2025-01-01')`));
		expect(await findOverlaps(p)).toEqual([]);
	});

	it('refuses overlapping rows written by two transactions at once', async () => {
		const cfg = testPgConfig();
		const options = `-c search_path=${t.settings.schema}`;
		const c1 = new Client({ ...cfg, options });
		const c2 = new Client({ ...cfg, options });
		await c1.connect();
		await c2.connect();
		try {
			await c1.query('BEGIN');
			await c2.query('BEGIN');
			await insertMentor(c1, 'race@school.test', EARLY);
			const second = insertMentor(c2, 'race@school.test', '2025-01-01T00:00:00Z').then(
				() => null,
				(err) => err,
			);
			await new Promise((r) => setTimeout(r, 200));
			await c1.query('COMMIT');
			const err = await second;
			expect(describeOverlapRefusal(err)?.message).toMatch(/race@school\.test/);
			await c2.query('ROLLBACK');
		} finally {
			await c1.end();
			await c2.end();
		}
		const rows = await t.db.pool.query(`SELECT count(*)::int AS n FROM mentors WHERE email = 'race@school.test'`);
		expect(rows.rows[0].n).toBe(1);
	});
});

describe('overlap guard with overlapping data', () => {
	it('leaves the guard of that key off, reports the pairs, installs the others, and never fails', async () => {
		const t = await fresh('guard_overlap');
		const p = t.db.pool;
		await p.query(`INSERT INTO mentors (email, telegram_id, valid_from) VALUES ('dup@x.ru', 1, '2020-01-01'), ('DUP@x.ru', 2, '2024-01-01')`);
		const reports = await withClient(t.db, (c) => ensureOverlapGuards(c));
		const mentors = reports.find((r) => r.table === 'mentors')!;
		expect(mentors).toMatchObject({ state: 'off', kind: null, overlaps: 1 });
		expect(mentors.message).toMatch(/1 pair\(s\) of rows overlap, so the overlap guard stays off until they are fixed/);
		expect(reports.filter((r) => r.table !== 'mentors').every((r) => r.state === 'installed')).toBe(true);
		const overlaps = await findOverlaps(p);
		expect(overlaps).toHaveLength(1);
		expect(overlaps[0]).toMatchObject({ table: 'mentors', key: 'lower(email)', value: 'dup@x.ru' });
		// fixed by closing the older row where the newer starts: the next run installs the guard
		await p.query(`UPDATE mentors SET valid_to = '2024-01-01' WHERE telegram_id = 1`);
		const again = await withClient(t.db, (c) => ensureOverlapGuards(c));
		expect(again.find((r) => r.table === 'mentors')).toMatchObject({ state: 'installed', overlaps: 0 });
	});
});

describe('two callers at once (two inits)', () => {
	it.each([false, true])('both succeed and each key gets one guard (forceTrigger %s)', async (forceTrigger) => {
		const t = await fresh(`guard_twice_${forceTrigger ? 'trg' : 'exc'}`);
		const [a, b] = await Promise.all([0, 1].map(() => withClient(t.db, (c) => ensureOverlapGuards(c, { forceTrigger }))));
		expect([...a, ...b].map((r) => r.state).every((st) => st === 'installed' || st === 'present')).toBe(true);
		const guards = await t.db.pool.query(
			`SELECT (SELECT count(*)::int FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1 AND c.contype = 'x') AS exclusions,
			        (SELECT count(*)::int FROM pg_trigger g JOIN pg_class r ON r.oid = g.tgrelid JOIN pg_namespace n ON n.oid = r.relnamespace
			          WHERE n.nspname = $1 AND g.tgname LIKE '%no_overlap%') AS triggers`,
			[t.settings.schema],
		);
		expect(guards.rows[0]).toEqual(forceTrigger ? { exclusions: 0, triggers: 12 } : { exclusions: 6, triggers: 0 });
	});
});

describe('btree_gist', () => {
	it('lives outside the configured schema, so dropping that schema never drops it', async () => {
		const t = await fresh('guard_ext');
		await withClient(t.db, (c) => ensureOverlapGuards(c));
		const ext = await t.db.pool.query(`SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'btree_gist'`);
		expect(ext.rows).toHaveLength(1);
		expect(ext.rows[0].nspname).not.toBe(t.settings.schema);
		expect(ext.rows[0].nspname).not.toMatch(/^t_/);
	});

	it('without the right to create it (no CREATE on the database, not installed there), falls back to triggers', async () => {
		const cfg = testPgConfig();
		const suffix = randomBytes(4).toString('hex');
		const role = `gcb_limited_${suffix}`;
		const database = `gcb_noext_${suffix}`;
		const admin = new Client({ ...cfg });
		await admin.connect();
		try {
			await admin.query(`CREATE ROLE ${role} LOGIN`);
			await admin.query(`CREATE DATABASE ${database}`);
			const inDb = new Client({ ...cfg, database });
			await inDb.connect();
			await inDb.query(`CREATE SCHEMA app AUTHORIZATION ${role}`);
			await inDb.end();
			const settings = normaliseSettings({
				hostExternal: cfg.host, environment: 'dev', port: cfg.port, user: role, password: cfg.password, database, schema: 'app', ssl: 'disable', connectionTimeout: 10,
			});
			const db = getDb(settings);
			// the migrations' SQL straight into the schema made for the role (init would need CREATE on the database)
			for (const m of loadMigrations()) await db.pool.query(m.sql);
			const reports = await withClient(db, (c) => ensureOverlapGuards(c));
			expect(reports.every((r) => r.state === 'installed' && r.kind === 'trigger')).toBe(true);
			expect(reports[0].message).toMatch(/btree_gist is not available/);
			await db.pool.query(`INSERT INTO mentors (email, valid_from) VALUES ('x@y.ru', '2020-01-01')`);
			await refusal(db.pool.query(`INSERT INTO mentors (email, valid_from) VALUES ('x@y.ru', '2021-01-01')`));
			await db.pool.end();
		} finally {
			await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
			await admin.query(`DROP ROLE IF EXISTS ${role}`);
			await admin.end();
		}
	});
});
