/*
 * fuzz_api.c - the whole request handler, api_handle, as the daemon calls
 * it, over a temporary on-disk database holding one model and one job.
 *
 * Input: METHOD \0 PATH[?QUERY] \0 HEADERS \0 BODY, where HEADERS are
 * "Name: value" lines separated by \n, QUERY is k=v pairs separated by &
 * (already decoded, as libmicrohttpd hands them over), and in PATH "{M}"
 * stands for the model's id, "{J}" for the job's, "{E}" for the
 * exercise's and "{D}" for the dataset's, so that mutations
 * reach the handlers behind an existing id. Missing parts are empty.
 * The body is passed without a NUL after it (guarded_copy).
 *
 * Every response must be 2xx-4xx or 503, JSON when it says so (fuzz_call).
 */
#include <stdio.h>
#include <string.h>

#include "fuzz_common.h"

#define MAX_KV 64

/* Next NUL-separated part of [*p, end): copied into out (cut to n - 1). */
static void next_part(const uint8_t **p, const uint8_t *end, char *out, size_t n)
{
    const uint8_t *z = memchr(*p, '\0', (size_t)(end - *p));
    const uint8_t *stop = z ? z : end;
    size_t len = (size_t)(stop - *p);
    if (len > n - 1)
        len = n - 1;
    memcpy(out, *p, len);
    out[len] = '\0';
    *p = z ? z + 1 : end;
}

/* Replace {M}, {J}, {E} and {D} in src into dst. */
static void expand_ids(const fuzz_env *e, const char *src, char *dst, size_t n)
{
    size_t o = 0;
    while (*src && o + 1 < n) {
        const char *id = NULL;
        if (strncmp(src, "{M}", 3) == 0)
            id = e->model_id;
        else if (strncmp(src, "{J}", 3) == 0)
            id = e->job_id;
        else if (strncmp(src, "{E}", 3) == 0)
            id = e->exercise_id;
        else if (strncmp(src, "{D}", 3) == 0)
            id = e->dataset_id;
        if (id && o + 16 < n) {
            memcpy(dst + o, id, 16);
            o += 16;
            src += 3;
        } else {
            dst[o++] = *src++;
        }
    }
    dst[o] = '\0';
}

/* Split "k=v&k2" in place into kv (value NULL without '='). */
static size_t split_query(char *q, api_kv *kv)
{
    size_t n = 0;
    for (char *save = NULL, *tok = strtok_r(q, "&", &save); tok && n < MAX_KV;
         tok = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(tok, '=');
        if (eq)
            *eq = '\0';
        kv[n++] = (api_kv){tok, eq ? eq + 1 : NULL};
    }
    return n;
}

/* "Name: value" lines in place into kv. */
static size_t split_headers(char *h, api_kv *kv)
{
    size_t n = 0;
    for (char *save = NULL, *line = strtok_r(h, "\n", &save); line && n < MAX_KV;
         line = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ')
            v++;
        kv[n++] = (api_kv){line, v};
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    fuzz_env *e = fuzz_env_get();
    if (e->runs >= 2000)
        fuzz_env_reset(e);

    static char method[64], target[2048], path[2048], hdrs[8192];
    api_kv query[MAX_KV], headers[MAX_KV];
    const uint8_t *p = data, *end = data + size;
    next_part(&p, end, method, sizeof method);
    next_part(&p, end, target, sizeof target);
    next_part(&p, end, hdrs, sizeof hdrs);
    size_t body_len = (size_t)(end - p);
    const char *body = guarded_copy(p, body_len);

    expand_ids(e, target, path, sizeof path);
    size_t nq = 0;
    char *qm = strchr(path, '?');
    if (qm) {
        *qm = '\0';
        nq = split_query(qm + 1, query);
    }
    size_t nh = split_headers(hdrs, headers);
    api_request req = {method, path, query, nq, headers, nh, body_len ? body : NULL, body_len, NULL, NULL};
    int status = fuzz_call(e, &req);
    /* The model or its samples are gone: start from a full database again. */
    if (status >= 200 && status < 300 && strcmp(method, "DELETE") == 0)
        fuzz_env_reset(e);
    return 0;
}
