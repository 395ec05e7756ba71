import { withTransaction, type Db } from '../db/pool';
import type { Queryable } from '../db/types';
import { quoteIdentifier } from '../identifiers';
import { findStudentEmail, readEmail, readTrainingId, ReferenceInputError } from './lookup';
import { displayKey, type Change } from './plan';
import { applyPlan, loadStored, lockReferenceTable, transactionNow } from './store';
import { readField, tableDef, type TableDef } from './tables';

export interface CloseInput {
	table: string;
	/** mentors: email; students: email or GetCourse user id; trainings/lessons: the id; mapping: the student's email or user id. */
	key: unknown;
	/** mapping only: the training (empty: the all-trainings mapping). */
	trainingId?: unknown;
	/** When the row stops being valid (default now). */
	at?: Date | null;
	dryRun?: boolean;
}

const iso = (d: Date) => d.toISOString();

/** SQL filter and parameters that find the rows of one key ($1 is taken by loadStored). */
async function keyFilter(c: Queryable, t: TableDef, input: CloseInput, reference: Date): Promise<{ where: string; params: unknown[]; label: string }> {
	const raw = String(input.key ?? '').trim();
	switch (t.name) {
		case 'mentors': {
			const email = readEmail(raw, 'mentor email');
			return { where: 'lower(email) = $2', params: [email], label: email };
		}
		case 'students':
			if (raw.includes('@')) {
				const email = readEmail(raw, 'student email');
				return { where: 'lower(email) = $2', params: [email], label: email };
			}
			if (!raw) throw new ReferenceInputError('student is empty: give an email or a GetCourse user id');
			return { where: 'user_id = $2', params: [raw], label: `user_id ${raw}` };
		case 'mapping': {
			const student = raw.includes('@') ? readEmail(raw, 'student email') : await findStudentEmail(c, raw, reference);
			const training = readTrainingId(input.trainingId);
			return {
				where: `lower(student_email) = $2 AND coalesce(training_id, '') = $3`,
				params: [student, training ?? ''],
				label: `${student} in ${training ? `training ${training}` : 'every training'}`,
			};
		}
		default: {
			const field = t.keyFields[0];
			const r = readField(t.fields.find((f) => f.name === field)!, raw);
			if ('error' in r) throw new ReferenceInputError(r.error);
			return { where: `${quoteIdentifier(field, 'column name')} = $2`, params: [r.value], label: `${field} ${r.value}` };
		}
	}
}

/**
 * Close: the row of a key valid at `at` (or now, for a past `at`) ends at `at`. A key whose
 * rows have all ended already is "unchanged"; an unknown key is an error.
 */
export async function closeReference(c: Queryable, input: CloseInput): Promise<Change> {
	const t = tableDef(input.table);
	if (!input.dryRun) await lockReferenceTable(c, t);
	const now = await transactionNow(c);
	const at = input.at ?? now;
	const reference = at > now ? at : now;
	const k = await keyFilter(c, t, input, reference);
	const rows = await loadStored(c, t, new Date(0), k.where, k.params);
	if (!rows.length) throw new ReferenceInputError(`no ${t.name} row for ${k.label}`);
	const valid = rows.filter((r) => r.valid_from <= reference && reference < r.valid_to);
	if (valid.length > 1) {
		throw new ReferenceInputError(`${valid.length} ${t.name} rows for ${k.label} are valid at once (ids ${valid.map((r) => r.id).join(', ')}): fix the overlap first (getcourse-bot check)`);
	}
	const last = rows[rows.length - 1];
	if (!valid.length) {
		return { index: 0, key: displayKey(t, last.values), action: 'unchanged', effectiveAt: at, old: null, new: null, changed: [] };
	}
	const row = valid[0];
	if (at <= row.valid_from) {
		throw new ReferenceInputError(`cannot close ${t.name} row id ${row.id} at ${iso(at)}: it starts at ${iso(row.valid_from)}; choose a later time`);
	}
	const old = { id: row.id, values: row.values, valid_from: row.valid_from, valid_to: row.valid_to.getUTCFullYear() >= 9999 ? null : row.valid_to };
	const change: Change = { index: 0, key: displayKey(t, row.values), action: 'closed', effectiveAt: at, old, new: null, changed: [] };
	if (!input.dryRun) await applyPlan(c, t, { changes: [change], rejected: [], warnings: [], closes: [{ id: row.id, at }], inserts: [] });
	return change;
}

/**
 * Mappings that still send students to a mentor after `at` (SPEC §9): once the mentor is closed,
 * their students' answers are reported "m@x left on DATE" until each student gets a new mentor.
 */
export async function openMappingsOf(c: Queryable, mentorEmail: string, at: Date): Promise<Array<{ id: string; student_email: string; training_id: string | null }>> {
	const r = await c.query<{ id: string; student_email: string; training_id: string | null }>(
		`SELECT id::text AS id, student_email, training_id FROM mapping
		  WHERE lower(mentor_email) = lower($1) AND valid_to > $2
		  ORDER BY lower(student_email), training_id NULLS FIRST, id`,
		[mentorEmail, at],
	);
	return r.rows;
}

/** The warning a Close (node, import) gives when a mentor it closes is still named by mappings. */
export function openMappingsWarning(mentorEmail: string, mappings: Array<{ student_email: string; training_id: string | null }>): string {
	const shown = mappings.slice(0, 10).map((m) => `${m.student_email} (${m.training_id ? `training ${m.training_id}` : 'every training'})`);
	const more = mappings.length > 10 ? `, and ${mappings.length - 10} more` : '';
	return (
		`mentor ${mentorEmail} is closed, but ${mappings.length} mapping(s) still send students to them: ${shown.join(', ')}${more}. ` +
		`Their answers will be reported as "${mentorEmail} left": assign each student a new mentor (Reference Data → Assign Mentor, or "getcourse-bot import mapping")`
	);
}

/** Close in a transaction of its own; closing a mentor warns about mappings still open to them. */
export function closeReferenceIn(db: Db, input: CloseInput): Promise<{ change: Change; warnings: string[] }> {
	return withTransaction(db, async (c) => {
		const change = await closeReference(c, input);
		const warnings: string[] = [];
		if (change.action === 'closed' && tableDef(input.table).name === 'mentors') {
			const email = String(change.old?.values.email ?? '');
			const open = await openMappingsOf(c, email, change.effectiveAt);
			if (open.length) warnings.push(openMappingsWarning(email, open));
		}
		return { change, warnings };
	});
}
