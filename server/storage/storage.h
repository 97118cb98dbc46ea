/*
 * storage.h - the one contract for persistent state: every model, sample,
 * version, job, user and exercise the service keeps goes through these
 * functions. Nothing above storage/ sees a database; the backends
 * (storage/sqlite/ today) sit behind storage/backend.h.
 *
 * A storage handle is opaque and shared by every thread; each call takes a
 * connection from the backend's pool (one connection per thread at a time,
 * created on demand) and gives it back, so callers never see a connection.
 * Every write is one transaction (SQLite: BEGIN IMMEDIATE ... COMMIT) and
 * is durable when the call returns ST_OK. Only prepared statements with
 * bound parameters. Arguments of more than a few fields come as structs
 * (st_model_new, st_samples_new, st_job, st_import ...) so that a new field
 * is one member, not a new variant of the function.
 *
 * Ownership: anything returned through a pointer-to-pointer is heap memory
 * owned by the caller, released with free() or the *_free function named.
 * On failure nothing is returned and nothing needs freeing.
 *
 * Weights are stored as the core's binary form (mlp_save), samples as
 * packed little-endian doubles, one row per posted batch.
 */
#ifndef MLPD_SERVER_STORAGE_H
#define MLPD_SERVER_STORAGE_H

#include <stddef.h>
#include <stdint.h>

typedef enum st_status {
    ST_OK = 0,
    ST_NOT_FOUND,      /* no such model / version / job */
    ST_CONFLICT,       /* e.g. a job is already running on the model */
    ST_LIMIT,          /* a stored-size limit would be passed (samples per model) */
    ST_BUSY,           /* database locked past busy_timeout */
    ST_FULL,           /* disk full */
    ST_OUTCOME_UNKNOWN,/* COMMIT failed at flush: the write may or may not be there */
    ST_READ_ONLY,      /* a flush failed earlier: no more writes until a restart */
    ST_NOMEM,
    ST_CORRUPT,        /* the database or a stored blob is damaged */
    ST_ERROR,          /* any other database error, or a broken argument */
    ST_QUOTA,          /* a per-user quota would be passed (models, samples in all) */
    ST_FENCED          /* a job's lease passed to another attempt: this one may not write */
} st_status;

const char *st_status_name(st_status s);

typedef struct storage storage;

/* Open (creating if missing) the database at path with the backend that
 * accepts it (today SQLite, a file path: WAL, busy_timeout, foreign keys,
 * synchronous=FULL) and apply the schema migrations (embedded copies of
 * schema/<backend>/NNNN_*.sql) newer than the database.
 * On failure writes a sentence into err. */
st_status storage_open(const char *path, storage **out, char *err, size_t errlen);
/* Accepts NULL. Closes every pooled connection. */
void storage_close(storage *s);
/* 1 once a COMMIT has failed to write or flush (ST_OUTCOME_UNKNOWN): from
 * then on every write answers ST_READ_ONLY and reads go on. After a failed
 * fsync the kernel may have dropped the unwritten pages while reporting
 * later fsyncs as fine (PostgreSQL's rule: stop writing); reopening the
 * database (a restart) recovers from what is really on disk. */
int storage_read_only(storage *s);
/* Changes other processes made (other nodes sharing a PostgreSQL
 * database): fn(arg, model_id) when a model's current version changed or
 * it was deleted, fn(arg, NULL) when anything may have changed (the
 * backend could not hear for a while). Called from a thread of the
 * backend's; fn NULL stops it and returns once no call runs any more.
 * SQLite (one process): never called. */
typedef void (*st_change_fn)(void *arg, const char *model_id);
void storage_on_change(storage *s, st_change_fn fn, void *arg);

/* Cancels across nodes (storage_nodes.c). A running job is stopped by
 * the node whose worker runs it; the node that answers the cancel tells
 * every node (itself too) with storage_job_cancel_spread, and each calls
 * the fn given to storage_on_cancel with the job's id, from the thread
 * of storage_on_change (so: set it before storage_on_change). PostgreSQL:
 * a NOTIFY on mlpd_cancels; a node that is not listening at that moment
 * (its LISTEN connection reconnects) misses it, and the cancel answers
 * 202 (the caller may send it again). SQLite (one process): the spread
 * does nothing and fn is never called. */
typedef void (*st_cancel_fn)(void *arg, const char *job_id);
void storage_on_cancel(storage *s, st_cancel_fn fn, void *arg);
st_status storage_job_cancel_spread(storage *s, const char *job_id);

