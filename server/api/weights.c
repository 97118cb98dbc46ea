/*
 * weights.c - read and replace a model's weights; list and
 * restore stored versions.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain/prep.h"
#include "api/handlers.h"
#include "api/jsonin.h"
#include "api/reply.h"

void weights_write_layers(sbuf *b, const mlp_t *net)
{
    const mlp_spec *spec = mlp_get_spec(net);
    const double *params = mlp_params_const(net);
    sbuf_putc(b, '[');
    for (size_t l = 0; l < spec->n_layers; l++) {
        size_t fan_in, w_off, b_off, units = spec->layers[l].units;
        mlp_layer_offsets(net, l, &fan_in, &w_off, &b_off);
        sbuf_puts(b, l ? ",{\"weights\":" : "{\"weights\":");
        sbuf_json_matrix(b, params + w_off, units, fan_in);
        sbuf_puts(b, ",\"biases\":");
        sbuf_json_array(b, params + b_off, units);
        sbuf_putc(b, '}');
    }
    sbuf_putc(b, ']');
}

void weights_write_prep(sbuf *b, const model_prep *prep, const mlp_t *net)
{
    model_prep *id = prep ? NULL : prep_new(MLP_SCALE_NONE, mlp_inputs(net), MLP_SCALE_NONE,
                                            mlp_outputs(net));
    if (prep || id)
        prep_write_json(b, prep ? prep : id);
    else
        sbuf_reserve(b, SIZE_MAX); /* marks the buffer failed: a 500 */
    prep_free(id);
}

int weights_have_prep(const model_prep *prep)
{
    return prep && (prep->inputs.method != MLP_SCALE_NONE ||
                    prep->targets.method != MLP_SCALE_NONE);
}

/* {"version": n, "layers": [{"weights": [[..]], "biases": [..]}],
 *  "preprocessing": {...}}, the last only for a version with a scaling
 * method (a model without scaling reads as before). */
static void write_weights(sbuf *b, const snapshot *snap)
{
    sbuf_puts(b, "{\"version\":");
    sbuf_json_int(b, snapshot_version(snap));
    sbuf_puts(b, ",\"layers\":");
    weights_write_layers(b, snapshot_net(snap));
    if (weights_have_prep(snapshot_prep(snap))) {
        sbuf_puts(b, ",\"preprocessing\":");
        weights_write_prep(b, snapshot_prep(snap), snapshot_net(snap));
    }
    sbuf_putc(b, '}');
}

void h_weights_get(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    int64_t version;
    if (query_version_or_reply(req, resp, &version) != 0)
        return;
    snapshot *snap = model_net_or_reply(a, resp, p->id, version);
    if (!snap)
        return;
    sbuf b;
    sbuf_init(&b);
    write_weights(&b, snap);
    snapshot_release(snap);
    reply_sbuf(resp, 200, &b);
}

static const char *const put_fields[] = {"version", "layers", "preprocessing", NULL};
static const char *const layer_fields[] = {"weights", "biases", NULL};

int weights_layers_or_reply(api_response *resp, const cJSON *body, const char *prefix,
                            mlp_t *net)
{
    const mlp_spec *spec = mlp_get_spec(net);
    char lpath[96];
    json_path_key(lpath, sizeof lpath, prefix, "layers");
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(body, "layers");
    if (!layers) {
        reply_error(resp, API_ERR_MISSING_FIELD, lpath, "The field %s is required.", lpath);
        return -1;
    }
    if (!cJSON_IsArray(layers)) {
        reply_error(resp, API_ERR_INVALID_FIELD, lpath, "%s must be an array.", lpath);
        return -1;
    }
    size_t n = (size_t)cJSON_GetArraySize(layers);
    if (n != spec->n_layers) {
        reply_error(resp, API_ERR_INVALID_DIMENSIONS, lpath,
                    "%s has %zu entries; the model has %zu layers.", lpath, n, spec->n_layers);
        return -1;
    }
    size_t l = 0;
    for (const cJSON *lo = layers->child; lo; lo = lo->next, l++) {
        char path[128], wpath[160], bpath[160];
        snprintf(path, sizeof path, "%s[%zu]", lpath, l);
        snprintf(wpath, sizeof wpath, "%s.weights", path);
        snprintf(bpath, sizeof bpath, "%s.biases", path);
        if (json_object_or_reply(resp, lo, path, layer_fields) != 0)
            return -1;
        size_t fan_in, w_off, b_off, units = spec->layers[l].units;
        mlp_layer_offsets(net, l, &fan_in, &w_off, &b_off);
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(lo, "weights");
        const cJSON *bi = cJSON_GetObjectItemCaseSensitive(lo, "biases");
        if (!w || !bi) {
            reply_error(resp, API_ERR_MISSING_FIELD, w ? bpath : wpath,
                        "The field %s is required.", w ? bpath : wpath);
            return -1;
        }
        size_t rows = 0;
        double *params = mlp_params(net);
        if (json_rows_or_reply(resp, w, wpath, units, &rows) != 0)
            return -1;
        if (rows != units) {
            reply_error(resp, API_ERR_INVALID_DIMENSIONS, wpath,
                        "%s has %zu rows; expected %zu (one per unit).", wpath, rows, units);
            return -1;
        }
        if (json_matrix_or_reply(resp, w, wpath, units, fan_in, params + w_off) != 0 ||
            json_vector_or_reply(resp, bi, bpath, units, params + b_off) != 0)
            return -1;
    }
    return 0;
}

