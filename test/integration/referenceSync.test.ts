import type { IDataObject } from 'n8n-workflow';
import { ensureOverlapGuards, OverlapRefusedError } from '../../lib/db/overlapGuards';
import { closeAllPools, withClient, withTransaction } from '../../lib/db/pool';
import { applyPlan, loadStored } from '../../lib/reference/store';
import { TABLES } from '../../lib/reference/tables';
import { resolveMentors } from '../../lib/resolve/resolveMentors';
import { GetCourseReferenceData } from '../../nodes/GetCourseReferenceData/GetCourseReferenceData.node';
import { createTestDb, type TestDb } from '../support/db';
import { runNode } from '../support/nodeContext';

const dbs: TestDb[] = [];
afterAll(async () => {
	for (const t of dbs) await t.drop();
	await closeAllPools();
});

async function fresh(prefix: string, forceTrigger = false): Promise<TestDb> {
	const t = await createTestDb(prefix, true, 'skip'); // the guards of the kind under test
	dbs.push(t);
	const reports = await withClient(t.db, (c) => ensureOverlapGuards(c, { forceTrigger }));
	expect(reports.every((r) => r.state === 'installed')).toBe(true);
	return t;
}

function node(t: TestDb) {
	return async (parameters: Record<string, unknown>, items: IDataObject[] = [{}], continueOnFail = false) => {
		const [out] = await runNode(new GetCourseReferenceData(), {
			items: items.map((json) => ({ json })),
			parameters,
			credentials: { getCourseBotPostgres: t.credential as never },
			continueOnFail,
		});
		return out;
	};
}

const sync = (t: TestDb, table: string, rows: IDataObject[], params: Record<string, unknown> = {}, continueOnFail = false) =>
	node(t)({ operation: 'syncVersions', table, ...params }, rows, continueOnFail);

const rowsOf = async (t: TestDb, table: string) => (await t.db.pool.query(`SELECT * FROM ${table} ORDER BY id`)).rows;
const validNow = async (t: TestDb, table: string) =>
	(await t.db.pool.query(`SELECT * FROM ${table} WHERE valid_from <= now() AND now() < valid_to ORDER BY id`)).rows;
const actions = (out: Array<{ json: IDataObject }>) => out.filter((i) => i.json.action !== 'summary').map((i) => `${i.json.key}:${i.json.action ?? 'error'}`);
const summary = (out: Array<{ json: IDataObject }>) => out[out.length - 1].json;

const MENTORS = [
	{ email: 'maria@school.test', first_name: 'Мария', last_name: 'Н', telegram_id: '100001' },
	{ email: 'petr@school.test', first_name: 'Пётр', last_name: 'П', telegram_id: '100002' },
];

