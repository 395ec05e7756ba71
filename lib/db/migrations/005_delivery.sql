-- description: delivery: each chat's next send time shared by every process (groups ~20 a minute), a per-chat queue index for fair claims, forum topics for mentors
--
-- SPEC §11. Telegram allows a bot about one message a second per private chat and about twenty a
-- minute per group. Send Pending records here when a chat may get its next message, so executions
-- and queue-mode workers keep those limits together, and claims skip a chat that is not ready.
-- chat_id is the chat itself: a forum topic (-100123:45) counts against its group (-100123).

CREATE TABLE IF NOT EXISTS chat_pace (
    chat_id VARCHAR(64) PRIMARY KEY,
    next_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    -- a group's latest send starts, newest first (at most 20 in any minute)
    recent TIMESTAMPTZ[] NOT NULL DEFAULT '{}'
);

-- Claims walk the waiting notifications chat by chat (oldest first within a chat), so one busy
-- chat never fills a batch: see lib/db/notificationClaims.ts.
CREATE INDEX IF NOT EXISTS idx_notifications_chat_queue
    ON notifications ((split_part(chat_id, ':', 1)), id) WHERE status IN ('pending', 'sending');
-- Staff-chat rows (no mentor) are the ones coalesced into digests: found without walking a
-- mentor's queue.
CREATE INDEX IF NOT EXISTS idx_notifications_chat_staff
    ON notifications ((split_part(chat_id, ':', 1)), id) WHERE status IN ('pending', 'sending') AND mentor_id IS NULL;
-- A chat with a message in flight (a live claim) belongs to the run that holds it.
CREATE INDEX IF NOT EXISTS idx_notifications_chat_sending
    ON notifications ((split_part(chat_id, ':', 1))) WHERE status = 'sending';

-- A mentor reached in a topic of a group: telegram_id is the group, telegram_topic_id the topic
-- (the reference import reads and writes both as telegram_id "-100123:45").
ALTER TABLE mentors ADD COLUMN IF NOT EXISTS telegram_topic_id INTEGER;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
                    WHERE c.conname = 'mentors_telegram_topic_id_check' AND t.relname = 'mentors'
                      AND t.relnamespace = current_schema()::regnamespace) THEN
        ALTER TABLE mentors ADD CONSTRAINT mentors_telegram_topic_id_check CHECK (telegram_topic_id > 0);
    END IF;
END
$$;

-- The view lists mentors' columns as they were when it was made: it gets the new one at the end.
CREATE OR REPLACE VIEW v_active_mentors AS
    SELECT * FROM mentors WHERE valid_from <= CURRENT_TIMESTAMP AND CURRENT_TIMESTAMP < valid_to;
