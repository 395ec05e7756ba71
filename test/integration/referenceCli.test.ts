import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeAllPools } from '../../lib/db/pool';
import { CLI, runCli } from '../support/cli';
import { createTestDb, type TestDb } from '../support/db';

const dir = mkdtempSync(join(tmpdir(), 'gcb-refcli-'));
const dbs: TestDb[] = [];

beforeAll(() => {
	if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
});
afterAll(async () => {
	for (const t of dbs) await t.drop();
	await closeAllPools();
	rmSync(dir, { recursive: true, force: true });
});

async function fresh(prefix: string, guards = true): Promise<TestDb> {
	const t = await createTestDb(prefix, true, guards ? 'auto' : 'skip');
	dbs.push(t);
	return t;
}

const cliFor = (t: TestDb) => (args: string[]) => runCli(t.settings, args, { cwd: dir });

function file(name: string, text: string): string {
	const p = join(dir, name);
	writeFileSync(p, text);
	return p;
}

const FILES = {
	mentors: '\uFEFFEmail;First Name;last_name;Telegram_ID\r\nMaria@School.test;Мария;"Наставникова; старшая";100001\r\npetr@school.test;Пётр;;100002\r\n',
	students: 'user_id,email,first_name,last_name\n45678901,ivan@example.ru,Иван,Студентов\n45678902,olga@example.ru,Ольга,"Ученица ""О"""\n',
	trainings: 'training_id\tname\n889900\tПоток весна\n889901\tПоток осень\n',
	lessons: 'lesson_id,training_id,name\n2223334,889900,"2.3 Практика, часть 1"\n2223335,,Без курса\n',
	mapping: 'student_email,mentor_email,training_id\nivan@example.ru,maria@school.test,889900\nolga@example.ru,petr@school.test,\n',
};

