/*
 * handlers_train.c - training jobs, run synchronously inside the request
 * for now (a later issue moves them to worker threads): the job row is
 * created (409 if the model has one queued or running), a clone of the
 * model trains on every sample, the epochs go to the history in one batch,
 * and the result becomes a new version unless the run diverged, was
 * cancelled or failed. Predict keeps serving the previous version
 * meanwhile, because training never touches the published snapshot.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handlers.h"
#include "jsonin.h"
#include "quota.h"
#include "reply.h"

static double now_unix(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the request body ------------------------------------------------ */

static const char *const train_fields[] = {
    "epochs", "learning_rate", "batch_size", "optimizer", "momentum", "beta1", "beta2",
    "epsilon", "weight_decay", "shuffle", "seed", "validation_split", "target_loss",
    "max_seconds", "patience", NULL};

typedef struct train_req {
    mlp_train_opts opts;
    const char *optimizer; /* name as given (canonical list of mlp.h) */
    double max_seconds;
} train_req;

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
    t->optimizer = "sgd";
    t->max_seconds = 0;
    int64_t epochs = (int64_t)o->epochs, batch = (int64_t)o->batch_size;
    int64_t seed = (int64_t)o->seed, patience = 0;
    if (json_object_or_reply(resp, b, "", train_fields) != 0 ||
        json_int_or_reply(resp, b, "epochs", "", 0, 1, a->cfg->max_epochs, &epochs) != 0 ||
        json_int_or_reply(resp, b, "batch_size", "", 0, 1, INT64_C(1) << 30, &batch) != 0 ||
        json_int_or_reply(resp, b, "seed", "", 0, 0, INT64_C(1) << 53, &seed) != 0 ||
        json_int_or_reply(resp, b, "patience", "", 0, 0, a->cfg->max_epochs, &patience) != 0 ||
        json_bool_or_reply(resp, b, "shuffle", "", 0, &o->shuffle) != 0 ||
        json_string_or_reply(resp, b, "optimizer", "", 0, 1, 32, &t->optimizer) != 0 ||
        numbers_or_reply(resp, b, t) != 0)
        return -1;
    o->epochs = (size_t)epochs;
    o->batch_size = (size_t)batch;
    o->seed = (uint64_t)seed;
    o->patience = (size_t)patience;
    if (!(o->optimizer = mlp_optimizer_from_name(t->optimizer))) {
        reply_error(resp, API_ERR_INVALID_FIELD, "optimizer",
                    "Unknown optimizer '%s' (sgd, momentum, nesterov, adam).", t->optimizer);
        return -1;
    }
    /* "momentum"/"nesterov" without a momentum value mean the usual 0.9. */
    if (!cJSON_GetObjectItemCaseSensitive(b, "momentum") &&
        (strcmp(t->optimizer, "momentum") == 0 || o->optimizer == MLP_OPT_NESTEROV))
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

/* ---- the run ---------------------------------------------------------- */

typedef struct run_ctx {
    st_epoch *epochs; /* history, grown per epoch */
    size_t n, cap;
    double deadline;  /* monotonic seconds */
    int timed_out;
    int oom;
} run_ctx;

static int on_epoch(void *ctx, const mlp_t *net, const mlp_progress *pr)
{
    (void)net;
    run_ctx *c = ctx;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        st_epoch *e = realloc(c->epochs, cap * sizeof *e);
        if (!e) {
            c->oom = 1;
            return 1;
        }
        c->epochs = e;
        c->cap = cap;
    }
    c->epochs[c->n++] = (st_epoch){(int64_t)pr->epoch, pr->loss, pr->val_loss, now_unix()};
    if (now_mono() >= c->deadline) {
        c->timed_out = 1;
        return 1;
    }
    return 0;
}

static void register_job(app *a, running_job *rj)
{
    pthread_mutex_lock(&a->jobs_mu);
    rj->next = a->running;
    a->running = rj;
    if (a->stopping)
        atomic_store(&rj->cancel, 1);
    pthread_mutex_unlock(&a->jobs_mu);
}

static void unregister_job(app *a, running_job *rj)
{
    pthread_mutex_lock(&a->jobs_mu);
    running_job **pp = &a->running;
    while (*pp && *pp != rj)
        pp = &(*pp)->next;
    if (*pp)
        *pp = rj->next;
    pthread_mutex_unlock(&a->jobs_mu);
}

