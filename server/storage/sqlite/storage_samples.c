/*
 * storage_samples.c - training samples, one row per posted batch.
 *
 * x and y are the batch's rows as packed little-endian doubles; `first` is
 * the index of the batch's first sample, so a page [offset, offset+limit)
 * starts at the batch with the largest first <= offset (an index lookup)
 * and the rows before offset inside it are skipped by count. The model row
 * keeps the total, changed in the same transaction as the batches.
 */
#include "storage/storage_internal.h"

#include <stdlib.h>
#include <string.h>

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

static void from_le(const unsigned char *bytes, size_t count, double *out)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(out, bytes, count * 8);
#else
    for (size_t i = 0; i < count; i++) {
        uint64_t bits = 0;
        for (int b = 0; b < 8; b++)
            bits |= (uint64_t)bytes[i * 8 + (size_t)b] << (8 * b);
        memcpy(&out[i], &bits, 8);
    }
#endif
}

/* rows * width doubles in bytes, or 0 when that overflows. */
static size_t block_bytes(size_t rows, size_t width)
{
    if (width && rows > SIZE_MAX / 8 / width)
        return 0;
    return rows * width * 8;
}

static st_status insert_batch(st_conn *c, const char *id, int64_t first, size_t n,
                              const unsigned char *x, size_t xlen,
                              const unsigned char *y, size_t ylen)
{
    sqlite3_stmt *st;
    st_status s = st_stmt(c, Q_SAMPLES_INSERT, &st);
    if (s != ST_OK)
        return s;
    int rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 2, first);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 3, (int64_t)n);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_blob64(st, 4, x, xlen, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_blob64(st, 5, y, ylen, SQLITE_STATIC);
    if (rc != SQLITE_OK) {
        st_done(st);
        return st_map(rc);
    }
    return st_exec(st);
}

static st_status set_total(st_conn *c, const char *id, int64_t total)
{
    sqlite3_stmt *st;
    st_status s = st_stmt(c, Q_SAMPLES_SET_TOTAL, &st);
    if (s != ST_OK)
        return s;
    int rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 2, total);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_double(st, 3, st_now());
    if (rc != SQLITE_OK) {
        st_done(st);
        return st_map(rc);
    }
    s = st_exec(st);
    if (s == ST_OK && sqlite3_changes(sqlite3_db_handle(st)) == 0)
        s = ST_NOT_FOUND;
    return s;
}

/* The stored result of key: ST_OK with *found set (and added/total filled
 * when the hash matches), ST_CONFLICT for another hash. */
static st_status idem_get(st_conn *c, const char *id, const char *key, const char *hash,
                          int *found, int64_t *added, int64_t *total)
{
    *found = 0;
    sqlite3_stmt *st;
    st_status s = st_stmt(c, Q_IDEM_GET, &st);
    if (s != ST_OK)
        return s;
    int rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *h = sqlite3_column_text(st, 0);
        if (!h) {
            s = sqlite3_column_type(st, 0) == SQLITE_NULL ? ST_CORRUPT : ST_NOMEM;
        } else if (strcmp((const char *)h, hash) != 0) {
            s = ST_CONFLICT;
        } else {
            *found = 1;
            *added = sqlite3_column_int64(st, 1);
            *total = sqlite3_column_int64(st, 2);
        }
    } else if (rc != SQLITE_DONE) {
        s = st_map(rc) == ST_OK ? ST_ERROR : st_map(rc);
    }
    st_done(st);
    return s;
}

/* ST_QUOTA when owner's models would hold more than max samples. */
static st_status check_owner_total(st_conn *c, const char *owner, int64_t max, size_t n)
{
    if (!owner || max <= 0)
        return ST_OK;
    sqlite3_stmt *st;
    st_status s = st_stmt(c, Q_SAMPLES_OWNED, &st);
    if (s != ST_OK)
        return s;
    int r = sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        int64_t have = sqlite3_column_int64(st, 0);
        s = have < 0 || (uint64_t)have + n > (uint64_t)max ? ST_QUOTA : ST_OK;
    } else {
        s = st_map(r) == ST_OK ? ST_ERROR : st_map(r);
    }
    st_done(st);
    return s;
}

