/*
 * routes.c - every endpoint in one table, in the order of DESIGN.md's
 * REST table, and the matcher that picks one.
 */
#include "api/routes.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "api/handlers.h"

const route routes[] = {
    /* POST /v1/models - create a model (201 + Location) */
    {"POST", "/v1/models", h_model_create, BODY_JSON},
    /* GET /v1/models - list every model, oldest first */
    {"GET", "/v1/models", h_model_list, BODY_NONE},
    /* GET /v1/models/{id} - one model: architecture, conventions, samples, version, last loss */
    {"GET", "/v1/models/{id}", h_model_get, BODY_NONE},
    /* PATCH /v1/models/{id} - change a setting: {"public_predict": true|false} */
    {"PATCH", "/v1/models/{id}", h_model_patch, BODY_JSON},
    /* DELETE /v1/models/{id} - delete a model with its samples, versions, jobs and history */
    {"DELETE", "/v1/models/{id}", h_model_delete, BODY_NONE},
    /* GET /v1/models/{id}/weights - current weights (or ?version=n) */
    {"GET", "/v1/models/{id}/weights", h_weights_get, BODY_NONE},
    /* PUT /v1/models/{id}/weights - set every weight and bias; stores a new version */
    {"PUT", "/v1/models/{id}/weights", h_weights_put, BODY_JSON},
    /* POST /v1/models/{id}/samples - add samples (two JSON shapes or text/csv), all or nothing */
    {"POST", "/v1/models/{id}/samples", h_samples_add, BODY_JSON_CSV},
    /* GET /v1/models/{id}/samples - samples, paged with ?offset=&limit= */
    {"GET", "/v1/models/{id}/samples", h_samples_list, BODY_NONE},
    /* DELETE /v1/models/{id}/samples - remove every sample */
    {"DELETE", "/v1/models/{id}/samples", h_samples_clear, BODY_NONE},
    /* POST /v1/models/{id}/train - train on all samples (a job; ?wait=true answers 200) */
    {"POST", "/v1/models/{id}/train", h_train, BODY_JSON_OPT},
    /* GET /v1/jobs/{id} - one job */
    {"GET", "/v1/jobs/{id}", h_job_get, BODY_NONE},
    /* DELETE /v1/jobs/{id} - cancel a queued or running job (409 if finished) */
    {"DELETE", "/v1/jobs/{id}", h_job_cancel, BODY_NONE},
    /* GET /v1/jobs/{id}/events - the job's progress as server-sent events */
    {"GET", "/v1/jobs/{id}/events", h_job_events, BODY_NONE},
    /* GET /v1/models/{id}/jobs - the model's jobs */
    {"GET", "/v1/models/{id}/jobs", h_jobs_list, BODY_NONE},
    /* GET /v1/models/{id}/history - every epoch of every job, oldest first */
    {"GET", "/v1/models/{id}/history", h_history, BODY_NONE},
    /* GET /v1/models/{id}/versions - every stored weights version */
    {"GET", "/v1/models/{id}/versions", h_versions_list, BODY_NONE},
    /* POST /v1/models/{id}/versions/{n}/restore - copy version n as the new current version */
    {"POST", "/v1/models/{id}/versions/{n}/restore", h_version_restore, BODY_NONE},
    /* POST /v1/models/{id}/predict - {"inputs": [[..]]} -> {"version", "outputs"} */
    {"POST", "/v1/models/{id}/predict", h_predict, BODY_JSON},
    /* POST /v1/models/{id}:predict - TF Serving / KServe v1: {"instances"} -> {"predictions"} */
    {"POST", "/v1/models/{id}:predict", h_predict_v1, BODY_JSON},
    /* POST /v1/models/{id}/activations - every layer's outputs for rows or a grid of the input plane */
    {"POST", "/v1/models/{id}/activations", h_activations, BODY_JSON},
    /* POST /v1/models/{id}/evaluate - loss and metrics on given rows, a stored split or a dataset's test rows */
    {"POST", "/v1/models/{id}/evaluate", h_evaluate, BODY_JSON_CSV},
    /* GET /v1/models/{id}/metadata - TF Serving: the serving_default signature */
    {"GET", "/v1/models/{id}/metadata", h_tfs_metadata, BODY_NONE},
    /* GET /v1/models/{id}/export - the whole model as one JSON document (?format=onnx: ONNX) */
    {"GET", "/v1/models/{id}/export", h_model_export, BODY_NONE},
    /* POST /v1/models/import - create a new model from an export document (201 + Location) */
    {"POST", "/v1/models/import", h_model_import, BODY_JSON},
    /* POST /v1/models/{id}/step - one explained online update with every lecture quantity */
    {"POST", "/v1/models/{id}/step", h_step, BODY_JSON},
    /* GET /healthz - liveness */
    {"GET", "/healthz", h_health, BODY_NONE},
    /* GET /v2/health/live - liveness (KServe v2) */
    {"GET", "/v2/health/live", h_health, BODY_NONE},
    /* GET /v2/health/ready - readiness (KServe v2) */
    {"GET", "/v2/health/ready", h_health, BODY_NONE},
    /* GET /v2 - server metadata (KServe v2 / Open Inference Protocol) */
    {"GET", "/v2", h_v2_server, BODY_NONE},
    /* GET /v2/models/{id}[/versions/{n}] - model metadata: versions, platform, tensors */
    {"GET", "/v2/models/{id}", h_v2_model, BODY_NONE},
    {"GET", "/v2/models/{id}/versions/{n}", h_v2_model, BODY_NONE},
    /* GET /v2/models/{id}[/versions/{n}]/ready - model readiness */
    {"GET", "/v2/models/{id}/ready", h_v2_ready, BODY_NONE},
    {"GET", "/v2/models/{id}/versions/{n}/ready", h_v2_ready, BODY_NONE},
    /* POST /v2/models/{id}[/versions/{n}]/infer - inference: FP64/FP32 in, FP64 out */
    {"POST", "/v2/models/{id}/infer", h_v2_infer, BODY_JSON},
    {"POST", "/v2/models/{id}/versions/{n}/infer", h_v2_infer, BODY_JSON},
    /* GET /metrics - Prometheus text format */
    {"GET", "/metrics", h_metrics, BODY_NONE},
    /* GET /openapi.yaml - this API's description */
    {"GET", "/openapi.yaml", h_openapi, BODY_NONE},
    /* GET / - the lab page (server/web/, compiled in) */
    {"GET", "/", h_web_index, BODY_NONE},
    /* GET /web/{name}.js|.css|.md - the lab page's scripts, styles, lecture */
    {"GET", "/web/{id}.js", h_web_file, BODY_NONE},
    {"GET", "/web/{id}.css", h_web_file, BODY_NONE},
    {"GET", "/web/{id}.md", h_web_file, BODY_NONE},
    /* GET /web/{name}.html|.mjs|.wasm|.txt - the ONNX demo page, onnxruntime-web and its licence */
    {"GET", "/web/{id}.html", h_web_file, BODY_NONE},
    {"GET", "/web/{id}.mjs", h_web_file, BODY_NONE},
    {"GET", "/web/{id}.wasm", h_web_file, BODY_NONE},
    {"GET", "/web/{id}.txt", h_web_file, BODY_NONE},
    /* GET /v1/me - the caller: name, role, quotas and usage */
    {"GET", "/v1/me", h_me, BODY_NONE},
    /* POST /v1/exercises - a graded step exercise (teacher) */
    {"POST", "/v1/exercises", h_exercise_create, BODY_JSON},
    /* GET /v1/exercises - every exercise */
    {"GET", "/v1/exercises", h_exercise_list, BODY_NONE},
    /* GET /v1/exercises/{id} - the caller's variant (?user=NAME: the teacher reads a student's) */
    {"GET", "/v1/exercises/{id}", h_exercise_get, BODY_NONE},
    /* DELETE /v1/exercises/{id} - the exercise with its attempts (teacher) */
    {"DELETE", "/v1/exercises/{id}", h_exercise_delete, BODY_NONE},
    /* POST /v1/exercises/{id}/attempts - grade an attempt, number by number */
    {"POST", "/v1/exercises/{id}/attempts", h_attempt_post, BODY_JSON},
    /* GET /v1/exercises/{id}/attempts - the caller's attempts (?user=NAME: the teacher) */
    {"GET", "/v1/exercises/{id}/attempts", h_attempts_list, BODY_NONE},
    /* GET /v1/exercises/{id}/results - each student's attempts and best score (teacher; CSV too) */
    {"GET", "/v1/exercises/{id}/results", h_exercise_results, BODY_NONE},
    /* GET /v1/exercises/{id}/solution - the expected numbers of a variant (teacher; ?user=NAME) */
    {"GET", "/v1/exercises/{id}/solution", h_exercise_solution, BODY_NONE},
    /* POST /v1/datasets - a shared dataset (JSON sample shapes or text/csv) with its test split */
    {"POST", "/v1/datasets", h_dataset_create, BODY_JSON_CSV},
    /* GET /v1/datasets - the caller's datasets and every class one */
    {"GET", "/v1/datasets", h_dataset_list, BODY_NONE},
    /* GET /v1/datasets/{id} - columns, counts, class counts, statistics */
    {"GET", "/v1/datasets/{id}", h_dataset_get, BODY_NONE},
    /* PATCH /v1/datasets/{id} - {"visibility": "private"|"class"} (owner) */
    {"PATCH", "/v1/datasets/{id}", h_dataset_patch, BODY_JSON},
    /* DELETE /v1/datasets/{id} - the dataset with its scores (owner) */
    {"DELETE", "/v1/datasets/{id}", h_dataset_delete, BODY_NONE},
    /* GET /v1/datasets/{id}/rows - rows of ?split=train (readers) or test (owner), paged */
    {"GET", "/v1/datasets/{id}/rows", h_dataset_rows, BODY_NONE},
    /* GET /v1/datasets/{id}/scores - each user's best test score, best first (owner) */
    {"GET", "/v1/datasets/{id}/scores", h_dataset_scores, BODY_NONE},
};
const size_t n_routes = sizeof routes / sizeof routes[0];

