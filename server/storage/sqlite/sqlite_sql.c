/*
 * sqlite_sql.c - the SQLite text of every statement storage runs, indexed
 * by st_stmt_id (storage/statements.h), in one table so the whole of its
 * SQL can be read (and grepped) at once. Only ?N parameters: no statement
 * is ever built from strings. Another backend has a table like it with the
 * same parameters and columns.
 */
#include "storage/sqlite/sqlite_internal.h"

#define JOB_COLUMNS                                                            \
    "id, model_id, status, params_json, error, epoch, epochs, loss, val_loss, " \
    "version, created_at, started_at, finished_at, owner, stop_reason, base_version"
/* A job as read: its row and its lease (schema 0009), as PostgreSQL's
 * columns of jobs; JOB_FROM is the join. */
#define JOB_SELECT                                                                            \
    "jobs.id, jobs.model_id, jobs.status, jobs.params_json, jobs.error, jobs.epoch, "        \
    "jobs.epochs, jobs.loss, jobs.val_loss, jobs.version, jobs.created_at, jobs.started_at, " \
    "jobs.finished_at, jobs.owner, jobs.stop_reason, jobs.base_version, "                    \
    "coalesce(l.attempt, 0), l.node, l.lease_until, coalesce(l.n_samples, 0)"
#define JOB_FROM " FROM jobs LEFT JOIN job_leases AS l ON l.job_id = jobs.id "
/* a job's attempt, 0 before its first claim */
#define JOB_ATTEMPT(id) "coalesce((SELECT attempt FROM job_leases WHERE job_id = " id "), 0)"
/* models AS m LEFT JOIN users AS u: the owner's name comes along */
#define MODEL_COLUMNS                                                                 \
    "m.id, m.name, m.spec_json, m.version, m.samples, m.last_loss, m.created_at, "    \
    "m.updated_at, m.owner, coalesce(u.name, ''), m.public_predict"
#define MODEL_FROM " FROM models AS m LEFT JOIN users AS u ON u.id = m.owner "
#define EXERCISE_COLUMNS "id, owner, title, network, seed, steps, tolerance, created_at"
#define ATTEMPT_COLUMNS                                                             \
    "id, exercise_id, user_id, created_at, given, correct, score, mistakes, revealed"
#define DATASET_COLUMNS                                                                    \
    "d.id, d.owner, coalesce(u.name, ''), d.name, d.visibility, d.inputs, d.outputs, "    \
    "d.classes, d.test_fraction, d.seed, d.n_rows, d.n_train, d.n_test, d.public_json, "  \
    "d.created_at"
#define SCORE_COLUMNS                                                                      \
    "s.user_id, coalesce(u.name, ''), s.metric, s.score, s.loss, s.model_id, s.version, " \
    "s.evaluations, s.best_at, s.last_at"
#define USER_COLUMNS \
    "id, name, role, token_id, token_salt, token_hash, created_at, token_at"

