-- 0009_leases.sql (PostgreSQL) - jobs under a lease; the same change as
-- schema/sqlite/0009_leases.sql (see there). A running job whose
-- lease_until has passed is claimed again by any node (FOR UPDATE SKIP
-- LOCKED), at most 3 attempts in all.
ALTER TABLE jobs ADD COLUMN attempt bigint NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN node text;
ALTER TABLE jobs ADD COLUMN lease_until double precision;
ALTER TABLE jobs ADD COLUMN n_samples bigint NOT NULL DEFAULT 0;
-- The running jobs by lease: the claim looks for expired ones.
CREATE INDEX jobs_leases ON jobs (lease_until) WHERE status = 'running';
CREATE TABLE job_checkpoints (
    job_id  text PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    attempt bigint NOT NULL,
    epoch   bigint NOT NULL,
    state   bytea NOT NULL
);
