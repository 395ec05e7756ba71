import { planSync, type StoredRow } from '../../lib/reference/plan';
import { readSource } from '../../lib/reference/source';
import { TABLES, type RowValues, type TableDef } from '../../lib/reference/tables';

const NOW = new Date('2026-03-01T12:00:00Z');
const FOREVER = new Date('9999-12-31T00:00:00Z');
let nextId = 1;

function stored(values: RowValues, from = '2020-01-01T00:00:00Z', to?: string): StoredRow {
	const f = new Date(from);
	const t = to ? new Date(to) : FOREVER;
	return { id: String(nextId++), values, valid_from: f, valid_to: t, fromText: f.toISOString(), toText: t.toISOString() };
}

function plan(t: TableDef, rows: StoredRow[], records: Array<Record<string, unknown>>, o: { at?: Date; closeMissing?: boolean; effectiveColumn?: string } = {}) {
	const src = readSource(t, records, { timeZone: 'Europe/Moscow', effectiveColumn: o.effectiveColumn });
	return planSync(t, rows, src.rows, {
		now: NOW,
		defaultAt: o.at ?? NOW,
		closeMissing: Boolean(o.closeMissing),
		provided: src.provided,
		rejected: src.rejected,
	});
}

const mentor = (email: string, telegram_id: string | null = '1', first_name: string | null = 'M') => ({ email, first_name, last_name: null, telegram_id });

describe('reading source rows', () => {
	it("reads a mentor's telegram_id as a chat or a forum topic of a group (-100123:45), normalised", () => {
		const r = readSource(
			TABLES.mentors,
			[
				{ email: 'a@b.ru', telegram_id: '-100123:045' },
				{ email: 'c@b.ru', telegram_id: -100777 },
				{ email: 'd@b.ru', telegram_id: '-100123:0' },
				{ email: 'e@b.ru', telegram_id: '-100123:45:1' },
			],
			{ timeZone: 'UTC' },
		);
		expect(r.rows.map((x) => x.values.telegram_id)).toEqual(['-100123:45', '-100777']);
		expect(r.rejected.map((x) => x.index)).toEqual([2, 3]);
	});

	it('matches headers trimmed and case-insensitively, normalises values, and rejects bad rows with index and reason', () => {
		const r = readSource(
			TABLES.mentors,
			[
				{ ' EMAIL ': ' Maria@School.Test ', First_Name: ' Мария ', telegram_id: 100001, row_number: 2 },
				{ email: 'not-an-email', telegram_id: '1' },
				{ email: '', first_name: 'x' },
				{ email: 'a@b.ru', nickname: 'x' },
				{ email: 'a@b.ru', telegram_id: '12ab' },
				{ first_name: 'no email column' },
			],
			{ timeZone: 'UTC' },
		);
		expect(r.rows).toEqual([{ index: 0, values: { email: 'maria@school.test', first_name: 'Мария', last_name: null, telegram_id: '100001' }, effective: null }]);
		expect(r.rejected.map((x) => [x.index, x.reason])).toEqual([
			[1, 'email "not-an-email" is not an email address'],
			[2, 'email is empty'],
			[3, 'unknown column "nickname" (expected: email, first_name, last_name, telegram_id)'],
			[4, 'telegram_id "12ab" is not a Telegram chat id (a whole number, or a forum topic as -100123:45)'],
			[5, 'email is missing (no value in column "email")'],
		]);
		expect([...r.provided].sort()).toEqual(['email', 'first_name', 'telegram_id']);
	});

	it('uses a column mapping and a per-row effective time in the school time zone', () => {
		const r = readSource(TABLES.trainings, [{ ID: '889900', Title: 'Поток', From: '2026-02-10' }, { ID: '1', Title: 'x', From: 'soon' }], {
			timeZone: 'Europe/Moscow',
			columns: { training_id: 'id', name: 'title' },
			effectiveColumn: 'from',
		});
		expect(r.rows[0]).toEqual({ index: 0, values: { training_id: '889900', name: 'Поток', review_hours: null }, effective: new Date('2026-02-09T21:00:00Z') });
		expect(r.rejected[0].reason).toMatch(/effective time "soon" is not a date/);
	});
});

