/*
 * storage_jobs.c - training jobs (their history: storage_history.c).
 *
 * "One job per model at a time" is checked and the job inserted in one
 * BEGIN IMMEDIATE transaction; the partial unique index jobs_one_active
 * enforces it again in the schema, so no path can get two.
 */
#include "storage/storage_internal.h"

#include <stdlib.h>
#include <string.h>

void st_job_clear(st_job *j)
{
    if (!j)
        return;
    free(j->params_json);
    free(j->error);
    j->params_json = NULL;
    j->error = NULL;
}

void st_jobs_free(st_job *js, size_t n)
{
    if (!js)
        return;
    for (size_t i = 0; i < n; i++)
        st_job_clear(&js[i]);
    free(js);
}

/* Fill j from a row of JOB_COLUMNS; on failure j holds nothing. */
static st_status read_job(sqlite3_stmt *st, st_job *j)
{
    memset(j, 0, sizeof *j);
    st_status s = st_col_copy(st, 0, j->id, sizeof j->id);
    if (s == ST_OK)
        s = st_col_copy(st, 1, j->model_id, sizeof j->model_id);
    if (s == ST_OK)
        s = st_col_copy(st, 2, j->status, sizeof j->status);
    if (s == ST_OK)
        s = st_col_strdup(st, 3, &j->params_json);
    if (s == ST_OK)
        s = st_col_strdup(st, 4, &j->error);
    if (s != ST_OK) {
        st_job_clear(j);
        return s;
    }
    j->epoch = sqlite3_column_int64(st, 5);
    j->epochs = sqlite3_column_int64(st, 6);
    j->loss = st_col_real_or_nan(st, 7);
    j->val_loss = st_col_real_or_nan(st, 8);
    j->version = sqlite3_column_int64(st, 9);
    j->created_at = sqlite3_column_double(st, 10);
    j->started_at = st_col_time(st, 11);
    j->finished_at = st_col_time(st, 12);
    char reason[sizeof j->stop_reason] = "";
    st_status r = st_col_copy(st, 13, j->owner, sizeof j->owner);
    if (r == ST_OK && sqlite3_column_type(st, 14) != SQLITE_NULL)
        r = st_col_copy(st, 14, reason, sizeof reason);
    if (r != ST_OK) {
        st_job_clear(j);
        return r;
    }
    memcpy(j->stop_reason, reason, sizeof reason);
    j->base_version = sqlite3_column_int64(st, 15);
    return ST_OK;
}

