/*
 * fuzz_body.c - every request body parser and validator, fed exactly as
 * the daemon gets a body: a buffer of len bytes with no NUL after it (see
 * guarded_copy).
 *
 * Input: byte 0 picks the endpoint (or the bare JSON parser); the rest is
 * the body. Each endpoint runs against the environment's model, so a
 * well-formed body goes all the way through (create, PUT weights, samples
 * as JSON or CSV, train, predict in both shapes, step). Models a body
 * created are deleted again; the database is rebuilt every few thousand
 * runs so that stored rows do not pile up.
 */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "api/jsonin.h"

typedef struct target {
    const char *method;
    const char *suffix; /* after /v1/models/{id}; NULL: POST /v1/models */
    const char *ctype;
} target;

static const target targets[] = {
    {"POST", NULL, "application/json"},
    {"PUT", "/weights", "application/json"},
    {"POST", "/samples", "application/json"},
    {"POST", "/samples", "text/csv"},
    {"POST", "/train", "application/json"},
    {"POST", "/predict", "application/json"},
    {"POST", ":predict", "application/json"},
    {"POST", "/step", "application/json"},
};
#define N_TARGETS (sizeof targets / sizeof targets[0])

/* A 201 from POST /v1/models: delete that model again. */
static void delete_created(fuzz_env *e)
{
    api_response r;
    api_response_init(&r);
    api_kv none[1];
    api_request list = {"GET", "/v1/models", none, 0, none, 0, NULL, 0, NULL, NULL};
    api_handle(&e->a, &list, &r);
    cJSON *j = r.body.data ? cJSON_ParseWithLength(r.body.data, r.body.len) : NULL;
    api_response_free(&r);
    const cJSON *models = cJSON_GetObjectItemCaseSensitive(j, "models");
    const cJSON *m;
    cJSON_ArrayForEach(m, models)
    {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(m, "id");
        if (cJSON_IsString(id) && strcmp(id->valuestring, e->model_id) != 0) {
            char path[64];
            snprintf(path, sizeof path, "/v1/models/%s", id->valuestring);
            api_request del = {"DELETE", path, none, 0, none, 0, NULL, 0, NULL, NULL};
            api_response_init(&r);
            api_handle(&e->a, &del, &r);
            api_response_free(&r);
        }
    }
    cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > FUZZ_MAX_INPUT)
        return 0;
    fuzz_env *e = fuzz_env_get();
    if (e->runs >= 3000)
        fuzz_env_reset(e);
    unsigned pick = data[0] % (N_TARGETS + 1);
    const char *body = guarded_copy(data + 1, size - 1);
    size_t len = size - 1;

    if (pick == N_TARGETS) { /* the bare parser and its tree checks */
        api_response r;
        api_response_init(&r);
        cJSON *root = NULL;
        if (json_parse_or_reply(&r, body, len, &root) == 0) {
            static const char *const allowed[] = {"inputs", "targets", "samples", NULL};
            if (cJSON_IsObject(root))
                json_object_or_reply(&r, root, "", allowed);
            cJSON_Delete(root);
        } else if (r.status != 400) {
            abort(); /* a refused body is always a 400 */
        }
        api_response_free(&r);
        e->runs++;
        return 0;
    }

    const target *t = &targets[pick];
    char path[96];
    if (t->suffix)
        snprintf(path, sizeof path, "/v1/models/%s%s", e->model_id, t->suffix);
    else
        snprintf(path, sizeof path, "/v1/models");
    api_kv headers[1] = {{"Content-Type", t->ctype}};
    api_kv query[1] = {{"wait", "true"}};
    api_request req = {t->method, path, query, 1, headers, 1, len ? body : NULL, len, NULL, NULL};
    int status = fuzz_call(e, &req);
    if (status == 201 && !t->suffix)
        delete_created(e);
    return 0;
}
