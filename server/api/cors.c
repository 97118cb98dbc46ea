/*
 * cors.c - CORS headers and preflight answers (see cors.h).
 */
#include "api/cors.h"

#include <stdio.h>
#include <string.h>

#include "api/reply.h"

#define ALLOW_HEADERS "Authorization, Content-Type, Idempotency-Key, Last-Event-ID"
#define EXPOSE_HEADERS "Location, Retry-After, WWW-Authenticate"
#define MAX_AGE "600"

int cors_allowed(const char *list, const char *origin)
{
    if (!list || !list[0] || !origin || !origin[0])
        return 0;
    if (strcmp(list, "*") == 0)
        return 1;
    if (strcmp(origin, "null") == 0)
        return 0;
    size_t n = strlen(origin);
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ",");
        size_t trim = len;
        while (trim && p[trim - 1] == ' ')
            trim--;
        if (trim == n && trim && memcmp(p, origin, n) == 0)
            return 1;
        p += len;
    }
    return 0;
}

/* ACAO (and Vary) for req's origin; 1 if the origin is allowed. */
static int allow_origin(const mlpd_config *cfg, const api_request *req, api_response *resp)
{
    if (!cfg->cors_origin[0])
        return 0;
    int any = strcmp(cfg->cors_origin, "*") == 0;
    const char *origin = api_header(req, "Origin");
    if (!any)
        api_response_header(resp, "Vary", "Origin"); /* caches: answers differ by origin */
    if (!cors_allowed(cfg->cors_origin, origin))
        return 0;
    api_response_header(resp, "Access-Control-Allow-Origin", any ? "*" : origin);
    return 1;
}

void cors_decorate(const mlpd_config *cfg, const api_request *req, api_response *resp)
{
    if (allow_origin(cfg, req, resp))
        api_response_header(resp, "Access-Control-Expose-Headers", EXPOSE_HEADERS);
}

void cors_preflight(const mlpd_config *cfg, const api_request *req, api_response *resp,
                    const char *methods)
{
    char allow[160];
    snprintf(allow, sizeof allow, "%s, OPTIONS", methods);
    /* 204 has no body, so it names no type (a JSON type on nothing would
     * promise a document that is not there). */
    reply_text(resp, 204, NULL, "", 0);
    api_response_header(resp, "Allow", allow);
    if (!allow_origin(cfg, req, resp))
        return;
    api_response_header(resp, "Access-Control-Allow-Methods", allow);
    api_response_header(resp, "Access-Control-Allow-Headers", ALLOW_HEADERS);
    api_response_header(resp, "Access-Control-Max-Age", MAX_AGE);
}
