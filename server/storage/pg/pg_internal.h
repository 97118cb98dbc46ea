/*
 * pg_internal.h - what the PostgreSQL backend's files share: the
 * connection pool, prepared statements run with binary parameters and
 * results, the error mapping, the transaction driver with its retries.
 * Nothing outside server/storage/pg/ includes this.
 *
 * Design. One pool of libpq connections per storage handle, shared by
 * every thread (a connection serves one thread at a time, as SQLite's do);
 * connections open on demand up to a cap, and a caller waits for a free
 * one past it. Each connection prepares a statement on its first use,
 * under the name "q<id>", with the parameter types of the statement
 * table, and keeps it until the connection closes. Parameters and results
 * travel in binary (int8, float8, bytea as they are; text as UTF-8).
 *
 * Errors (SQLSTATE):
 *   23505 unique violation       -> ST_CONFLICT
 *   23503 foreign key violation  -> ST_NOT_FOUND (a parent row is gone)
 *   40001 serialization failure, 40P01 deadlock, 55P03 lock not available
 *                                -> run the whole transaction again, 3
 *                                   times with backoff, then ST_BUSY
 *   08*** or a connection that went bad -> the connection is dropped (the
 *                                   next caller opens a new one), ST_BUSY
 *                                   (503 with Retry-After)
 *   53100 disk full -> ST_FULL, 53200 out of memory -> ST_NOMEM,
 *   XX001/XX002 data corrupted -> ST_CORRUPT, anything else ST_ERROR.
 * A COMMIT whose answer never came (the connection broke on it) is
 * ST_OUTCOME_UNKNOWN: it may have been applied; the Idempotency-Key of a
 * sample post covers the retry. A COMMIT that answered an error did not
 * apply (a serialization failure there is retried like any other).
 *
 * Isolation: a write transaction takes the writers' lock (a SHARE ROW
 * EXCLUSIVE lock on schema_migrations, which conflicts only with itself
 * and with writes to that table) before its REPEATABLE READ snapshot, so
 * writers run one at a time across every node, as SQLite's BEGIN
 * IMMEDIATE makes them, and the read-then-write code of the resource
 * files (a count checked, then the next row added) holds as it does on
 * SQLite; reads never wait for it. Measured: SERIALIZABLE instead made 4
 * threads adding samples to one model fail past 4 tries (unique
 * violations on the next batch's key, not serialization failures). The
 * queue's claim is the exception ('R' in pg_stmt.types). A lock wait
 * past lock_timeout (2 s) is retried like a deadlock.
 */
#ifndef MLPD_SERVER_STORAGE_PG_INTERNAL_H
#define MLPD_SERVER_STORAGE_PG_INTERNAL_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/backend.h"
#include "storage/statements.h"
#include "storage/storage.h"

/* BEGIN of a write transaction (see "Isolation" above). */
#define PG_BEGIN_WRITE                                                   \
    "BEGIN ISOLATION LEVEL REPEATABLE READ; "                           \
    "LOCK TABLE schema_migrations IN SHARE ROW EXCLUSIVE MODE"

/* Most statements in a backend's table (ids run 0..PG_MAX_STMTS-1). */
#define PG_MAX_STMTS 160
/* Tries of one transaction when PostgreSQL asks for a retry. */
#define PG_TRIES 4
/* A session's transaction left idle this long ends (server-side): a node
 * frozen inside one loses its locks. Jobs under a lease lower it below
 * the lease (storage_set_idle_tx_limit). */
#define PG_IDLE_TX_MS 5000
#define PG_IDLE_TX_TEXT "5000"

/* A parameter or a column value. */
typedef enum pg_vtype {
    PGV_NULL,
    PGV_INT,  /* int64 (sent as int8) */
    PGV_REAL, /* double (float8) */
    PGV_TEXT, /* NUL-terminated UTF-8 (text) */
    PGV_BLOB  /* bytes (bytea) */
} pg_vtype;

typedef struct pg_val {
    pg_vtype type;
    int64_t i;
    double d;
    const void *p; /* TEXT or BLOB */
    size_t len;    /* BLOB length (TEXT: strlen) */
} pg_val;

