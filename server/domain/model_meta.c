/*
 * model_meta.c - scaling methods, class names and feature names of a
 * model (see model_meta.h).
 */
#include "domain/model_meta.h"

#include <stdlib.h>
#include <string.h>

#include "scaler.h"

void model_meta_init(model_meta *m)
{
    memset(m, 0, sizeof *m);
    m->pre_inputs = MLP_SCALE_NONE;
    m->pre_targets = MLP_SCALE_NONE;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

void model_meta_clear(model_meta *m)
{
    free_names(m->classes, m->n_classes);
    free_names(m->feature_names, m->n_features);
    model_meta_init(m);
}

static char **copy_names(const char *const *names, size_t n)
{
    char **out = calloc(n ? n : 1, sizeof *out);
    for (size_t i = 0; out && i < n; i++) {
        if (!names[i] || !(out[i] = strdup(names[i]))) {
            free_names(out, i);
            return NULL;
        }
    }
    return out;
}

/* What read_names accepts back: non-empty, at most META_NAME_MAX bytes,
 * distinct. A name the parser would refuse must never be stored, or the
 * model could not be read again. */
static int names_storable(const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!names[i] || !names[i][0] || strlen(names[i]) > META_NAME_MAX)
            return 0;
        for (size_t j = 0; j < i; j++)
            if (strcmp(names[j], names[i]) == 0)
                return 0;
    }
    return 1;
}

int model_meta_set_features(model_meta *m, const char *const *names, size_t n)
{
    if (!names_storable(names, n))
        return -1;
    char **copy = copy_names(names, n);
    if (!copy)
        return -1;
    free_names(m->feature_names, m->n_features);
    m->feature_names = copy;
    m->n_features = n;
    return 0;
}

/* key: an array of min..max distinct non-empty strings into *out. */
static int read_names(json_err *e, const cJSON *obj, const char *key, size_t min, size_t max,
                      char ***out, size_t *n)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!arr || cJSON_IsNull(arr))
        return 0;
    size_t k = cJSON_IsArray(arr) ? (size_t)cJSON_GetArraySize(arr) : 0;
    if (!cJSON_IsArray(arr) || k < min || k > max) {
        if (min == max)
            json_fail(e, JSON_ERR_INVALID_FIELD, key,
                      "%s must be an array of %zu distinct non-empty strings (one per input).",
                      key, min);
        else
            json_fail(e, JSON_ERR_INVALID_FIELD, key,
                      "%s must be an array of %zu to %zu distinct non-empty strings.", key, min,
                      max);
        return -1;
    }
    const char **names = calloc(k ? k : 1, sizeof *names);
    if (!names) {
        json_fail(e, JSON_ERR_INVALID_FIELD, key, "Out of memory.");
        return -1;
    }
    size_t i = 0;
    int rc = 0;
    for (const cJSON *c = arr->child; c && rc == 0; c = c->next, i++) {
        char path[48];
        json_path_index(path, sizeof path, key, i);
        if (!cJSON_IsString(c) || !c->valuestring[0] || strlen(c->valuestring) > META_NAME_MAX) {
            json_fail(e, JSON_ERR_INVALID_FIELD, path,
                      "%s must be a non-empty string of at most %d bytes.", path, META_NAME_MAX);
            rc = -1;
            break;
        }
        names[i] = c->valuestring;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(names[j], names[i]) == 0) {
                json_fail(e, JSON_ERR_INVALID_FIELD, path, "%s repeats '%s' (%s[%zu]).", path,
                          names[i], key, j);
                rc = -1;
                break;
            }
        }
    }
    if (rc == 0 && !(*out = copy_names(names, k))) {
        json_fail(e, JSON_ERR_INVALID_FIELD, key, "Out of memory.");
        rc = -1;
    }
    if (rc == 0)
        *n = k;
    free(names);
    return rc;
}

static int read_method(json_err *e, const cJSON *pre, const char *key, int *out)
{
    const char *name = NULL;
    char path[48];
    json_path_key(path, sizeof path, "preprocessing", key);
    if (json_read_string(e, pre, key, "preprocessing", 0, 1, 16, &name) != 0)
        return -1;
    if (name && !(*out = mlp_scale_from_name(name))) {
        json_fail(e, JSON_ERR_INVALID_FIELD, path,
                  "Unknown scaling '%s' for %s (standard, minmax, none).", name, path);
        return -1;
    }
    return 0;
}

static int read_preprocessing(json_err *e, const cJSON *obj, model_meta *m)
{
    static const char *const fields[] = {"inputs", "targets", NULL};
    const cJSON *pre = cJSON_GetObjectItemCaseSensitive(obj, "preprocessing");
    if (!pre || cJSON_IsNull(pre))
        return 0;
    if (json_read_object(e, pre, "preprocessing", fields) != 0 ||
        read_method(e, pre, "inputs", &m->pre_inputs) != 0 ||
        read_method(e, pre, "targets", &m->pre_targets) != 0)
        return -1;
    return 0;
}

/* The classes against the output layer: softmax with k units, or one
 * sigmoid unit for two classes. */
