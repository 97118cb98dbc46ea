/*
 * storage_history.c - the per-epoch history of jobs, one batch to a row.
 *
 * A job hands its epochs over in batches (a flush about once a second, a
 * checkpoint, the end). Each batch is one row of history_chunks whose
 * blob holds the epochs as fixed 32-byte records (the epoch as int64,
 * then loss, validation loss and time as binary64, little-endian, NaN
 * for none), at most CHUNK_MAX to a row. Why: one row per epoch meant
 * three B-tree inserts per epoch, and a job of 2000 tiny epochs spent a
 * tenth of its time storing them (schema/sqlite/0005_history_chunks.sql).
 * Readers decode the records in rowid order, which is insertion order.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "storage/storage_internal.h"

enum {
    RECORD_BYTES = ST_EPOCH_RECORD_BYTES,
    CHUNK_MAX = 4096 /* records in one row: bounds what one read decodes */
};

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int b = 0; b < 8; b++)
        p[b] = (unsigned char)(v >> (8 * b));
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int b = 7; b >= 0; b--)
        v = (v << 8) | p[b];
    return v;
}

static void put_real(unsigned char *p, double d)
{
    uint64_t bits;
    if (isnan(d))
        d = NAN; /* one bit pattern for "none" */
    memcpy(&bits, &d, 8);
    put_u64(p, bits);
}

static double get_real(const unsigned char *p)
{
    uint64_t bits = get_u64(p);
    double d;
    memcpy(&d, &bits, 8);
    return d;
}

static void encode(const st_epoch *e, unsigned char *p)
{
    put_u64(p, (uint64_t)e->epoch);
    put_real(p + 8, e->loss);
    put_real(p + 16, e->val_loss);
    put_real(p + 24, e->time);
}

static void decode(const unsigned char *p, st_epoch *e)
{
    e->epoch = (int64_t)get_u64(p);
    e->loss = get_real(p + 8);
    e->val_loss = get_real(p + 16);
    e->time = get_real(p + 24);
}

void st_epoch_record(const st_epoch *e, unsigned char rec[ST_EPOCH_RECORD_BYTES])
{
    encode(e, rec);
}

/* ---- writing ------------------------------------------------------------ */

static st_status insert_chunk(st_conn *c, const char *model_id, const char *job_id,
                              const st_epoch *e, size_t k, unsigned char *buf)
{
    int64_t lo = e[0].epoch, hi = e[0].epoch;
    for (size_t i = 0; i < k; i++) {
        encode(&e[i], buf + i * RECORD_BYTES);
        lo = e[i].epoch < lo ? e[i].epoch : lo;
        hi = e[i].epoch > hi ? e[i].epoch : hi;
    }
    st_val p[] = {st_text(model_id), st_text(job_id), st_int(lo), st_int(hi),
                  st_int((int64_t)k), st_blob(buf, k * RECORD_BYTES)};
    return st_exec(c, Q_HISTORY_INSERT, p, ST_NPARAMS(p), NULL);
}

st_status st_history_write(st_conn *c, const char *model_id, const char *job_id,
                           const st_epoch *epochs, size_t n)
{
    if (n == 0)
        return ST_OK;
    size_t cap = n < CHUNK_MAX ? n : CHUNK_MAX;
    unsigned char *buf = malloc(cap * RECORD_BYTES);
    if (!buf)
        return ST_NOMEM;
    /* a job id that does not exist fails its foreign key: ST_NOT_FOUND */
    st_status rc = ST_OK;
    for (size_t at = 0; rc == ST_OK && at < n; at += cap)
        rc = insert_chunk(c, model_id, job_id, epochs + at, n - at < cap ? n - at : cap, buf);
    free(buf);
    return rc;
}

typedef struct append_args {
    const char *model_id, *job_id;
    const st_epoch *epochs;
    size_t n;
} append_args;

static st_status append_body(st_conn *c, void *arg)
{
    const append_args *a = arg;
    st_status rc = st_model_samples(c, a->model_id, NULL);
    if (rc == ST_OK)
        rc = st_history_write(c, a->model_id, a->job_id, a->epochs, a->n);
    return rc;
}

st_status storage_history_append(storage *s, const char *model_id, const char *job_id,
                                 const st_epoch *epochs, size_t n)
{
    if (!s || !model_id || !job_id || (n && !epochs))
        return ST_ERROR;
    append_args a = {model_id, job_id, epochs, n};
    return st_tx(s, ST_WRITE, append_body, &a);
}

/* ---- reading ------------------------------------------------------------ */

/* The records of the chunk in the row (columns n_col, n_col + 1: the
 * count, then the blob); ST_CORRUPT when they disagree. */
