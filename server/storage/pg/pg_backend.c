/*
 * pg_backend.c - the PostgreSQL backend behind storage/backend.h: --db
 * "postgresql://..." (or "postgres://", or a libpq conninfo such as
 * "host=/tmp/x dbname=mlpd") opens a pool (pg_conn.c), applies
 * schema/pg's migrations (pg_migrate.c) and runs the statement table of
 * pg_sql.c. Rows come back in binary and reach the resource files'
 * callbacks one at a time.
 *
 * Retries: a write transaction that PostgreSQL aborted for a
 * serialization failure, a deadlock or a lock timeout is run again by
 * the resource file when retry() says so (3 more times, 5/20/80 ms
 * backoff with jitter); after that, or for a lost connection, the answer
 * is ST_BUSY (503 with Retry-After) and the connection is replaced.
 */
#include "storage/backend.h"
#include "storage/pg/pg_internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct st_db {
    pg_pool pool;
    pg_listener listener; /* started by pg_on_change */
    pg_change_fn change_fn;
    void *change_arg;
    st_cancel_fn cancel_fn; /* set before the listener starts */
    void *cancel_arg;
    st_job_change_fn job_fn; /* likewise */
    void *job_arg;
};

/* Most connections one node opens: request threads and workers share
 * them; past it a caller waits for one. */
#define PG_POOL_MAX 32

static int pg_accepts(const char *where)
{
    if (!where)
        return 0;
    if (!strncmp(where, "postgresql://", 13) || !strncmp(where, "postgres://", 11))
        return 1;
    /* a conninfo: starts with keyword=value ("host=", "dbname=", ...) */
    const char *p = where;
    while (isspace((unsigned char)*p))
        p++;
    const char *k = p;
    while (islower((unsigned char)*p) || *p == '_')
        p++;
    while (isspace((unsigned char)*p))
        p++;
    return p > k && *p == '=';
}

static st_status pg_open(const char *where, st_db **out, char *err, size_t errlen)
{
    *out = NULL;
    st_db *db = calloc(1, sizeof *db);
    if (!db)
        return ST_NOMEM;
    st_status s = pg_pool_open(&db->pool, where, pg_sql, Q_N_STMTS, PG_POOL_MAX, err, errlen);
    if (s != ST_OK) {
        free(db);
        return s;
    }
    pg_conn *c;
    s = pg_conn_get(&db->pool, &c);
    if (s == ST_OK) {
        s = pg_migrate(c, err, errlen);
        pg_conn_put(&db->pool, c);
    } else {
        snprintf(err, errlen, "cannot connect to PostgreSQL");
    }
    if (s != ST_OK) {
        pg_pool_close(&db->pool);
        free(db);
        return s;
    }
    *out = db;
    return ST_OK;
}

static void pg_close(st_db *db)
{
    if (!db)
        return;
    pg_listener_stop(&db->listener);
    pg_pool_close(&db->pool);
    free(db);
}

static int pg_read_only(st_db *db)
{
    (void)db;
    return 0; /* the server keeps its own durability rules */
}

static st_status b_conn_get(st_db *db, st_conn **out)
{
    pg_conn *c = NULL;
    st_status s = pg_conn_get(&db->pool, &c);
    *out = c ? &c->base : NULL;
    return s;
}

static void b_conn_put(st_db *db, st_conn *c)
{
    pg_conn_put(&db->pool, (pg_conn *)c);
}

/* st_val -> pg_val: the same fields, another enum. */
static pg_val to_pg(const st_val *v)
{
    pg_val out = {.type = PGV_NULL};
    switch (v->type) {
    case STV_INT: out.type = PGV_INT; out.i = v->i; break;
    case STV_REAL: out.type = PGV_REAL; out.d = v->d; break;
    case STV_TEXT:
        if (v->p)
            out = (pg_val){.type = PGV_TEXT, .p = v->p};
        break;
    case STV_BLOB:
        if (v->p)
            out = (pg_val){.type = PGV_BLOB, .p = v->p, .len = v->len};
        break;
    default: break;
    }
    return out;
}

#define MAX_PARAMS 24

static st_status b_run(st_conn *sc, st_stmt_id q, const st_val *p, int n, st_row_fn fn,
                       void *arg, int64_t *changes)
{
    pg_conn *c = (pg_conn *)sc;
    if (n < 0 || n > MAX_PARAMS)
        return ST_ERROR;
    pg_val v[MAX_PARAMS];
    for (int k = 0; k < n; k++)
        v[k] = to_pg(&p[k]);
    PGresult *r = NULL;
    st_status s = pg_run(c->pool, c, (int)q, v, n, &r);
    if (s != ST_OK)
        return s;
    if (changes) {
        const char *t = PQcmdTuples(r);
        *changes = t && *t ? strtoll(t, NULL, 10) : 0;
    }
    int rows = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : 0;
    if (!fn) {
        /* an INSERT ... RETURNING id: the id the caller may ask for */
        if (rows == 1 && PQnfields(r) == 1)
            c->last_id = pg_int(r, 0, 0);
        PQclear(r);
        return ST_OK;
    }
    st_row row = {.b = &st_pg_backend, .h = r};
    for (int i = 0; i < rows && s == ST_OK; i++) {
        row.index = i;
        s = fn(&row, arg);
        if (row.stop)
            break;
    }
    PQclear(r);
    return s;
}

