import { queryNamed } from './prepared';
import type { Queryable } from './types';

/** Why an event could not be routed; the message and the fix are written by lib/resolve/problems.ts. */
export type ProblemCode = 'student_not_found' | 'no_mapping' | 'ambiguous_mentor' | 'mentor_departed' | 'mentor_unknown' | 'mentor_no_telegram';

export interface ResolvedRow {
	event_id: string;
	idempotency_key: string;
	event_date: Date;
	event_type: string | null;
	event_kind: 'answer' | 'comment';
	comment_id: string | null;
	is_resubmission: boolean;
	user_id: string;
	user_email: string;
	answer_id: string;
	answer_status: string | null;
	answer_text: string | null;
	answer_training_id: string | null;
	answer_lesson_id: string | null;
	attempts: number;
	/** It arrived after a later-dated event of the same answer: stale, it notifies nobody. */
	stale: boolean;
	student_id: string | null;
	student_user_id: string | null;
	student_email: string | null;
	student_first_name: string | null;
	student_last_name: string | null;
	student_at_date: boolean | null;
	student_ids: string[] | null;
	training_id: string | null;
	mapping_id: string | null;
	mapping_training_id: string | null;
	mapping_mentor_email: string | null;
	mapping_at_date: boolean | null;
	mapping_ids: string[] | null;
	/** The event names no training: every mentor the student has (by mapping) at that date; more than one is ambiguous. */
	mentor_candidates: string[] | null;
	mentor_id: string | null;
	mentor_email: string | null;
	mentor_first_name: string | null;
	mentor_last_name: string | null;
	mentor_telegram_id: string | null;
	mentor_now: boolean | null;
	mentor_ids: string[] | null;
	/** The mapped mentor has no row valid now nor at the event date, only closed ones: when the last one ended. */
	mentor_left_at: Date | null;
	training_name: string | null;
	training_at_date: boolean | null;
	lesson_name: string | null;
	lesson_at_date: boolean | null;
	problem: ProblemCode | null;
}

