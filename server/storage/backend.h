/*
 * backend.h - what a storage backend implements (storage/sqlite/ today,
 * storage/pg/ next), and the few types the backend-neutral resource files
 * (storage/storage_*.c) use to talk to it.
 *
 * Design. A resource file never sees a database library: it names a
 * statement by its id (st_stmt_id, storage/statements.h), passes its
 * parameters as a small typed list (st_val: int64, double, text, blob,
 * null) and reads the answer one row at a time through a callback
 * (st_row_fn) with the column getters below. A backend therefore writes
 * one statement runner, one table of SQL text indexed by st_stmt_id, and
 * the connection, transaction and column functions of st_backend; every
 * query of the service then runs on it.
 *
 * Rules every backend keeps:
 *  - Statement ids and parameter positions are the same for every backend:
 *    p[0] is ?1 (SQLite) or $1 (PostgreSQL). A NULL text or blob pointer
 *    binds SQL NULL. The columns of a row come in the order the statement
 *    names them, numbered from 0.
 *  - A connection serves one thread at a time (conn_get lends it, conn_put
 *    takes it back and rolls back whatever transaction is still open).
 *  - Text and blob pointers a getter returns are valid only inside the
 *    row callback: copy what must outlive it.
 *  - Error mapping: a duplicate key is ST_CONFLICT, a missing parent row
 *    (foreign key) ST_NOT_FOUND, a lock wait past the backend's timeout
 *    ST_BUSY, disk full ST_FULL, memory ST_NOMEM, damage ST_CORRUPT, a
 *    COMMIT whose outcome nobody can know ST_OUTCOME_UNKNOWN, anything
 *    else ST_ERROR.
 */
#ifndef MLPD_SERVER_STORAGE_BACKEND_H
#define MLPD_SERVER_STORAGE_BACKEND_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/statements.h"
#include "storage/storage.h"

/* ---- parameters -------------------------------------------------------- */

typedef enum st_vtype {
    STV_NULL,
    STV_INT,  /* int64 */
    STV_REAL, /* double */
    STV_TEXT, /* NUL-terminated UTF-8 */
    STV_BLOB  /* bytes */
} st_vtype;

typedef struct st_val {
    st_vtype type;
    int64_t i;
    double d;
    const void *p; /* TEXT or BLOB; NULL binds SQL NULL */
    size_t len;    /* BLOB length in bytes (TEXT: unused, the text ends at its NUL) */
} st_val;

static inline st_val st_null(void)
{
    return (st_val){.type = STV_NULL};
}

static inline st_val st_int(int64_t v)
{
    return (st_val){.type = STV_INT, .i = v};
}

static inline st_val st_real(double v)
{
    return (st_val){.type = STV_REAL, .d = v};
}

/* NaN binds NULL ("unknown", e.g. a loss). */
static inline st_val st_real_or_null(double v)
{
    return isnan(v) ? st_null() : st_real(v);
}

/* 0 binds NULL ("not yet", e.g. finished_at). */
static inline st_val st_time(double t)
{
    return t == 0 ? st_null() : st_real(t);
}

/* NULL binds NULL. */
static inline st_val st_text(const char *s)
{
    return (st_val){.type = s ? STV_TEXT : STV_NULL, .p = s};
}

/* NULL binds NULL; an empty blob (len 0) is a blob, not NULL. */
static inline st_val st_blob(const void *p, size_t len)
{
    return (st_val){.type = p ? STV_BLOB : STV_NULL, .p = p, .len = len};
}

/* ---- rows -------------------------------------------------------------- */

typedef struct st_backend st_backend;

/* One row of an answer, handed to a row callback. */
typedef struct st_row {
    const st_backend *b;
    void *h;   /* the backend's cursor (a sqlite3_stmt, a PGresult) */
    int index; /* row number, for a backend that holds every row at once */
    int stop;  /* a callback sets it (st_row_stop) to end the answer after this row */
} st_row;

/* Called once per row; any status but ST_OK ends the answer with it. */
typedef st_status (*st_row_fn)(st_row *row, void *arg);

static inline void st_row_stop(st_row *row)
{
    row->stop = 1;
}

/* ---- connections and the backend ---------------------------------------- */

/* A backend's database handle (its pool, its path or conninfo). */
typedef struct st_db st_db;

/* The part of a connection the resource files see; a backend's own
 * connection struct starts with it. */
typedef struct st_conn {
    const st_backend *b;
} st_conn;

struct st_backend {
    const char *name; /* "sqlite", "pg" */
    /* 1 when this backend serves the --db argument (a path, a URL). */
    int (*accepts)(const char *where);
    /* Open (creating, migrating) the database; err gets a sentence. */
    st_status (*open)(const char *where, st_db **out, char *err, size_t errlen);
    void (*close)(st_db *db); /* accepts NULL */
    /* 1 once writes are refused until a restart (see storage_read_only). */
    int (*read_only)(st_db *db);

    /* Lend a connection (opened on demand) and take it back. */
    st_status (*conn_get)(st_db *db, st_conn **out);
    void (*conn_put)(st_db *db, st_conn *c);

    /* THE runner: statement q with params p[0..n-1]; each row goes to fn
     * (fn NULL: a statement that must not answer rows); *changes (may be
     * NULL) gets the rows an INSERT, UPDATE or DELETE changed. Runs in
     * the connection's open transaction, or on its own. */
    st_status (*run)(st_conn *c, st_stmt_id q, const st_val *p, int n, st_row_fn fn,
                     void *arg, int64_t *changes);

    /* A write transaction takes the write lock at once (SQLite BEGIN
     * IMMEDIATE); a read sees one snapshot for all its statements. */
    st_status (*begin)(st_conn *c, int write);
    /* On failure the transaction is rolled back. */
    st_status (*commit)(st_conn *c);
    void (*rollback)(st_conn *c); /* never fails visibly; nothing open: no-op */
    /* The id the last INSERT into a table with an integer key got. */
    int64_t (*last_insert_id)(st_conn *c);
    /* After a failed transaction: 1 to run it again (the backend has
     * waited its backoff; tries counts the runs so far), 0 to give up. */
    int (*retry)(st_conn *c, int tries);

    /* Column getters of a row; i counts from 0. */
    st_vtype (*col_type)(const st_row *r, int i);
    int64_t (*col_int)(const st_row *r, int i);
    double (*col_real)(const st_row *r, int i);
    /* NULL for SQL NULL, or (type not NULL) when memory ran out. */
    const char *(*col_text)(const st_row *r, int i, size_t *len);
    const void *(*col_blob)(const st_row *r, int i, size_t *len);

    /* Optional (NULL: nothing changes behind this process's back): see
     * storage_on_change. 0, or -1 when it could not start. */
    int (*on_change)(st_db *db, st_change_fn fn, void *arg);
    /* Optional (NULL: one process, no cancel comes from elsewhere): see
     * storage_on_cancel. */
    void (*on_cancel)(st_db *db, st_cancel_fn fn, void *arg);
    /* Optional: see storage_set_idle_tx_limit. */
    void (*set_idle_tx_limit)(st_db *db, long ms);
    /* Optional: see storage_on_job_change. */
    void (*on_job_change)(st_db *db, st_job_change_fn fn, void *arg);
};

/* The backends linked into the daemon (each defines its own). */
extern const st_backend st_sqlite_backend;
extern const st_backend st_pg_backend;

#endif