static int param_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

/* Match one segment [seg, seg+len) against pattern segment [pat, pat+plen). */
static int match_segment(const char *pat, size_t plen, const char *seg, size_t len,
                         route_params *params)
{
    if (plen == 0 || pat[0] != '{')
        return plen == len && (len == 0 || pat[0] == seg[0]) && memcmp(pat, seg, len) == 0;
    const char *close = memchr(pat, '}', plen);
    if (!close)
        return 0;
    const char *suffix = close + 1;
    size_t slen = plen - (size_t)(suffix - pat);
    if (len <= slen || memcmp(seg + len - slen, suffix, slen) != 0)
        return 0;
    size_t vlen = len - slen;
    if (vlen > ROUTE_PARAM_MAX)
        return 0;
    for (size_t i = 0; i < vlen; i++)
        if (!param_char(seg[i]))
            return 0;
    char *dst = (close - pat == 2 && pat[1] == 'n') ? params->n : params->id;
    memcpy(dst, seg, vlen);
    dst[vlen] = '\0';
    return 1;
}

/* Paths and patterns as arrays of segments, so that a route is compared
 * only when its segment count matches (the matcher runs on every request). */
#define MAX_SEGMENTS 8
#define MAX_ROUTES 96

typedef struct segments {
    size_t n;
    const char *s[MAX_SEGMENTS];
    size_t len[MAX_SEGMENTS];
} segments;

