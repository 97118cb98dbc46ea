-- 0009_leases.sql - jobs under a lease (DESIGN.md "Scale past one
-- machine"; the same change as schema/pg/0009_leases.sql).
--
-- A claim takes a job for lease_until (unix seconds) and counts an
-- attempt; the node that holds it renews the lease and writes its
-- progress fenced by (id, attempt), so a node whose lease passed to
-- another attempt writes nothing more. n_samples is the sample count at
-- the first claim: every attempt trains on the same snapshot, rows
-- [0, n_samples). job_checkpoints keeps the trainer's state (weights,
-- optimizer moments, random state, epoch: core's mlp_train_state_save)
-- written in the same transaction as the history up to its epoch, so a
-- re-claimed job resumes where that history ends. SQLite (one process)
-- keeps lease_until NULL: its jobs are never re-claimed, as before.
ALTER TABLE jobs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN node TEXT;
ALTER TABLE jobs ADD COLUMN lease_until REAL;
ALTER TABLE jobs ADD COLUMN n_samples INTEGER NOT NULL DEFAULT 0;
CREATE TABLE job_checkpoints (
    job_id  TEXT PRIMARY KEY NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    epoch   INTEGER NOT NULL,
    state   BLOB NOT NULL
);
