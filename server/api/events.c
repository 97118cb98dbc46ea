/*
 * events.c - GET /v1/jobs/{id}/events: a job's progress as
 * server-sent events (sse.h). Checks happen here, before the stream
 * starts, so that they can still answer with a JSON error: an unknown job
 * is 404, a malformed Last-Event-ID 400, too many open streams 503.
 */
#include <stdio.h>
#include <string.h>

#include "api/handlers.h"
#include "api/reply.h"
#include "api/sse.h"

/* Last-Event-ID (the last epoch the client saw; EventSource sends it when
 * it reconnects) into *after, -1 when absent; -1 after replying 400. */
static int last_event_id_or_reply(const api_request *req, api_response *resp, int64_t *after)
{
    const char *v = api_header(req, "Last-Event-ID");
    *after = -1;
    if (!v || !*v)
        return 0;
    int64_t n = 0;
    size_t len = strlen(v);
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9' || i >= 15) {
            reply_error(resp, API_ERR_BAD_REQUEST, NULL,
                        "Last-Event-ID must be an epoch number (the id of an epoch event).");
            return -1;
        }
        n = n * 10 + (v[i] - '0');
    }
    *after = n;
    return 0;
}

void h_job_events(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    int64_t after;
    if (last_event_id_or_reply(req, resp, &after) != 0)
        return;
    st_job j;
    st_status s = storage_job_get(a->st, p->id, &j);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        return;
    }
    /* A deleted model's jobs are gone too, whatever storage kept. */
    int gone = model_exists_or_reply(a, resp, j.model_id) != 0;
    st_job_clear(&j);
    if (gone)
        return;
    if (sse_admit(&a->streams, a->cfg->max_streams) != 0) {
        reply_error(resp, API_ERR_BUSY, NULL,
                    "Too many event streams are open (at most %ld); try again later.",
                    a->cfg->max_streams);
        api_response_header(resp, "Retry-After", "5");
        return;
    }
    sse_stream *st = sse_open(a->st, p->id, after, &a->streams, sse_now());
    if (!st) {
        atomic_fetch_sub(&a->streams, 1);
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
        return;
    }
    api_response_stream(resp, 200, "text/event-stream", sse_api_stream(st));
    api_response_header(resp, "Cache-Control", "no-cache");
    /* Proxies such as nginx would otherwise buffer the stream. */
    api_response_header(resp, "X-Accel-Buffering", "no");
}
