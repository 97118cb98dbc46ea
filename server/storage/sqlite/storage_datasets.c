/*
 * storage_datasets.c - datasets, their copies into models and their
 * scores (see storage/datasets.h; tables of schema/0008_datasets.sql).
 *
 * These statements run a few times per dataset, copy or evaluation, so
 * each call prepares its statement on the borrowed connection and
 * finalises it, instead of a slot in the shared statement table. The
 * rows are blobs of packed little-endian doubles, as samples are; a copy
 * into a model is one INSERT ... SELECT of the training blobs, so the
 * rows never leave the database.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "storage/datasets.h"
#include "storage/storage_internal.h"

#define DATASET_COLUMNS                                                                    \
    "d.id, d.owner, coalesce(u.name, ''), d.name, d.visibility, d.inputs, d.outputs, "    \
    "d.classes, d.test_fraction, d.seed, d.n_rows, d.n_train, d.n_test, d.public_json, "  \
    "d.created_at"

static st_status prep(st_conn *c, const char *sql, sqlite3_stmt **out)
{
    int r = sqlite3_prepare_v2(c->db, sql, -1, out, NULL);
    return r == SQLITE_OK ? ST_OK : st_map(r);
}

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
static st_status read_dataset(sqlite3_stmt *st, st_dataset *d)
{
    memset(d, 0, sizeof *d);
    st_status rc = st_col_copy(st, 0, d->id, sizeof d->id);
    if (rc == ST_OK)
        rc = st_col_copy(st, 1, d->owner, sizeof d->owner);
    if (rc == ST_OK)
        rc = st_col_copy(st, 2, d->owner_name, sizeof d->owner_name);
    if (rc == ST_OK)
        rc = st_col_strdup(st, 3, &d->name);
    const unsigned char *vis = sqlite3_column_text(st, 4);
    d->class_visible = vis && strcmp((const char *)vis, "class") == 0;
    d->inputs = sqlite3_column_int64(st, 5);
    d->outputs = sqlite3_column_int64(st, 6);
    if (rc == ST_OK)
        rc = st_col_strdup(st, 7, &d->classes);
    d->test_fraction = sqlite3_column_double(st, 8);
    d->seed = sqlite3_column_int64(st, 9);
    d->n_rows = sqlite3_column_int64(st, 10);
    d->n_train = sqlite3_column_int64(st, 11);
    d->n_test = sqlite3_column_int64(st, 12);
    if (rc == ST_OK)
        rc = st_col_strdup(st, 13, &d->public_json);
    d->created_at = sqlite3_column_double(st, 14);
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
    sqlite3_stmt *st;
    st_status rc = st_stmt(c, Q_SAMPLES_OWNED, &st);
    if (rc != ST_OK)
        return rc;
    int r = sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        int64_t have = sqlite3_column_int64(st, 0);
        rc = have < 0 || have > max - n ? ST_QUOTA : ST_OK;
    } else {
        rc = st_map(r) == ST_OK ? ST_ERROR : st_map(r);
    }
    st_done(st);
    return rc;
}

/* Bind count doubles at index i as a little-endian blob (NULL v: NULL). */
static int bind_doubles(sqlite3_stmt *st, int i, const double *v, size_t count,
                        unsigned char **owned)
{
    if (!v)
        return sqlite3_bind_null(st, i);
    const unsigned char *bytes;
    if (st_to_le(v, count, &bytes, owned) != ST_OK)
        return SQLITE_NOMEM;
    return sqlite3_bind_blob64(st, i, count ? bytes : (const void *)"", count * 8,
                               SQLITE_TRANSIENT);
}

