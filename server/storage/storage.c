/*
 * storage.c - the backend-neutral half of storage: choosing the backend
 * at open, the drivers every resource function runs through (one
 * transaction, one row, a list of rows), the column helpers, ids.
 *
 * The backend does the database work (backend.h); here is only what
 * every backend would otherwise write again.
 */
#include "storage/storage_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* Tries of one transaction when the backend asks for a retry (SQLite never does). */
#define TX_TRIES 4

/* The first that accepts the --db value serves it: PostgreSQL a
 * postgresql:// or postgres:// URL or a libpq conninfo (storage/pg/);
 * SQLite, last, takes any other value as a file path. */
static const st_backend *const backends[] = {&st_pg_backend, &st_sqlite_backend};

const char *st_status_name(st_status s)
{
    switch (s) {
    case ST_OK: return "ok";
    case ST_NOT_FOUND: return "not_found";
    case ST_CONFLICT: return "conflict";
    case ST_LIMIT: return "limit";
    case ST_BUSY: return "busy";
    case ST_FULL: return "full";
    case ST_OUTCOME_UNKNOWN: return "outcome_unknown";
    case ST_READ_ONLY: return "read_only";
    case ST_NOMEM: return "nomem";
    case ST_CORRUPT: return "corrupt";
    case ST_ERROR: return "error";
    case ST_QUOTA: return "quota";
    case ST_FENCED: return "fenced";
    }
    return "unknown";
}

/* ---- open and close -------------------------------------------------- */

st_status storage_open(const char *path, storage **out, char *err, size_t errlen)
{
    char scratch[2];
    if (!err || !errlen) {
        err = scratch;
        errlen = sizeof scratch;
    }
    err[0] = '\0';
    *out = NULL;
    const st_backend *b = NULL;
    for (size_t i = 0; !b && i < sizeof backends / sizeof backends[0]; i++)
        if (backends[i]->accepts(path))
            b = backends[i];
    if (!b) {
        snprintf(err, errlen, "the database must be a file path (each pooled connection "
                 "would see its own in-memory database)");
        return ST_ERROR;
    }
    storage *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return ST_NOMEM;
    }
    s->b = b;
    st_status rc = b->open(path, &s->db, err, errlen);
    if (rc != ST_OK) {
        free(s);
        return rc;
    }
    *out = s;
    return ST_OK;
}

void storage_close(storage *s)
{
    if (!s)
        return;
    s->b->close(s->db);
    free(s);
}

void storage_on_change(storage *s, st_change_fn fn, void *arg)
{
    if (s && s->b->on_change)
        s->b->on_change(s->db, fn, arg);
}

int storage_read_only(storage *s)
{
    return s && s->b->read_only(s->db);
}

/* ---- drivers ---------------------------------------------------------- */

st_status st_with_conn(storage *s, st_body_fn body, void *arg)
{
    st_conn *c;
    st_status rc = s->b->conn_get(s->db, &c);
    if (rc != ST_OK)
        return rc;
    rc = body(c, arg);
    s->b->conn_put(s->db, c);
    return rc;
}

st_status st_tx(storage *s, int write, st_body_fn body, void *arg)
{
    const st_backend *b = s->b;
    st_conn *c;
    st_status rc = b->conn_get(s->db, &c);
    if (rc != ST_OK)
        return rc;
    for (int tries = 1;; tries++) {
        rc = b->begin(c, write);
        if (rc == ST_OK)
            rc = body(c, arg);
        if (rc == ST_OK)
            rc = b->commit(c); /* rolls back itself on failure */
        else
            b->rollback(c);
        if (rc == ST_OK || tries >= TX_TRIES || !b->retry(c, tries))
            break;
    }
    b->conn_put(s->db, c);
    return rc;
}

typedef struct one_stmt {
    st_stmt_id q;
    const st_val *p;
    int n;
    st_row_fn fn;
    void *arg;
    int found;
    int64_t changes;
} one_stmt;