/* One statement of the table: its SQL ($1..$n) and its parameter types as
 * one letter each: i int8, d float8, t text, b bytea ("" for none). A
 * parameter given as another type is converted (int to double) or
 * refused (ST_ERROR). A leading 'R' (not a parameter) says that a write
 * transaction beginning with this statement runs at READ COMMITTED, not
 * under the writers' lock: the queue's claim, whose FOR UPDATE SKIP
 * LOCKED already makes claimers take different rows. */
typedef struct pg_stmt {
    const char *sql;
    const char *types;
} pg_stmt;

typedef struct pg_pool pg_pool;

typedef struct pg_conn {
    st_conn base;    /* first: what storage's resource files see */
    PGconn *pc;
    pg_pool *pool;  /* the pool it belongs to */
    int64_t last_id; /* the id of the last INSERT ... RETURNING id */
    unsigned char prepared[PG_MAX_STMTS];
    int in_tx;      /* BEGIN sent, no COMMIT/ROLLBACK yet */
    int want_tx;    /* begin asked, BEGIN not sent yet: 1 read, 2 write */
    int broken;     /* the connection failed: close it when given back */
    int retry;      /* the last error asks for the transaction again */
    char sqlstate[6];
    long idle_tx_ms; /* this session's idle_in_transaction_session_timeout */
    struct pg_conn *next;
} pg_conn;

struct pg_pool {
    const st_backend *backend; /* st_pg_backend, set in every connection's base */
    char *conninfo;
    const pg_stmt *stmts; /* the backend's table */
    size_t n_stmts;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pg_conn *free_list;
    int open;      /* connections open or lent */
    int max_open;
    int64_t reconnects, retries, lost;
    long idle_tx_ms; /* what every lent session gets (atomic; pg_pool_set_idle_tx) */
};

/* Sessions lent from now on end a transaction left idle this long (ms). */
void pg_pool_set_idle_tx(pg_pool *p, long ms);

/* A new connection named "mlpd HOST:PID" (application_name), or NULL; the
 * caller checks PQstatus. */
PGconn *pg_connect_named(const char *conninfo);

/* Open the pool and one connection to check the conninfo; on failure err
 * gets libpq's sentence. max_open: connections at most (>= 1). */
st_status pg_pool_open(pg_pool *p, const char *conninfo, const pg_stmt *stmts, size_t n_stmts,
                       int max_open, char *err, size_t errlen);
void pg_pool_close(pg_pool *p);

/* Borrow a connection (opened on demand; waits when max_open are lent)
 * and give it back; put rolls back a transaction an error path left open
 * and closes a broken connection. ST_BUSY when no connection can be had. */
st_status pg_conn_get(pg_pool *p, pg_conn **out);
void pg_conn_put(pg_pool *p, pg_conn *c);

/* Run statement id with n params. A statement's rows: *res (PQclear it),
 * NULL when res is NULL. The status maps the error as above; c->retry is
 * set when the transaction should run again. */
st_status pg_run(pg_pool *p, pg_conn *c, int id, const pg_val *params, int n, PGresult **res);

/* BEGIN (write: PG_BEGIN_WRITE, or READ COMMITTED when its first
 * statement says so; read: REPEATABLE READ), sent with the transaction's
 * first statement; COMMIT; ROLLBACK (never fails visibly). */
st_status pg_begin(pg_conn *c, int write);
st_status pg_commit(pg_conn *c);
void pg_rollback(pg_conn *c);

/* Run body(c, arg) inside a transaction, again (up to PG_TRIES in all,
 * with 5, 20, 80 ms backoff and jitter) while PostgreSQL asks for a
 * retry; ST_BUSY after the last. body must leave nothing outside the
 * database changed when it fails (it may run again). */
typedef st_status (*pg_body)(pg_pool *p, pg_conn *c, void *arg);
st_status pg_tx(pg_pool *p, int write, pg_body body, void *arg);

/* Sleep before run tries + 1 of a transaction (5, 20, 80 ms, each with up
 * to as much again of jitter), and count the retry. */
void pg_backoff(pg_pool *p, int tries);

/* Map a failed result (res may be NULL: no answer at all). */
st_status pg_map(pg_conn *c, const PGresult *res);