describe.each([
	['exclusion', false],
	['trigger', true],
] as const)('Sync Versions with the %s guard', (_kind, forceTrigger) => {
	let t: TestDb;
	beforeAll(async () => {
		t = await fresh(`refsync_${_kind}`, forceTrigger);
	});

	it('creates rows, then a re-run of the same source changes nothing', async () => {
		const first = await sync(t, 'mentors', MENTORS);
		expect(actions(first)).toEqual(['maria@school.test:created', 'petr@school.test:created']);
		expect(first[0].pairedItem).toEqual({ item: 0 });
		expect(first[0].json).toMatchObject({ table: 'mentors', action: 'created', old: null, new: { email: 'maria@school.test', telegram_id: '100001', valid_to: null }, dryRun: false });
		expect(summary(first)).toMatchObject({ action: 'summary', table: 'mentors', created: 2, versioned: 0, closed: 0, unchanged: 0, rejected: 0, aborted: false });
		const before = await rowsOf(t, 'mentors');
		// the same rows, with other header case and spaces, and emails in other case: nothing to do
		const again = await sync(t, 'mentors', MENTORS.map((m) => ({ ' Email ': m.email.toUpperCase(), FIRST_NAME: ` ${m.first_name} `, last_name: m.last_name, Telegram_ID: Number(m.telegram_id) })));
		expect(summary(again)).toMatchObject({ created: 0, versioned: 0, closed: 0, unchanged: 2 });
		expect(await rowsOf(t, 'mentors')).toEqual(before);
	});

	it('a changed row closes the current version at T and inserts the new one from T; only valid_to of the old row changes', async () => {
		const before = await rowsOf(t, 'mentors');
		const out = await sync(t, 'mentors', [{ ...MENTORS[0], telegram_id: '100009' }, MENTORS[1]]);
		expect(actions(out)).toEqual(['maria@school.test:versioned', 'petr@school.test:unchanged']);
		expect(out[0].json.changed).toEqual(['telegram_id']);
		const after = await rowsOf(t, 'mentors');
		expect(after).toHaveLength(3);
		const oldBefore = before.find((r) => r.email === 'maria@school.test');
		const oldAfter = after.find((r) => r.id === oldBefore.id);
		const added = after.find((r) => !before.some((b) => b.id === r.id));
		// the only in-place change: valid_to (updated_at follows it, by the schema's trigger)
		const { valid_to: _a, updated_at: _b, ...restBefore } = oldBefore;
		const { valid_to: newTo, updated_at: _c, ...restAfter } = oldAfter;
		expect(restAfter).toEqual(restBefore);
		expect(newTo.getTime()).toBe(added.valid_from.getTime());
		expect(added).toMatchObject({ email: 'maria@school.test', telegram_id: '100009' });
		expect(added.valid_to.getUTCFullYear()).toBe(9999);
		expect((out[0].json.new as IDataObject).id).toBe(String(added.id));
	});

	it('closes rows missing from the source only when asked', async () => {
		const without = await sync(t, 'mentors', [{ ...MENTORS[0], telegram_id: '100009' }]);
		expect(summary(without)).toMatchObject({ unchanged: 1, closed: 0 });
		const dry = await sync(t, 'mentors', [{ ...MENTORS[0], telegram_id: '100009' }], { closeMissing: true, dryRun: true });
		expect(actions(dry)).toEqual(['maria@school.test:unchanged', 'petr@school.test:closed']);
		expect((await validNow(t, 'mentors')).map((r) => r.email)).toEqual(['petr@school.test', 'maria@school.test']);
		const closing = await sync(t, 'mentors', [{ ...MENTORS[0], telegram_id: '100009' }], { closeMissing: true });
		expect(actions(closing)).toEqual(['maria@school.test:unchanged', 'petr@school.test:closed']);
		expect(closing[1].json).toMatchObject({ old: { email: 'petr@school.test', valid_to: null } });
		expect((await validNow(t, 'mentors')).map((r) => r.email)).toEqual(['maria@school.test']);
	});

	it('Assign Mentor hands a student over at an instant, with no overlap and no gap; assigning again changes nothing', async () => {
		await sync(t, 'mentors', [{ ...MENTORS[0], telegram_id: '100009' }, MENTORS[1]]);
		await sync(t, 'students', [{ user_id: '45678901', email: 'ivan@example.ru', first_name: 'Иван' }]);
		await sync(t, 'mapping', [{ student_email: 'ivan@example.ru', mentor_email: 'maria@school.test', training_id: '889900' }], {
			effectiveTime: 'date',
			effectiveDate: '2026-01-01T00:00:00',
			timeZone: 'UTC',
		});
		const assign = node(t);
		const out = await assign({ operation: 'assignMentor', student: '45678901', mentor: 'PETR@school.test', trainingId: '889900', from: '2026-02-10 00:00', timeZone: 'UTC' });
		expect(out[0].json).toMatchObject({
			table: 'mapping',
			key: 'ivan@example.ru|889900',
			action: 'versioned',
			changed: ['mentor_email'],
			effectiveAt: '2026-02-10T00:00:00.000Z',
			old: { mentor_email: 'maria@school.test', valid_to: null },
			new: { mentor_email: 'petr@school.test', valid_from: '2026-02-10T00:00:00.000Z', valid_to: null },
		});
		const mapping = await rowsOf(t, 'mapping');
		expect(mapping.map((m) => [m.mentor_email, m.valid_from.toISOString(), m.valid_to.toISOString().slice(0, 4)])).toEqual([
			['maria@school.test', '2026-01-01T00:00:00.000Z', '2026'],
			['petr@school.test', '2026-02-10T00:00:00.000Z', '9999'],
		]);
		expect(mapping[0].valid_to.getTime()).toBe(mapping[1].valid_from.getTime());
		const again = await assign({ operation: 'assignMentor', student: 'ivan@example.ru', mentor: 'petr@school.test', trainingId: '889900', from: '2026-02-10 00:00', timeZone: 'UTC' });
		expect(again[0].json.action).toBe('unchanged');
		expect(await rowsOf(t, 'mapping')).toHaveLength(2);
	});
});

