/*
 * v2infer.c - reading a KServe v2 infer request (see v2infer.h).
 */
#include "api/v2infer.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/jsonin.h"
#include "api/reply.h"

static const char *const top_fields[] = {"id", "parameters", "inputs", "outputs", NULL};
static const char *const input_fields[] = {"name", "shape", "datatype", "parameters", "data",
                                           NULL};
static const char *const output_fields[] = {"name", "parameters", NULL};

void v2_infer_free(v2_infer *v)
{
    free(v->x);
    cJSON_Delete(v->root);
    memset(v, 0, sizeof *v);
}

/* An optional "parameters": an object when present. */
static int parameters_or_reply(api_response *r, const cJSON *obj, const char *path,
                               const cJSON **out)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(obj, "parameters");
    char field[64];
    json_path_key(field, sizeof field, path, "parameters");
    if (p && !cJSON_IsObject(p)) {
        reply_error(r, API_ERR_INVALID_FIELD, field, "%s must be an object.", field);
        return -1;
    }
    if (out)
        *out = p;
    return 0;
}

/* "name" must be present and equal want. */
static int name_or_reply(api_response *r, const cJSON *obj, const char *path, const char *want)
{
    const char *name = NULL;
    char field[64];
    if (json_string_or_reply(r, obj, "name", path, 1, 1, 256, &name) != 0)
        return -1;
    if (strcmp(name, want) != 0) {
        json_path_key(field, sizeof field, path, "name");
        reply_error(r, API_ERR_INVALID_FIELD, field,
                    "This model has one %s tensor, named \"%s\".",
                    strcmp(want, "input") == 0 ? "input" : "output", want);
        return -1;
    }
    return 0;
}

/* "shape": [N, inputs] with 1 <= N <= max_rows. */
static int shape_or_reply(api_response *r, const cJSON *in, size_t inputs, size_t max_rows,
                          size_t *rows)
{
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(in, "shape");
    if (!shape) {
        reply_error(r, API_ERR_MISSING_FIELD, "inputs[0].shape", "The field inputs[0].shape is required.");
        return -1;
    }
    const cJSON *n = cJSON_IsArray(shape) ? shape->child : NULL;
    const cJSON *w = n ? n->next : NULL;
    if (!n || !w || w->next || !cJSON_IsNumber(n) || !cJSON_IsNumber(w) ||
        !json_number_is_int(n->valuedouble, 0, INT64_MAX) ||
        !json_number_is_int(w->valuedouble, 0, INT64_MAX)) {
        reply_error(r, API_ERR_INVALID_FIELD, "inputs[0].shape",
                    "inputs[0].shape must be [rows, %zu]: two non-negative integers.", inputs);
        return -1;
    }
    if (w->valuedouble != (double)inputs) {
        reply_error(r, API_ERR_INVALID_DIMENSIONS, "inputs[0].shape",
                    "inputs[0].shape[1] is %.0f; this model takes %zu inputs.", w->valuedouble,
                    inputs);
        return -1;
    }
    if (n->valuedouble < 1) {
        reply_error(r, API_ERR_INVALID_DIMENSIONS, "inputs[0].shape",
                    "inputs[0].shape[0] (rows) must be at least 1.");
        return -1;
    }
    if (n->valuedouble > (double)max_rows) {
        reply_error(r, API_ERR_LIMIT_EXCEEDED_SIZE, "inputs[0].shape",
                    "At most %zu rows per request.", max_rows);
        return -1;
    }
    *rows = (size_t)n->valuedouble;
    return 0;
}

/* "datatype": FP64 or FP32. */
static int datatype_or_reply(api_response *r, const cJSON *in, int *fp32)
{
    const char *dt = NULL;
    if (json_string_or_reply(r, in, "datatype", "inputs[0]", 1, 1, 16, &dt) != 0)
        return -1;
    *fp32 = strcmp(dt, "FP32") == 0;
    if (!*fp32 && strcmp(dt, "FP64") != 0) {
        reply_error(r, API_ERR_INVALID_FIELD, "inputs[0].datatype",
                    "inputs[0].datatype must be FP64 or FP32.");
        return -1;
    }
    return 0;
}

