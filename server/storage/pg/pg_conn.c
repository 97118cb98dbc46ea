/*
 * pg_conn.c - the PostgreSQL backend's connection pool, prepared
 * statements with binary parameters, error mapping and the transaction
 * driver with its retries (design in pg_internal.h).
 */
#include "storage/pg/pg_internal.h"

#include <endian.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* OIDs of the built-in types (pg_type.h is not for clients). */
enum {
    OID_BOOL = 16,
    OID_BYTEA = 17,
    OID_NAME = 19,
    OID_INT8 = 20,
    OID_INT2 = 21,
    OID_INT4 = 23,
    OID_TEXT = 25,
    OID_FLOAT4 = 700,
    OID_FLOAT8 = 701,
    OID_VARCHAR = 1043
};

/* Session settings of every connection: UTC and UTF-8 so nothing depends
 * on the server's defaults; a lock wait or a transaction left idle ends
 * in a few seconds (a retry or a 503, never a stuck request or a node
 * frozen inside a transaction holding locks past a job's lease). */
static const char *const session_sql =
    "SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'; "
    "SET lock_timeout = '2s'; SET idle_in_transaction_session_timeout = " PG_IDLE_TX_TEXT "; "
    "SET client_min_messages = 'warning'";

PGconn *pg_connect_named(const char *conninfo)
{
    /* "mlpd HOST:PID": which node a session belongs to (pg_stat_activity;
     * the start-up recovery looks for other nodes by it). */
    char host[64] = "", name[96];
    if (gethostname(host, sizeof host - 1) != 0)
        snprintf(host, sizeof host, "?");
    host[sizeof host - 1] = '\0';
    snprintf(name, sizeof name, "mlpd %s:%ld", host, (long)getpid());
    const char *keys[] = {"dbname", "application_name", NULL};
    const char *vals[] = {conninfo, name, NULL};
    /* expand_dbname: the conninfo (or URL) given as dbname is parsed */
    return PQconnectdbParams(keys, vals, 1);
}

void pg_pool_set_idle_tx(pg_pool *p, long ms)
{
    __atomic_store_n(&p->idle_tx_ms, ms, __ATOMIC_RELAXED);
}

/* A lent session takes the pool's idle-transaction limit if it has
 * another (jobs under a lease lower it below the lease). */
static st_status apply_idle_tx(pg_pool *p, pg_conn *c)
{
    long want = __atomic_load_n(&p->idle_tx_ms, __ATOMIC_RELAXED);
    if (c->idle_tx_ms == want)
        return ST_OK;
    char sql[96];
    snprintf(sql, sizeof sql, "SET idle_in_transaction_session_timeout = %ld", want);
    PGresult *r = PQexec(c->pc, sql);
    int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (ok)
        c->idle_tx_ms = want;
    else
        c->broken = 1; /* closed when given back; the caller sees the error */
    return ST_OK;
}

static PGconn *connect_one(const char *conninfo, char *err, size_t errlen)
{
    PGconn *pc = pg_connect_named(conninfo);
    if (!pc) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (PQstatus(pc) != CONNECTION_OK) {
        snprintf(err, errlen, "%s", PQerrorMessage(pc));
        err[strcspn(err, "\n")] = '\0';
        PQfinish(pc);
        return NULL;
    }
    PGresult *r = PQexec(pc, session_sql);
    int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) {
        snprintf(err, errlen, "session settings: %s", PQerrorMessage(pc));
        err[strcspn(err, "\n")] = '\0';
    }
    PQclear(r);
    if (!ok) {
        PQfinish(pc);
        return NULL;
    }
    return pc;
}

