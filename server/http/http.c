/*
 * http.c - libmicrohttpd 0.9.75 glue, kept thin: the request lifecycle,
 * header checks libmicrohttpd does not make, and copying the api_response
 * into an MHD response.
 *
 * Lifecycle (per request, see RELIABILITY.md findings 1-3):
 *   first call    allocate state in *req_cls; refuse bad headers (400) or
 *                 a Content-Length over --max-body (413) right away, before
 *                 the body is read; otherwise return MHD_YES without a
 *                 response (queueing one here would end keep-alive);
 *   upload calls  append the chunk (up to --max-body; past it remember
 *                 "too large" and discard) and set *upload_data_size = 0;
 *   last call     answer: 413 if too large, else api_handle();
 *   completed     record metrics and free the state.
 *
 * Streamed and deferred responses park their connection: see streams.c.
 */
#include "http/http_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "api/errors.h"
#include "api/metrics.h"
#include "api/reply.h"

#define MAX_QUERY_ARGS 64
#define MAX_HEADERS 128
#ifndef HTTP_CLIENT_DISCIPLINE
#define HTTP_CLIENT_DISCIPLINE 2
#endif

/* How long http_stop waits for the deferred replies still going out. */
#define STOP_DRAIN_MS 3000

/* libmicrohttpd clears the pool per request: keep it at its default size. */
#define CONN_MEMORY_LIMIT (32 * 1024)

typedef struct kv_list {
    api_kv items[MAX_HEADERS];
    size_t n;
    size_t cap;
} kv_list;

typedef struct req_state {
    char *body;
    size_t len, cap;
    int too_large;
    long max_body; /* --max-body, or --max-import-body for an import */
    int answered;
    api_response *pending; /* a deferred reply waiting in the parked list */
    int deferred;          /* counted in h->deferred_open until completed */
    parked_conn park;
    int observed; /* metrics already recorded (streams: at the start) */
    int route, status;
    struct timespec start;
    /* header checks on the first call */
    const char *content_length;
    int bad_header;
    int has_te;
    int hosts;
} req_state;

/* A request body must have arrived this many idle timeouts after the
 * request began: the idle timeout alone lets a sender trickle one byte
 * per timeout for ever (slowloris on the body). */
#define BODY_DEADLINE_TIMEOUTS 12

/* What the URI log callback leaves in *req_cls when the raw request
 * target holds "%00": libmicrohttpd 0.9.75 decodes it into the URL and the
 * query values, where C strings end at it, so "/v1/models/ID%00/samples"
 * would reach the handler as "/v1/models/ID". A static marker (no
 * allocation), so that nothing leaks if the request never gets further. */
static const char encoded_nul_marker;

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    for (const char *p = uri; p && (p = strchr(p, '%')) != NULL; p++)
        if (p[1] == '0' && p[2] == '0')
            return (void *)&encoded_nul_marker;
    return NULL;
}

static double elapsed(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* ---- answering --------------------------------------------------------- */

/* Queue r on the connection (the body buffer or stream passes to
 * libmicrohttpd). */
static enum MHD_Result send_response(http_server *h, struct MHD_Connection *conn,
                                     req_state *st, api_response *r)
{
    struct MHD_Response *resp;
    int streamed = r->stream.produce != NULL;
    if (streamed) {
        resp = h ? stream_response(h, conn, r) : NULL;
        if (!resp)
            return MHD_NO;
    } else {
        size_t len = 0;
        char *data = sbuf_take(&r->body, &len);
        resp = data ? MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE)
                    : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (!resp) {
            free(data);
            return MHD_NO;
        }
    }
    if (r->content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    int own_cache_control = 0; /* the lab page's files revalidate instead */
    for (size_t i = 0; i < r->n_headers; i++) {
        MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
        own_cache_control |= strcasecmp(r->headers[i].name, "Cache-Control") == 0;
    }
    if (!own_cache_control)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned int)r->status, resp);
    MHD_destroy_response(resp);
    st->answered = 1;
    st->status = r->status;
    st->route = r->route;
    if (streamed && ret == MHD_YES) {
        /* A stream lasts as long as the job: its latency is the start. */
        metrics_observe(h->a->metrics, st->route, NULL, st->status, elapsed(&st->start));
        st->observed = 1;
    }
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, req_state *st, api_error e,
                                  const char *msg)
{
    api_response r;
    api_response_init(&r);
    reply_error(&r, e, NULL, "%s", msg ? msg : api_error_message(e));
    api_response_header(&r, "Connection", "close");
    enum MHD_Result ret = send_response(NULL, conn, st, &r);
    api_response_free(&r);
    return ret;
}

