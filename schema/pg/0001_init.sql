-- 0001_init.sql (PostgreSQL) - the first schema of mlpd, the same tables
-- as schema/sqlite/0001_init.sql under the same number. Released
-- migrations are never edited: change the schema with a new numbered file
-- on both backends. Times are unix seconds (double precision); an unknown
-- loss is NULL. SQLite's rowid order becomes a seq identity column where
-- a listing is in insertion order.

-- One row per model. version and samples are kept here, updated in the
-- same transaction as the versions and samples rows they count.
CREATE TABLE models (
    id         text PRIMARY KEY,
    owner      text,                 -- NULL until users exist (later migration)
    name       text NOT NULL,
    spec_json  text NOT NULL,
    version    bigint NOT NULL DEFAULT 1,   -- current weights version
    samples    bigint NOT NULL DEFAULT 0 CHECK (samples >= 0),
    last_loss  double precision,
    created_at double precision NOT NULL,
    updated_at double precision NOT NULL,
    seq        bigint GENERATED ALWAYS AS IDENTITY UNIQUE
);
CREATE INDEX models_by_created ON models (created_at);
CREATE INDEX models_by_owner ON models (owner) WHERE owner IS NOT NULL;

-- Every stored weights version: the core's binary form and its CRC-32
-- (mlp_crc32), checked on every read.
CREATE TABLE versions (
    model_id   text NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    version    bigint NOT NULL CHECK (version >= 1),
    source     text NOT NULL
               CONSTRAINT versions_source_check
               CHECK (source IN ('init', 'put', 'step', 'train', 'restore')),
    created_at double precision NOT NULL,
    loss       double precision,
    blob       bytea NOT NULL,
    crc        bigint NOT NULL,
    PRIMARY KEY (model_id, version)
);

-- One row per posted batch: x and y are n rows of packed little-endian
-- doubles (one bytea row per request: a row per sample was 300 times
-- slower). first is the index of the batch's first sample within the
-- model, so a page starting at sample k starts at the batch with the
-- largest first <= k, found through the unique index.
CREATE TABLE samples (
    model_id text NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    first    bigint NOT NULL CHECK (first >= 0),
    n        bigint NOT NULL CHECK (n >= 1),
    x        bytea NOT NULL,
    y        bytea NOT NULL,
    UNIQUE (model_id, first)
);

CREATE TABLE jobs (
    id          text PRIMARY KEY,
    model_id    text NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    status      text NOT NULL
                CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    params_json text NOT NULL,
    epoch       bigint NOT NULL DEFAULT 0,
    epochs      bigint NOT NULL DEFAULT 0,
    loss        double precision,
    val_loss    double precision,
    error       text,
    version     bigint NOT NULL DEFAULT 0,  -- resulting weights version, 0 if none
    created_at  double precision NOT NULL,
    started_at  double precision,
    finished_at double precision,
    seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE
);
CREATE INDEX jobs_by_model ON jobs (model_id, created_at);
CREATE INDEX jobs_by_created ON jobs (created_at);
-- At most one queued or running job per model, whatever the caller does.
CREATE UNIQUE INDEX jobs_one_active ON jobs (model_id)
    WHERE status IN ('queued', 'running');

-- One row per trained epoch (replaced by history_chunks in 0005).
CREATE TABLE history (
    model_id text NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    job_id   text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    epoch    bigint NOT NULL,
    loss     double precision,
    val_loss double precision,
    time     double precision NOT NULL
);
CREATE INDEX history_by_model ON history (model_id);
CREATE INDEX history_by_job ON history (job_id, epoch);