st_status pg_pool_open(pg_pool *p, const char *conninfo, const pg_stmt *stmts, size_t n_stmts,
                       int max_open, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    if (n_stmts > PG_MAX_STMTS || max_open < 1) {
        snprintf(err, errlen, "bad pool arguments");
        return ST_ERROR;
    }
    p->conninfo = strdup(conninfo);
    if (!p->conninfo)
        return ST_NOMEM;
    p->backend = &st_pg_backend;
    p->stmts = stmts;
    p->n_stmts = n_stmts;
    p->max_open = max_open;
    p->idle_tx_ms = PG_IDLE_TX_MS;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    pg_conn *c = calloc(1, sizeof *c);
    if (!c) {
        pg_pool_close(p);
        return ST_NOMEM;
    }
    c->base.b = p->backend;
    c->pool = p;
    c->idle_tx_ms = PG_IDLE_TX_MS;
    c->pc = connect_one(conninfo, err, errlen);
    if (!c->pc) {
        free(c);
        pg_pool_close(p);
        return ST_ERROR;
    }
    p->open = 1;
    p->free_list = c;
    return ST_OK;
}

void pg_pool_close(pg_pool *p)
{
    if (!p->conninfo)
        return;
    while (p->free_list) {
        pg_conn *c = p->free_list;
        p->free_list = c->next;
        PQfinish(c->pc);
        free(c);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->conninfo);
    p->conninfo = NULL;
}

st_status pg_conn_get(pg_pool *p, pg_conn **out)
{
    *out = NULL;
    pthread_mutex_lock(&p->mu);
    while (!p->free_list && p->open >= p->max_open)
        pthread_cond_wait(&p->cv, &p->mu);
    pg_conn *c = p->free_list;
    if (c) {
        p->free_list = c->next;
        c->next = NULL;
    } else {
        p->open++; /* a slot for the connection opened below */
    }
    pthread_mutex_unlock(&p->mu);
    if (c && PQstatus(c->pc) == CONNECTION_OK) {
        c->retry = 0;
        *out = c;
        return apply_idle_tx(p, c);
    }
    /* New, or pooled but dropped by the server meanwhile: (re)connect. */
    char err[256];
    if (!c)
        c = calloc(1, sizeof *c);
    else {
        PQfinish(c->pc);
        memset(c, 0, sizeof *c);
        __atomic_add_fetch(&p->reconnects, 1, __ATOMIC_RELAXED);
    }
    if (c) {
        c->base.b = p->backend;
        c->pool = p;
        c->idle_tx_ms = PG_IDLE_TX_MS;
        c->pc = connect_one(p->conninfo, err, sizeof err);
    }
    if (!c || !c->pc) {
        free(c);
        pthread_mutex_lock(&p->mu);
        p->open--;
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
        return ST_BUSY; /* the database is unreachable: 503, retry later */
    }
    *out = c;
    return apply_idle_tx(p, c);
}

void pg_conn_put(pg_pool *p, pg_conn *c)
{
    if (!c)
        return;
    if (c->in_tx && !c->broken)
        pg_rollback(c);
    if (c->broken || PQstatus(c->pc) != CONNECTION_OK ||
        PQtransactionStatus(c->pc) != PQTRANS_IDLE) {
        PQfinish(c->pc);
        free(c);
        pthread_mutex_lock(&p->mu);
        p->open--;
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
        return;
    }
    c->retry = 0;
    c->want_tx = 0;
    pthread_mutex_lock(&p->mu);
    c->next = p->free_list;
    p->free_list = c;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

st_status pg_map(pg_conn *c, const PGresult *res)
{
    c->retry = 0;
    c->sqlstate[0] = '\0';
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (state)
        snprintf(c->sqlstate, sizeof c->sqlstate, "%s", state);
    if (!res || PQstatus(c->pc) != CONNECTION_OK || (state && strncmp(state, "08", 2) == 0) ||
        (state && strncmp(state, "57P", 3) == 0)) {
        /* connection lost, or the server shutting down / restarting */
        c->broken = 1;
        return ST_BUSY;
    }
    if (!state)
        return ST_ERROR;
    if (!strcmp(state, "23505"))
        return ST_CONFLICT;
    if (!strcmp(state, "23503"))
        return ST_NOT_FOUND;
    if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03")) {
        c->retry = 1;
        return ST_BUSY;
    }
    if (!strcmp(state, "57014") || !strcmp(state, "25P03"))
        return ST_BUSY; /* a statement or idle transaction timed out */
    if (!strcmp(state, "53100"))
        return ST_FULL;
    if (!strcmp(state, "53200"))
        return ST_NOMEM;
    if (!strcmp(state, "53300"))
        return ST_BUSY; /* too many connections */
    if (!strcmp(state, "25006"))
        return ST_READ_ONLY; /* a read-only server (a standby) */
    if (!strcmp(state, "XX001") || !strcmp(state, "XX002"))
        return ST_CORRUPT;
    return ST_ERROR;
}

