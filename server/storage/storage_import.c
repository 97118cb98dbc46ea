/*
 * storage_import.c - create a whole model (versions, samples, jobs,
 * history) in one write transaction, for POST /v1/models/import.
 *
 * Samples go in as one batch row (first = 0), as if posted at once.
 */
#include "storage/storage_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"

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

static st_status write_model(st_conn *c, const st_import *m)
{
    st_val p[] = {st_text(m->id), st_text(m->name), st_text(m->spec_json), st_int(m->version),
                  st_int((int64_t)m->n_samples), st_real_or_null(m->last_loss),
                  st_real(st_now())};
    return st_exec(c, Q_IMPORT_MODEL, p, ST_NPARAMS(p), NULL);
}

static st_status write_version(st_conn *c, const char *id, const st_import_version *v)
{
    st_val p[] = {st_text(id), st_int(v->version), st_text(v->source),
                  st_real(v->created_at > 0 ? v->created_at : st_now()),
                  st_real_or_null(v->loss), st_blob(v->blob, v->blob_len),
                  st_int(mlp_crc32(v->blob, v->blob_len))};
    return st_exec(c, Q_VERSION_INSERT, p, ST_NPARAMS(p), NULL);
}

static st_status write_job(st_conn *c, const char *id, const st_job *j)
{
    st_val p[] = {st_text(j->id), st_text(id), st_text(j->status), st_text(j->params_json),
                  st_text(j->error), st_int(j->epoch), st_int(j->epochs),
                  st_real_or_null(j->loss), st_real_or_null(j->val_loss), st_int(j->version),
                  st_real(j->created_at > 0 ? j->created_at : st_now()),
                  st_time(j->started_at), st_time(j->finished_at)};
    return st_exec(c, Q_IMPORT_JOB, p, ST_NPARAMS(p), NULL);
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

static st_status write_samples(st_conn *c, const st_import *m)
{
    const unsigned char *xb = NULL, *yb = NULL;
    unsigned char *xown = NULL, *yown = NULL;
    st_status s = st_to_le(m->x, m->n_samples * m->n_in, &xb, &xown);
    if (s == ST_OK)
        s = st_to_le(m->y, m->n_samples * m->n_out, &yb, &yown);
    st_val p[] = {st_text(m->id), st_int(0), st_int((int64_t)m->n_samples),
                  st_blob(xb, m->n_samples * m->n_in * 8), st_blob(yb, m->n_samples * m->n_out * 8)};
    if (s == ST_OK)
        s = st_exec(c, Q_SAMPLES_INSERT, p, ST_NPARAMS(p), NULL);
    free(xown);
    free(yown);
    return s;
}

static st_status write_all(st_conn *c, void *arg)
{
    const st_import *m = arg;
    st_status s = write_model(c, m);
    for (size_t i = 0; s == ST_OK && i < m->n_versions; i++)
        s = write_version(c, m->id, &m->versions[i]);
    if (s == ST_OK && m->n_samples)
        s = write_samples(c, m);
    for (size_t i = 0; s == ST_OK && i < m->n_jobs; i++)
        s = write_job(c, m->id, &m->jobs[i]);
    if (s == ST_OK)
        s = write_history(c, m);
    return s;
}

st_status storage_model_import(storage *s, const st_import *m)
{
    if (!s || !m || !import_valid(m))
        return ST_ERROR;
    return st_tx(s, ST_WRITE, write_all, (void *)m);
}
