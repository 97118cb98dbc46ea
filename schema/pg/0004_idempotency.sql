-- 0004_idempotency.sql (PostgreSQL) - Idempotency-Key on sample posts;
-- the same table as schema/sqlite/0004_idempotency.sql.
-- One row per (model, key) of a sample post that succeeded: a hash of the
-- request and its result, written in the same transaction as the samples,
-- so a retry after a lost answer (or 503 outcome_unknown) finds it and
-- adds nothing. Rows older than a day are dropped when the model gets a
-- new keyed post.
CREATE TABLE idempotency (
    model_id     text NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    key          text NOT NULL,
    request_hash text NOT NULL,
    added        bigint NOT NULL CHECK (added >= 0),
    total        bigint NOT NULL CHECK (total >= 0),
    created_at   double precision NOT NULL,
    PRIMARY KEY (model_id, key)
);
