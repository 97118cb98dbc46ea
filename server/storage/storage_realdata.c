/*
 * storage_realdata.c - spec replacement, job warnings and history extras
 * (see storage/realdata.h; tables of schema/sqlite/0007_realdata.sql).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "storage/realdata.h"
#include "storage/storage_internal.h"

st_status storage_model_replace_spec(storage *s, const char *id, const char *old_spec,
                                     const char *new_spec)
{
    if (!s || !id || !old_spec || !new_spec)
        return ST_ERROR;
    st_val p[] = {st_text(id), st_text(old_spec), st_text(new_spec)};
    st_status rc = st_write1(s, Q_MODEL_REPLACE_SPEC, p, ST_NPARAMS(p), 1);
    return rc == ST_NOT_FOUND ? ST_CONFLICT : rc;
}

st_status storage_job_warnings_set(storage *s, const char *job_id, const char *json)
{
    if (!s || !job_id || !json)
        return ST_ERROR;
    st_val p[] = {st_text(job_id), st_text(json)};
    return st_write1(s, Q_JOB_WARNINGS_SET, p, ST_NPARAMS(p), 0);
}

static st_status warnings_cb(st_row *r, void *arg)
{
    char **json = arg;
    const char *t = st_col_text(r, 0, NULL);
    if (t && !(*json = strdup(t)))
        return ST_NOMEM;
    return ST_OK;
}

st_status storage_job_warnings_get(storage *s, const char *job_id, char **json)
{
    *json = NULL;
    if (!s || !job_id)
        return ST_ERROR;
    st_val p[] = {st_text(job_id)};
    st_status rc = st_get(s, Q_JOB_WARNINGS_GET, p, ST_NPARAMS(p), warnings_cb, json);
    return rc == ST_NOT_FOUND ? ST_OK : rc; /* no row: no warnings */
}

typedef struct extra_args {
    const char *model_id, *job_id;
    const st_epoch_extra *rows;
    size_t n;
} extra_args;

static st_status extra_body(st_conn *c, void *arg)
{
    const extra_args *a = arg;
    st_status rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i < a->n; i++) {
        const st_epoch_extra *e = &a->rows[i];
        st_val p[] = {st_text(a->model_id), st_text(a->job_id), st_int(e->epoch),
                      st_real_or_null(e->learning_rate), st_real_or_null(e->accuracy),
                      st_real_or_null(e->val_accuracy)};
        rc = st_exec(c, Q_HISTORY_EXTRA_INSERT, p, ST_NPARAMS(p), NULL);
    }
    return rc;
}

st_status storage_history_extra_append(storage *s, const char *model_id, const char *job_id,
                                       const st_epoch_extra *rows, size_t n)
{
    if (!s || !model_id || !job_id || (n && !rows))
        return ST_ERROR;
    if (n == 0)
        return ST_OK;
    extra_args a = {model_id, job_id, rows, n};
    return st_tx(s, ST_WRITE, extra_body, &a);
}

static st_status read_extra(const st_row *r, void *elem)
{
    st_epoch_extra *e = elem;
    memset(e, 0, sizeof *e);
    size_t len = 0;
    const char *job = st_col_text(r, 0, &len);
    if (job)
        memcpy(e->job_id, job, len < sizeof e->job_id ? len : sizeof e->job_id - 1);
    e->epoch = st_col_int(r, 1);
    e->learning_rate = st_col_real_or_nan(r, 2);
    e->accuracy = st_col_real_or_nan(r, 3);
    e->val_accuracy = st_col_real_or_nan(r, 4);
    return ST_OK;
}

static const st_list_of extra_list = {sizeof(st_epoch_extra), read_extra, NULL};

st_status storage_history_extra_list(storage *s, const char *model_id, st_epoch_extra **out,
                                     size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s || !model_id)
        return ST_ERROR;
    st_val p[] = {st_text(model_id)};
    return st_get_list(s, Q_HISTORY_EXTRA_LIST, p, ST_NPARAMS(p), &extra_list, (void **)out, n);
}
