/*
 * storage_datasets.c - datasets, their copies into models and their
 * scores (see storage/datasets.h; tables of schema/<backend>/0008_datasets.sql),
 * on the statement ids of every backend (storage/statements.h).
 *
 * The rows are blobs of packed little-endian doubles, as samples are; a
 * copy into a model is one INSERT ... SELECT of the training blobs, so the
 * rows never leave the database.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "storage/datasets.h"
#include "storage/storage_internal.h"

void st_dataset_clear(st_dataset *d)
{
    if (!d)
        return;
    free(d->name);
    free(d->classes);
    free(d->public_json);
    free(d->owner_json);
    d->name = d->classes = d->public_json = d->owner_json = NULL;
}

void st_datasets_free(st_dataset *ds, size_t n)
{
    for (size_t i = 0; ds && i < n; i++)
        st_dataset_clear(&ds[i]);
    free(ds);
}

/* A row of the dataset columns (statements.h's Q_DATASET_GET/LIST order)
 * into d; on failure d holds nothing. */
static st_status read_dataset(const st_row *r, st_dataset *d)
{
    memset(d, 0, sizeof *d);
    st_status rc = st_col_copy(r, 0, d->id, sizeof d->id);
    if (rc == ST_OK)
        rc = st_col_copy(r, 1, d->owner, sizeof d->owner);
    if (rc == ST_OK)
        rc = st_col_copy_or_empty(r, 2, d->owner_name, sizeof d->owner_name);
    if (rc == ST_OK)
        rc = st_col_strdup(r, 3, &d->name);
    const char *vis = st_col_text(r, 4, NULL);
    d->class_visible = vis && strcmp(vis, "class") == 0;
    d->inputs = st_col_int(r, 5);
    d->outputs = st_col_int(r, 6);
    if (rc == ST_OK)
        rc = st_col_strdup(r, 7, &d->classes);
    d->test_fraction = st_col_real(r, 8);
    d->seed = st_col_int(r, 9);
    d->n_rows = st_col_int(r, 10);
    d->n_train = st_col_int(r, 11);
    d->n_test = st_col_int(r, 12);
    if (rc == ST_OK)
        rc = st_col_strdup(r, 13, &d->public_json);
    d->created_at = st_col_real(r, 14);
    if (rc == ST_OK && (!d->name || !d->public_json))
        rc = ST_CORRUPT;
    if (rc != ST_OK)
        st_dataset_clear(d);
    return rc;
}

/* ST_QUOTA when owner's models and datasets would hold more than max
 * rows with n more (the shared statement counts both). */
static st_status owner_room(st_conn *c, const char *owner, int64_t max, int64_t n)
{
    if (!owner || max <= 0)
        return ST_OK;
    int64_t have = 0;
    st_val p[] = {st_text(owner)};
    st_status rc = st_query_int(c, Q_SAMPLES_OWNED, p, ST_NPARAMS(p), &have);
    if (rc == ST_OK && (have < 0 || have > max - n))
        rc = ST_QUOTA;
    return rc;
}

typedef struct create_args {
    const st_dataset *d;
    const st_dataset_rows *rows;
    int64_t max_owner_total;
    const unsigned char *bytes[6];
    size_t len[6];
} create_args;

static st_status create_body(st_conn *c, void *arg)
{
    const create_args *a = arg;
    const st_dataset *d = a->d;
    st_status rc = owner_room(c, d->owner, a->max_owner_total, d->n_rows);
    st_val p[21] = {st_text(d->id), st_text(d->owner), st_text(d->name),
                    st_text(d->class_visible ? "class" : "private"), st_int(d->inputs),
                    st_int(d->outputs), st_text(d->classes), st_real(d->test_fraction),
                    st_int(d->seed), st_int(d->n_rows), st_int(d->n_train), st_int(d->n_test),
                    st_text(d->public_json), st_text(d->owner_json)};
    for (int i = 0; i < 6; i++)
        p[14 + i] = a->bytes[i] ? st_blob(a->bytes[i], a->len[i]) : st_null();
    p[20] = st_real(st_now());
    if (rc == ST_OK)
        rc = st_exec(c, Q_DATASET_INSERT, p, ST_NPARAMS(p), NULL);
    return rc;
}

