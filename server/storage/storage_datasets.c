/*
 * storage_datasets.c - datasets, their copies into models and their
 * scores (see storage/datasets.h; tables of schema/sqlite/0008_datasets.sql).
 *
 * The rows are blobs of packed little-endian doubles, as samples are; a
 * copy into a model is one INSERT ... SELECT of the training blobs
 * (Q_DATASET_COPY), so the rows never leave the database.
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

/* A row of DATASET_COLUMNS into d; on failure d holds nothing. */
static st_status read_dataset(const st_row *r, void *elem)
{
    st_dataset *d = elem;
    memset(d, 0, sizeof *d);
    st_status rc = st_col_copy(r, 0, d->id, sizeof d->id);
    if (rc == ST_OK)
        rc = st_col_copy(r, 1, d->owner, sizeof d->owner);
    if (rc == ST_OK)
        rc = st_col_copy(r, 2, d->owner_name, sizeof d->owner_name);
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

static void clear_dataset(void *elem)
{
    st_dataset_clear(elem);
}

static const st_list_of dataset_list = {sizeof(st_dataset), read_dataset, clear_dataset};

typedef struct create_args {
    const st_dataset *d;
    const st_dataset_rows *r;
    int64_t max_owner_total;
} create_args;

static st_status create_body(st_conn *c, void *arg)
{
    const create_args *a = arg;
    const st_dataset *d = a->d;
    const st_dataset_rows *rw = a->r;
    size_t tr = (size_t)d->n_train, te = (size_t)d->n_test;
    size_t ni = (size_t)d->inputs, no = (size_t)d->outputs;
    const struct {
        const double *v;
        size_t count;
    } blobs[6] = {{rw->x_train, tr * ni}, {rw->y_train, tr * no}, {rw->y1_train, tr},
                  {rw->x_test, te * ni},  {rw->y_test, te * no},  {rw->y1_test, te}};
    st_val p[21] = {st_text(d->id), st_text(d->owner), st_text(d->name),
                    st_text(d->class_visible ? "class" : "private"), st_int(d->inputs),
                    st_int(d->outputs), st_text(d->classes), st_real(d->test_fraction),
                    st_int(d->seed), st_int(d->n_rows), st_int(d->n_train), st_int(d->n_test),
                    st_text(d->public_json), st_text(d->owner_json)};
    unsigned char *owned[6] = {NULL};
    st_status rc = st_owner_room(c, d->owner, a->max_owner_total, (uint64_t)d->n_rows);
    /* each array as a little-endian blob (NULL: SQL NULL; empty: an empty blob) */
    for (int i = 0; rc == ST_OK && i < 6; i++) {
        const unsigned char *bytes = NULL;
        p[14 + i] = st_null();
        if (blobs[i].v && (rc = st_to_le(blobs[i].v, blobs[i].count, &bytes, &owned[i])) == ST_OK)
            p[14 + i] = st_blob(blobs[i].count ? (const void *)bytes : "", blobs[i].count * 8);
    }
    p[20] = st_real(st_now());
    if (rc == ST_OK)
        rc = st_exec(c, Q_DATASET_INSERT, p, ST_NPARAMS(p), NULL);
    for (int i = 0; i < 6; i++)
        free(owned[i]);
    return rc;
}

st_status storage_dataset_create(storage *s, const st_dataset *d, const st_dataset_rows *r,
                                 int64_t max_owner_total)
{
    if (!s || !d || !r || !d->id[0] || !d->owner[0] || !d->name || !d->public_json ||
        !d->owner_json || !r->x_train || !r->y_train || !r->x_test || !r->y_test ||
        d->n_train < 1 || d->n_test < 0 || d->inputs < 1 || d->outputs < 1)
        return ST_ERROR;
    create_args a = {d, r, max_owner_total};
    return st_tx(s, ST_WRITE, create_body, &a);
}

static st_status dataset_full_cb(st_row *r, void *arg)
{
    st_dataset *d = arg;
    st_status rc = read_dataset(r, d);
    if (rc == ST_OK && (rc = st_col_strdup(r, 15, &d->owner_json)) == ST_OK && !d->owner_json)
        rc = ST_CORRUPT;
    if (rc != ST_OK)
        st_dataset_clear(d);
    return rc;
}

st_status storage_dataset_get(storage *s, const char *id, st_dataset *out)
{
    memset(out, 0, sizeof *out);
    if (!s || !id)
        return ST_ERROR;
    st_val p[] = {st_text(id)};
    return st_get(s, Q_DATASET_GET, p, ST_NPARAMS(p), dataset_full_cb, out);
}

st_status storage_dataset_list(storage *s, const char *viewer, st_dataset **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s)
        return ST_ERROR;
    st_val p[] = {st_text(viewer)};
    return st_get_list(s, Q_DATASET_LIST, p, ST_NPARAMS(p), &dataset_list, (void **)out, n);
}

