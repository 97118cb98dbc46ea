/*
 * sqlite_internal.h - what the SQLite backend's files share: its handle
 * (path, pool, read-only flag), its connection (the statements it has
 * prepared), the error mapping and the embedded migrations. Nothing
 * outside server/storage/sqlite/ includes this (the unit tests do, to
 * count migrations).
 */
#ifndef MLPD_SERVER_STORAGE_SQLITE_INTERNAL_H
#define MLPD_SERVER_STORAGE_SQLITE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/backend.h"

/* One embedded migration (generated into $(B)/gen/schema_sql.c by
 * scripts/embed-schema.sh from schema/sqlite/NNNN_name.sql). Versions run 1..n. */
typedef struct st_migration {
    int version;
    const char *name;
    const char *sql;
} st_migration;

extern const st_migration st_migrations[];
extern const size_t st_migrations_count;

/* The SQL text of each statement (sqlite_sql.c), ?N parameters only. */
extern const char *const sq_sql[Q_N_STMTS];

typedef struct sq_conn {
    st_conn base;                   /* first: a sq_conn is an st_conn */
    sqlite3 *db;
    sqlite3_stmt *stmt[Q_N_STMTS];  /* prepared on first use, kept until closed */
    struct sq_conn *next;           /* free list link while pooled */
    st_db *owner;                   /* a failed flush marks it read-only */
} sq_conn;

struct st_db {
    char *path;
    pthread_mutex_t mu;
    sq_conn *free_list;    /* idle connections */
    atomic_int read_only;  /* set by a failed flush at COMMIT, never cleared */
};

static inline sq_conn *sq_of(st_conn *c)
{
    return (sq_conn *)c;
}

/* Map a SQLite result code (extended) to a status: a duplicate key is
 * ST_CONFLICT, a missing parent row (foreign key) ST_NOT_FOUND. */
st_status sq_map(int rc);

/* The runner and the transaction functions (sqlite_run.c). */
st_status sq_run(st_conn *c, st_stmt_id q, const st_val *p, int n, st_row_fn fn, void *arg,
                 int64_t *changes);
st_status sq_begin(st_conn *c, int write);
st_status sq_commit(st_conn *c);
void sq_rollback(st_conn *c);
int64_t sq_last_insert_id(st_conn *c);
st_vtype sq_col_type(const st_row *r, int i);
int64_t sq_col_int(const st_row *r, int i);
double sq_col_real(const st_row *r, int i);
const char *sq_col_text(const st_row *r, int i, size_t *len);
const void *sq_col_blob(const st_row *r, int i, size_t *len);

#endif
