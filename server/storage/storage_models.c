/*
 * storage_models.c - models and their weights versions.
 *
 * A model row keeps its current version; every version is a row of
 * `versions` with the blob and its CRC-32, checked on every read so a
 * damaged blob is ST_CORRUPT, never weights handed to the core.
 */
#include "storage/storage_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"

void st_model_clear(st_model *m)
{
    if (!m)
        return;
    free(m->name);
    free(m->spec_json);
    m->name = NULL;
    m->spec_json = NULL;
}

void st_models_free(st_model *ms, size_t n)
{
    if (!ms)
        return;
    for (size_t i = 0; i < n; i++)
        st_model_clear(&ms[i]);
    free(ms);
}

/* Fill m from a row of MODEL_COLUMNS; on failure m holds nothing. */
static st_status read_model(const st_row *r, void *elem)
{
    st_model *m = elem;
    memset(m, 0, sizeof *m);
    st_status s = st_col_copy(r, 0, m->id, sizeof m->id);
    if (s == ST_OK)
        s = st_col_strdup(r, 1, &m->name);
    if (s == ST_OK)
        s = st_col_strdup(r, 2, &m->spec_json);
    if (s == ST_OK && (!m->name || !m->spec_json))
        s = ST_CORRUPT;
    m->version = st_col_int(r, 3);
    m->samples = st_col_int(r, 4);
    m->last_loss = st_col_real_or_nan(r, 5);
    m->created_at = st_col_real(r, 6);
    m->updated_at = st_col_real(r, 7);
    /* owner NULL: a row older than users (never after migration 0003) */
    if (s == ST_OK)
        s = st_col_copy_or_empty(r, 8, m->owner, sizeof m->owner);
    if (s == ST_OK)
        s = st_col_copy(r, 9, m->owner_name, sizeof m->owner_name);
    m->public_predict = st_col_int(r, 10) != 0;
    if (s != ST_OK) {
        st_model_clear(m);
        memset(m, 0, sizeof *m);
    }
    return s;
}

static st_status model_cb(st_row *r, void *arg)
{
    return read_model(r, arg);
}

static void clear_model(void *elem)
{
    st_model_clear(elem);
}

static const st_list_of model_list = {sizeof(st_model), read_model, clear_model};

static st_status insert_version(st_conn *c, const char *id, int64_t version,
                                const char *source, double loss,
                                const void *blob, size_t blob_len)
{
    st_val p[] = {st_text(id), st_int(version), st_text(source), st_real(st_now()),
                  st_real_or_null(loss), st_blob(blob, blob_len),
                  st_int(mlp_crc32(blob, blob_len))};
    return st_exec(c, Q_VERSION_INSERT, p, ST_NPARAMS(p), NULL);
}

/* Make version current; a known loss becomes the model's last loss. */
static st_status set_current(st_conn *c, const char *id, int64_t version, double loss)
{
    st_val p[] = {st_text(id), st_int(version), st_real(st_now()), st_real_or_null(loss)};
    return st_exec(c, Q_MODEL_SET_VERSION, p, ST_NPARAMS(p), NULL);
}

st_status st_publish_version(st_conn *c, const char *id, const char *source, double loss,
                             const void *blob, size_t blob_len, int64_t *version)
{
    st_val p[] = {st_text(id)};
    st_status rc = st_query_int(c, Q_VERSION_MAX, p, ST_NPARAMS(p), version);
    if (rc == ST_OK)
        *version += 1;
    if (rc == ST_OK)
        rc = insert_version(c, id, *version, source, loss, blob, blob_len);
    if (rc == ST_OK)
        rc = set_current(c, id, *version, loss);
    return rc;
}

/* ---- models ------------------------------------------------------------- */

static st_status create_body(st_conn *c, void *arg)
{
    const st_model_new *m = arg;
    const char *owner = m->owner ? m->owner : ST_USER_LOCAL;
    st_status rc = ST_OK;
    if (m->max_models > 0) {
        int64_t have = 0;
        st_val q[] = {st_text(owner)};
        rc = st_query_int(c, Q_MODEL_COUNT_OWNED, q, ST_NPARAMS(q), &have);
        if (rc == ST_OK && have >= m->max_models)
            rc = ST_QUOTA;
    }
    st_val p[] = {st_text(m->id), st_text(m->name), st_text(m->spec_json), st_real(st_now()),
                  st_text(owner), st_int(m->public_predict ? 1 : 0)};
    if (rc == ST_OK)
        rc = st_exec(c, Q_MODEL_INSERT_OWNED, p, ST_NPARAMS(p), NULL);
    if (rc == ST_OK)
        rc = insert_version(c, m->id, 1, "init", NAN, m->blob, m->blob_len);
    return rc;
}

