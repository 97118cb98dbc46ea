/*
 * sqlite_run.c - the SQLite statement runner every query goes through,
 * the transaction statements, the column getters and the error mapping.
 *
 * A statement is prepared once per connection, on its first use
 * (SQLITE_PREPARE_PERSISTENT), and kept in the connection's slot for its
 * id; a run binds the typed parameters (text and blobs SQLITE_STATIC: the
 * caller's memory outlives the run), steps, hands each row to the
 * callback, and resets the statement and its bindings, whatever happened.
 */
#include "storage/sqlite/sqlite_internal.h"

#include <stdatomic.h>

st_status sq_map(int rc)
{
    switch (rc) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW: return ST_OK;
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE: return ST_CONFLICT;
    case SQLITE_CONSTRAINT_FOREIGNKEY: return ST_NOT_FOUND;
    default: break;
    }
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ST_BUSY;
    case SQLITE_FULL: return ST_FULL;
    case SQLITE_NOMEM: return ST_NOMEM;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return ST_CORRUPT;
    default: return ST_ERROR;
    }
}

/* A failure code as a status that is never ST_OK. */
static st_status failed(int rc)
{
    st_status s = sq_map(rc);
    return s == ST_OK ? ST_ERROR : s;
}

static int bind(sqlite3_stmt *st, int i, const st_val *v)
{
    switch (v->type) {
    case STV_INT: return sqlite3_bind_int64(st, i, v->i);
    case STV_REAL: return sqlite3_bind_double(st, i, v->d);
    case STV_TEXT: return sqlite3_bind_text(st, i, v->p, -1, SQLITE_STATIC);
    case STV_BLOB: return sqlite3_bind_blob64(st, i, v->p, v->len, SQLITE_STATIC);
    case STV_NULL: break;
    }
    return sqlite3_bind_null(st, i);
}

/* Step st to its end, each row to fn (NULL: a row is a misuse). */
static st_status step_all(const st_backend *b, sqlite3_stmt *st, st_row_fn fn, void *arg)
{
    st_row row = {.b = b, .h = st};
    for (;;) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            return ST_OK;
        if (rc != SQLITE_ROW)
            return failed(rc);
        if (!fn)
            return ST_ERROR; /* a statement meant for no rows answered one */
        st_status s = fn(&row, arg);
        if (s != ST_OK || row.stop)
            return s;
        row.index++;
    }
}

st_status sq_run(st_conn *c, st_stmt_id q, const st_val *p, int n, st_row_fn fn, void *arg,
                 int64_t *changes)
{
    sq_conn *k = sq_of(c);
    if ((unsigned)q >= Q_N_STMTS || !sq_sql[q])
        return ST_ERROR;
    sqlite3_stmt *st = k->stmt[q];
    if (!st) {
        int rc = sqlite3_prepare_v3(k->db, sq_sql[q], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
        if (rc != SQLITE_OK)
            return failed(rc);
        k->stmt[q] = st;
    }
    st_status s = ST_OK;
    for (int i = 0; s == ST_OK && i < n; i++) {
        int rc = bind(st, i + 1, &p[i]);
        if (rc != SQLITE_OK)
            s = failed(rc);
    }
    if (s == ST_OK)
        s = step_all(c->b, st, fn, arg);
    if (s == ST_OK && changes)
        *changes = sqlite3_changes(k->db);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return s;
}

/* ---- transactions ------------------------------------------------------ */

/* One of the transaction statements, prepared when the connection opened. */
static int step_ctl(sq_conn *k, st_stmt_id q)
{
    sqlite3_stmt *st = k->stmt[q];
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc;
}

st_status sq_begin(st_conn *c, int write)
{
    sq_conn *k = sq_of(c);
    if (write && k->owner && atomic_load(&k->owner->read_only))
        return ST_READ_ONLY;
    int rc = step_ctl(k, write ? Q_BEGIN_WRITE : Q_BEGIN_READ);
    return rc == SQLITE_DONE ? ST_OK : sq_map(rc);
}

void sq_rollback(st_conn *c)
{
    sq_conn *k = sq_of(c);
    if (!sqlite3_get_autocommit(k->db))
        step_ctl(k, Q_ROLLBACK);
}

st_status sq_commit(st_conn *c)
{
    sq_conn *k = sq_of(c);
    int rc = step_ctl(k, Q_COMMIT);
    if (rc == SQLITE_DONE)
        return ST_OK;
    /* a failed write or flush at COMMIT may still have reached the disk
     * (measured: a sync failing with SQLITE_FULL left the transaction in
     * the file): nobody can tell, so neither "done" nor "not done" */
    int kind = rc & 0xff;
    st_status s = kind == SQLITE_IOERR || kind == SQLITE_FULL ? ST_OUTCOME_UNKNOWN : sq_map(rc);
    if (s == ST_OUTCOME_UNKNOWN && k->owner)
        atomic_store(&k->owner->read_only, 1);
    sq_rollback(c);
    return s == ST_OK ? ST_ERROR : s;
}

int64_t sq_last_insert_id(st_conn *c)
{
    return sqlite3_last_insert_rowid(sq_of(c)->db);
}

/* ---- columns ------------------------------------------------------------ */

st_vtype sq_col_type(const st_row *r, int i)
{
    switch (sqlite3_column_type(r->h, i)) {
    case SQLITE_INTEGER: return STV_INT;
    case SQLITE_FLOAT: return STV_REAL;
    case SQLITE_TEXT: return STV_TEXT;
    case SQLITE_BLOB: return STV_BLOB;
    default: return STV_NULL;
    }
}

int64_t sq_col_int(const st_row *r, int i)
{
    return sqlite3_column_int64(r->h, i);
}

double sq_col_real(const st_row *r, int i)
{
    return sqlite3_column_double(r->h, i);
}

const char *sq_col_text(const st_row *r, int i, size_t *len)
{
    const unsigned char *t = sqlite3_column_text(r->h, i);
    *len = t ? (size_t)sqlite3_column_bytes(r->h, i) : 0;
    return (const char *)t;
}

const void *sq_col_blob(const st_row *r, int i, size_t *len)
{
    const void *b = sqlite3_column_blob(r->h, i);
    *len = (size_t)sqlite3_column_bytes(r->h, i);
    return b;
}
