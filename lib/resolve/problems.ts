import type { ProblemCode, ResolvedRow } from '../db/resolve';

const day = (d: Date | null) => (d ? new Date(d).toISOString().slice(0, 10) : 'an unknown date');

/**
 * What went wrong with one event and what to do about it, for error_message, error_logs and the
 * Unresolved output (the staff alert says the same in Russian: lib/notify/staffTexts.ts).
 */
export function describeProblem(code: ProblemCode, r: ResolvedRow): { message: string; fix: string } {
	const training = r.training_id ? ` in training ${r.training_id}` : '';
	switch (code) {
		case 'student_not_found': {
			const who = [r.user_id && `GetCourse user id ${r.user_id}`, r.user_email && `email ${r.user_email}`].filter(Boolean).join(' or ');
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
		case 'ambiguous_mentor': {
			const lesson = r.answer_lesson_id ? ` and lesson ${r.answer_lesson_id} is not in lessons` : '';
			return {
				message: `ambiguous mentor: student ${r.student_email} has ${r.mentor_candidates?.length} mentors at the event date (${r.mentor_candidates?.join(', ')}) and the event names no training${lesson}`,
				fix:
					`send the training id with the call (answer_training_id={object.training_id} in the "Вызвать URL" address)` +
					(r.answer_lesson_id ? `, or add lesson ${r.answer_lesson_id} with its training_id to lessons` : '') +
					`; then "getcourse-bot retry --event ${r.event_id}"`,
			};
		}
		case 'mentor_departed':
			return {
				message: `${r.mapping_mentor_email} left on ${day(r.mentor_left_at)}: assign the student a new mentor`,
				fix: `assign student ${r.student_email} a new mentor${training}: GetCourse Reference Data → Assign Mentor, or "getcourse-bot import mapping file.csv"; then "getcourse-bot retry --event ${r.event_id}"`,
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
