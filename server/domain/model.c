/*
 * model.c - what the handlers share: a model's stored architecture
 * (spec_json), loading its network through the cache, storing a new
 * version, the model and job JSON, query parameters.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/access.h"
#include "api/handlers.h"
#include "api/jsonin.h"
#include "api/reply.h"

char *model_spec_json(const mlp_spec *spec, const model_init *init)
{
    sbuf b;
    sbuf_init(&b);
    sbuf_printf(&b, "{\"inputs\":%zu,\"layers\":[", spec->inputs);
    for (size_t l = 0; l < spec->n_layers; l++) {
        sbuf_printf(&b, "%s{\"units\":%zu,\"activation\":", l ? "," : "", spec->layers[l].units);
        sbuf_json_string(&b, mlp_activation_name(spec->layers[l].activation));
        sbuf_putc(&b, '}');
    }
    sbuf_puts(&b, "],\"loss\":");
    sbuf_json_string(&b, mlp_loss_name(spec->loss));
    sbuf_puts(&b, ",\"init\":{\"method\":");
    sbuf_json_string(&b, mlp_init_name(init->method));
    sbuf_printf(&b, ",\"seed\":%llu", (unsigned long long)init->seed);
    if (init->method == MLP_INIT_UNIFORM) {
        sbuf_puts(&b, ",\"scale\":");
        sbuf_json_number(&b, init->scale);
    }
    sbuf_puts(&b, "}}");
    if (sbuf_failed(&b)) {
        sbuf_free(&b);
        return NULL;
    }
    size_t len;
    return sbuf_take(&b, &len);
}

static int size_field(const cJSON *obj, const char *key, size_t *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(it) || !json_number_is_int(it->valuedouble, 0, INT64_C(1) << 40))
        return -1;
    *out = (size_t)it->valuedouble;
    return 0;
}

int model_spec_parse(const char *text, mlp_spec *spec, model_init *init)
{
    memset(spec, 0, sizeof *spec);
    memset(init, 0, sizeof *init);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    int rc = -1;
    if (!root || size_field(root, "inputs", &spec->inputs) != 0)
        goto out;
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(root, "layers");
    int n = cJSON_GetArraySize(layers);
    if (!cJSON_IsArray(layers) || n < 1 || n > MLP_MAX_LAYERS)
        goto out;
    spec->n_layers = (size_t)n;
    size_t i = 0;
    for (const cJSON *l = layers->child; l; l = l->next, i++) {
        const cJSON *act = cJSON_GetObjectItemCaseSensitive(l, "activation");
        if (size_field(l, "units", &spec->layers[i].units) != 0 || !cJSON_IsString(act))
            goto out;
        spec->layers[i].activation = mlp_activation_from_name(act->valuestring);
    }
    const cJSON *loss = cJSON_GetObjectItemCaseSensitive(root, "loss");
    const cJSON *ini = cJSON_GetObjectItemCaseSensitive(root, "init");
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(ini, "method");
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(ini, "seed");
    const cJSON *scale = cJSON_GetObjectItemCaseSensitive(ini, "scale");
    if (!cJSON_IsString(loss) || !cJSON_IsString(method) || !cJSON_IsNumber(seed) ||
        !json_number_is_int(seed->valuedouble, 0, INT64_C(1) << 53))
        goto out;
    spec->loss = mlp_loss_from_name(loss->valuestring);
    init->method = mlp_init_from_name(method->valuestring);
    init->seed = (uint64_t)seed->valuedouble;
    init->scale = cJSON_IsNumber(scale) ? scale->valuedouble : 0;
    rc = spec->loss && init->method ? 0 : -1;
out:
    cJSON_Delete(root);
    return rc;
}

int model_get_or_reply(app *a, api_response *resp, const char *id, st_model *m,
                       mlp_spec *spec, model_init *init)
{
    memset(m, 0, sizeof *m);
    st_status s = storage_model_get(a->st, id, m);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        return -1;
    }
    if (model_spec_parse(m->spec_json, spec, init) != 0) {
        st_model_clear(m);
        reply_error(resp, API_ERR_MODEL_CORRUPT, NULL, "The stored architecture is damaged.");
        return -1;
    }
    return 0;
}

/* 404 for an unknown model; 0 if it exists. */
int model_exists_or_reply(app *a, api_response *resp, const char *id)
{
    st_model m;
    memset(&m, 0, sizeof m);
    st_status s = storage_model_get(a->st, id, &m);
    st_model_clear(&m);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        return -1;
    }
    return 0;
}

int model_access_or_reply(app *a, const api_request *req, api_response *resp, const char *id,
                          int predict)
{
    const auth_user *u = req->user;
    if (u && u->admin)
        return 0; /* the handler answers 404 for a missing model */
    char owner[17];
    int pub = 0;
    st_status s = storage_model_access(a->st, id, owner, &pub);
    if (s == ST_OK && ((predict && pub) || (u && strcmp(owner, u->id) == 0)))
        return 0;
    if (s != ST_OK && s != ST_NOT_FOUND) {
        reply_storage_error(resp, s);
        return -1;
    }
    /* the same answer whether the model is missing or someone else's */
    if (u)
        reply_error(resp, API_ERR_NOT_FOUND, NULL, NULL);
    else
        reply_unauthorized(resp, 0);
    return -1;
}