/* Forget the model's keys older than a day, then keep this one. */
static st_status idem_put(st_conn *c, const char *id, const char *key, const char *hash,
                          int64_t added, int64_t total)
{
    sqlite3_stmt *st;
    double now = st_now();
    st_status s = st_stmt(c, Q_IDEM_EXPIRE, &st);
    if (s == ST_OK) {
        int rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_double(st, 2, now - IDEMPOTENCY_KEEP_SECONDS);
        s = rc == SQLITE_OK ? st_exec(st) : st_map(rc);
        st_done(st);
    }
    if (s == ST_OK)
        s = st_stmt(c, Q_IDEM_PUT, &st);
    if (s != ST_OK)
        return s;
    int rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 4, added);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 5, total);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_double(st, 6, now);
    if (rc != SQLITE_OK) {
        st_done(st);
        return st_map(rc);
    }
    return st_exec(st);
}

st_status storage_samples_add(storage *s, const st_samples_new *req, st_samples_added *out)
{
    if (!req)
        return ST_ERROR;
    const char *id = req->id, *owner = req->owner, *key = req->key, *hash = req->hash;
    size_t n = req->n, n_in = req->n_in, n_out = req->n_out;
    const double *x = req->x, *y = req->y;
    int64_t max_total = req->max_total, max_owner_total = req->max_owner_total;
    if (!s || !id || !n_in || !n_out || (n && (!x || !y)) || (key && !hash) ||
        (key && (!key[0] || strlen(key) > 255 || strlen(hash) > 255)))
        return ST_ERROR;
    size_t xlen = block_bytes(n, n_in), ylen = block_bytes(n, n_out);
    if (n && (!xlen || !ylen || n > INT64_MAX / 2))
        return ST_LIMIT;
    const unsigned char *xb = NULL, *yb = NULL;
    unsigned char *xown = NULL, *yown = NULL;
    st_status rc = ST_OK;
    if (n) {
        rc = st_to_le(x, n * n_in, &xb, &xown);
        if (rc == ST_OK)
            rc = st_to_le(y, n * n_out, &yb, &yown);
    }
    st_conn *c = NULL;
    if (rc == ST_OK)
        rc = st_conn_get(s, &c);
    if (rc != ST_OK) {
        free(xown);
        free(yown);
        return rc;
    }
    int64_t have = 0, done_added = 0, done_total = 0;
    int found = 0;
    rc = st_begin(c, 1);
    if (rc == ST_OK)
        rc = st_model_samples(c, id, &have);
    if (rc == ST_OK && key)
        rc = idem_get(c, id, key, hash, &found, &done_added, &done_total);
    if (rc == ST_OK && n && !found) {
        if ((uint64_t)have + n > (uint64_t)INT64_MAX ||
            (max_total > 0 && have + (int64_t)n > max_total))
            rc = ST_LIMIT;
        if (rc == ST_OK)
            rc = check_owner_total(c, owner, max_owner_total, n);
        if (rc == ST_OK)
            rc = insert_batch(c, id, have, n, xb, xlen, yb, ylen);
        if (rc == ST_OK)
            rc = set_total(c, id, have + (int64_t)n);
    }
    if (rc == ST_OK && key && !found) {
        done_added = (int64_t)n;
        done_total = have + (int64_t)n;
        rc = idem_put(c, id, key, hash, done_added, done_total);
    }
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    free(xown);
    free(yown);
    if (rc != ST_OK)
        return rc;
    if (!found) {
        done_added = (int64_t)n;
        done_total = have + (int64_t)n;
    }
    if (out) {
        out->added = done_added;
        out->total = done_total;
        out->replayed = found;
    }
    return ST_OK;
}

/* Copy rows [skip, skip+take) of one batch row into x and y at row `at`;
 * the blobs must hold exactly bn rows. */