/* Parameter k of a statement as its declared type: the value bytes in
 * buf (8 bytes, big-endian) or pointing at the caller's text/bytes. */
static st_status encode(char type, const pg_val *v, unsigned char buf[8], const char **val,
                        int *len, Oid *oid)
{
    uint64_t u;
    *oid = type == 'i' ? OID_INT8 : type == 'd' ? OID_FLOAT8 : type == 't' ? OID_TEXT : OID_BYTEA;
    if (v->type == PGV_NULL) {
        *val = NULL;
        *len = 0;
        return ST_OK;
    }
    switch (type) {
    case 'i':
        if (v->type != PGV_INT)
            return ST_ERROR;
        u = htobe64((uint64_t)v->i);
        break;
    case 'd': {
        double d = v->type == PGV_INT ? (double)v->i : v->d;
        if (v->type != PGV_INT && v->type != PGV_REAL)
            return ST_ERROR;
        memcpy(&u, &d, 8);
        u = htobe64(u);
        break;
    }
    case 't':
        if (v->type != PGV_TEXT || !v->p)
            return ST_ERROR;
        *val = v->p;
        *len = (int)strlen(v->p);
        return ST_OK;
    case 'b':
        if (v->type != PGV_BLOB || v->len > 0x3fffffff)
            return ST_ERROR;
        *val = v->len ? v->p : "";
        *len = (int)v->len;
        return ST_OK;
    default:
        return ST_ERROR;
    }
    memcpy(buf, &u, 8);
    *val = (const char *)buf;
    *len = 8;
    return ST_OK;
}

static st_status simple(pg_conn *c, const char *sql);

#define PG_MAX_PARAMS 24

st_status pg_run(pg_pool *p, pg_conn *c, int id, const pg_val *params, int n, PGresult **res)
{
    if (res)
        *res = NULL;
    if (id < 0 || (size_t)id >= p->n_stmts || !p->stmts[id].sql || n > PG_MAX_PARAMS)
        return ST_ERROR;
    const pg_stmt *st = &p->stmts[id];
    int read_committed = st->types[0] == 'R';
    const char *types = st->types + read_committed;
    if ((int)strlen(types) != n)
        return ST_ERROR;
    unsigned char bufs[PG_MAX_PARAMS][8];
    const char *vals[PG_MAX_PARAMS];
    int lens[PG_MAX_PARAMS], fmts[PG_MAX_PARAMS];
    Oid oids[PG_MAX_PARAMS];
    for (int k = 0; k < n; k++) {
        if (encode(types[k], &params[k], bufs[k], &vals[k], &lens[k], &oids[k]) != ST_OK)
            return ST_ERROR;
        fmts[k] = 1;
    }
    if (c->want_tx) {
        /* A write takes the writers' lock before its snapshot, so that
         * writers run one at a time across every node, as SQLite's BEGIN
         * IMMEDIATE makes them: read-then-write code (a count checked,
         * then the next row added) needs no retry. The queue's claim is
         * the exception: READ COMMITTED, FOR UPDATE SKIP LOCKED. */
        const char *begin = c->want_tx == 1 ? "BEGIN ISOLATION LEVEL REPEATABLE READ"
                            : read_committed ? "BEGIN ISOLATION LEVEL READ COMMITTED"
                                                 : PG_BEGIN_WRITE;
        c->want_tx = 0;
        st_status bs = simple(c, begin);
        if (bs != ST_OK) {
            pg_rollback(c);
            return bs;
        }
        c->in_tx = 1;
    }
    char name[16];
    snprintf(name, sizeof name, "q%d", id);
    if (!c->prepared[id]) {
        PGresult *pr = PQprepare(c->pc, name, st->sql, n, oids);
        int ok = pr && PQresultStatus(pr) == PGRES_COMMAND_OK;
        st_status s = ok ? ST_OK : pg_map(c, pr);
        PQclear(pr);
        if (!ok)
            return s == ST_OK ? ST_ERROR : s;
        c->prepared[id] = 1;
    }
    PGresult *r = PQexecPrepared(c->pc, name, n, vals, lens, fmts, 1);
    ExecStatusType es = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK) {
        st_status s = pg_map(c, r);
        PQclear(r);
        return s == ST_OK ? ST_ERROR : s;
    }
    if (res)
        *res = r;
    else
        PQclear(r);
    return ST_OK;
}

