/*
 * sse.c - job event streams: formatting and the poll of storage behind
 * each client (see sse.h for the events).
 */
#include "api/sse.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/handlers.h"
#include "api/reply.h"
#include "util/clock.h"

struct sse_stream {
    storage *st;
    atomic_long *count;
    char job_id[17];
    int64_t last_epoch;   /* highest epoch sent */
    char status[12];      /* status last sent; "" before the first event */
    double last_write;    /* when bytes last went out (monotonic seconds) */
    int errors;           /* consecutive failed storage reads */
};

double sse_now(void)
{
    return clock_mono();
}

/* Append s without CR and LF. */
static void put_field(sbuf *out, const char *s)
{
    for (; *s; s++)
        if (*s != '\r' && *s != '\n')
            sbuf_putc(out, *s);
}

void sse_event(sbuf *out, const char *event, const char *id, const char *data)
{
    if (id) {
        sbuf_puts(out, "id: ");
        put_field(out, id);
        sbuf_putc(out, '\n');
    }
    sbuf_puts(out, "event: ");
    put_field(out, event);
    sbuf_putc(out, '\n');
    /* Every line of data is its own field; a CR alone also ends a line. */
    const char *p = data ? data : "";
    for (;;) {
        size_t n = strcspn(p, "\r\n");
        sbuf_puts(out, "data: ");
        sbuf_putn(out, p, n);
        sbuf_putc(out, '\n');
        p += n;
        if (!*p)
            break;
        p += (p[0] == '\r' && p[1] == '\n') ? 2 : 1;
    }
    sbuf_putc(out, '\n');
}

void sse_comment(sbuf *out, const char *text)
{
    sbuf_puts(out, ": ");
    put_field(out, text);
    sbuf_puts(out, "\n\n");
}

void sse_epoch_event(sbuf *out, const st_epoch *e)
{
    char id[24], t[32];
    snprintf(id, sizeof id, "%lld", (long long)e->epoch);
    format_time(t, e->time);
    sbuf_printf(out, "id: %s\nevent: epoch\ndata: {\"epoch\":", id);
    sbuf_json_int(out, e->epoch);
    sbuf_puts(out, ",\"loss\":");
    sbuf_json_number(out, e->loss);
    sbuf_puts(out, ",\"val_loss\":");
    sbuf_json_number(out, e->val_loss);
    sbuf_puts(out, ",\"time\":");
    sbuf_json_string(out, t);
    sbuf_puts(out, "}\n\n");
}

int sse_admit(atomic_long *count, long max)
{
    long n = atomic_load(count);
    do {
        if (n >= max)
            return -1;
    } while (!atomic_compare_exchange_weak(count, &n, n + 1));
    return 0;
}

sse_stream *sse_open(storage *st, const char *job_id, int64_t after, atomic_long *count,
                     double now)
{
    sse_stream *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->st = st;
    s->count = count;
    snprintf(s->job_id, sizeof s->job_id, "%s", job_id);
    s->last_epoch = after;
    s->last_write = now;
    return s;
}

void sse_close(sse_stream *s)
{
    if (!s)
        return;
    if (s->count)
        atomic_fetch_sub(s->count, 1);
    free(s);
}

/* The job as an event (state or end; st: with its warnings). */
static void job_event(sbuf *out, const char *event, const st_job *j, storage *st)
{
    st_job copy = *j; /* shallow: only read, as GET /v1/jobs/{id} shows it */
    cJSON *o = job_to_json_live(NULL, &copy);
    if (o && st)
        job_add_warnings(st, o, j->id);
    char *text = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!text) {
        out->failed = 1; /* reported like any sbuf failure */
        return;
    }
    sse_event(out, event, NULL, text);
    cJSON_free(text);
}

static void error_event(sbuf *out, const char *code, const char *message)
{
    sbuf b;
    sbuf_init(&b);
    sbuf_puts(&b, "{\"error\":{\"code\":");
    sbuf_json_string(&b, code);
    sbuf_puts(&b, ",\"message\":");
    sbuf_json_string(&b, message);
    sbuf_puts(&b, "}}");
    if (sbuf_failed(&b))
        out->failed = 1;
    else
        sse_event(out, "error", NULL, b.data);
    sbuf_free(&b);
}

/* A storage read failed: 1 to try again at the next call, 0 after the
 * error event that ends the stream. */
static int storage_failed(sse_stream *s, sbuf *out, st_status rc)
{
    if (rc == ST_NOT_FOUND) {
        error_event(out, "not_found", "The job no longer exists (its model was deleted).");
        return 0;
    }
    if (++s->errors < SSE_MAX_ERRORS)
        return 1;
    error_event(out, "busy", "The job's progress cannot be read now; reconnect later.");
    return 0;
}

int sse_produce(sse_stream *s, sbuf *out, double now)
{
    size_t before = out->len;
    int open = 1;
    st_job j;
    st_status rc = storage_job_get(s->st, s->job_id, &j);
    if (rc != ST_OK)
        return storage_failed(s, out, rc);
    int ended = job_ended_name(j.status);
    if (!s->status[0] || (!ended && strcmp(s->status, j.status) != 0)) {
        job_event(out, "state", &j, NULL);
        memcpy(s->status, j.status, sizeof s->status);
    }
    /* Epochs after the job row was read: complete if that row was final. */
    st_epoch *es = NULL;
    size_t n = 0;
    rc = storage_job_epochs(s->st, s->job_id, s->last_epoch, SSE_BATCH, &es, &n);
    if (rc != ST_OK) {
        st_job_clear(&j);
        if (!storage_failed(s, out, rc))
            return 0;
        goto idle;
    }
    s->errors = 0;
    for (size_t i = 0; i < n; i++) {
        sse_epoch_event(out, &es[i]);
        s->last_epoch = es[i].epoch;
    }
    free(es);
    if (ended && n < SSE_BATCH) {
        job_event(out, "end", &j, s->st);
        open = 0;
    } else if (out->len == before && job_status_is(j.status, JOB_RUNNING) &&
               now - s->last_write >= SSE_PROGRESS) {
        job_event(out, "progress", &j, NULL); /* a long epoch: elapsed time goes on */
    }
    st_job_clear(&j);
idle:
    if (open && out->len == before && now - s->last_write >= SSE_KEEPALIVE)
        sse_comment(out, "keep-alive");
    if (out->len != before)
        s->last_write = now;
    return open;
}

static int produce_now(void *ctx, sbuf *out)
{
    return sse_produce(ctx, out, sse_now());
}

static void close_ctx(void *ctx)
{
    sse_close(ctx);
}

api_stream sse_api_stream(sse_stream *s)
{
    return (api_stream){produce_now, close_ctx, s};
}
