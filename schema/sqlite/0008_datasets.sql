-- 0008_datasets.sql - a class's shared data sets (DESIGN.md "A class").
--
-- A dataset keeps its rows split once, at creation, by its seeded
-- stratified test_fraction: the training rows and the test rows each as
-- packed little-endian doubles (x: rows x inputs, y: rows x outputs; y1
-- for two classes: the probability of the second class, one column, the
-- shape of a one-sigmoid model), so that a copy into a model is one
-- INSERT ... SELECT. public_json is the description every reader sees
-- (columns, counts, statistics of the training rows); owner_json what
-- only the owner sees (the test rows' statistics and class counts).
-- n_rows counts against the owner's sample quota.
CREATE TABLE datasets (
    id          TEXT PRIMARY KEY NOT NULL,           -- 16 hex digits
    owner       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    visibility  TEXT NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'class')),
    inputs      INTEGER NOT NULL CHECK (inputs >= 1),
    outputs     INTEGER NOT NULL CHECK (outputs >= 1),
    classes     TEXT,                                -- JSON array of names; NULL for regression
    test_fraction REAL NOT NULL CHECK (test_fraction BETWEEN 0 AND 0.5),
    seed        INTEGER NOT NULL CHECK (seed >= 0),
    n_rows      INTEGER NOT NULL CHECK (n_rows >= 1),
    n_train     INTEGER NOT NULL CHECK (n_train >= 1),
    n_test      INTEGER NOT NULL CHECK (n_test >= 0 AND n_train + n_test = n_rows),
    public_json TEXT NOT NULL,
    owner_json  TEXT NOT NULL,
    x_train     BLOB NOT NULL,
    y_train     BLOB NOT NULL,
    y1_train    BLOB,
    x_test      BLOB NOT NULL,
    y_test      BLOB NOT NULL,
    y1_test     BLOB,
    created_at  REAL NOT NULL
);
CREATE INDEX datasets_by_owner ON datasets (owner);
CREATE INDEX datasets_by_visibility ON datasets (visibility);

-- Each user's best score on a dataset's test rows (higher is better:
-- accuracy for classes, r2 otherwise), with the model and version that
-- made it and how many evaluations there were. A model's deletion keeps
-- the score (no foreign key on model_id).
CREATE TABLE dataset_scores (
    dataset_id  TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    metric      TEXT NOT NULL,
    score       REAL NOT NULL,
    loss        REAL,
    model_id    TEXT NOT NULL,
    version     INTEGER NOT NULL,
    evaluations INTEGER NOT NULL DEFAULT 1 CHECK (evaluations >= 1),
    best_at     REAL NOT NULL,
    last_at     REAL NOT NULL,
    PRIMARY KEY (dataset_id, user_id)
);