/* Jobs other nodes changed: fn(arg, job_id) when a job's epoch or status
 * changed (PostgreSQL: a trigger NOTIFYs mlpd_jobs at COMMIT; own changes
 * come too), fn(arg, NULL) after the listener reconnected; from the
 * thread of storage_on_change (set it before). SQLite: never called. */
typedef void (*st_job_change_fn)(void *arg, const char *job_id);
void storage_on_job_change(storage *s, st_job_change_fn fn, void *arg);

/* How many nodes use the database now (at least 1: this one); 1 on
 * SQLite. PostgreSQL: the distinct "mlpd HOST:PID" session names
 * (pg_stat_activity), so an `mlpd user` command running at that moment
 * counts too. */
st_status storage_nodes_live(storage *s, int64_t *n);
/* 1 when other processes may share the database (PostgreSQL): jobs run
 * under leases then (storage_job_claim); 0 on SQLite. */
int storage_shared(storage *s);
/* PostgreSQL: a transaction a session leaves idle for ms ends with its
 * session (idle_in_transaction_session_timeout, 5000 by default), so a
 * node frozen inside one frees its locks; set below the job lease.
 * SQLite: nothing. */
void storage_set_idle_tx_limit(storage *s, long ms);

/* ---- models ---------------------------------------------------------- */

typedef struct st_model {
    char id[17];        /* 16 lowercase hex digits (64 random bits) */
    char *name;
    char *spec_json;    /* architecture + init as given at creation (canonical JSON text) */
    int64_t version;    /* current weights version (1 after creation) */
    int64_t samples;    /* number of stored samples */
    double last_loss;   /* NaN when never trained */
    double created_at;  /* unix seconds */
    double updated_at;
    char owner[17];     /* owning user's id ("local" with --auth none) */
    char owner_name[65];/* that user's name ("" if the user is gone) */
    int public_predict; /* 1: predict needs no token */
} st_model;

void st_model_clear(st_model *m); /* frees name and spec_json; accepts zeroed */
void st_models_free(st_model *ms, size_t n);

/* A new model: its first weights become version 1 (source "init"). */
typedef struct st_model_new {
    const char *id;
    const char *owner;         /* NULL: ST_USER_LOCAL */
    const char *name;
    const char *spec_json;
    const unsigned char *blob; /* mlp_save form */
    size_t blob_len;
    int public_predict;        /* 0/1 */
    int64_t max_models;        /* > 0: ST_QUOTA (nothing written) when owner has that many */
} st_model_new;

st_status storage_model_create(storage *s, const st_model_new *m);
st_status storage_model_get(storage *s, const char *id, st_model *out);
/* The models of owner (NULL: every model), oldest first. */
st_status storage_model_list(storage *s, const char *owner, st_model **out, size_t *n);
/* Who may use the model: its owner's id and public_predict (0/1);
 * ST_NOT_FOUND for no such model. One indexed lookup, no blobs. */
st_status storage_model_access(storage *s, const char *id, char owner[17], int *public_predict);
st_status storage_model_set_public(storage *s, const char *id, int public_predict);
/* The model with its samples, versions, jobs and history. */
st_status storage_model_delete(storage *s, const char *id);
/* Number of models (for /metrics). */
st_status storage_count(storage *s, int64_t *models, int64_t *samples, int64_t *jobs);

/* ---- weights and versions -------------------------------------------- */

/* Store blob as a new version and make it current. source is one of
 * "init", "put", "step", "train", "restore"; loss may be NaN (stored NULL). */
st_status storage_weights_put(storage *s, const char *id, const char *source,
                              const unsigned char *blob, size_t blob_len,
                              double loss, int64_t *version_out);
/* version 0 = current. *version_out gets the version read. */
st_status storage_weights_get(storage *s, const char *id, int64_t version,
                              unsigned char **blob, size_t *blob_len,
                              int64_t *version_out);

typedef struct st_version {
    int64_t version;
    char source[16];
    double created_at;
    double loss;        /* NaN when unknown */
} st_version;

st_status storage_versions_list(storage *s, const char *id, st_version **out, size_t *n);
/* Copy version n as a new current version with source "restore". */
st_status storage_version_restore(storage *s, const char *id, int64_t version,
                                  int64_t *version_out);

/* ---- samples --------------------------------------------------------- */

