/*
 * api.c - request dispatch without a socket: route, check the body's media
 * type, call the handler. (The app's lifetime is in ../app.c.)
 */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/access.h"
#include "domain/auth.h"
#include "api/cors.h"
#include "api/metrics.h"
#include "api/protocol_errors.h"
#include "api/reply.h"
#include "api/routes.h"

void app_wake_streams(app *a)
{
    pthread_mutex_lock(&a->wake_mu);
    if (a->wake)
        a->wake(a->wake_ctx);
    pthread_mutex_unlock(&a->wake_mu);
}

void app_set_wake(app *a, void (*wake)(void *), void *ctx)
{
    pthread_mutex_lock(&a->wake_mu);
    a->wake = wake;
    a->wake_ctx = ctx;
    pthread_mutex_unlock(&a->wake_mu);
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