/* Split "/a/b" into {"a", "b"}; -1 if not absolute or too many segments. */
static int split(const char *path, segments *out)
{
    out->n = 0;
    if (*path != '/')
        return -1;
    while (*path == '/') {
        if (out->n == MAX_SEGMENTS)
            return -1;
        path++;
        size_t len = strcspn(path, "/");
        out->s[out->n] = path;
        out->len[out->n++] = len;
        path += len;
    }
    return 0;
}

static segments compiled[MAX_ROUTES];
static pthread_once_t compiled_once = PTHREAD_ONCE_INIT;

static void compile_routes(void)
{
    for (size_t i = 0; i < n_routes && i < MAX_ROUTES; i++)
        split(routes[i].pattern, &compiled[i]);
}

static int match_path(size_t r, const segments *path, route_params *params)
{
    const segments *pat = &compiled[r];
    if (pat->n != path->n)
        return 0;
    params->id[0] = params->n[0] = '\0';
    for (size_t i = 0; i < pat->n; i++)
        /* pat->n == path->n and split() filled that many: the analyzer
         * cannot see compiled[] filled through pthread_once. */
        /* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage) */
        if (!match_segment(pat->s[i], pat->len[i], path->s[i], path->len[i], params))
            return 0;
    return 1;
}

route_result route_match(const char *method, const char *path, size_t *index,
                         route_params *params, char *allow, size_t allow_len)
{
    int path_matched = 0;
    if (allow_len)
        allow[0] = '\0';
    pthread_once(&compiled_once, compile_routes);
    segments segs;
    if (split(path, &segs) != 0)
        return ROUTE_NOT_FOUND;
    for (size_t i = 0; i < n_routes && i < MAX_ROUTES; i++) {
        route_params tmp;
        if (!match_path(i, &segs, &tmp))
            continue;
        if (strcmp(routes[i].method, method) == 0) {
            *index = i;
            *params = tmp;
            return ROUTE_FOUND;
        }
        if (allow_len) {
            size_t used = strlen(allow);
            snprintf(allow + used, allow_len - used, "%s%s", path_matched ? ", " : "",
                     routes[i].method);
        }
        path_matched = 1;
    }
    return path_matched ? ROUTE_BAD_METHOD : ROUTE_NOT_FOUND;
}
