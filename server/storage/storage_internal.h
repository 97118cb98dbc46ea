/*
 * storage_internal.h - what the storage_*.c files share: the connection
 * pool, the table of cached statements, transactions and error mapping.
 * Nothing outside server/storage*.c includes this.
 */
#ifndef MLPD_SERVER_STORAGE_INTERNAL_H
#define MLPD_SERVER_STORAGE_INTERNAL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/storage.h"

/* One embedded migration (generated into $(B)/gen/schema_sql.c by
 * scripts/embed-schema.sh from schema/NNNN_name.sql). Versions run 1..n. */
typedef struct st_migration {
    int version;
    const char *name;
    const char *sql;
} st_migration;

extern const st_migration st_migrations[];
extern const size_t st_migrations_count;

#include "storage/statements.h"


typedef struct st_conn {
    sqlite3 *db;
    sqlite3_stmt *stmt[Q_N_STMTS];
    struct st_conn *next; /* free list link while pooled */
    storage *owner;       /* set by st_conn_get: a failed flush marks it read-only */
} st_conn;

/* Borrow a connection (opened on demand) for the calling thread, and give
 * it back; put rolls back a transaction that an error path left open. */
st_status st_conn_get(storage *s, st_conn **out);
void st_conn_put(storage *s, st_conn *c);

/* The cached statement id of c, prepared on first use. On failure *out is
 * NULL and the status says why. */
st_status st_stmt(st_conn *c, st_stmt_id id, sqlite3_stmt **out);
/* Reset a statement and clear its bindings after use (accepts NULL). */
void st_done(sqlite3_stmt *st);

/* Map a SQLite result code (extended) to a status: a duplicate key is
 * ST_CONFLICT, a missing parent row (foreign key) ST_NOT_FOUND. */
st_status st_map(int rc);
/* Step a statement expected to finish without rows (INSERT/UPDATE/DELETE)
 * and reset it. */
st_status st_exec(sqlite3_stmt *st);

/* BEGIN IMMEDIATE (write) or BEGIN (read, one snapshot for every SELECT).
 * A write answers ST_READ_ONLY once the owner is read-only. */
st_status st_begin(st_conn *c, int write);
/* COMMIT; an I/O error or a full disk here is ST_OUTCOME_UNKNOWN and makes
 * the owner read-only. Rolls back on failure. */
st_status st_commit(st_conn *c);
/* ROLLBACK if a transaction is open; never fails visibly. */
void st_rollback(st_conn *c);
/* Commit when rc is ST_OK, otherwise roll back; returns the final status. */
st_status st_finish(st_conn *c, st_status rc);

/* Bind helpers: NaN <-> NULL, 0 time <-> NULL, NULL text <-> NULL. */
int st_bind_real_or_null(sqlite3_stmt *st, int i, double v);
int st_bind_time(sqlite3_stmt *st, int i, double t);
int st_bind_text(sqlite3_stmt *st, int i, const char *text);
double st_col_real_or_nan(sqlite3_stmt *st, int i);
double st_col_time(sqlite3_stmt *st, int i);
/* Copy column i as a malloc'ed string into *out (NULL for SQL NULL). */
st_status st_col_strdup(sqlite3_stmt *st, int i, char **out);
/* Copy column i into a fixed buffer of cap bytes; longer text is damage. */
st_status st_col_copy(sqlite3_stmt *st, int i, char *buf, size_t cap);

/* ST_OK with the model's sample count (samples may be NULL), or
 * ST_NOT_FOUND. Run inside a transaction when the answer must hold. */
st_status st_model_samples(st_conn *c, const char *id, int64_t *samples);

/* Store blob as the model's next version (source, loss) and make it
 * current, inside the caller's write transaction. */
st_status st_publish_version(st_conn *c, const char *id, const char *source, double loss,
                             const void *blob, size_t blob_len, int64_t *version);
/* count doubles as little-endian bytes: the caller's own array on a
 * little-endian host, otherwise a packed copy in *owned (free it). */
st_status st_to_le(const double *v, size_t count, const unsigned char **bytes,
                   unsigned char **owned);

/* Append n epochs of a job to its history as chunks, inside the
 * caller's write transaction (storage_history.c). */
st_status st_history_write(st_conn *c, const char *model_id, const char *job_id,
                           const st_epoch *epochs, size_t n);
/* Register the SQL functions the migrations use on db; a SQLite code. */
int st_history_functions(sqlite3 *db);

/* Wall-clock unix seconds. */
double st_now(void);

/* Double the capacity *cap of arr (elements of elem bytes): the new array,
 * or NULL (arr untouched, still the caller's) when memory runs out. */
void *st_grow(void *arr, size_t *cap, size_t elem);

/* The SQL text of each statement (storage_sql.c). */
extern const char *const st_sql[Q_N_STMTS];

#endif
