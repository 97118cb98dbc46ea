-- 0007_realdata.sql (PostgreSQL) - what real data adds to jobs, the same
-- tables as schema/sqlite/0007_realdata.sql: a job's warnings (JSON array
-- of sentences), and per epoch the learning rate of a schedule and a
-- classifier's accuracy and validation accuracy (NULL where none), kept
-- apart from history_chunks so that its 32-byte records stay as they are.
-- Rows of history_extra are listed in seq (insertion) order.
CREATE TABLE job_warnings (
    job_id   text PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    warnings text NOT NULL
);
CREATE TABLE history_extra (
    model_id      text NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    job_id        text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    epoch         bigint NOT NULL,
    learning_rate double precision,
    accuracy      double precision,
    val_accuracy  double precision,
    seq           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    PRIMARY KEY (job_id, epoch)
);
CREATE INDEX history_extra_by_model ON history_extra (model_id, seq);
