/*
 * model_reply.c - what the handlers share: the domain's model services
 * (domain/model.h) as "..._or_reply", the model and job JSON, query
 * parameters.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/jsonin.h"
#include "api/reply.h"

int model_get_or_reply(app *a, api_response *resp, const char *id, st_model *m,
                       mlp_spec *spec, model_init *init)
{
    dom_status s = model_read(a->st, id, m, spec, init);
    if (s.code != DOM_OK)
        reply_dom_error(resp, &s);
    return s.code == DOM_OK ? 0 : -1;
}

/* 404 for an unknown model; 0 if it exists. */
int model_exists_or_reply(app *a, api_response *resp, const char *id)
{
    dom_status s = model_exists(a->st, id);
    if (s.code != DOM_OK)
        reply_dom_error(resp, &s);
    return s.code == DOM_OK ? 0 : -1;
}

snapshot *model_net_or_reply(app *a, api_response *resp, const char *id, int64_t version)
{
    snapshot *snap = NULL;
    dom_status s = model_net_get(a->st, a->cache, id, version, &snap);
    if (s.code != DOM_OK)
        reply_dom_error(resp, &s);
    return snap;
}

int model_store_or_reply(app *a, api_response *resp, const char *id, const mlp_t *net,
                         const model_prep *prep, version_source source, double loss,
                         int64_t *version)
{
    dom_status s = model_net_store(a->st, a->cache, id, net, prep, source, loss, version);
    if (s.code != DOM_OK)
        reply_dom_error(resp, &s);
    return s.code == DOM_OK ? 0 : -1;
}

int model_meta_fresh_or_reply(app *a, api_response *resp, const char *id, model_meta *meta)
{
    st_model m;
    mlp_spec spec;
    model_init init;
    if (model_get_or_reply(a, resp, id, &m, &spec, &init) != 0)
        return -1;
    int rc = model_meta_parse(m.spec_json, &spec, meta);
    st_model_clear(&m);
    if (rc != 0)
        reply_error(resp, API_ERR_MODEL_CORRUPT, NULL, "The stored model description is damaged.");
    return rc;
}

pthread_mutex_t *model_lock(app *a, const char *id)
{
    return model_lock_of(a->model_locks, id);
}

cJSON *model_to_json(const st_model *m, const mlp_spec *spec, const model_init *init)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "id", m->id);
    cJSON_AddStringToObject(o, "name", m->name ? m->name : "");
    cJSON_AddNumberToObject(o, "inputs", (double)spec->inputs);
    cJSON_AddNumberToObject(o, "outputs", (double)spec->layers[spec->n_layers - 1].units);
    cJSON *layers = cJSON_AddArrayToObject(o, "layers");
    for (size_t l = 0; layers && l < spec->n_layers; l++) {
        cJSON *lo = cJSON_CreateObject();
        if (!lo)
            break;
        cJSON_AddItemToArray(layers, lo);
        cJSON_AddNumberToObject(lo, "units", (double)spec->layers[l].units);
        const char *act = mlp_activation_name(spec->layers[l].activation);
        cJSON_AddStringToObject(lo, "activation", act ? act : "unknown");
    }
    cJSON_AddStringToObject(o, "loss", mlp_loss_name(spec->loss));
    cJSON *ini = cJSON_AddObjectToObject(o, "init");
    if (ini) {
        cJSON_AddStringToObject(ini, "method", mlp_init_name(init->method));
        cJSON_AddNumberToObject(ini, "seed", (double)init->seed);
        if (init->method == MLP_INIT_UNIFORM)
            json_add_number(ini, "scale", init->scale);
    }
    cJSON_AddStringToObject(o, "dtype", mlp_dtype_name(init->dtype));
    cJSON *conv = cJSON_AddObjectToObject(o, "conventions");
    if (conv) {
        cJSON_AddStringToObject(conv, "bias", "+b");
        cJSON_AddStringToObject(conv, "cost", "1/2 e^2 per sample");
        cJSON_AddStringToObject(conv, "activations", "exact");
    }
    model_meta meta;
    if (model_meta_parse(m->spec_json, spec, &meta) == 0)
        model_meta_add_json(o, &meta);
    model_meta_clear(&meta);
    cJSON_AddNumberToObject(o, "samples", (double)m->samples);
    cJSON_AddNumberToObject(o, "version", (double)m->version);
    json_add_number(o, "last_loss", m->last_loss);
    cJSON_AddNumberToObject(o, "params", (double)model_param_count(spec));
    cJSON_AddStringToObject(o, "owner", m->owner_name);
    cJSON_AddBoolToObject(o, "public_predict", m->public_predict);
    json_add_time(o, "created_at", m->created_at);
    json_add_time(o, "updated_at", m->updated_at);
    return o;
}

