/*
 * models.c - create, list, get and delete models.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/auth.h"
#include "api/handlers.h"
#include "jobs/jobs.h"
#include "api/jsonin.h"
#include "api/quota_check.h"
#include "api/reply.h"

#define NAME_MAX_BYTES 128
#define DEFAULT_UNIFORM_SCALE 0.5

static const char *const create_fields[] = {"name", "inputs", "layers", "loss", "init",
                                            "public_predict", "dtype", "preprocessing",
                                            "classes", "feature_names", NULL};
static const char *const layer_fields[] = {"units", "activation", NULL};
static const char *const init_fields[] = {"method", "seed", "scale", NULL};

static int layers_or_reply(app *a, api_response *resp, const cJSON *body, mlp_spec *spec)
{
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(body, "layers");
    if (!layers) {
        reply_error(resp, API_ERR_MISSING_FIELD, "layers", "The field layers is required.");
        return -1;
    }
    int n = cJSON_GetArraySize(layers);
    if (!cJSON_IsArray(layers) || n < 1) {
        reply_error(resp, API_ERR_INVALID_FIELD, "layers",
                    "layers must be a non-empty array of {\"units\", \"activation\"}.");
        return -1;
    }
    if ((size_t)n > a->limits.max_layers) {
        reply_error(resp, API_ERR_LIMIT_EXCEEDED, "layers",
                    "A model may have at most %zu layers.", a->limits.max_layers);
        return -1;
    }
    spec->n_layers = (size_t)n;
    size_t i = 0;
    for (const cJSON *l = layers->child; l; l = l->next, i++) {
        char path[32], apath[48];
        snprintf(path, sizeof path, "layers[%zu]", i);
        if (json_object_or_reply(resp, l, path, layer_fields) != 0)
            return -1;
        int64_t units = 0;
        const char *act = NULL;
        if (json_int_or_reply(resp, l, "units", path, 1, 1, JSONIN_NO_MAX, &units) != 0 ||
            json_string_or_reply(resp, l, "activation", path, 1, 1, 32, &act) != 0)
            return -1;
        snprintf(apath, sizeof apath, "%s.activation", path);
        spec->layers[i].units = (size_t)units;
        spec->layers[i].activation = mlp_activation_from_name(act);
        if (!spec->layers[i].activation) {
            reply_error(resp, API_ERR_INVALID_FIELD, apath,
                        "Unknown activation '%s' (sigmoid, tanh, linear, relu, softmax).", act);
            return -1;
        }
    }
    return 0;
}

static int init_or_reply(api_response *resp, const cJSON *body, model_init *init)
{
    init->method = MLP_INIT_XAVIER_UNIFORM;
    init->seed = 1;
    init->scale = DEFAULT_UNIFORM_SCALE;
    const cJSON *ini = cJSON_GetObjectItemCaseSensitive(body, "init");
    if (!ini || cJSON_IsNull(ini))
        return 0;
    if (json_object_or_reply(resp, ini, "init", init_fields) != 0)
        return -1;
    const char *method = NULL;
    int64_t seed = 1;
    int has_scale = cJSON_GetObjectItemCaseSensitive(ini, "scale") != NULL;
    if (json_string_or_reply(resp, ini, "method", "init", 0, 1, 32, &method) != 0 ||
        json_int_or_reply(resp, ini, "seed", "init", 0, 0, INT64_C(1) << 53, &seed) != 0 ||
        json_number_or_reply(resp, ini, "scale", "init", 0, &init->scale) != 0)
        return -1;
    if (method && !(init->method = mlp_init_from_name(method))) {
        reply_error(resp, API_ERR_INVALID_FIELD, "init.method",
                    "Unknown init method '%s' (xavier, xavier_uniform, xavier_normal, he, "
                    "he_uniform, he_normal, uniform, zero).", method);
        return -1;
    }
    init->seed = (uint64_t)seed;
    if (has_scale && init->method != MLP_INIT_UNIFORM) {
        reply_error(resp, API_ERR_INVALID_FIELD, "init.scale",
                    "init.scale applies to the uniform method only.");
        return -1;
    }
    if (!(init->scale > 0) || init->scale > 1e6) {
        reply_error(resp, API_ERR_INVALID_FIELD, "init.scale",
                    "init.scale must be a number in (0, 1e6].");
        return -1;
    }
    return 0;
}

/* "dtype": "float64" (the default: the lecture's exact arithmetic) or
 * "float32" (training and predict in single precision, for wide models). */