describe('planning a sync', () => {
	it('unchanged, versioned (closing at T, new version from T to the old end), created; nothing closed without closeMissing', () => {
		const rows = [stored(mentor('a@x.ru')), stored(mentor('b@x.ru', '2')), stored(mentor('gone@x.ru'))];
		const p = plan(TABLES.mentors, rows, [
			{ email: 'A@x.ru', first_name: 'M', telegram_id: '1' },
			{ email: 'b@x.ru', first_name: 'M', telegram_id: '3' },
			{ email: 'new@x.ru', first_name: 'N' },
		]);
		expect(p.changes.map((c) => `${c.key}:${c.action}:${c.changed.join('+')}`)).toEqual(['a@x.ru:unchanged:', 'b@x.ru:versioned:telegram_id', 'new@x.ru:created:']);
		expect(p.closes).toEqual([{ id: rows[1].id, at: NOW }]);
		expect(p.inserts.map((i) => [i.values.email, i.values.telegram_id, i.from, i.to])).toEqual([
			['b@x.ru', '3', NOW, null],
			['new@x.ru', null, NOW, null],
		]);
		expect(p.rejected).toEqual([]);
	});

	it('closes rows missing from the source only with closeMissing, and never when a source row was rejected or the source is empty', () => {
		const rows = [stored(mentor('a@x.ru')), stored(mentor('gone@x.ru'))];
		const closing = plan(TABLES.mentors, rows, [{ email: 'a@x.ru', first_name: 'M', telegram_id: '1' }], { closeMissing: true });
		expect(closing.changes.map((c) => `${c.key}:${c.action}:${c.index}`)).toEqual(['a@x.ru:unchanged:0', 'gone@x.ru:closed:null']);
		const withBad = plan(TABLES.mentors, rows, [{ email: 'a@x.ru', first_name: 'M', telegram_id: '1' }, { email: 'typo@' }], { closeMissing: true });
		expect(withBad.closes).toEqual([]);
		expect(withBad.warnings[0]).toMatch(/not closed because 1 source row\(s\) were rejected/);
		const empty = plan(TABLES.mentors, rows, [], { closeMissing: true });
		expect(empty.closes).toEqual([]);
		expect(empty.warnings[0]).toMatch(/no rows/);
	});

	it('a column the source does not carry keeps its stored value; a column it carries empty is cleared', () => {
		const rows = [stored(mentor('a@x.ru', '5', 'Old'))];
		const keep = plan(TABLES.mentors, rows, [{ email: 'a@x.ru', first_name: 'New' }]);
		expect(keep.inserts[0].values).toEqual({ email: 'a@x.ru', first_name: 'New', last_name: null, telegram_id: '5' });
		const clear = plan(TABLES.mentors, rows, [{ email: 'a@x.ru', first_name: 'Old', telegram_id: '' }]);
		expect(clear.changes[0]).toMatchObject({ action: 'versioned', changed: ['telegram_id'] });
	});

	it('refuses an effective time at or before the current row start, for that row only', () => {
		const rows = [stored(mentor('a@x.ru'), '2026-02-01T00:00:00Z'), stored(mentor('b@x.ru'))];
		const p = plan(
			TABLES.mentors,
			rows,
			[
				{ email: 'a@x.ru', telegram_id: '9', first_name: 'M' },
				{ email: 'b@x.ru', telegram_id: '9', first_name: 'M' },
			],
			{ at: new Date('2026-01-15T00:00:00Z') },
		);
		expect(p.rejected).toEqual([
			{ index: 0, key: 'a@x.ru', reason: expect.stringMatching(/effective time 2026-01-15T00:00:00.000Z is not after valid_from 2026-02-01T00:00:00.000Z of the current mentors row/) },
		]);
		expect(p.changes.map((c) => `${c.key}:${c.action}`)).toEqual(['b@x.ru:versioned']);
	});

	it('a future effective time is compared with the version planned for then: re-running it changes nothing', () => {
		const later = new Date('2026-04-01T00:00:00Z');
		const rows = [stored(mentor('a@x.ru', '1'), '2020-01-01T00:00:00Z', later.toISOString()), stored(mentor('a@x.ru', '2'), later.toISOString())];
		const p = plan(TABLES.mentors, rows, [{ email: 'a@x.ru', first_name: 'M', telegram_id: '2' }], { at: later });
		expect(p.changes.map((c) => c.action)).toEqual(['unchanged']);
	});

	it('a version planned between now and a later planned version ends where the later one starts', () => {
		const later = '2026-06-01T00:00:00Z';
		const rows = [stored(mentor('a@x.ru', '1'), '2020-01-01T00:00:00Z', later), stored(mentor('a@x.ru', '3'), later)];
		const p = plan(TABLES.mentors, rows, [{ email: 'a@x.ru', first_name: 'M', telegram_id: '2' }]);
		expect(p.inserts[0]).toMatchObject({ from: NOW, to: new Date(later), toText: new Date(later).toISOString() });
	});

	it('creating a key over a past effective time that an ended row still covers is refused with the time to use', () => {
		const rows = [stored(mentor('a@x.ru'), '2020-01-01T00:00:00Z', '2026-02-20T00:00:00Z')];
		const p = plan(TABLES.mentors, rows, [{ email: 'a@x.ru', first_name: 'M', telegram_id: '2' }], { at: new Date('2026-02-01T00:00:00Z') });
		expect(p.rejected[0].reason).toMatch(/would overlap mentors row id \d+ .*use an effective time on or after 2026-02-20T00:00:00.000Z/);
		expect(p.inserts).toEqual([]);
	});

	it('rejects the later of two source rows with one key', () => {
		const p = plan(TABLES.mentors, [], [{ email: 'a@x.ru' }, { email: 'A@X.RU ', first_name: 'dup' }]);
		expect(p.changes.map((c) => c.action)).toEqual(['created']);
		expect(p.rejected).toEqual([{ index: 1, key: 'a@x.ru', reason: 'same key as item 0 of the source (a@x.ru)' }]);
	});

	it('rows of a key that already overlap are left alone and named', () => {
		const rows = [stored(mentor('a@x.ru', '1')), stored(mentor('a@x.ru', '2'), '2024-01-01T00:00:00Z')];
		const p = plan(TABLES.mentors, rows, [{ email: 'a@x.ru', telegram_id: '3' }]);
		expect(p.rejected[0].reason).toMatch(/2 mentors rows of key a@x\.ru are valid at .* \(ids \d+, \d+\): fix the overlap first/);
	});

	describe('students', () => {
		const student = (user_id: string | null, email: string, first_name = 'S') => ({ user_id, email, first_name, last_name: null });

		it('are matched by GetCourse user id, so an email change is a new version of the same student', () => {
			const rows = [stored(student('100', 'old@x.ru'))];
			const p = plan(TABLES.students, rows, [{ user_id: '100', email: 'new@x.ru', first_name: 'S' }]);
			expect(p.changes.map((c) => `${c.key}:${c.action}:${c.changed}`)).toEqual(['100:versioned:email']);
		});

		it('a student known by email only gets the user id as a new version; an empty user id keeps the known one', () => {
			const rows = [stored(student(null, 'a@x.ru')), stored(student('200', 'b@x.ru'))];
			const p = plan(TABLES.students, rows, [
				{ user_id: '100', email: 'a@x.ru', first_name: 'S' },
				{ user_id: '', email: 'b@x.ru', first_name: 'S' },
			]);
			expect(p.changes.map((c) => `${c.key}:${c.action}:${c.changed}`)).toEqual(['100:versioned:user_id', '200:unchanged:']);
		});

		it('an email taken by another student valid then is refused, unless that student moves away in the same sync', () => {
			const rows = [stored(student('1', 'a@x.ru')), stored(student('2', 'b@x.ru'))];
			const clash = plan(TABLES.students, rows, [{ user_id: '1', email: 'b@x.ru', first_name: 'S' }]);
			expect(clash.rejected[0]).toMatchObject({ index: 0, reason: expect.stringMatching(/would overlap students row id \d+ \(b@x\.ru/) });
			const swap = plan(TABLES.students, rows, [
				{ user_id: '1', email: 'b@x.ru', first_name: 'S' },
				{ user_id: '2', email: 'a@x.ru', first_name: 'S' },
			]);
			expect(swap.rejected).toEqual([]);
			expect(swap.changes.map((c) => c.action)).toEqual(['versioned', 'versioned']);
		});

		it('two source rows with one user id or one email: the later is rejected', () => {
			const p = plan(TABLES.students, [], [
				{ user_id: '1', email: 'a@x.ru' },
				{ user_id: '1', email: 'b@x.ru' },
				{ user_id: '2', email: 'A@x.ru' },
			]);
			expect(p.rejected.map((r) => r.index)).toEqual([1, 2]);
		});
	});

	it('mapping: the key is student + training, an empty training is every training', () => {
		const rows = [stored({ student_email: 'a@x.ru', mentor_email: 'm1@x.ru', training_id: null }), stored({ student_email: 'a@x.ru', mentor_email: 'm1@x.ru', training_id: '10' })];
		const p = plan(TABLES.mapping, rows, [
			{ student_email: 'A@x.ru', mentor_email: 'm2@x.ru', training_id: '' },
			{ student_email: 'a@x.ru', mentor_email: 'm1@x.ru', training_id: '10' },
		]);
		expect(p.changes.map((c) => `${c.key}:${c.action}`)).toEqual(['a@x.ru|*:versioned', 'a@x.ru|10:unchanged']);
	});
});
