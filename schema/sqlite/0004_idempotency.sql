-- 0004_idempotency.sql - Idempotency-Key on sample posts.
-- One row per (model, key) of a sample post that succeeded: a hash of the
-- request and its result, written in the same transaction as the samples,
-- so a retry after a lost answer (or 503 outcome_unknown) finds it and
-- adds nothing. Rows older than a day are dropped when the model gets a
-- new keyed post.
CREATE TABLE idempotency (
    model_id     TEXT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    added        INTEGER NOT NULL CHECK (added >= 0),
    total        INTEGER NOT NULL CHECK (total >= 0),
    created_at   REAL NOT NULL,
    PRIMARY KEY (model_id, key)
);
