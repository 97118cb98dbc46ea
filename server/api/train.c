/*
 * train.c - POST /v1/models/{id}/train: check the parameters,
 * queue a job (409 if the model has one queued or running) and answer 202
 * with it; the workers (jobs/) run it. ?wait=true answers when the job
 * ends, at most the job's max_seconds plus a margin after the request,
 * with 200 and the ended job (or 202 with it still going): over HTTP the
 * connection is parked meanwhile (api_deferred), holding no thread.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "jobs/jobs.h"
#include "api/jsonin.h"
#include "api/quota_check.h"
#include "api/reply.h"
#include "domain/train_params.h"
#include "util/states.h"

/* Seconds a ?wait=true request waits beyond the job's max_seconds (for
 * its queueing, set-up and final write). */
#define WAIT_MARGIN_SECONDS 30.0

/* ---- the request body ------------------------------------------------ */

typedef train_params train_req;

static int train_body_or_reply(app *a, api_response *resp, const cJSON *b, train_req *t)
{
    json_err e;
    train_limits lim = {a->cfg->max_epochs, a->cfg->max_train_seconds};
    if (train_params_read(&e, b, &lim, t) == 0)
        return 0;
    reply_json_err(resp, &e);
    return -1;
}

/* 0 if the model exists and has samples, else -1 after replying. */
static int samples_or_reply(app *a, api_response *resp, const char *id)
{
    st_model m;
    mlp_spec spec;
    model_init init;
    if (model_get_or_reply(a, resp, id, &m, &spec, &init) != 0)
        return -1;
    int64_t samples = m.samples;
    st_model_clear(&m);
    if (samples == 0) {
        reply_error(resp, API_ERR_NO_SAMPLES, NULL, NULL);
        return -1;
    }
    return 0;
}

static int wait_or_reply(const api_request *req, api_response *resp, int *wait)
{
    const char *w = api_query(req, "wait");
    /* "?wait" alone counts as true */
    *wait = w && (strcmp(w, "true") == 0 || strcmp(w, "1") == 0 || w[0] == '\0');
    if (w && !*wait && strcmp(w, "false") != 0 && strcmp(w, "0") != 0) {
        reply_error(resp, API_ERR_INVALID_QUERY, "wait", "wait must be true or false.");
        return -1;
    }
    return 0;
}

/* Insert the job row; 0, or -1 after replying (409 when the model has
 * a job queued or running). */
static int queue_or_reply(app *a, const api_request *req, api_response *resp,
                          const char *model_id, const train_req *t, st_job *j)
{
    if (storage_new_id(j->id) != 0 || !(j->params_json = train_params_json(t))) {
        reply_error(resp, API_ERR_INTERNAL, NULL, NULL);
        return -1;
    }
    snprintf(j->model_id, sizeof j->model_id, "%.16s", model_id);
    snprintf(j->status, sizeof j->status, "%s", job_status_name(JOB_QUEUED));
    snprintf(j->owner, sizeof j->owner, "%s", quota_owner_of(req)); /* for the fair pick */
    j->epochs = (int64_t)t->opts.epochs;
    j->loss = j->val_loss = NAN;
    j->created_at = clock_unix();
    st_status s = storage_job_create(a->st, j);
    if (s == ST_CONFLICT)
        reply_error(resp, API_ERR_CONFLICT, NULL, "The model already has a job queued or running.");
    else if (s != ST_OK)
        reply_storage_error(resp, s);
    return s == ST_OK ? 0 : -1;
}

void h_train(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    cJSON *body = NULL;
    st_job j;
    memset(&j, 0, sizeof j);
    train_req t;
    int wait = 0;
    if (wait_or_reply(req, resp, &wait) != 0)
        return;
    if (req->body_len == 0)
        body = cJSON_CreateObject();
    else if (json_parse_or_reply(resp, req->body, req->body_len, &body) != 0)
        goto out;
    if (!body) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
        goto out;
    }
    if (train_body_or_reply(a, resp, body, &t) != 0 || samples_or_reply(a, resp, p->id) != 0 ||
        quota_train_or_reply(a, req, resp, &t.max_seconds) != 0 ||
        queue_or_reply(a, req, resp, p->id, &t, &j) != 0)
        goto out;
    jobs_wake(a->jobs);
    char location[48];
    snprintf(location, sizeof location, "/v1/jobs/%s", j.id);
    api_response_header(resp, "Location", location);
    if (wait)
        job_wait_reply(a, j.id, clock_mono() + t.max_seconds + WAIT_MARGIN_SECONDS, resp);
    else
        reply_json(resp, 202, job_to_json_live(a, &j));
out:
    st_job_clear(&j);
    cJSON_Delete(body);
}