const char *const sq_sql[Q_N_STMTS] = {
    [Q_BEGIN_WRITE] = "BEGIN IMMEDIATE",
    [Q_BEGIN_READ] = "BEGIN",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",

    [Q_MODEL_GET] = "SELECT " MODEL_COLUMNS MODEL_FROM "WHERE m.id = ?1",
    [Q_MODEL_LIST] = "SELECT " MODEL_COLUMNS MODEL_FROM "ORDER BY m.created_at, m.rowid",
    [Q_MODEL_DELETE] = "DELETE FROM models WHERE id = ?1",
    [Q_MODEL_EXISTS] = "SELECT samples FROM models WHERE id = ?1",
    /* last_loss changes only when the new weights come with a known loss */
    [Q_MODEL_SET_VERSION] = "UPDATE models SET version = ?2, updated_at = ?3, "
                            "last_loss = coalesce(?4, last_loss) WHERE id = ?1",
    [Q_COUNT] = "SELECT (SELECT count(*) FROM models), "
                "(SELECT coalesce(sum(samples), 0) FROM models), "
                "(SELECT count(*) FROM jobs)",

    [Q_VERSION_INSERT] = "INSERT INTO versions (model_id, version, source, created_at, "
                         "loss, blob, crc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_VERSION_MAX] = "SELECT coalesce(max(version), 0) FROM versions WHERE model_id = ?1",
    /* ?2 = 0 reads the current version */
    [Q_VERSION_GET] = "SELECT v.version, v.blob, v.crc, v.loss FROM models AS m "
                      "JOIN versions AS v ON v.model_id = m.id AND v.version = "
                      "CASE WHEN ?2 = 0 THEN m.version ELSE ?2 END WHERE m.id = ?1",
    [Q_VERSION_LIST] = "SELECT version, source, created_at, loss FROM versions "
                       "WHERE model_id = ?1 ORDER BY version",

    [Q_SAMPLES_INSERT] = "INSERT INTO samples (model_id, first, n, x, y) "
                         "VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_SAMPLES_SET_TOTAL] = "UPDATE models SET samples = ?2, updated_at = ?3 WHERE id = ?1",
    /* batches from the one holding sample ?2 on, both found by the index */
    [Q_SAMPLES_PAGE] = "SELECT first, n, x, y FROM samples WHERE model_id = ?1 AND "
                       "first >= coalesce((SELECT first FROM samples WHERE model_id = ?1 "
                       "AND first <= ?2 ORDER BY first DESC LIMIT 1), 0) ORDER BY first",
    [Q_SAMPLES_DELETE] = "DELETE FROM samples WHERE model_id = ?1",

    [Q_JOB_ACTIVE] = "SELECT id FROM jobs WHERE model_id = ?1 AND "
                     "status IN ('queued', 'running') LIMIT 1",
    [Q_JOB_INSERT] = "INSERT INTO jobs (" JOB_COLUMNS ") VALUES "
                     "(?1, ?2, 'queued', ?3, NULL, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                     "NULL, 0)",
    [Q_JOB_UPDATE] = "UPDATE jobs SET status = ?2, epoch = ?3, loss = ?4, val_loss = ?5, "
                     "error = ?6, version = ?7, started_at = ?8, finished_at = ?9, "
                     "stop_reason = ?10, base_version = ?11 WHERE id = ?1 AND " JOB_ATTEMPT("?1") " = ?12",
    [Q_JOB_GET] = "SELECT " JOB_SELECT JOB_FROM "WHERE jobs.id = ?1",
    [Q_JOB_LIST_MODEL] = "SELECT " JOB_SELECT JOB_FROM "WHERE jobs.model_id = ?1 "
                         "ORDER BY jobs.created_at, jobs.rowid",
    [Q_JOB_LIST_ALL] = "SELECT " JOB_SELECT JOB_FROM "ORDER BY jobs.created_at, jobs.rowid",

    /* The fair pick: the queued job whose owner runs the fewest jobs, then
     * the oldest (both through jobs_by_status). A running job whose lease
     * passed (?1 now, fewer than ?2 attempts) would come first, but SQLite's
     * claims leave lease_until NULL: one process, nobody to take over. */
    [Q_JOB_NEXT] = "SELECT " JOB_SELECT JOB_FROM "WHERE jobs.status = 'queued' OR "
                   "(jobs.status = 'running' AND l.lease_until < ?1 AND l.attempt < ?2) "
                   "ORDER BY jobs.status = 'queued', (SELECT count(*) FROM jobs AS r "
                   "WHERE r.status = 'running' AND r.owner = jobs.owner), jobs.created_at, "
                   "jobs.rowid LIMIT 1",
    /* ?1 id, ?2 now, ?3 node, ?4 lease_until (NULL: no lease); the lease
     * row follows (Q_JOB_CLAIM_LEASE). The first claim of a queued job
     * fixes its start. */
    [Q_JOB_CLAIM] = "UPDATE jobs SET status = 'running', "
                    "started_at = CASE WHEN status = 'queued' THEN ?2 ELSE started_at END "
                    "WHERE id = ?1 AND (status = 'queued' OR (status = 'running' AND "
                    "(SELECT lease_until FROM job_leases WHERE job_id = ?1) < ?2)) "
                    "AND (?3 IS NULL OR ?4 IS NULL OR 1)",
    /* The claim's attempt, node and lease; the first one fixes the sample
     * snapshot (the model's count then). */
    [Q_JOB_CLAIM_LEASE] = "INSERT INTO job_leases (job_id, attempt, node, lease_until, n_samples) "
                          "SELECT ?1, 1, ?3, ?4, m.samples FROM jobs AS j JOIN models AS m "
                          "ON m.id = j.model_id WHERE j.id = ?1 AND ?2 IS NOT NULL "
                          "ON CONFLICT (job_id) DO UPDATE SET attempt = attempt + 1, "
                          "node = excluded.node, lease_until = excluded.lease_until",
    /* ?1 id, ?2 attempt, ?3 lease_until: the fence of every write of a
     * running job, and its lease's renewal. */
    [Q_JOB_FENCE] = "UPDATE job_leases SET lease_until = ?3 WHERE job_id = ?1 AND attempt = ?2 "
                    "AND (SELECT status FROM jobs WHERE id = ?1) = 'running'",
    [Q_JOB_FAIL_EXHAUSTED] = "UPDATE jobs SET status = 'failed', stop_reason = 'interrupted', "
                             "error = 'interrupted: the nodes that ran it stopped renewing "
                             "its lease, attempt after attempt', finished_at = ?1 "
                             "WHERE status = 'running' AND id IN (SELECT job_id FROM job_leases "
                             "WHERE lease_until < ?1 AND attempt >= ?2)",
    [Q_CKPT_PUT] = "INSERT INTO job_checkpoints (job_id, attempt, epoch, state) "
                   "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (job_id) DO UPDATE SET "
                   "attempt = excluded.attempt, epoch = excluded.epoch, state = excluded.state",
    [Q_CKPT_GET] = "SELECT epoch, state FROM job_checkpoints WHERE job_id = ?1",
    [Q_CKPT_DELETE] = "DELETE FROM job_checkpoints WHERE job_id = ?1",
    [Q_JOB_RECOVER] = "UPDATE jobs SET status = 'failed', stop_reason = 'interrupted', "
                      "error = 'interrupted: the daemon stopped while the job ran', "
                      "finished_at = ?1 WHERE status = 'running'",
    [Q_JOB_CANCEL_QUEUED] = "UPDATE jobs SET status = 'cancelled', stop_reason = 'cancelled', "
                            "finished_at = ?2 WHERE id = ?1 AND status = 'queued'",

    [Q_HISTORY_INSERT] = "INSERT INTO history_chunks (model_id, job_id, min_epoch, max_epoch, "
                         "n, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_MODEL_INSERT_OWNED] = "INSERT INTO models (id, name, spec_json, version, samples, "
                             "created_at, updated_at, owner, public_predict) "
                             "VALUES (?1, ?2, ?3, 1, 0, ?4, ?4, ?5, ?6)",
    [Q_MODEL_LIST_OWNED] = "SELECT " MODEL_COLUMNS MODEL_FROM "WHERE m.owner = ?1 "
                           "ORDER BY m.created_at, m.rowid",
    [Q_MODEL_ACCESS] = "SELECT owner, public_predict FROM models WHERE id = ?1",
    [Q_MODEL_SET_PUBLIC] = "UPDATE models SET public_predict = ?2, updated_at = ?3 WHERE id = ?1",
    [Q_MODEL_COUNT_OWNED] = "SELECT count(*) FROM models WHERE owner = ?1",
    /* a user's samples: their models' and their datasets' rows (0008) */
    [Q_SAMPLES_OWNED] = "SELECT coalesce((SELECT sum(samples) FROM models WHERE owner = ?1), 0) + "
                        "coalesce((SELECT sum(n_rows) FROM datasets WHERE owner = ?1), 0)",
    [Q_USER_INSERT] = "INSERT INTO users (" USER_COLUMNS ") VALUES "
                      "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    [Q_USER_BY_NAME] = "SELECT " USER_COLUMNS " FROM users WHERE name = ?1",
    [Q_USER_BY_TOKEN] = "SELECT " USER_COLUMNS " FROM users WHERE token_id = ?1",
    [Q_USER_SET_TOKEN] = "UPDATE users SET token_id = ?2, token_salt = ?3, token_hash = ?4, "
                         "token_at = ?5 WHERE name = ?1 AND id <> 'local'",
    [Q_USER_DELETE] = "DELETE FROM users WHERE id = ?1 AND id <> 'local'",
    [Q_USER_MODELS_DELETE] = "DELETE FROM models WHERE owner = ?1",
    [Q_USER_LIST] = "SELECT " USER_COLUMNS ", "
                    "(SELECT count(*) FROM models WHERE owner = users.id), "
                    "(SELECT coalesce(sum(samples), 0) FROM models WHERE owner = users.id) + "
                    "(SELECT coalesce(sum(n_rows), 0) FROM datasets WHERE owner = users.id), "
                    "(SELECT coalesce(sum(train_seconds), 0) FROM user_usage "
                    "WHERE user_id = users.id) FROM users ORDER BY created_at, rowid",
    [Q_USAGE_ADD] = "INSERT INTO user_usage (user_id, day, train_seconds) VALUES (?1, ?2, ?3) "
                    "ON CONFLICT (user_id, day) DO UPDATE SET "
                    "train_seconds = train_seconds + excluded.train_seconds",
    /* through the models, so it holds whatever the jobs table keeps */
    [Q_JOBS_ACTIVE_OWNED] = "SELECT coalesce(sum(j.status = 'running'), 0), "
                            "coalesce(sum(j.status = 'queued'), 0) FROM jobs AS j "
                            "JOIN models AS m ON m.id = j.model_id WHERE m.owner = ?1 "
                            "AND j.status IN ('queued', 'running')",
    [Q_USAGE_GET] = "SELECT train_seconds FROM user_usage WHERE user_id = ?1 AND day = ?2",
    [Q_HISTORY_LIST] = "SELECT job_id, n, data FROM history_chunks "
                       "WHERE model_id = ?1 ORDER BY rowid",
    /* a job's chunks holding epochs after ?2 (event streams), by the
     * history_chunks_by_job index */
    [Q_HISTORY_JOB_AFTER] = "SELECT n, data FROM history_chunks "
                            "WHERE job_id = ?1 AND max_epoch > ?2 ORDER BY rowid",

    [Q_IDEM_GET] = "SELECT request_hash, added, total FROM idempotency "
                   "WHERE model_id = ?1 AND key = ?2",
    [Q_IDEM_PUT] = "INSERT INTO idempotency (model_id, key, request_hash, added, total, "
                   "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_IDEM_EXPIRE] = "DELETE FROM idempotency WHERE model_id = ?1 AND created_at < ?2",

    /* exercises and attempts (storage_exercises.c) */
    [Q_EXERCISE_INSERT] = "INSERT INTO exercises (id, owner, title, network, seed, steps, "
                          "tolerance, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [Q_EXERCISE_GET] = "SELECT " EXERCISE_COLUMNS " FROM exercises WHERE id = ?1",
    [Q_EXERCISE_LIST] = "SELECT " EXERCISE_COLUMNS " FROM exercises ORDER BY created_at, rowid",
    [Q_EXERCISE_DELETE] = "DELETE FROM exercises WHERE id = ?1",
    [Q_ATTEMPT_INSERT] = "INSERT INTO exercise_attempts (exercise_id, user_id, created_at, "
                         "given, correct, score, mistakes, revealed) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [Q_ATTEMPT_COUNT] = "SELECT count(*) FROM exercise_attempts "
                        "WHERE exercise_id = ?1 AND user_id = ?2",
    [Q_ATTEMPT_LIST_USER] = "SELECT " ATTEMPT_COLUMNS " FROM exercise_attempts "
                            "WHERE exercise_id = ?1 AND user_id = ?2 ORDER BY id",
    [Q_ATTEMPT_LIST_ALL] = "SELECT " ATTEMPT_COLUMNS " FROM exercise_attempts "
                           "WHERE exercise_id = ?1 ORDER BY user_id, id",
    /* every student, and anyone else who attempted, by name */
    [Q_EXERCISE_RESULTS] = "SELECT u.id, u.name, u.role, count(a.id), max(a.score), "
                           "max(a.created_at) FROM users AS u LEFT JOIN exercise_attempts AS a "
                           "ON a.user_id = u.id AND a.exercise_id = ?1 "
                           "GROUP BY u.id HAVING u.role = 'user' OR count(a.id) > 0 "
                           "ORDER BY u.name",

    /* real data (storage_realdata.c, schema 0007) */
    [Q_MODEL_REPLACE_SPEC] = "UPDATE models SET spec_json = ?3 WHERE id = ?1 AND spec_json = ?2",
    [Q_JOB_WARNINGS_SET] = "INSERT OR REPLACE INTO job_warnings (job_id, warnings) "
                           "VALUES (?1, ?2)",
    [Q_JOB_WARNINGS_GET] = "SELECT warnings FROM job_warnings WHERE job_id = ?1",
    [Q_HISTORY_EXTRA_INSERT] = "INSERT OR REPLACE INTO history_extra (model_id, job_id, epoch, "
                               "learning_rate, accuracy, val_accuracy) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_HISTORY_EXTRA_LIST] = "SELECT job_id, epoch, learning_rate, accuracy, val_accuracy FROM "
                             "history_extra WHERE model_id = ?1 ORDER BY rowid",

    /* datasets (storage_datasets.c, schema 0008): rows are blobs of packed
     * little-endian doubles as samples are; a copy into a model is one
     * INSERT ... SELECT of the training blobs, so the rows never leave the
     * database */
    [Q_DATASET_INSERT] = "INSERT INTO datasets (id, owner, name, visibility, inputs, outputs, "
                         "classes, test_fraction, seed, n_rows, n_train, n_test, public_json, "
                         "owner_json, x_train, y_train, y1_train, x_test, y_test, y1_test, "
                         "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                         "?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
    [Q_DATASET_GET] = "SELECT " DATASET_COLUMNS ", d.owner_json FROM datasets d "
                      "LEFT JOIN users u ON u.id = d.owner WHERE d.id = ?1",
    [Q_DATASET_LIST] = "SELECT " DATASET_COLUMNS " FROM datasets d LEFT JOIN users u ON "
                       "u.id = d.owner WHERE ?1 IS NULL OR d.owner = ?1 OR "
                       "d.visibility = 'class' ORDER BY d.created_at, d.id",
    [Q_DATASET_SET_VISIBILITY] = "UPDATE datasets SET visibility = CASE WHEN ?2 THEN 'class' "
                                 "ELSE 'private' END WHERE id = ?1",
    [Q_DATASET_DELETE] = "DELETE FROM datasets WHERE id = ?1",
    [Q_DATASET_READ_TRAIN] = "SELECT n_train, inputs, outputs, x_train, y_train, y1_train "
                             "FROM datasets WHERE id = ?1",
    [Q_DATASET_READ_TEST] = "SELECT n_test, inputs, outputs, x_test, y_test, y1_test "
                            "FROM datasets WHERE id = ?1",
    [Q_DATASET_TRAIN_ROWS] = "SELECT n_train FROM datasets WHERE id = ?1",
    [Q_DATASET_COPY] = "INSERT INTO samples (model_id, first, n, x, y) SELECT ?1, ?2, n_train, "
                       "x_train, CASE WHEN ?4 THEN y1_train ELSE y_train END FROM datasets "
                       "WHERE id = ?3 AND (?4 = 0 OR y1_train IS NOT NULL)",
    /* every right-hand side reads the row before the update */
    [Q_SCORE_RECORD] =
        "INSERT INTO dataset_scores (dataset_id, user_id, metric, score, loss, "
        "model_id, version, evaluations, best_at, last_at) VALUES (?1, ?2, ?3, ?4, "
        "?5, ?6, ?7, 1, ?8, ?8) ON CONFLICT (dataset_id, user_id) DO UPDATE SET "
        "evaluations = evaluations + 1, last_at = excluded.last_at, "
        "metric = CASE WHEN excluded.score > score THEN excluded.metric ELSE metric END, "
        "loss = CASE WHEN excluded.score > score THEN excluded.loss ELSE loss END, "
        "model_id = CASE WHEN excluded.score > score THEN excluded.model_id ELSE model_id END, "
        "version = CASE WHEN excluded.score > score THEN excluded.version ELSE version END, "
        "best_at = CASE WHEN excluded.score > score THEN excluded.best_at ELSE best_at END, "
        "score = CASE WHEN excluded.score > score THEN excluded.score ELSE score END",
    [Q_SCORE_GET] = "SELECT " SCORE_COLUMNS " FROM dataset_scores s LEFT JOIN users u ON "
                    "u.id = s.user_id WHERE s.dataset_id = ?1 AND s.user_id = ?2",
    [Q_SCORE_LIST] = "SELECT " SCORE_COLUMNS " FROM dataset_scores s LEFT JOIN users u ON "
                     "u.id = s.user_id WHERE s.dataset_id = ?1 "
                     "ORDER BY s.score DESC, s.best_at, s.user_id",

    /* a whole model at once (storage_import.c); its versions go in through
     * Q_VERSION_INSERT, its samples as one batch through Q_SAMPLES_INSERT */
    [Q_IMPORT_MODEL] = "INSERT INTO models (id, name, spec_json, version, samples, last_loss, "
                       "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    [Q_IMPORT_JOB] = "INSERT INTO jobs (id, model_id, status, params_json, error, epoch, epochs, "
                     "loss, val_loss, version, created_at, started_at, finished_at) VALUES "
                     "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    /* one process: nobody else to tell */
    [Q_CANCEL_SPREAD] = "SELECT count(*) WHERE ?1 IS NULL",
    [Q_NODES_LIVE] = "SELECT 1",
};
