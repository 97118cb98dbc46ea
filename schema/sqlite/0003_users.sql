-- 0003_users.sql - users and their bearer tokens, model ownership,
-- anonymous predict, and per-user daily training time.
--
-- A token is "mlpd_<token_id>_<secret>": token_id (16 hex digits, not
-- secret) finds the row; the whole token is checked against token_hash, a
-- BLAKE2b-256 keyed with the per-user random token_salt. The token itself
-- is never stored. The built-in user 'local' (an admin without a token)
-- owns everything made with --auth none, including models made before
-- this migration.
CREATE TABLE users (
    id         TEXT PRIMARY KEY NOT NULL,    -- 16 hex digits, or 'local'
    name       TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL CHECK (role IN ('user', 'admin')),
    token_id   TEXT UNIQUE,                  -- NULL: no token (local)
    token_salt BLOB,
    token_hash BLOB,
    created_at REAL NOT NULL,
    token_at   REAL                          -- when the token was issued
);

INSERT INTO users (id, name, role, created_at) VALUES ('local', 'local', 'admin', 0);

UPDATE models SET owner = 'local' WHERE owner IS NULL;

-- Predict on this model needs no token (for a web page); nothing else.
ALTER TABLE models ADD COLUMN public_predict INTEGER NOT NULL DEFAULT 0
    CHECK (public_predict IN (0, 1));

-- Training seconds used per user and UTC day (YYYY-MM-DD), kept apart
-- from jobs so that deleting a model does not give the time back.
CREATE TABLE user_usage (
    user_id       TEXT NOT NULL,
    day           TEXT NOT NULL,
    train_seconds REAL NOT NULL DEFAULT 0 CHECK (train_seconds >= 0),
    PRIMARY KEY (user_id, day)
);
