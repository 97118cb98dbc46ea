-- 0007_realdata.sql - what real data adds to jobs (DESIGN.md "Real data").
-- A job's warnings (JSON array of sentences, e.g. inputs far from unit
-- scale without input scaling), and per epoch what history shows beside
-- the losses: the learning rate of a schedule, and a classifier's
-- accuracy and validation accuracy (NULL where none). Kept apart from
-- history_chunks so that its 32-byte records stay as they are.
CREATE TABLE job_warnings (
    job_id   TEXT PRIMARY KEY NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    warnings TEXT NOT NULL
);
CREATE TABLE history_extra (
    model_id      TEXT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    job_id        TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    epoch         INTEGER NOT NULL,
    learning_rate REAL,
    accuracy      REAL,
    val_accuracy  REAL,
    PRIMARY KEY (job_id, epoch)
);
CREATE INDEX history_extra_by_model ON history_extra (model_id);
