-- description: the review clock: a review per notified answer, closed when GetCourse says it was checked; buttons on notifications; trainings.review_hours
--
-- SPEC §13. A review opens when a `homework_submitted` notification is queued for an answer
-- event (not a comment), whatever created it, and closes when a later event of the same
-- answer says it was checked (accepted / declined), a mentor or curator commented on it
-- (skip_reason 'staff_comment'), or the student handed it in again (a resubmission opens its
-- own review). Both rules live in the database (triggers below), so every intake path (GetCourse
-- Trigger, Store Event, a hand-made INSERT) closes reviews, at the cost of one index probe for
-- the few events that can close one. Deadlines, reminders, escalations, digests and reports are
-- lib/review's (the clock's settings, such as working hours, are node parameters).

-- Per training: hours to check an answer (fractions allowed); NULL = the clock's Check Within.
ALTER TABLE trainings ADD COLUMN IF NOT EXISTS review_hours NUMERIC(8, 2);
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
                    WHERE c.conname = 'trainings_review_hours_check' AND t.relname = 'trainings'
                      AND t.relnamespace = current_schema()::regnamespace) THEN
        ALTER TABLE trainings ADD CONSTRAINT trainings_review_hours_check CHECK (review_hours IS NULL OR (review_hours > 0 AND review_hours <= 8760));
    END IF;
END;
$$;

-- An inline keyboard for sendMessage (the «Открыть урок» button), NULL for none.
ALTER TABLE notifications ADD COLUMN IF NOT EXISTS reply_markup JSONB;

