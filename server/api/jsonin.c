/*
 * jsonin.c - the util/jsonread.h readers as "..._or_reply": a refusal
 * becomes its error reply, word for word.
 */
#include "api/jsonin.h"

#include "api/reply.h"

void reply_json_err(api_response *r, const json_err *e)
{
    api_error code = API_ERR_INVALID_JSON;
    switch (e->code) {
    case JSON_ERR_INVALID_FIELD: code = API_ERR_INVALID_FIELD; break;
    case JSON_ERR_UNKNOWN_FIELD: code = API_ERR_UNKNOWN_FIELD; break;
    case JSON_ERR_MISSING_FIELD: code = API_ERR_MISSING_FIELD; break;
    case JSON_ERR_TOO_DEEP: code = API_ERR_TOO_DEEP; break;
    case JSON_ERR_INVALID_DIMENSIONS: code = API_ERR_INVALID_DIMENSIONS; break;
    case JSON_ERR_TOO_MANY: code = API_ERR_LIMIT_EXCEEDED_SIZE; break;
    default: break;
    }
    reply_error(r, code, e->has_field ? e->field : NULL, "%s", e->message);
}

int json_parse_or_reply(api_response *r, const char *buf, size_t len, cJSON **out)
{
    json_err e;
    if (json_read_parse(&e, buf, len, out) == 0)
        return 0;
    reply_json_err(r, &e);
    return -1;
}

int json_object_or_reply(api_response *r, const cJSON *obj, const char *path,
                         const char *const *allowed)
{
    json_err e;
    if (json_read_object(&e, obj, path, allowed) == 0)
        return 0;
    reply_json_err(r, &e);
    return -1;
}

int json_number_or_reply(api_response *r, const cJSON *obj, const char *key,
                         const char *path, int required, double *out)
{
    json_err e;
    if (json_read_number(&e, obj, key, path, required, out) == 0)
        return 0;
    reply_json_err(r, &e);
    return -1;
}

int json_int_or_reply(api_response *r, const cJSON *obj, const char *key,
                      const char *path, int required, int64_t min, int64_t max,
                      int64_t *out)
{
    json_err e;
    if (json_read_int(&e, obj, key, path, required, min, max, out) == 0)
        return 0;
    reply_json_err(r, &e);
    return -1;
}

int json_bool_or_reply(api_response *r, const cJSON *obj, const char *key,
                       const char *path, int required, int *out)
{
    json_err e;
    if (json_read_bool(&e, obj, key, path, required, out) == 0)
        return 0;
    reply_json_err(r, &e);
    return -1;
}

int json_string_or_reply(api_response *r, const cJSON *obj, const char *key,
                         const char *path, int required, size_t min_len,
                         size_t max_len, const char **out)
{
    json_err e;
    if (json_read_string(&e, obj, key, path, required, min_len, max_len, out) == 0)
        return 0;
    reply_json_err(r, &e);
    return -1;
}

int json_vector_or_reply(api_response *r, const cJSON *item, const char *path,
                         size_t n, double *out)
{
    json_err e;
    if (json_read_vector(&e, item, path, n, out) == 0)
        return 0;
    reply_json_err(r, &e);
    return -1;
}

int json_rows_or_reply(api_response *r, const cJSON *item, const char *path,
                       size_t max_rows, size_t *rows)
{
    json_err e;
    if (json_read_rows(&e, item, path, max_rows, rows) == 0)
        return 0;
    reply_json_err(r, &e);
    return -1;
}

int json_matrix_or_reply(api_response *r, const cJSON *item, const char *path,
                         size_t rows, size_t cols, double *out)
{
    json_err e;
    if (json_read_matrix(&e, item, path, rows, cols, out) == 0)
        return 0;
    reply_json_err(r, &e);
    return -1;
}