st_status storage_model_create(storage *s, const st_model_new *m)
{
    if (!s || !m || !m->id || !m->name || !m->spec_json || !m->blob || !m->blob_len)
        return ST_ERROR;
    return st_tx(s, ST_WRITE, create_body, (void *)m);
}

st_status storage_model_get(storage *s, const char *id, st_model *out)
{
    memset(out, 0, sizeof *out);
    if (!s || !id)
        return ST_ERROR;
    st_val p[] = {st_text(id)};
    return st_get(s, Q_MODEL_GET, p, ST_NPARAMS(p), model_cb, out);
}

st_status storage_model_list(storage *s, const char *owner, st_model **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s)
        return ST_ERROR;
    st_val p[] = {st_text(owner)};
    return st_get_list(s, owner ? Q_MODEL_LIST_OWNED : Q_MODEL_LIST, p, owner ? 1 : 0,
                       &model_list, (void **)out, n);
}

typedef struct access_out {
    char *owner;
    int *public_predict;
} access_out;

static st_status access_cb(st_row *r, void *arg)
{
    access_out *a = arg;
    /* a NULL owner (impossible after 0003) belongs to nobody */
    st_status rc = st_col_copy_or_empty(r, 0, a->owner, 17);
    *a->public_predict = st_col_int(r, 1) != 0;
    return rc;
}

st_status storage_model_access(storage *s, const char *id, char owner[17], int *public_predict)
{
    owner[0] = '\0';
    *public_predict = 0;
    if (!s || !id)
        return ST_ERROR;
    access_out a = {owner, public_predict};
    st_val p[] = {st_text(id)};
    return st_get(s, Q_MODEL_ACCESS, p, ST_NPARAMS(p), access_cb, &a);
}

st_status storage_model_set_public(storage *s, const char *id, int public_predict)
{
    if (!s || !id)
        return ST_ERROR;
    st_val p[] = {st_text(id), st_int(public_predict ? 1 : 0), st_real(st_now())};
    return st_write1(s, Q_MODEL_SET_PUBLIC, p, ST_NPARAMS(p), 1);
}

st_status storage_model_delete(storage *s, const char *id)
{
    if (!s || !id)
        return ST_ERROR;
    st_val p[] = {st_text(id)};
    return st_write1(s, Q_MODEL_DELETE, p, ST_NPARAMS(p), 1);
}

typedef struct counts {
    int64_t *models, *samples, *jobs;
} counts;

static st_status count_cb(st_row *r, void *arg)
{
    counts *k = arg;
    if (k->models)
        *k->models = st_col_int(r, 0);
    if (k->samples)
        *k->samples = st_col_int(r, 1);
    if (k->jobs)
        *k->jobs = st_col_int(r, 2);
    return ST_OK;
}

st_status storage_count(storage *s, int64_t *models, int64_t *samples, int64_t *jobs)
{
    if (!s)
        return ST_ERROR;
    counts k = {models, samples, jobs};
    st_status rc = st_get(s, Q_COUNT, NULL, 0, count_cb, &k);
    return rc == ST_NOT_FOUND ? ST_ERROR : rc;
}

/* ---- weights and versions -------------------------------------------- */

typedef struct put_args {
    const char *id, *source;
    const unsigned char *blob;
    size_t blob_len;
    double loss;
    int64_t version;
} put_args;

static st_status put_body(st_conn *c, void *arg)
{
    put_args *a = arg;
    st_status rc = st_model_samples(c, a->id, NULL);
    if (rc == ST_OK)
        rc = st_publish_version(c, a->id, a->source, a->loss, a->blob, a->blob_len,
                                &a->version);
    return rc;
}

st_status storage_weights_put(storage *s, const char *id, const char *source,
                              const unsigned char *blob, size_t blob_len,
                              double loss, int64_t *version_out)
{
    if (!s || !id || !source || !blob || !blob_len)
        return ST_ERROR;
    put_args a = {id, source, blob, blob_len, loss, 0};
    st_status rc = st_tx(s, ST_WRITE, put_body, &a);
    if (rc == ST_OK && version_out)
        *version_out = a.version;
    return rc;
}

