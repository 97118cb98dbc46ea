-- 0003_users.sql (PostgreSQL) - users and their bearer tokens, model
-- ownership, anonymous predict, and per-user daily training time; the
-- same change as schema/sqlite/0003_users.sql.
--
-- A token is "mlpd_<token_id>_<secret>": token_id (16 hex digits, not
-- secret) finds the row; the whole token is checked against token_hash, a
-- BLAKE2b-256 keyed with the per-user random token_salt. The token itself
-- is never stored. The built-in user 'local' (an admin without a token)
-- owns everything made with --auth none, including models made before
-- this migration.
CREATE TABLE users (
    id         text PRIMARY KEY,             -- 16 hex digits, or 'local'
    name       text NOT NULL UNIQUE,
    role       text NOT NULL CHECK (role IN ('user', 'admin')),
    token_id   text UNIQUE,                  -- NULL: no token (local)
    token_salt bytea,
    token_hash bytea,
    created_at double precision NOT NULL,
    token_at   double precision,             -- when the token was issued
    seq        bigint GENERATED ALWAYS AS IDENTITY UNIQUE
);

INSERT INTO users (id, name, role, created_at) VALUES ('local', 'local', 'admin', 0);

UPDATE models SET owner = 'local' WHERE owner IS NULL;

-- Predict on this model needs no token (for a web page); nothing else.
ALTER TABLE models ADD COLUMN public_predict integer NOT NULL DEFAULT 0
    CHECK (public_predict IN (0, 1));

-- Training seconds used per user and UTC day (YYYY-MM-DD), kept apart
-- from jobs so that deleting a model does not give the time back.
CREATE TABLE user_usage (
    user_id       text NOT NULL,
    day           text NOT NULL,
    train_seconds double precision NOT NULL DEFAULT 0 CHECK (train_seconds >= 0),
    PRIMARY KEY (user_id, day)
);
