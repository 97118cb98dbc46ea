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

static st_status set_total(st_conn *c, const char *id, int64_t total)
{
    st_val p[] = {st_text(id), st_int(total), st_real(st_now())};
    return st_exec_found(c, Q_SAMPLES_SET_TOTAL, p, ST_NPARAMS(p));
}

/* What a key found: the first call's result when the hash matches. */
typedef struct idem_found {
    const char *hash;
    int found;
    int64_t added, total;
} idem_found;

static st_status idem_cb(st_row *r, void *arg)
{
    idem_found *f = arg;
    const char *h = st_col_text(r, 0, NULL);
    if (!h)
        return st_col_is_null(r, 0) ? ST_CORRUPT : ST_NOMEM;
    if (strcmp(h, f->hash) != 0)
        return ST_CONFLICT;
    f->found = 1;
    f->added = st_col_int(r, 1);
    f->total = st_col_int(r, 2);
    return ST_OK;
}

/* Forget the model's keys older than a day, then keep this one. */
static st_status idem_put(st_conn *c, const char *id, const char *key, const char *hash,
                          int64_t added, int64_t total)
{
    double now = st_now();
    st_val e[] = {st_text(id), st_real(now - IDEMPOTENCY_KEEP_SECONDS)};
    st_status s = st_exec(c, Q_IDEM_EXPIRE, e, ST_NPARAMS(e), NULL);
    st_val p[] = {st_text(id), st_text(key), st_text(hash), st_int(added), st_int(total),
                  st_real(now)};
    if (s == ST_OK)
        s = st_exec(c, Q_IDEM_PUT, p, ST_NPARAMS(p), NULL);
    return s;
}

typedef struct add_args {
    const st_samples_new *req;
    const unsigned char *xb, *yb;
    size_t xlen, ylen;
    int64_t have;
    idem_found idem;
} add_args;

/* ST_QUOTA when owner's models would hold more than max samples. */
static st_status check_owner_total(st_conn *c, const char *owner, int64_t max, size_t n)
{
    if (!owner || max <= 0)
        return ST_OK;
    int64_t have = 0;
    st_val p[] = {st_text(owner)};
    st_status s = st_query_int(c, Q_SAMPLES_OWNED, p, ST_NPARAMS(p), &have);
    if (s == ST_OK && (have < 0 || (uint64_t)have + n > (uint64_t)max))
        s = ST_QUOTA;
    return s;
}

static st_status add_body(st_conn *c, void *arg)
{
    add_args *a = arg;
    const st_samples_new *q = a->req;
    size_t n = q->n;
    a->have = 0;
    a->idem = (idem_found){.hash = q->hash};
    st_status rc = st_model_samples(c, q->id, &a->have);
    if (rc == ST_OK && q->key) {
        st_val p[] = {st_text(q->id), st_text(q->key)};
        rc = st_query_one(c, Q_IDEM_GET, p, ST_NPARAMS(p), idem_cb, &a->idem);
        if (rc == ST_NOT_FOUND)
            rc = ST_OK;
    }
    int64_t have = a->have;
    if (rc == ST_OK && n && !a->idem.found) {
        if ((uint64_t)have + n > (uint64_t)INT64_MAX ||
            (q->max_total > 0 && have + (int64_t)n > q->max_total))
            rc = ST_LIMIT;
        if (rc == ST_OK)
            rc = check_owner_total(c, q->owner, q->max_owner_total, n);
        st_val p[] = {st_text(q->id), st_int(have), st_int((int64_t)n),
                      st_blob(a->xb, a->xlen), st_blob(a->yb, a->ylen)};
        if (rc == ST_OK)
            rc = st_exec(c, Q_SAMPLES_INSERT, p, ST_NPARAMS(p), NULL);
        if (rc == ST_OK)
            rc = set_total(c, q->id, have + (int64_t)n);
    }
    if (rc == ST_OK && q->key && !a->idem.found)
        rc = idem_put(c, q->id, q->key, q->hash, (int64_t)n, have + (int64_t)n);
    return rc;
}

st_status storage_samples_add(storage *s, const st_samples_new *req, st_samples_added *out)
{
    if (!req)
        return ST_ERROR;
    const char *key = req->key, *hash = req->hash;
    size_t n = req->n;
    if (!s || !req->id || !req->n_in || !req->n_out || (n && (!req->x || !req->y)) ||
        (key && !hash) || (key && (!key[0] || strlen(key) > 255 || strlen(hash) > 255)))
        return ST_ERROR;
    add_args a = {.req = req};
    a.xlen = block_bytes(n, req->n_in);
    a.ylen = block_bytes(n, req->n_out);
    if (n && (!a.xlen || !a.ylen || n > INT64_MAX / 2))
        return ST_LIMIT;
    unsigned char *xown = NULL, *yown = NULL;
    st_status rc = ST_OK;
    if (n) {
        rc = st_to_le(req->x, n * req->n_in, &a.xb, &xown);
        if (rc == ST_OK)
            rc = st_to_le(req->y, n * req->n_out, &a.yb, &yown);
    }
    if (rc == ST_OK)
        rc = st_tx(s, ST_WRITE, add_body, &a);
    free(xown);
    free(yown);
    if (rc != ST_OK)
        return rc;
    if (out) {
        int found = a.idem.found;
        out->added = found ? a.idem.added : (int64_t)n;
        out->total = found ? a.idem.total : a.have + (int64_t)n;
        out->replayed = found;
    }
    return ST_OK;
}

