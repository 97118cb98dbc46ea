-- 0006_exercises.sql - graded step exercises (DESIGN.md "A class").
--
-- An exercise keeps what makes every student's variant: the network (the
-- text "lecture-2-3-1" or a spec, as JSON), the seed, the steps and the
-- tolerance; variants and expected answers are recomputed from those and
-- the student's user id, never stored. An attempt keeps its grade: how
-- many numbers were given and right, the score, the slips named.
CREATE TABLE exercises (
    id         TEXT PRIMARY KEY NOT NULL,           -- 16 hex digits
    owner      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    network    TEXT NOT NULL,                       -- JSON: "lecture-2-3-1" or a spec
    seed       INTEGER NOT NULL CHECK (seed >= 0),
    steps      INTEGER NOT NULL CHECK (steps BETWEEN 1 AND 3),
    tolerance  REAL NOT NULL CHECK (tolerance > 0),
    created_at REAL NOT NULL
);

CREATE TABLE exercise_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    exercise_id TEXT NOT NULL REFERENCES exercises(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  REAL NOT NULL,
    given       INTEGER NOT NULL CHECK (given >= 1),
    correct     INTEGER NOT NULL CHECK (correct BETWEEN 0 AND given),
    score       REAL NOT NULL CHECK (score BETWEEN 0 AND 1),
    mistakes    TEXT NOT NULL DEFAULT '',           -- slip codes named, comma-separated
    revealed    INTEGER NOT NULL DEFAULT 0 CHECK (revealed IN (0, 1))
);

CREATE INDEX exercise_attempts_by_user ON exercise_attempts (exercise_id, user_id, id);
CREATE INDEX exercise_attempts_user ON exercise_attempts (user_id);