static int parse_uint(const char *s, uint64_t *out)
{
    if (!s || !*s || strlen(s) > 19)
        return -1;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

int query_uint_or_reply(const api_request *req, api_response *resp, const char *key,
                        uint64_t min, uint64_t max, uint64_t *out)
{
    const char *v = api_query(req, key);
    if (!v)
        return 0;
    uint64_t x;
    if (parse_uint(v, &x) != 0 || x < min || x > max) {
        reply_error(resp, API_ERR_INVALID_QUERY, key,
                    "Query parameter %s must be an integer from %llu to %llu.", key,
                    (unsigned long long)min, (unsigned long long)max);
        return -1;
    }
    *out = x;
    return 0;
}

int query_version_or_reply(const api_request *req, api_response *resp, int64_t *version)
{
    uint64_t v = 0;
    *version = 0;
    if (query_uint_or_reply(req, resp, "version", 1, (uint64_t)INT64_MAX, &v) != 0)
        return -1;
    *version = (int64_t)v;
    return 0;
}

static double param_number(const cJSON *params, const char *key)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(params, key);
    return cJSON_IsNumber(n) ? n->valuedouble : 0;
}

/* Why a finished job stopped, from what storage keeps (it has no column
 * for the reason): see handlers.h. */
static stop_reason derived_stop_reason(const st_job *j, const cJSON *params)
{
    if (job_status_is(j->status, JOB_CANCELLED))
        return STOP_CANCELLED;
    if (job_status_is(j->status, JOB_FAILED))
        return j->error && strncmp(j->error, "diverged", 8) == 0 ? STOP_DIVERGED : STOP_NONE;
    if (!job_status_is(j->status, JOB_SUCCEEDED))
        return STOP_NONE;
    double target = param_number(params, "target_loss");
    double max_seconds = param_number(params, "max_seconds");
    if (target > 0 && isfinite(j->loss) && j->loss <= target)
        return STOP_TARGET_LOSS;
    if (j->epoch >= j->epochs)
        return STOP_EPOCHS;
    if (max_seconds > 0 && j->finished_at - j->started_at >= max_seconds * 0.999)
        return STOP_TIMEOUT;
    if (param_number(params, "patience") > 0)
        return STOP_EARLY_STOPPING;
    return STOP_STOPPED;
}

cJSON *job_to_json(const st_job *j, const char *reason)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "id", j->id);
    cJSON_AddStringToObject(o, "model_id", j->model_id);
    cJSON_AddStringToObject(o, "status", j->status);
    cJSON_AddNumberToObject(o, "epoch", (double)j->epoch);
    cJSON_AddNumberToObject(o, "epochs", (double)j->epochs);
    json_add_number(o, "loss", j->loss);
    json_add_number(o, "val_loss", j->val_loss);
    cJSON *params = j->params_json ? cJSON_Parse(j->params_json) : NULL;
    if (!reason && j->stop_reason[0])
        reason = j->stop_reason;
    stop_reason derived = reason ? STOP_NONE : derived_stop_reason(j, params);
    if (derived != STOP_NONE)
        reason = stop_reason_name(derived);
    if (reason)
        cJSON_AddStringToObject(o, "stop_reason", reason);
    else
        cJSON_AddNullToObject(o, "stop_reason");
    if (j->error)
        cJSON_AddStringToObject(o, "error", j->error);
    else
        cJSON_AddNullToObject(o, "error");
    if (j->version > 0)
        cJSON_AddNumberToObject(o, "version", (double)j->version);
    else
        cJSON_AddNullToObject(o, "version");
    json_add_time(o, "created_at", j->created_at);
    json_add_time(o, "started_at", j->started_at);
    json_add_time(o, "finished_at", j->finished_at);
    cJSON_AddNumberToObject(o, "attempt", (double)j->attempt);
    if (j->node[0])
        cJSON_AddStringToObject(o, "node", j->node);
    else
        cJSON_AddNullToObject(o, "node");
    if (params)
        cJSON_AddItemToObject(o, "params", params);
    else
        cJSON_AddObjectToObject(o, "params");
    return o;
}
