-- 0001_init.sql - the first schema of mlpd.
-- Released migrations are never edited: change the schema with a new
-- numbered file. Times are unix seconds (REAL); an unknown loss is NULL.

-- One row per model. version and samples are kept here, updated in the
-- same transaction as the versions and samples rows they count.
CREATE TABLE models (
    id         TEXT PRIMARY KEY NOT NULL,
    owner      TEXT,                 -- NULL until users exist (later migration)
    name       TEXT NOT NULL,
    spec_json  TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,   -- current weights version
    samples    INTEGER NOT NULL DEFAULT 0 CHECK (samples >= 0),
    last_loss  REAL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX models_by_created ON models (created_at);
CREATE INDEX models_by_owner ON models (owner) WHERE owner IS NOT NULL;

-- Every stored weights version: the core's binary form and its CRC-32
-- (mlp_crc32), checked on every read.
CREATE TABLE versions (
    model_id   TEXT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    version    INTEGER NOT NULL CHECK (version >= 1),
    source     TEXT NOT NULL CHECK (source IN ('init', 'put', 'step', 'train', 'restore')),
    created_at REAL NOT NULL,
    loss       REAL,
    blob       BLOB NOT NULL,
    crc        INTEGER NOT NULL,
    PRIMARY KEY (model_id, version)
);

-- One row per posted batch: x and y are n rows of packed little-endian
-- doubles. first is the index of the batch's first sample within the
-- model, so a page starting at sample k starts at the batch with the
-- largest first <= k, found through the unique index.
CREATE TABLE samples (
    model_id TEXT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    first    INTEGER NOT NULL CHECK (first >= 0),
    n        INTEGER NOT NULL CHECK (n >= 1),
    x        BLOB NOT NULL,
    y        BLOB NOT NULL,
    UNIQUE (model_id, first)
);

CREATE TABLE jobs (
    id          TEXT PRIMARY KEY NOT NULL,
    model_id    TEXT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    status      TEXT NOT NULL
                CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    params_json TEXT NOT NULL,
    epoch       INTEGER NOT NULL DEFAULT 0,
    epochs      INTEGER NOT NULL DEFAULT 0,
    loss        REAL,
    val_loss    REAL,
    error       TEXT,
    version     INTEGER NOT NULL DEFAULT 0,  -- resulting weights version, 0 if none
    created_at  REAL NOT NULL,
    started_at  REAL,
    finished_at REAL
);
CREATE INDEX jobs_by_model ON jobs (model_id, created_at);
CREATE INDEX jobs_by_created ON jobs (created_at);
-- At most one queued or running job per model, whatever the caller does.
CREATE UNIQUE INDEX jobs_one_active ON jobs (model_id)
    WHERE status IN ('queued', 'running');

-- One row per trained epoch; listed in insertion (rowid) order.
CREATE TABLE history (
    model_id TEXT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    job_id   TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    epoch    INTEGER NOT NULL,
    loss     REAL,
    val_loss REAL,
    time     REAL NOT NULL
);
CREATE INDEX history_by_model ON history (model_id);
CREATE INDEX history_by_job ON history (job_id, epoch);
