-- description: bench only (bench/init-under-load.js): a migration shaped like 004–006, on a big webhook_events
--
-- What a new release adds the way lib/db/migrate.ts asks: columns with a constant default, indexes
-- (built CONCURRENTLY by init on a big table), and a backfill in id ranges.

ALTER TABLE webhook_events
    ADD COLUMN IF NOT EXISTS bench_author_id VARCHAR(50),
    ADD COLUMN IF NOT EXISTS bench_is_review BOOLEAN NOT NULL DEFAULT FALSE;

CREATE INDEX IF NOT EXISTS idx_bench_webhook_events_author ON webhook_events (bench_author_id) WHERE bench_author_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_bench_webhook_events_answer_status ON webhook_events (answer_id, answer_status, created_at);

-- gcb:batched
UPDATE webhook_events SET bench_author_id = user_id
 WHERE bench_author_id IS NULL AND answer_status = 'accepted';