/* A version row (Q_VERSION_GET) copied out after its CRC is checked. */
typedef struct version_copy {
    unsigned char *blob;
    size_t len;
    int64_t version;
    double loss;
} version_copy;

static st_status version_cb(st_row *r, void *arg)
{
    version_copy *v = arg;
    size_t len = 0;
    const void *blob = st_col_blob(r, 1, &len);
    if (!blob)
        return len || r->b->col_type(r, 1) != STV_BLOB ? ST_CORRUPT : ST_NOMEM;
    if (st_col_int(r, 2) != (int64_t)mlp_crc32(blob, len))
        return ST_CORRUPT;
    unsigned char *copy = malloc(len ? len : 1); /* malloc(0) may be NULL */
    if (!copy)
        return ST_NOMEM;
    memcpy(copy, blob, len);
    v->blob = copy;
    v->len = len;
    v->version = st_col_int(r, 0);
    v->loss = st_col_real_or_nan(r, 3);
    return ST_OK;
}

static st_status get_version(st_conn *c, const char *id, int64_t version, version_copy *v)
{
    st_val p[] = {st_text(id), st_int(version)};
    return st_query_one(c, Q_VERSION_GET, p, ST_NPARAMS(p), version_cb, v);
}

typedef struct weights_args {
    const char *id;
    int64_t version;
    version_copy v;
} weights_args;

static st_status weights_body(st_conn *c, void *arg)
{
    weights_args *a = arg;
    return get_version(c, a->id, a->version, &a->v);
}

st_status storage_weights_get(storage *s, const char *id, int64_t version,
                              unsigned char **blob, size_t *blob_len,
                              int64_t *version_out)
{
    *blob = NULL;
    *blob_len = 0;
    if (!s || !id || version < 0)
        return version < 0 ? ST_NOT_FOUND : ST_ERROR;
    weights_args a = {.id = id, .version = version};
    st_status rc = st_with_conn(s, weights_body, &a);
    if (rc != ST_OK)
        return rc;
    *blob = a.v.blob;
    *blob_len = a.v.len;
    if (version_out)
        *version_out = a.v.version;
    return ST_OK;
}

static st_status read_version(const st_row *r, void *elem)
{
    st_version *v = elem;
    memset(v, 0, sizeof *v);
    v->version = st_col_int(r, 0);
    st_status rc = st_col_copy(r, 1, v->source, sizeof v->source);
    v->created_at = st_col_real(r, 2);
    v->loss = st_col_real_or_nan(r, 3);
    return rc;
}

static const st_list_of version_list = {sizeof(st_version), read_version, NULL};

typedef struct versions_args {
    const char *id;
    st_version **out;
    size_t *n;
} versions_args;

static st_status versions_body(st_conn *c, void *arg)
{
    versions_args *a = arg;
    st_val p[] = {st_text(a->id)};
    st_status rc = st_model_samples(c, a->id, NULL);
    if (rc == ST_OK)
        rc = st_list(c, Q_VERSION_LIST, p, ST_NPARAMS(p), &version_list, (void **)a->out, a->n);
    return rc;
}

st_status storage_versions_list(storage *s, const char *id, st_version **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s || !id)
        return ST_ERROR;
    versions_args a = {id, out, n};
    st_status rc = st_tx(s, ST_READ, versions_body, &a);
    if (rc != ST_OK) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

typedef struct restore_args {
    const char *id;
    int64_t version, next;
} restore_args;

static st_status restore_body(st_conn *c, void *arg)
{
    restore_args *a = arg;
    /* a copy: the row's own buffer may live in a page the insert moves */
    version_copy v = {0};
    st_status rc = get_version(c, a->id, a->version, &v);
    if (rc == ST_OK)
        rc = st_publish_version(c, a->id, "restore", v.loss, v.blob, v.len, &a->next);
    free(v.blob);
    return rc;
}

st_status storage_version_restore(storage *s, const char *id, int64_t version,
                                  int64_t *version_out)
{
    if (!s || !id)
        return ST_ERROR;
    if (version <= 0)
        return ST_NOT_FOUND;
    restore_args a = {id, version, 0};
    st_status rc = st_tx(s, ST_WRITE, restore_body, &a);
    if (rc == ST_OK && version_out)
        *version_out = a.next;
    return rc;
}