describe('getcourse-bot import / export', () => {
	let t: TestDb;
	let cli: ReturnType<typeof cliFor>;
	beforeAll(async () => {
		t = await fresh('refcli');
		cli = cliFor(t);
	});

	it('imports every table from CSV (BOM, ; , and tab, quotes), prints the plan, and a second import changes nothing', async () => {
		for (const [table, text] of Object.entries(FILES)) {
			const r = await cli(['import', table, file(`${table}.csv`, text)]);
			expect(r.code).toBe(0);
			expect(r.stdout).toMatch(new RegExp(`^${table}: 2 created, 0 versioned, 0 closed, 0 unchanged, 0 rejected \\(effective `));
			expect(r.stdout).toMatch(/action +key +source +change/);
			const again = await cli(['import', table, join(dir, `${table}.csv`)]);
			expect(again.stdout).toMatch(new RegExp(`^${table}: 0 created, 0 versioned, 0 closed, 2 unchanged, 0 rejected`));
		}
		const runs = (await t.db.pool.query(`SELECT message FROM application_logs WHERE source = 'getcourse-bot-import' ORDER BY id`)).rows;
		expect(runs).toHaveLength(10);
		expect(runs[0].message).toMatch(/^run success in \d+ ms: created 2, versioned 0, closed 0, unchanged 0, rejected 0$/);
		const m = await t.db.pool.query(`SELECT email, last_name, telegram_id FROM mentors ORDER BY id`);
		expect(m.rows).toEqual([
			{ email: 'maria@school.test', last_name: 'Наставникова; старшая', telegram_id: '100001' },
			{ email: 'petr@school.test', last_name: null, telegram_id: '100002' },
		]);
	});

	it('export prints the rows valid now as CSV, and importing that back changes nothing (every table)', async () => {
		for (const table of Object.keys(FILES)) {
			const exported = await cli(['export', table]);
			expect(exported.code).toBe(0);
			const back = await cli(['import', table, file(`${table}-export.csv`, exported.stdout), '--json']);
			expect(back.code).toBe(0);
			const json = JSON.parse(back.stdout);
			expect(json.summary).toMatchObject({ created: 0, versioned: 0, closed: 0, unchanged: 2, rejected: 0 });
		}
		const mentors = await cli(['export', 'mentors', '--delimiter', ';']);
		expect(mentors.stdout).toBe('email;first_name;last_name;telegram_id\r\nmaria@school.test;Мария;"Наставникова; старшая";100001\r\npetr@school.test;Пётр;;100002\r\n');
		const asJson = await cli(['export', 'lessons', '--json']);
		expect(JSON.parse(asJson.stdout)).toEqual([
			{ lesson_id: '2223334', training_id: '889900', name: '2.3 Практика, часть 1' },
			{ lesson_id: '2223335', training_id: null, name: 'Без курса' },
		]);
	});

	it('--dry-run shows the changes and writes nothing; --json gives them to scripts', async () => {
		const before = (await t.db.pool.query(`SELECT * FROM mentors ORDER BY id`)).rows;
		const p = file('mentors-2.csv', 'email,first_name,last_name,telegram_id\nmaria@school.test,Мария,,100009\nnew@school.test,Новый,,\n');
		const dry = await cli(['import', 'mentors', p, '--dry-run', '--close-missing']);
		expect(dry.code).toBe(0);
		expect(dry.stdout).toMatch(/^mentors: 1 created, 1 versioned, 1 closed, 0 unchanged, 0 rejected \(effective .*, dry run: nothing written\)/);
		expect(dry.stdout).toMatch(/versioned +maria@school\.test +line 2 +last_name: Наставникова; старшая → ∅; telegram_id: 100001 → 100009/);
		expect(dry.stdout).toMatch(/closed +petr@school\.test +- +valid /);
		expect((await t.db.pool.query(`SELECT * FROM mentors ORDER BY id`)).rows).toEqual(before);
		const json = JSON.parse((await cli(['import', 'mentors', p, '--dry-run', '--json'])).stdout);
		expect(json.changes.map((c: { key: string; action: string; line: number | null }) => [c.key, c.action, c.line])).toEqual([
			['maria@school.test', 'versioned', 2],
			['new@school.test', 'created', 3],
		]);
	});

	it('--effective dates the change; a date before the current version starts fails that row', async () => {
		const p = file('trainings-2.csv', 'training_id,name\n889900,Поток весна 2026\n889901,Поток осень\n');
		const early = await cli(['import', 'trainings', p, '--effective', '2001-01-01']);
		expect(early.code).toBe(1);
		expect(early.stdout).toMatch(/Rejected rows \(nothing of them was written\):\n {2}line 2 \(889900\): effective time 2000-12-31T21:00:00.000Z is not after valid_from/);
		const r = await cli(['import', 'trainings', p, '--effective', '2099-01-01 00:00', '--time-zone', 'UTC']);
		expect(r.code).toBe(0);
		expect(r.stdout).toMatch(/1 versioned/);
		const rows = (await t.db.pool.query(`SELECT name, valid_from, valid_to FROM trainings WHERE training_id = '889900' ORDER BY id`)).rows;
		expect(rows.map((x) => [x.name, x.valid_to.toISOString().slice(0, 10)])).toEqual([
			['Поток весна', '2099-01-01'],
			['Поток весна 2026', '9999-12-31'],
		]);
	});

	it('a bad row fails alone (exit 1) unless --all-or-nothing, which writes nothing', async () => {
		const p = file('students-bad.csv', 'user_id,email,first_name,last_name\n45678903,semen@example.ru,Семён,\n45678904,not-an-email,Плохой,\n');
		const aon = await cli(['import', 'students', p, '--all-or-nothing']);
		expect(aon.code).toBe(1);
		expect(aon.stdout).toMatch(/aborted: nothing written/);
		expect(aon.stdout).toMatch(/line 3: email "not-an-email" is not an email address/);
		expect((await t.db.pool.query(`SELECT count(*)::int AS n FROM students`)).rows[0].n).toBe(2);
		const partial = await cli(['import', 'students', p]);
		expect(partial.code).toBe(1);
		expect(partial.stdout).toMatch(/^students: 1 created/);
		expect((await t.db.pool.query(`SELECT count(*)::int AS n FROM students`)).rows[0].n).toBe(3);
	});

	it('refuses unknown options, tables and unreadable CSV with one line', async () => {
		const typo = await cli(['import', 'mentors', join(dir, 'mentors.csv'), '--close-mising']);
		expect(typo.code).toBe(2);
		expect(typo.stderr).toMatch(/unknown option --close-mising/);
		const table = await cli(['export', 'teachers']);
		expect(table.stderr).toMatch(/Unknown reference table "teachers": use one of mentors, students, trainings, lessons, mapping/);
		const broken = await cli(['import', 'mentors', file('broken.csv', 'email\n"open\n')]);
		expect(broken.stderr.trim()).toBe('getcourse-bot: CSV: a quoted field opened on line 2 is never closed');
	});
});