static int bind_create(sqlite3_stmt *st, const st_dataset *d, const st_dataset_rows *rw)
{
    size_t tr = (size_t)d->n_train, te = (size_t)d->n_test;
    size_t ni = (size_t)d->inputs, no = (size_t)d->outputs;
    int r = sqlite3_bind_text(st, 1, d->id, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_text(st, 2, d->owner, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_text(st, 3, d->name, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_text(st, 4, d->class_visible ? "class" : "private", -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_int64(st, 5, d->inputs);
    if (r == SQLITE_OK)
        r = sqlite3_bind_int64(st, 6, d->outputs);
    if (r == SQLITE_OK)
        r = st_bind_text(st, 7, d->classes);
    if (r == SQLITE_OK)
        r = sqlite3_bind_double(st, 8, d->test_fraction);
    if (r == SQLITE_OK)
        r = sqlite3_bind_int64(st, 9, d->seed);
    if (r == SQLITE_OK)
        r = sqlite3_bind_int64(st, 10, d->n_rows);
    if (r == SQLITE_OK)
        r = sqlite3_bind_int64(st, 11, d->n_train);
    if (r == SQLITE_OK)
        r = sqlite3_bind_int64(st, 12, d->n_test);
    if (r == SQLITE_OK)
        r = sqlite3_bind_text(st, 13, d->public_json, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_text(st, 14, d->owner_json, -1, SQLITE_STATIC);
    const struct {
        const double *v;
        size_t count;
    } blobs[6] = {{rw->x_train, tr * ni}, {rw->y_train, tr * no}, {rw->y1_train, tr},
                  {rw->x_test, te * ni},  {rw->y_test, te * no},  {rw->y1_test, te}};
    for (int i = 0; r == SQLITE_OK && i < 6; i++) {
        unsigned char *owned = NULL;
        r = bind_doubles(st, 15 + i, blobs[i].v, blobs[i].count, &owned);
        free(owned); /* SQLITE_TRANSIENT took a copy */
    }
    if (r == SQLITE_OK)
        r = sqlite3_bind_double(st, 21, st_now());
    return r;
}

st_status storage_dataset_create(storage *s, const st_dataset *d, const st_dataset_rows *r,
                                 int64_t max_owner_total)
{
    if (!s || !d || !r || !d->id[0] || !d->owner[0] || !d->name || !d->public_json ||
        !d->owner_json || !r->x_train || !r->y_train || !r->x_test || !r->y_test ||
        d->n_train < 1 || d->n_test < 0 || d->inputs < 1 || d->outputs < 1)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = st_begin(c, 1);
    if (rc == ST_OK)
        rc = owner_room(c, d->owner, max_owner_total, d->n_rows);
    if (rc == ST_OK)
        rc = prep(c,
                  "INSERT INTO datasets (id, owner, name, visibility, inputs, outputs, classes, "
                  "test_fraction, seed, n_rows, n_train, n_test, public_json, owner_json, "
                  "x_train, y_train, y1_train, x_test, y_test, y1_test, created_at) VALUES "
                  "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
                  "?17, ?18, ?19, ?20, ?21)",
                  &st);
    if (rc == ST_OK) {
        int b = bind_create(st, d, r);
        rc = b == SQLITE_OK ? st_exec(st) : st_map(b);
    }
    sqlite3_finalize(st);
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    return rc;
}

st_status storage_dataset_get(storage *s, const char *id, st_dataset *out)
{
    memset(out, 0, sizeof *out);
    if (!s || !id)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = prep(c,
              "SELECT " DATASET_COLUMNS ", d.owner_json FROM datasets d "
              "LEFT JOIN users u ON u.id = d.owner WHERE d.id = ?1",
              &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            rc = read_dataset(st, out);
            if (rc == ST_OK && (rc = st_col_strdup(st, 15, &out->owner_json)) == ST_OK &&
                !out->owner_json)
                rc = ST_CORRUPT;
            if (rc != ST_OK)
                st_dataset_clear(out);
        } else {
            rc = r == SQLITE_DONE ? ST_NOT_FOUND : st_map(r);
        }
    }
    sqlite3_finalize(st);
    st_conn_put(s, c);
    return rc;
}

st_status storage_dataset_list(storage *s, const char *viewer, st_dataset **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    st_dataset *ds = NULL;
    size_t count = 0, cap = 0;
    sqlite3_stmt *st = NULL;
    rc = prep(c,
              "SELECT " DATASET_COLUMNS " FROM datasets d LEFT JOIN users u ON u.id = d.owner "
              "WHERE ?1 IS NULL OR d.owner = ?1 OR d.visibility = 'class' "
              "ORDER BY d.created_at, d.id",
              &st);
    if (rc == ST_OK) {
        int r = st_bind_text(st, 1, viewer);
        rc = r == SQLITE_OK ? ST_OK : st_map(r);
    }
    while (rc == ST_OK) {
        int r = sqlite3_step(st);
        if (r != SQLITE_ROW) {
            rc = r == SQLITE_DONE ? ST_OK : st_map(r);
            break;
        }
        if (count == cap) {
            st_dataset *g = st_grow(ds, &cap, sizeof *ds);
            if (!g) {
                rc = ST_NOMEM;
                break;
            }
            ds = g;
        }
        rc = read_dataset(st, &ds[count]);
        if (rc == ST_OK)
            count++;
    }
    sqlite3_finalize(st);
    st_conn_put(s, c);
    if (rc != ST_OK) {
        st_datasets_free(ds, count);
        return rc;
    }
    *out = ds;
    *n = count;
    return ST_OK;
}

/* One write statement with the dataset id as ?1 (and an int as ?2);
 * ST_NOT_FOUND when it changes no row. */
static st_status write_one(storage *s, const char *sql, const char *id, int v)
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
        rc = prep(c, sql, &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK && sqlite3_bind_parameter_count(st) >= 2)
            r = sqlite3_bind_int(st, 2, v);
        rc = r == SQLITE_OK ? st_exec(st) : st_map(r);
        if (rc == ST_OK && sqlite3_changes(c->db) == 0)
            rc = ST_NOT_FOUND;
    }
    sqlite3_finalize(st);
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    return rc;
}

st_status storage_dataset_set_visibility(storage *s, const char *id, int class_visible)
{
    return write_one(s,
                     "UPDATE datasets SET visibility = CASE WHEN ?2 THEN 'class' ELSE "
                     "'private' END WHERE id = ?1",
                     id, class_visible);
}

st_status storage_dataset_delete(storage *s, const char *id)
{
    return write_one(s, "DELETE FROM datasets WHERE id = ?1", id, 0);
}

/* count doubles from a little-endian blob of exactly count * 8 bytes. */
static st_status blob_doubles(sqlite3_stmt *st, int col, size_t count, double **out)
{
    const unsigned char *b = sqlite3_column_blob(st, col);
    size_t len = (size_t)sqlite3_column_bytes(st, col);
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

st_status storage_dataset_read(storage *s, const char *id, int test, int one_column,
                               size_t n_in, size_t n_out, double **x, double **y, size_t *n)
{
    *x = *y = NULL;
    *n = 0;
    if (!s || !id || (one_column && n_out != 1))
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = prep(c, test ? "SELECT n_test, inputs, outputs, x_test, y_test, y1_test FROM datasets WHERE id = ?1"
                      : "SELECT n_train, inputs, outputs, x_train, y_train, y1_train FROM datasets WHERE id = ?1",
              &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            int64_t rows = sqlite3_column_int64(st, 0);
            if (rows < 0 || (uint64_t)sqlite3_column_int64(st, 1) != n_in ||
                (!one_column && (uint64_t)sqlite3_column_int64(st, 2) != n_out))
                rc = ST_ERROR;
            if (rc == ST_OK)
                rc = blob_doubles(st, 3, (size_t)rows * n_in, x);
            if (rc == ST_OK)
                rc = blob_doubles(st, one_column ? 5 : 4, (size_t)rows * n_out, y);
            if (rc == ST_OK)
                *n = (size_t)rows;
        } else {
            rc = r == SQLITE_DONE ? ST_NOT_FOUND : st_map(r);
        }
    }
    sqlite3_finalize(st);
    st_conn_put(s, c);
    if (rc != ST_OK) {
        free(*x);
        free(*y);
        *x = *y = NULL;
    }
    return rc;
}

/* The dataset's training row count (ST_NOT_FOUND when gone). */
static st_status train_rows(st_conn *c, const char *id, int64_t *n)
{
    sqlite3_stmt *st = NULL;
    st_status rc = prep(c, "SELECT n_train FROM datasets WHERE id = ?1", &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_step(st);
        if (r == SQLITE_ROW)
            *n = sqlite3_column_int64(st, 0);
        else
            rc = r == SQLITE_DONE ? ST_NOT_FOUND : st_map(r);
    }
    sqlite3_finalize(st);
    return rc;
}

static st_status copy_batch(st_conn *c, const char *dataset_id, int one_column,
                            const char *model_id, int64_t first)
{
    sqlite3_stmt *st = NULL;
    st_status rc = prep(c,
                        "INSERT INTO samples (model_id, first, n, x, y) SELECT ?1, ?2, n_train, "
                        "x_train, CASE WHEN ?4 THEN y1_train ELSE y_train END FROM datasets "
                        "WHERE id = ?3 AND (?4 = 0 OR y1_train IS NOT NULL)",
                        &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, model_id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_int64(st, 2, first);
        if (r == SQLITE_OK)
            r = sqlite3_bind_text(st, 3, dataset_id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_int(st, 4, one_column != 0);
        rc = r == SQLITE_OK ? st_exec(st) : st_map(r);
        if (rc == ST_OK && sqlite3_changes(c->db) != 1)
            rc = ST_ERROR;
    }
    sqlite3_finalize(st);
    return rc;
}

static st_status set_model_total(st_conn *c, const char *model_id, int64_t total)
{
    sqlite3_stmt *st;
    st_status rc = st_stmt(c, Q_SAMPLES_SET_TOTAL, &st);
    if (rc != ST_OK)
        return rc;
    int r = sqlite3_bind_text(st, 1, model_id, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_int64(st, 2, total);
    if (r == SQLITE_OK)
        r = sqlite3_bind_double(st, 3, st_now());
    if (r != SQLITE_OK) {
        st_done(st);
        return st_map(r);
    }
    return st_exec(st);
}

st_status storage_dataset_copy(storage *s, const char *dataset_id, int one_column,
                               const char *model_id, const char *owner,
                               int64_t max_owner_total, int64_t max_total, int64_t *added,
                               int64_t *total)
{
    if (!s || !dataset_id || !model_id)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    int64_t have = 0, n = 0;
    rc = st_begin(c, 1);
    if (rc == ST_OK)
        rc = st_model_samples(c, model_id, &have);
    if (rc == ST_OK)
        rc = train_rows(c, dataset_id, &n);
    if (rc == ST_OK && max_total > 0 && have > max_total - n)
        rc = ST_LIMIT;
    if (rc == ST_OK)
        rc = owner_room(c, owner, max_owner_total, n);
    if (rc == ST_OK)
        rc = copy_batch(c, dataset_id, one_column, model_id, have);
    if (rc == ST_OK)
        rc = set_model_total(c, model_id, have + n);
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    if (rc == ST_OK) {
        *added = n;
        *total = have + n;
    }
    return rc;
}

#define SCORE_COLUMNS                                                                      \
    "s.user_id, coalesce(u.name, ''), s.metric, s.score, s.loss, s.model_id, s.version, " \
    "s.evaluations, s.best_at, s.last_at"

static st_status read_score(sqlite3_stmt *st, st_score *o)
{
    memset(o, 0, sizeof *o);
    st_status rc = st_col_copy(st, 0, o->user_id, sizeof o->user_id);
    if (rc == ST_OK)
        rc = st_col_copy(st, 1, o->name, sizeof o->name);
    if (rc == ST_OK)
        rc = st_col_copy(st, 2, o->metric, sizeof o->metric);
    o->score = sqlite3_column_double(st, 3);
    o->loss = st_col_real_or_nan(st, 4);
    if (rc == ST_OK)
        rc = st_col_copy(st, 5, o->model_id, sizeof o->model_id);
    o->version = sqlite3_column_int64(st, 6);
    o->evaluations = sqlite3_column_int64(st, 7);
    o->best_at = sqlite3_column_double(st, 8);
    o->last_at = sqlite3_column_double(st, 9);
    return rc;
}

static int bind_score(sqlite3_stmt *st, const char *dataset_id, const char *user_id,
                      const char *metric, double score, double loss, const char *model_id,
                      int64_t version)
{
    int r = sqlite3_bind_text(st, 1, dataset_id, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_text(st, 2, user_id, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_text(st, 3, metric, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_double(st, 4, score);
    if (r == SQLITE_OK)
        r = st_bind_real_or_null(st, 5, loss);
    if (r == SQLITE_OK)
        r = sqlite3_bind_text(st, 6, model_id, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_int64(st, 7, version);
    if (r == SQLITE_OK)
        r = sqlite3_bind_double(st, 8, st_now());
    return r;
}

/* The user's row after the upsert, into *best. */
static st_status score_get(st_conn *c, const char *dataset_id, const char *user_id,
                           st_score *best)
{
    sqlite3_stmt *st = NULL;
    st_status rc = prep(c,
                        "SELECT " SCORE_COLUMNS " FROM dataset_scores s LEFT JOIN users u ON "
                        "u.id = s.user_id WHERE s.dataset_id = ?1 AND s.user_id = ?2",
                        &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, dataset_id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_text(st, 2, user_id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_step(st);
        if (r == SQLITE_ROW)
            rc = read_score(st, best);
        else
            rc = r == SQLITE_DONE ? ST_NOT_FOUND : st_map(r);
    }
    sqlite3_finalize(st);
    return rc;
}

st_status storage_score_record(storage *s, const char *dataset_id, const char *user_id,
                               const char *metric, double score, double loss,
                               const char *model_id, int64_t version, st_score *best)
{
    if (!s || !dataset_id || !user_id || !metric || !model_id || !isfinite(score))
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = st_begin(c, 1);
    /* every right-hand side reads the row before the update */
    if (rc == ST_OK)
        rc = prep(c,
                  "INSERT INTO dataset_scores (dataset_id, user_id, metric, score, loss, "
                  "model_id, version, evaluations, best_at, last_at) VALUES (?1, ?2, ?3, ?4, "
                  "?5, ?6, ?7, 1, ?8, ?8) ON CONFLICT (dataset_id, user_id) DO UPDATE SET "
                  "evaluations = evaluations + 1, last_at = excluded.last_at, "
                  "metric = CASE WHEN excluded.score > score THEN excluded.metric ELSE metric END, "
                  "loss = CASE WHEN excluded.score > score THEN excluded.loss ELSE loss END, "
                  "model_id = CASE WHEN excluded.score > score THEN excluded.model_id ELSE model_id END, "
                  "version = CASE WHEN excluded.score > score THEN excluded.version ELSE version END, "
                  "best_at = CASE WHEN excluded.score > score THEN excluded.best_at ELSE best_at END, "
                  "score = CASE WHEN excluded.score > score THEN excluded.score ELSE score END",
                  &st);
    if (rc == ST_OK) {
        int r = bind_score(st, dataset_id, user_id, metric, score, loss, model_id, version);
        rc = r == SQLITE_OK ? st_exec(st) : st_map(r);
    }
    sqlite3_finalize(st);
    if (rc == ST_OK && best)
        rc = score_get(c, dataset_id, user_id, best);
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    return rc;
}

st_status storage_scores_list(storage *s, const char *dataset_id, st_score **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s || !dataset_id)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    st_score *v = NULL;
    size_t count = 0, cap = 0;
    sqlite3_stmt *st = NULL;
    rc = prep(c,
              "SELECT " SCORE_COLUMNS " FROM dataset_scores s LEFT JOIN users u ON u.id = "
              "s.user_id WHERE s.dataset_id = ?1 ORDER BY s.score DESC, s.best_at, s.user_id",
              &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, dataset_id, -1, SQLITE_STATIC);
        rc = r == SQLITE_OK ? ST_OK : st_map(r);
    }
    while (rc == ST_OK) {
        int r = sqlite3_step(st);
        if (r != SQLITE_ROW) {
            rc = r == SQLITE_DONE ? ST_OK : st_map(r);
            break;
        }
        if (count == cap) {
            st_score *g = st_grow(v, &cap, sizeof *v);
            if (!g) {
                rc = ST_NOMEM;
                break;
            }
            v = g;
        }
        rc = read_score(st, &v[count]);
        if (rc == ST_OK)
            count++;
    }
    sqlite3_finalize(st);
    st_conn_put(s, c);
    if (rc != ST_OK) {
        free(v);
        return rc;
    }
    *out = v;
    *n = count;
    return ST_OK;
}
