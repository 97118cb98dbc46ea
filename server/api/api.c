/*
 * api.c - request dispatch without a socket: route, check the body's media
 * type, call the handler. Also the app's lifetime.
 */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/access.h"
#include "domain/auth.h"
#include "domain/cache.h"
#include "api/cors.h"
#include "jobs/jobs.h"
#include "api/metrics.h"
#include "api/protocol_errors.h"
#include "domain/ratelimit.h"
#include "api/reply.h"
#include "api/routes.h"

/* Buckets: one per user (a class fits many times over) and one per
 * client address (see ratelimit.h for what happens when it is full). */
#define USER_BUCKETS 4096
#define IP_BUCKETS 8192

int app_init(app *a, const mlpd_config *cfg, storage *st)
{
    memset(a, 0, sizeof *a);
    atomic_init(&a->streams, 0);
    a->st = st;
    a->cfg = cfg;
    a->limits.max_inputs = (size_t)cfg->max_inputs;
    a->limits.max_layers = (size_t)cfg->max_layers;
    a->limits.max_units = (size_t)cfg->max_units;
    a->limits.max_params = (size_t)cfg->max_params;
    a->cache = cache_new((size_t)cfg->cache_mb << 20);
    a->metrics = metrics_new(n_routes);
    a->auth_token = strcmp(cfg->auth, "token") == 0;
    a->user_rl = ratelimit_new(USER_BUCKETS, (double)cfg->rate_limit, (double)cfg->rate_burst);
    a->ip_rl = ratelimit_new(IP_BUCKETS, (double)cfg->anon_rate_limit, (double)cfg->anon_burst);
    if (!a->cache || !a->metrics || !a->user_rl || !a->ip_rl || auth_init() != 0)
        goto fail;
    for (size_t i = 0; i < APP_MODEL_LOCKS; i++)
        pthread_mutex_init(&a->model_locks[i], NULL);
    jobs_config jc = {cfg->workers, cfg->checkpoint_epochs, (double)cfg->checkpoint_seconds,
                      1.0, 0.2};
    char err[160];
    a->jobs = jobs_start(a, &jc, err, sizeof err);
    if (!a->jobs) {
        fprintf(stderr, "mlpd: %s\n", err);
        for (size_t i = 0; i < APP_MODEL_LOCKS; i++)
            pthread_mutex_destroy(&a->model_locks[i]);
        goto fail;
    }
    return 0;
fail:
    cache_free(a->cache);
    metrics_free(a->metrics);
    ratelimit_free(a->user_rl);
    ratelimit_free(a->ip_rl);
    memset(a, 0, sizeof *a);
    return -1;
}

void app_free(app *a)
{
    if (!a->cache)
        return;
    jobs_free(a->jobs);
    cache_free(a->cache);
    metrics_free(a->metrics);
    ratelimit_free(a->user_rl);
    ratelimit_free(a->ip_rl);
    for (size_t i = 0; i < APP_MODEL_LOCKS; i++)
        pthread_mutex_destroy(&a->model_locks[i]);
    memset(a, 0, sizeof *a);
}

void app_stop_jobs(app *a)
{
    jobs_shutdown(a->jobs);
}

void app_wake_streams(app *a)
{
    void (*wake)(void *) = a->wake;
    if (wake)
        wake(a->wake_ctx);
}

const char *api_query(const api_request *req, const char *key)
{
    for (size_t i = 0; i < req->n_query; i++)
        if (strcmp(req->query[i].key, key) == 0)
            return req->query[i].value ? req->query[i].value : "";
    return NULL;
}

const char *api_header(const api_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (strcasecmp(req->headers[i].key, name) == 0)
            return req->headers[i].value ? req->headers[i].value : "";
    return NULL;
}

/* Does the Content-Type's media type (before ';', spaces trimmed, case
 * ignored) equal want? */
static int media_type_is(const char *ct, const char *want)
{
    if (!ct)
        return 0;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strcspn(ct, ";");
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    return n == strlen(want) && strncasecmp(ct, want, n) == 0;
}

/* 0 if the body's media type suits the route, else -1 after replying 415. */
static int check_media_type(const api_request *req, const route *rt, api_response *resp)
{
    const char *ct = api_header(req, "Content-Type");
    switch (rt->body) {
    case BODY_JSON:
        if (media_type_is(ct, "application/json"))
            return 0;
        break;
    case BODY_JSON_CSV:
        /* ?generate= (samples) makes the server write the data: no body. */
        if (req->body_len == 0 && api_query(req, "generate"))
            return 0;
        if (media_type_is(ct, "application/json") || media_type_is(ct, "text/csv"))
            return 0;
        reply_error(resp, API_ERR_UNSUPPORTED_MEDIA_TYPE, NULL,
                    "The body must be application/json or text/csv.");
        return -1;
    case BODY_JSON_OPT:
        if (req->body_len == 0 || media_type_is(ct, "application/json"))
            return 0;
        break;
    default:
        return 0;
    }
    reply_error(resp, API_ERR_UNSUPPORTED_MEDIA_TYPE, NULL, NULL);
    return -1;
}

/* Route, check access (access.c), the media type, then the handler;
 * OPTIONS is a CORS preflight on any route's path. Every answer gets the
 * CORS headers its Origin allows. */
static void dispatch(app *a, api_request *req, auth_user *user, api_response *resp)
{
    size_t index = 0;
    route_params params;
    char allow[128];
    int options = strcmp(req->method, "OPTIONS") == 0;
    route_result m = route_match(options ? "" : req->method, req->path, &index, &params, allow,
                                 sizeof allow);
    if (m == ROUTE_NOT_FOUND) {
        reply_error(resp, API_ERR_NOT_FOUND, NULL, "No such path.");
        return;
    }
    if (options) {
        cors_preflight(a->cfg, req, resp, allow);
        return;
    }
    if (m == ROUTE_BAD_METHOD) {
        reply_error(resp, API_ERR_METHOD_NOT_ALLOWED, NULL,
                    "Method %.16s is not allowed here; allowed: %s.", req->method, allow);
        api_response_header(resp, "Allow", allow);
        return;
    }
    resp->route = (int)index;
    const route *rt = &routes[index];
    if (access_check_or_reply(a, req, rt, &params, user, resp) != 0)
        return;
    if (check_media_type(req, rt, resp) != 0)
        return;
    rt->handler(a, req, &params, resp);
}

void api_handle(app *a, const api_request *req_in, api_response *resp)
{
    resp->route = -1;
    if (!req_in->method || !req_in->path) {
        reply_error(resp, API_ERR_BAD_REQUEST, NULL, "The request has no method or path.");
        return;
    }
    api_request req = *req_in; /* gains the caller */
    auth_user user;
    memset(&user, 0, sizeof user);
    dispatch(a, &req, &user, resp);
    protocol_errors_reshape(&req, resp); /* {"error": "text"} on /v2/ and :predict */
    if (strcmp(req.method, "OPTIONS") != 0) /* a preflight has its own */
        cors_decorate(a->cfg, &req, resp);
}
