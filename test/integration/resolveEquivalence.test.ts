import { closeAllPools } from '../../lib/db/pool';
import { CLAIM_AND_RESOLVE_SQL } from '../../lib/db/resolve';
import { createTestDb, type TestDb } from '../support/db';
import { REFERENCE_CLAIM_AND_RESOLVE_SQL } from '../support/resolveReference';

/**
 * Resolve Mentor's set-based statement (lib/db/resolve.ts) against the per-event formulation of
 * the same rules (test/support/resolveReference.ts), on random reference data full of the cases
 * the rules are about: rows valid then, now, later or never; overlapping rows (no overlap guard
 * here), emails in other cases and across a student's versions, trainings and lessons known or
 * not, departed mentors, mentors without telegram_id, stale answers. Each trial runs both
 * statements on the same data (each in a transaction rolled back) and requires the same rows.
 */
let t: TestDb;
const q = (sql: string, v: unknown[] = []) => t.db.pool.query(sql, v);

beforeAll(async () => {
	t = await createTestDb('resolve_equiv', true, 'skip');
});
afterAll(async () => {
	await t.drop();
	await closeAllPools();
});

function random(seed: number) {
	return (k: number) => {
		seed = (seed + 0x6d2b79f5) | 0;
		let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
		return ((x ^ (x >>> 14)) >>> 0) % k;
	};
}

// day offsets from now (whole days: far from the moment either statement runs)
const ANCHORS = [-2000, -400, -100, -30, -10, -1, 1, 30, null];
const at = (days: number | null) => (days === null ? '9999-12-31T00:00:00Z' : new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10) + 'T00:00:00Z');

/** Inserts rows given as objects, one statement per table. */
async function insert(table: string, columns: string, rows: Array<Record<string, unknown>>) {
	const names = columns
		.split(',')
		.map((c) => c.trim().split(' ')[0])
		.join(', ');
	await q(`INSERT INTO ${table} (${names}) SELECT ${names} FROM jsonb_to_recordset($1::jsonb) AS r(${columns})`, [JSON.stringify(rows)]);
}

async function seed(rnd: (k: number) => number) {
	for (const table of ['students', 'mentors', 'mapping', 'trainings', 'lessons', 'webhook_events']) await q(`DELETE FROM ${table}`);
	const pick = <T>(xs: T[]) => xs[rnd(xs.length)];
	const times = <T>(n: number, f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));
	const validity = () => {
		const a = rnd(ANCHORS.length - 1);
		const b = a + 1 + rnd(ANCHORS.length - 1 - a);
		return { valid_from: at(ANCHORS[a]), valid_to: at(ANCHORS[b]) };
	};
	const studentEmails = ['a@x.ru', 'A@X.ru', 'b@x.ru', 'c@x.ru', 'd@x.ru', 'ученица@почта.рф'];
	const mentorEmails = ['m1@s.ru', 'M1@S.ru', 'm2@s.ru', 'm3@s.ru', 'm4@s.ru'];
	const dated = 'valid_from timestamptz, valid_to timestamptz';
	await insert('students', `user_id text, email text, first_name text, last_name text, ${dated}`, times(14, () => ({
		user_id: pick(['u1', 'u2', 'u3', 'u4', 'u5', null]),
		email: pick(studentEmails),
		first_name: pick(['Иван', null]),
		last_name: pick(['Петров', null]),
		...validity(),
	})));
	await insert('mentors', `email text, first_name text, telegram_id bigint, telegram_topic_id integer, ${dated}`, times(8, (i) => ({
		email: pick(mentorEmails),
		first_name: pick(['Мария', null]),
		telegram_id: pick([100 + i, 200, null]),
		telegram_topic_id: pick([null, null, 45]),
		...validity(),
	})));
	await insert('mapping', `student_email text, mentor_email text, training_id text, ${dated}`, times(16, () => ({
		student_email: pick([...studentEmails, 'e@x.ru']),
		mentor_email: pick([...mentorEmails, 'ghost@s.ru']),
		training_id: pick([null, null, 't1', 't2', 't3']),
		...validity(),
	})));
	await insert('trainings', `training_id text, name text, ${dated}`, times(4, (i) => ({ training_id: pick(['t1', 't2']), name: `Поток ${i}`, ...validity() })));
	await insert('lessons', `lesson_id text, training_id text, name text, ${dated}`, times(6, (i) => ({
		lesson_id: pick(['l1', 'l2', 'l3']),
		training_id: pick(['t1', 't2', 't3', null]),
		name: `Урок ${i}`,
		...validity(),
	})));
	const now = Date.now();
	await insert(
		'webhook_events',
		'idempotency_key text, event_date timestamptz, user_id text, user_email text, answer_id text, answer_training_id text, answer_lesson_id text, ' +
			'answer_status text, event_kind text, comment_id text, training_name text, lesson_name text, processed boolean, attempts int, date_note text, created_at timestamptz',
		times(60, (i) => ({
			idempotency_key: `k${i}`,
			event_date: new Date(now + (pick([-1500, -300, -50, -20, -5, -2, 0]) - rnd(3) - rnd(24) / 24) * 86_400_000).toISOString(),
			user_id: pick(['u1', 'u2', 'u3', 'u6', '', '']),
			user_email: pick([...studentEmails.map((e) => e.toUpperCase()), ...studentEmails, 'e@x.ru', '', '']),
			answer_id: pick(['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8']),
			answer_training_id: pick([null, null, 't1', 't2', 't3']),
			answer_lesson_id: pick([null, 'l1', 'l2', 'l3', 'l4']),
			answer_status: 'new',
			event_kind: pick(['answer', 'answer', 'answer', 'comment']),
			comment_id: pick([null, 'c1']),
			training_name: pick([null, 'Поток из вызова']),
			lesson_name: pick([null, 'Урок из вызова']),
			processed: rnd(5) === 0,
			attempts: rnd(4),
			date_note: rnd(8) === 0 ? 'date not trusted' : null,
			created_at: new Date(now - pick([0, 3, 400]) * 86_400_000).toISOString(),
		})),
	);
}

