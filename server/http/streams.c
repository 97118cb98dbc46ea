/*
 * streams.c - parked connections: streamed bodies and deferred replies.
 *
 * Streamed responses (api_response.stream, e.g. server-sent events) go
 * through MHD_create_response_from_callback. When the producer has
 * nothing yet, the connection is suspended ("parked") instead of returning
 * 0 (which busy-loops in internal polling mode) or sleeping in one of
 * MHD's threads; one ticker thread resumes every parked connection every
 * TICK_MS, or at once on app_wake_streams(). A resumed connection asks its
 * producer again. Before parking, a non-blocking peek at the socket notices
 * a client that went away (a suspended connection sees no disconnects), so
 * its stream is freed within a tick. At stop, parking is refused and the
 * ticker's last sweep resumes everything, because MHD_stop_daemon must not
 * meet a suspended connection.
 */
#include "http/http_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* ---- streams ---------------------------------------------------------- */

/* Has the client closed or reset its side? A suspended connection does
 * not notice by itself. Data waiting (a pipelined request) is not "gone". */
int client_gone(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci)
        return 0;
    char c;
    ssize_t n = recv(ci->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0)
        return 1;
    return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

/* Suspend p's connection until the next tick; -1 if the daemon stops. */
int park(http_server *h, parked_conn *p)
{
    pthread_mutex_lock(&h->mu);
    if (atomic_load(&h->stopping)) {
        pthread_mutex_unlock(&h->mu);
        return -1;
    }
    MHD_suspend_connection(p->conn);
    p->next = h->parked;
    h->parked = p;
    pthread_mutex_unlock(&h->mu);
    return 0;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    stream_state *s = cls;
    if (s->off == s->buf.len) {
        if (s->ended || atomic_load(&s->h->stopping))
            return MHD_CONTENT_READER_END_OF_STREAM;
        sbuf_reset(&s->buf);
        s->off = 0;
        if (!s->src.produce(s->src.ctx, &s->buf))
            s->ended = 1;
        if (sbuf_failed(&s->buf))
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (s->buf.len == 0) {
            if (s->ended)
                return MHD_CONTENT_READER_END_OF_STREAM;
            if (client_gone(s->park.conn))
                return MHD_CONTENT_READER_END_WITH_ERROR;
            sbuf_free(&s->buf); /* a parked stream keeps no buffer */
            if (park(s->h, &s->park) != 0)
                return MHD_CONTENT_READER_END_OF_STREAM;
            return 0; /* suspended: asked again after the next tick */
        }
    }
    size_t n = s->buf.len - s->off;
    if (n > max)
        n = max;
    memcpy(out, s->buf.data + s->off, n);
    s->off += n;
    return (ssize_t)n;
}

/* The MHD response's free callback: the connection is done (a parked
 * connection is never freed, so s is in no list). */
static void stream_free(void *cls)
{
    stream_state *s = cls;
    if (s->src.free)
        s->src.free(s->src.ctx);
    sbuf_free(&s->buf);
    free(s);
}

static void *ticker_main(void *arg)
{
    http_server *h = arg;
    for (;;) {
        pthread_mutex_lock(&h->mu);
        if (!atomic_load(&h->stopping) && !h->woken) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_nsec += (long)TICK_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&h->cond, &h->mu, &ts);
        }
        h->woken = 0;
        parked_conn *list = h->parked;
        h->parked = NULL;
        int stop = atomic_load(&h->stopping);
        pthread_mutex_unlock(&h->mu);
        /* Read next before resuming: a resumed connection may re-park (or
         * end and be freed) at once on its MHD thread. */
        while (list) {
            parked_conn *next = list->next;
            MHD_resume_connection(list->conn);
            list = next;
        }
        if (stop)
            return NULL;
    }
}

/* app->wake: resume the parked streams now. */
void wake_streams(void *ctx)
{
    http_server *h = ctx;
    pthread_mutex_lock(&h->mu);
    h->woken = 1;
    pthread_cond_signal(&h->cond);
    pthread_mutex_unlock(&h->mu);
}

/* A response whose body comes from r->stream (taken from r). */
struct MHD_Response *stream_response(http_server *h, struct MHD_Connection *conn,
                                     api_response *r)
{
    stream_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL; /* r still owns its stream */
    s->h = h;
    s->park.conn = conn;
    s->src = r->stream;
    sbuf_init(&s->buf);
    memset(&r->stream, 0, sizeof r->stream);
    struct MHD_Response *resp = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read, s, stream_free);
    if (!resp)
        stream_free(s);
    return resp;
}

/* The ticker's lock, condition (on the monotonic clock) and thread. */
int ticker_start(http_server *h, char *err, size_t errlen)
{
    pthread_condattr_t ca;
    if (pthread_mutex_init(&h->mu, NULL) != 0)
        goto fail;
    if (pthread_condattr_init(&ca) != 0)
        goto fail_mu;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&h->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0)
        goto fail_mu;
    atomic_init(&h->stopping, 0);
    if (pthread_create(&h->ticker, NULL, ticker_main, h) != 0)
        goto fail_cond;
    h->ticker_running = 1;
    return 0;
fail_cond:
    pthread_cond_destroy(&h->cond);
fail_mu:
    pthread_mutex_destroy(&h->mu);
fail:
    snprintf(err, errlen, "cannot start the stream ticker thread");
    return -1;
}

/* Refuse new parking, resume every parked stream, end the ticker. */
void ticker_stop(http_server *h)
{
    if (!h->ticker_running)
        return;
    pthread_mutex_lock(&h->mu);
    atomic_store(&h->stopping, 1);
    pthread_cond_signal(&h->cond);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->ticker, NULL);
    h->ticker_running = 0;
}