static st_status b_begin(st_conn *c, int write)
{
    return pg_begin((pg_conn *)c, write);
}

static st_status b_commit(st_conn *c)
{
    return pg_commit((pg_conn *)c);
}

static void b_rollback(st_conn *c)
{
    pg_rollback((pg_conn *)c);
}

static int64_t b_last_insert_id(st_conn *c)
{
    return ((pg_conn *)c)->last_id;
}

static int b_retry(st_conn *sc, int tries)
{
    pg_conn *c = (pg_conn *)sc;
    if (!c->retry || c->broken || tries >= PG_TRIES)
        return 0;
    c->retry = 0;
    pg_backoff(c->pool, tries);
    return 1;
}

/* ---- columns ------------------------------------------------------------- */

static const PGresult *res_of(const st_row *r)
{
    return r->h;
}

static st_vtype b_col_type(const st_row *r, int i)
{
    const PGresult *res = res_of(r);
    if (PQgetisnull(res, r->index, i))
        return STV_NULL;
    switch (pg_kind(res, i)) {
    case 'i': return STV_INT;
    case 'd': return STV_REAL;
    case 't': return STV_TEXT;
    case 'b': return STV_BLOB;
    default: return STV_NULL;
    }
}

static int64_t b_col_int(const st_row *r, int i)
{
    const PGresult *res = res_of(r);
    if (pg_kind(res, i) == 'd') /* SQLite converts a real to an int too */
        return (int64_t)pg_real_or_nan(res, r->index, i);
    return pg_int(res, r->index, i);
}

static double b_col_real(const st_row *r, int i)
{
    const PGresult *res = res_of(r);
    if (PQgetisnull(res, r->index, i))
        return 0.0; /* as sqlite3_column_double: callers look at col_type first */
    return pg_real_or_nan(res, r->index, i);
}

static const char *b_col_text(const st_row *r, int i, size_t *len)
{
    const PGresult *res = res_of(r);
    const char *t = pg_text(res, r->index, i);
    if (len)
        *len = t ? (size_t)PQgetlength(res, r->index, i) : 0;
    return t;
}

static const void *b_col_blob(const st_row *r, int i, size_t *len)
{
    size_t n = 0;
    const void *b = pg_blob(res_of(r), r->index, i, &n);
    if (len)
        *len = n;
    return b;
}

/* ---- changes from other nodes ------------------------------------------- */

static const char *const channels[] = {PG_CHANNEL_MODELS, PG_CHANNEL_CANCELS, PG_CHANNEL_JOBS};

static void on_notify(void *arg, const char *channel, const char *payload)
{
    st_db *db = arg;
    if (!channel) { /* (re)connected: anything may have changed */
        db->change_fn(db->change_arg, NULL);
        if (db->job_fn)
            db->job_fn(db->job_arg, NULL);
    } else if (!strcmp(channel, PG_CHANNEL_JOBS) && db->job_fn)
        db->job_fn(db->job_arg, payload);
    else if (!strcmp(channel, PG_CHANNEL_MODELS) && payload && *payload)
        db->change_fn(db->change_arg, payload);
    else if (!strcmp(channel, PG_CHANNEL_CANCELS) && payload && *payload && db->cancel_fn)
        db->cancel_fn(db->cancel_arg, payload);
}

static void pg_on_job_change(st_db *db, st_job_change_fn fn, void *arg)
{
    db->job_fn = fn;
    db->job_arg = arg;
}

void pg_on_cancel(st_db *db, st_cancel_fn fn, void *arg)
{
    db->cancel_fn = fn;
    db->cancel_arg = arg;
}

int pg_on_change(st_db *db, pg_change_fn fn, void *arg)
{
    pg_listener_stop(&db->listener); /* joins: no call of the old fn after this */
    db->change_fn = fn;
    db->change_arg = arg;
    if (!fn)
        return 0;
    return pg_listener_start(&db->listener, db->pool.conninfo, channels,
                             sizeof channels / sizeof channels[0], on_notify, db);
}

static void pg_set_idle_tx_limit(st_db *db, long ms)
{
    pg_pool_set_idle_tx(&db->pool, ms);
}

const st_backend st_pg_backend = {
    .name = "pg",
    .accepts = pg_accepts,
    .open = pg_open,
    .close = pg_close,
    .read_only = pg_read_only,
    .conn_get = b_conn_get,
    .conn_put = b_conn_put,
    .run = b_run,
    .begin = b_begin,
    .commit = b_commit,
    .rollback = b_rollback,
    .last_insert_id = b_last_insert_id,
    .retry = b_retry,
    .col_type = b_col_type,
    .col_int = b_col_int,
    .col_real = b_col_real,
    .col_text = b_col_text,
    .col_blob = b_col_blob,
    .on_change = pg_on_change,
    .on_cancel = pg_on_cancel,
    .set_idle_tx_limit = pg_set_idle_tx_limit,
    .on_job_change = pg_on_job_change,
};
