/*
 * jobs.c - read and cancel jobs; a model's jobs and its history.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/handlers.h"
#include "storage/realdata.h"
#include "jobs/jobs.h"
#include "api/jsonin.h"
#include "api/reply.h"
#include "util/states.h"

cJSON *job_to_json_live(app *a, st_job *j)
{
    job_live live;
    /* a NULL app (event streams) reads what storage holds */
    int running = a && job_status_is(j->status, JOB_RUNNING) && jobs_live(a->jobs, j->id, &live);
    if (running && live.epoch >= j->epoch) {
        j->epoch = live.epoch;
        j->loss = live.loss;
        j->val_loss = live.val_loss;
    }
    cJSON *o = job_to_json(j, NULL);
    if (!o)
        return NULL;
    double elapsed = NAN, eta = NAN;
    if (running) {
        elapsed = live.elapsed;
        eta = live.eta;
        if (live.version > 0)
            cJSON_ReplaceItemInObjectCaseSensitive(o, "version",
                                                   cJSON_CreateNumber((double)live.version));
    } else if (j->started_at > 0 && j->finished_at >= j->started_at) {
        elapsed = j->finished_at - j->started_at;
        eta = 0;
    } else if (j->started_at > 0) {
        elapsed = clock_unix() - j->started_at; /* running, just claimed */
    }
    json_add_number(o, "elapsed_seconds", elapsed);
    json_add_number(o, "eta_seconds", eta);
    if (a)
        job_add_warnings(a->st, o, j->id);
    return o;
}

void job_add_warnings(storage *st, cJSON *o, const char *job_id)
{
    char *warnings = NULL;
    if (storage_job_warnings_get(st, job_id, &warnings) == ST_OK && warnings) {
        cJSON *w = cJSON_Parse(warnings);
        if (cJSON_IsArray(w))
            cJSON_AddItemToObject(o, "warnings", w);
        else
            cJSON_Delete(w);
    }
    free(warnings);
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
    reply_json(resp, 200, job_to_json_live(a, &j));
    st_job_clear(&j);
}

/* Answer with the job as it is now: 200 once it has ended, else 202. */
static void reply_job(app *a, const char *job_id, int ended, api_response *resp)
{
    st_job j;
    memset(&j, 0, sizeof j);
    st_status s = storage_job_get(a->st, job_id, &j);
    if (s == ST_OK)
        reply_json(resp, ended ? 200 : 202, job_to_json_live(a, &j));
    else
        reply_storage_error(resp, s); /* e.g. the model was deleted meanwhile */
    st_job_clear(&j);
}

/* A wait over HTTP: the connection is parked, not a thread. */
typedef struct job_wait {
    app *a;
    char job_id[17];
    double deadline; /* clock_mono() */
} job_wait;

static int job_wait_poll(void *ctx, api_response *resp, int now)
{
    job_wait *w = ctx;
    int ended = jobs_wait_end(w->a->jobs, w->job_id, 0); /* a look, no wait */
    if (!ended && !now && clock_mono() < w->deadline)
        return 0;
    reply_job(w->a, w->job_id, ended, resp);
    return 1;
}

void job_wait_reply(app *a, const char *job_id, double deadline, api_response *resp)
{
    job_wait *w = resp->can_defer ? malloc(sizeof *w) : NULL;
    if (w) {
        w->a = a;
        memcpy(w->job_id, job_id, sizeof w->job_id);
        w->deadline = deadline;
        resp->status = 202; /* what a reply cut short would say */
        resp->deferred = (api_deferred){job_wait_poll, free, w};
        return;
    }
    reply_job(a, job_id, jobs_wait_end(a->jobs, job_id, deadline), resp);
}

/* Seconds DELETE waits for a running job to record its cancellation. */
#define CANCEL_WAIT_SECONDS 5.0

/* Seconds between two cancels told to every node for one request. */
#define CANCEL_RESPREAD_SECONDS 0.5

/* A running job was signalled: the reply waits for its end (CANCEL_WAITS). */
#define CANCEL_WAITS 1

