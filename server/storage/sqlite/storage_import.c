/*
 * storage_import.c - create a whole model (versions, samples, jobs,
 * history) in one write transaction, for POST /v1/models/import.
 *
 * The statements are prepared for the one call and finalized after it
 * rather than cached per connection: an import is rare, and keeping them
 * here leaves the shared statement table alone. Still only ?N parameters.
 * Samples go in as one batch row (first = 0), as if posted at once.
 */
#include "storage/storage_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"

enum {
    I_MODEL,
    I_VERSION,
    I_SAMPLES,
    I_JOB,
    I_N
};

static const char *const import_sql[I_N] = {
    [I_MODEL] = "INSERT INTO models (id, name, spec_json, version, samples, last_loss, "
                "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    [I_VERSION] = "INSERT INTO versions (model_id, version, source, created_at, loss, blob, "
                  "crc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [I_SAMPLES] = "INSERT INTO samples (model_id, first, n, x, y) VALUES (?1, 0, ?2, ?3, ?4)",
    [I_JOB] = "INSERT INTO jobs (id, model_id, status, params_json, error, epoch, epochs, "
              "loss, val_loss, version, created_at, started_at, finished_at) VALUES "
              "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
};

static int terminal_status(const char *s)
{
    return strcmp(s, "succeeded") == 0 || strcmp(s, "failed") == 0 ||
           strcmp(s, "cancelled") == 0;
}

/* The rules of storage.h that SQLite's constraints would not all catch. */
static int import_valid(const st_import *m)
{
    if (!m->id || !m->name || !m->spec_json || !m->versions || m->n_versions == 0 ||
        !m->n_in || !m->n_out || (m->n_samples && (!m->x || !m->y)) ||
        (m->n_jobs && !m->jobs) || (m->n_history && !m->history))
        return 0;
    int has_current = 0;
    for (size_t i = 0; i < m->n_versions; i++) {
        const st_import_version *v = &m->versions[i];
        if (v->version < 1 || (i && v->version <= m->versions[i - 1].version) ||
            !v->source || !v->blob || !v->blob_len)
            return 0;
        has_current |= v->version == m->version;
    }
    for (size_t i = 0; i < m->n_jobs; i++)
        if (!terminal_status(m->jobs[i].status) || !m->jobs[i].params_json)
            return 0;
    if (m->n_samples > INT64_MAX / 2 || (m->n_samples && (m->n_samples > SIZE_MAX / 8 / m->n_in ||
                                                        m->n_samples > SIZE_MAX / 8 / m->n_out)))
        return 0;
    return has_current;
}

static int bind_model(sqlite3_stmt *st, const st_import *m)
{
    double now = st_now();
    int rc = sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 3, m->spec_json, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 4, m->version);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 5, (int64_t)m->n_samples);
    if (rc == SQLITE_OK)
        rc = st_bind_real_or_null(st, 6, m->last_loss);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_double(st, 7, now);
    return rc;
}

static int bind_version(sqlite3_stmt *st, const char *id, const st_import_version *v)
{
    int rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 2, v->version);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 3, v->source, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_double(st, 4, v->created_at > 0 ? v->created_at : st_now());
    if (rc == SQLITE_OK)
        rc = st_bind_real_or_null(st, 5, v->loss);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_blob64(st, 6, v->blob, v->blob_len, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 7, mlp_crc32(v->blob, v->blob_len));
    return rc;
}

static int bind_job(sqlite3_stmt *st, const char *id, const st_job *j)
{
    int rc = sqlite3_bind_text(st, 1, j->id, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 3, j->status, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 4, j->params_json, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = st_bind_text(st, 5, j->error);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 6, j->epoch);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 7, j->epochs);
    if (rc == SQLITE_OK)
        rc = st_bind_real_or_null(st, 8, j->loss);
    if (rc == SQLITE_OK)
        rc = st_bind_real_or_null(st, 9, j->val_loss);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 10, j->version);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_double(st, 11, j->created_at > 0 ? j->created_at : st_now());
    if (rc == SQLITE_OK)
        rc = st_bind_time(st, 12, j->started_at);
    if (rc == SQLITE_OK)
        rc = st_bind_time(st, 13, j->finished_at);
    return rc;
}

/* The history as chunks, one per run of rows of the same job (rows
 * without a time get now, as rows of a live job would). */
static st_status write_history(st_conn *c, const st_import *m)
{
    if (m->n_history == 0)
        return ST_OK;
    st_epoch *rows = malloc(m->n_history * sizeof *rows);
    if (!rows)
        return ST_NOMEM;
    st_status s = ST_OK;
    size_t start = 0;
    for (size_t i = 0; s == ST_OK && i < m->n_history; i++) {
        const st_history_row *h = &m->history[i];
        rows[i - start] = h->e;
        if (!(h->e.time > 0))
            rows[i - start].time = st_now();
        int last = i + 1 == m->n_history || strcmp(m->history[i + 1].job_id, h->job_id) != 0;
        if (last) {
            s = st_history_write(c, m->id, h->job_id, rows, i + 1 - start);
            start = i + 1;
        }
    }
    free(rows);
    return s;
}

/* Bind with rc (a SQLite code from the binders), step, reset. */
static st_status run(sqlite3_stmt *st, int rc)
{
    if (rc != SQLITE_OK) {
        st_done(st);
        return st_map(rc);
    }
    return st_exec(st);
}

static st_status write_samples(sqlite3_stmt *st, const st_import *m)
{
    const unsigned char *xb = NULL, *yb = NULL;
    unsigned char *xown = NULL, *yown = NULL;
    st_status s = st_to_le(m->x, m->n_samples * m->n_in, &xb, &xown);
    if (s == ST_OK)
        s = st_to_le(m->y, m->n_samples * m->n_out, &yb, &yown);
    if (s == ST_OK) {
        int rc = sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(st, 2, (int64_t)m->n_samples);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_blob64(st, 3, xb, m->n_samples * m->n_in * 8, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_blob64(st, 4, yb, m->n_samples * m->n_out * 8, SQLITE_STATIC);
        s = run(st, rc);
    }
    free(xown);
    free(yown);
    return s;
}

static st_status write_all(st_conn *c, sqlite3_stmt **st, const st_import *m)
{
    st_status s = ST_OK;
    for (int i = 0; s == ST_OK && i < I_N; i++) {
        int rc = sqlite3_prepare_v2(c->db, import_sql[i], -1, &st[i], NULL);
        if (rc != SQLITE_OK)
            s = st_map(rc) == ST_OK ? ST_ERROR : st_map(rc);
    }
    if (s == ST_OK)
        s = run(st[I_MODEL], bind_model(st[I_MODEL], m));
    for (size_t i = 0; s == ST_OK && i < m->n_versions; i++)
        s = run(st[I_VERSION], bind_version(st[I_VERSION], m->id, &m->versions[i]));
    if (s == ST_OK && m->n_samples)
        s = write_samples(st[I_SAMPLES], m);
    for (size_t i = 0; s == ST_OK && i < m->n_jobs; i++)
        s = run(st[I_JOB], bind_job(st[I_JOB], m->id, &m->jobs[i]));
    if (s == ST_OK)
        s = write_history(c, m);
    return s;
}

st_status storage_model_import(storage *s, const st_import *m)
{
    if (!s || !m || !import_valid(m))
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st[I_N] = {NULL};
    rc = st_begin(c, 1);
    if (rc == ST_OK)
        rc = write_all(c, st, m);
    /* finalized before COMMIT so no statement holds the transaction open */
    for (int i = 0; i < I_N; i++)
        sqlite3_finalize(st[i]);
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    return rc;
}
