-- 0002_jobs.sql (PostgreSQL) - training jobs run by worker threads; the
-- same change as schema/sqlite/0002_jobs.sql. Released migrations are
-- never edited.

-- Who queued the job: the fair pick takes the queued job whose owner has
-- the fewest running jobs, then the oldest. '' until users exist.
ALTER TABLE jobs ADD COLUMN owner text NOT NULL DEFAULT '';
-- Why the job ended: epochs, target_loss, early_stopping, timeout,
-- cancelled, diverged, interrupted, error (NULL while queued or running).
ALTER TABLE jobs ADD COLUMN stop_reason text;
-- The weights version current when the job started (0 until it starts).
ALTER TABLE jobs ADD COLUMN base_version bigint NOT NULL DEFAULT 0;
-- The queue: queued jobs in age order, running jobs counted per owner.
CREATE INDEX jobs_by_status ON jobs (status, owner, created_at);

-- Checkpoints publish versions with source 'checkpoint' (PostgreSQL
-- changes the CHECK in place; SQLite had to rebuild the table).
ALTER TABLE versions DROP CONSTRAINT versions_source_check;
ALTER TABLE versions ADD CONSTRAINT versions_source_check
    CHECK (source IN ('init', 'put', 'step', 'train', 'restore', 'checkpoint'));
