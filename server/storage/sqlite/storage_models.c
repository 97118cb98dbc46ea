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
static st_status read_model(sqlite3_stmt *st, st_model *m)
{
    memset(m, 0, sizeof *m);
    st_status s = st_col_copy(st, 0, m->id, sizeof m->id);
    if (s == ST_OK)
        s = st_col_strdup(st, 1, &m->name);
    if (s == ST_OK)
        s = st_col_strdup(st, 2, &m->spec_json);
    if (s == ST_OK && (!m->name || !m->spec_json))
        s = ST_CORRUPT;
    if (s != ST_OK) {
        st_model_clear(m);
        return s;
    }
    m->version = sqlite3_column_int64(st, 3);
    m->samples = sqlite3_column_int64(st, 4);
    m->last_loss = st_col_real_or_nan(st, 5);
    m->created_at = sqlite3_column_double(st, 6);
    m->updated_at = sqlite3_column_double(st, 7);
    /* owner NULL: a row older than users (never after migration 0003) */
    if (sqlite3_column_type(st, 8) != SQLITE_NULL)
        s = st_col_copy(st, 8, m->owner, sizeof m->owner);
    if (s == ST_OK)
        s = st_col_copy(st, 9, m->owner_name, sizeof m->owner_name);
    if (s != ST_OK) {
        st_model_clear(m);
        return s;
    }
    m->public_predict = sqlite3_column_int(st, 10) != 0;
    return ST_OK;
}

static st_status insert_version(st_conn *c, const char *id, int64_t version,
                                const char *source, double loss,
                                const void *blob, size_t blob_len)
{
    sqlite3_stmt *st;
    st_status s = st_stmt(c, Q_VERSION_INSERT, &st);
    if (s != ST_OK)
        return s;
    uint32_t crc = mlp_crc32(blob, blob_len);
    int rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 2, version);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 3, source, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_double(st, 4, st_now());
    if (rc == SQLITE_OK)
        rc = st_bind_real_or_null(st, 5, loss);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_blob64(st, 6, blob, blob_len, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 7, crc);
    if (rc != SQLITE_OK) {
        st_done(st);
        return st_map(rc);
    }
    return st_exec(st);
}

/* The next version number of a model (its largest plus one). */
static st_status next_version(st_conn *c, const char *id, int64_t *out)
{
    sqlite3_stmt *st;
    st_status s = st_stmt(c, Q_VERSION_MAX, &st);
    if (s != ST_OK)
        return s;
    int rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0) + 1;
        s = ST_OK;
    } else {
        s = st_map(rc);
        if (s == ST_OK)
            s = ST_ERROR;
    }
    st_done(st);
    return s;
}

/* Make version current; a known loss becomes the model's last loss. */
static st_status set_current(st_conn *c, const char *id, int64_t version, double loss)
{
    sqlite3_stmt *st;
    st_status s = st_stmt(c, Q_MODEL_SET_VERSION, &st);
    if (s != ST_OK)
        return s;
    int rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 2, version);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_double(st, 3, st_now());
    if (rc == SQLITE_OK)
        rc = st_bind_real_or_null(st, 4, loss);
    if (rc != SQLITE_OK) {
        st_done(st);
        return st_map(rc);
    }
    return st_exec(st);
}

/* ST_QUOTA when owner already has max_models models (0: no cap). */
static st_status check_model_count(st_conn *c, const char *owner, int64_t max_models)
{
    if (max_models <= 0)
        return ST_OK;
    sqlite3_stmt *st;
    st_status s = st_stmt(c, Q_MODEL_COUNT_OWNED, &st);
    if (s != ST_OK)
        return s;
    int r = sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        s = sqlite3_column_int64(st, 0) >= max_models ? ST_QUOTA : ST_OK;
    else
        s = st_map(r) == ST_OK ? ST_ERROR : st_map(r);
    st_done(st);
    return s;
}