/* ST_CONFLICT when the model has a queued or running job. */
static st_status check_no_active(st_conn *c, const char *model_id)
{
    sqlite3_stmt *st;
    st_status s = st_stmt(c, Q_JOB_ACTIVE, &st);
    if (s != ST_OK)
        return s;
    int r = sqlite3_bind_text(st, 1, model_id, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_step(st);
    s = r == SQLITE_ROW ? ST_CONFLICT : r == SQLITE_DONE ? ST_OK : st_map(r);
    st_done(st);
    return s;
}

static st_status insert_job(st_conn *c, const st_job *j)
{
    sqlite3_stmt *st;
    st_status s = st_stmt(c, Q_JOB_INSERT, &st);
    if (s != ST_OK)
        return s;
    int r = sqlite3_bind_text(st, 1, j->id, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_text(st, 2, j->model_id, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_text(st, 3, j->params_json, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_int64(st, 4, j->epoch);
    if (r == SQLITE_OK)
        r = sqlite3_bind_int64(st, 5, j->epochs);
    if (r == SQLITE_OK)
        r = st_bind_real_or_null(st, 6, j->loss);
    if (r == SQLITE_OK)
        r = st_bind_real_or_null(st, 7, j->val_loss);
    if (r == SQLITE_OK)
        r = sqlite3_bind_int64(st, 8, j->version);
    if (r == SQLITE_OK)
        r = sqlite3_bind_double(st, 9, j->created_at > 0 ? j->created_at : st_now());
    if (r == SQLITE_OK)
        r = st_bind_time(st, 10, j->started_at);
    if (r == SQLITE_OK)
        r = st_bind_time(st, 11, j->finished_at);
    if (r == SQLITE_OK)
        r = sqlite3_bind_text(st, 12, j->owner, -1, SQLITE_STATIC);
    if (r != SQLITE_OK) {
        st_done(st);
        return st_map(r);
    }
    return st_exec(st);
}

static int valid_job(const st_job *j)
{
    return j && j->id[0] && j->model_id[0] && j->params_json &&
           memchr(j->owner, '\0', sizeof j->owner) &&
           memchr(j->id, '\0', sizeof j->id) && memchr(j->model_id, '\0', sizeof j->model_id) &&
           memchr(j->status, '\0', sizeof j->status);
}

st_status storage_job_create(storage *s, const st_job *job)
{
    if (!s || !valid_job(job))
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    rc = st_begin(c, 1);
    if (rc == ST_OK)
        rc = st_model_samples(c, job->model_id, NULL);
    if (rc == ST_OK)
        rc = check_no_active(c, job->model_id);
    if (rc == ST_OK)
        rc = insert_job(c, job);
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    return rc;
}

/* UPDATE the job row from *job inside the caller's transaction. */
static st_status update_job(st_conn *c, const st_job *job)
{
    sqlite3_stmt *st = NULL;
    st_status rc = st_stmt(c, Q_JOB_UPDATE, &st);
    if (rc != ST_OK)
        return rc;
    int r = sqlite3_bind_text(st, 1, job->id, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_text(st, 2, job->status, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_int64(st, 3, job->epoch);
    if (r == SQLITE_OK)
        r = st_bind_real_or_null(st, 4, job->loss);
    if (r == SQLITE_OK)
        r = st_bind_real_or_null(st, 5, job->val_loss);
    if (r == SQLITE_OK)
        r = st_bind_text(st, 6, job->error);
    if (r == SQLITE_OK)
        r = sqlite3_bind_int64(st, 7, job->version);
    if (r == SQLITE_OK)
        r = st_bind_time(st, 8, job->started_at);
    if (r == SQLITE_OK)
        r = st_bind_time(st, 9, job->finished_at);
    if (r == SQLITE_OK)
        r = st_bind_text(st, 10, job->stop_reason[0] ? job->stop_reason : NULL);
    if (r == SQLITE_OK)
        r = sqlite3_bind_int64(st, 11, job->base_version);
    rc = r == SQLITE_OK ? st_exec(st) : st_map(r);
    st_done(st);
    if (rc == ST_OK && sqlite3_changes(c->db) == 0)
        rc = ST_NOT_FOUND;
    return rc;
}

static int valid_update(const st_job *job)
{
    return job && job->id[0] && memchr(job->status, '\0', sizeof job->status) &&
           memchr(job->stop_reason, '\0', sizeof job->stop_reason);
}

st_status storage_job_update(storage *s, const st_job *job)
{
    if (!s || !valid_update(job))
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    rc = st_begin(c, 1);
    if (rc == ST_OK)
        rc = update_job(c, job);
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    return rc;
}

/* ---- the queue -------------------------------------------------------- */

static st_status claim_next(st_conn *c, double now, st_job *out)
{
    sqlite3_stmt *st;
    st_status rc = st_stmt(c, Q_JOB_NEXT, &st);
    if (rc != ST_OK)
        return rc;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        rc = read_job(st, out);
    else
        rc = r == SQLITE_DONE ? ST_NOT_FOUND : st_map(r);
    st_done(st);
    if (rc != ST_OK)
        return rc;
    rc = st_stmt(c, Q_JOB_CLAIM, &st);
    if (rc == ST_OK) {
        r = sqlite3_bind_text(st, 1, out->id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_double(st, 2, now);
        rc = r == SQLITE_OK ? st_exec(st) : st_map(r);
        st_done(st);
    }
    if (rc == ST_OK) {
        strcpy(out->status, "running");
        out->started_at = now;
    } else {
        st_job_clear(out);
    }
    return rc;
}

st_status storage_job_claim(storage *s, double now, st_job *out)
{
    memset(out, 0, sizeof *out);
    if (!s)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    rc = st_begin(c, 1);
    if (rc == ST_OK)
        rc = claim_next(c, now, out);
    if (rc == ST_NOT_FOUND) {
        st_rollback(c);
    } else {
        rc = st_finish(c, rc);
        if (rc != ST_OK)
            st_job_clear(out);
    }
    st_conn_put(s, c);
    return rc;
}

/* One UPDATE of the queue statements in its own transaction; *changed
 * (may be NULL) gets the rows it changed. */
static st_status queue_update(storage *s, st_stmt_id q, const char *id, double now,
                              int64_t *changed)
{
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = st_begin(c, 1);
    if (rc == ST_OK)
        rc = st_stmt(c, q, &st);
    if (rc == ST_OK) {
        int r = id ? sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) : SQLITE_OK;
        if (r == SQLITE_OK)
            r = sqlite3_bind_double(st, id ? 2 : 1, now);
        rc = r == SQLITE_OK ? st_exec(st) : st_map(r);
        st_done(st);
        if (rc == ST_OK && changed)
            *changed = sqlite3_changes(c->db);
    }
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    return rc;
}

st_status storage_jobs_recover(storage *s, double now, int64_t *n)
{
    int64_t changed = 0;
    st_status rc = s ? queue_update(s, Q_JOB_RECOVER, NULL, now, &changed) : ST_ERROR;
    if (n)
        *n = rc == ST_OK ? changed : 0;
    return rc;
}

st_status storage_job_cancel_queued(storage *s, const char *id, double now)
{
    if (!s || !id)
        return ST_ERROR;
    int64_t changed = 0;
    st_status rc = queue_update(s, Q_JOB_CANCEL_QUEUED, id, now, &changed);
    if (rc != ST_OK || changed)
        return rc;
    st_job j;
    rc = storage_job_get(s, id, &j);
    st_job_clear(&j);
    return rc == ST_OK ? ST_CONFLICT : rc;
}

st_status storage_job_get(storage *s, const char *id, st_job *out)
{
    memset(out, 0, sizeof *out);
    if (!s || !id)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st;
    rc = st_stmt(c, Q_JOB_GET, &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_step(st);
        if (r == SQLITE_ROW)
            rc = read_job(st, out);
        else
            rc = r == SQLITE_DONE ? ST_NOT_FOUND : st_map(r);
        st_done(st);
    }
    st_conn_put(s, c);
    return rc;
}

static st_status list_jobs(st_conn *c, const char *model_id, st_job **out, size_t *n)
{
    sqlite3_stmt *st;
    st_status rc = st_stmt(c, model_id ? Q_JOB_LIST_MODEL : Q_JOB_LIST_ALL, &st);
    if (rc != ST_OK)
        return rc;
    st_job *js = NULL;
    size_t count = 0, cap = 0;
    int r = model_id ? sqlite3_bind_text(st, 1, model_id, -1, SQLITE_STATIC) : SQLITE_OK;
    while (r == SQLITE_OK) {
        r = sqlite3_step(st);
        if (r != SQLITE_ROW)
            break;
        r = SQLITE_OK;
        if (count == cap) {
            st_job *g = st_grow(js, &cap, sizeof *js);
            if (!g) {
                rc = ST_NOMEM;
                break;
            }
            js = g;
        }
        rc = read_job(st, &js[count]);
        if (rc != ST_OK)
            break;
        count++;
    }
    st_done(st);
    if (rc == ST_OK && r != SQLITE_DONE)
        rc = st_map(r) == ST_OK ? ST_ERROR : st_map(r);
    if (rc != ST_OK) {
        st_jobs_free(js, count);
        return rc;
    }
    *out = js;
    *n = count;
    return ST_OK;
}

/* model_id NULL lists every job (oldest first). */
st_status storage_jobs_list(storage *s, const char *model_id, st_job **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    st_job *js = NULL;
    size_t count = 0;
    rc = st_begin(c, 0);
    if (rc == ST_OK && model_id)
        rc = st_model_samples(c, model_id, NULL);
    if (rc == ST_OK)
        rc = list_jobs(c, model_id, &js, &count);
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    if (rc != ST_OK) {
        st_jobs_free(js, count);
        return rc;
    }
    *out = js;
    *n = count;
    return ST_OK;
}

/* ---- a job's batch ---------------------------------------------------- */

st_status storage_job_progress(storage *s, st_job *job, const st_epoch *epochs, size_t n,
                               const st_publish *pub, int64_t *version)
{
    if (!s || !valid_update(job) || (n && !epochs) ||
        (pub && (!pub->source || !pub->blob || !pub->blob_len)))
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    int64_t v = 0, old_version = job->version;
    rc = st_begin(c, 1);
    if (rc == ST_OK)
        rc = st_model_samples(c, job->model_id, NULL);
    if (rc == ST_OK)
        rc = st_history_write(c, job->model_id, job->id, epochs, n);
    if (rc == ST_OK && pub)
        rc = st_publish_version(c, job->model_id, pub->source, pub->loss, pub->blob,
                                pub->blob_len, &v);
    if (rc == ST_OK && pub && pub->is_result)
        job->version = v;
    if (rc == ST_OK)
        rc = update_job(c, job);
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    if (rc != ST_OK)
        job->version = old_version;
    else if (version)
        *version = v;
    return rc;
}
