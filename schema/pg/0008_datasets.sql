-- 0008_datasets.sql (PostgreSQL) - a class's shared data sets (DESIGN.md
-- "A class"); the same tables as the SQLite 0008_datasets.sql.
--
-- A dataset keeps its rows split once, at creation, by its seeded
-- stratified test_fraction: the training rows and the test rows each as
-- packed little-endian doubles (x: rows x inputs, y: rows x outputs; y1
-- for two classes: the probability of the second class, one column), so
-- that a copy into a model is one INSERT ... SELECT. public_json is the
-- description every reader sees, owner_json what only the owner sees.
-- n_rows counts against the owner's sample quota.
CREATE TABLE datasets (
    id            text PRIMARY KEY,                  -- 16 hex digits
    owner         text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          text NOT NULL,
    visibility    text NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'class')),
    inputs        bigint NOT NULL CHECK (inputs >= 1),
    outputs       bigint NOT NULL CHECK (outputs >= 1),
    classes       text,                              -- JSON array of names; NULL for regression
    test_fraction double precision NOT NULL CHECK (test_fraction BETWEEN 0 AND 0.5),
    seed          bigint NOT NULL CHECK (seed >= 0),
    n_rows        bigint NOT NULL CHECK (n_rows >= 1),
    n_train       bigint NOT NULL CHECK (n_train >= 1),
    n_test        bigint NOT NULL CHECK (n_test >= 0 AND n_train + n_test = n_rows),
    public_json   text NOT NULL,
    owner_json    text NOT NULL,
    x_train       bytea NOT NULL,
    y_train       bytea NOT NULL,
    y1_train      bytea,
    x_test        bytea NOT NULL,
    y_test        bytea NOT NULL,
    y1_test       bytea,
    created_at    double precision NOT NULL
);
CREATE INDEX datasets_by_owner ON datasets (owner);
CREATE INDEX datasets_by_visibility ON datasets (visibility);

-- Each user's best score on a dataset's test rows (higher is better:
-- accuracy for classes, r2 otherwise); a model's deletion keeps it.
CREATE TABLE dataset_scores (
    dataset_id  text NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    user_id     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    metric      text NOT NULL,
    score       double precision NOT NULL,
    loss        double precision,
    model_id    text NOT NULL,
    version     bigint NOT NULL,
    evaluations bigint NOT NULL DEFAULT 1 CHECK (evaluations >= 1),
    best_at     double precision NOT NULL,
    last_at     double precision NOT NULL,
    PRIMARY KEY (dataset_id, user_id)
);