static st_status insert_model(st_conn *c, const char *id, const char *owner, const char *name,
                              const char *spec_json, int public_predict)
{
    sqlite3_stmt *st;
    st_status rc = st_stmt(c, Q_MODEL_INSERT_OWNED, &st);
    if (rc != ST_OK)
        return rc;
    int r = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_text(st, 3, spec_json, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_double(st, 4, st_now());
    if (r == SQLITE_OK)
        r = sqlite3_bind_text(st, 5, owner, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_int(st, 6, public_predict ? 1 : 0);
    rc = r == SQLITE_OK ? st_exec(st) : st_map(r);
    st_done(st);
    return rc;
}

st_status storage_model_create(storage *s, const st_model_new *m)
{
    if (!s || !m || !m->id || !m->name || !m->spec_json || !m->blob || !m->blob_len)
        return ST_ERROR;
    const char *owner = m->owner ? m->owner : ST_USER_LOCAL;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    rc = st_begin(c, 1);
    if (rc == ST_OK)
        rc = check_model_count(c, owner, m->max_models);
    if (rc == ST_OK)
        rc = insert_model(c, m->id, owner, m->name, m->spec_json, m->public_predict);
    if (rc == ST_OK)
        rc = insert_version(c, m->id, 1, "init", NAN, m->blob, m->blob_len);
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    return rc;
}

st_status storage_model_get(storage *s, const char *id, st_model *out)
{
    memset(out, 0, sizeof *out);
    if (!s || !id)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st;
    rc = st_stmt(c, Q_MODEL_GET, &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_step(st);
        if (r == SQLITE_ROW)
            rc = read_model(st, out);
        else
            rc = r == SQLITE_DONE ? ST_NOT_FOUND : st_map(r);
        st_done(st);
    }
    st_conn_put(s, c);
    return rc;
}

/* Models of owner (NULL: everyone's), oldest first. */
static st_status list_models(storage *s, const char *owner, st_model **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    st_model *ms = NULL;
    size_t count = 0, cap = 0;
    sqlite3_stmt *st;
    rc = st_stmt(c, owner ? Q_MODEL_LIST_OWNED : Q_MODEL_LIST, &st);
    if (rc == ST_OK && owner) {
        int r = sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
        if (r != SQLITE_OK)
            rc = st_map(r);
    }
    while (rc == ST_OK) {
        int r = sqlite3_step(st);
        if (r != SQLITE_ROW) {
            rc = r == SQLITE_DONE ? ST_OK : st_map(r);
            break;
        }
        if (count == cap) {
            st_model *g = st_grow(ms, &cap, sizeof *ms);
            if (!g) {
                rc = ST_NOMEM;
                break;
            }
            ms = g;
        }
        rc = read_model(st, &ms[count]);
        if (rc == ST_OK)
            count++;
    }
    st_done(st);
    st_conn_put(s, c);
    if (rc != ST_OK) {
        st_models_free(ms, count);
        return rc;
    }
    *out = ms;
    *n = count;
    return ST_OK;
}

st_status storage_model_list(storage *s, const char *owner, st_model **out, size_t *n)
{
    return list_models(s, owner, out, n);
}

st_status storage_model_access(storage *s, const char *id, char owner[17], int *public_predict)
{
    owner[0] = '\0';
    *public_predict = 0;
    if (!s || !id)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st;
    rc = st_stmt(c, Q_MODEL_ACCESS, &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            /* a NULL owner (impossible after 0003) belongs to nobody */
            if (sqlite3_column_type(st, 0) != SQLITE_NULL)
                rc = st_col_copy(st, 0, owner, 17);
            *public_predict = sqlite3_column_int(st, 1) != 0;
        } else {
            rc = r == SQLITE_DONE ? ST_NOT_FOUND : st_map(r);
        }
        st_done(st);
    }
    st_conn_put(s, c);
    return rc;
}

st_status storage_model_set_public(storage *s, const char *id, int public_predict)
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
        rc = st_stmt(c, Q_MODEL_SET_PUBLIC, &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_int(st, 2, public_predict ? 1 : 0);
        if (r == SQLITE_OK)
            r = sqlite3_bind_double(st, 3, st_now());
        rc = r == SQLITE_OK ? st_exec(st) : st_map(r);
        if (rc == ST_OK && sqlite3_changes(c->db) == 0)
            rc = ST_NOT_FOUND;
    }
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    return rc;
}

