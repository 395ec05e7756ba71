-- description: events keep the call's own key, the comment's author and intake notes; failed sends are alerted once and can be retried
--
-- SPEC §8: a redelivery repeats the LATEST stored event of its answer, so the same call (same
-- status, text and date) can legitimately be stored again later (new → declined → new with no
-- text and the same date). call_key is the call's own key (lib/payload/identity.ts);
-- idempotency_key stays unique and carries, for such a repeat, the id of the event it followed
-- (lib/db/events.ts). Rows stored before this migration have call_key NULL: their
-- idempotency_key is their call key.

ALTER TABLE webhook_events
    ADD COLUMN IF NOT EXISTS call_key VARCHAR(300),
    -- a comment's author (GetCourse comment.user_id); user_id is the answer's student (comment.owner_id)
    ADD COLUMN IF NOT EXISTS author_user_id VARCHAR(50),
    -- set when the call's date was not trusted (more than a day after it arrived): the receipt time
    -- was used; such an event never makes another stale
    ADD COLUMN IF NOT EXISTS date_note TEXT;

-- "The latest stored event of this answer": one index step per call.
CREATE INDEX IF NOT EXISTS idx_webhook_events_answer_latest ON webhook_events (answer_id, id) WHERE event_kind = 'answer';
-- Adopted backlog (init), for `getcourse-bot retry --backlog`.
CREATE INDEX IF NOT EXISTS idx_webhook_events_backlog ON webhook_events (id) WHERE skip_reason = 'backlog';

-- SPEC §11: one staff alert per failed notification (lib/notify/failedSends.ts). Failures from
-- before this migration count as known: an upgrade must not flood the staff chat with history.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                    WHERE table_schema = current_schema() AND table_name = 'notifications' AND column_name = 'failure_alerted_at') THEN
        ALTER TABLE notifications ADD COLUMN failure_alerted_at TIMESTAMPTZ;
        UPDATE notifications SET failure_alerted_at = NOW() WHERE status = 'failed';
    END IF;
END;
$$;
-- How many times staff put the notification back with `retry --failed`: a new failure after a
-- retry is a new alert.
ALTER TABLE notifications ADD COLUMN IF NOT EXISTS manual_retries INTEGER NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS idx_notifications_failed_unalerted ON notifications (id)
    WHERE status = 'failed' AND failure_alerted_at IS NULL AND mentor_id IS NOT NULL;

DROP VIEW IF EXISTS v_pending_webhooks;
CREATE VIEW v_pending_webhooks AS
    SELECT * FROM webhook_events WHERE processed = FALSE ORDER BY id;
DROP VIEW IF EXISTS v_pending_notifications;
CREATE VIEW v_pending_notifications AS
    SELECT * FROM notifications WHERE status = 'pending' ORDER BY id;