int weights_prep_or_reply(api_response *resp, const cJSON *body, const char *prefix,
                          const mlp_t *net, model_prep **out)
{
    char path[96];
    json_path_key(path, sizeof path, prefix, "preprocessing");
    *out = NULL;
    const cJSON *pre = cJSON_GetObjectItemCaseSensitive(body, "preprocessing");
    if (!pre || cJSON_IsNull(pre))
        return 0;
    json_err e;
    if (prep_read_json(&e, pre, path, mlp_inputs(net), mlp_outputs(net), out) == 0)
        return 0;
    reply_json_err(resp, &e);
    return -1;
}

void h_weights_put(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    cJSON *body = NULL;
    snapshot *snap = NULL;
    mlp_t *net = NULL;
    model_prep *prep = NULL;
    pthread_mutex_t *lock = model_lock(a, p->id);
    if (json_parse_or_reply(resp, req->body, req->body_len, &body) != 0 ||
        json_object_or_reply(resp, body, "", put_fields) != 0)
        goto out;
    pthread_mutex_lock(lock);
    snap = model_net_or_reply(a, resp, p->id, 0);
    if (!snap)
        goto unlock;
    if (mlp_clone(snapshot_net(snap), &net) != MLP_OK) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
        goto unlock;
    }
    int64_t version = 0;
    if (weights_layers_or_reply(resp, body, "", net) != 0 ||
        weights_prep_or_reply(resp, body, "", net, &prep) != 0 ||
        model_store_or_reply(a, resp, p->id, net, prep ? prep : snapshot_prep(snap),
                             SOURCE_PUT, NAN, &version) != 0)
        goto unlock;
    cJSON *root = cJSON_CreateObject();
    if (root)
        cJSON_AddNumberToObject(root, "version", (double)version);
    reply_json(resp, 200, root);
unlock:
    pthread_mutex_unlock(lock);
out:
    snapshot_release(snap);
    mlp_free(net);
    prep_free(prep);
    cJSON_Delete(body);
}

void h_versions_list(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    (void)req;
    if (model_exists_or_reply(a, resp, p->id) != 0)
        return;
    st_version *vs = NULL;
    size_t n = 0;
    st_status s = storage_versions_list(a->st, p->id, &vs, &n);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        return;
    }
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = root ? cJSON_AddArrayToObject(root, "versions") : NULL;
    for (size_t i = 0; arr && i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o)
            break;
        cJSON_AddItemToArray(arr, o);
        cJSON_AddNumberToObject(o, "version", (double)vs[i].version);
        cJSON_AddStringToObject(o, "source", vs[i].source);
        json_add_time(o, "created_at", vs[i].created_at);
        json_add_number(o, "loss", vs[i].loss);
    }
    free(vs);
    reply_json(resp, 200, root);
}

void h_version_restore(app *a, const api_request *req, const route_params *p,
                       api_response *resp)
{
    (void)req;
    uint64_t n = 0;
    const char *s_end = p->n;
    for (; *s_end >= '0' && *s_end <= '9' && n <= (uint64_t)INT64_MAX / 10; s_end++)
        n = n * 10 + (uint64_t)(*s_end - '0');
    if (*s_end != '\0' || n == 0 || n > (uint64_t)INT64_MAX) {
        reply_error(resp, API_ERR_NOT_FOUND, NULL, "No such version.");
        return;
    }
    pthread_mutex_t *lock = model_lock(a, p->id);
    pthread_mutex_lock(lock);
    int64_t version = 0;
    st_status s = storage_version_restore(a->st, p->id, (int64_t)n, &version);
    /* The cached snapshot is now behind: readers reload the restored copy. */
    cache_remove(a->cache, p->id);
    pthread_mutex_unlock(lock);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        return;
    }
    cJSON *root = cJSON_CreateObject();
    if (root)
        cJSON_AddNumberToObject(root, "version", (double)version);
    reply_json(resp, 200, root);
}
