-- description: notifications record sends whose answer was lost in the network (they may have reached the mentor twice)
--
-- A request that timed out or lost its connection may still have reached Telegram; sending it
-- again may deliver it twice. Such sends are counted here, so staff can see where at-least-once
-- applied (README "Delivery guarantees").

ALTER TABLE notifications
    ADD COLUMN IF NOT EXISTS uncertain_sends INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS last_uncertain_at TIMESTAMPTZ;

DROP VIEW IF EXISTS v_pending_notifications;
CREATE VIEW v_pending_notifications AS
    SELECT * FROM notifications WHERE status = 'pending' ORDER BY id;