st_status storage_dataset_create(storage *s, const st_dataset *d, const st_dataset_rows *r,
                                 int64_t max_owner_total)
{
    if (!s || !d || !r || !d->id[0] || !d->owner[0] || !d->name || !d->public_json ||
        !d->owner_json || !r->x_train || !r->y_train || !r->x_test || !r->y_test ||
        d->n_train < 1 || d->n_test < 0 || d->inputs < 1 || d->outputs < 1)
        return ST_ERROR;
    size_t tr = (size_t)d->n_train, te = (size_t)d->n_test;
    size_t ni = (size_t)d->inputs, no = (size_t)d->outputs;
    const struct {
        const double *v;
        size_t count;
    } blobs[6] = {{r->x_train, tr * ni}, {r->y_train, tr * no}, {r->y1_train, tr},
                  {r->x_test, te * ni},  {r->y_test, te * no},  {r->y1_test, te}};
    create_args a = {.d = d, .rows = r, .max_owner_total = max_owner_total};
    unsigned char *owned[6] = {0};
    st_status rc = ST_OK;
    for (int i = 0; rc == ST_OK && i < 6; i++) {
        if (!blobs[i].v)
            continue; /* NULL: SQL NULL (y1 of a dataset without two classes) */
        rc = st_to_le(blobs[i].v, blobs[i].count, &a.bytes[i], &owned[i]);
        if (!a.bytes[i])
            a.bytes[i] = (const unsigned char *)""; /* no rows: an empty blob, not NULL */
        a.len[i] = blobs[i].count * 8;
    }
    if (rc == ST_OK)
        rc = st_tx(s, ST_WRITE, create_body, &a);
    for (int i = 0; i < 6; i++)
        free(owned[i]);
    return rc;
}

static st_status get_cb(st_row *r, void *arg)
{
    st_dataset *out = arg;
    st_status rc = read_dataset(r, out);
    if (rc == ST_OK && (rc = st_col_strdup(r, 15, &out->owner_json)) == ST_OK &&
        !out->owner_json)
        rc = ST_CORRUPT;
    if (rc != ST_OK)
        st_dataset_clear(out);
    return rc;
}

st_status storage_dataset_get(storage *s, const char *id, st_dataset *out)
{
    memset(out, 0, sizeof *out);
    if (!s || !id)
        return ST_ERROR;
    st_val p[] = {st_text(id)};
    return st_get(s, Q_DATASET_GET, p, ST_NPARAMS(p), get_cb, out);
}

static st_status list_read(const st_row *r, void *elem)
{
    return read_dataset(r, elem);
}

static void list_clear(void *elem)
{
    st_dataset_clear(elem);
}

st_status storage_dataset_list(storage *s, const char *viewer, st_dataset **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s)
        return ST_ERROR;
    static const st_list_of of = {sizeof(st_dataset), list_read, list_clear};
    st_val p[] = {st_text(viewer)};
    return st_get_list(s, Q_DATASET_LIST, p, ST_NPARAMS(p), &of, (void **)out, n);
}

st_status storage_dataset_set_visibility(storage *s, const char *id, int class_visible)
{
    if (!s || !id)
        return ST_ERROR;
    st_val p[] = {st_text(id), st_int(class_visible ? 1 : 0)};
    return st_write1(s, Q_DATASET_SET_VISIBILITY, p, ST_NPARAMS(p), 1);
}

st_status storage_dataset_delete(storage *s, const char *id)
{
    if (!s || !id)
        return ST_ERROR;
    st_val p[] = {st_text(id)};
    return st_write1(s, Q_DATASET_DELETE, p, ST_NPARAMS(p), 1);
}

/* count doubles from a little-endian blob of exactly count * 8 bytes. */
static st_status blob_doubles(const st_row *r, int col, size_t count, double **out)
{
    size_t len = 0;
    const unsigned char *b = st_col_blob(r, col, &len);
    if (len != count * 8 || (count && !b))
        return ST_CORRUPT;
    if (!(*out = malloc(count * 8 + 1)))
        return ST_NOMEM;
    for (size_t i = 0; i < count; i++) {
        uint64_t bits = 0;
        for (int k = 0; k < 8; k++)
            bits |= (uint64_t)b[i * 8 + (size_t)k] << (8 * k);
        memcpy(&(*out)[i], &bits, 8);
    }
    return ST_OK;
}

typedef struct read_args {
    int one_column;
    size_t n_in, n_out;
    double *x, *y;
    size_t n;
} read_args;

static st_status read_cb(st_row *r, void *arg)
{
    read_args *a = arg;
    int64_t rows = st_col_int(r, 0);
    if (rows < 0 || (uint64_t)st_col_int(r, 1) != a->n_in ||
        (!a->one_column && (uint64_t)st_col_int(r, 2) != a->n_out))
        return ST_ERROR;
    st_status rc = blob_doubles(r, 3, (size_t)rows * a->n_in, &a->x);
    if (rc == ST_OK)
        rc = blob_doubles(r, a->one_column ? 5 : 4, (size_t)rows * a->n_out, &a->y);
    if (rc == ST_OK)
        a->n = (size_t)rows;
    return rc;
}

