-- description: release 0.1's tables, indexes, triggers and views; completes a database of the seed design (v2.0.0) in place
--
-- Runs on an empty schema, on the seed's tables and on a schema made by release 0.1 alike:
-- every table is created when missing and then completed column by column, so the rows
-- already there stay. Objects go into the current search_path (the configured schema).

-- Helpers for this migration only (in pg_temp, dropped at the end).
CREATE OR REPLACE FUNCTION pg_temp.gcb_has_column(tbl text, col text) RETURNS boolean LANGUAGE sql AS $$
    SELECT EXISTS (SELECT 1 FROM information_schema.columns
                    WHERE table_schema = current_schema() AND table_name = tbl AND column_name = col)
$$;

-- A CHECK constraint added when missing; existing rows that break it leave it NOT VALID
-- (new rows are checked, `getcourse-bot check` lists the old ones) instead of failing.
CREATE OR REPLACE FUNCTION pg_temp.gcb_add_check(tbl text, con text, expr text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
                WHERE c.conname = con AND t.relname = tbl AND t.relnamespace = current_schema()::regnamespace) THEN
        RETURN;
    END IF;
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (%s) NOT VALID', tbl, con, expr);
    BEGIN
        EXECUTE format('ALTER TABLE %I VALIDATE CONSTRAINT %I', tbl, con);
    EXCEPTION WHEN check_violation THEN
        RAISE NOTICE 'getcourse-bot: % has rows breaking %; the constraint checks new rows only until they are fixed', tbl, con;
    END;
END;
$$;