static st_status copy_batch(sqlite3_stmt *st, int64_t bn, size_t skip, size_t take,
                            size_t n_in, size_t n_out, double *x, double *y, size_t at)
{
    const unsigned char *xb = sqlite3_column_blob(st, 2);
    size_t xlen = (size_t)sqlite3_column_bytes(st, 2);
    const unsigned char *yb = sqlite3_column_blob(st, 3);
    size_t ylen = (size_t)sqlite3_column_bytes(st, 3);
    if (!xb || !yb)
        return sqlite3_errcode(sqlite3_db_handle(st)) == SQLITE_NOMEM ? ST_NOMEM : ST_CORRUPT;
    if (xlen != block_bytes((size_t)bn, n_in) || ylen != block_bytes((size_t)bn, n_out))
        return ST_CORRUPT; /* not the model's shape, or a damaged row */
    from_le(xb + skip * n_in * 8, take * n_in, x + at * n_in);
    from_le(yb + skip * n_out * 8, take * n_out, y + at * n_out);
    return ST_OK;
}

/* Read `want` samples from `offset` on into x and y (inside a read
 * transaction, so the batches agree with the model's count). */
static st_status read_rows(st_conn *c, const char *id, size_t offset, size_t want,
                           size_t n_in, size_t n_out, double *x, double *y)
{
    sqlite3_stmt *st;
    st_status rc = st_stmt(c, Q_SAMPLES_PAGE, &st);
    if (rc != ST_OK)
        return rc;
    int r = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_int64(st, 2, (int64_t)offset);
    size_t got = 0;
    int64_t expect_first = -1; /* batches must follow each other */
    while (r == SQLITE_OK && got < want) {
        r = sqlite3_step(st);
        if (r != SQLITE_ROW)
            break;
        r = SQLITE_OK;
        int64_t first = sqlite3_column_int64(st, 0), bn = sqlite3_column_int64(st, 1);
        size_t pos = offset + got;
        if (bn <= 0 || first < 0 || (uint64_t)first > pos || (uint64_t)(first + bn) <= pos ||
            (expect_first >= 0 && first != expect_first)) {
            rc = ST_CORRUPT;
            break;
        }
        size_t skip = pos - (size_t)first, take = (size_t)bn - skip;
        if (take > want - got)
            take = want - got;
        rc = copy_batch(st, bn, skip, take, n_in, n_out, x, y, got);
        if (rc != ST_OK)
            break;
        got += take;
        expect_first = first + bn;
    }
    st_done(st);
    if (rc == ST_OK && r != SQLITE_OK && r != SQLITE_DONE)
        rc = st_map(r) == ST_OK ? ST_ERROR : st_map(r);
    if (rc == ST_OK && got != want)
        rc = ST_CORRUPT; /* fewer rows than the model's count */
    return rc;
}

st_status storage_samples_read(storage *s, const char *id, size_t offset, size_t limit,
                               size_t n_in, size_t n_out, double **x, double **y,
                               size_t *n)
{
    *x = NULL;
    *y = NULL;
    *n = 0;
    if (!s || !id || !n_in || !n_out)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    int64_t have = 0;
    size_t want = 0;
    double *xs = NULL, *ys = NULL;
    rc = st_begin(c, 0);
    if (rc == ST_OK)
        rc = st_model_samples(c, id, &have);
    if (rc == ST_OK && have > 0 && offset < (uint64_t)have) {
        want = (size_t)have - offset;
        if (limit && limit < want)
            want = limit;
        size_t xlen = block_bytes(want, n_in), ylen = block_bytes(want, n_out);
        if (!xlen || !ylen || !(xs = malloc(xlen)) || !(ys = malloc(ylen)))
            rc = ST_NOMEM;
        if (rc == ST_OK)
            rc = read_rows(c, id, offset, want, n_in, n_out, xs, ys);
    }
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    if (rc != ST_OK) {
        free(xs);
        free(ys);
        return rc;
    }
    *x = xs;
    *y = ys;
    *n = want;
    return ST_OK;
}

st_status storage_samples_clear(storage *s, const char *id)
{
    if (!s || !id)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = st_begin(c, 1);
    if (rc == ST_OK)
        rc = set_total(c, id, 0);
    if (rc == ST_OK)
        rc = st_stmt(c, Q_SAMPLES_DELETE, &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        rc = r == SQLITE_OK ? st_exec(st) : st_map(r);
        st_done(st);
    }
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    return rc;
}
