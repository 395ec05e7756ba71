-- GetCourse Bot schema. Idempotent: safe to run again on a live database.
-- Objects are created in the current search_path; lib/db/schema.ts sets it to the
-- configured (validated, quoted) schema before running this file.

CREATE OR REPLACE FUNCTION update_updated_at_column() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at = NOW();
    RETURN NEW;
END;
$$;

-- ---------------------------------------------------------------- reference tables
-- Filled by hand (DBeaver, psql). A new version of a record closes the old row
-- (valid_to = now) and inserts a new one; rows are matched on business keys
-- (emails, GetCourse ids), never on the surrogate id, so versions stay linked.

CREATE TABLE IF NOT EXISTS mentors (
    id BIGSERIAL PRIMARY KEY,
    email VARCHAR(255) NOT NULL,
    first_name VARCHAR(255),
    last_name VARCHAR(255),
    telegram_id BIGINT,
    valid_from TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    valid_to TIMESTAMPTZ NOT NULL DEFAULT '9999-12-31'::TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CONSTRAINT mentors_validity CHECK (valid_from < valid_to)
);

CREATE TABLE IF NOT EXISTS students (
    id BIGSERIAL PRIMARY KEY,
    user_id VARCHAR(50),
    email VARCHAR(255) NOT NULL,
    first_name VARCHAR(255),
    last_name VARCHAR(255),
    valid_from TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    valid_to TIMESTAMPTZ NOT NULL DEFAULT '9999-12-31'::TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CONSTRAINT students_validity CHECK (valid_from < valid_to)
);

CREATE TABLE IF NOT EXISTS trainings (
    id BIGSERIAL PRIMARY KEY,
    training_id VARCHAR(50) NOT NULL,
    name VARCHAR(500) NOT NULL,
    valid_from TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    valid_to TIMESTAMPTZ NOT NULL DEFAULT '9999-12-31'::TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CONSTRAINT trainings_validity CHECK (valid_from < valid_to)
);

CREATE TABLE IF NOT EXISTS lessons (
    id BIGSERIAL PRIMARY KEY,
    lesson_id VARCHAR(50) NOT NULL,
    training_id VARCHAR(50),
    name VARCHAR(500) NOT NULL,
    valid_from TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    valid_to TIMESTAMPTZ NOT NULL DEFAULT '9999-12-31'::TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CONSTRAINT lessons_validity CHECK (valid_from < valid_to)
);

-- Which mentor looks after which student in which training. training_id NULL means
-- "every training of this student"; an exact training match wins over it.
CREATE TABLE IF NOT EXISTS mapping (
    id BIGSERIAL PRIMARY KEY,
    student_email VARCHAR(255) NOT NULL,
    mentor_email VARCHAR(255) NOT NULL,
    training_id VARCHAR(50),
    valid_from TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    valid_to TIMESTAMPTZ NOT NULL DEFAULT '9999-12-31'::TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CONSTRAINT mapping_validity CHECK (valid_from < valid_to)
);

-- ---------------------------------------------------------------- data tables

CREATE TABLE IF NOT EXISTS webhook_events (
    id BIGSERIAL PRIMARY KEY,
    event_date TIMESTAMPTZ NOT NULL,
    user_id VARCHAR(50) NOT NULL,
    user_email VARCHAR(255) NOT NULL DEFAULT '',  -- Tech API answers carry no email: filled on resolve
    answer_id VARCHAR(50) NOT NULL,
    answer_training_id VARCHAR(50),
    answer_lesson_id VARCHAR(50),
    answer_status VARCHAR(50),
    answer_text TEXT,
    raw_payload JSONB,
    processed BOOLEAN DEFAULT FALSE,
    processed_at TIMESTAMPTZ,
    error_message TEXT,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    -- reliability
    idempotency_key VARCHAR(300),
    event_type VARCHAR(100),
    source VARCHAR(20),
    lesson_name VARCHAR(500),
    training_name VARCHAR(500),
    attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMPTZ,
    delivery_count INTEGER NOT NULL DEFAULT 1
);

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
    telegram_message_id VARCHAR(50),
    -- reliability
    chat_id VARCHAR(50),
    attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMPTZ,
    claim_token UUID,
    next_attempt_at TIMESTAMPTZ,
    last_error TEXT
);

DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
        WHERE c.conname = 'notifications_status_check' AND t.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
    ) THEN
        ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
            CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled'));
    END IF;
END;
$$;

-- Telegram allows a bot about 30 messages a second: every Send Pending run, in any n8n
-- process or queue-mode worker, reserves its start times here (bot_key is a hash of the
-- bot's base URL and token, never the token).
CREATE TABLE IF NOT EXISTS send_pace (
    bot_key VARCHAR(64) PRIMARY KEY,
    next_slot TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);

-- ---------------------------------------------------------------- logs

CREATE TABLE IF NOT EXISTS application_logs (
    id BIGSERIAL PRIMARY KEY,
    level VARCHAR(10) NOT NULL DEFAULT 'info',
    source VARCHAR(100) NOT NULL,
    message TEXT NOT NULL,
    context JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS error_logs (
    id BIGSERIAL PRIMARY KEY,
    level VARCHAR(10) NOT NULL DEFAULT 'error',
    source VARCHAR(100) NOT NULL,
    message TEXT NOT NULL,
    context JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

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

CREATE OR REPLACE VIEW v_active_mentors AS
    SELECT * FROM mentors WHERE valid_from <= CURRENT_TIMESTAMP AND CURRENT_TIMESTAMP < valid_to;

CREATE OR REPLACE VIEW v_active_students AS
    SELECT * FROM students WHERE valid_from <= CURRENT_TIMESTAMP AND CURRENT_TIMESTAMP < valid_to;

CREATE OR REPLACE VIEW v_active_mappings AS
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

CREATE OR REPLACE VIEW v_pending_webhooks AS
    SELECT * FROM webhook_events WHERE processed = FALSE ORDER BY id;

CREATE OR REPLACE VIEW v_pending_notifications AS
    SELECT * FROM notifications WHERE status = 'pending' ORDER BY id;
