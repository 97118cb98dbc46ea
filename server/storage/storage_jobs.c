/*
 * storage_jobs.c - training jobs (their history: storage_history.c).
 *
 * "One job per model at a time" is checked and the job inserted in one
 * write transaction; the partial unique index jobs_one_active enforces it
 * again in the schema, so no path can get two.
 */
#include "storage/storage_internal.h"
#include "util/states.h"

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
static st_status read_job(const st_row *r, void *elem)
{
    st_job *j = elem;
    memset(j, 0, sizeof *j);
    st_status s = st_col_copy(r, 0, j->id, sizeof j->id);
    if (s == ST_OK)
        s = st_col_copy(r, 1, j->model_id, sizeof j->model_id);
    if (s == ST_OK)
        s = st_col_copy(r, 2, j->status, sizeof j->status);
    if (s == ST_OK)
        s = st_col_strdup(r, 3, &j->params_json);
    if (s == ST_OK)
        s = st_col_strdup(r, 4, &j->error);
    if (s == ST_OK)
        s = st_col_copy(r, 13, j->owner, sizeof j->owner);
    if (s == ST_OK)
        s = st_col_copy_or_empty(r, 14, j->stop_reason, sizeof j->stop_reason);
    if (s == ST_OK)
        s = st_col_copy_or_empty(r, 17, j->node, sizeof j->node);
    if (s != ST_OK) {
        st_job_clear(j);
        memset(j, 0, sizeof *j);
        return s;
    }
    j->epoch = st_col_int(r, 5);
    j->epochs = st_col_int(r, 6);
    j->loss = st_col_real_or_nan(r, 7);
    j->val_loss = st_col_real_or_nan(r, 8);
    j->version = st_col_int(r, 9);
    j->created_at = st_col_real(r, 10);
    j->started_at = st_col_time(r, 11);
    j->finished_at = st_col_time(r, 12);
    j->base_version = st_col_int(r, 15);
    j->attempt = st_col_int(r, 16);
    j->lease_until = st_col_time(r, 18);
    j->n_samples = st_col_int(r, 19);
    return ST_OK;
}

static st_status job_cb(st_row *r, void *arg)
{
    return read_job(r, arg);
}

static void clear_job(void *elem)
{
    st_job_clear(elem);
}

static const st_list_of job_list = {sizeof(st_job), read_job, clear_job};

static int valid_job(const st_job *j)
{
    return j && j->id[0] && j->model_id[0] && j->params_json &&
           memchr(j->owner, '\0', sizeof j->owner) &&
           memchr(j->id, '\0', sizeof j->id) && memchr(j->model_id, '\0', sizeof j->model_id) &&
           memchr(j->status, '\0', sizeof j->status);
}

static st_status none_cb(st_row *r, void *arg)
{
    (void)r;
    (void)arg;
    return ST_OK;
}

static st_status create_body(st_conn *c, void *arg)
{
    const st_job *j = arg;
    st_val m[] = {st_text(j->model_id)};
    st_status rc = st_model_samples(c, j->model_id, NULL);
    /* ST_CONFLICT when the model has a queued or running job */
    if (rc == ST_OK) {
        rc = st_query_one(c, Q_JOB_ACTIVE, m, ST_NPARAMS(m), none_cb, NULL);
        rc = rc == ST_OK ? ST_CONFLICT : rc == ST_NOT_FOUND ? ST_OK : rc;
    }
    st_val p[] = {st_text(j->id), st_text(j->model_id), st_text(j->params_json),
                  st_int(j->epoch), st_int(j->epochs), st_real_or_null(j->loss),
                  st_real_or_null(j->val_loss), st_int(j->version),
                  st_real(j->created_at > 0 ? j->created_at : st_now()),
                  st_time(j->started_at), st_time(j->finished_at), st_text(j->owner)};
    if (rc == ST_OK)
        rc = st_exec(c, Q_JOB_INSERT, p, ST_NPARAMS(p), NULL);
    return rc;
}

st_status storage_job_create(storage *s, const st_job *job)
{
    if (!s || !valid_job(job))
        return ST_ERROR;
    return st_tx(s, ST_WRITE, create_body, (void *)job);
}

/* UPDATE the job row from *job inside the caller's transaction. */
static st_status update_job(st_conn *c, const st_job *job)
{
    st_val p[] = {st_text(job->id), st_text(job->status), st_int(job->epoch),
                  st_real_or_null(job->loss), st_real_or_null(job->val_loss),
                  st_text(job->error), st_int(job->version), st_time(job->started_at),
                  st_time(job->finished_at),
                  st_text(job->stop_reason[0] ? job->stop_reason : NULL),
                  st_int(job->base_version), st_int(job->attempt)};
    return st_exec_found(c, Q_JOB_UPDATE, p, ST_NPARAMS(p));
}

