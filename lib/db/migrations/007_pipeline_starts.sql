-- description: coalesced pipeline starts: at most one execution a trigger started and that has not claimed yet
--
-- GetCourse Trigger (start mode "coalesced") starts an execution for a new answer only when no
-- execution it started earlier is still waiting to claim; that one will pick the answer up.
-- Resolve Mentor clears pending_token just before it claims. A start whose execution never
-- claims (it failed before Resolve Mentor) counts as lost after the trigger's timeout.
-- One row per trigger node: start_key is "<workflow id>:<node id>".

CREATE TABLE IF NOT EXISTS pipeline_starts (
    start_key     VARCHAR(200) PRIMARY KEY,
    pending_token UUID,
    pending_since TIMESTAMPTZ,
    starts        BIGINT NOT NULL DEFAULT 0,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
