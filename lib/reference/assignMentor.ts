import { withTransaction, type Db } from '../db/pool';
import type { Queryable } from '../db/types';
import { assertMentorValid, findStudentEmail, readEmail, readTrainingId, ReferenceInputError } from './lookup';
import { planSync, type Change } from './plan';
import { applyPlan, loadStored, lockReferenceTable, transactionNow } from './store';
import { TABLES } from './tables';

export interface AssignMentorInput {
	/** The student's email or GetCourse user id. */
	student: unknown;
	mentor: unknown;
	/** A training id; empty for every training of the student. */
	trainingId?: unknown;
	/** From when the new mentor looks after the student (default now). */
	from?: Date | null;
	dryRun?: boolean;
}

/**
 * Assign Mentor: from `from` on, the student's answers (in that training, or in all) go to the
 * mentor. The mapping valid then is closed at that instant and the new one opened at the same
 * instant: no overlap, no gap. Assigning the mentor already assigned changes nothing.
 */
export async function assignMentor(c: Queryable, input: AssignMentorInput): Promise<Change> {
	const t = TABLES.mapping;
	const mentorEmail = readEmail(input.mentor, 'mentor');
	const trainingId = readTrainingId(input.trainingId);
	if (!input.dryRun) await lockReferenceTable(c, t);
	const now = await transactionNow(c);
	const at = input.from ?? now;
	const reference = at > now ? at : now;
	const studentEmail = await findStudentEmail(c, input.student, reference);
	await assertMentorValid(c, mentorEmail, reference);
	const stored = await loadStored(c, t, at < now ? at : now, `lower(student_email) = $2`, [studentEmail]);
	const values = { student_email: studentEmail, mentor_email: mentorEmail, training_id: trainingId };
	const plan = planSync(t, stored, [{ index: 0, values, effective: at }], {
		now,
		defaultAt: at,
		closeMissing: false,
		provided: new Set(t.fields.map((f) => f.name)),
		rejected: [],
	});
	if (plan.rejected.length) throw new ReferenceInputError(`cannot assign ${mentorEmail} to ${studentEmail}: ${plan.rejected[0].reason}`);
	if (!input.dryRun) await applyPlan(c, t, plan);
	return plan.changes[0];
}

export function assignMentorIn(db: Db, input: AssignMentorInput): Promise<Change> {
	return withTransaction(db, (c) => assignMentor(c, input));
}