static int check_classes(json_err *e, const mlp_spec *spec, const model_meta *m)
{
    const mlp_layer_spec *out = &spec->layers[spec->n_layers - 1];
    size_t k = m->n_classes;
    int softmax = out->activation == MLP_ACT_SOFTMAX;
    int sigmoid1 = out->activation == MLP_ACT_SIGMOID && out->units == 1 && k == 2;
    if (!(softmax && out->units == k) && !sigmoid1) {
        json_fail(e, JSON_ERR_INVALID_FIELD, "classes",
                  "%zu classes need an output layer of %zu softmax units%s; it has %zu %s "
                  "units.", k, k, k == 2 ? " or of 1 sigmoid unit" : "", out->units,
                  mlp_activation_name(out->activation));
        return -1;
    }
    if (m->pre_targets != MLP_SCALE_NONE) {
        json_fail(e, JSON_ERR_INVALID_FIELD, "preprocessing.targets",
                  "A classifier's targets are its labels: preprocessing.targets must be none "
                  "with classes.");
        return -1;
    }
    return 0;
}

/* Scaled targets must fit the output layer's range. */
static int check_targets(json_err *e, const mlp_spec *spec, const model_meta *m)
{
    int act = spec->layers[spec->n_layers - 1].activation;
    if (m->pre_targets == MLP_SCALE_STANDARD && act != MLP_ACT_LINEAR &&
        act != MLP_ACT_TANH) {
        json_fail(e, JSON_ERR_INVALID_FIELD, "preprocessing.targets",
                  "standard scaling gives targets below 0, which a %s output cannot reach: "
                  "use a linear output or minmax.", mlp_activation_name(act));
        return -1;
    }
    if (m->pre_targets != MLP_SCALE_NONE && act == MLP_ACT_SOFTMAX) {
        json_fail(e, JSON_ERR_INVALID_FIELD, "preprocessing.targets",
                  "A softmax output gives probabilities: its targets are not scaled.");
        return -1;
    }
    return 0;
}

int model_meta_read(json_err *e, const cJSON *obj, const mlp_spec *spec, model_meta *m)
{
    model_meta_init(m);
    if (read_preprocessing(e, obj, m) != 0 ||
        read_names(e, obj, "classes", 2, META_MAX_CLASSES, &m->classes, &m->n_classes) != 0 ||
        read_names(e, obj, "feature_names", spec->inputs, spec->inputs, &m->feature_names,
                   &m->n_features) != 0)
        goto fail;
    if (m->n_classes ? check_classes(e, spec, m) != 0 : check_targets(e, spec, m) != 0)
        goto fail;
    return 0;
fail:
    model_meta_clear(m);
    return -1;
}

int model_meta_parse(const char *spec_json, const mlp_spec *spec, model_meta *m)
{
    model_meta_init(m);
    cJSON *root = spec_json ? cJSON_Parse(spec_json) : NULL;
    json_err e;
    int rc = root ? model_meta_read(&e, root, spec, m) : -1;
    cJSON_Delete(root);
    return rc;
}

static int add_names(cJSON *obj, const char *key, char *const *names, size_t n)
{
    cJSON *arr = cJSON_AddArrayToObject(obj, key);
    for (size_t i = 0; arr && i < n; i++) {
        cJSON *s = cJSON_CreateString(names[i]);
        if (!s)
            return -1;
        cJSON_AddItemToArray(arr, s);
    }
    return arr ? 0 : -1;
}

int model_meta_add_json(cJSON *obj, const model_meta *m)
{
    if (m->pre_inputs != MLP_SCALE_NONE || m->pre_targets != MLP_SCALE_NONE) {
        cJSON *pre = cJSON_AddObjectToObject(obj, "preprocessing");
        if (!pre || !cJSON_AddStringToObject(pre, "inputs", mlp_scale_name(m->pre_inputs)) ||
            !cJSON_AddStringToObject(pre, "targets", mlp_scale_name(m->pre_targets)))
            return -1;
    }
    if (m->n_classes && add_names(obj, "classes", m->classes, m->n_classes) != 0)
        return -1;
    if (m->n_features && add_names(obj, "feature_names", m->feature_names, m->n_features) != 0)
        return -1;
    return 0;
}

static int meta_is_default(const model_meta *m)
{
    return m->pre_inputs == MLP_SCALE_NONE && m->pre_targets == MLP_SCALE_NONE &&
           m->n_classes == 0 && m->n_features == 0;
}

char *model_meta_spec_json(const char *arch_json, const model_meta *m)
{
    if (meta_is_default(m)) /* the row reads as before these fields */
        return strdup(arch_json);
    cJSON *root = cJSON_Parse(arch_json);
    char *text = NULL;
    if (root && model_meta_add_json(root, m) == 0)
        text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}

long model_meta_class(const model_meta *m, const char *label)
{
    for (size_t i = 0; i < m->n_classes; i++)
        if (strcmp(m->classes[i], label) == 0)
            return (long)i;
    return -1;
}

void model_meta_class_target(const model_meta *m, size_t outputs, size_t c, double *y)
{
    (void)m;
    if (outputs == 1) {
        y[0] = c == 1 ? 1.0 : 0.0;
        return;
    }
    for (size_t j = 0; j < outputs; j++)
        y[j] = j == c ? 1.0 : 0.0;
}
