/*
 * pg_sql.c - the PostgreSQL text of every statement of the storage
 * module, under the same ids and with the same columns in the same order
 * as the SQLite table (storage/sqlite/storage_sql.c), so that the code
 * reading the rows is the backends' shared code. Parameters are $N with
 * the types of pg_stmt.types (i int8, d float8, t text, b bytea).
 *
 * What differs from SQLite's text: insertion order is a seq identity
 * column (SQLite's rowid); sum() of bigint is numeric, cast back to
 * bigint; a boolean is counted with FILTER; ON CONFLICT DO UPDATE names
 * its table; names sort byte by byte (COLLATE "C", SQLite's BINARY);
 * an INSERT whose id the caller wants back says RETURNING.
 */
#include "storage/pg/pg_internal.h"

#define JOB_COLUMNS                                                            \
    "id, model_id, status, params_json, error, epoch, epochs, loss, val_loss, " \
    "version, created_at, started_at, finished_at, owner, stop_reason, base_version, " \
    "attempt, node, lease_until, n_samples"
#define MODEL_COLUMNS                                                                 \
    "m.id, m.name, m.spec_json, m.version, m.samples, m.last_loss, m.created_at, "    \
    "m.updated_at, m.owner, coalesce(u.name, ''), m.public_predict"
#define MODEL_FROM " FROM models AS m LEFT JOIN users AS u ON u.id = m.owner "
#define EXERCISE_COLUMNS "id, owner, title, network, seed, steps, tolerance, created_at"
#define ATTEMPT_COLUMNS                                                             \
    "id, exercise_id, user_id, created_at, given, correct, score, mistakes, revealed"
#define USER_COLUMNS \
    "id, name, role, token_id, token_salt, token_hash, created_at, token_at"

#define DATASET_COLUMNS                                                                    \
    "d.id, d.owner, coalesce(u.name, ''), d.name, d.visibility, d.inputs, d.outputs, "    \
    "d.classes, d.test_fraction, d.seed, d.n_rows, d.n_train, d.n_test, d.public_json, "  \
    "d.created_at"
#define SCORE_COLUMNS                                                                      \
    "s.user_id, coalesce(u.name, ''), s.metric, s.score, s.loss, s.model_id, s.version, " \
    "s.evaluations, s.best_at, s.last_at"

