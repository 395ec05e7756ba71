/**
 * The per-event formulation of Resolve Mentor's claim-and-resolve statement (one lateral lookup
 * per event and step), as it was until the set-based lib/db/resolve.ts replaced it for speed.
 * Kept as the readable reference of the routing rules: test/integration/resolveEquivalence.test.ts
 * runs both on random reference data and requires the same rows.
 */
export const REFERENCE_CLAIM_AND_RESOLVE_SQL = `
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
)
SELECT c.id::text AS event_id, c.idempotency_key, c.event_date, c.event_type, c.event_kind, c.comment_id, c.is_resubmission,
       c.user_id, c.user_email, c.answer_id, c.answer_status, c.answer_text, c.answer_training_id, c.answer_lesson_id, c.attempts,
       sup.stale,
       st.id::text AS student_id, st.user_id AS student_user_id, st.email AS student_email, st.first_name AS student_first_name,
       st.last_name AS student_last_name, st.at_date AS student_at_date, st.ids::text[] AS student_ids,
       tid.training_id,
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
  -- stale: it arrived after a later-dated event of the same answer (the store checks this too,
  -- but two calls stored at the same moment cannot see each other)
  CROSS JOIN LATERAL (
        SELECT c.event_kind = 'answer' AND EXISTS (
               SELECT 1 FROM webhook_events p
                WHERE p.answer_id = c.answer_id AND p.event_kind = 'answer' AND p.event_date > c.event_date
                  AND p.id < c.id AND p.date_note IS NULL
                  AND p.event_date <= coalesce(p.created_at, p.event_date) + interval '1 day') AS stale) sup
  -- student: by GetCourse user id (two index lookups; an OR would defeat both indexes)
  LEFT JOIN LATERAL (
        SELECT s.id, s.user_id, s.email, s.first_name, s.last_name, s.at_date, array_agg(s.id) OVER (PARTITION BY s.at_date) AS ids
          FROM (SELECT s.*, (s.valid_from <= c.event_date AND c.event_date < s.valid_to) AS at_date FROM students s
                 WHERE c.user_id <> '' AND s.user_id = c.user_id
                   AND ((s.valid_from <= c.event_date AND c.event_date < s.valid_to) OR (s.valid_from <= NOW() AND NOW() < s.valid_to))) s
         ORDER BY s.at_date DESC, s.valid_from DESC, s.id DESC LIMIT 1) st_id ON TRUE
  LEFT JOIN LATERAL (
        SELECT s.id, s.user_id, s.email, s.first_name, s.last_name, s.at_date, array_agg(s.id) OVER (PARTITION BY s.at_date) AS ids
          FROM (SELECT s.*, (s.valid_from <= c.event_date AND c.event_date < s.valid_to) AS at_date FROM students s
                 WHERE st_id.id IS NULL AND c.user_email <> '' AND lower(s.email) = lower(c.user_email)
                   AND ((s.valid_from <= c.event_date AND c.event_date < s.valid_to) OR (s.valid_from <= NOW() AND NOW() < s.valid_to))) s
         ORDER BY s.at_date DESC, s.valid_from DESC, s.id DESC LIMIT 1) st_em ON TRUE
  CROSS JOIN LATERAL (
        SELECT COALESCE(st_id.id, st_em.id) AS id, COALESCE(st_id.user_id, st_em.user_id) AS user_id,
               COALESCE(st_id.email, st_em.email) AS email, COALESCE(st_id.first_name, st_em.first_name) AS first_name,
               COALESCE(st_id.last_name, st_em.last_name) AS last_name, COALESCE(st_id.at_date, st_em.at_date) AS at_date,
               COALESCE(st_id.ids, st_em.ids) AS ids) st
  -- every email this student (same GetCourse user id) had: the mapping follows the student
  CROSS JOIN LATERAL (
        SELECT ARRAY(SELECT lower(st.email) UNION
                     SELECT lower(s.email) FROM students s WHERE st.user_id IS NOT NULL AND s.user_id = st.user_id) AS list) emails
  LEFT JOIN LATERAL (
        SELECT l.name, l.training_id, l.at_date
          FROM (SELECT l.*, (l.valid_from <= c.event_date AND c.event_date < l.valid_to) AS at_date FROM lessons l
                 WHERE l.lesson_id = c.answer_lesson_id
                   AND ((l.valid_from <= c.event_date AND c.event_date < l.valid_to) OR (l.valid_from <= NOW() AND NOW() < l.valid_to))) l
         ORDER BY l.at_date DESC, l.valid_from DESC, l.id DESC LIMIT 1) le ON TRUE
  CROSS JOIN LATERAL (SELECT COALESCE(c.answer_training_id, le.training_id) AS training_id) tid
  LEFT JOIN LATERAL (
        SELECT t.name, t.at_date
          FROM (SELECT t.*, (t.valid_from <= c.event_date AND c.event_date < t.valid_to) AS at_date FROM trainings t
                 WHERE t.training_id = tid.training_id
                   AND ((t.valid_from <= c.event_date AND c.event_date < t.valid_to) OR (t.valid_from <= NOW() AND NOW() < t.valid_to))) t
         ORDER BY t.at_date DESC, t.valid_from DESC, t.id DESC LIMIT 1) tr ON TRUE
  LEFT JOIN LATERAL (
        SELECT m.id, m.mentor_email, m.training_id, m.at_date, array_agg(m.id) OVER (PARTITION BY m.at_date, m.rank) AS ids
          FROM (SELECT m.*, (m.valid_from <= c.event_date AND c.event_date < m.valid_to) AS at_date,
                       CASE WHEN m.training_id = tid.training_id THEN 0 WHEN m.training_id IS NULL THEN 1 ELSE 2 END AS rank
                  FROM mapping m
                 WHERE st.id IS NOT NULL AND lower(m.student_email) = ANY (emails.list)
                   AND (m.training_id = tid.training_id OR m.training_id IS NULL OR tid.training_id IS NULL)
                   AND ((m.valid_from <= c.event_date AND c.event_date < m.valid_to) OR (m.valid_from <= NOW() AND NOW() < m.valid_to))) m
         ORDER BY m.at_date DESC, m.rank, m.valid_from DESC, m.id DESC LIMIT 1) mp ON TRUE
  -- no training known: every mentor mapped to the student when the chosen mapping holds
  LEFT JOIN LATERAL (
        SELECT array_agg(DISTINCT lower(m.mentor_email) ORDER BY lower(m.mentor_email)) AS list
          FROM mapping m
         WHERE tid.training_id IS NULL AND mp.id IS NOT NULL AND lower(m.student_email) = ANY (emails.list)
           AND CASE WHEN mp.at_date THEN m.valid_from <= c.event_date AND c.event_date < m.valid_to
                    ELSE m.valid_from <= NOW() AND NOW() < m.valid_to END) cand ON TRUE
  LEFT JOIN LATERAL (
        SELECT x.id, x.email, x.first_name, x.last_name, x.telegram_id, x.telegram_topic_id, x.now_row, array_agg(x.id) OVER (PARTITION BY x.now_row) AS ids
          FROM (SELECT x.*, (x.valid_from <= NOW() AND NOW() < x.valid_to) AS now_row FROM mentors x
                 WHERE lower(x.email) = lower(mp.mentor_email)
                   AND ((x.valid_from <= NOW() AND NOW() < x.valid_to) OR (x.valid_from <= c.event_date AND c.event_date < x.valid_to))) x
         ORDER BY x.now_row DESC, x.valid_from DESC, x.id DESC LIMIT 1) me ON TRUE
  -- no mentor row valid now nor then: did the mentor leave (closed rows only)?
  LEFT JOIN LATERAL (
        SELECT max(x.valid_to) AS left_at FROM mentors x
         WHERE me.id IS NULL AND mp.id IS NOT NULL AND lower(x.email) = lower(mp.mentor_email) AND x.valid_to <= NOW()) gone ON TRUE
 ORDER BY c.id`;
