import type { Queryable } from './types';

export interface ResolveOptions {
	batchSize: number;
	/** How long claimed events stay reserved for the Create Notification step. */
	leaseSeconds: number;
	/** Resolution attempts before an event is given up (processed with its error). */
	maxAttempts: number;
	/** Wait before an unresolved event is tried again (reference data may be added meanwhile). */
	retryDelaySeconds: number;
}

export interface ResolvedRow {
	event_id: string;
	idempotency_key: string;
	event_date: Date;
	event_type: string | null;
	user_id: string;
	user_email: string;
	answer_id: string;
	answer_status: string | null;
	answer_text: string | null;
	answer_training_id: string | null;
	answer_lesson_id: string | null;
	attempts: number;
	student_id: string | null;
	student_email: string | null;
	student_first_name: string | null;
	student_last_name: string | null;
	mapping_id: string | null;
	mentor_id: string | null;
	mentor_email: string | null;
	mentor_first_name: string | null;
	mentor_last_name: string | null;
	mentor_telegram_id: string | null;
	training_name: string | null;
	lesson_name: string | null;
	problem: string | null;
}

/**
 * Claims unprocessed events (FOR UPDATE SKIP LOCKED, so parallel executions never take the
 * same one) and resolves every one of them in the same statement: student, mapping, mentor,
 * training and lesson as they were valid at the event's date. Validity is half-open:
 * valid_from <= date < valid_to.
 */
export const CLAIM_AND_RESOLVE_SQL = `
WITH claimed AS (
  UPDATE webhook_events w
     SET locked_until = NOW() + make_interval(secs => $2::int), attempts = w.attempts + 1
   WHERE w.id IN (
         SELECT id FROM webhook_events
          WHERE processed = FALSE AND (locked_until IS NULL OR locked_until < NOW())
          ORDER BY id
          LIMIT $1::int
          FOR UPDATE SKIP LOCKED)
  RETURNING w.id, w.idempotency_key, w.event_date, w.event_type, w.user_id, w.user_email, w.answer_id, w.answer_status,
            w.answer_text, w.answer_training_id, w.answer_lesson_id, w.attempts, w.training_name, w.lesson_name
)
SELECT c.id::text AS event_id, c.idempotency_key, c.event_date, c.event_type, c.user_id, c.user_email, c.answer_id,
       c.answer_status, c.answer_text, c.answer_training_id, c.answer_lesson_id, c.attempts,
       st.id::text AS student_id, st.email AS student_email, st.first_name AS student_first_name, st.last_name AS student_last_name,
       mp.id::text AS mapping_id,
       me.id::text AS mentor_id, me.email AS mentor_email, me.first_name AS mentor_first_name, me.last_name AS mentor_last_name,
       me.telegram_id::text AS mentor_telegram_id,
       COALESCE(tr.name, c.training_name) AS training_name,
       COALESCE(le.name, c.lesson_name) AS lesson_name,
       CASE
         WHEN st.id IS NULL THEN
           format('student not found: no student with GetCourse user id %s%s valid at %s',
                  c.user_id, CASE WHEN c.user_email <> '' THEN ' or email ' || c.user_email ELSE '' END, c.event_date)
         WHEN c.answer_training_id IS NOT NULL AND tr.id IS NULL THEN
           format('unknown training %s: no trainings row valid at %s', c.answer_training_id, c.event_date)
         WHEN mp.id IS NULL THEN
           format('no mentor mapped to student %s%s at %s', st.email,
                  CASE WHEN c.answer_training_id IS NOT NULL THEN ' in training ' || c.answer_training_id ELSE '' END, c.event_date)
         WHEN me.id IS NULL THEN
           format('mentor %s of the mapping is not in mentors (valid at %s)', mp.mentor_email, c.event_date)
         WHEN me.telegram_id IS NULL THEN
           format('mentor %s has no telegram_id', me.email)
       END AS problem
  FROM claimed c
  -- by GetCourse user id first, else by email: two index lookups (an OR would defeat both indexes)
  LEFT JOIN LATERAL (
        SELECT s.* FROM students s
         WHERE s.user_id = c.user_id AND s.valid_from <= c.event_date AND c.event_date < s.valid_to
         ORDER BY s.valid_from DESC LIMIT 1) st_id ON TRUE
  LEFT JOIN LATERAL (
        SELECT s.* FROM students s
         WHERE st_id.id IS NULL AND c.user_email <> '' AND lower(s.email) = lower(c.user_email)
           AND s.valid_from <= c.event_date AND c.event_date < s.valid_to
         ORDER BY s.valid_from DESC LIMIT 1) st_em ON TRUE
  CROSS JOIN LATERAL (SELECT COALESCE(st_id.id, st_em.id) AS id, COALESCE(st_id.email, st_em.email) AS email,
                             COALESCE(st_id.first_name, st_em.first_name) AS first_name,
                             COALESCE(st_id.last_name, st_em.last_name) AS last_name) st
  LEFT JOIN LATERAL (
        SELECT t.* FROM trainings t
         WHERE t.training_id = c.answer_training_id AND t.valid_from <= c.event_date AND c.event_date < t.valid_to
         ORDER BY t.valid_from DESC LIMIT 1) tr ON TRUE
  LEFT JOIN LATERAL (
        SELECT l.* FROM lessons l
         WHERE l.lesson_id = c.answer_lesson_id AND l.valid_from <= c.event_date AND c.event_date < l.valid_to
         ORDER BY l.valid_from DESC LIMIT 1) le ON TRUE
  LEFT JOIN LATERAL (
        SELECT m.* FROM mapping m
         WHERE lower(m.student_email) = lower(st.email)
           AND (m.training_id = c.answer_training_id OR m.training_id IS NULL)
           AND m.valid_from <= c.event_date AND c.event_date < m.valid_to
         ORDER BY (m.training_id IS NULL), m.valid_from DESC LIMIT 1) mp ON TRUE
  LEFT JOIN LATERAL (
        SELECT x.* FROM mentors x
         WHERE lower(x.email) = lower(mp.mentor_email) AND x.valid_from <= c.event_date AND c.event_date < x.valid_to
         ORDER BY x.valid_from DESC LIMIT 1) me ON TRUE
 ORDER BY c.id`;