st_status storage_dataset_read(storage *s, const char *id, int test, int one_column,
                               size_t n_in, size_t n_out, double **x, double **y, size_t *n)
{
    *x = *y = NULL;
    *n = 0;
    if (!s || !id || (one_column && n_out != 1))
        return ST_ERROR;
    read_args a = {.one_column = one_column, .n_in = n_in, .n_out = n_out};
    st_val p[] = {st_text(id)};
    st_status rc = st_get(s, test ? Q_DATASET_READ_TEST : Q_DATASET_READ_TRAIN, p,
                          ST_NPARAMS(p), read_cb, &a);
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

typedef struct copy_args {
    const char *dataset_id, *model_id, *owner;
    int one_column;
    int64_t max_owner_total, max_total;
    int64_t have, n; /* set by the body */
} copy_args;

static st_status copy_body(st_conn *c, void *arg)
{
    copy_args *a = arg;
    a->have = a->n = 0;
    st_status rc = st_model_samples(c, a->model_id, &a->have);
    st_val d[] = {st_text(a->dataset_id)};
    if (rc == ST_OK)
        rc = st_query_int(c, Q_DATASET_TRAIN_ROWS, d, ST_NPARAMS(d), &a->n);
    if (rc == ST_OK && a->max_total > 0 && a->have > a->max_total - a->n)
        rc = ST_LIMIT;
    if (rc == ST_OK)
        rc = owner_room(c, a->owner, a->max_owner_total, a->n);
    st_val p[] = {st_text(a->model_id), st_int(a->have), st_text(a->dataset_id),
                  st_int(a->one_column != 0)};
    int64_t changed = 0;
    if (rc == ST_OK)
        rc = st_exec(c, Q_DATASET_COPY, p, ST_NPARAMS(p), &changed);
    if (rc == ST_OK && changed != 1)
        rc = ST_ERROR;
    st_val t[] = {st_text(a->model_id), st_int(a->have + a->n), st_real(st_now())};
    if (rc == ST_OK)
        rc = st_exec(c, Q_SAMPLES_SET_TOTAL, t, ST_NPARAMS(t), NULL);
    return rc;
}

st_status storage_dataset_copy(storage *s, const char *dataset_id, int one_column,
                               const char *model_id, const char *owner,
                               int64_t max_owner_total, int64_t max_total, int64_t *added,
                               int64_t *total)
{
    if (!s || !dataset_id || !model_id)
        return ST_ERROR;
    copy_args a = {.dataset_id = dataset_id, .model_id = model_id, .owner = owner,
                   .one_column = one_column, .max_owner_total = max_owner_total,
                   .max_total = max_total};
    st_status rc = st_tx(s, ST_WRITE, copy_body, &a);
    if (rc == ST_OK) {
        *added = a.n;
        *total = a.have + a.n;
    }
    return rc;
}

static st_status read_score(const st_row *r, st_score *o)
{
    memset(o, 0, sizeof *o);
    st_status rc = st_col_copy(r, 0, o->user_id, sizeof o->user_id);
    if (rc == ST_OK)
        rc = st_col_copy_or_empty(r, 1, o->name, sizeof o->name);
    if (rc == ST_OK)
        rc = st_col_copy(r, 2, o->metric, sizeof o->metric);
    o->score = st_col_real(r, 3);
    o->loss = st_col_real_or_nan(r, 4);
    if (rc == ST_OK)
        rc = st_col_copy(r, 5, o->model_id, sizeof o->model_id);
    o->version = st_col_int(r, 6);
    o->evaluations = st_col_int(r, 7);
    o->best_at = st_col_real(r, 8);
    o->last_at = st_col_real(r, 9);
    return rc;
}

static st_status score_cb(st_row *r, void *arg)
{
    return read_score(r, arg);
}

typedef struct score_args {
    const char *dataset_id, *user_id, *metric, *model_id;
    double score, loss;
    int64_t version;
    st_score *best;
} score_args;

static st_status score_body(st_conn *c, void *arg)
{
    const score_args *a = arg;
    st_val p[] = {st_text(a->dataset_id), st_text(a->user_id), st_text(a->metric),
                  st_real(a->score),      st_real_or_null(a->loss), st_text(a->model_id),
                  st_int(a->version),     st_real(st_now())};
    st_status rc = st_exec(c, Q_SCORE_UPSERT, p, ST_NPARAMS(p), NULL);
    st_val q[] = {st_text(a->dataset_id), st_text(a->user_id)};
    if (rc == ST_OK && a->best)
        rc = st_query_one(c, Q_SCORE_GET, q, ST_NPARAMS(q), score_cb, a->best);
    return rc;
}

st_status storage_score_record(storage *s, const char *dataset_id, const char *user_id,
                               const char *metric, double score, double loss,
                               const char *model_id, int64_t version, st_score *best)
{
    if (!s || !dataset_id || !user_id || !metric || !model_id || !isfinite(score))
        return ST_ERROR;
    score_args a = {dataset_id, user_id, metric, model_id, score, loss, version, best};
    return st_tx(s, ST_WRITE, score_body, &a);
}

static st_status score_read(const st_row *r, void *elem)
{
    return read_score(r, elem);
}

st_status storage_scores_list(storage *s, const char *dataset_id, st_score **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s || !dataset_id)
        return ST_ERROR;
    static const st_list_of of = {sizeof(st_score), score_read, NULL};
    st_val p[] = {st_text(dataset_id)};
    return st_get_list(s, Q_SCORE_LIST, p, ST_NPARAMS(p), &of, (void **)out, n);
}
