/*
 * storage_history.c - the per-epoch history of jobs, one batch to a row.
 *
 * A job hands its epochs over in batches (a flush about once a second, a
 * checkpoint, the end). Each batch is one row of history_chunks whose
 * blob holds the epochs as fixed 32-byte records (the epoch as int64,
 * then loss, validation loss and time as binary64, little-endian, NaN
 * for none), at most CHUNK_MAX to a row. Why: one row per epoch meant
 * three B-tree inserts per epoch, and a job of 2000 tiny epochs spent a
 * tenth of its time storing them (schema/0005_history_chunks.sql).
 * Readers decode the records in rowid order, which is insertion order.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "storage/storage_internal.h"

enum {
    RECORD_BYTES = 32,
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

/* mlpd_epoch_record(epoch, loss, val_loss, time): one record, for the
 * migration that moved rows of the old history table into chunks. */
static void epoch_record_sql(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    st_epoch e;
    e.epoch = sqlite3_value_int64(argv[0]);
    e.loss = sqlite3_value_type(argv[1]) == SQLITE_NULL ? NAN : sqlite3_value_double(argv[1]);
    e.val_loss = sqlite3_value_type(argv[2]) == SQLITE_NULL ? NAN : sqlite3_value_double(argv[2]);
    e.time = sqlite3_value_double(argv[3]);
    unsigned char rec[RECORD_BYTES];
    encode(&e, rec);
    sqlite3_result_blob(ctx, rec, RECORD_BYTES, SQLITE_TRANSIENT);
}

int st_history_functions(sqlite3 *db)
{
    return sqlite3_create_function(db, "mlpd_epoch_record", 4,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY,
                                   NULL, epoch_record_sql, NULL, NULL);
}

/* ---- writing ------------------------------------------------------------ */

