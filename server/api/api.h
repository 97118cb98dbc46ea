/*
 * api.h - request handling without a socket.
 *
 * api_handle() takes a parsed request (method, path, query, headers, body)
 * and fills a response (status, content type, body, extra headers). The
 * HTTP glue (http/), the unit tests and fuzzers all drive it the same way.
 */
#ifndef MLPD_SERVER_API_H
#define MLPD_SERVER_API_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "util/config.h"
#include "mlp.h"
#include "util/sbuf.h"
#include "storage/storage.h"
#include "domain/model.h"

struct auth_user;
struct cache;
struct jobs;
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

/* A body produced a piece at a time (server-sent events; later a train
 * request that waits for its job): the HTTP glue calls produce() whenever
 * the client can take more bytes. produce appends to out and returns 1
 * while the stream goes on, 0 after appending its last bytes. Returning 1
 * with nothing appended means "nothing yet": the glue parks the connection
 * (no thread waits) and asks again after a tick (about 250 ms) or an
 * app_wake_streams(). free(ctx) runs exactly once, when the request is
 * over (client gone, stream ended, daemon stopping) or the response is
 * freed unsent. produce is never called concurrently with itself. */
typedef struct api_stream {
    int (*produce)(void *ctx, sbuf *out);
    void (*free)(void *ctx);
    void *ctx;
} api_stream;

/* A reply that is not ready yet (POST .../train?wait=true): instead of a
 * request thread sleeping until the job ends (which stalls every other
 * connection libmicrohttpd gave that thread), the HTTP glue parks the
 * connection and calls poll() again after a tick or an app_wake_streams().
 * poll fills resp (status, body; the headers set so far stay) and returns
 * 1 when the reply is ready, always when `now` is set (daemon stopping);
 * 0 means "ask again later". free(ctx) runs exactly once. Handlers only
 * defer when the caller set api_response.can_defer; otherwise they block. */
typedef struct api_response api_response;
typedef struct api_deferred {
    int (*poll)(void *ctx, api_response *resp, int now);
    void (*free)(void *ctx);
    void *ctx;
} api_deferred;

struct api_response {
    int status;
    const char *content_type; /* static string */
    sbuf body;                /* owned by the response until taken */
    size_t n_headers;
    struct {
        char name[32];
        char value[256];
    } headers[API_MAX_EXTRA_HEADERS];
    int route; /* index into the route table, -1 when none matched */
    api_stream stream; /* produce != NULL: streamed; owned until taken */
    int can_defer;         /* set by the caller: it takes a deferred reply */
    api_deferred deferred; /* poll != NULL: not ready yet; owned until taken */
};

void api_response_init(api_response *r);
void api_response_free(api_response *r);
/* Adds a header (truncating an over-long value); ignored past the maximum. */
void api_response_header(api_response *r, const char *name, const char *value);
/* Answer with a stream (status, content type and headers as set); the
 * response owns it until the glue takes it (api_response_free frees it). */
void api_response_stream(api_response *r, int status, const char *content_type,
                         api_stream stream);


/* Everything a handler needs; shared by all request threads. */
typedef struct app {
    storage *st;                /* not owned */
    const mlpd_config *cfg;     /* not owned */
    mlp_limits limits;
    struct cache *cache;        /* owned */
    struct metrics *metrics;    /* owned */
    struct jobs *jobs;          /* owned: the training workers (jobs.h) */
    /* Serialise writers of one model's weights (step, PUT, restore,
     * publishing a training result), striped by id hash. */
    pthread_mutex_t model_locks[MODEL_LOCKS];
    /* Open event streams (bounded by cfg->max_streams). */
    atomic_long streams;
    /* Set by the HTTP glue (app_set_wake): ask every parked stream for
     * more bytes now. Under wake_mu: workers and the database listener
     * wake streams from their own threads, before and after HTTP runs. */
    pthread_mutex_t wake_mu;
    void (*wake)(void *wake_ctx);
    void *wake_ctx;
    int auth_token;             /* --auth token */
    struct ratelimit *user_rl;  /* owned: a bucket per user id */
    struct ratelimit *ip_rl;    /* owned: a bucket per address, for requests without a valid token */
    atomic_uint_fast64_t anon_requests, anon_limited, auth_failures;
    atomic_int_fast64_t rl_share_due; /* ms (clock_mono): count the nodes again */
    char node_id[128];          /* the name this node's jobs carry (--node-id) */
} app;

/* Who resumes the parked streams (NULL: nobody, e.g. HTTP stopped); it
 * returns once no call of the old one runs. */
void app_set_wake(app *a, void (*wake)(void *), void *ctx);

/* Wake parked streams now instead of at the next tick (e.g. when a job
 * changes state); harmless without an HTTP glue. */
void app_wake_streams(app *a);

void api_handle(app *a, const api_request *req, api_response *resp);

/* Lookups on a request: NULL when absent. Header names ignore case. */
const char *api_query(const api_request *req, const char *key);
const char *api_header(const api_request *req, const char *name);

#endif
