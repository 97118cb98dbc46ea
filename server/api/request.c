/*
 * request.c - lookups on a request (api.h): what access checks, CORS and
 * handlers read, apart from the dispatch in api.c.
 */
#include <string.h>
#include <strings.h>

#include "api/api.h"

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