/**
 * Records the outcome of a resolution batch in one statement: unresolved events get their
 * error (and are retried after a delay until maxAttempts, then given up); resolved events
 * get the student's email when the webhook carried none. Problems go to error_logs.
 */
export async function recordResolution(q: Queryable, rows: ResolvedRow[], opts: ResolveOptions, logSource: string): Promise<void> {
	if (!rows.length) return;
	await q.query(
		`WITH input AS (
		   SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[]) AS t(id, problem, student_email)
		 ),
		 updated AS (
		   UPDATE webhook_events w
		      SET error_message = i.problem,
		          user_email = CASE WHEN w.user_email = '' AND i.student_email IS NOT NULL THEN lower(i.student_email) ELSE w.user_email END,
		          processed = CASE WHEN i.problem IS NOT NULL AND w.attempts >= $4::int THEN TRUE ELSE w.processed END,
		          processed_at = CASE WHEN i.problem IS NOT NULL AND w.attempts >= $4::int THEN NOW() ELSE w.processed_at END,
		          locked_until = CASE WHEN i.problem IS NOT NULL AND w.attempts < $4::int
		                              THEN NOW() + make_interval(secs => $5::int) ELSE w.locked_until END
		     FROM input i WHERE w.id = i.id
		   RETURNING w.id, w.attempts, w.processed, i.problem
		 )
		 INSERT INTO error_logs (level, source, message, context)
		 SELECT CASE WHEN processed THEN 'error' ELSE 'warning' END, $6, problem,
		        jsonb_build_object('webhook_event_id', id, 'attempts', attempts, 'given_up', processed)
		   FROM updated WHERE problem IS NOT NULL`,
		[rows.map((r) => r.event_id), rows.map((r) => r.problem), rows.map((r) => r.student_email), opts.maxAttempts, opts.retryDelaySeconds, logSource],
	);
}

export async function claimAndResolve(q: Queryable, opts: ResolveOptions, logSource: string): Promise<ResolvedRow[]> {
	const res = await q.query<ResolvedRow>(CLAIM_AND_RESOLVE_SQL, [opts.batchSize, opts.leaseSeconds]);
	await recordResolution(q, res.rows, opts, logSource);
	return res.rows;
}