static int valid_update(const st_job *job)
{
    return job && job->id[0] && memchr(job->status, '\0', sizeof job->status) &&
           memchr(job->stop_reason, '\0', sizeof job->stop_reason);
}

static st_status update_body(st_conn *c, void *arg)
{
    return update_job(c, arg);
}

st_status storage_job_update(storage *s, const st_job *job)
{
    if (!s || !valid_update(job))
        return ST_ERROR;
    return st_tx(s, ST_WRITE, update_body, (void *)job);
}

/* ---- the queue -------------------------------------------------------- */

typedef struct claim_args {
    const st_claim *c;
    st_job *out;
} claim_args;

static st_status claim_body(st_conn *c, void *arg)
{
    claim_args *a = arg;
    const st_claim *cl = a->c;
    st_job *out = a->out;
    st_job_clear(out); /* a run before this one may have read a job */
    memset(out, 0, sizeof *out);
    st_val q[] = {st_real(cl->now), st_int(cl->max_attempts)};
    st_status rc = st_query_one(c, Q_JOB_NEXT, q, ST_NPARAMS(q), job_cb, out);
    if (rc != ST_OK)
        return rc;
    st_val p[] = {st_text(out->id), st_real(cl->now), st_text(cl->node),
                  st_time(cl->lease_until)};
    rc = st_exec_found(c, Q_JOB_CLAIM, p, ST_NPARAMS(p));
    if (rc == ST_OK)
        rc = st_exec(c, Q_JOB_CLAIM_LEASE, p, ST_NPARAMS(p), NULL);
    /* the row as claimed: attempt, start and snapshot as the SQL set them */
    char id[sizeof out->id];
    memcpy(id, out->id, sizeof id);
    st_job_clear(out);
    memset(out, 0, sizeof *out);
    st_val g[] = {st_text(id)};
    if (rc == ST_OK)
        rc = st_query_one(c, Q_JOB_GET, g, ST_NPARAMS(g), job_cb, out);
    return rc;
}

st_status storage_job_claim(storage *s, const st_claim *c, st_job *out)
{
    memset(out, 0, sizeof *out);
    if (!s || !c || !c->node || c->max_attempts < 1)
        return ST_ERROR;
    /* Jobs out of attempts end first (a write of their own: the claim's
     * transaction must begin with its READ COMMITTED pick). */
    int64_t failed = 0;
    st_val f[] = {st_real(c->now), st_int(c->max_attempts)};
    st_status rc = c->lease_until > 0
                       ? st_write_count(s, Q_JOB_FAIL_EXHAUSTED, f, ST_NPARAMS(f), &failed)
                       : ST_OK;
    claim_args a = {c, out};
    if (rc == ST_OK)
        rc = st_tx(s, ST_WRITE, claim_body, &a);
    if (rc != ST_OK) {
        st_job_clear(out);
        memset(out, 0, sizeof *out);
    }
    return rc;
}

st_status storage_job_renew(storage *s, const char *job_id, int64_t attempt,
                            double lease_until)
{
    if (!s || !job_id)
        return ST_ERROR;
    int64_t changed = 0;
    st_val p[] = {st_text(job_id), st_int(attempt), st_time(lease_until)};
    st_status rc = st_write_count(s, Q_JOB_FENCE, p, ST_NPARAMS(p), &changed);
    return rc == ST_OK && changed == 0 ? ST_FENCED : rc;
}

typedef struct ckpt_out {
    int64_t epoch;
    unsigned char *state;
    size_t len;
} ckpt_out;

static st_status ckpt_cb(st_row *r, void *arg)
{
    ckpt_out *o = arg;
    size_t len = 0;
    const void *p = st_col_blob(r, 1, &len);
    if (!p || len == 0)
        return ST_CORRUPT;
    o->state = malloc(len);
    if (!o->state)
        return ST_NOMEM;
    memcpy(o->state, p, len);
    o->len = len;
    o->epoch = st_col_int(r, 0);
    return ST_OK;
}

st_status storage_job_checkpoint_get(storage *s, const char *job_id, int64_t *epoch,
                                     unsigned char **state, size_t *len)
{
    *state = NULL;
    *len = 0;
    *epoch = 0;
    if (!s || !job_id)
        return ST_ERROR;
    ckpt_out o = {0, NULL, 0};
    st_val p[] = {st_text(job_id)};
    st_status rc = st_get(s, Q_CKPT_GET, p, ST_NPARAMS(p), ckpt_cb, &o);
    if (rc != ST_OK) {
        free(o.state);
        return rc;
    }
    *state = o.state;
    *len = o.len;
    *epoch = o.epoch;
    return ST_OK;
}

