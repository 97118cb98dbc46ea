/*
 * handlers_train.c - POST /v1/models/{id}/train: check the parameters,
 * queue a job (409 if the model has one queued or running) and answer 202
 * with it; the workers (jobs.c) run it. ?wait=true answers when the job
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
#include "domain/quota.h"
#include "api/reply.h"

/* Seconds a ?wait=true request waits beyond the job's max_seconds (for
 * its queueing, set-up and final write). */
#define WAIT_MARGIN_SECONDS 30.0

/* ---- the request body ------------------------------------------------ */

static const char *const train_fields[] = {
    "epochs", "learning_rate", "batch_size", "optimizer", "momentum", "beta1", "beta2",
    "epsilon", "weight_decay", "shuffle", "seed", "validation_split", "target_loss",
    "max_seconds", "patience", NULL};

typedef train_params train_req;

static int numbers_or_reply(api_response *resp, const cJSON *b, train_req *t)
{
    mlp_train_opts *o = &t->opts;
    return json_number_or_reply(resp, b, "learning_rate", "", 0, &o->learning_rate) ||
           json_number_or_reply(resp, b, "momentum", "", 0, &o->momentum) ||
           json_number_or_reply(resp, b, "beta1", "", 0, &o->beta1) ||
           json_number_or_reply(resp, b, "beta2", "", 0, &o->beta2) ||
           json_number_or_reply(resp, b, "epsilon", "", 0, &o->epsilon) ||
           json_number_or_reply(resp, b, "weight_decay", "", 0, &o->weight_decay) ||
           json_number_or_reply(resp, b, "validation_split", "", 0, &o->validation_split) ||
           json_number_or_reply(resp, b, "target_loss", "", 0, &o->target_loss) ||
           json_number_or_reply(resp, b, "max_seconds", "", 0, &t->max_seconds)
               ? -1 : 0;
}

static int train_body_or_reply(app *a, api_response *resp, const cJSON *b, train_req *t)
{
    mlp_train_opts *o = &t->opts;
    *o = mlp_default_train_opts();
    if ((int64_t)o->epochs > a->cfg->max_epochs)
        o->epochs = (size_t)a->cfg->max_epochs;
    const char *optimizer = "sgd";
    t->max_seconds = 0;
    int64_t epochs = (int64_t)o->epochs, batch = (int64_t)o->batch_size;
    int64_t seed = (int64_t)o->seed, patience = 0;
    if (json_object_or_reply(resp, b, "", train_fields) != 0 ||
        json_int_or_reply(resp, b, "epochs", "", 0, 1, a->cfg->max_epochs, &epochs) != 0 ||
        json_int_or_reply(resp, b, "batch_size", "", 0, 1, INT64_C(1) << 30, &batch) != 0 ||
        json_int_or_reply(resp, b, "seed", "", 0, 0, INT64_C(1) << 53, &seed) != 0 ||
        json_int_or_reply(resp, b, "patience", "", 0, 0, a->cfg->max_epochs, &patience) != 0 ||
        json_bool_or_reply(resp, b, "shuffle", "", 0, &o->shuffle) != 0 ||
        json_string_or_reply(resp, b, "optimizer", "", 0, 1, 32, &optimizer) != 0 ||
        numbers_or_reply(resp, b, t) != 0)
        return -1;
    o->epochs = (size_t)epochs;
    o->batch_size = (size_t)batch;
    o->seed = (uint64_t)seed;
    o->patience = (size_t)patience;
    if (!(o->optimizer = mlp_optimizer_from_name(optimizer))) {
        reply_error(resp, API_ERR_INVALID_FIELD, "optimizer",
                    "Unknown optimizer '%s' (sgd, momentum, nesterov, adam).", optimizer);
        return -1;
    }
    snprintf(t->optimizer, sizeof t->optimizer, "%s", optimizer);
    /* "momentum"/"nesterov" without a momentum value mean the usual 0.9. */
    if (!cJSON_GetObjectItemCaseSensitive(b, "momentum") &&
        (strcmp(optimizer, "momentum") == 0 || o->optimizer == MLP_OPT_NESTEROV))
        o->momentum = 0.9;
    if (t->max_seconds < 0 || t->max_seconds > (double)a->cfg->max_train_seconds) {
        reply_error(resp, API_ERR_INVALID_FIELD, "max_seconds",
                    "max_seconds must be from 0 (the server's limit) to %ld.",
                    a->cfg->max_train_seconds);
        return -1;
    }
    if (t->max_seconds == 0)
        t->max_seconds = (double)a->cfg->max_train_seconds;
    mlp_spec_error err = {"", ""};
    if (mlp_train_opts_check(o, &err) != MLP_OK) {
        reply_error(resp, API_ERR_INVALID_FIELD, err.field[0] ? err.field : NULL, "%s",
                    err.message[0] ? err.message : "Invalid training options.");
        return -1;
    }
    return 0;
}

/* The accepted parameters as canonical JSON text (malloc'ed) or NULL. */
static char *params_json(const train_req *t)
{
    const mlp_train_opts *o = &t->opts;
    cJSON *p = cJSON_CreateObject();
    if (!p)
        return NULL;
    cJSON_AddNumberToObject(p, "epochs", (double)o->epochs);
    json_add_number(p, "learning_rate", o->learning_rate);
    cJSON_AddNumberToObject(p, "batch_size", (double)o->batch_size);
    cJSON_AddStringToObject(p, "optimizer", t->optimizer);
    json_add_number(p, "momentum", o->momentum);
    json_add_number(p, "beta1", o->beta1);
    json_add_number(p, "beta2", o->beta2);
    json_add_number(p, "epsilon", o->epsilon);
    json_add_number(p, "weight_decay", o->weight_decay);
    cJSON_AddBoolToObject(p, "shuffle", o->shuffle);
    cJSON_AddNumberToObject(p, "seed", (double)o->seed);
    json_add_number(p, "validation_split", o->validation_split);
    json_add_number(p, "target_loss", o->target_loss);
    json_add_number(p, "max_seconds", t->max_seconds);
    cJSON_AddNumberToObject(p, "patience", (double)o->patience);
    char *text = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    return text;
}

int train_params_parse(app *a, const char *params_json, struct train_params *t,
                       api_response *resp)
{
    cJSON *body = NULL;
    if (!params_json ||
        json_parse_or_reply(resp, params_json, strlen(params_json), &body) != 0)
        return -1;
    int rc = train_body_or_reply(a, resp, body, t);
    cJSON_Delete(body);
    return rc;
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
    if (storage_new_id(j->id) != 0 || !(j->params_json = params_json(t))) {
        reply_error(resp, API_ERR_INTERNAL, NULL, NULL);
        return -1;
    }
    snprintf(j->model_id, sizeof j->model_id, "%.16s", model_id);
    strcpy(j->status, "queued");
    snprintf(j->owner, sizeof j->owner, "%s", quota_owner_of(req)); /* for the fair pick */
    j->epochs = (int64_t)t->opts.epochs;
    j->loss = j->val_loss = NAN;
    j->created_at = jobs_unix();
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
        job_wait_reply(a, j.id, jobs_mono() + t.max_seconds + WAIT_MARGIN_SECONDS, resp);
    else
        reply_json(resp, 202, job_to_json_live(a, &j));
out:
    st_job_clear(&j);
    cJSON_Delete(body);
}