/* ---- reading ------------------------------------------------------------ */

typedef struct page {
    size_t offset, want, n_in, n_out;
    double *x, *y;
    size_t got;
    int64_t expect_first; /* batches must follow each other */
} page;

/* Copy rows [skip, skip+take) of one batch row into the page; the blobs
 * must hold exactly bn rows. */
static st_status copy_batch(const st_row *r, page *pg, int64_t bn, size_t skip, size_t take)
{
    size_t xlen = 0, ylen = 0;
    const unsigned char *xb = st_col_blob(r, 2, &xlen);
    const unsigned char *yb = st_col_blob(r, 3, &ylen);
    if (!xb || !yb)
        return (!xb && xlen) || (!yb && ylen) ? ST_NOMEM : ST_CORRUPT;
    if (xlen != block_bytes((size_t)bn, pg->n_in) || ylen != block_bytes((size_t)bn, pg->n_out))
        return ST_CORRUPT; /* not the model's shape, or a damaged row */
    from_le(xb + skip * pg->n_in * 8, take * pg->n_in, pg->x + pg->got * pg->n_in);
    from_le(yb + skip * pg->n_out * 8, take * pg->n_out, pg->y + pg->got * pg->n_out);
    return ST_OK;
}

static st_status page_cb(st_row *r, void *arg)
{
    page *pg = arg;
    int64_t first = st_col_int(r, 0), bn = st_col_int(r, 1);
    size_t pos = pg->offset + pg->got;
    if (bn <= 0 || first < 0 || (uint64_t)first > pos || (uint64_t)(first + bn) <= pos ||
        (pg->expect_first >= 0 && first != pg->expect_first))
        return ST_CORRUPT;
    size_t skip = pos - (size_t)first, take = (size_t)bn - skip;
    if (take > pg->want - pg->got)
        take = pg->want - pg->got;
    st_status rc = copy_batch(r, pg, bn, skip, take);
    if (rc != ST_OK)
        return rc;
    pg->got += take;
    pg->expect_first = first + bn;
    if (pg->got >= pg->want)
        st_row_stop(r);
    return ST_OK;
}

typedef struct read_args {
    const char *id;
    size_t offset, limit, n_in, n_out;
    double *x, *y;
    size_t n;
} read_args;

static st_status read_body(st_conn *c, void *arg)
{
    read_args *a = arg;
    free(a->x);
    free(a->y);
    a->x = a->y = NULL;
    a->n = 0;
    int64_t have = 0;
    st_status rc = st_model_samples(c, a->id, &have);
    if (rc != ST_OK || have <= 0 || a->offset >= (uint64_t)have)
        return rc;
    size_t want = (size_t)have - a->offset;
    if (a->limit && a->limit < want)
        want = a->limit;
    size_t xlen = block_bytes(want, a->n_in), ylen = block_bytes(want, a->n_out);
    if (!xlen || !ylen || !(a->x = malloc(xlen)) || !(a->y = malloc(ylen)))
        return ST_NOMEM;
    a->n = want;
    page pg = {.offset = a->offset, .want = want, .n_in = a->n_in, .n_out = a->n_out,
               .x = a->x, .y = a->y, .expect_first = -1};
    st_val p[] = {st_text(a->id), st_int((int64_t)a->offset)};
    rc = st_run(c, Q_SAMPLES_PAGE, p, ST_NPARAMS(p), page_cb, &pg, NULL);
    if (rc == ST_OK && pg.got != want)
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
    read_args a = {.id = id, .offset = offset, .limit = limit, .n_in = n_in, .n_out = n_out};
    st_status rc = st_tx(s, ST_READ, read_body, &a);
    if (rc != ST_OK) {
        free(a.x);
        free(a.y);
        return rc;
    }
    *x = a.x;
    *y = a.y;
    *n = a.n;
    return ST_OK;
}

static st_status clear_body(st_conn *c, void *arg)
{
    const char *id = arg;
    st_val p[] = {st_text(id)};
    st_status rc = set_total(c, id, 0);
    if (rc == ST_OK)
        rc = st_exec(c, Q_SAMPLES_DELETE, p, ST_NPARAMS(p), NULL);
    return rc;
}

st_status storage_samples_clear(storage *s, const char *id)
{
    if (!s || !id)
        return ST_ERROR;
    return st_tx(s, ST_WRITE, clear_body, (void *)id);
}
