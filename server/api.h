/*
 * api.h - request handling without a socket.
 *
 * api_handle() takes a parsed request (method, path, query, headers, body)
 * and fills a response (status, content type, body, extra headers). The
 * HTTP glue (http.c), the unit tests and fuzzers all drive it the same way.
 */
#ifndef MLPD_SERVER_API_H
#define MLPD_SERVER_API_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "config.h"
#include "mlp.h"
#include "sbuf.h"
#include "storage.h"

struct auth_user;
struct cache;
struct metrics;
struct ratelimit;

typedef struct api_kv {
    const char *key;
    const char *value; /* may be NULL (a query key without "=") */
} api_kv;

typedef struct api_request {
    const char *method;
    const char *path;      /* without the query string */
    const api_kv *query;   /* decoded query arguments */
    size_t n_query;
    const api_kv *headers; /* names compared case-insensitively */
    size_t n_headers;
    const char *body;      /* not NUL-terminated; may be NULL when body_len is 0 */
    size_t body_len;
    const char *client_ip; /* text form; NULL when unknown (tests) */
    /* Set by api_handle before the handler runs: the caller, or NULL for
     * an anonymous request (only predict on a public_predict model). */
    const struct auth_user *user;
} api_request;

#define API_MAX_EXTRA_HEADERS 10

typedef struct api_response {
    int status;
    const char *content_type; /* static string */
    sbuf body;                /* owned by the response until taken */
    size_t n_headers;
    struct {
        char name[32];
        char value[256];
    } headers[API_MAX_EXTRA_HEADERS];
    int route; /* index into the route table, -1 when none matched */
} api_response;

void api_response_init(api_response *r);
void api_response_free(api_response *r);
/* Adds a header (truncating an over-long value); ignored past the maximum. */
void api_response_header(api_response *r, const char *name, const char *value);

/* A job being trained by some request thread, so DELETE /v1/jobs/{id} can
 * cancel it. Lives on that thread's stack while listed. */
typedef struct running_job {
    char id[17];
    char model_id[17];
    atomic_int cancel;
    struct running_job *next;
} running_job;

#define APP_MODEL_LOCKS 64

/* Everything a handler needs; shared by all request threads. */
typedef struct app {
    storage *st;                /* not owned */
    const mlpd_config *cfg;     /* not owned */
    mlp_limits limits;
    struct cache *cache;        /* owned */
    struct metrics *metrics;    /* owned */
    pthread_mutex_t jobs_mu;
    running_job *running;       /* under jobs_mu */
    int stopping;               /* under jobs_mu: new jobs start cancelled */
    /* Serialise writers of one model's weights (step, PUT, restore,
     * publishing a training result), striped by id hash. */
    pthread_mutex_t model_locks[APP_MODEL_LOCKS];
    int auth_token;             /* --auth token */
    struct ratelimit *user_rl;  /* owned: a bucket per user id */
    struct ratelimit *ip_rl;    /* owned: a bucket per address, for requests without a valid token */
    atomic_uint_fast64_t anon_requests, anon_limited, auth_failures;
} app;

/* 0 on success; -1 if memory ran out (nothing to free then). */
int app_init(app *a, const mlpd_config *cfg, storage *st);
void app_free(app *a);
/* Raise the cancel flag of every running job (at shutdown, so that
 * requests training synchronously end quickly). */
void app_cancel_jobs(app *a);

void api_handle(app *a, const api_request *req, api_response *resp);

/* Lookups on a request: NULL when absent. Header names ignore case. */
const char *api_query(const api_request *req, const char *key);
const char *api_header(const api_request *req, const char *name);

#endif