/**
 * Claims unprocessed events (FOR UPDATE SKIP LOCKED: parallel executions never take the same
 * one) and resolves all of them in this one statement (README "How routing works"):
 *  - student: by GetCourse user id, else by email; the row valid at the event date, else the
 *    row valid now (added after the event: recorded as a fallback);
 *  - mapping (who): any email the student (same user id) ever had; the row valid at the event
 *    date, else now; a training-specific row beats an all-trainings one (training_id NULL),
 *    which works for trainings missing from `trainings`; an event without a training id takes
 *    it from its lesson; ties: latest valid_from, then highest id, reported; an event with no
 *    training (nor a known lesson) and more than one mentor mapped then is never a guess:
 *    ambiguous_mentor, naming them;
 *  - mentor (how to reach): the mentor's row valid now (same email), else the row valid at the
 *    event date; a mentor with only closed rows left (mentor_departed), never "not in mentors";
 *  - training and lesson names: at the event date, else now, else the payload's.
 * Validity is half-open: valid_from <= date < valid_to.
 *
 * Each step is one set over the whole batch (a join, then DISTINCT ON the event picking the
 * first row in the order above, a window collecting the rows tied with it): a sort per step
 * instead of a sort and a window per event and step, about a third of the time of the
 * per-event form it replaced (test/support/resolveReference.ts keeps that form, and
 * test/integration/resolveEquivalence.test.ts holds the two to the same rows on random data).
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
  RETURNING w.id, w.idempotency_key, w.event_date, w.event_type, w.event_kind, w.comment_id, w.is_resubmission, w.user_id,
            w.user_email, w.answer_id, w.answer_status, w.answer_text, w.answer_training_id, w.answer_lesson_id, w.attempts,
            w.training_name, w.lesson_name
),
-- student: by GetCourse user id, else by email (two lookups: an OR would defeat both indexes); the
-- row valid at the event date, else the one valid now; ids: the rows tied with it (overlaps, reported).
-- Students and mappings are read by index per event (LATERAL … OFFSET 0 keeps the planner from
-- turning the lookups into scans of the whole table), whatever their size.
-- every version of the event's student by GetCourse user id (one index lookup per event)
srows AS (
  SELECT c.id AS event_id, s.id, s.user_id, s.email, s.first_name, s.last_name, s.valid_from,
         (s.valid_from <= c.event_date AND c.event_date < s.valid_to) AS at_date,
         (s.valid_from <= NOW() AND NOW() < s.valid_to) AS now_row
    FROM claimed c
    CROSS JOIN LATERAL (SELECT s.* FROM students s WHERE c.user_id <> '' AND s.user_id = c.user_id OFFSET 0) s
),
st_id AS (
  SELECT DISTINCT ON (event_id) event_id, id, user_id, email, first_name, last_name, valid_from, at_date,
         array_agg(id) OVER (PARTITION BY event_id, at_date) AS ids
    FROM srows
   WHERE at_date OR now_row
   ORDER BY event_id, at_date DESC, valid_from DESC, id DESC
),
st_em AS (
  SELECT DISTINCT ON (event_id) *, array_agg(id) OVER (PARTITION BY event_id, at_date) AS ids
    FROM (SELECT c.id AS event_id, s.id, s.user_id, s.email, s.first_name, s.last_name, s.valid_from, s.at_date
            FROM claimed c
            CROSS JOIN LATERAL (
                  SELECT s.*, (s.valid_from <= c.event_date AND c.event_date < s.valid_to) AS at_date FROM students s
                   WHERE c.user_email <> '' AND lower(s.email) = lower(c.user_email)
                     AND ((s.valid_from <= c.event_date AND c.event_date < s.valid_to) OR (s.valid_from <= NOW() AND NOW() < s.valid_to))
                  OFFSET 0) s
           WHERE NOT EXISTS (SELECT 1 FROM st_id WHERE st_id.event_id = c.id)) s
   ORDER BY event_id, at_date DESC, valid_from DESC, id DESC
),
st AS (SELECT * FROM st_id UNION ALL SELECT * FROM st_em),
-- every email this student (same GetCourse user id) had: the mapping follows the student
em AS (
  SELECT st.event_id, lower(st.email) AS email FROM st
  UNION
  SELECT event_id, lower(email) FROM srows WHERE event_id IN (SELECT event_id FROM st_id)
  UNION
  SELECT st_em.event_id, lower(s.email)
    FROM st_em CROSS JOIN LATERAL (SELECT s.email FROM students s WHERE s.user_id = st_em.user_id OFFSET 0) s
),
le AS (
  SELECT DISTINCT ON (event_id) event_id, name, training_id, at_date
    FROM (SELECT c.id AS event_id, l.id, l.name, l.training_id, l.valid_from,
                 (l.valid_from <= c.event_date AND c.event_date < l.valid_to) AS at_date
            FROM claimed c JOIN lessons l ON l.lesson_id = c.answer_lesson_id
           WHERE (l.valid_from <= c.event_date AND c.event_date < l.valid_to) OR (l.valid_from <= NOW() AND NOW() < l.valid_to)) l
   ORDER BY event_id, at_date DESC, valid_from DESC, id DESC
),
-- one row per claimed event: its training (given, else its lesson's) and its student
ev AS (
  SELECT c.id, c.event_date, COALESCE(c.answer_training_id, le.training_id) AS training_id, st.id AS student_id
    FROM claimed c LEFT JOIN le ON le.event_id = c.id LEFT JOIN st ON st.event_id = c.id
),
tr AS (
  SELECT DISTINCT ON (event_id) event_id, name, at_date
    FROM (SELECT e.id AS event_id, t.id, t.name, t.valid_from,
                 (t.valid_from <= e.event_date AND e.event_date < t.valid_to) AS at_date
            FROM ev e JOIN trainings t ON t.training_id = e.training_id
           WHERE (t.valid_from <= e.event_date AND e.event_date < t.valid_to) OR (t.valid_from <= NOW() AND NOW() < t.valid_to)) t
   ORDER BY event_id, at_date DESC, valid_from DESC, id DESC
),
-- who: at the event date, else now; the event's training beats all trainings (NULL); latest valid_from, highest id
mp AS (
  SELECT DISTINCT ON (event_id) *, array_agg(id) OVER (PARTITION BY event_id, at_date, rank) AS ids
    FROM (SELECT e.id AS event_id, m.id, m.mentor_email, m.training_id, m.valid_from,
                 (m.valid_from <= e.event_date AND e.event_date < m.valid_to) AS at_date,
                 CASE WHEN m.training_id = e.training_id THEN 0 WHEN m.training_id IS NULL THEN 1 ELSE 2 END AS rank
            FROM ev e JOIN em ON em.event_id = e.id
            CROSS JOIN LATERAL (
                  SELECT m.* FROM mapping m
                   WHERE lower(m.student_email) = em.email
                     AND (m.training_id = e.training_id OR m.training_id IS NULL OR e.training_id IS NULL)
                     AND ((m.valid_from <= e.event_date AND e.event_date < m.valid_to) OR (m.valid_from <= NOW() AND NOW() < m.valid_to))
                  OFFSET 0) m
           WHERE e.student_id IS NOT NULL) m
   ORDER BY event_id, at_date DESC, rank, valid_from DESC, id DESC
),
-- no training known: every mentor mapped to the student when the chosen mapping holds
cand AS (
  SELECT e.id AS event_id, array_agg(DISTINCT lower(m.mentor_email) ORDER BY lower(m.mentor_email)) AS list
    FROM ev e JOIN mp ON mp.event_id = e.id JOIN em ON em.event_id = e.id
    CROSS JOIN LATERAL (
          SELECT m.mentor_email FROM mapping m
           WHERE lower(m.student_email) = em.email
             AND CASE WHEN mp.at_date THEN m.valid_from <= e.event_date AND e.event_date < m.valid_to
                      ELSE m.valid_from <= NOW() AND NOW() < m.valid_to END
           OFFSET 0) m
   WHERE e.training_id IS NULL
   GROUP BY e.id
),
-- how to reach: the mentor's row valid now, else the one valid at the event date
me AS (
  SELECT DISTINCT ON (event_id) *, array_agg(id) OVER (PARTITION BY event_id, now_row) AS ids
    FROM (SELECT mp.event_id, x.id, x.email, x.first_name, x.last_name, x.telegram_id, x.telegram_topic_id, x.valid_from,
                 (x.valid_from <= NOW() AND NOW() < x.valid_to) AS now_row
            FROM mp JOIN ev e ON e.id = mp.event_id JOIN mentors x ON lower(x.email) = lower(mp.mentor_email)
           WHERE (x.valid_from <= NOW() AND NOW() < x.valid_to) OR (x.valid_from <= e.event_date AND e.event_date < x.valid_to)) x
   ORDER BY event_id, now_row DESC, valid_from DESC, id DESC
),
-- no mentor row valid now nor then: did the mentor leave (closed rows only)?
gone AS (
  SELECT mp.event_id, max(x.valid_to) AS left_at
    FROM mp JOIN mentors x ON lower(x.email) = lower(mp.mentor_email)
   WHERE x.valid_to <= NOW() AND NOT EXISTS (SELECT 1 FROM me WHERE me.event_id = mp.event_id)
   GROUP BY mp.event_id
)
SELECT c.id::text AS event_id, c.idempotency_key, c.event_date, c.event_type, c.event_kind, c.comment_id, c.is_resubmission,
       c.user_id, c.user_email, c.answer_id, c.answer_status, c.answer_text, c.answer_training_id, c.answer_lesson_id, c.attempts,
       sup.stale,
       st.id::text AS student_id, st.user_id AS student_user_id, st.email AS student_email, st.first_name AS student_first_name,
       st.last_name AS student_last_name, st.at_date AS student_at_date, st.ids::text[] AS student_ids,
       e.training_id,
       mp.id::text AS mapping_id, mp.training_id AS mapping_training_id, mp.mentor_email AS mapping_mentor_email,
       mp.at_date AS mapping_at_date, mp.ids::text[] AS mapping_ids,
       me.id::text AS mentor_id, me.email AS mentor_email, me.first_name AS mentor_first_name, me.last_name AS mentor_last_name,
       me.telegram_id::text || COALESCE(':' || me.telegram_topic_id::text, '') AS mentor_telegram_id, me.now_row AS mentor_now, me.ids::text[] AS mentor_ids,
       cand.list AS mentor_candidates, gone.left_at AS mentor_left_at,
       COALESCE(tr.name, c.training_name) AS training_name, tr.at_date AS training_at_date,
       COALESCE(le.name, c.lesson_name) AS lesson_name, le.at_date AS lesson_at_date,
       CASE
         WHEN sup.stale THEN NULL
         WHEN st.id IS NULL THEN 'student_not_found'
         WHEN mp.id IS NULL THEN 'no_mapping'
         WHEN cardinality(cand.list) > 1 THEN 'ambiguous_mentor'
         WHEN me.id IS NULL AND gone.left_at IS NOT NULL THEN 'mentor_departed'
         WHEN me.id IS NULL THEN 'mentor_unknown'
         WHEN me.telegram_id IS NULL THEN 'mentor_no_telegram'
       END AS problem
  FROM claimed c
  JOIN ev e ON e.id = c.id
  -- stale: it arrived after a later-dated event of the same answer (the store checks this too,
  -- but two calls stored at the same moment cannot see each other)
  CROSS JOIN LATERAL (
        SELECT c.event_kind = 'answer' AND EXISTS (
               SELECT 1 FROM webhook_events p
                WHERE p.answer_id = c.answer_id AND p.event_kind = 'answer' AND p.event_date > c.event_date
                  AND p.id < c.id AND p.date_note IS NULL
                  AND p.event_date <= coalesce(p.created_at, p.event_date) + interval '1 day') AS stale) sup
  LEFT JOIN st ON st.event_id = c.id
  LEFT JOIN le ON le.event_id = c.id
  LEFT JOIN tr ON tr.event_id = c.id
  LEFT JOIN mp ON mp.event_id = c.id
  LEFT JOIN cand ON cand.event_id = c.id
  LEFT JOIN me ON me.event_id = c.id
  LEFT JOIN gone ON gone.event_id = c.id
 ORDER BY c.id`;

/**
 * The caller runs this in a transaction. JIT is switched off for it: the planner's estimate of
 * the statement (a dozen joins) passes jit_above_cost (100,000 by default) for big batches (about
 * 445,000 for 1,000 events), and compiling it costs more than running it (1,000 events: 170–320 ms
 * of JIT for 190 ms of work in the per-event form; 10,000: 4.2 s of JIT for about 1 s of work).
 */