CREATE TABLE IF NOT EXISTS reviews (
    id BIGSERIAL PRIMARY KEY,
    -- the answer event the mentor was notified of, and that notification
    event_id BIGINT NOT NULL,
    notification_id BIGINT,
    answer_id VARCHAR(50) NOT NULL,
    is_resubmission BOOLEAN NOT NULL DEFAULT FALSE,
    -- who checks it: the mentor row the notification went to (email lower-cased: the clock
    -- reaches the mentor's row valid now, like every message), the chat it went to
    mentor_id BIGINT,
    mentor_email VARCHAR(255),
    mentor_name VARCHAR(511),
    chat_id VARCHAR(50),
    -- what it is about, as known when it opened (for messages and reports)
    student_user_id VARCHAR(50),
    student_email VARCHAR(255),
    student_name VARCHAR(511),
    training_id VARCHAR(50),
    training_name VARCHAR(500),
    lesson_id VARCHAR(50),
    lesson_name VARCHAR(500),
    -- the event's own date (as GetCourse sent it) and when the clock starts: the event's receipt
    event_date TIMESTAMPTZ NOT NULL,
    opened_at TIMESTAMPTZ NOT NULL,
    -- set by the clock (lib/review): Check Within (or the training's review_hours), working hours
    deadline_at TIMESTAMPTZ,
    escalate_at TIMESTAMPTZ,
    review_hours NUMERIC(8, 2),
    reminded_at TIMESTAMPTZ,
    reminder_notification_id BIGINT,
    escalated_at TIMESTAMPTZ,
    escalation_notification_id BIGINT,
    closed_at TIMESTAMPTZ,
    closed_by VARCHAR(30),
    closed_by_event_id BIGINT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CONSTRAINT reviews_closed_by_check CHECK (closed_by IS NULL OR closed_by IN ('accepted', 'declined', 'staff_comment', 'resubmission')),
    CONSTRAINT reviews_closed_check CHECK ((closed_at IS NULL) = (closed_by IS NULL))
);

CREATE UNIQUE INDEX IF NOT EXISTS uq_reviews_event ON reviews (event_id);
-- closing: the open reviews of one answer
CREATE INDEX IF NOT EXISTS idx_reviews_open_answer ON reviews (answer_id) WHERE closed_at IS NULL;
-- the clock, every minute: reviews without a deadline yet, reminders and escalations due (in the
-- order they are read, so a batch is the first rows of the index whatever is due)
CREATE INDEX IF NOT EXISTS idx_reviews_unscheduled ON reviews (id) WHERE deadline_at IS NULL;
CREATE INDEX IF NOT EXISTS idx_reviews_remind ON reviews (deadline_at, id) WHERE closed_at IS NULL AND reminded_at IS NULL AND deadline_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_reviews_escalate ON reviews (escalate_at, id) WHERE closed_at IS NULL AND escalated_at IS NULL AND escalate_at IS NOT NULL;
-- digests (a mentor's open reviews, oldest first) and reports (by opening time)
CREATE INDEX IF NOT EXISTS idx_reviews_mentor_open ON reviews (mentor_email, opened_at) WHERE closed_at IS NULL;
CREATE INDEX IF NOT EXISTS idx_reviews_opened ON reviews (opened_at);
-- staff comments of an answer, for a review opened after its comment arrived
CREATE INDEX IF NOT EXISTS idx_webhook_events_staff_comments ON webhook_events (answer_id, id) WHERE skip_reason = 'staff_comment';

-- What an event of an answer does to its open reviews: NULL (nothing), or how it closes them.
-- A stale status (it arrived after a later-dated event of its answer) closes nothing.
CREATE OR REPLACE FUNCTION gcb_review_closer(kind text, status text, resubmission boolean, skip text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN skip = 'staff_comment' THEN 'staff_comment'
        WHEN kind <> 'answer' OR skip IS NOT DISTINCT FROM 'stale' THEN NULL
        WHEN resubmission THEN 'resubmission'
        WHEN status IN ('accepted', 'declined') THEN status
    END
$$;

-- An event that can close reviews closes the open ones of its answer stored before it (an
-- answer event only when not dated before them).
-- SET search_path FROM CURRENT: the schema this migration ran in, whoever inserts.
CREATE OR REPLACE FUNCTION gcb_reviews_close_on_event() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE reviews r
       SET closed_at = GREATEST(COALESCE(NEW.created_at, NOW()), r.opened_at),
           closed_by = gcb_review_closer(NEW.event_kind, NEW.answer_status, NEW.is_resubmission, NEW.skip_reason),
           closed_by_event_id = NEW.id
     WHERE r.answer_id = NEW.answer_id AND r.closed_at IS NULL AND r.event_id < NEW.id
       -- a status dated before the submission it would close is a late one of an earlier round
       AND (NEW.event_kind <> 'answer' OR NEW.event_date >= r.event_date);
    RETURN NULL;
END;
$$;

-- The WHEN clause keeps intake cheap: new answers and duplicates never call the function.
DROP TRIGGER IF EXISTS gcb_reviews_close_on_insert ON webhook_events;
CREATE TRIGGER gcb_reviews_close_on_insert AFTER INSERT ON webhook_events FOR EACH ROW
    WHEN (gcb_review_closer(NEW.event_kind, NEW.answer_status, NEW.is_resubmission, NEW.skip_reason) IS NOT NULL)
    EXECUTE FUNCTION gcb_reviews_close_on_event();
-- A comment found to be a staff comment after it was stored closes them too.
DROP TRIGGER IF EXISTS gcb_reviews_close_on_update ON webhook_events;
CREATE TRIGGER gcb_reviews_close_on_update AFTER UPDATE OF skip_reason ON webhook_events FOR EACH ROW
    WHEN (NEW.skip_reason = 'staff_comment' AND OLD.skip_reason IS DISTINCT FROM 'staff_comment')
    EXECUTE FUNCTION gcb_reviews_close_on_event();

-- A homework_submitted notification of an answer event opens its review (once per event),
-- with names as known now; it closes older open reviews of the answer (a resubmission), and is
-- closed at once when the answer was checked before the notification was queued (an event that
-- waited for reference data).
CREATE OR REPLACE FUNCTION gcb_reviews_open() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM added WHERE type = 'homework_submitted' AND webhook_event_id IS NOT NULL) THEN
        RETURN NULL;
    END IF;
    INSERT INTO reviews (event_id, notification_id, answer_id, is_resubmission, mentor_id, mentor_email, mentor_name, chat_id,
                         student_user_id, student_email, student_name, training_id, training_name, lesson_id, lesson_name,
                         event_date, opened_at)
    SELECT e.id, a.id, e.answer_id, e.is_resubmission, a.mentor_id, lower(m.email),
           NULLIF(trim(concat_ws(' ', m.first_name, m.last_name)), ''), a.chat_id,
           e.user_id, COALESCE(NULLIF(e.user_email, ''), s.email), NULLIF(trim(concat_ws(' ', s.first_name, s.last_name)), ''),
           COALESCE(e.answer_training_id, l.training_id), COALESCE(t.name, e.training_name),
           e.answer_lesson_id, COALESCE(l.name, e.lesson_name),
           e.event_date, LEAST(COALESCE(e.created_at, a.created_at, NOW()), COALESCE(a.created_at, NOW()))
      FROM added a
      JOIN webhook_events e ON e.id = a.webhook_event_id AND e.event_kind = 'answer'
      LEFT JOIN mentors m ON m.id = a.mentor_id
      LEFT JOIN LATERAL (SELECT s.email, s.first_name, s.last_name FROM students s
                          WHERE s.user_id = e.user_id AND s.valid_from <= NOW() AND NOW() < s.valid_to
                          ORDER BY s.valid_from DESC LIMIT 1) s ON TRUE
      LEFT JOIN LATERAL (SELECT l.name, l.training_id FROM lessons l
                          WHERE l.lesson_id = e.answer_lesson_id AND l.valid_from <= NOW() AND NOW() < l.valid_to
                          ORDER BY l.valid_from DESC LIMIT 1) l ON TRUE
      LEFT JOIN LATERAL (SELECT t.name FROM trainings t
                          WHERE t.training_id = COALESCE(e.answer_training_id, l.training_id) AND t.valid_from <= NOW() AND NOW() < t.valid_to
                          ORDER BY t.valid_from DESC LIMIT 1) t ON TRUE
     WHERE a.type = 'homework_submitted'
     ORDER BY e.id
    ON CONFLICT (event_id) DO NOTHING;

    -- a newer submission of the answer (a resubmission: the only kind that can find an older
    -- review) supersedes its older open reviews. Driven from the new reviews through the index
    -- on open reviews by answer: the statistics of a table just written to say nothing, and a
    -- plan that scans every open review for every new one is quadratic in the batch.
    UPDATE reviews r
       SET closed_at = GREATEST(n.opened_at, r.opened_at), closed_by = 'resubmission', closed_by_event_id = n.event_id
      FROM added a
      JOIN reviews n ON n.event_id = a.webhook_event_id AND n.notification_id = a.id AND n.is_resubmission
      CROSS JOIN LATERAL (SELECT o.id FROM reviews o
                           WHERE o.answer_id = n.answer_id AND o.closed_at IS NULL AND o.event_id < n.event_id) older
     WHERE r.id = older.id;

    -- checked (or handed in again) before its notification was queued
    UPDATE reviews r
       SET closed_at = GREATEST(c.created_at, r.opened_at), closed_by = c.closed_by, closed_by_event_id = c.id
      FROM added a
      JOIN reviews n ON n.event_id = a.webhook_event_id AND n.notification_id = a.id AND n.closed_at IS NULL
      CROSS JOIN LATERAL (
            SELECT x.id, COALESCE(x.created_at, NOW()) AS created_at,
                   gcb_review_closer(x.event_kind, x.answer_status, x.is_resubmission, x.skip_reason) AS closed_by
              FROM (SELECT w.id, w.created_at, w.event_kind, w.answer_status, w.is_resubmission, w.skip_reason
                      FROM webhook_events w
                     WHERE w.answer_id = n.answer_id AND w.event_kind = 'answer' AND w.id > n.event_id AND w.event_date >= n.event_date
                    UNION ALL
                    SELECT w.id, w.created_at, w.event_kind, w.answer_status, w.is_resubmission, w.skip_reason
                      FROM webhook_events w
                     WHERE w.answer_id = n.answer_id AND w.skip_reason = 'staff_comment' AND w.id > n.event_id) x
             WHERE gcb_review_closer(x.event_kind, x.answer_status, x.is_resubmission, x.skip_reason) IS NOT NULL
             ORDER BY x.id
             LIMIT 1) c
     WHERE r.id = n.id;
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS gcb_reviews_open_on_notification ON notifications;
CREATE TRIGGER gcb_reviews_open_on_notification AFTER INSERT ON notifications
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION gcb_reviews_open();
