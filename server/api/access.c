/*
 * access.c - authentication, rate and ownership before the handler (see
 * access.h for the classes of routes).
 */
#include "api/access.h"

#include <string.h>

#include "api/handlers.h"
#include "api/quota_check.h"
#include "api/reply.h"

const auth_user access_local_user = {ST_USER_LOCAL, ST_USER_LOCAL, 1};

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int ends(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* prefix followed by the end, '/' or ':' */
static int under(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(s, prefix, n) == 0 && (s[n] == '\0' || s[n] == '/' || s[n] == ':');
}

/* The lab page and its static files (GET only). */
static int lab_page(const char *pat)
{
    return strcmp(pat, "/") == 0 || under(pat, "/web") || under(pat, "/lab") || under(pat, "/static") ||
           under(pat, "/ui") || under(pat, "/assets") || strcmp(pat, "/favicon.ico") == 0;
}

/* An exercise's teacher routes: create, delete, results, solution. */
static int exercise_teacher_route(const route *rt)
{
    return (strcmp(rt->method, "POST") == 0 && strcmp(rt->pattern, "/v1/exercises") == 0) ||
           strcmp(rt->method, "DELETE") == 0 || ends(rt->pattern, "/results") ||
           ends(rt->pattern, "/solution");
}

access_kind access_of_route(const route *rt)
{
    const char *pat = rt->pattern;
    if (strcmp(pat, "/healthz") == 0 || starts(pat, "/v2/health/") || strcmp(pat, "/v2") == 0)
        return ACCESS_PUBLIC;
    if ((strcmp(rt->method, "GET") == 0 || strcmp(rt->method, "HEAD") == 0) && lab_page(pat))
        return ACCESS_PUBLIC;
    if (strcmp(pat, "/metrics") == 0)
        return ACCESS_ADMIN;
    if (under(pat, "/v2/models/{id}")) /* KServe v2: metadata, ready, infer */
        return ACCESS_PREDICT;
    if (under(pat, "/v1/models/{id}"))
        return ends(pat, "/predict") || ends(pat, ":predict") || ends(pat, "/metadata") ||
                       ends(pat, "/activations")
                   ? ACCESS_PREDICT
                   : ACCESS_MODEL;
    if (under(pat, "/v1/jobs/{id}"))
        return ACCESS_JOB;
    if (under(pat, "/v1/exercises"))
        return exercise_teacher_route(rt) ? ACCESS_ADMIN : ACCESS_USER;
    return ACCESS_USER;
}

void reply_unauthorized(api_response *resp, int invalid_token)
{
    reply_error(resp, API_ERR_UNAUTHORIZED, NULL, NULL);
    api_response_header(resp, "WWW-Authenticate",
                        invalid_token ? "Bearer realm=\"mlpd\", error=\"invalid_token\""
                                      : "Bearer realm=\"mlpd\"");
}

int model_access_or_reply(app *a, const api_request *req, api_response *resp, const char *id,
                          int predict)
{
    const auth_user *u = req->user;
    if (u && u->admin)
        return 0; /* the handler answers 404 for a missing model */
    char owner[17];
    int pub = 0;
    st_status s = storage_model_access(a->st, id, owner, &pub);
    if (s == ST_OK && ((predict && pub) || (u && strcmp(owner, u->id) == 0)))
        return 0;
    if (s != ST_OK && s != ST_NOT_FOUND) {
        reply_storage_error(resp, s);
        return -1;
    }
    /* the same answer whether the model is missing or someone else's */
    if (u)
        reply_error(resp, API_ERR_NOT_FOUND, NULL, NULL);
    else
        reply_unauthorized(resp, 0);
    return -1;
}

int job_access_or_reply(app *a, const api_request *req, api_response *resp, const char *job_id)
{
    if (req->user && req->user->admin)
        return 0;
    st_job j;
    memset(&j, 0, sizeof j);
    st_status s = storage_job_get(a->st, job_id, &j);
    char model_id[17];
    memcpy(model_id, j.model_id, sizeof model_id);
    st_job_clear(&j);
    if (s == ST_NOT_FOUND) {
        if (req->user)
            reply_error(resp, API_ERR_NOT_FOUND, NULL, NULL);
        else
            reply_unauthorized(resp, 0);
        return -1;
    }
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        return -1;
    }
    return model_access_or_reply(a, req, resp, model_id, 0);
}

/* The route's object, for an authenticated caller (or an anonymous one on
 * a predict route). */
static int object_or_reply(app *a, const api_request *req, access_kind k, const route_params *p,
                           api_response *resp)
{
    switch (k) {
    case ACCESS_ADMIN:
        if (req->user && req->user->admin)
            return 0;
        reply_error(resp, API_ERR_FORBIDDEN, NULL, NULL);
        return -1;
    case ACCESS_MODEL:
        return model_access_or_reply(a, req, resp, p->id, 0);
    case ACCESS_PREDICT:
        return model_access_or_reply(a, req, resp, p->id, 1);
    case ACCESS_JOB:
        return job_access_or_reply(a, req, resp, p->id);
    default:
        return 0;
    }
}

int access_check_or_reply(app *a, api_request *req, const route *rt, const route_params *p,
                          auth_user *user, api_response *resp)
{
    access_kind k = access_of_route(rt);
    req->user = NULL;
    if (k == ACCESS_PUBLIC)
        return 0;
    if (!a->auth_token) {
        req->user = &access_local_user;
        return 0; /* the local admin may do anything; handlers say 404 */
    }
    st_status se = ST_OK;
    auth_result ar = auth_lookup(a->st, api_header(req, "Authorization"), user, &se);
    switch (ar) {
    case AUTH_ERROR:
        reply_storage_error(resp, se);
        return -1;
    case AUTH_INVALID:
        /* guesses cost the guesser's address, like anonymous traffic */
        atomic_fetch_add(&a->auth_failures, 1);
        if (quota_anon_rate_or_reply(a, req, resp) != 0)
            return -1;
        reply_unauthorized(resp, 1);
        return -1;
    case AUTH_ANONYMOUS:
        if (k != ACCESS_PREDICT) {
            reply_unauthorized(resp, 0);
            return -1;
        }
        if (quota_anon_rate_or_reply(a, req, resp) != 0)
            return -1;
        return model_access_or_reply(a, req, resp, p->id, 1);
    case AUTH_OK:
        break;
    }
    req->user = user;
    if (quota_rate_or_reply(a, req, resp) != 0)
        return -1;
    return object_or_reply(a, req, k, p, resp);
}
