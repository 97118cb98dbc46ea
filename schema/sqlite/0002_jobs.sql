-- 0002_jobs.sql - training jobs run by worker threads (issue 4).
-- Released migrations are never edited.

-- Who queued the job: the fair pick takes the queued job whose owner has
-- the fewest running jobs, then the oldest. '' until users exist.
ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
-- Why the job ended: epochs, target_loss, early_stopping, timeout,
-- cancelled, diverged, interrupted, error (NULL while queued or running).
ALTER TABLE jobs ADD COLUMN stop_reason TEXT;
-- The weights version current when the job started (0 until it starts).
ALTER TABLE jobs ADD COLUMN base_version INTEGER NOT NULL DEFAULT 0;
-- The queue: queued jobs in age order, running jobs counted per owner.
CREATE INDEX jobs_by_status ON jobs (status, owner, created_at);

-- Checkpoints publish versions with source 'checkpoint'. SQLite cannot
-- change a CHECK constraint in place: rebuild the table (nothing refers
-- to versions, so the copy keeps every row as it was).
CREATE TABLE versions_new (
    model_id   TEXT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    version    INTEGER NOT NULL CHECK (version >= 1),
    source     TEXT NOT NULL
               CHECK (source IN ('init', 'put', 'step', 'train', 'restore', 'checkpoint')),
    created_at REAL NOT NULL,
    loss       REAL,
    blob       BLOB NOT NULL,
    crc        INTEGER NOT NULL,
    PRIMARY KEY (model_id, version)
);
INSERT INTO versions_new (model_id, version, source, created_at, loss, blob, crc)
    SELECT model_id, version, source, created_at, loss, blob, crc FROM versions;
DROP TABLE versions;
ALTER TABLE versions_new RENAME TO versions;