/* A batch of samples to append (x: n x n_in, y: n x n_out, row-major),
 * in one transaction, with what it may not pass:
 *  - max_total > 0: ST_LIMIT (nothing written) if the model would hold more;
 *  - owner and max_owner_total > 0: ST_QUOTA when the models of owner would
 *    hold more than that in all;
 *  - key (an Idempotency-Key, 1..255 bytes) with hash (of the request, at
 *    most 255 bytes): kept with the result in the same transaction. When
 *    the model already has the key: with the same hash nothing is written
 *    and the result is the first call's (replayed = 1); with another hash
 *    ST_CONFLICT. Keys are kept a day (IDEMPOTENCY_KEEP_SECONDS). */
#define IDEMPOTENCY_KEEP_SECONDS 86400.0
typedef struct st_samples_new {
    const char *id;
    size_t n, n_in, n_out;
    const double *x, *y;
    int64_t max_total;
    const char *owner;         /* NULL: no per-owner cap */
    int64_t max_owner_total;
    const char *key, *hash;    /* NULL: no idempotency */
} st_samples_new;

typedef struct st_samples_added {
    int64_t added;  /* samples this call (or the first call of its key) added */
    int64_t total;  /* the model's count after it */
    int replayed;   /* 1: the key was known, nothing written */
} st_samples_added;

/* out may be NULL; it is written only on ST_OK. */
st_status storage_samples_add(storage *s, const st_samples_new *req, st_samples_added *out);
/* Rows [offset, offset+limit) in posting order; limit 0 = all. x and y are
 * malloc'ed (n x n_in, n x n_out); *n may be less than limit at the end. */
st_status storage_samples_read(storage *s, const char *id, size_t offset, size_t limit,
                               size_t n_in, size_t n_out, double **x, double **y,
                               size_t *n);
st_status storage_samples_clear(storage *s, const char *id);

/* ---- jobs and history ------------------------------------------------ */

typedef struct st_job {
    char id[17];
    char model_id[17];
    char status[12];     /* queued, running, succeeded, failed, cancelled */
    char *params_json;   /* the train request as accepted */
    char *error;         /* NULL unless failed */
    int64_t epoch, epochs;
    double loss, val_loss; /* NaN when unknown */
    int64_t version;     /* resulting weights version, 0 if none */
    double created_at, started_at, finished_at; /* 0 when not yet */
    char owner[64];      /* who queued it ('' until users exist) */
    char stop_reason[16];/* '' while queued or running */
    int64_t base_version;/* the model's version when the job started */
    /* leases (schema 0009): claims so far (the fence of this run's
     * writes), the node that holds it, until when (unix seconds, 0 when
     * no lease), the sample snapshot every attempt trains on */
    int64_t attempt;
    char node[96];
    double lease_until;
    int64_t n_samples;
} st_job;

void st_job_clear(st_job *j);
void st_jobs_free(st_job *js, size_t n);

/* Insert a job in state "queued"; ST_CONFLICT if the model has a queued or
 * running job. */
st_status storage_job_create(storage *s, const st_job *job);
/* Update status, epoch, loss, val_loss, error, version, times; fenced by
 * job->attempt (ST_NOT_FOUND when the job is gone or claimed again). */
st_status storage_job_update(storage *s, const st_job *job);
st_status storage_job_get(storage *s, const char *id, st_job *out);
st_status storage_jobs_list(storage *s, const char *model_id, st_job **out, size_t *n);

/* How a worker claims (storage_job_claim). */
typedef struct st_claim {
    double now;          /* unix seconds */
    const char *node;    /* who claims (jobs.node) */
    double lease_until;  /* 0: no lease (one process) */
    int64_t max_attempts;/* a running job whose lease passed is claimed again
                            with fewer attempts than this; with as many it fails */
} st_claim;

/* Claim the next job for a worker: a running job whose lease has passed
 * (its node died or froze: re-claimed, attempt + 1), else the queued job
 * whose owner has the fewest running jobs, then the oldest; it becomes
 * "running" (started_at = now and the sample snapshot fixed at the first
 * claim). Jobs whose leases passed max_attempts times fail "interrupted"
 * first. ST_NOT_FOUND when there is nothing to claim. */
st_status storage_job_claim(storage *s, const st_claim *c, st_job *out);
/* Renew the lease of a running job: ST_OK, ST_FENCED when the job is no
 * longer this attempt's (re-claimed, ended, or gone). */
st_status storage_job_renew(storage *s, const char *job_id, int64_t attempt,
                            double lease_until);
