import { findOverlaps, findReversedRanges, type OverlapRow, type ReversedRow } from '../db/overlapGuards';
import type { Queryable } from '../db/types';

/** What `getcourse-bot check` finds wrong with the reference data. */
export interface CheckReport {
	/** Two rows of one key valid at the same instant. */
	overlaps: OverlapRow[];
	/** Rows that end before they start (valid_from after valid_to): their table's overlap guard stays off. */
	reversedRanges: ReversedRow[];
	/** Emails stored with spaces around them or a punycode (xn--) domain: they do not match what GetCourse sends; import writes the usual form. */
	unusualEmails: Array<{ table: string; column: string; id: string; email: string }>;
	/** Mentors valid now who cannot be reached. */
	mentorsWithoutTelegram: Array<{ id: string; email: string; first_name: string | null; last_name: string | null }>;
	/** Mappings valid now whose mentor or student has no row valid now. */
	mappingsToUnknown: Array<{ id: string; student_email: string; mentor_email: string; training_id: string | null; unknown_mentor: boolean; unknown_student: boolean }>;
	/** Students with waiting events (processed = false) and no mapping valid now for that training. */
	waitingWithoutMapping: Array<{ user_id: string; email: string | null; training_id: string | null; waiting_events: number; first_event: Date; unknown_student: boolean }>;
	/** How many findings in all: 0 means clean. */
	problems: number;
}

const VALID_NOW = (a: string) => `${a}.valid_from <= now() AND now() < ${a}.valid_to`;

/** Emails as a hand edit may leave them: spaces around, or the domain in punycode (import writes Unicode, see lib/email.ts). */
const EMAIL_COLUMNS: Array<[string, string]> = [
	['mentors', 'email'],
	['students', 'email'],
	['mapping', 'student_email'],
	['mapping', 'mentor_email'],
];

/** A domain label in punycode: "@xn--…" or ".xn--…" after the @. */
const PUNYCODE_DOMAIN = '@([^@]*[.])?xn--';

export async function checkReferenceData(c: Queryable): Promise<CheckReport> {
	const overlaps = await findOverlaps(c);
	const reversedRanges = await findReversedRanges(c);
	const emails = await c.query<CheckReport['unusualEmails'][number]>(
		EMAIL_COLUMNS.map(
			([table, column]) =>
				`(SELECT '${table}' AS table, '${column}' AS column, id::text AS id, ${column} AS email FROM ${table}
				   WHERE ${VALID_NOW(table)} AND (${column} <> btrim(${column}) OR ${column} ~* $1) ORDER BY id LIMIT 1000)`,
		).join(' UNION ALL '),
		[PUNYCODE_DOMAIN],
	);
	const mentors = await c.query<CheckReport['mentorsWithoutTelegram'][number]>(
		`SELECT m.id::text AS id, m.email, m.first_name, m.last_name FROM mentors m
		  WHERE ${VALID_NOW('m')} AND m.telegram_id IS NULL ORDER BY lower(m.email), m.id`,
	);
	// A mapping's student is known by an email valid now, or by any email of a student (same
	// GetCourse user id) who has a row valid now: the mapping follows the student.
	const mappings = await c.query<CheckReport['mappingsToUnknown'][number]>(
		`SELECT * FROM (
		   SELECT m.id::text AS id, m.student_email, m.mentor_email, m.training_id,
		          NOT EXISTS (SELECT 1 FROM mentors x WHERE lower(x.email) = lower(m.mentor_email) AND ${VALID_NOW('x')}) AS unknown_mentor,
		          NOT EXISTS (SELECT 1 FROM students s WHERE lower(s.email) = lower(m.student_email) AND ${VALID_NOW('s')})
		          AND NOT EXISTS (SELECT 1 FROM students old JOIN students cur ON cur.user_id = old.user_id AND ${VALID_NOW('cur')}
		                           WHERE lower(old.email) = lower(m.student_email)) AS unknown_student
		     FROM mapping m WHERE ${VALID_NOW('m')}) x
		  WHERE unknown_mentor OR unknown_student
		  ORDER BY lower(student_email), training_id NULLS FIRST, id`,
	);
	const waiting = await c.query<CheckReport['waitingWithoutMapping'][number]>(
		`WITH waiting AS (
		   SELECT w.user_id, lower(nullif(trim(w.user_email), '')) AS email, w.answer_training_id AS training_id,
		          count(*)::int AS waiting_events, min(w.event_date) AS first_event
		     FROM webhook_events w WHERE w.processed = FALSE
		    GROUP BY 1, 2, 3
		 ), who AS (
		   SELECT wt.*, st.id AS student_id, st.user_id AS student_user_id, lower(st.email) AS student_email
		     FROM waiting wt
		     LEFT JOIN LATERAL (
		          SELECT s.id, s.user_id, s.email FROM students s
		           WHERE (s.user_id = wt.user_id OR (wt.email IS NOT NULL AND lower(s.email) = wt.email)) AND ${VALID_NOW('s')}
		           ORDER BY (s.user_id = wt.user_id) DESC NULLS LAST, s.valid_from DESC, s.id DESC LIMIT 1) st ON TRUE
		 )
		 SELECT who.user_id, coalesce(who.student_email, who.email) AS email, who.training_id, who.waiting_events, who.first_event,
		        who.student_id IS NULL AS unknown_student
		   FROM who
		  WHERE NOT EXISTS (
		        SELECT 1 FROM mapping m
		         WHERE ${VALID_NOW('m')}
		           AND (m.training_id = who.training_id OR m.training_id IS NULL)
		           AND lower(m.student_email) IN (
		               SELECT lower(s2.email) FROM students s2 WHERE s2.user_id = who.student_user_id
		               UNION ALL SELECT who.student_email
		               UNION ALL SELECT who.email))
		  ORDER BY who.user_id, 2, who.training_id NULLS FIRST`,
	);
	const report: CheckReport = {
		overlaps,
		reversedRanges,
		unusualEmails: emails.rows,
		mentorsWithoutTelegram: mentors.rows,
		mappingsToUnknown: mappings.rows,
		waitingWithoutMapping: waiting.rows,
		problems: 0,
	};
	report.problems = overlaps.length + reversedRanges.length + emails.rows.length + mentors.rows.length + mappings.rows.length + waiting.rows.length;
	return report;
}
