-- description: the bot's overall pace as a sliding window: the latest reserved send slots
--
-- Send Pending kept Telegram's ~30 a second by spacing every message 35 ms after the one before
-- (next_slot). Telegram counts messages in a second; it does not space them. The latest slots
-- (at most the pace's count, 29 at 28.5 a second) let a burst of new answers go at once while no
-- window of the pace holds more than its count, across every process and queue-mode worker.
-- next_slot stays: the latest slot plus the gap, as a process of version 0.1 reads it.

ALTER TABLE send_pace ADD COLUMN IF NOT EXISTS recent_slots TIMESTAMPTZ[] NOT NULL DEFAULT '{}';
