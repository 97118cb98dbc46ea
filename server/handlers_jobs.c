/*
 * handlers_jobs.c - read and cancel jobs; a model's jobs and its history.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handlers.h"
#include "reply.h"

static int job_finished(const st_job *j)
{
    return strcmp(j->status, "succeeded") == 0 || strcmp(j->status, "failed") == 0 ||
           strcmp(j->status, "cancelled") == 0;
}

void h_job_get(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    (void)req;
    st_job j;
    memset(&j, 0, sizeof j);
    st_status s = storage_job_get(a->st, p->id, &j);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        return;
    }
    /* A deleted model's jobs are gone too, whatever storage kept. */
    if (model_exists_or_reply(a, resp, j.model_id) != 0) {
        st_job_clear(&j);
        return;
    }
    reply_json(resp, 200, job_to_json(&j, NULL));
    st_job_clear(&j);
}

/* Raise the cancel flag of a job trained by some thread; 1 if found. */
static int signal_cancel(app *a, const char *id)
{
    int found = 0;
    pthread_mutex_lock(&a->jobs_mu);
    for (running_job *r = a->running; r; r = r->next) {
        if (strcmp(r->id, id) == 0) {
            atomic_store(&r->cancel, 1);
            found = 1;
        }
    }
    pthread_mutex_unlock(&a->jobs_mu);
    return found;
}

void h_job_cancel(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    (void)req;
    st_job j;
    memset(&j, 0, sizeof j);
    st_status s = storage_job_get(a->st, p->id, &j);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        return;
    }
    if (job_finished(&j)) {
        reply_error(resp, API_ERR_CONFLICT, NULL, "The job has already ended (%s).", j.status);
        st_job_clear(&j);
        return;
    }
    if (signal_cancel(a, j.id)) {
        /* The training thread records "cancelled" when it notices. */
        reply_json(resp, 202, job_to_json(&j, NULL));
        st_job_clear(&j);
        return;
    }
    /* Nobody runs it (queued, or left over from a stopped daemon). */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    strcpy(j.status, "cancelled");
    j.finished_at = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    s = storage_job_update(a->st, &j);
    if (s != ST_OK)
        reply_storage_error(resp, s);
    else
        reply_json(resp, 200, job_to_json(&j, "cancelled"));
    st_job_clear(&j);
}

void h_jobs_list(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    (void)req;
    if (model_exists_or_reply(a, resp, p->id) != 0)
        return;
    st_job *js = NULL;
    size_t n = 0;
    st_status s = storage_jobs_list(a->st, p->id, &js, &n);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        return;
    }
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = root ? cJSON_AddArrayToObject(root, "jobs") : NULL;
    for (size_t i = 0; arr && i < n; i++) {
        cJSON *o = job_to_json(&js[i], NULL);
        if (o)
            cJSON_AddItemToArray(arr, o);
    }
    st_jobs_free(js, n);
    reply_json(resp, 200, root);
}

void h_history(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    (void)req;
    if (model_exists_or_reply(a, resp, p->id) != 0)
        return;
    st_history_row *rows = NULL;
    size_t n = 0;
    st_status s = storage_history_list(a->st, p->id, &rows, &n);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        return;
    }
    sbuf b;
    sbuf_init(&b);
    sbuf_puts(&b, "{\"history\":[");
    for (size_t i = 0; i < n; i++) {
        char t[32];
        format_time(t, rows[i].e.time);
        sbuf_puts(&b, i ? ",{\"job_id\":" : "{\"job_id\":");
        sbuf_json_string(&b, rows[i].job_id);
        sbuf_puts(&b, ",\"epoch\":");
        sbuf_json_int(&b, rows[i].e.epoch);
        sbuf_puts(&b, ",\"loss\":");
        sbuf_json_number(&b, rows[i].e.loss);
        sbuf_puts(&b, ",\"val_loss\":");
        sbuf_json_number(&b, rows[i].e.val_loss);
        sbuf_puts(&b, ",\"time\":");
        sbuf_json_string(&b, t);
        sbuf_putc(&b, '}');
    }
    sbuf_puts(&b, "]}");
    free(rows);
    reply_sbuf(resp, 200, &b);
}