st_status storage_jobs_recover(storage *s, double now, int64_t *n)
{
    if (n)
        *n = 0;
    if (!s)
        return ST_ERROR;
    st_val p[] = {st_real(now)};
    int64_t changed = 0;
    st_status rc = st_write_count(s, Q_JOB_RECOVER, p, ST_NPARAMS(p), &changed);
    if (n)
        *n = rc == ST_OK ? changed : 0;
    return rc;
}

st_status storage_job_cancel_queued(storage *s, const char *id, double now)
{
    if (!s || !id)
        return ST_ERROR;
    int64_t changed = 0;
    st_val p[] = {st_text(id), st_real(now)};
    st_status rc = st_write_count(s, Q_JOB_CANCEL_QUEUED, p, ST_NPARAMS(p), &changed);
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
    st_val p[] = {st_text(id)};
    return st_get(s, Q_JOB_GET, p, ST_NPARAMS(p), job_cb, out);
}

typedef struct list_args {
    const char *model_id;
    st_job **out;
    size_t *n;
} list_args;

static st_status list_body(st_conn *c, void *arg)
{
    list_args *a = arg;
    st_val p[] = {st_text(a->model_id)};
    st_status rc = ST_OK;
    if (a->model_id)
        rc = st_model_samples(c, a->model_id, NULL);
    if (rc == ST_OK)
        rc = st_list(c, a->model_id ? Q_JOB_LIST_MODEL : Q_JOB_LIST_ALL, p,
                     a->model_id ? 1 : 0, &job_list, (void **)a->out, a->n);
    return rc;
}

/* model_id NULL lists every job (oldest first). */
st_status storage_jobs_list(storage *s, const char *model_id, st_job **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s)
        return ST_ERROR;
    list_args a = {model_id, out, n};
    st_status rc = st_tx(s, ST_READ, list_body, &a);
    if (rc != ST_OK) {
        st_jobs_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- a job's batch ---------------------------------------------------- */

typedef struct progress_args {
    st_job *job;
    const st_epoch *epochs;
    size_t n;
    const st_publish *pub;
    const st_checkpoint *ck;
    int64_t old_version, v;
} progress_args;

static st_status progress_body(st_conn *c, void *arg)
{
    progress_args *a = arg;
    st_job *job = a->job;
    job->version = a->old_version;
    a->v = 0;
    st_status rc = st_model_samples(c, job->model_id, NULL);
    /* the fence first: a run whose lease passed to another attempt
     * writes nothing */
    int64_t ours = 0;
    st_val f[] = {st_text(job->id), st_int(job->attempt), st_time(job->lease_until)};
    if (rc == ST_OK)
        rc = st_exec(c, Q_JOB_FENCE, f, ST_NPARAMS(f), &ours);
    if (rc == ST_OK && ours == 0)
        rc = ST_FENCED;
    if (rc == ST_OK)
        rc = st_history_write(c, job->model_id, job->id, a->epochs, a->n);
    st_val k[] = {st_text(job->id), st_int(job->attempt), st_int(a->ck ? a->ck->epoch : 0),
                  st_blob(a->ck ? a->ck->state : NULL, a->ck ? a->ck->len : 0)};
    if (rc == ST_OK && a->ck)
        rc = st_exec(c, Q_CKPT_PUT, k, ST_NPARAMS(k), NULL);
    if (rc == ST_OK && job_ended_name(job->status))
        rc = st_exec(c, Q_CKPT_DELETE, k, 1, NULL);
    if (rc == ST_OK && a->pub)
        rc = st_publish_version(c, job->model_id, a->pub->source, a->pub->loss, a->pub->blob,
                                a->pub->blob_len, &a->v);
    if (rc == ST_OK && a->pub && a->pub->is_result)
        job->version = a->v;
    if (rc == ST_OK)
        rc = update_job(c, job);
    return rc;
}

st_status storage_job_progress(storage *s, st_job *job, const st_epoch *epochs, size_t n,
                               const st_publish *pub, const st_checkpoint *ck,
                               int64_t *version)
{
    if (!s || !valid_update(job) || (n && !epochs) ||
        (pub && (!pub->source || !pub->blob || !pub->blob_len)) ||
        (ck && (!ck->state || !ck->len)))
        return ST_ERROR;
    progress_args a = {job, epochs, n, pub, ck, job->version, 0};
    st_status rc = st_tx(s, ST_WRITE, progress_body, &a);
    if (rc != ST_OK)
        job->version = a.old_version;
    else if (version)
        *version = a.v;
    return rc;
}