-- valid_from / valid_to / created_at / updated_at as the spec has them, whatever the table had.
CREATE OR REPLACE FUNCTION pg_temp.gcb_validity(tbl text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %I
        ADD COLUMN IF NOT EXISTS valid_from TIMESTAMPTZ NOT NULL DEFAULT NOW(),
        ADD COLUMN IF NOT EXISTS valid_to TIMESTAMPTZ NOT NULL DEFAULT %L::TIMESTAMPTZ,
        ADD COLUMN IF NOT EXISTS created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
        ADD COLUMN IF NOT EXISTS updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()', tbl, '9999-12-31');
    EXECUTE format('UPDATE %I SET valid_from = COALESCE(valid_from, created_at, NOW()), valid_to = COALESCE(valid_to, %L::TIMESTAMPTZ)
                     WHERE valid_from IS NULL OR valid_to IS NULL', tbl, '9999-12-31');
    EXECUTE format('UPDATE %I SET created_at = NOW() WHERE created_at IS NULL', tbl);
    EXECUTE format('UPDATE %I SET updated_at = created_at WHERE updated_at IS NULL', tbl);
    EXECUTE format('ALTER TABLE %I
        ALTER COLUMN valid_from SET DEFAULT NOW(), ALTER COLUMN valid_from SET NOT NULL,
        ALTER COLUMN valid_to SET DEFAULT %L::TIMESTAMPTZ, ALTER COLUMN valid_to SET NOT NULL,
        ALTER COLUMN created_at SET DEFAULT NOW(), ALTER COLUMN created_at SET NOT NULL,
        ALTER COLUMN updated_at SET DEFAULT NOW(), ALTER COLUMN updated_at SET NOT NULL', tbl, '9999-12-31');
    PERFORM pg_temp.gcb_add_check(tbl, tbl || '_validity', 'valid_from < valid_to');
END;
$$;

CREATE OR REPLACE FUNCTION update_updated_at_column() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at = NOW();
    RETURN NEW;
END;
$$;

-- The seed's views are "SELECT *" over the tables: they are rebuilt at the end.
DROP VIEW IF EXISTS v_active_mappings, v_active_mentors, v_active_students, v_pending_webhooks, v_pending_notifications;

-- ---------------------------------------------------------------- reference tables
-- Filled by hand or by the Reference Data node. A new version closes the old row
-- (valid_to = now) and inserts a new one; rows are matched on business keys.

CREATE TABLE IF NOT EXISTS mentors (id BIGSERIAL PRIMARY KEY, email VARCHAR(255) NOT NULL);
ALTER TABLE mentors
    ADD COLUMN IF NOT EXISTS first_name VARCHAR(255),
    ADD COLUMN IF NOT EXISTS last_name VARCHAR(255),
    ADD COLUMN IF NOT EXISTS telegram_id BIGINT;
SELECT pg_temp.gcb_validity('mentors');

CREATE TABLE IF NOT EXISTS students (id BIGSERIAL PRIMARY KEY, user_id VARCHAR(50), email VARCHAR(255) NOT NULL);
ALTER TABLE students
    ADD COLUMN IF NOT EXISTS user_id VARCHAR(50),
    ADD COLUMN IF NOT EXISTS first_name VARCHAR(255),
    ADD COLUMN IF NOT EXISTS last_name VARCHAR(255);
SELECT pg_temp.gcb_validity('students');

CREATE TABLE IF NOT EXISTS trainings (id BIGSERIAL PRIMARY KEY, training_id VARCHAR(50) NOT NULL, name VARCHAR(500) NOT NULL);
SELECT pg_temp.gcb_validity('trainings');

CREATE TABLE IF NOT EXISTS lessons (id BIGSERIAL PRIMARY KEY, lesson_id VARCHAR(50) NOT NULL, training_id VARCHAR(50), name VARCHAR(500) NOT NULL);
ALTER TABLE lessons ADD COLUMN IF NOT EXISTS training_id VARCHAR(50);
SELECT pg_temp.gcb_validity('lessons');

-- Which mentor looks after which student in which training. training_id NULL means
-- "every training of this student".
CREATE TABLE IF NOT EXISTS mapping (
    id BIGSERIAL PRIMARY KEY,
    student_email VARCHAR(255) NOT NULL,
    mentor_email VARCHAR(255) NOT NULL,
    training_id VARCHAR(50)
);
ALTER TABLE mapping
    ADD COLUMN IF NOT EXISTS student_email VARCHAR(255),
    ADD COLUMN IF NOT EXISTS mentor_email VARCHAR(255),
    ADD COLUMN IF NOT EXISTS training_id VARCHAR(50);
-- A mapping kept by row ids (student_id / mentor_id) instead of emails gets the emails.
DO $$
BEGIN
    IF pg_temp.gcb_has_column('mapping', 'student_id') THEN
        EXECUTE 'UPDATE mapping m SET student_email = s.email FROM students s WHERE m.student_email IS NULL AND s.id = m.student_id';
    END IF;
    IF pg_temp.gcb_has_column('mapping', 'mentor_id') THEN
        EXECUTE 'UPDATE mapping m SET mentor_email = x.email FROM mentors x WHERE m.mentor_email IS NULL AND x.id = m.mentor_id';
    END IF;
END;
$$;
SELECT pg_temp.gcb_validity('mapping');

-- ---------------------------------------------------------------- data tables
-- The seed's columns first, then what reliability needs.

CREATE TABLE IF NOT EXISTS webhook_events (
    id BIGSERIAL PRIMARY KEY,
    event_date TIMESTAMPTZ NOT NULL,
    user_id VARCHAR(50) NOT NULL,
    user_email VARCHAR(255) NOT NULL,
    answer_id VARCHAR(50) NOT NULL,
    answer_training_id VARCHAR(50),
    answer_lesson_id VARCHAR(50),
    answer_status VARCHAR(50),
    answer_text TEXT,
    raw_payload JSONB,
    processed BOOLEAN DEFAULT FALSE,
    processed_at TIMESTAMPTZ,
    error_message TEXT,
    created_at TIMESTAMPTZ DEFAULT NOW()
);
ALTER TABLE webhook_events
    ADD COLUMN IF NOT EXISTS idempotency_key VARCHAR(300),
    ADD COLUMN IF NOT EXISTS event_type VARCHAR(100),
    ADD COLUMN IF NOT EXISTS source VARCHAR(20),
    ADD COLUMN IF NOT EXISTS lesson_name VARCHAR(500),
    ADD COLUMN IF NOT EXISTS training_name VARCHAR(500),
    ADD COLUMN IF NOT EXISTS attempts INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS locked_until TIMESTAMPTZ,
    ADD COLUMN IF NOT EXISTS delivery_count INTEGER NOT NULL DEFAULT 1;
-- Tech API answers carry no email: it is filled on resolve.
ALTER TABLE webhook_events ALTER COLUMN user_email SET DEFAULT '';
-- Rows stored before this package (the seed's n8n flow) get a key of their own.
-- gcb:batched
UPDATE webhook_events SET idempotency_key = 'legacy:' || id WHERE idempotency_key IS NULL;
-- gcb:batched
UPDATE webhook_events SET processed = FALSE WHERE processed IS NULL;
-- gcb:batched
UPDATE webhook_events SET source = 'legacy' WHERE source IS NULL;

CREATE TABLE IF NOT EXISTS notifications (
    id BIGSERIAL PRIMARY KEY,
    mentor_id BIGINT NOT NULL,
    type VARCHAR(50) NOT NULL,
    message TEXT NOT NULL,
    status VARCHAR(20) DEFAULT 'pending',
    webhook_event_id BIGINT,
    message_hash VARCHAR(64),
    created_at TIMESTAMPTZ DEFAULT NOW(),
    sent_at TIMESTAMPTZ,
    telegram_message_id VARCHAR(50)
);
ALTER TABLE notifications
    ADD COLUMN IF NOT EXISTS chat_id VARCHAR(50),
    ADD COLUMN IF NOT EXISTS attempts INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS locked_until TIMESTAMPTZ,
    ADD COLUMN IF NOT EXISTS claim_token UUID,
    ADD COLUMN IF NOT EXISTS next_attempt_at TIMESTAMPTZ,
    ADD COLUMN IF NOT EXISTS last_error TEXT;
-- The seed's bot sent to the mentor's telegram_id: notifications waiting from then get that chat.
-- gcb:batched
UPDATE notifications n SET chat_id = m.telegram_id::text
  FROM mentors m WHERE n.chat_id IS NULL AND m.id = n.mentor_id AND m.telegram_id IS NOT NULL;
-- Statuses into the closed set; anything unknown is kept (and left out of sending) for staff to look at.
-- gcb:batched
UPDATE notifications SET status = lower(trim(status)) WHERE status <> lower(trim(status));
-- gcb:batched
UPDATE notifications SET status = 'sent' WHERE status IN ('delivered', 'done', 'success', 'ok') OR (status IS NULL AND sent_at IS NOT NULL);
-- gcb:batched
UPDATE notifications SET status = 'failed' WHERE status IN ('error', 'fail', 'failure');
-- gcb:batched
UPDATE notifications SET status = 'pending' WHERE status IS NULL;
SELECT pg_temp.gcb_add_check('notifications', 'notifications_status_check',
    $$status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')$$);
-- One notification per hash: earlier duplicates keep theirs.
-- gcb:batched
UPDATE notifications n SET message_hash = NULL
 WHERE n.message_hash IS NOT NULL
   AND EXISTS (SELECT 1 FROM notifications o WHERE o.message_hash = n.message_hash AND o.id < n.id);

-- Telegram allows a bot about 30 messages a second: every Send Pending run, in any n8n
-- process or queue-mode worker, reserves its start times here (bot_key is a hash of the
-- bot's base URL and token, never the token).
CREATE TABLE IF NOT EXISTS send_pace (
    bot_key VARCHAR(64) PRIMARY KEY,
    next_slot TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);

-- ---------------------------------------------------------------- logs

CREATE TABLE IF NOT EXISTS application_logs (id BIGSERIAL PRIMARY KEY);
CREATE TABLE IF NOT EXISTS error_logs (id BIGSERIAL PRIMARY KEY);
ALTER TABLE application_logs
    ADD COLUMN IF NOT EXISTS level VARCHAR(10) NOT NULL DEFAULT 'info',
    ADD COLUMN IF NOT EXISTS source VARCHAR(100) NOT NULL DEFAULT '',
    ADD COLUMN IF NOT EXISTS message TEXT NOT NULL DEFAULT '',
    ADD COLUMN IF NOT EXISTS context JSONB,
    ADD COLUMN IF NOT EXISTS created_at TIMESTAMPTZ NOT NULL DEFAULT NOW();
ALTER TABLE error_logs
    ADD COLUMN IF NOT EXISTS level VARCHAR(10) NOT NULL DEFAULT 'error',
    ADD COLUMN IF NOT EXISTS source VARCHAR(100) NOT NULL DEFAULT '',
    ADD COLUMN IF NOT EXISTS message TEXT NOT NULL DEFAULT '',
    ADD COLUMN IF NOT EXISTS context JSONB,
    ADD COLUMN IF NOT EXISTS created_at TIMESTAMPTZ NOT NULL DEFAULT NOW();

-- ---------------------------------------------------------------- triggers

CREATE OR REPLACE TRIGGER update_mentors_updated_at BEFORE UPDATE ON mentors
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE OR REPLACE TRIGGER update_students_updated_at BEFORE UPDATE ON students
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE OR REPLACE TRIGGER update_trainings_updated_at BEFORE UPDATE ON trainings
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE OR REPLACE TRIGGER update_lessons_updated_at BEFORE UPDATE ON lessons
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE OR REPLACE TRIGGER update_mapping_updated_at BEFORE UPDATE ON mapping
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

-- ---------------------------------------------------------------- indexes

CREATE INDEX IF NOT EXISTS idx_mentors_email ON mentors (lower(email));
CREATE INDEX IF NOT EXISTS idx_mentors_validity ON mentors (valid_from, valid_to);
CREATE INDEX IF NOT EXISTS idx_mentors_active ON mentors (lower(email)) WHERE valid_to = '9999-12-31'::TIMESTAMPTZ;

CREATE INDEX IF NOT EXISTS idx_students_email ON students (lower(email));
CREATE INDEX IF NOT EXISTS idx_students_user_id ON students (user_id, valid_from, valid_to);
CREATE INDEX IF NOT EXISTS idx_students_validity ON students (valid_from, valid_to);
CREATE INDEX IF NOT EXISTS idx_students_active ON students (user_id) WHERE valid_to = '9999-12-31'::TIMESTAMPTZ;

CREATE INDEX IF NOT EXISTS idx_trainings_training_id ON trainings (training_id, valid_from, valid_to);
CREATE INDEX IF NOT EXISTS idx_trainings_active ON trainings (training_id) WHERE valid_to = '9999-12-31'::TIMESTAMPTZ;

CREATE INDEX IF NOT EXISTS idx_lessons_lesson_id ON lessons (lesson_id, valid_from, valid_to);
CREATE INDEX IF NOT EXISTS idx_lessons_active ON lessons (lesson_id) WHERE valid_to = '9999-12-31'::TIMESTAMPTZ;

CREATE INDEX IF NOT EXISTS idx_mapping_student_training ON mapping (lower(student_email), training_id, valid_from, valid_to);
CREATE INDEX IF NOT EXISTS idx_mapping_mentor ON mapping (lower(mentor_email));
CREATE INDEX IF NOT EXISTS idx_mapping_validity ON mapping (valid_from, valid_to);
CREATE INDEX IF NOT EXISTS idx_mapping_active ON mapping (lower(student_email), training_id) WHERE valid_to = '9999-12-31'::TIMESTAMPTZ;

CREATE UNIQUE INDEX IF NOT EXISTS uq_webhook_events_idempotency ON webhook_events (idempotency_key);
CREATE INDEX IF NOT EXISTS idx_webhook_events_unprocessed ON webhook_events (id) WHERE processed = FALSE;
CREATE INDEX IF NOT EXISTS idx_webhook_events_user_email ON webhook_events (lower(user_email));
CREATE INDEX IF NOT EXISTS idx_webhook_events_user_id ON webhook_events (user_id);
CREATE INDEX IF NOT EXISTS idx_webhook_events_created_at ON webhook_events (created_at);
CREATE INDEX IF NOT EXISTS idx_webhook_events_raw_payload ON webhook_events USING GIN (raw_payload jsonb_path_ops);

CREATE UNIQUE INDEX IF NOT EXISTS uq_notifications_message_hash ON notifications (message_hash);
CREATE INDEX IF NOT EXISTS idx_notifications_pending ON notifications (id) WHERE status IN ('pending', 'sending');
CREATE INDEX IF NOT EXISTS idx_notifications_mentor ON notifications (mentor_id, created_at);
CREATE INDEX IF NOT EXISTS idx_notifications_event ON notifications (webhook_event_id);

CREATE INDEX IF NOT EXISTS idx_application_logs_created_at ON application_logs (created_at);
CREATE INDEX IF NOT EXISTS idx_error_logs_created_at ON error_logs (created_at);

-- ---------------------------------------------------------------- views
-- "Valid now" is the half-open range [valid_from, valid_to): a version closed at T and
-- its successor opened at T never both count.

CREATE VIEW v_active_mentors AS
    SELECT * FROM mentors WHERE valid_from <= CURRENT_TIMESTAMP AND CURRENT_TIMESTAMP < valid_to;

CREATE VIEW v_active_students AS
    SELECT * FROM students WHERE valid_from <= CURRENT_TIMESTAMP AND CURRENT_TIMESTAMP < valid_to;

CREATE VIEW v_active_mappings AS
    SELECT m.id AS mapping_id,
           m.training_id,
           t.name AS training_name,
           m.student_email,
           s.user_id AS student_user_id,
           s.first_name AS student_first_name,
           s.last_name AS student_last_name,
           m.mentor_email,
           me.id AS mentor_id,
           me.first_name AS mentor_first_name,
           me.last_name AS mentor_last_name,
           me.telegram_id AS mentor_telegram_id,
           m.valid_from,
           m.valid_to
    FROM mapping m
    LEFT JOIN students s ON lower(s.email) = lower(m.student_email)
        AND s.valid_from <= CURRENT_TIMESTAMP AND CURRENT_TIMESTAMP < s.valid_to
    LEFT JOIN mentors me ON lower(me.email) = lower(m.mentor_email)
        AND me.valid_from <= CURRENT_TIMESTAMP AND CURRENT_TIMESTAMP < me.valid_to
    LEFT JOIN trainings t ON t.training_id = m.training_id
        AND t.valid_from <= CURRENT_TIMESTAMP AND CURRENT_TIMESTAMP < t.valid_to
    WHERE m.valid_from <= CURRENT_TIMESTAMP AND CURRENT_TIMESTAMP < m.valid_to;

CREATE VIEW v_pending_webhooks AS
    SELECT * FROM webhook_events WHERE processed = FALSE ORDER BY id;

CREATE VIEW v_pending_notifications AS
    SELECT * FROM notifications WHERE status = 'pending' ORDER BY id;

DROP FUNCTION pg_temp.gcb_validity(text);
DROP FUNCTION pg_temp.gcb_add_check(text, text, text);
DROP FUNCTION pg_temp.gcb_has_column(text, text);
