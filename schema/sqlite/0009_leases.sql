-- 0009_leases.sql - jobs under a lease (DESIGN.md "Scale past one
-- machine"; schema/pg/0009_leases.sql is the same change for PostgreSQL).
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
--
-- Here the lease is a row of its own (PostgreSQL: columns of jobs): each
-- ALTER TABLE ... ADD COLUMN makes SQLite parse the whole schema again,
-- and four of them cost 4,500 allocations on every new database, which
-- the malloc-failure loops of test_storage_faults pay once per N.
CREATE TABLE job_leases (
    job_id      TEXT PRIMARY KEY NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    node        TEXT,
    lease_until REAL,
    n_samples   INTEGER NOT NULL
);
CREATE TABLE job_checkpoints (
    job_id  TEXT PRIMARY KEY NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    epoch   INTEGER NOT NULL,
    state   BLOB NOT NULL
);