static st_status insert_chunk(sqlite3_stmt *st, const char *model_id, const char *job_id,
                              const st_epoch *e, size_t k, unsigned char *buf)
{
    int64_t lo = e[0].epoch, hi = e[0].epoch;
    for (size_t i = 0; i < k; i++) {
        encode(&e[i], buf + i * RECORD_BYTES);
        lo = e[i].epoch < lo ? e[i].epoch : lo;
        hi = e[i].epoch > hi ? e[i].epoch : hi;
    }
    int r = sqlite3_bind_text(st, 1, model_id, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_text(st, 2, job_id, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_int64(st, 3, lo);
    if (r == SQLITE_OK)
        r = sqlite3_bind_int64(st, 4, hi);
    if (r == SQLITE_OK)
        r = sqlite3_bind_int64(st, 5, (sqlite3_int64)k);
    if (r == SQLITE_OK)
        r = sqlite3_bind_blob64(st, 6, buf, (sqlite3_uint64)k * RECORD_BYTES, SQLITE_STATIC);
    if (r != SQLITE_OK) {
        st_done(st);
        return st_map(r);
    }
    return st_exec(st);
}

st_status st_history_write(st_conn *c, const char *model_id, const char *job_id,
                           const st_epoch *epochs, size_t n)
{
    if (n == 0)
        return ST_OK;
    sqlite3_stmt *st;
    st_status rc = st_stmt(c, Q_HISTORY_INSERT, &st);
    if (rc != ST_OK)
        return rc;
    size_t cap = n < CHUNK_MAX ? n : CHUNK_MAX;
    unsigned char *buf = malloc(cap * RECORD_BYTES);
    if (!buf)
        return ST_NOMEM;
    /* a job id that does not exist fails its foreign key: ST_NOT_FOUND */
    for (size_t at = 0; rc == ST_OK && at < n; at += cap)
        rc = insert_chunk(st, model_id, job_id, epochs + at, n - at < cap ? n - at : cap, buf);
    free(buf);
    return rc;
}

st_status storage_history_append(storage *s, const char *model_id, const char *job_id,
                                 const st_epoch *epochs, size_t n)
{
    if (!s || !model_id || !job_id || (n && !epochs))
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    rc = st_begin(c, 1);
    if (rc == ST_OK)
        rc = st_model_samples(c, model_id, NULL);
    if (rc == ST_OK)
        rc = st_history_write(c, model_id, job_id, epochs, n);
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    return rc;
}

/* ---- reading ------------------------------------------------------------ */

/* The records of the chunk in the current row (columns n_col, n_col + 1:
 * the count, then the blob); ST_CORRUPT when they disagree. */
static st_status chunk_of(sqlite3_stmt *st, int n_col, const unsigned char **recs, size_t *k)
{
    sqlite3_int64 n = sqlite3_column_int64(st, n_col);
    const unsigned char *data = sqlite3_column_blob(st, n_col + 1);
    int bytes = sqlite3_column_bytes(st, n_col + 1);
    if (n < 1 || n > CHUNK_MAX || !data || (sqlite3_int64)bytes != n * RECORD_BYTES)
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

/* Step st to its end; ST_OK only when it finished without error. */
static st_status step_status(int r)
{
    if (r == SQLITE_DONE)
        return ST_OK;
    return st_map(r) == ST_OK ? ST_ERROR : st_map(r);
}

static st_status list_history(st_conn *c, const char *model_id, st_history_row **out,
                              size_t *n)
{
    sqlite3_stmt *st;
    st_status rc = st_stmt(c, Q_HISTORY_LIST, &st);
    if (rc != ST_OK)
        return rc;
    st_history_row *hs = NULL;
    size_t count = 0, cap = 0;
    int r = sqlite3_bind_text(st, 1, model_id, -1, SQLITE_STATIC);
    while (rc == ST_OK && r == SQLITE_OK) {
        r = sqlite3_step(st);
        if (r != SQLITE_ROW)
            break;
        r = SQLITE_OK;
        char job_id[sizeof hs->job_id];
        const unsigned char *recs = NULL;
        size_t k = 0;
        rc = st_col_copy(st, 0, job_id, sizeof job_id);
        if (rc == ST_OK)
            rc = chunk_of(st, 1, &recs, &k);
        if (rc == ST_OK)
            rc = reserve((void **)&hs, &cap, count + k, sizeof *hs);
        for (size_t i = 0; rc == ST_OK && i < k; i++, count++) {
            memcpy(hs[count].job_id, job_id, sizeof job_id);
            decode(recs + i * RECORD_BYTES, &hs[count].e);
        }
    }
    st_done(st);
    if (rc == ST_OK)
        rc = step_status(r);
    if (rc != ST_OK) {
        free(hs);
        return rc;
    }
    *out = hs;
    *n = count;
    return ST_OK;
}

st_status storage_history_list(storage *s, const char *model_id,
                               st_history_row **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s || !model_id)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    st_history_row *hs = NULL;
    size_t count = 0;
    rc = st_begin(c, 0);
    if (rc == ST_OK)
        rc = st_model_samples(c, model_id, NULL);
    if (rc == ST_OK)
        rc = list_history(c, model_id, &hs, &count);
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    if (rc != ST_OK) {
        free(hs);
        return rc;
    }
    *out = hs;
    *n = count;
    return ST_OK;
}

/* The epochs above after in the chunks st yields, up to limit. */
static st_status epochs_after(sqlite3_stmt *st, int64_t after, size_t limit, st_epoch **out,
                              size_t *n)
{
    st_epoch *es = NULL;
    size_t count = 0, cap = 0;
    st_status rc = ST_OK;
    int r = SQLITE_OK;
    while (rc == ST_OK && count < limit) {
        r = sqlite3_step(st);
        if (r != SQLITE_ROW)
            break;
        const unsigned char *recs = NULL;
        size_t k = 0;
        rc = chunk_of(st, 0, &recs, &k);
        for (size_t i = 0; rc == ST_OK && i < k && count < limit; i++) {
            st_epoch e;
            decode(recs + i * RECORD_BYTES, &e);
            if (e.epoch <= after)
                continue;
            rc = reserve((void **)&es, &cap, count + 1, sizeof *es);
            if (rc == ST_OK)
                es[count++] = e;
        }
    }
    if (rc == ST_OK && count < limit)
        rc = step_status(r);
    if (rc != ST_OK) {
        free(es);
        return rc;
    }
    *out = es;
    *n = count;
    return ST_OK;
}

st_status storage_job_epochs(storage *s, const char *job_id, int64_t after, size_t limit,
                             st_epoch **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s || !job_id || limit == 0 || limit > INT32_MAX)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st;
    rc = st_stmt(c, Q_HISTORY_JOB_AFTER, &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, job_id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_int64(st, 2, after);
        rc = r == SQLITE_OK ? epochs_after(st, after, limit, out, n) : st_map(r);
        st_done(st);
    }
    st_conn_put(s, c);
    return rc;
}