static int bad_name_char(unsigned char c)
{
    /* RFC 9110 token characters only. */
    if (c <= 0x20 || c >= 0x7f)
        return 1;
    return strchr("\"(),/:;<=>?@[\\]{}", c) != NULL;
}

/* Bad header values: a NUL (libmicrohttpd 0.9.75 passes it, and C
 * strings would cut the value short there) or another control byte but
 * HTAB (RFC 9110 5.5). */
static int bad_value(const char *v, size_t len)
{
    if (!v)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return 1;
    }
    return 0;
}

enum { HDR_OK, HDR_BAD_NAME, HDR_BAD_VALUE, HDR_TWO_LENGTHS, HDR_TWO_HOSTS };

static enum MHD_Result check_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    req_state *st = cls;
    if (st->bad_header)
        return MHD_NO;
    if (!key || key_size == 0 || strlen(key) != key_size) {
        st->bad_header = HDR_BAD_NAME;
        return MHD_NO;
    }
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        if (bad_name_char(*p))
            st->bad_header = HDR_BAD_NAME;
    if (bad_value(value, value_size))
        st->bad_header = HDR_BAD_VALUE;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        if (st->content_length && strcmp(st->content_length, value ? value : "") != 0)
            st->bad_header = HDR_TWO_LENGTHS;
        st->content_length = value ? value : "";
    }
    if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
        st->has_te = 1;
    if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0 && ++st->hosts > 1)
        st->bad_header = HDR_TWO_HOSTS;
    return MHD_YES;
}

/* Content-Length as a number; -1 if malformed. */
static long long parse_length(const char *s)
{
    if (!*s || strlen(s) > 18)
        return -1;
    long long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

/* A whole exported model is larger than any other body: only the import
 * route gets --max-import-body. */
static long body_limit(const mlpd_config *cfg, const char *url, const char *method)
{
    if (strcmp(method, "POST") == 0 && strcmp(url, "/v1/models/import") == 0 &&
        cfg->max_import_body > cfg->max_body)
        return cfg->max_import_body;
    return cfg->max_body;
}

/* First call: checks that must answer before the body is read. */
static enum MHD_Result first_call(http_server *h, struct MHD_Connection *conn,
                                  req_state *st, const char *version)
{
    (void)h; /* the body limit is st->max_body */
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, check_header, st);
    switch (st->bad_header) {
    case HDR_BAD_NAME:
        return send_error(conn, st, API_ERR_BAD_REQUEST, "A header name is malformed.");
    case HDR_BAD_VALUE:
        return send_error(conn, st, API_ERR_BAD_REQUEST,
                          "A header value contains a control character.");
    case HDR_TWO_LENGTHS:
        return send_error(conn, st, API_ERR_BAD_REQUEST,
                          "The request has conflicting Content-Length headers.");
    case HDR_TWO_HOSTS:
        return send_error(conn, st, API_ERR_BAD_REQUEST, "The request has two Host headers.");
    default:
        break;
    }
    /* RFC 9112 3.2: an HTTP/1.1 request without Host is a 400. */
    if (st->hosts == 0 && version && strcmp(version, MHD_HTTP_VERSION_1_1) == 0)
        return send_error(conn, st, API_ERR_BAD_REQUEST, "An HTTP/1.1 request needs a Host header.");
    if (st->content_length) {
        long long len = parse_length(st->content_length);
        if (len < 0)
            return send_error(conn, st, API_ERR_BAD_REQUEST, "Content-Length is malformed.");
        if (st->has_te)
            return send_error(conn, st, API_ERR_BAD_REQUEST,
                              "A request may not have both Content-Length and Transfer-Encoding.");
        if (len > st->max_body) {
            char msg[96];
            snprintf(msg, sizeof msg, "The body may be at most %ld bytes.", st->max_body);
            return send_error(conn, st, API_ERR_BODY_TOO_LARGE, msg);
        }
    } else if (st->has_te) {
        /* A chunked upload cannot be sized up front: ask for a length. */
        return send_error(conn, st, API_ERR_LENGTH_REQUIRED,
                          "Send the body with a Content-Length, not chunked.");
    }
    return MHD_YES;
}

