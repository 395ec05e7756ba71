-- description: resubmissions, comments and stale statuses as events of their own; routing notes, give-up time; staff alerts without a mentor
--
-- SPEC §8: a redelivery is one row, a resubmission or a comment is a new event. Release 0.1
-- keyed answers as answer:<id>:<status>; they get the new key (with the fingerprint of
-- lib/payload/identity.ts: sha256 of text, \x01, the date as sent, first 16 hex digits) so a
-- late redelivery of an old call is still recognised.

ALTER TABLE webhook_events
    ADD COLUMN IF NOT EXISTS event_kind VARCHAR(20) NOT NULL DEFAULT 'answer',
    ADD COLUMN IF NOT EXISTS comment_id VARCHAR(50),
    ADD COLUMN IF NOT EXISTS is_resubmission BOOLEAN NOT NULL DEFAULT FALSE,
    -- why a stored event notifies nobody: status, stale, comments_off
    ADD COLUMN IF NOT EXISTS skip_reason VARCHAR(50),
    -- what resolution had to do besides the rule (fallback to rows valid now, overlaps)
    ADD COLUMN IF NOT EXISTS resolution_note TEXT,
    ADD COLUMN IF NOT EXISTS gave_up_at TIMESTAMPTZ;

-- gcb:batched
UPDATE webhook_events SET event_kind = 'comment'
 WHERE event_kind = 'answer' AND (idempotency_key LIKE 'comment:%' OR answer_status = 'comment');

-- gcb:batched
UPDATE webhook_events
   SET idempotency_key = idempotency_key || ':' || left(encode(sha256(convert_to(
           coalesce(answer_text, '') || chr(1) ||
           coalesce(CASE WHEN source = 'tech_api'
                         THEN coalesce(raw_payload->>'ts64', raw_payload->'answer'->>'created_at', raw_payload->>'ts')
                         ELSE raw_payload->>'event_date' END, ''),
           'UTF8')), 'hex'), 16)
 WHERE event_kind = 'answer' AND idempotency_key ~ '^answer:[^:]+:[^:]*$';

-- Events that were given up before this column existed.
-- gcb:batched
UPDATE webhook_events SET gave_up_at = processed_at
 WHERE processed AND error_message IS NOT NULL AND gave_up_at IS NULL
   AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.webhook_event_id = webhook_events.id);

-- Stale / resubmission checks look at the other events of one answer by date.
CREATE INDEX IF NOT EXISTS idx_webhook_events_answer ON webhook_events (answer_id, event_date) WHERE event_kind = 'answer';
-- Unresolved events, for `getcourse-bot retry` and check.
CREATE INDEX IF NOT EXISTS idx_webhook_events_unresolved ON webhook_events (id) WHERE error_message IS NOT NULL;

-- A staff alert (an event nobody could route) has no mentor.
ALTER TABLE notifications ALTER COLUMN mentor_id DROP NOT NULL;

DROP VIEW IF EXISTS v_pending_webhooks;
CREATE VIEW v_pending_webhooks AS
    SELECT * FROM webhook_events WHERE processed = FALSE ORDER BY id;