describe('Sync Versions', () => {
	let t: TestDb;
	beforeAll(async () => {
		t = await fresh('refsync_main');
	});

	it('dry run reports the plan and writes nothing', async () => {
		const before = await rowsOf(t, 'trainings');
		const out = await sync(t, 'trainings', [{ training_id: '889900', name: 'Поток весна' }], { dryRun: true });
		expect(actions(out)).toEqual(['889900:created']);
		expect(out[0].json).toMatchObject({ dryRun: true, new: { id: null, training_id: '889900' } });
		expect(summary(out)).toMatchObject({ dryRun: true, created: 1 });
		expect(await rowsOf(t, 'trainings')).toEqual(before);
		const [log] = (await t.db.pool.query(`SELECT source, message, context FROM application_logs ORDER BY id DESC LIMIT 1`)).rows;
		expect(log).toMatchObject({ source: 'getcourse-reference-data', context: { outcome: 'success', counts: { planned: 1, unchanged: 0, rejected: 0 } } });
	});

	it('a bad row fails with its index and reason; without continue-on-fail nothing is written', async () => {
		const rows = [
			{ training_id: '1', name: 'Первый' },
			{ training_id: '', name: 'Без id' },
			{ training_id: '3', name: 'Третий', colour: 'red' },
		];
		await expect(sync(t, 'trainings', rows)).rejects.toMatchObject({
			message: 'Row 1 of trainings is invalid: training_id is empty',
			context: { itemIndex: 1 },
			description: expect.stringMatching(/2 invalid row\(s\), nothing was written:\nitem 1: training_id is empty\nitem 2: unknown column "colour"/),
		});
		expect(await rowsOf(t, 'trainings')).toEqual([]);
	});

	it('with continue-on-fail the valid rows are applied and each bad row is an error item paired to it', async () => {
		const rows = [
			{ training_id: '1', name: 'Первый' },
			{ training_id: '', name: 'Без id' },
			{ training_id: '3', name: 'Третий', colour: 'red' },
			{ training_id: '4', name: 'Четвёртый' },
		];
		const out = await sync(t, 'trainings', rows, {}, true);
		expect(out.map((i) => [i.json.action ?? 'error', i.pairedItem])).toEqual([
			['created', { item: 0 }],
			['error', { item: 1 }],
			['error', { item: 2 }],
			['created', { item: 3 }],
			['summary', [{ item: 0 }, { item: 1 }, { item: 2 }, { item: 3 }]],
		]);
		expect(out[1].json).toEqual({ error: 'Row 1 of trainings is invalid: training_id is empty', table: 'trainings', key: null, itemIndex: 1 });
		expect(out[2].json.error).toMatch(/Row 2 of trainings is invalid: unknown column "colour"/);
		expect((await validNow(t, 'trainings')).map((r) => r.training_id)).toEqual(['1', '4']);
	});

	it('All or Nothing: one bad row and nothing is written, even with continue-on-fail', async () => {
		const before = await rowsOf(t, 'trainings');
		const out = await sync(t, 'trainings', [{ training_id: '1', name: 'Новое имя' }, { training_id: '5', name: '' }], { allOrNothing: true }, true);
		expect(out.map((i) => i.json.action ?? 'error')).toEqual(['error', 'summary']);
		expect(out[0].json.error).toMatch(/Row 1 of trainings is invalid: name is empty/);
		expect(summary(out)).toMatchObject({ aborted: true, versioned: 1, rejected: 1, warnings: [expect.stringMatching(/All or Nothing is on: nothing was written/)] });
		expect(await rowsOf(t, 'trainings')).toEqual(before);
	});

	it('a student whose email changed (same GetCourse user id) becomes a new version of the same student', async () => {
		await sync(t, 'students', [
			{ user_id: '45678901', email: 'ivan@example.ru', first_name: 'Иван', last_name: 'Студентов' },
			{ user_id: '45678902', email: 'olga@example.ru', first_name: 'Ольга', last_name: 'Ученица' },
		]);
		const out = await sync(t, 'students', [
			{ user_id: '45678901', email: 'ivan.new@example.ru', first_name: 'Иван', last_name: 'Студентов' },
			{ user_id: '45678902', email: 'olga@example.ru', first_name: 'Ольга', last_name: 'Ученица' },
		]);
		expect(actions(out)).toEqual(['45678901:versioned', '45678902:unchanged']);
		expect(out[0].json).toMatchObject({ changed: ['email'], old: { email: 'ivan@example.ru' }, new: { email: 'ivan.new@example.ru', user_id: '45678901' } });
		const ivan = (await rowsOf(t, 'students')).filter((s) => s.user_id === '45678901');
		expect(ivan.map((s) => s.email)).toEqual(['ivan@example.ru', 'ivan.new@example.ru']);
		expect(ivan[0].valid_to.getTime()).toBe(ivan[1].valid_from.getTime());
		// an email another student holds is refused for that row only
		const clash = await sync(t, 'students', [{ user_id: '45678902', email: 'IVAN.NEW@example.ru', first_name: 'Ольга', last_name: 'Ученица' }], {}, true);
		expect(clash[0].json.error).toMatch(/Row 0 of students is invalid: would overlap students row id \d+ \(ivan\.new@example\.ru/);
	});

	it('effective time: a date for all rows, or a column per row; never before the current version starts', async () => {
		await sync(t, 'lessons', [{ lesson_id: '2223334', training_id: '889900', name: '2.3 Практика' }], { effectiveTime: 'date', effectiveDate: '2026-01-01T00:00:00', timeZone: 'Europe/Moscow' });
		const [lesson] = await rowsOf(t, 'lessons');
		expect(lesson.valid_from.toISOString()).toBe('2025-12-31T21:00:00.000Z');
		const out = await sync(
			t,
			'lessons',
			[
				{ lesson_id: '2223334', training_id: '889900', name: '2.3 Практика (новая)', 'Effective From': '2026-02-01 12:00' },
				{ lesson_id: '2223335', training_id: '889900', name: '2.4', 'Effective From': '' },
				{ lesson_id: '2223336', training_id: '889900', name: '2.5', 'Effective From': '2025-12-01' },
			],
			{ effectiveTime: 'column', effectiveColumn: 'effective from', timeZone: 'Europe/Moscow' },
			true,
		);
		expect(actions(out)).toEqual(['2223334:versioned', '2223335:created', '2223336:created']);
		expect(out[0].json.effectiveAt).toBe('2026-02-01T09:00:00.000Z');
		expect(out[2].json.effectiveAt).toBe('2025-11-30T21:00:00.000Z');
		const early = await sync(t, 'lessons', [{ lesson_id: '2223334', training_id: '889900', name: 'раньше' }], { effectiveTime: 'date', effectiveDate: '2026-01-15T00:00:00' }, true);
		expect(early[0].json.error).toMatch(/effective time 2026-01-14T21:00:00.000Z is not after valid_from 2026-02-01T09:00:00.000Z of the current lessons row/);
	});

	it('Google Sheets row_number is ignored; other columns can be mapped by name', async () => {
		const out = await sync(t, 'mapping', [{ row_number: 2, Student: 'ivan.new@example.ru', Mentor: 'm@school.test', Course: '' }], {
			columns: { student_email: 'student', mentor_email: 'MENTOR', training_id: 'course' },
		});
		expect(actions(out)).toEqual(['ivan.new@example.ru|*:created']);
		expect((await validNow(t, 'mapping'))[0]).toMatchObject({ student_email: 'ivan.new@example.ru', mentor_email: 'm@school.test', training_id: null });
	});

	it('writes one application_logs row per node run, saying what it did', async () => {
		const runs = (await t.db.pool.query(`SELECT source, level, message, context FROM application_logs ORDER BY id`)).rows;
		expect(runs.every((l) => l.source === 'getcourse-reference-data')).toBe(true);
		// the second sync of trainings: 2 valid rows applied, 2 rejected, continue-on-fail
		expect(runs.map((l) => l.message)).toContainEqual(
			expect.stringMatching(/^run partial in \d+ ms: created 2, versioned 0, closed 0, unchanged 0, rejected 2 — trainings: 2 invalid row\(s\)$/),
		);
		expect(runs.map((l) => l.message)).toContainEqual(expect.stringMatching(/^run error in \d+ ms: planned 1, unchanged 0, rejected 1 — trainings: 1 invalid row\(s\), nothing written$/));
	});

	it("a refusal of the database's guard comes back as a clear error", async () => {
		const t2 = t;
		await expect(
			withTransaction(t2.db, async (c) => {
				const stored = await loadStored(c, TABLES.trainings, new Date(0));
				const at = new Date('2030-01-01T00:00:00Z');
				// a hand-made plan that inserts a second row of a key valid now, without closing it
				await applyPlan(c, TABLES.trainings, {
					changes: [{ index: 0, key: '1', action: 'created', effectiveAt: at, old: null, new: null, changed: [] }],
					rejected: [],
					warnings: [],
					closes: [],
					inserts: [{ change: 0, values: { training_id: stored[0].values.training_id, name: 'x' }, from: at, to: null, toText: null }],
				});
			}),
		).rejects.toThrow(OverlapRefusedError);
	});
});

describe('Close', () => {
	let t: TestDb;
	beforeAll(async () => {
		t = await fresh('refclose');
		await sync(t, 'mentors', MENTORS);
		await sync(t, 'students', [{ user_id: '45678901', email: 'ivan@example.ru' }]);
		await sync(t, 'mapping', [
			{ student_email: 'ivan@example.ru', mentor_email: 'maria@school.test', training_id: '889900' },
			{ student_email: 'ivan@example.ru', mentor_email: 'petr@school.test', training_id: '' },
		]);
	});
	const closeOp = (t2: TestDb, params: Record<string, unknown>, items: IDataObject[] = [{}], continueOnFail = false) => node(t2)({ operation: 'close', ...params }, items, continueOnFail);

	it('ends a mentor, a student (by user id) and a mapping (per training) at a date', async () => {
		const at = new Date(Date.now() + 3600_000).toISOString();
		const m = await closeOp(t, { table: 'mentors', key: 'Petr@School.test', at });
		expect(m[0].json).toMatchObject({ table: 'mentors', key: 'petr@school.test', action: 'closed', effectiveAt: at });
		const s = await closeOp(t, { table: 'students', key: '45678901', at });
		expect(s[0].json).toMatchObject({ action: 'closed', key: '45678901' });
		const mp = await closeOp(t, { table: 'mapping', key: 'ivan@example.ru', trainingId: '889900', at });
		expect(mp[0].json).toMatchObject({ action: 'closed', key: 'ivan@example.ru|889900' });
		const rows = await t.db.pool.query(`SELECT training_id, valid_to FROM mapping ORDER BY id`);
		expect(rows.rows.map((r) => [r.training_id, r.valid_to.toISOString()])).toEqual([
			['889900', at],
			[null, expect.stringMatching(/^9999/)],
		]);
		// closing again: already ends then, so nothing to do
		const again = await closeOp(t, { table: 'mentors', key: 'petr@school.test', at: new Date(Date.now() + 7200_000).toISOString() });
		expect(again[0].json.action).toBe('unchanged');
	});

	it('an unknown key, or a time before the row starts, fails that item with its index', async () => {
		const unknown = await closeOp(t, { table: 'mentors', key: 'nobody@school.test' }, [{}, {}], true);
		expect(unknown.map((i) => [i.json.error, i.pairedItem])).toEqual([
			['Item 0: no mentors row for nobody@school.test', { item: 0 }],
			['Item 1: no mentors row for nobody@school.test', { item: 1 }],
		]);
		await expect(closeOp(t, { table: 'mentors', key: 'maria@school.test', at: '2001-01-01T00:00:00Z' })).rejects.toMatchObject({
			message: expect.stringMatching(/^Item 0: cannot close mentors row id \d+ at 2001-01-01T00:00:00.000Z: it starts at /),
			context: { itemIndex: 0 },
		});
		const bad = await closeOp(t, { table: 'mentors', key: 'not an email' }, [{}], true);
		expect(bad[0].json.error).toBe('Item 0: mentor email "not an email" is not an email address');
	});
});
});