static st_status get_body(st_conn *c, void *arg)
{
    const one_stmt *o = arg;
    return st_query_one(c, o->q, o->p, o->n, o->fn, o->arg);
}

st_status st_get(storage *s, st_stmt_id q, const st_val *p, int n, st_row_fn fn, void *arg)
{
    one_stmt o = {.q = q, .p = p, .n = n, .fn = fn, .arg = arg};
    return st_with_conn(s, get_body, &o);
}

typedef struct list_stmt {
    one_stmt o;
    const st_list_of *of;
    void **out;
    size_t *count;
} list_stmt;

static st_status get_list_body(st_conn *c, void *arg)
{
    list_stmt *l = arg;
    return st_list(c, l->o.q, l->o.p, l->o.n, l->of, l->out, l->count);
}

st_status st_get_list(storage *s, st_stmt_id q, const st_val *p, int n, const st_list_of *of,
                      void **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    list_stmt l = {.o = {.q = q, .p = p, .n = n}, .of = of, .out = out, .count = count};
    return st_with_conn(s, get_list_body, &l);
}

static st_status write_body(st_conn *c, void *arg)
{
    one_stmt *o = arg;
    o->changes = 0;
    st_status rc = st_exec(c, o->q, o->p, o->n, &o->changes);
    return rc == ST_OK && o->found && o->changes == 0 ? ST_NOT_FOUND : rc;
}

st_status st_write1(storage *s, st_stmt_id q, const st_val *p, int n, int found)
{
    one_stmt o = {.q = q, .p = p, .n = n, .found = found};
    return st_tx(s, ST_WRITE, write_body, &o);
}

st_status st_write_count(storage *s, st_stmt_id q, const st_val *p, int n, int64_t *changes)
{
    one_stmt o = {.q = q, .p = p, .n = n};
    st_status rc = st_tx(s, ST_WRITE, write_body, &o);
    *changes = rc == ST_OK ? o.changes : 0;
    return rc;
}

st_status st_exec_found(st_conn *c, st_stmt_id q, const st_val *p, int n)
{
    int64_t changes = 0;
    st_status rc = st_exec(c, q, p, n, &changes);
    return rc == ST_OK && changes == 0 ? ST_NOT_FOUND : rc;
}

typedef struct first_row {
    st_row_fn fn;
    void *arg;
    int seen;
} first_row;

static st_status first_cb(st_row *row, void *arg)
{
    first_row *f = arg;
    f->seen = 1;
    st_row_stop(row);
    return f->fn(row, f->arg);
}

st_status st_query_one(st_conn *c, st_stmt_id q, const st_val *p, int n, st_row_fn fn,
                       void *arg)
{
    first_row f = {.fn = fn, .arg = arg};
    st_status rc = st_run(c, q, p, n, first_cb, &f, NULL);
    return rc == ST_OK && !f.seen ? ST_NOT_FOUND : rc;
}

static st_status int_cb(st_row *row, void *arg)
{
    *(int64_t *)arg = st_col_int(row, 0);
    return ST_OK;
}

st_status st_query_int(st_conn *c, st_stmt_id q, const st_val *p, int n, int64_t *out)
{
    st_status rc = st_query_one(c, q, p, n, int_cb, out);
    return rc == ST_NOT_FOUND ? ST_ERROR : rc; /* an aggregate always answers a row */
}

typedef struct list_acc {
    const st_list_of *of;
    char *arr;
    size_t count, cap;
} list_acc;

static st_status list_cb(st_row *row, void *arg)
{
    list_acc *l = arg;
    if (l->count == l->cap) {
        char *g = st_grow(l->arr, &l->cap, l->of->elem);
        if (!g)
            return ST_NOMEM;
        l->arr = g;
    }
    st_status rc = l->of->read(row, l->arr + l->count * l->of->elem);
    if (rc == ST_OK)
        l->count++;
    return rc;
}

