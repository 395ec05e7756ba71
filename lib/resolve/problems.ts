import type { ProblemCode, ResolvedRow } from '../db/resolve';

/** What went wrong with one event and what staff do about it, in words for a staff alert. */
export function describeProblem(code: ProblemCode, r: ResolvedRow): { message: string; fix: string } {
	const training = r.training_id ? ` in training ${r.training_id}` : '';
	switch (code) {
		case 'student_not_found': {
			const who = `GetCourse user id ${r.user_id}${r.user_email ? ` or email ${r.user_email}` : ''}`;
			return {
				message: `student not found: no student with ${who}`,
				fix: `add the student (${who}) to students: GetCourse Reference Data → Sync Versions (students), or "getcourse-bot import students file.csv"`,
			};
		}
		case 'no_mapping':
			return {
				message: `no mentor mapped to student ${r.student_email}${training}`,
				fix: `assign a mentor: GetCourse Reference Data → Assign Mentor, or "getcourse-bot import mapping file.csv"`,
			};
		case 'mentor_unknown':
			return {
				message: `mentor ${r.mapping_mentor_email} of the mapping is not in mentors`,
				fix: `add mentor ${r.mapping_mentor_email} to mentors: GetCourse Reference Data → Sync Versions (mentors)`,
			};
		case 'mentor_no_telegram':
			return {
				message: `mentor ${r.mentor_email} has no telegram_id`,
				fix: `set the telegram_id of mentor ${r.mentor_email} (a new version: GetCourse Reference Data → Sync Versions, mentors); the mentor opens the bot and presses Start, the chat id is the telegram_id`,
			};
	}
}

/** Fallbacks (rows valid now used for lack of rows valid at the event date) and overlaps, as notes. */
export function resolutionNotes(r: ResolvedRow): { fallbacks: string[]; overlaps: string[] } {
	const fallbacks: string[] = [];
	const overlaps: string[] = [];
	if (r.student_id && r.student_at_date === false) fallbacks.push('student: no row valid at the event date, the row valid now was used');
	if (r.mapping_id && r.mapping_at_date === false) fallbacks.push('mapping: no row valid at the event date, the row valid now was used');
	if (r.mentor_id && r.mentor_now === false) fallbacks.push('mentor: no row valid now, the row valid at the event date was used');
	if (r.training_at_date === false) fallbacks.push('training: no row valid at the event date, the row valid now was used');
	if (r.lesson_at_date === false) fallbacks.push('lesson: no row valid at the event date, the row valid now was used');
	const tie = (table: string, ids: string[] | null, used: string | null, when: string) => {
		if (ids && ids.length > 1) {
			overlaps.push(`${table}: rows ${[...ids].sort((a, b) => Number(a) - Number(b)).join(', ')} are valid ${when} at once; used ${used} (latest valid_from, then highest id)`);
		}
	};
	tie('students', r.student_ids, r.student_id, r.student_at_date ? 'at the event date' : 'now');
	tie('mapping', r.mapping_ids, r.mapping_id, r.mapping_at_date ? 'at the event date' : 'now');
	tie('mentors', r.mentor_ids, r.mentor_id, r.mentor_now ? 'now' : 'at the event date');
	return { fallbacks, overlaps };
}