/* The trainer state a job's last heartbeat stored (job_checkpoints):
 * ST_OK with *state (malloc'd, the caller frees) and its epoch, or
 * ST_NOT_FOUND when there is none. */
st_status storage_job_checkpoint_get(storage *s, const char *job_id, int64_t *epoch,
                                     unsigned char **state, size_t *len);
/* At start: every job left "running" by a stopped daemon becomes
 * "failed" with stop_reason and error "interrupted". *n (may be NULL)
 * gets how many. */
st_status storage_jobs_recover(storage *s, double now, int64_t *n);
/* Cancel a job that is still queued: ST_OK, ST_CONFLICT when it is not
 * queued (any more: a worker took it), ST_NOT_FOUND. */
st_status storage_job_cancel_queued(storage *s, const char *id, double now);

/* Weights a job publishes with its progress (see storage_job_progress). */
typedef struct st_publish {
    const char *source;        /* "checkpoint", "train" or "restore" */
    const unsigned char *blob; /* mlp_save form */
    size_t blob_len;
    double loss;               /* NaN when unknown */
    int is_result;             /* the new version becomes the job's version */
} st_publish;

typedef struct st_epoch {
    int64_t epoch;
    double loss, val_loss; /* val_loss NaN when none */
    double time;           /* unix seconds */
} st_epoch;

/* Append epochs of a job in one transaction. */
st_status storage_history_append(storage *s, const char *model_id, const char *job_id,
                                 const st_epoch *epochs, size_t n);

/* The trainer state a heartbeat stores beside the history up to epoch. */
typedef struct st_checkpoint {
    const unsigned char *state;
    size_t len;
    int64_t epoch;
} st_checkpoint;

/* A running job's batch, in one transaction, fenced by (job->id,
 * job->attempt): renew the lease to job->lease_until, append n epochs to
 * its history, store ck (may be NULL) as its trainer state, store pub (may
 * be NULL) as the model's new current version (*version gets it;
 * job->version too when pub->is_result), and update the job row from
 * *job (an ended job's state row is dropped). ST_NOT_FOUND when the model
 * is gone, ST_FENCED when the job is no longer this attempt's: nothing
 * is written then. */
st_status storage_job_progress(storage *s, st_job *job, const st_epoch *epochs, size_t n,
                               const st_publish *pub, const st_checkpoint *ck,
                               int64_t *version);

typedef struct st_history_row {
    char job_id[17];
    st_epoch e;
} st_history_row;

st_status storage_history_list(storage *s, const char *model_id,
                               st_history_row **out, size_t *n);

/* At most limit (>= 1) epochs of one job numbered above after, in epoch
 * order (*out malloc'ed, NULL when none). One indexed range read, cheap
 * enough to poll: event streams ask it a few times a second. */
st_status storage_job_epochs(storage *s, const char *job_id, int64_t after, size_t limit,
                             st_epoch **out, size_t *n);
/* ---- import (storage_import.c) ---------------------------------------- */

/* One weights version of an imported model, kept with its number. */
typedef struct st_import_version {
    int64_t version;            /* >= 1, strictly increasing in the array */
    const char *source;         /* init, put, step, train, restore */
    double created_at;          /* unix seconds (0 = now) */
    double loss;                /* NaN when unknown */
    const unsigned char *blob;  /* the core's binary form (mlp_save) */
    size_t blob_len;
} st_import_version;

/* A whole model as POST /v1/models/import checked it. Jobs keep their
 * fields (status must be succeeded, failed or cancelled) under the new ids
 * given in jobs[i].id; history rows name those new ids. */
typedef struct st_import {
    const char *id;             /* the new model's id */
    const char *name;
    const char *spec_json;
    int64_t version;            /* current version: one of versions[] */
    double last_loss;           /* NaN when unknown */
    const st_import_version *versions;
    size_t n_versions;          /* >= 1 */
    size_t n_samples, n_in, n_out;
    const double *x, *y;        /* n_samples x n_in, n_samples x n_out */
    const st_job *jobs;
    size_t n_jobs;
    const st_history_row *history;
    size_t n_history;
} st_import;

/* Create the model with every version, sample, job and history row in one
 * transaction: all of it or nothing. ST_CONFLICT if the id exists,
 * ST_ERROR for an argument that breaks the rules above. */
st_status storage_model_import(storage *s, const st_import *m);
/* ---- users (storage_users.c) ----------------------------------------- */