static int dtype_or_reply(api_response *resp, const cJSON *body, model_init *init)
{
    const char *dtype = "float64";
    if (json_string_or_reply(resp, body, "dtype", "", 0, 1, 16, &dtype) != 0)
        return -1;
    if (!(init->dtype = mlp_dtype_from_name(dtype))) {
        reply_error(resp, API_ERR_INVALID_FIELD, "dtype",
                    "Unknown dtype '%s' (float64, float32).", dtype);
        return -1;
    }
    return 0;
}

int model_create_body_or_reply(app *a, api_response *resp, const cJSON *body,
                                const char **name, mlp_spec *spec, model_init *init)
{
    memset(spec, 0, sizeof *spec);
    if (json_object_or_reply(resp, body, "", create_fields) != 0 ||
        json_string_or_reply(resp, body, "name", "", 1, 1, NAME_MAX_BYTES, name) != 0)
        return -1;
    int64_t inputs = 0;
    if (json_int_or_reply(resp, body, "inputs", "", 1, 1, JSONIN_NO_MAX, &inputs) != 0 ||
        layers_or_reply(a, resp, body, spec) != 0)
        return -1;
    spec->inputs = (size_t)inputs;
    const char *loss = "mse";
    if (json_string_or_reply(resp, body, "loss", "", 0, 1, 32, &loss) != 0)
        return -1;
    if (!(spec->loss = mlp_loss_from_name(loss))) {
        reply_error(resp, API_ERR_INVALID_FIELD, "loss",
                    "Unknown loss '%s' (mse, cross_entropy).", loss);
        return -1;
    }
    if (init_or_reply(resp, body, init) != 0 || dtype_or_reply(resp, body, init) != 0)
        return -1;
    mlp_spec_error err = {"", ""};
    mlp_status s = mlp_spec_check(spec, &a->limits, NULL, &err);
    if (s != MLP_OK) {
        reply_error(resp, s == MLP_ERR_LIMIT ? API_ERR_LIMIT_EXCEEDED : API_ERR_INVALID_FIELD,
                    err.field[0] ? err.field : NULL, "%s", err.message[0] ? err.message : "Invalid architecture.");
        return -1;
    }
    return 0;
}

int model_meta_or_reply(api_response *resp, const cJSON *body, const mlp_spec *spec,
                        model_meta *meta)
{
    json_err e;
    if (model_meta_read(&e, body, spec, meta) == 0)
        return 0;
    reply_json_err(resp, &e);
    return -1;
}

/* A new network with its initial weights, serialised; -1 after replying. */
static int initial_blob_or_reply(app *a, api_response *resp, const mlp_spec *spec,
                                 const model_init *init, mlp_t **net,
                                 unsigned char **blob, size_t *len)
{
    *blob = NULL;
    if (mlp_new(spec, &a->limits, NULL, net) != MLP_OK) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "Could not allocate the network.");
        return -1;
    }
    if (mlp_init(*net, init->method, init->seed, init->scale) != MLP_OK)
        goto fail;
    size_t cap = mlp_saved_size(*net);
    *blob = malloc(cap);
    if (!*blob || mlp_save(*net, *blob, cap, len) != MLP_OK)
        goto fail;
    return 0;
fail:
    free(*blob);
    *blob = NULL;
    mlp_free(*net);
    *net = NULL;
    reply_error(resp, API_ERR_INTERNAL, NULL, "Could not initialise the network.");
    return -1;
}