describe('Assign Mentor', () => {
	let t: TestDb;
	const assign = (params: Record<string, unknown>, continueOnFail = true) => node(t)({ operation: 'assignMentor', timeZone: 'UTC', ...params }, [{}], continueOnFail);
	beforeAll(async () => {
		t = await fresh('refassign');
		await sync(t, 'mentors', MENTORS, { effectiveTime: 'date', effectiveDate: '2025-01-01T00:00:00', timeZone: 'UTC' });
		await sync(t, 'students', [{ user_id: '45678901', email: 'ivan@example.ru', first_name: 'Иван' }], { effectiveTime: 'date', effectiveDate: '2025-01-01T00:00:00', timeZone: 'UTC' });
	});

	it('refuses an unknown mentor or student, and writes nothing in a dry run', async () => {
		expect((await assign({ student: 'ivan@example.ru', mentor: 'ghost@school.test' }))[0].json.error).toMatch(/no mentor with email ghost@school\.test is valid at .*: add the mentor first/);
		expect((await assign({ student: '999', mentor: 'maria@school.test' }))[0].json.error).toMatch(/no student with GetCourse user id 999 is valid at/);
		const dry = await assign({ student: 'ivan@example.ru', mentor: 'maria@school.test', from: '2026-01-01T00:00:00', dryRun: true });
		expect(dry[0].json).toMatchObject({ action: 'created', dryRun: true, new: { id: null, mentor_email: 'maria@school.test', training_id: null } });
		expect(await rowsOf(t, 'mapping')).toEqual([]);
	});

	it('routes answers handed in before the change to the old mentor and after it to the new one', async () => {
		await assign({ student: 'ivan@example.ru', mentor: 'maria@school.test', from: '2026-01-01T00:00:00' }, false);
		await assign({ student: '45678901', mentor: 'petr@school.test', from: '2026-02-10T00:00:00' }, false);
		await t.db.pool.query(
			`INSERT INTO webhook_events (event_date, user_id, answer_id, answer_status, answer_training_id, idempotency_key)
			 VALUES ('2026-02-03T12:05:11Z', '45678901', '1', 'new', '889900', 'k1'), ('2026-02-15T09:00:00Z', '45678901', '2', 'new', '889900', 'k2')`,
		);
		const { resolved } = await withTransaction(t.db, (c) => resolveMentors(c, { batchSize: 10, leaseSeconds: 60, maxAttempts: 3 }));
		expect(resolved.map((r) => [r.answer.id, r.mentor.email])).toEqual([
			['1', 'maria@school.test'],
			['2', 'petr@school.test'],
		]);
	});
});