/* A command without parameters or rows (BEGIN, COMMIT, ROLLBACK). */
static st_status simple(pg_conn *c, const char *sql)
{
    PGresult *r = PQexec(c->pc, sql);
    int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    st_status s = ok ? ST_OK : pg_map(c, r);
    PQclear(r);
    return ok ? ST_OK : s == ST_OK ? ST_ERROR : s;
}

st_status pg_begin(pg_conn *c, int write)
{
    if (c->in_tx || c->want_tx)
        return ST_ERROR; /* no nesting */
    c->want_tx = write ? 2 : 1;
    return ST_OK;
}

st_status pg_commit(pg_conn *c)
{
    if (c->want_tx) { /* nothing ran: nothing to commit */
        c->want_tx = 0;
        return ST_OK;
    }
    PGresult *r = PQexec(c->pc, "COMMIT");
    c->in_tx = 0;
    if (r && PQresultStatus(r) == PGRES_COMMAND_OK) {
        /* COMMIT of a transaction that had failed answers ROLLBACK */
        int rolled_back = strcmp(PQcmdStatus(r), "ROLLBACK") == 0;
        PQclear(r);
        return rolled_back ? ST_ERROR : ST_OK;
    }
    st_status s = pg_map(c, r);
    /* No answer (or the connection went with it): the server may have
     * committed before the link broke. An answered error rolled back. */
    int unknown = !r || c->broken;
    PQclear(r);
    if (unknown) {
        c->retry = 0;
        return ST_OUTCOME_UNKNOWN;
    }
    return s == ST_OK ? ST_ERROR : s;
}

void pg_rollback(pg_conn *c)
{
    c->want_tx = 0;
    if (PQtransactionStatus(c->pc) != PQTRANS_IDLE) {
        PGresult *r = PQexec(c->pc, "ROLLBACK");
        if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
            c->broken = 1;
        PQclear(r);
    }
    c->in_tx = 0;
}

static void sleep_ms(double ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(fmod(ms, 1000) * 1e6)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

void pg_backoff(pg_pool *p, int tries)
{
    unsigned seed = (unsigned)(uintptr_t)&seed ^ (unsigned)time(NULL) ^ (unsigned)tries;
    int k = tries < 1 ? 0 : tries > 3 ? 2 : tries - 1;
    double base = 5.0 * (double)(1 << (2 * k));
    sleep_ms(base + base * (rand_r(&seed) / (double)RAND_MAX));
    __atomic_add_fetch(&p->retries, 1, __ATOMIC_RELAXED);
}

st_status pg_tx(pg_pool *p, int write, pg_body body, void *arg)
{
    st_status s = ST_BUSY;
    for (int attempt = 0; attempt < PG_TRIES; attempt++) {
        if (attempt)
            pg_backoff(p, attempt);
        pg_conn *c;
        s = pg_conn_get(p, &c);
        if (s != ST_OK)
            return s;
        s = pg_begin(c, write);
        if (s == ST_OK)
            s = body(p, c, arg);
        if (s == ST_OK)
            s = pg_commit(c);
        else if (!c->broken)
            pg_rollback(c);
        int again = c->retry;
        if (c->broken)
            __atomic_add_fetch(&p->lost, 1, __ATOMIC_RELAXED);
        pg_conn_put(p, c);
        if (!again)
            return s;
    }
    return ST_BUSY; /* still conflicting after the last try */
}

/* ---- results ------------------------------------------------------------ */

int pg_is_null(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col);
}