#define ST_USER_LOCAL "local" /* id and name of the built-in --auth none user */
#define ST_SALT_BYTES 16
#define ST_HASH_BYTES 32

typedef struct st_user {
    char id[17];
    char name[65];
    int admin;
    int has_token;
    char token_id[17];                   /* "" without a token */
    unsigned char salt[ST_SALT_BYTES];   /* token_salt */
    unsigned char hash[ST_HASH_BYTES];   /* token_hash */
    double created_at, token_at;
    /* filled by storage_users_list only */
    int64_t models, samples;
    double train_seconds;                /* every day's */
} st_user;

/* Insert a user with a token (u->id, name, admin, token_id, salt, hash);
 * ST_CONFLICT when the name (or token id) is taken. */
st_status storage_user_create(storage *s, const st_user *u);
st_status storage_user_by_name(storage *s, const char *name, st_user *out);
/* The user holding this token id (ST_NOT_FOUND if none). */
st_status storage_user_by_token(storage *s, const char *token_id, st_user *out);
/* Replace the user's token (the old one stops working at once). */
st_status storage_user_set_token(storage *s, const char *name, const char *token_id,
                                 const unsigned char salt[ST_SALT_BYTES],
                                 const unsigned char hash[ST_HASH_BYTES]);
/* Delete the user and every model they own (with samples, versions, jobs
 * and history), in one transaction; *models gets how many. The local
 * user cannot be removed (ST_CONFLICT). */
st_status storage_user_delete(storage *s, const char *name, int64_t *models);
/* Every user with models, samples and training seconds, oldest first. */
st_status storage_users_list(storage *s, st_user **out, size_t *n);
/* Running and queued jobs on the models of owner. */
st_status storage_jobs_active_owned(storage *s, const char *owner, int64_t *running,
                                    int64_t *queued);
/* Add seconds of training to the user's total for day ("YYYY-MM-DD"). */
st_status storage_usage_add(storage *s, const char *user_id, const char *day, double seconds);
/* The user's training seconds on day (0 if none). */
st_status storage_usage_get(storage *s, const char *user_id, const char *day, double *seconds);

/* ---- exercises (storage_exercises.c) ---------------------------------- */

typedef struct st_exercise {
    char id[17];
    char owner[17];     /* the teacher who made it */
    char *title;
    char *network;      /* JSON text: "lecture-2-3-1" or a spec */
    int64_t seed;       /* 0..2^53 */
    int64_t steps;      /* 1..3 */
    double tolerance;
    double created_at;
} st_exercise;

void st_exercise_clear(st_exercise *e); /* frees title and network; accepts zeroed */
void st_exercises_free(st_exercise *es, size_t n);

/* created_at is set to now. ST_CONFLICT if the id exists. */
st_status storage_exercise_create(storage *s, const st_exercise *e);
st_status storage_exercise_get(storage *s, const char *id, st_exercise *out);
/* Every exercise, oldest first. */
st_status storage_exercise_list(storage *s, st_exercise **out, size_t *n);
/* The exercise with its attempts; ST_NOT_FOUND if there is none. */
st_status storage_exercise_delete(storage *s, const char *id);

typedef struct st_attempt {
    int64_t id;
    char exercise_id[17];
    char user_id[17];
    double created_at;
    int64_t given, correct;
    double score;        /* correct / given */
    char mistakes[160];  /* slip codes, comma-separated ("" for none) */
    int revealed;
} st_attempt;

/* Store a graded attempt; a->id and a->created_at are set. max > 0
 * refuses (ST_QUOTA, nothing written) when the user already has that
 * many attempts on the exercise. */
st_status storage_attempt_add(storage *s, st_attempt *a, int64_t max);
/* Attempts on the exercise, oldest first: of one user, or (user_id NULL)
 * of everyone, grouped by user. */
st_status storage_attempts_list(storage *s, const char *exercise_id, const char *user_id,
                                st_attempt **out, size_t *n);

/* One row of an exercise's results: every student (a user that is not an
 * admin) and everyone else who attempted it, by name. */
typedef struct st_result {
    char user_id[17];
    char name[65];
    int admin;
    int64_t attempts;
    double best;         /* NaN without attempts */
    double last_at;      /* 0 without attempts */
} st_result;

st_status storage_exercise_results(storage *s, const char *exercise_id, st_result **out,
                                   size_t *n);

/* Fill buf with 16 random lowercase hex digits and a NUL (getrandom). */
int storage_new_id(char buf[17]);

#endif
