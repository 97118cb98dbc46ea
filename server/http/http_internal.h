/*
 * http_internal.h - what the request lifecycle (http.c) and the parked
 * streams (streams.c) share. Not for use outside http/.
 */
#ifndef MLPD_HTTP_INTERNAL_H
#define MLPD_HTTP_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

#include "http/http.h"
#include "util/netaddr.h"
#include "util/sbuf.h"

/* How often parked streams are asked again. */
#define TICK_MS 250
/* Largest piece handed to MHD per call (it may ask for less). */
#define STREAM_BLOCK 16384

typedef struct stream_state stream_state;

/* A suspended connection in the ticker's list: a stream with nothing to
 * send yet, or a deferred reply (api_deferred) not ready yet. */
typedef struct parked_conn parked_conn;
struct parked_conn {
    struct MHD_Connection *conn;
    parked_conn *next; /* under http_server.mu */
};

struct http_server {
    struct MHD_Daemon *d;
    app *a;
    const mlpd_config *cfg;
    net_trust trust;       /* --trust-proxy */
    /* parked streams and the ticker that resumes them */
    pthread_mutex_t mu;
    pthread_cond_t cond;
    pthread_t ticker;
    int ticker_running;
    int woken;             /* under mu */
    parked_conn *parked;   /* under mu */
    atomic_int stopping;   /* written under mu */
    /* deferred replies taken on and not yet completed (sent or dropped):
     * http_stop lets them go out before closing the connections */
    atomic_int deferred_open;
};

/* One streamed response: owned by the MHD response (freed by its free
 * callback when the connection is done with it). */
struct stream_state {
    http_server *h;
    parked_conn park; /* park.conn: the stream's connection */
    api_stream src;
    sbuf buf;       /* produced, not yet handed to MHD from off on */
    size_t off;
    int ended;      /* the producer said its last word */
};

/* Has the client closed or reset its side? */
int client_gone(struct MHD_Connection *conn);
/* Suspend p's connection until the next tick; -1 if the daemon stops. */
int park(http_server *h, parked_conn *p);
/* A response whose body comes from r->stream (taken from r); NULL when
 * out of memory (r still owns its stream). */
struct MHD_Response *stream_response(http_server *h, struct MHD_Connection *conn,
                                     api_response *r);
/* app->wake: resume the parked connections now. */
void wake_streams(void *ctx);
/* The ticker that resumes parked connections: start (0, or -1 with a
 * sentence in err) and stop (refuse new parking, resume all, join). */
int ticker_start(http_server *h, char *err, size_t errlen);
void ticker_stop(http_server *h);

#endif