describe('getcourse-bot check', () => {
	it('exits 0 on clean data and 1 with each kind of problem listed (text and --json)', async () => {
		const t = await fresh('refcheck', false);
		const cli = cliFor(t);
		const clean = await cli(['check']);
		expect(clean).toMatchObject({ code: 0, stdout: 'Reference data: no problems found\n' });
		const q = (sql: string) => t.db.pool.query(sql);
		await q(`INSERT INTO mentors (email, telegram_id, valid_from) VALUES ('maria@school.test', 1, '2020-01-01'), ('Maria@school.test', 2, '2025-01-01'), ('silent@school.test', NULL, '2020-01-01')`);
		await q(`INSERT INTO students (user_id, email, valid_from, valid_to) VALUES ('1', 'ivan.old@example.ru', '2020-01-01', '2025-01-01'), ('1', 'ivan@example.ru', '2025-01-01', '9999-12-31'), ('2', 'olga@example.ru', '2020-01-01', '9999-12-31')`);
		// ivan's mapping under his old email follows him (same user id): not a problem; olga's goes to nobody
		await q(`INSERT INTO mapping (student_email, mentor_email, training_id, valid_from) VALUES ('ivan.old@example.ru', 'maria@school.test', NULL, '2020-01-01'), ('olga@example.ru', 'ghost@school.test', '889900', '2020-01-01'), ('gone@example.ru', 'maria@school.test', NULL, '2020-01-01')`);
		await q(`INSERT INTO webhook_events (event_date, user_id, user_email, answer_id, answer_training_id, idempotency_key, processed)
		         VALUES (now(), '1', '', 'a1', '889900', 'k1', FALSE), (now(), '3', 'nobody@example.ru', 'a2', '889900', 'k2', FALSE),
		                (now(), '3', 'nobody@example.ru', 'a3', '889900', 'k3', FALSE), (now(), '2', '', 'a4', '777', 'k4', FALSE), (now(), '9', '', 'a5', NULL, 'k5', TRUE)`);
		const r = await cli(['check']);
		expect(r.code).toBe(1);
		expect(r.stdout).toMatch(/Overlapping rows \(two rows of one key valid at the same time\) \(1\):\n {2}mentors lower\(email\) = maria@school\.test: id \d+ \[2020-01-01T00:00:00.000Z, open end\) and id \d+ \[2025-01-01/);
		expect(r.stdout).toMatch(/Mentors valid now without telegram_id \(1\):\n {2}silent@school\.test/);
		expect(r.stdout).toMatch(/Mappings valid now to unknown mentors or students \(2\):\n {2}id \d+: gone@example\.ru → maria@school\.test in every training: no student valid now\n {2}id \d+: olga@example\.ru → ghost@school\.test in training 889900: no mentor valid now/);
		expect(r.stdout).toMatch(/Students with waiting events and no mapping valid now \(2\):\n {2}user_id 2 \(olga@example\.ru\) in training 777: 1 waiting event\(s\) since .*\n {2}user_id 3 \(nobody@example\.ru\) in training 889900: 2 waiting event\(s\) since .*, student not in students/);
		expect(r.stdout).toMatch(/6 problem\(s\) found\n$/);
		const json = await cli(['check', '--json']);
		expect(json.code).toBe(1);
		const report = JSON.parse(json.stdout);
		expect(report).toMatchObject({ problems: 6 });
		expect(report.overlaps).toHaveLength(1);
		expect(report.waitingWithoutMapping.map((w: { user_id: string; unknown_student: boolean }) => [w.user_id, w.unknown_student])).toEqual([
			['2', false],
			['3', true],
		]);
	});
});