st_status storage_model_delete(storage *s, const char *id)
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
        rc = st_stmt(c, Q_MODEL_DELETE, &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        rc = r == SQLITE_OK ? st_exec(st) : st_map(r);
        st_done(st);
        if (rc == ST_OK && sqlite3_changes(c->db) == 0)
            rc = ST_NOT_FOUND;
    }
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    return rc;
}

st_status storage_count(storage *s, int64_t *models, int64_t *samples, int64_t *jobs)
{
    if (!s)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st;
    rc = st_stmt(c, Q_COUNT, &st);
    if (rc == ST_OK) {
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            if (models)
                *models = sqlite3_column_int64(st, 0);
            if (samples)
                *samples = sqlite3_column_int64(st, 1);
            if (jobs)
                *jobs = sqlite3_column_int64(st, 2);
        } else {
            rc = st_map(r) == ST_OK ? ST_ERROR : st_map(r);
        }
        st_done(st);
    }
    st_conn_put(s, c);
    return rc;
}

/* ---- weights and versions -------------------------------------------- */

st_status st_publish_version(st_conn *c, const char *id, const char *source, double loss,
                             const void *blob, size_t blob_len, int64_t *version)
{
    st_status rc = next_version(c, id, version);
    if (rc == ST_OK)
        rc = insert_version(c, id, *version, source, loss, blob, blob_len);
    if (rc == ST_OK)
        rc = set_current(c, id, *version, loss);
    return rc;
}

st_status storage_weights_put(storage *s, const char *id, const char *source,
                              const unsigned char *blob, size_t blob_len,
                              double loss, int64_t *version_out)
{
    if (!s || !id || !source || !blob || !blob_len)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    int64_t version = 0;
    rc = st_begin(c, 1);
    if (rc == ST_OK)
        rc = st_model_samples(c, id, NULL);
    if (rc == ST_OK)
        rc = st_publish_version(c, id, source, loss, blob, blob_len, &version);
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    if (rc == ST_OK && version_out)
        *version_out = version;
    return rc;
}

/* Step Q_VERSION_GET (bound by the caller) and check the blob's CRC; on
 * ST_OK the blob pointer stays valid until st is reset. */
static st_status step_version(sqlite3_stmt *st, const void **blob, size_t *len,
                              int64_t *version, double *loss)
{
    int r = sqlite3_step(st);
    if (r != SQLITE_ROW)
        return r == SQLITE_DONE ? ST_NOT_FOUND : st_map(r);
    *version = sqlite3_column_int64(st, 0);
    *blob = sqlite3_column_blob(st, 1);
    *len = (size_t)sqlite3_column_bytes(st, 1);
    if (!*blob)
        return *len || sqlite3_column_type(st, 1) != SQLITE_BLOB ? ST_CORRUPT : ST_NOMEM;
    int64_t crc = sqlite3_column_int64(st, 2);
    if (crc != (int64_t)mlp_crc32(*blob, *len))
        return ST_CORRUPT;
    *loss = st_col_real_or_nan(st, 3);
    return ST_OK;
}

static int bind_version_get(sqlite3_stmt *st, const char *id, int64_t version)
{
    int r = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_int64(st, 2, version);
    return r;
}

