/*
 * routes.h - the route table and a pure matcher (no I/O, unit-tested).
 *
 * Patterns are literal segments and parameters: "{id}" matches one path
 * segment of [A-Za-z0-9_-] (1..64 bytes); "{id}:predict" matches such a
 * segment followed by the literal ":predict". No trailing slash is
 * accepted ("/v1/models/" is 404).
 */
#ifndef MLPD_SERVER_ROUTES_H
#define MLPD_SERVER_ROUTES_H

#include <stddef.h>

#include "api/api.h"

#define ROUTE_PARAM_MAX 64

typedef struct route_params {
    char id[ROUTE_PARAM_MAX + 1]; /* {id} */
    char n[ROUTE_PARAM_MAX + 1];  /* {n} */
} route_params;

typedef void (*route_handler)(app *a, const api_request *req, const route_params *p,
                              api_response *resp);

/* What a route's body must be (415 otherwise). */
enum {
    BODY_NONE = 0,     /* no body expected; any body is ignored */
    BODY_JSON = 1,     /* application/json */
    BODY_JSON_CSV = 2, /* application/json or text/csv */
    BODY_JSON_OPT = 3  /* application/json, or an empty body (= {}) */
};

typedef struct route {
    const char *method;
    const char *pattern; /* also the metrics label */
    route_handler handler;
    int body;
} route;

extern const route routes[];
extern const size_t n_routes;

typedef enum route_result {
    ROUTE_FOUND = 0,
    ROUTE_NOT_FOUND = 1,      /* no pattern matches the path */
    ROUTE_BAD_METHOD = 2      /* a pattern matches, not with this method */
} route_result;

/* Match method + path. ROUTE_FOUND: *index and *params set.
 * ROUTE_BAD_METHOD: allow gets the allowed methods ("GET, DELETE"). */
route_result route_match(const char *method, const char *path, size_t *index,
                         route_params *params, char *allow, size_t allow_len);

#endif