/** Rows of one statement (in a transaction rolled back); the tie lists sorted (their order is not part of the result). */
async function rowsOf(sql: string): Promise<Array<Record<string, unknown>>> {
	const c = await t.db.pool.connect();
	try {
		await c.query('BEGIN');
		await c.query('SET LOCAL jit = off');
		const r = await c.query(sql, [1000, 300]);
		await c.query('ROLLBACK');
		const sorted = (v: unknown) => (Array.isArray(v) ? [...v].sort() : v);
		return r.rows.map((row) => ({ ...row, student_ids: sorted(row.student_ids), mapping_ids: sorted(row.mapping_ids), mentor_ids: sorted(row.mentor_ids) }));
	} finally {
		c.release();
	}
}

describe('the set-based claim-and-resolve statement', () => {
	it('gives the same rows as the per-event formulation on 40 random data sets', async () => {
		const problems = new Map<unknown, number>();
		let fallbacks = 0;
		let ties = 0;
		for (let trial = 0; trial < 40; trial++) {
			await seed(random(1000 + trial));
			const expected = await rowsOf(REFERENCE_CLAIM_AND_RESOLVE_SQL);
			const actual = await rowsOf(CLAIM_AND_RESOLVE_SQL);
			expect({ trial, rows: actual }).toEqual({ trial, rows: expected });
			for (const r of expected) {
				problems.set(r.stale ? 'stale' : r.problem, (problems.get(r.stale ? 'stale' : r.problem) ?? 0) + 1);
				if (r.student_at_date === false || r.mapping_at_date === false || r.mentor_now === false) fallbacks++;
				if ([r.student_ids, r.mapping_ids, r.mentor_ids].some((ids) => Array.isArray(ids) && ids.length > 1)) ties++;
			}
		}
		// the data reached every outcome the rules know
		expect([...problems.keys()].sort()).toEqual(
			['ambiguous_mentor', 'mentor_departed', 'mentor_no_telegram', 'mentor_unknown', 'no_mapping', 'stale', 'student_not_found', null].sort(),
		);
		expect(problems.get(null)).toBeGreaterThan(50);
		expect(fallbacks).toBeGreaterThan(20);
		expect(ties).toBeGreaterThan(20);
	});
});