static void append_body(http_server *h, req_state *st, const char *data, size_t size)
{
    (void)h;
    if (st->too_large || size > (size_t)st->max_body - st->len) {
        st->too_large = 1;
        return;
    }
    if (st->len + size > st->cap) {
        size_t cap = st->cap ? st->cap : 4096;
        while (cap < st->len + size)
            cap *= 2;
        if (cap > (size_t)st->max_body)
            cap = (size_t)st->max_body;
        char *p = realloc(st->body, cap);
        if (!p) {
            st->too_large = 1; /* answered as 413: we cannot hold it */
            return;
        }
        st->body = p;
        st->cap = cap;
    }
    memcpy(st->body + st->len, data, size);
    st->len += size;
}

static enum MHD_Result collect_kv(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    kv_list *l = cls;
    if (key && l->n < l->cap)
        l->items[l->n++] = (api_kv){key, value};
    return MHD_YES;
}

/* The peer's address as text ("" if unknown). */
static void peer_ip(struct MHD_Connection *conn, char *out, size_t n)
{
    out[0] = '\0';
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)n);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)n);
}

/* The client's address ("" if unknown), the key of per-address rate
 * limits: the peer, or behind a --trust-proxy proxy the address its
 * X-Forwarded-For names (util/netaddr.h). */
static void client_ip(const http_server *h, struct MHD_Connection *conn, char *out, size_t n)
{
    char peer[INET6_ADDRSTRLEN] = "";
    peer_ip(conn, peer, sizeof peer);
    const char *xff = h->trust.n
                          ? MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For")
                          : NULL;
    net_client_addr(&h->trust, peer, xff, out, n);
}

static void free_pending(req_state *st)
{
    if (!st->pending)
        return;
    api_response_free(st->pending);
    free(st->pending);
    st->pending = NULL;
}

/* A deferred reply: send it once its poll says it is ready, else park
 * the connection; libmicrohttpd calls on_request again when it resumes
 * (after a tick or app_wake_streams). While the daemon stops, parking is
 * refused and the reply goes out as it is. */
static enum MHD_Result answer_pending(http_server *h, struct MHD_Connection *conn,
                                      req_state *st)
{
    api_response *r = st->pending;
    int now = atomic_load(&h->stopping);
    if (!now && client_gone(conn))
        return MHD_NO; /* on_completed frees it */
    if (!r->deferred.poll(r->deferred.ctx, r, now)) {
        st->park.conn = conn;
        if (park(h, &st->park) == 0)
            return MHD_YES;
        r->deferred.poll(r->deferred.ctx, r, 1);
    }
    enum MHD_Result ret = send_response(h, conn, st, r);
    free_pending(st);
    return ret;
}

