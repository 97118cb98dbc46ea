/*
 * statements.h - the id of every statement storage runs. Each backend has
 * a table of its SQL text indexed by these ids (storage/sqlite/sqlite_sql.c,
 * storage/pg/...), with the same parameters in the same positions and the
 * same columns in the same order; the resource files name only the ids.
 * To add a query: an id here, its text in every backend's table, and the
 * function that runs it in the resource file (storage/storage_*.c).
 */
#ifndef MLPD_SERVER_STORAGE_STATEMENTS_H
#define MLPD_SERVER_STORAGE_STATEMENTS_H

typedef enum st_stmt_id {
    Q_BEGIN_WRITE,
    Q_BEGIN_READ,
    Q_COMMIT,
    Q_ROLLBACK,
    Q_MODEL_GET,
    Q_MODEL_LIST,
    Q_MODEL_DELETE,
    Q_MODEL_EXISTS,
    Q_MODEL_SET_VERSION,
    Q_COUNT,
    Q_VERSION_INSERT,
    Q_VERSION_MAX,
    Q_VERSION_GET,
    Q_VERSION_LIST,
    Q_SAMPLES_INSERT,
    Q_SAMPLES_SET_TOTAL,
    Q_SAMPLES_PAGE,
    Q_SAMPLES_DELETE,
    Q_JOB_ACTIVE,
    Q_JOB_INSERT,
    Q_JOB_UPDATE,
    Q_JOB_GET,
    Q_JOB_LIST_MODEL,
    Q_JOB_LIST_ALL,
    Q_JOB_NEXT,
    Q_JOB_CLAIM,
    Q_JOB_RECOVER,
    Q_JOB_CANCEL_QUEUED,
    Q_JOB_CLAIM_LEASE,
    Q_JOB_FENCE,
    Q_JOB_FAIL_EXHAUSTED,
    Q_CKPT_PUT,
    Q_CKPT_GET,
    Q_CKPT_DELETE,
    Q_HISTORY_INSERT,
    Q_HISTORY_LIST,
    Q_HISTORY_JOB_AFTER,
    Q_IDEM_GET,
    Q_IDEM_PUT,
    Q_IDEM_EXPIRE,
    /* users, ownership, quotas (storage_users.c, storage_models.c) */
    Q_MODEL_INSERT_OWNED,
    Q_MODEL_LIST_OWNED,
    Q_MODEL_ACCESS,
    Q_MODEL_SET_PUBLIC,
    Q_MODEL_COUNT_OWNED,
    Q_SAMPLES_OWNED,
    Q_USER_INSERT,
    Q_USER_BY_NAME,
    Q_USER_BY_TOKEN,
    Q_USER_SET_TOKEN,
    Q_USER_DELETE,
    Q_USER_MODELS_DELETE,
    Q_USER_LIST,
    Q_USAGE_ADD,
    Q_USAGE_GET,
    Q_JOBS_ACTIVE_OWNED,
    /* exercises and attempts (storage_exercises.c) */
    Q_EXERCISE_INSERT,
    Q_EXERCISE_GET,
    Q_EXERCISE_LIST,
    Q_EXERCISE_DELETE,
    Q_ATTEMPT_INSERT,
    Q_ATTEMPT_COUNT,
    Q_ATTEMPT_LIST_USER,
    Q_ATTEMPT_LIST_ALL,
    Q_EXERCISE_RESULTS,
    /* real data (storage_realdata.c) */
    Q_MODEL_REPLACE_SPEC,
    Q_JOB_WARNINGS_SET,
    Q_JOB_WARNINGS_GET,
    Q_HISTORY_EXTRA_INSERT,
    Q_HISTORY_EXTRA_LIST,
    /* datasets and their scores (storage_datasets.c) */
    Q_DATASET_INSERT,
    Q_DATASET_GET,
    Q_DATASET_LIST,
    Q_DATASET_SET_VISIBILITY,
    Q_DATASET_DELETE,
    Q_DATASET_READ_TRAIN,
    Q_DATASET_READ_TEST,
    Q_DATASET_TRAIN_ROWS,
    Q_DATASET_COPY,
    Q_SCORE_RECORD,
    Q_SCORE_GET,
    Q_SCORE_LIST,
    /* a whole model at once (storage_import.c) */
    Q_IMPORT_MODEL,
    Q_IMPORT_JOB,
    /* a cancel told to every node, the nodes counted (storage_nodes.c) */
    Q_CANCEL_SPREAD,
    Q_NODES_LIVE,
    Q_N_STMTS
} st_stmt_id;

#endif