/* "data": rows*inputs numbers, flat or as rows of inputs; into x. */
static int data_or_reply(api_response *r, const cJSON *in, size_t rows, size_t inputs,
                         int fp32, double *x)
{
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(in, "data");
    if (!data) {
        reply_error(r, API_ERR_MISSING_FIELD, "inputs[0].data", "The field inputs[0].data is required.");
        return -1;
    }
    if (!cJSON_IsArray(data)) {
        reply_error(r, API_ERR_INVALID_FIELD, "inputs[0].data",
                    "inputs[0].data must be an array of numbers.");
        return -1;
    }
    int rc = data->child && cJSON_IsArray(data->child)
                 ? json_matrix_or_reply(r, data, "inputs[0].data", rows, inputs, x)
                 : json_vector_or_reply(r, data, "inputs[0].data", rows * inputs, x);
    if (rc != 0)
        return -1;
    for (size_t i = 0; fp32 && i < rows * inputs; i++) {
        if (fabs(x[i]) > 3.4028234663852886e38) {
            reply_error(r, API_ERR_INVALID_FIELD, "inputs[0].data",
                        "inputs[0].data[%zu] is outside FP32's range.", i);
            return -1;
        }
        x[i] = (double)(float)x[i];
    }
    return 0;
}

static int input_or_reply(api_response *r, const cJSON *body, size_t len, size_t inputs,
                          size_t max_rows, v2_infer *out)
{
    const cJSON *ins = cJSON_GetObjectItemCaseSensitive(body, "inputs");
    if (!ins) {
        reply_error(r, API_ERR_MISSING_FIELD, "inputs", "The field inputs is required.");
        return -1;
    }
    if (!cJSON_IsArray(ins) || cJSON_GetArraySize(ins) != 1) {
        reply_error(r, API_ERR_INVALID_FIELD, "inputs",
                    "inputs must be an array of one tensor (this model has one input).");
        return -1;
    }
    const cJSON *in = ins->child;
    if (json_object_or_reply(r, in, "inputs[0]", input_fields) != 0 ||
        name_or_reply(r, in, "inputs[0]", "input") != 0 ||
        datatype_or_reply(r, in, &out->fp32) != 0 ||
        shape_or_reply(r, in, inputs, max_rows, &out->rows) != 0 ||
        parameters_or_reply(r, in, "inputs[0]", NULL) != 0)
        return -1;
    /* Each number takes at least two bytes of the body ("1,"): a shape
     * that claims more cannot be backed by the data, so allocate only
     * what the body could fill (and rows * inputs cannot overflow). */
    if (out->rows > len / 2 / inputs) {
        reply_error(r, API_ERR_INVALID_DIMENSIONS, "inputs[0].data",
                    "inputs[0].data cannot hold the %zu x %zu numbers inputs[0].shape gives.",
                    out->rows, inputs);
        return -1;
    }
    out->x = malloc(out->rows * inputs * sizeof *out->x + 1);
    if (!out->x) {
        reply_error(r, API_ERR_INTERNAL, NULL, "Out of memory.");
        return -1;
    }
    return data_or_reply(r, in, out->rows, inputs, out->fp32, out->x);
}

static int outputs_or_reply(api_response *r, const cJSON *body)
{
    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(body, "outputs");
    if (!outs)
        return 0;
    if (!cJSON_IsArray(outs) || cJSON_GetArraySize(outs) > 1) {
        reply_error(r, API_ERR_INVALID_FIELD, "outputs",
                    "outputs must be an array of at most one tensor request (\"output\").");
        return -1;
    }
    if (!outs->child)
        return 0;
    return json_object_or_reply(r, outs->child, "outputs[0]", output_fields) != 0 ||
                   name_or_reply(r, outs->child, "outputs[0]", "output") != 0 ||
                   parameters_or_reply(r, outs->child, "outputs[0]", NULL) != 0
               ? -1
               : 0;
}

int v2_infer_parse_or_reply(api_response *r, const char *body, size_t len, size_t inputs,
                            size_t max_rows, v2_infer *out)
{
    memset(out, 0, sizeof *out);
    if (json_parse_or_reply(r, body, len, &out->root) != 0)
        return -1;
    const cJSON *root = out->root;
    if (json_object_or_reply(r, root, "", top_fields) != 0 ||
        json_string_or_reply(r, root, "id", "", 0, 0, 256, &out->id) != 0 ||
        parameters_or_reply(r, root, "", &out->parameters) != 0 ||
        input_or_reply(r, root, len, inputs, max_rows, out) != 0 ||
        outputs_or_reply(r, root) != 0) {
        v2_infer_free(out);
        return -1;
    }
    return 0;
}