export async function claimEvents(q: Queryable, batchSize: number, leaseSeconds: number): Promise<ResolvedRow[]> {
	await q.query(`SET LOCAL jit = off`);
	// named: planning this statement took longer than running it for 40 events (8.8 against 6.9 ms)
	return (await queryNamed<ResolvedRow>(q, 'gcb_claim_resolve_1', CLAIM_AND_RESOLVE_SQL, [batchSize, leaseSeconds])).rows;
}

export interface ResolutionRecord {
	eventId: string;
	/** Set for an unresolved event: its message goes into error_message. */
	problem: string | null;
	/** Student email to fill in when the webhook carried none (Tech API). */
	studentEmail: string | null;
	note: string | null;
	stale: boolean;
	/** Unresolved: wait before the next attempt; null when given up. */
	retryInSeconds: number | null;
}

/**
 * Records a batch's outcome in one statement: unresolved events get their problem and the
 * next attempt time (or are given up: processed, gave_up_at); stale events are closed with
 * skip_reason 'stale'; resolved events keep their resolution note and get the student's email
 * when the webhook carried none.
 */
export async function recordResolution(q: Queryable, records: ResolutionRecord[]): Promise<void> {
	if (!records.length) return;
	await q.query(
		`UPDATE webhook_events w
		    SET error_message = COALESCE(i.problem, w.error_message),
		        resolution_note = i.note,
		        user_email = CASE WHEN w.user_email = '' AND i.student_email IS NOT NULL THEN lower(i.student_email) ELSE w.user_email END,
		        processed = CASE WHEN i.stale OR (i.problem IS NOT NULL AND i.retry_in IS NULL) THEN TRUE ELSE w.processed END,
		        processed_at = CASE WHEN i.stale OR (i.problem IS NOT NULL AND i.retry_in IS NULL) THEN NOW() ELSE w.processed_at END,
		        gave_up_at = CASE WHEN i.problem IS NOT NULL AND i.retry_in IS NULL THEN NOW() ELSE w.gave_up_at END,
		        skip_reason = CASE WHEN i.stale THEN 'stale' ELSE w.skip_reason END,
		        locked_until = CASE WHEN i.stale THEN NULL
		                            WHEN i.problem IS NOT NULL AND i.retry_in IS NOT NULL THEN NOW() + make_interval(secs => i.retry_in)
		                            ELSE w.locked_until END
		   FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::int[])
		     AS i(id, problem, student_email, note, stale, retry_in)
		  WHERE w.id = i.id`,
		[
			records.map((r) => r.eventId),
			records.map((r) => r.problem),
			records.map((r) => r.studentEmail),
			records.map((r) => r.note),
			records.map((r) => r.stale),
			records.map((r) => r.retryInSeconds),
		],
	);
}