static st_status chunk_of(const st_row *r, int n_col, const unsigned char **recs, size_t *k)
{
    int64_t n = st_col_int(r, n_col);
    size_t bytes = 0;
    const unsigned char *data = st_col_blob(r, n_col + 1, &bytes);
    if (n < 1 || n > CHUNK_MAX || !data || bytes != (size_t)n * RECORD_BYTES)
        return data || bytes == 0 ? ST_CORRUPT : ST_NOMEM;
    *recs = data;
    *k = (size_t)n;
    return ST_OK;
}

/* Make room for need elements of elem bytes in *arr (capacity *cap). */
static st_status reserve(void **arr, size_t *cap, size_t need, size_t elem)
{
    while (*cap < need) {
        void *g = st_grow(*arr, cap, elem);
        if (!g)
            return ST_NOMEM;
        *arr = g;
    }
    return ST_OK;
}

typedef struct rows_acc {
    st_history_row *hs;
    size_t count, cap;
} rows_acc;

static st_status history_cb(st_row *r, void *arg)
{
    rows_acc *h = arg;
    char job_id[sizeof h->hs->job_id];
    const unsigned char *recs = NULL;
    size_t k = 0;
    st_status rc = st_col_copy(r, 0, job_id, sizeof job_id);
    if (rc == ST_OK)
        rc = chunk_of(r, 1, &recs, &k);
    if (rc == ST_OK)
        rc = reserve((void **)&h->hs, &h->cap, h->count + k, sizeof *h->hs);
    for (size_t i = 0; rc == ST_OK && i < k; i++, h->count++) {
        memcpy(h->hs[h->count].job_id, job_id, sizeof job_id);
        decode(recs + i * RECORD_BYTES, &h->hs[h->count].e);
    }
    return rc;
}

typedef struct list_args {
    const char *model_id;
    rows_acc acc;
} list_args;

static st_status list_body(st_conn *c, void *arg)
{
    list_args *a = arg;
    free(a->acc.hs);
    a->acc = (rows_acc){0};
    st_val p[] = {st_text(a->model_id)};
    st_status rc = st_model_samples(c, a->model_id, NULL);
    if (rc == ST_OK)
        rc = st_run(c, Q_HISTORY_LIST, p, ST_NPARAMS(p), history_cb, &a->acc, NULL);
    return rc;
}

st_status storage_history_list(storage *s, const char *model_id,
                               st_history_row **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s || !model_id)
        return ST_ERROR;
    list_args a = {.model_id = model_id};
    st_status rc = st_tx(s, ST_READ, list_body, &a);
    if (rc != ST_OK) {
        free(a.acc.hs);
        return rc;
    }
    *out = a.acc.hs;
    *n = a.acc.count;
    return ST_OK;
}

typedef struct after_acc {
    int64_t after;
    size_t limit;
    st_epoch *es;
    size_t count, cap;
} after_acc;

/* The epochs above after in a chunk, up to limit. */
static st_status after_cb(st_row *r, void *arg)
{
    after_acc *a = arg;
    const unsigned char *recs = NULL;
    size_t k = 0;
    st_status rc = chunk_of(r, 0, &recs, &k);
    for (size_t i = 0; rc == ST_OK && i < k && a->count < a->limit; i++) {
        st_epoch e;
        decode(recs + i * RECORD_BYTES, &e);
        if (e.epoch <= a->after)
            continue;
        rc = reserve((void **)&a->es, &a->cap, a->count + 1, sizeof *a->es);
        if (rc == ST_OK)
            a->es[a->count++] = e;
    }
    if (a->count >= a->limit)
        st_row_stop(r);
    return rc;
}

typedef struct epochs_args {
    const char *job_id;
    after_acc acc;
} epochs_args;

static st_status epochs_body(st_conn *c, void *arg)
{
    epochs_args *a = arg;
    st_val p[] = {st_text(a->job_id), st_int(a->acc.after)};
    return st_run(c, Q_HISTORY_JOB_AFTER, p, ST_NPARAMS(p), after_cb, &a->acc, NULL);
}

st_status storage_job_epochs(storage *s, const char *job_id, int64_t after, size_t limit,
                             st_epoch **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s || !job_id || limit == 0 || limit > INT32_MAX)
        return ST_ERROR;
    epochs_args a = {.job_id = job_id, .acc = {.after = after, .limit = limit}};
    st_status rc = st_with_conn(s, epochs_body, &a);
    if (rc != ST_OK) {
        free(a.acc.es);
        return rc;
    }
    *out = a.acc.es;
    *n = a.acc.count;
    return ST_OK;
}