/* Cancel a queued job directly, or signal the worker running it: ours,
 * or (running on another node) every node's through the database. Returns
 * the status to answer, CANCEL_WAITS, or 0 after replying an error. */
static int cancel(app *a, api_response *resp, st_job *j)
{
    double until = clock_mono() + CANCEL_WAIT_SECONDS;
    int spread = 0;
    double spread_at = 0;
    while (!job_ended_name(j->status)) {
        st_status s = ST_CONFLICT;
        if (job_status_is(j->status, JOB_QUEUED))
            s = storage_job_cancel_queued(a->st, j->id, clock_unix());
        else if (jobs_cancel(a->jobs, j->id))
            return CANCEL_WAITS;
        else if (job_status_is(j->status, JOB_RUNNING) &&
                 clock_mono() >= spread_at + CANCEL_RESPREAD_SECONDS) {
            /* Not one of our workers: another node's. Told again now and
             * then: a worker between its claim and its listing misses it. */
            s = storage_job_cancel_spread(a->st, j->id);
            if (s == ST_OK) {
                spread = 1;
                spread_at = clock_mono();
                s = ST_CONFLICT; /* now wait below for its end */
            }
        }
        if (s != ST_OK && s != ST_CONFLICT) {
            reply_storage_error(resp, s);
            return 0;
        }
        if (s == ST_OK)
            return 200;
        /* a worker is between claiming it and listing it: look again */
        if (clock_mono() >= until)
            return 202;
        struct timespec pause = {0, 20L * 1000 * 1000};
        nanosleep(&pause, NULL);
        char id[sizeof j->id]; /* storage_job_get clears what it fills */
        memcpy(id, j->id, sizeof id);
        st_job_clear(j);
        s = storage_job_get(a->st, id, j);
        if (s != ST_OK) {
            reply_storage_error(resp, s);
            return 0;
        }
    }
    if (spread)
        return 200; /* it ended after we told: the job as it ended */
    reply_error(resp, API_ERR_CONFLICT, NULL, "The job has already ended (%s).", j->status);
    return 0;
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
    char id[17];
    memcpy(id, j.id, sizeof id);
    int status = cancel(a, resp, &j);
    st_job_clear(&j);
    if (status == 0)
        return;
    if (status == CANCEL_WAITS) {
        job_wait_reply(a, id, clock_mono() + CANCEL_WAIT_SECONDS, resp);
        return;
    }
    s = storage_job_get(a->st, id, &j);
    if (s != ST_OK)
        reply_storage_error(resp, s);
    else
        reply_json(resp, status, job_to_json_live(a, &j));
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
        cJSON *o = job_to_json_live(a, &js[i]);
        if (o)
            cJSON_AddItemToArray(arr, o);
    }
    st_jobs_free(js, n);
    reply_json(resp, 200, root);
}

/* ,"learning_rate", and for classifiers ,"accuracy","val_accuracy" */
static void write_extra(sbuf *b, const st_epoch_extra *e)
{
    if (isfinite(e->learning_rate)) {
        sbuf_puts(b, ",\"learning_rate\":");
        sbuf_json_number(b, e->learning_rate);
    }
    if (isfinite(e->accuracy)) {
        sbuf_puts(b, ",\"accuracy\":");
        sbuf_json_number(b, e->accuracy);
        sbuf_puts(b, ",\"val_accuracy\":");
        sbuf_json_number(b, e->val_accuracy);
    }
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
    st_epoch_extra *ex = NULL;
    size_t n_ex = 0, k = 0;
    if (storage_history_extra_list(a->st, p->id, &ex, &n_ex) != ST_OK)
        n_ex = 0; /* the losses still answer */
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
        /* extras come in the same (insertion) order as the epochs */
        if (k < n_ex && ex[k].epoch == rows[i].e.epoch &&
            strcmp(ex[k].job_id, rows[i].job_id) == 0) {
            write_extra(&b, &ex[k]);
            k++;
        }
        sbuf_putc(&b, '}');
    }
    sbuf_puts(&b, "]}");
    free(rows);
    free(ex);
    reply_sbuf(resp, 200, &b);
}
