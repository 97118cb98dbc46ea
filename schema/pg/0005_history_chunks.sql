-- 0005_history_chunks.sql (PostgreSQL) - a job's history stored one batch
-- to a row, as in schema/sqlite/0005_history_chunks.sql: a batch's epochs
-- are 32-byte records in data: the epoch (int64), loss, validation loss,
-- time (binary64), all little-endian, NaN for none. min_epoch/max_epoch
-- let an event stream skip the batches it has sent. Rows are read in seq
-- (insertion) order.
CREATE TABLE history_chunks (
    model_id  text NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    job_id    text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    min_epoch bigint NOT NULL,
    max_epoch bigint NOT NULL,
    n         bigint NOT NULL CHECK (n >= 1),
    data      bytea NOT NULL CHECK (octet_length(data) = 32 * n),
    seq       bigint GENERATED ALWAYS AS IDENTITY UNIQUE
);
CREATE INDEX history_chunks_by_model ON history_chunks (model_id, seq);
CREATE INDEX history_chunks_by_job ON history_chunks (job_id, max_epoch);

-- The PostgreSQL backend came after this migration: every database it
-- made applies 0001..0005 at once, so history is always empty here.
-- Should one ever hold rows, stop rather than drop them.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM history) THEN
        RAISE EXCEPTION '0005: table history has rows; move them to history_chunks first';
    END IF;
END
$$;
DROP TABLE history;