st_status storage_weights_get(storage *s, const char *id, int64_t version,
                              unsigned char **blob, size_t *blob_len,
                              int64_t *version_out)
{
    *blob = NULL;
    *blob_len = 0;
    if (!s || !id || version < 0)
        return version < 0 ? ST_NOT_FOUND : ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st;
    rc = st_stmt(c, Q_VERSION_GET, &st);
    if (rc == ST_OK) {
        int r = bind_version_get(st, id, version);
        const void *data = NULL;
        size_t len = 0;
        int64_t got = 0;
        double loss;
        rc = r == SQLITE_OK ? step_version(st, &data, &len, &got, &loss) : st_map(r);
        if (rc == ST_OK) {
            unsigned char *copy = malloc(len ? len : 1); /* malloc(0) may be NULL */
            if (copy) {
                if (len) /* an empty blob comes back as NULL */
                    memcpy(copy, data, len);
                *blob = copy;
                *blob_len = len;
                if (version_out)
                    *version_out = got;
            } else {
                rc = ST_NOMEM;
            }
        }
        st_done(st);
    }
    st_conn_put(s, c);
    return rc;
}

static st_status list_versions(st_conn *c, const char *id, st_version **out, size_t *n)
{
    sqlite3_stmt *st;
    st_status rc = st_stmt(c, Q_VERSION_LIST, &st);
    if (rc != ST_OK)
        return rc;
    st_version *vs = NULL;
    size_t count = 0, cap = 0;
    int r = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    while (r == SQLITE_OK || r == SQLITE_ROW) {
        r = sqlite3_step(st);
        if (r != SQLITE_ROW)
            break;
        if (count == cap) {
            st_version *g = st_grow(vs, &cap, sizeof *vs);
            if (!g) {
                r = SQLITE_NOMEM;
                break;
            }
            vs = g;
        }
        st_version *v = &vs[count];
        memset(v, 0, sizeof *v);
        v->version = sqlite3_column_int64(st, 0);
        rc = st_col_copy(st, 1, v->source, sizeof v->source);
        if (rc != ST_OK)
            break;
        v->created_at = sqlite3_column_double(st, 2);
        v->loss = st_col_real_or_nan(st, 3);
        count++;
    }
    st_done(st);
    if (rc == ST_OK && r != SQLITE_DONE)
        rc = st_map(r) == ST_OK ? ST_ERROR : st_map(r);
    if (rc != ST_OK) {
        free(vs);
        return rc;
    }
    *out = vs;
    *n = count;
    return ST_OK;
}

st_status storage_versions_list(storage *s, const char *id, st_version **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s || !id)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    rc = st_begin(c, 0);
    if (rc == ST_OK)
        rc = st_model_samples(c, id, NULL);
    if (rc == ST_OK)
        rc = list_versions(c, id, out, n);
    rc = st_finish(c, rc);
    if (rc != ST_OK) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    st_conn_put(s, c);
    return rc;
}

st_status storage_version_restore(storage *s, const char *id, int64_t version,
                                  int64_t *version_out)
{
    if (!s || !id)
        return ST_ERROR;
    if (version <= 0)
        return ST_NOT_FOUND;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *get = NULL;
    int64_t next = 0;
    rc = st_begin(c, 1);
    if (rc == ST_OK)
        rc = st_stmt(c, Q_VERSION_GET, &get);
    if (rc == ST_OK) {
        const void *blob = NULL;
        size_t len = 0;
        int64_t got = 0;
        double loss = NAN;
        unsigned char *copy = NULL;
        int r = bind_version_get(get, id, version);
        rc = r == SQLITE_OK ? step_version(get, &blob, &len, &got, &loss) : st_map(r);
        /* a copy: the row's own buffer may live in a page the insert moves */
        if (rc == ST_OK && !(copy = malloc(len ? len : 1)))
            rc = ST_NOMEM;
        if (rc == ST_OK && len) /* an empty blob comes back as NULL */
            memcpy(copy, blob, len);
        st_done(get);
        if (rc == ST_OK)
            rc = next_version(c, id, &next);
        if (rc == ST_OK)
            rc = insert_version(c, id, next, "restore", loss, copy, len);
        if (rc == ST_OK)
            rc = set_current(c, id, next, loss);
        free(copy);
    }
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    if (rc == ST_OK && version_out)
        *version_out = next;
    return rc;
}