st_status st_list(st_conn *c, st_stmt_id q, const st_val *p, int n, const st_list_of *of,
                  void **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    list_acc l = {.of = of};
    st_status rc = st_run(c, q, p, n, list_cb, &l, NULL);
    if (rc != ST_OK) {
        for (size_t i = 0; of->clear && i < l.count; i++)
            of->clear(l.arr + i * of->elem);
        free(l.arr);
        return rc;
    }
    *out = l.arr;
    *count = l.count;
    return ST_OK;
}

/* ---- columns ---------------------------------------------------------- */

st_status st_col_strdup(const st_row *r, int i, char **out)
{
    *out = NULL;
    if (st_col_is_null(r, i))
        return ST_OK;
    size_t len = 0;
    const char *text = st_col_text(r, i, &len);
    if (!text)
        return ST_NOMEM; /* the conversion to text failed */
    char *copy = malloc(len + 1);
    if (!copy)
        return ST_NOMEM;
    memcpy(copy, text, len);
    copy[len] = '\0';
    *out = copy;
    return ST_OK;
}

st_status st_col_copy(const st_row *r, int i, char *buf, size_t cap)
{
    buf[0] = '\0';
    size_t len = 0;
    const char *text = st_col_text(r, i, &len);
    if (!text)
        return st_col_is_null(r, i) ? ST_CORRUPT : ST_NOMEM;
    if (len >= cap)
        return ST_CORRUPT; /* our own columns are never this long */
    memcpy(buf, text, len);
    buf[len] = '\0';
    return ST_OK;
}

st_status st_col_copy_or_empty(const st_row *r, int i, char *buf, size_t cap)
{
    buf[0] = '\0';
    return st_col_is_null(r, i) ? ST_OK : st_col_copy(r, i, buf, cap);
}

st_status st_col_blob_exact(const st_row *r, int i, unsigned char *out, size_t n)
{
    size_t len = 0;
    const void *b = st_col_blob(r, i, &len);
    if (!b || len != n)
        return ST_CORRUPT;
    memcpy(out, b, n);
    return ST_OK;
}

/* ---- small shared helpers --------------------------------------------- */

static st_status samples_cb(st_row *row, void *arg)
{
    if (arg)
        *(int64_t *)arg = st_col_int(row, 0);
    return ST_OK;
}

st_status st_model_samples(st_conn *c, const char *id, int64_t *samples)
{
    st_val p[] = {st_text(id)};
    return st_query_one(c, Q_MODEL_EXISTS, p, ST_NPARAMS(p), samples_cb, samples);
}

double st_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void *st_grow(void *arr, size_t *cap, size_t elem)
{
    size_t n = *cap ? *cap * 2 : 16;
    if (n < *cap || n > SIZE_MAX / elem)
        return NULL;
    void *p = realloc(arr, n * elem);
    if (p)
        *cap = n;
    return p;
}

st_status st_to_le(const double *v, size_t count, const unsigned char **bytes,
                   unsigned char **owned)
{
    *owned = NULL;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    (void)count;
    *bytes = (const unsigned char *)v;
    return ST_OK;
#else
    unsigned char *out = malloc(count * 8);
    if (!out)
        return ST_NOMEM;
    for (size_t i = 0; i < count; i++) {
        uint64_t bits;
        memcpy(&bits, &v[i], 8);
        for (int b = 0; b < 8; b++)
            out[i * 8 + (size_t)b] = (unsigned char)(bits >> (8 * b));
    }
    *owned = out;
    *bytes = out;
    return ST_OK;
#endif
}

int storage_new_id(char buf[17])
{
    unsigned char raw[8];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            buf[0] = '\0';
            return -1;
        }
        got += (size_t)n;
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof raw; i++) {
        buf[2 * i] = hex[raw[i] >> 4];
        buf[2 * i + 1] = hex[raw[i] & 15];
    }
    buf[16] = '\0';
    return 0;
}