static uint64_t be_bytes(const char *v, int n)
{
    uint64_t u = 0;
    for (int k = 0; k < n; k++)
        u = u << 8 | (unsigned char)v[k];
    return u;
}

int64_t pg_int(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return 0;
    const char *v = PQgetvalue(r, row, col);
    switch (PQftype(r, col)) {
    case OID_INT8: return (int64_t)be_bytes(v, 8);
    case OID_INT4: return (int32_t)(uint32_t)be_bytes(v, 4);
    case OID_INT2: return (int16_t)(uint16_t)be_bytes(v, 2);
    case OID_BOOL: return v[0] != 0;
    default: return 0;
    }
}

double pg_real_or_nan(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return NAN;
    const char *v = PQgetvalue(r, row, col);
    switch (PQftype(r, col)) {
    case OID_FLOAT8: {
        uint64_t u = be_bytes(v, 8);
        double d;
        memcpy(&d, &u, 8);
        return d;
    }
    case OID_FLOAT4: {
        uint32_t u = (uint32_t)be_bytes(v, 4);
        float f;
        memcpy(&f, &u, 4);
        return f;
    }
    case OID_INT8:
    case OID_INT4:
    case OID_INT2: return (double)pg_int(r, row, col);
    default: return NAN;
    }
}

double pg_time(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : pg_real_or_nan(r, row, col);
}

const char *pg_text(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

const void *pg_blob(const PGresult *r, int row, int col, size_t *len)
{
    if (PQgetisnull(r, row, col)) {
        *len = 0;
        return NULL;
    }
    *len = (size_t)PQgetlength(r, row, col);
    return PQgetvalue(r, row, col);
}

st_status pg_strdup(const PGresult *r, int row, int col, char **out)
{
    *out = NULL;
    if (PQgetisnull(r, row, col))
        return ST_OK;
    *out = strdup(PQgetvalue(r, row, col));
    return *out ? ST_OK : ST_NOMEM;
}

st_status pg_copy(const PGresult *r, int row, int col, char *buf, size_t cap)
{
    const char *t = pg_text(r, row, col);
    size_t n = t ? strlen(t) : 0;
    if (n >= cap)
        return ST_CORRUPT;
    memcpy(buf, t ? t : "", n + 1);
    return ST_OK;
}

char pg_kind(const PGresult *r, int col)
{
    switch (PQftype(r, col)) {
    case OID_INT8:
    case OID_INT4:
    case OID_INT2:
    case OID_BOOL: return 'i';
    case OID_FLOAT8:
    case OID_FLOAT4: return 'd';
    case OID_TEXT:
    case OID_VARCHAR:
    case OID_NAME: return 't';
    case OID_BYTEA: return 'b';
    default: return '?';
    }
}

st_status pg_check_columns(const PGresult *r, const char *kinds)
{
    int n = (int)strlen(kinds);
    if (PQnfields(r) != n)
        return ST_ERROR;
    for (int k = 0; k < n; k++) {
        Oid t = PQftype(r, k);
        int ok = 0;
        switch (kinds[k]) {
        case 'i': ok = t == OID_INT8 || t == OID_INT4 || t == OID_INT2 || t == OID_BOOL; break;
        case 'd':
            ok = t == OID_FLOAT8 || t == OID_FLOAT4 || t == OID_INT8 || t == OID_INT4 ||
                 t == OID_INT2;
            break;
        case 't': ok = t == OID_TEXT || t == OID_VARCHAR || t == OID_NAME; break;
        case 'b': ok = t == OID_BYTEA; break;
        default: break;
        }
        if (!ok)
            return ST_ERROR;
    }
    return ST_OK;
}