static enum MHD_Result answer(http_server *h, struct MHD_Connection *conn, req_state *st,
                              const char *url, const char *method)
{
    if (st->too_large) {
        char msg[96];
        snprintf(msg, sizeof msg, "The body may be at most %ld bytes.", st->max_body);
        return send_error(conn, st, API_ERR_BODY_TOO_LARGE, msg);
    }
    static __thread kv_list query, headers;
    query.n = headers.n = 0;
    query.cap = MAX_QUERY_ARGS;
    headers.cap = MAX_HEADERS;
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_kv, &query);
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_kv, &headers);
    char ip[NET_ADDR_TEXT] = "";
    client_ip(h, conn, ip, sizeof ip);
    api_request req = {method, url, query.items, query.n, headers.items, headers.n,
                       st->body, st->len, ip[0] ? ip : NULL, NULL};
    api_response r;
    api_response_init(&r);
    r.can_defer = 1;
    api_handle(h->a, &req, &r);
    if (r.deferred.poll) {
        st->pending = malloc(sizeof *st->pending);
        if (st->pending) {
            *st->pending = r; /* owns the body, headers and deferred state now */
            st->deferred = 1;
            atomic_fetch_add(&h->deferred_open, 1);
            return answer_pending(h, conn, st);
        }
        r.deferred.poll(r.deferred.ctx, &r, 1); /* no memory to wait: answer as it is */
    }
    enum MHD_Result ret = send_response(h, conn, st, &r);
    api_response_free(&r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    http_server *h = cls;
    req_state *st = *req_cls;
    if (!st || *req_cls == &encoded_nul_marker) {
        int encoded_nul = st != NULL;
        st = calloc(1, sizeof *st);
        if (!st)
            return MHD_NO;
        st->route = -1;
        clock_gettime(CLOCK_MONOTONIC, &st->start);
        *req_cls = st;
        st->max_body = body_limit(h->cfg, url, method);
        if (encoded_nul)
            return send_error(conn, st, API_ERR_BAD_REQUEST,
                              "The URL contains an encoded NUL (%00).");
        return first_call(h, conn, st, version);
    }
    if (st->pending) /* resumed from parking */
        return answer_pending(h, conn, st);
    if (st->answered) { /* refused on the first call; drain */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (elapsed(&st->start) > (double)(BODY_DEADLINE_TIMEOUTS * h->cfg->conn_timeout))
            return MHD_NO; /* a sender this slow loses the connection */
        append_body(h, st, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    return answer(h, conn, st, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    http_server *h = cls;
    req_state *st = *req_cls;
    if (!st || *req_cls == &encoded_nul_marker)
        return;
    if (st->answered && !st->observed)
        metrics_observe(h->a->metrics, st->route, NULL, st->status, elapsed(&st->start));
    if (st->deferred)
        atomic_fetch_sub(&h->deferred_open, 1);
    free_pending(st);
    free(st->body);
    free(st);
    *req_cls = NULL;
}

http_server *http_start(app *a, const mlpd_config *cfg, char *err, size_t errlen)
{
    http_server *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->a = a;
    h->cfg = cfg;
    if (net_trust_parse(&h->trust, cfg->trust_proxy, err, errlen) != 0) {
        free(h);
        return NULL;
    }
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    memset(&v4, 0, sizeof v4);
    memset(&v6, 0, sizeof v6);
    const struct sockaddr *addr;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                         MHD_ALLOW_SUSPEND_RESUME;
    if (inet_pton(AF_INET, cfg->bind, &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons((uint16_t)cfg->port);
        addr = (const struct sockaddr *)&v4;
    } else if (inet_pton(AF_INET6, cfg->bind, &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons((uint16_t)cfg->port);
        addr = (const struct sockaddr *)&v6;
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(err, errlen, "--bind '%s' is not an IPv4 or IPv6 address", cfg->bind);
        free(h);
        return NULL;
    }
    if (ticker_start(h, err, errlen) != 0) {
        free(h);
        return NULL;
    }
    app_set_wake(a, wake_streams, h); /* before any request thread can read it */
    h->d = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, on_request, h,
        MHD_OPTION_SOCK_ADDR, addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)cfg->threads,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)cfg->conn_timeout,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)cfg->max_conns,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)cfg->per_ip_conns,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY_LIMIT,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
        MHD_OPTION_URI_LOG_CALLBACK, uri_log, NULL,
#if MHD_VERSION >= 0x00097701
        /* 0.9.77 and 1.0 (Debian 13) accept request lines with runs of
         * spaces or tabs by default; 0.9.75 (Debian 12) refuses them.
         * Level 2 keeps the refusal on both. */
        MHD_OPTION_CLIENT_DISCIPLINE_LVL, (int)HTTP_CLIENT_DISCIPLINE,
#endif
        MHD_OPTION_END);
    if (!h->d) {
        snprintf(err, errlen, "cannot listen on %s port %ld (in use, or not allowed)",
                 cfg->bind, cfg->port);
        app_set_wake(a, NULL, NULL);
        ticker_stop(h);
        pthread_cond_destroy(&h->cond);
        pthread_mutex_destroy(&h->mu);
        free(h);
        return NULL;
    }
    return h;
}

void http_quiesce(http_server *h)
{
    if (!h)
        return;
    MHD_socket fd = MHD_quiesce_daemon(h->d);
    if (fd != MHD_INVALID_SOCKET)
        close(fd); /* quiesce hands the listening socket to us */
}

void http_stop(http_server *h)
{
    if (!h)
        return;
    /* Streams end (no more parking) before MHD closes the connections. */
    ticker_stop(h);
    /* The deferred replies the ticker resumed are answered on MHD's
     * threads (a look at the database: milliseconds on PostgreSQL);
     * closing the connections first would cut them off unanswered. A
     * client that does not read its reply is not waited for long. */
    for (int i = 0; i < STOP_DRAIN_MS / 10 && atomic_load(&h->deferred_open) > 0; i++) {
        struct timespec ten_ms = {0, 10L * 1000 * 1000};
        nanosleep(&ten_ms, NULL);
    }
    MHD_stop_daemon(h->d);
    app_set_wake(h->a, NULL, NULL);
    pthread_cond_destroy(&h->cond);
    pthread_mutex_destroy(&h->mu);
    free(h);
}