const pg_stmt pg_sql[Q_N_STMTS] = {
    /* Transactions are pg_begin/pg_commit/pg_rollback's (pg_conn.c):
     * these ids have no text here. */
    [Q_BEGIN_WRITE] = {NULL, ""},
    [Q_BEGIN_READ] = {NULL, ""},
    [Q_COMMIT] = {NULL, ""},
    [Q_ROLLBACK] = {NULL, ""},

    [Q_MODEL_GET] = {"SELECT " MODEL_COLUMNS MODEL_FROM "WHERE m.id = $1", "t"},
    [Q_MODEL_LIST] = {"SELECT " MODEL_COLUMNS MODEL_FROM "ORDER BY m.created_at, m.seq", ""},
    [Q_MODEL_DELETE] = {"DELETE FROM models WHERE id = $1", "t"},
    [Q_MODEL_EXISTS] = {"SELECT samples FROM models WHERE id = $1", "t"},
    [Q_MODEL_SET_VERSION] = {"UPDATE models SET version = $2, updated_at = $3, "
                               "last_loss = coalesce($4, last_loss) WHERE id = $1",
                               "tidd"},
    [Q_COUNT] = {"SELECT (SELECT count(*) FROM models), "
                   "(SELECT coalesce(sum(samples), 0)::bigint FROM models), "
                   "(SELECT count(*) FROM jobs)",
                   ""},

    [Q_VERSION_INSERT] = {"INSERT INTO versions (model_id, version, source, created_at, "
                            "loss, blob, crc) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                            "titddbi"},
    [Q_VERSION_MAX] = {"SELECT coalesce(max(version), 0) FROM versions WHERE model_id = $1",
                         "t"},
    [Q_VERSION_GET] = {"SELECT v.version, v.blob, v.crc, v.loss FROM models AS m "
                         "JOIN versions AS v ON v.model_id = m.id AND v.version = "
                         "CASE WHEN $2 = 0 THEN m.version ELSE $2 END WHERE m.id = $1",
                         "ti"},
    [Q_VERSION_LIST] = {"SELECT version, source, created_at, loss FROM versions "
                          "WHERE model_id = $1 ORDER BY version",
                          "t"},

    [Q_SAMPLES_INSERT] = {"INSERT INTO samples (model_id, first, n, x, y) "
                            "VALUES ($1, $2, $3, $4, $5)",
                            "tiibb"},
    [Q_SAMPLES_SET_TOTAL] = {"UPDATE models SET samples = $2, updated_at = $3 WHERE id = $1",
                               "tid"},
    [Q_SAMPLES_PAGE] = {"SELECT first, n, x, y FROM samples WHERE model_id = $1 AND "
                          "first >= coalesce((SELECT first FROM samples WHERE model_id = $1 "
                          "AND first <= $2 ORDER BY first DESC LIMIT 1), 0) ORDER BY first",
                          "ti"},
    [Q_SAMPLES_DELETE] = {"DELETE FROM samples WHERE model_id = $1", "t"},

    [Q_JOB_ACTIVE] = {"SELECT id FROM jobs WHERE model_id = $1 AND "
                        "status IN ('queued', 'running') LIMIT 1",
                        "t"},
    [Q_JOB_INSERT] = {"INSERT INTO jobs (" JOB_COLUMNS ") VALUES "
                        "($1, $2, 'queued', $3, NULL, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
                        "NULL, 0, 0, NULL, NULL, 0)",
                        "tttiiddidddt"},
    [Q_JOB_UPDATE] = {"UPDATE jobs SET status = $2, epoch = $3, loss = $4, val_loss = $5, "
                        "error = $6, version = $7, started_at = $8, finished_at = $9, "
                        "stop_reason = $10, base_version = $11 WHERE id = $1 AND attempt = $12",
                        "ttiddtiddtii"},
    [Q_JOB_GET] = {"SELECT " JOB_COLUMNS " FROM jobs WHERE id = $1", "t"},
    [Q_JOB_LIST_MODEL] = {"SELECT " JOB_COLUMNS " FROM jobs WHERE model_id = $1 "
                            "ORDER BY created_at, seq",
                            "t"},
    [Q_JOB_LIST_ALL] = {"SELECT " JOB_COLUMNS " FROM jobs ORDER BY created_at, seq", ""},
    /* The fair pick (the queued job whose owner runs the fewest jobs, then
     * the oldest) with the running counts taken once, not once per queued
     * row; before it a running job whose lease has passed ($1 now) with
     * fewer than $2 attempts: its node died or froze. A job another node
     * is claiming right now is skipped (its row stays locked until that
     * claim commits). The claim runs at READ COMMITTED ('R' in
     * pg_stmt.types). */
    [Q_JOB_NEXT] = {"WITH running AS (SELECT owner, count(*) AS n FROM jobs "
                      "WHERE status = 'running' GROUP BY owner) "
                      "SELECT q.id, q.model_id, q.status, q.params_json, q.error, q.epoch, "
                      "q.epochs, q.loss, q.val_loss, q.version, q.created_at, q.started_at, "
                      "q.finished_at, q.owner, q.stop_reason, q.base_version, q.attempt, "
                      "q.node, q.lease_until, q.n_samples "
                      "FROM jobs AS q LEFT JOIN running AS r ON r.owner = q.owner "
                      "WHERE q.status = 'queued' OR (q.status = 'running' AND "
                      "q.lease_until < $1 AND q.attempt < $2) "
                      "ORDER BY q.status = 'queued', coalesce(r.n, 0), q.created_at, q.seq "
                      "LIMIT 1 FOR UPDATE OF q SKIP LOCKED",
                      "Rdi"},
    /* As SQLite's: $1 id, $2 now, $3 node, $4 lease_until; the first claim
     * fixes the sample snapshot. */
    [Q_JOB_CLAIM] = {"UPDATE jobs SET status = 'running', "
                       "started_at = CASE WHEN status = 'queued' THEN $2 ELSE started_at END, "
                       "n_samples = CASE WHEN attempt = 0 THEN (SELECT samples FROM "
                       "models WHERE models.id = jobs.model_id) ELSE n_samples END, "
                       "attempt = attempt + 1, node = $3, lease_until = $4 "
                       "WHERE id = $1 AND (status = 'queued' OR "
                       "(status = 'running' AND lease_until < $2))",
                       "tdtd"},
    /* SQLite keeps the lease in a row of its own; here Q_JOB_CLAIM set it */
    [Q_JOB_CLAIM_LEASE] = {"SELECT 1 WHERE $1 IS NULL AND $2 IS NULL AND $3 IS NULL "
                             "AND $4 IS NULL",
                             "tdtd"},
    [Q_JOB_FENCE] = {"UPDATE jobs SET lease_until = $3 WHERE id = $1 AND attempt = $2 "
                       "AND status = 'running'",
                       "tid"},
    [Q_JOB_FAIL_EXHAUSTED] = {"UPDATE jobs SET status = 'failed', stop_reason = 'interrupted', "
                                "error = 'interrupted: the nodes that ran it stopped renewing "
                                "its lease, attempt after attempt', finished_at = $1 "
                                "WHERE status = 'running' AND lease_until < $1 AND attempt >= $2",
                                "di"},
    [Q_CKPT_PUT] = {"INSERT INTO job_checkpoints (job_id, attempt, epoch, state) "
                      "VALUES ($1, $2, $3, $4) ON CONFLICT (job_id) DO UPDATE SET "
                      "attempt = excluded.attempt, epoch = excluded.epoch, "
                      "state = excluded.state",
                      "tiib"},
    [Q_CKPT_GET] = {"SELECT epoch, state FROM job_checkpoints WHERE job_id = $1", "t"},
    [Q_CKPT_DELETE] = {"DELETE FROM job_checkpoints WHERE job_id = $1", "t"},
    /* At start, as SQLite's: every running job fails "interrupted" - but
     * only when no other mlpd node is connected to the database (each
     * names itself "mlpd HOST:PID" in application_name): another node's
     * jobs are alive. Jobs under a lease (re-claimed when their node
     * dies) are the next step. */
    [Q_JOB_RECOVER] = {"UPDATE jobs SET status = 'failed', stop_reason = 'interrupted', "
                         "error = 'interrupted: the daemon stopped while the job ran', "
                         "finished_at = $1 WHERE status = 'running' AND NOT EXISTS ("
                         "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
                         "AND application_name LIKE 'mlpd %' "
                         "AND application_name <> current_setting('application_name'))",
                         "d"},
    [Q_JOB_CANCEL_QUEUED] = {"UPDATE jobs SET status = 'cancelled', "
                               "stop_reason = 'cancelled', finished_at = $2 "
                               "WHERE id = $1 AND status = 'queued'",
                               "td"},

    [Q_HISTORY_INSERT] = {"INSERT INTO history_chunks (model_id, job_id, min_epoch, "
                            "max_epoch, n, data) VALUES ($1, $2, $3, $4, $5, $6)",
                            "ttiiib"},
    [Q_HISTORY_LIST] = {"SELECT job_id, n, data FROM history_chunks "
                          "WHERE model_id = $1 ORDER BY seq",
                          "t"},
    [Q_HISTORY_JOB_AFTER] = {"SELECT n, data FROM history_chunks "
                               "WHERE job_id = $1 AND max_epoch > $2 ORDER BY seq",
                               "ti"},

    [Q_IDEM_GET] = {"SELECT request_hash, added, total FROM idempotency "
                      "WHERE model_id = $1 AND key = $2",
                      "tt"},
    [Q_IDEM_PUT] = {"INSERT INTO idempotency (model_id, key, request_hash, added, total, "
                      "created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                      "tttiid"},
    [Q_IDEM_EXPIRE] = {"DELETE FROM idempotency WHERE model_id = $1 AND created_at < $2",
                         "td"},

    [Q_MODEL_INSERT_OWNED] = {"INSERT INTO models (id, name, spec_json, version, samples, "
                                "created_at, updated_at, owner, public_predict) "
                                "VALUES ($1, $2, $3, 1, 0, $4, $4, $5, $6)",
                                "tttdti"},
    [Q_MODEL_LIST_OWNED] = {"SELECT " MODEL_COLUMNS MODEL_FROM "WHERE m.owner = $1 "
                              "ORDER BY m.created_at, m.seq",
                              "t"},
    [Q_MODEL_ACCESS] = {"SELECT owner, public_predict FROM models WHERE id = $1", "t"},
    [Q_MODEL_SET_PUBLIC] = {"UPDATE models SET public_predict = $2, updated_at = $3 "
                              "WHERE id = $1",
                              "tid"},
    [Q_MODEL_COUNT_OWNED] = {"SELECT count(*) FROM models WHERE owner = $1", "t"},
    /* a user's samples: their models' and their datasets' rows (0008) */
    [Q_SAMPLES_OWNED] = {"SELECT (coalesce((SELECT sum(samples) FROM models WHERE owner = $1), 0) "
                         "+ coalesce((SELECT sum(n_rows) FROM datasets WHERE owner = $1), 0))"
                         "::bigint",
                         "t"},
    [Q_USER_INSERT] = {"INSERT INTO users (" USER_COLUMNS ") VALUES "
                         "($1, $2, $3, $4, $5, $6, $7, $7)",
                         "ttttbbd"},
    [Q_USER_BY_NAME] = {"SELECT " USER_COLUMNS " FROM users WHERE name = $1", "t"},
    [Q_USER_BY_TOKEN] = {"SELECT " USER_COLUMNS " FROM users WHERE token_id = $1", "t"},
    [Q_USER_SET_TOKEN] = {"UPDATE users SET token_id = $2, token_salt = $3, "
                            "token_hash = $4, token_at = $5 WHERE name = $1 AND id <> 'local'",
                            "ttbbd"},
    [Q_USER_DELETE] = {"DELETE FROM users WHERE id = $1 AND id <> 'local'", "t"},
    [Q_USER_MODELS_DELETE] = {"DELETE FROM models WHERE owner = $1", "t"},
    [Q_USER_LIST] = {"SELECT " USER_COLUMNS ", "
                       "(SELECT count(*) FROM models WHERE owner = users.id), "
                       "((SELECT coalesce(sum(samples), 0) FROM models "
                       "WHERE owner = users.id) + (SELECT coalesce(sum(n_rows), 0) "
                       "FROM datasets WHERE owner = users.id))::bigint, "
                       "(SELECT coalesce(sum(train_seconds), 0) FROM user_usage "
                       "WHERE user_id = users.id) FROM users ORDER BY created_at, seq",
                       ""},
    [Q_USAGE_ADD] = {"INSERT INTO user_usage (user_id, day, train_seconds) "
                       "VALUES ($1, $2, $3) ON CONFLICT (user_id, day) DO UPDATE SET "
                       "train_seconds = user_usage.train_seconds + excluded.train_seconds",
                       "ttd"},
    [Q_JOBS_ACTIVE_OWNED] = {"SELECT count(*) FILTER (WHERE j.status = 'running'), "
                               "count(*) FILTER (WHERE j.status = 'queued') FROM jobs AS j "
                               "JOIN models AS m ON m.id = j.model_id WHERE m.owner = $1 "
                               "AND j.status IN ('queued', 'running')",
                               "t"},
    [Q_USAGE_GET] = {"SELECT train_seconds FROM user_usage WHERE user_id = $1 AND day = $2",
                       "tt"},

    [Q_EXERCISE_INSERT] = {"INSERT INTO exercises (id, owner, title, network, seed, steps, "
                             "tolerance, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                             "ttttiidd"},
    [Q_EXERCISE_GET] = {"SELECT " EXERCISE_COLUMNS " FROM exercises WHERE id = $1", "t"},
    [Q_EXERCISE_LIST] = {"SELECT " EXERCISE_COLUMNS " FROM exercises "
                           "ORDER BY created_at, seq",
                           ""},
    [Q_EXERCISE_DELETE] = {"DELETE FROM exercises WHERE id = $1", "t"},
    [Q_ATTEMPT_INSERT] = {"INSERT INTO exercise_attempts (exercise_id, user_id, created_at, "
                            "given, correct, score, mistakes, revealed) "
                            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                            "ttdiidti"},
    [Q_ATTEMPT_COUNT] = {"SELECT count(*) FROM exercise_attempts "
                           "WHERE exercise_id = $1 AND user_id = $2",
                           "tt"},
    [Q_ATTEMPT_LIST_USER] = {"SELECT " ATTEMPT_COLUMNS " FROM exercise_attempts "
                               "WHERE exercise_id = $1 AND user_id = $2 ORDER BY id",
                               "tt"},
    [Q_ATTEMPT_LIST_ALL] = {"SELECT " ATTEMPT_COLUMNS " FROM exercise_attempts "
                              "WHERE exercise_id = $1 ORDER BY user_id COLLATE \"C\", id",
                              "t"},
    [Q_EXERCISE_RESULTS] = {"SELECT u.id, u.name, u.role, count(a.id), max(a.score), "
                              "max(a.created_at) FROM users AS u "
                              "LEFT JOIN exercise_attempts AS a "
                              "ON a.user_id = u.id AND a.exercise_id = $1 "
                              "GROUP BY u.id HAVING u.role = 'user' OR count(a.id) > 0 "
                              "ORDER BY u.name COLLATE \"C\"",
                              "t"},

    /* real data (storage_realdata.c); SQLite's INSERT OR REPLACE is an
     * upsert on the primary key here */
    [Q_MODEL_REPLACE_SPEC] = {"UPDATE models SET spec_json = $3 WHERE id = $1 AND spec_json = $2",
                              "ttt"},
    [Q_JOB_WARNINGS_SET] = {"INSERT INTO job_warnings (job_id, warnings) VALUES ($1, $2) "
                            "ON CONFLICT (job_id) DO UPDATE SET warnings = excluded.warnings",
                            "tt"},
    [Q_JOB_WARNINGS_GET] = {"SELECT warnings FROM job_warnings WHERE job_id = $1", "t"},
    [Q_HISTORY_EXTRA_INSERT] = {"INSERT INTO history_extra (model_id, job_id, epoch, "
                                "learning_rate, accuracy, val_accuracy) "
                                "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (job_id, epoch) "
                                "DO UPDATE SET model_id = excluded.model_id, "
                                "learning_rate = excluded.learning_rate, "
                                "accuracy = excluded.accuracy, "
                                "val_accuracy = excluded.val_accuracy",
                                "ttiddd"},
    [Q_HISTORY_EXTRA_LIST] = {"SELECT job_id, epoch, learning_rate, accuracy, val_accuracy "
                              "FROM history_extra WHERE model_id = $1 ORDER BY seq",
                              "t"},

    /* datasets and their scores (storage_datasets.c) */
    [Q_DATASET_INSERT] = {"INSERT INTO datasets (id, owner, name, visibility, inputs, outputs, "
                          "classes, test_fraction, seed, n_rows, n_train, n_test, public_json, "
                          "owner_json, x_train, y_train, y1_train, x_test, y_test, y1_test, "
                          "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
                          "$12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
                          "ttttiitdiiiittbbbbbbd"},
    [Q_DATASET_GET] = {"SELECT " DATASET_COLUMNS ", d.owner_json FROM datasets d "
                       "LEFT JOIN users u ON u.id = d.owner WHERE d.id = $1",
                       "t"},
    [Q_DATASET_LIST] = {"SELECT " DATASET_COLUMNS " FROM datasets d "
                        "LEFT JOIN users u ON u.id = d.owner "
                        "WHERE $1::text IS NULL OR d.owner = $1 OR d.visibility = 'class' "
                        "ORDER BY d.created_at, d.id COLLATE \"C\"",
                        "t"},
    [Q_DATASET_SET_VISIBILITY] = {"UPDATE datasets SET visibility = CASE WHEN $2 <> 0 "
                                  "THEN 'class' ELSE 'private' END WHERE id = $1",
                                  "ti"},
    [Q_DATASET_DELETE] = {"DELETE FROM datasets WHERE id = $1", "t"},
    [Q_DATASET_READ_TRAIN] = {"SELECT n_train, inputs, outputs, x_train, y_train, y1_train "
                              "FROM datasets WHERE id = $1",
                              "t"},
    [Q_DATASET_READ_TEST] = {"SELECT n_test, inputs, outputs, x_test, y_test, y1_test "
                             "FROM datasets WHERE id = $1",
                             "t"},
    [Q_DATASET_TRAIN_ROWS] = {"SELECT n_train FROM datasets WHERE id = $1", "t"},
    [Q_DATASET_COPY] = {"INSERT INTO samples (model_id, first, n, x, y) SELECT $1, $2, n_train, "
                        "x_train, CASE WHEN $4 <> 0 THEN y1_train ELSE y_train END "
                        "FROM datasets WHERE id = $3 AND ($4 = 0 OR y1_train IS NOT NULL)",
                        "titi"},
    /* every right-hand side reads the row before the update */
    [Q_SCORE_RECORD] = {"INSERT INTO dataset_scores AS o (dataset_id, user_id, metric, score, "
                        "loss, model_id, version, evaluations, best_at, last_at) VALUES ($1, "
                        "$2, $3, $4, $5, $6, $7, 1, $8, $8) ON CONFLICT (dataset_id, user_id) "
                        "DO UPDATE SET evaluations = o.evaluations + 1, "
                        "last_at = excluded.last_at, "
                        "metric = CASE WHEN excluded.score > o.score THEN excluded.metric "
                        "ELSE o.metric END, "
                        "loss = CASE WHEN excluded.score > o.score THEN excluded.loss "
                        "ELSE o.loss END, "
                        "model_id = CASE WHEN excluded.score > o.score THEN excluded.model_id "
                        "ELSE o.model_id END, "
                        "version = CASE WHEN excluded.score > o.score THEN excluded.version "
                        "ELSE o.version END, "
                        "best_at = CASE WHEN excluded.score > o.score THEN excluded.best_at "
                        "ELSE o.best_at END, "
                        "score = CASE WHEN excluded.score > o.score THEN excluded.score "
                        "ELSE o.score END",
                        "tttddtid"},
    [Q_SCORE_GET] = {"SELECT " SCORE_COLUMNS " FROM dataset_scores s LEFT JOIN users u ON "
                     "u.id = s.user_id WHERE s.dataset_id = $1 AND s.user_id = $2",
                     "tt"},
    [Q_SCORE_LIST] = {"SELECT " SCORE_COLUMNS " FROM dataset_scores s LEFT JOIN users u ON "
                      "u.id = s.user_id WHERE s.dataset_id = $1 "
                      "ORDER BY s.score DESC, s.best_at, s.user_id COLLATE \"C\"",
                      "t"},

    /* import (one model with everything, in one transaction) */
    [Q_IMPORT_MODEL] = {"INSERT INTO models (id, name, spec_json, version, samples, "
                          "last_loss, created_at, updated_at) "
                          "VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
                          "tttiidd"},
    [Q_IMPORT_JOB] = {"INSERT INTO jobs (id, model_id, status, params_json, error, epoch, "
                        "epochs, loss, val_loss, version, created_at, started_at, "
                        "finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
                        "$12, $13)",
                        "tttttiiddiddd"},
    /* the payload is the job's id; sent when the transaction commits */
    [Q_CANCEL_SPREAD] = {"SELECT count(*) FROM (SELECT pg_notify('" PG_CHANNEL_CANCELS "', $1)) n",
                         "t"},
    /* each node's sessions are named "mlpd HOST:PID" (pg_conn.c) */
    [Q_NODES_LIVE] = {"SELECT count(DISTINCT application_name) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND application_name LIKE 'mlpd %'",
                      ""},
};