void h_model_create(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    (void)p;
    cJSON *body = NULL;
    mlp_t *net = NULL;
    unsigned char *blob = NULL;
    char *spec_json = NULL;
    size_t len = 0;
    const char *name = NULL;
    mlp_spec spec;
    model_init init;
    model_meta meta;
    model_meta_init(&meta);
    if (json_parse_or_reply(resp, req->body, req->body_len, &body) != 0 ||
        model_create_body_or_reply(a, resp, body, &name, &spec, &init) != 0 ||
        initial_blob_or_reply(a, resp, &spec, &init, &net, &blob, &len) != 0)
        goto out;
    int public_predict = 0;
    if (json_bool_or_reply(resp, body, "public_predict", "", 0, &public_predict) != 0 ||
        model_meta_or_reply(resp, body, &spec, &meta) != 0)
        goto out;
    char id[17];
    char *arch = model_spec_json(&spec, &init);
    spec_json = arch ? model_meta_spec_json(arch, &meta) : NULL;
    free(arch);
    if (!spec_json || storage_new_id(id) != 0) {
        reply_error(resp, API_ERR_INTERNAL, NULL, NULL);
        goto out;
    }
    st_model_new mn = {.id = id,
                       .owner = req->user ? req->user->id : ST_USER_LOCAL,
                       .name = name,
                       .spec_json = spec_json,
                       .blob = blob,
                       .blob_len = len,
                       .public_predict = public_predict,
                       .max_models = quota_models_cap(a, req)};
    st_status s = storage_model_create(a->st, &mn);
    if (s == ST_QUOTA) {
        quota_models_reply(a, resp);
        goto out;
    }
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        goto out;
    }
    snapshot_release(cache_put(a->cache, id, net, 1, UINT64_MAX));
    net = NULL;
    st_model m;
    if (model_get_or_reply(a, resp, id, &m, &spec, &init) != 0)
        goto out;
    char location[64];
    snprintf(location, sizeof location, "/v1/models/%s", id);
    reply_json(resp, 201, model_to_json(&m, &spec, &init));
    if (resp->status == 201)
        api_response_header(resp, "Location", location);
    st_model_clear(&m);
out:
    cJSON_Delete(body);
    mlp_free(net);
    free(blob);
    free(spec_json);
    model_meta_clear(&meta);
}

/* ?all=true: an admin's view of every user's models (403 for others). */
static int all_or_reply(const api_request *req, api_response *resp, int *all)
{
    const char *v = api_query(req, "all");
    *all = v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || v[0] == '\0');
    if (v && !*all && strcmp(v, "false") != 0 && strcmp(v, "0") != 0) {
        reply_error(resp, API_ERR_INVALID_QUERY, "all", "all must be true or false.");
        return -1;
    }
    if (*all && !(req->user && req->user->admin)) {
        reply_error(resp, API_ERR_FORBIDDEN, "all", "Only an admin may list every user's models.");
        return -1;
    }
    return 0;
}

void h_model_list(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    (void)p;
    st_model *ms = NULL;
    size_t n = 0;
    int all = 0;
    if (all_or_reply(req, resp, &all) != 0)
        return;
    const char *owner = req->user ? req->user->id : ST_USER_LOCAL;
    st_status s = storage_model_list(a->st, all ? NULL : owner, &ms, &n);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        return;
    }
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = root ? cJSON_AddArrayToObject(root, "models") : NULL;
    for (size_t i = 0; arr && i < n; i++) {
        mlp_spec spec;
        model_init init;
        if (model_spec_parse(ms[i].spec_json, &spec, &init) != 0)
            continue; /* a damaged row is reported by GET on it, not here */
        cJSON *o = model_to_json(&ms[i], &spec, &init);
        if (o)
            cJSON_AddItemToArray(arr, o);
    }
    st_models_free(ms, n);
    if (!arr) {
        cJSON_Delete(root);
        root = NULL; /* reply_json answers 500 */
    }
    reply_json(resp, 200, root);
}

void h_model_get(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    (void)req;
    st_model m;
    mlp_spec spec;
    model_init init;
    if (model_get_or_reply(a, resp, p->id, &m, &spec, &init) != 0)
        return;
    cJSON *o = model_to_json(&m, &spec, &init);
    if (o)
        tfs_add_version_status(o, m.version);
    reply_json(resp, 200, o);
    st_model_clear(&m);
}

void h_model_delete(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    (void)req;
    pthread_mutex_lock(model_lock(a, p->id));
    st_status s = storage_model_delete(a->st, p->id);
    if (s == ST_OK || s == ST_OUTCOME_UNKNOWN) {
        cache_remove(a->cache, p->id);
        jobs_cancel_model(a->jobs, p->id); /* its results have nowhere to go */
    }
    pthread_mutex_unlock(model_lock(a, p->id));
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        return;
    }
    reply_deleted(resp, p->id);
}