/* Column accessors over a binary result; each checks the column's type
 * (int2/int4/int8, float4/float8, text/varchar/name, bytea). */
int pg_is_null(const PGresult *r, int row, int col);
int64_t pg_int(const PGresult *r, int row, int col);
double pg_real_or_nan(const PGresult *r, int row, int col); /* NULL -> NaN */
double pg_time(const PGresult *r, int row, int col);        /* NULL -> 0 */
const char *pg_text(const PGresult *r, int row, int col);   /* NULL -> NULL */
const void *pg_blob(const PGresult *r, int row, int col, size_t *len);
/* malloc'ed copy of a text column (*out NULL for SQL NULL). */
st_status pg_strdup(const PGresult *r, int row, int col, char **out);
/* Copy a text column into buf of cap bytes; longer text is ST_CORRUPT. */
st_status pg_copy(const PGresult *r, int row, int col, char *buf, size_t cap);
/* The kind of column col as a letter of pg_stmt.types (i, d, t, b), or
 * '?' for a type the backend does not read. */
char pg_kind(const PGresult *r, int col);
/* ST_OK when the result's columns have the expected kinds, letters as in
 * pg_stmt.types (i int, d real, t text, b bytea); ST_ERROR otherwise. */
st_status pg_check_columns(const PGresult *r, const char *kinds);

/* The LISTEN thread (pg_listen.c): fn(arg, channel, payload) for each
 * notification on channels, and fn(arg, NULL, NULL) after each (re)connect
 * (what was sent meanwhile is lost: re-read). fn runs on the thread. */
typedef void (*pg_notify_fn)(void *arg, const char *channel, const char *payload);
typedef struct pg_listener {
    char *conninfo;
    const char *const *channels;
    size_t n_channels;
    pg_notify_fn fn;
    void *arg;
    pthread_t thread;
    int stop_pipe[2];
    int started;
    int listening;               /* 1 while LISTENing (atomic) */
    int64_t connects, received;  /* counters (atomic) */
} pg_listener;
/* 0, or -1 when the thread could not start. Connects in the background. */
int pg_listener_start(pg_listener *l, const char *conninfo, const char *const *channels,
                      size_t n_channels, pg_notify_fn fn, void *arg);
/* Accepts a listener that never started. */
void pg_listener_stop(pg_listener *l);

/* The channel a model's change is sent on: the payload is its id. */
#define PG_CHANNEL_MODELS "mlpd_models"
/* The channel a cancel is sent on (storage_job_cancel_spread): the
 * payload is the job's id. */
#define PG_CHANNEL_CANCELS "mlpd_cancels"
/* A job's epoch or status changed: its id (a trigger, at COMMIT). */
#define PG_CHANNEL_JOBS "mlpd_jobs"

/* Tell fn(arg, model_id) about each model another node changed (a new
 * current version, a deletion), fn(arg, NULL) when anything may have
 * changed (the LISTEN connection was lost meanwhile); from a thread of its
 * own, until pg_on_change(db, NULL, NULL), which waits for it to stop.
 * 0, or -1 when the thread could not start. */
typedef st_change_fn pg_change_fn;
int pg_on_change(st_db *db, pg_change_fn fn, void *arg);
/* Tell fn(arg, job_id) about each cancel a node sent (the same thread);
 * set it before pg_on_change starts the listener. */
void pg_on_cancel(st_db *db, st_cancel_fn fn, void *arg);

/* The backend (pg_backend.c) and its statement table (pg_sql.c), indexed
 * by storage/statements.h's ids; the transaction ids have no text. */
extern const st_backend st_pg_backend;
extern const pg_stmt pg_sql[Q_N_STMTS];

/* Migrations (pg_migrate.c): apply schema/pg/NNNN_*.sql (embedded) in one
 * transaction under an advisory lock, against schema_migrations. */
typedef struct st_pg_migration {
    int version;
    const char *name;
    const char *sql;
} st_pg_migration;
extern const st_pg_migration st_pg_migrations[];
extern const size_t st_pg_migrations_count;
st_status pg_migrate(pg_conn *c, char *err, size_t errlen);

#endif