st_status storage_dataset_set_visibility(storage *s, const char *id, int class_visible)
{
    if (!s || !id)
        return ST_ERROR;
    st_val p[] = {st_text(id), st_int(class_visible)};
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
    int64_t have, n;
} copy_args;

static st_status int_cb(st_row *r, void *arg)
{
    *(int64_t *)arg = st_col_int(r, 0);
    return ST_OK;
}

static st_status copy_body(st_conn *c, void *arg)
{
    copy_args *a = arg;
    a->have = a->n = 0;
    st_val d[] = {st_text(a->dataset_id)};
    st_status rc = st_model_samples(c, a->model_id, &a->have);
    if (rc == ST_OK) /* the dataset's training rows (ST_NOT_FOUND when gone) */
        rc = st_query_one(c, Q_DATASET_TRAIN_ROWS, d, ST_NPARAMS(d), int_cb, &a->n);
    if (rc == ST_OK && a->max_total > 0 && a->have > a->max_total - a->n)
        rc = ST_LIMIT;
    if (rc == ST_OK)
        rc = st_owner_room(c, a->owner, a->max_owner_total, (uint64_t)a->n);
    int64_t changes = 0;
    st_val p[] = {st_text(a->model_id), st_int(a->have), st_text(a->dataset_id),
                  st_int(a->one_column != 0)};
    if (rc == ST_OK)
        rc = st_exec(c, Q_DATASET_COPY, p, ST_NPARAMS(p), &changes);
    if (rc == ST_OK && changes != 1)
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

static st_status read_score(const st_row *r, void *elem)
{
    st_score *o = elem;
    memset(o, 0, sizeof *o);
    st_status rc = st_col_copy(r, 0, o->user_id, sizeof o->user_id);
    if (rc == ST_OK)
        rc = st_col_copy(r, 1, o->name, sizeof o->name);
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

static const st_list_of score_list = {sizeof(st_score), read_score, NULL};

typedef struct score_args {
    const st_val *p;
    const char *dataset_id, *user_id;
    st_score *best;
} score_args;

static st_status score_body(st_conn *c, void *arg)
{
    const score_args *a = arg;
    st_status rc = st_exec(c, Q_SCORE_RECORD, a->p, 8, NULL);
    st_val q[] = {st_text(a->dataset_id), st_text(a->user_id)};
    if (rc == ST_OK && a->best) /* the user's row after the upsert */
        rc = st_query_one(c, Q_SCORE_GET, q, ST_NPARAMS(q), score_cb, a->best);
    return rc;
}

st_status storage_score_record(storage *s, const char *dataset_id, const char *user_id,
                               const char *metric, double score, double loss,
                               const char *model_id, int64_t version, st_score *best)
{
    if (!s || !dataset_id || !user_id || !metric || !model_id || !isfinite(score))
        return ST_ERROR;
    st_val p[] = {st_text(dataset_id), st_text(user_id), st_text(metric), st_real(score),
                  st_real_or_null(loss), st_text(model_id), st_int(version),
                  st_real(st_now())};
    score_args a = {p, dataset_id, user_id, best};
    return st_tx(s, ST_WRITE, score_body, &a);
}

st_status storage_scores_list(storage *s, const char *dataset_id, st_score **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s || !dataset_id)
        return ST_ERROR;
    st_val p[] = {st_text(dataset_id)};
    return st_get_list(s, Q_SCORE_LIST, p, ST_NPARAMS(p), &score_list, (void **)out, n);
}