/* Set the job's end state; returns the stop reason's name. */
static const char *finish(app *a, st_job *j, mlp_t *net, mlp_status ms,
                          const mlp_train_result *res, const run_ctx *rc, api_response *resp)
{
    const char *reason = NULL;
    char msg[128];
    j->epoch = rc->n ? rc->epochs[rc->n - 1].epoch : 0;
    if (ms == MLP_ERR_NONFINITE) {
        snprintf(msg, sizeof msg, "diverged at epoch %zu, layer %zu", res->fail_epoch,
                 res->fail_layer);
        strcpy(j->status, "failed");
        reason = "diverged";
    } else if (ms != MLP_OK || rc->oom) {
        snprintf(msg, sizeof msg, "training failed: %s", rc->oom ? "out of memory" : mlp_status_name(ms));
        strcpy(j->status, "failed");
    } else if (res->stop == MLP_STOP_CANCELLED) {
        strcpy(j->status, "cancelled");
        reason = "cancelled";
    } else {
        j->loss = res->loss;
        j->val_loss = res->val_loss;
        j->epoch = (int64_t)res->epochs_run;
        reason = rc->timed_out ? "timeout" : mlp_stop_name(res->stop);
        pthread_mutex_t *lock = model_lock(a, j->model_id);
        pthread_mutex_lock(lock);
        int64_t version = 0;
        int stored = model_store_or_reply(a, resp, j->model_id, net, "train", res->loss, &version);
        pthread_mutex_unlock(lock);
        if (stored == 0) {
            strcpy(j->status, "succeeded");
            j->version = version;
            return reason;
        }
        snprintf(msg, sizeof msg, "the trained weights could not be stored");
        strcpy(j->status, "failed");
    }
    if (strcmp(j->status, "failed") == 0) {
        free(j->error);
        j->error = strdup(msg);
    }
    return reason;
}

/* Train net on the model's samples; fills the job's end state. */
static const char *run_job(app *a, st_job *j, mlp_t *net, const train_req *t,
                           api_response *resp)
{
    const mlp_spec *spec = mlp_get_spec(net);
    size_t n_in = spec->inputs, n_out = spec->layers[spec->n_layers - 1].units, n = 0;
    double *x = NULL, *y = NULL;
    run_ctx rc = {NULL, 0, 0, now_mono() + t->max_seconds, 0, 0};
    mlp_train_result res;
    memset(&res, 0, sizeof res);
    mlp_status ms = MLP_ERR_INVALID;
    running_job rj;
    memset(&rj, 0, sizeof rj);
    memcpy(rj.id, j->id, sizeof rj.id);
    memcpy(rj.model_id, j->model_id, sizeof rj.model_id);
    atomic_init(&rj.cancel, 0);
    register_job(a, &rj);
    st_status s = storage_samples_read(a->st, j->model_id, 0, 0, n_in, n_out, &x, &y, &n);
    if (s == ST_OK && n > 0) {
        mlp_train_opts o = t->opts;
        o.progress = on_epoch;
        o.progress_ctx = &rc;
        o.cancel = &rj.cancel;
        mlp_data data = {n, x, y};
        ms = mlp_train(net, &data, &o, NULL, &res);
    }
    unregister_job(a, &rj);
    const char *reason = finish(a, j, net, ms, &res, &rc, resp);
    if (rc.n)
        storage_history_append(a->st, j->model_id, j->id, rc.epochs, rc.n);
    free(rc.epochs);
    free(x);
    free(y);
    return reason;
}

/* ---- the handler ------------------------------------------------------ */

/* A clone of the current weights, after checking there are samples. */
static mlp_t *start_net_or_reply(app *a, api_response *resp, const char *id)
{
    st_model m;
    mlp_spec spec;
    model_init init;
    if (model_get_or_reply(a, resp, id, &m, &spec, &init) != 0)
        return NULL;
    int64_t samples = m.samples;
    st_model_clear(&m);
    if (samples == 0) {
        reply_error(resp, API_ERR_NO_SAMPLES, NULL, NULL);
        return NULL;
    }
    snapshot *snap = model_net_or_reply(a, resp, id, 0);
    if (!snap)
        return NULL;
    mlp_t *net = NULL;
    if (mlp_clone(snapshot_net(snap), &net) != MLP_OK)
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
    snapshot_release(snap);
    return net;
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

void h_train(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    cJSON *body = NULL;
    mlp_t *net = NULL;
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
    if (train_body_or_reply(a, resp, body, &t) != 0 ||
        quota_train_or_reply(a, req, resp, &t.max_seconds) != 0 ||
        !(net = start_net_or_reply(a, resp, p->id)))
        goto out;
    if (storage_new_id(j.id) != 0 || !(j.params_json = params_json(&t))) {
        reply_error(resp, API_ERR_INTERNAL, NULL, NULL);
        goto out;
    }
    memcpy(j.model_id, p->id, sizeof j.model_id - 1);
    strcpy(j.status, "queued");
    j.epochs = (int64_t)t.opts.epochs;
    j.loss = j.val_loss = NAN;
    j.created_at = now_unix();
    st_status s = storage_job_create(a->st, &j);
    if (s != ST_OK) {
        if (s == ST_CONFLICT)
            reply_error(resp, API_ERR_CONFLICT, NULL, "The model already has a job queued or running.");
        else
            reply_storage_error(resp, s);
        goto out;
    }
    strcpy(j.status, "running");
    j.started_at = now_unix();
    storage_job_update(a->st, &j);
    api_response store_resp; /* a storage error while publishing, reported via the job */
    api_response_init(&store_resp);
    const char *reason = run_job(a, &j, net, &t, &store_resp);
    api_response_free(&store_resp);
    j.finished_at = now_unix();
    quota_charge_caller(a, req, j.finished_at - j.started_at);
    s = storage_job_update(a->st, &j);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        goto out;
    }
    char location[48];
    snprintf(location, sizeof location, "/v1/jobs/%s", j.id);
    reply_json(resp, wait ? 200 : 202, job_to_json(&j, reason));
    api_response_header(resp, "Location", location);
out:
    st_job_clear(&j);
    mlp_free(net);
    cJSON_Delete(body);
}