int job_access_or_reply(app *a, const api_request *req, api_response *resp, const char *job_id)
{
    if (req->user && req->user->admin)
        return 0;
    st_job j;
    memset(&j, 0, sizeof j);
    st_status s = storage_job_get(a->st, job_id, &j);
    char model_id[17];
    memcpy(model_id, j.model_id, sizeof model_id);
    st_job_clear(&j);
    if (s == ST_NOT_FOUND) {
        if (req->user)
            reply_error(resp, API_ERR_NOT_FOUND, NULL, NULL);
        else
            reply_unauthorized(resp, 0);
        return -1;
    }
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        return -1;
    }
    return model_access_or_reply(a, req, resp, model_id, 0);
}

/* Read and decode a stored version; NULL after replying. */
static mlp_t *load_version(app *a, api_response *resp, const char *id, int64_t version,
                           int64_t *version_out)
{
    unsigned char *blob = NULL;
    size_t len = 0;
    st_status s = storage_weights_get(a->st, id, version, &blob, &len, version_out);
    if (s != ST_OK) {
        if (s == ST_NOT_FOUND && version > 0)
            reply_error(resp, API_ERR_NOT_FOUND, "version", "No such model or version.");
        else
            reply_storage_error(resp, s);
        return NULL;
    }
    mlp_t *net = NULL;
    mlp_status ms = mlp_load(blob, len, NULL, NULL, &net);
    free(blob);
    if (ms == MLP_ERR_NOMEM) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
        return NULL;
    }
    if (ms != MLP_OK) {
        reply_error(resp, API_ERR_MODEL_CORRUPT, NULL,
                    "The stored weights are damaged (%s).", mlp_status_name(ms));
        return NULL;
    }
    return net;
}

snapshot *model_net_or_reply(app *a, api_response *resp, const char *id, int64_t version)
{
    snapshot *snap;
    if (version == 0 && (snap = cache_get(a->cache, id)) != NULL)
        return snap;
    uint64_t gen = cache_generation(a->cache);
    int64_t got = 0;
    mlp_t *net = load_version(a, resp, id, version, &got);
    if (!net)
        return NULL;
    snap = version == 0 ? cache_put(a->cache, id, net, got, gen) : snapshot_new(net, got);
    if (!snap)
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
    return snap;
}

int model_store_or_reply(app *a, api_response *resp, const char *id, const mlp_t *net,
                         const char *source, double loss, int64_t *version)
{
    size_t cap = mlp_saved_size(net), len = 0;
    unsigned char *blob = malloc(cap ? cap : 1);
    if (!blob || mlp_save(net, blob, cap, &len) != MLP_OK) {
        free(blob);
        reply_error(resp, API_ERR_INTERNAL, NULL, "Could not serialise the model.");
        return -1;
    }
    st_status s = storage_weights_put(a->st, id, source, blob, len, loss, version);
    free(blob);
    if (s != ST_OK) {
        /* outcome_unknown: the cache may now be behind; forget the entry. */
        cache_remove(a->cache, id);
        reply_storage_error(resp, s);
        return -1;
    }
    mlp_t *copy = NULL;
    if (mlp_clone(net, &copy) != MLP_OK) {
        cache_remove(a->cache, id); /* readers reload the stored version */
        return 0;
    }
    snapshot_release(cache_put(a->cache, id, copy, *version, UINT64_MAX));
    return 0;
}

pthread_mutex_t *model_lock(app *a, const char *id)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 1099511628211ULL;
    return &a->model_locks[h % APP_MODEL_LOCKS];
}

static size_t param_count(const mlp_spec *spec)
{
    size_t n = 0, fan_in = spec->inputs;
    for (size_t l = 0; l < spec->n_layers; l++) {
        n += spec->layers[l].units * (fan_in + 1);
        fan_in = spec->layers[l].units;
    }
    return n;
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
    cJSON *conv = cJSON_AddObjectToObject(o, "conventions");
    if (conv) {
        cJSON_AddStringToObject(conv, "bias", "+b");
        cJSON_AddStringToObject(conv, "cost", "1/2 e^2 per sample");
        cJSON_AddStringToObject(conv, "activations", "exact");
    }
    cJSON_AddNumberToObject(o, "samples", (double)m->samples);
    cJSON_AddNumberToObject(o, "version", (double)m->version);
    json_add_number(o, "last_loss", m->last_loss);
    cJSON_AddNumberToObject(o, "params", (double)param_count(spec));
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
static const char *derived_stop_reason(const st_job *j, const cJSON *params)
{
    if (strcmp(j->status, "cancelled") == 0)
        return "cancelled";
    if (strcmp(j->status, "failed") == 0)
        return j->error && strncmp(j->error, "diverged", 8) == 0 ? "diverged" : NULL;
    if (strcmp(j->status, "succeeded") != 0)
        return NULL;
    double target = param_number(params, "target_loss");
    double max_seconds = param_number(params, "max_seconds");
    if (target > 0 && isfinite(j->loss) && j->loss <= target)
        return "target_loss";
    if (j->epoch >= j->epochs)
        return "epochs";
    if (max_seconds > 0 && j->finished_at - j->started_at >= max_seconds * 0.999)
        return "timeout";
    if (param_number(params, "patience") > 0)
        return "early_stopping";
    return "stopped";
}

cJSON *job_to_json(const st_job *j, const char *stop_reason)
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
    if (!stop_reason && j->stop_reason[0])
        stop_reason = j->stop_reason;
    if (!stop_reason)
        stop_reason = derived_stop_reason(j, params);
    if (stop_reason)
        cJSON_AddStringToObject(o, "stop_reason", stop_reason);
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
    if (params)
        cJSON_AddItemToObject(o, "params", params);
    else
        cJSON_AddObjectToObject(o, "params");
    return o;
}
