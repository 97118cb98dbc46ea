/*
 * model.c - a model's stored architecture, its network through the cache,
 * storing a new version (see model.h).
 */
#include "domain/model.h"

#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "domain/prep.h"
#include "util/jsonread.h"
#include "util/sbuf.h"

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
    sbuf_putc(&b, '}');
    /* float64 (the default) is not written: older rows read the same */
    if (init->dtype == MLP_DTYPE_FLOAT32)
        sbuf_puts(&b, ",\"dtype\":\"float32\"");
    sbuf_putc(&b, '}');
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
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(root, "dtype");
    init->dtype = dtype == NULL ? MLP_DTYPE_FLOAT64
                  : cJSON_IsString(dtype) ? mlp_dtype_from_name(dtype->valuestring) : 0;
    rc = spec->loss && init->method && init->dtype ? 0 : -1;
out:
    cJSON_Delete(root);
    return rc;
}

int model_dtype(storage *st, const char *id)
{
    st_model m;
    mlp_spec spec;
    model_init init = {.dtype = MLP_DTYPE_FLOAT64};
    memset(&m, 0, sizeof m);
    if (storage_model_get(st, id, &m) == ST_OK && model_spec_parse(m.spec_json, &spec, &init) != 0)
        init.dtype = MLP_DTYPE_FLOAT64;
    st_model_clear(&m);
    return init.dtype ? init.dtype : MLP_DTYPE_FLOAT64;
}

size_t model_param_count(const mlp_spec *spec)
{
    size_t n = 0, fan_in = spec->inputs;
    for (size_t l = 0; l < spec->n_layers; l++) {
        n += spec->layers[l].units * (fan_in + 1);
        fan_in = spec->layers[l].units;
    }
    return n;
}

dom_status model_read(storage *st, const char *id, st_model *m, mlp_spec *spec,
                      model_init *init)
{
    memset(m, 0, sizeof *m);
    st_status s = storage_model_get(st, id, m);
    if (s != ST_OK)
        return dom_storage(s);
    if (model_spec_parse(m->spec_json, spec, init) != 0) {
        st_model_clear(m);
        return dom_fail(DOM_CORRUPT, NULL, "The stored architecture is damaged.");
    }
    return dom_ok();
}

dom_status model_exists(storage *st, const char *id)
{
    st_model m;
    memset(&m, 0, sizeof m);
    st_status s = storage_model_get(st, id, &m);
    st_model_clear(&m);
    return dom_storage(s);
}

/* Read and decode a stored version into *out and its scalers into *prep
 * (NULL when it has none). */
static dom_status load_version(storage *st, const char *id, int64_t version,
                               int64_t *version_out, mlp_t **out, model_prep **prep)
{
    unsigned char *blob = NULL;
    size_t len = 0, net_len = 0;
    *out = NULL;
    *prep = NULL;
    st_status s = storage_weights_get(st, id, version, &blob, &len, version_out);
    if (s != ST_OK) {
        if (s == ST_NOT_FOUND && version > 0)
            return dom_fail(DOM_NOT_FOUND, "version", "No such model or version.");
        return dom_storage(s);
    }
    if (prep_blob_decode(blob, len, &net_len, prep) != 0) {
        free(blob);
        return dom_fail(DOM_CORRUPT, NULL, "The stored scalers are damaged.");
    }
    mlp_status ms = mlp_load(blob, net_len, NULL, NULL, out);
    free(blob);
    if (ms == MLP_OK && *prep && ((*prep)->inputs.dims != mlp_inputs(*out) ||
                                  (*prep)->targets.dims != mlp_outputs(*out)))
        ms = MLP_ERR_FORMAT;
    if (ms != MLP_OK) {
        prep_free(*prep);
        *prep = NULL;
    }
    if (ms == MLP_ERR_NOMEM)
        return dom_fail(DOM_NOMEM, NULL, "Out of memory.");
    if (ms != MLP_OK)
        return dom_fail(DOM_CORRUPT, NULL, "The stored weights are damaged (%s).",
                        mlp_status_name(ms));
    return dom_ok();
}

dom_status model_net_get(storage *st, cache *c, const char *id, int64_t version,
                         snapshot **out)
{
    if (version == 0 && (*out = cache_get(c, id)) != NULL)
        return dom_ok();
    *out = NULL;
    uint64_t gen = cache_generation(c);
    int64_t got = 0;
    mlp_t *net = NULL;
    model_prep *prep = NULL;
    dom_status s = load_version(st, id, version, &got, &net, &prep);
    if (s.code != DOM_OK)
        return s;
    *out = version == 0 ? cache_put_prep(c, id, net, prep, got, gen)
                        : snapshot_new_prep(net, prep, got);
    if (!*out)
        return dom_fail(DOM_NOMEM, NULL, "Out of memory.");
    return dom_ok();
}

dom_status model_net_store(storage *st, cache *c, const char *id, const mlp_t *net,
                           const model_prep *prep, version_source source, double loss,
                           int64_t *version)
{
    size_t len = 0;
    unsigned char *blob = NULL;
    if (prep_blob_encode(net, prep, &blob, &len) != 0)
        return dom_fail(DOM_INTERNAL, NULL, "Could not serialise the model.");
    st_status s = storage_weights_put(st, id, version_source_name(source), blob, len, loss, version);
    free(blob);
    if (s != ST_OK) {
        /* outcome_unknown: the cache may now be behind; forget the entry. */
        cache_remove(c, id);
        return dom_storage(s);
    }
    mlp_t *copy = NULL;
    model_prep *pcopy = prep ? prep_clone(prep) : NULL;
    if ((prep && !pcopy) || mlp_clone(net, &copy) != MLP_OK) {
        prep_free(pcopy);
        cache_remove(c, id); /* readers reload the stored version */
        return dom_ok();
    }
    snapshot_release(cache_put_prep(c, id, copy, pcopy, *version, UINT64_MAX));
    return dom_ok();
}

pthread_mutex_t *model_lock_of(pthread_mutex_t *locks, const char *id)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 1099511628211ULL;
    return &locks[h % MODEL_LOCKS];
}
