/*
 * test_server_sse.c - job event streams without a socket: the text of
 * each event, and the producer that GET /v1/jobs/{id}/events hands to the
 * HTTP glue, driven here call by call while the test plays the training
 * side through storage (job status changes, history batches).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "app.h"
#include "util/config.h"
#include "api/sse.h"
#include "storage/storage.h"

static char dir[64];
static char db[128];
static storage *st;
static mlpd_config cfg;
static app A;

static void setup(void)
{
    strcpy(dir, "/tmp/mlpd-sse-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/t.db", dir);
    char err[256];
    ck_assert_int_eq(storage_open(db, &st, err, sizeof err), ST_OK);
    config_defaults(&cfg);
    ck_assert_int_eq(app_init(&A, &cfg, st), 0);
    /* The test plays the training side: a worker of the app must not claim
     * the queued jobs it writes (a worker polls the queue every second, so
     * on a loaded machine it did, and the stream saw the job fail). */
    app_stop_jobs(&A);
}

static void teardown(void)
{
    app_free(&A);
    storage_close(st);
    char path[160];
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s%s", db, suffix[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* ---- helpers ----------------------------------------------------------- */

/* api_handle on a GET with at most one header; resp is the caller's. */
static void get(const char *path, const char *hname, const char *hvalue, api_response *resp)
{
    api_kv headers[1] = {{hname, hvalue}};
    api_request req = {"GET", path, NULL, 0, headers, hname ? 1 : 0, NULL, 0, NULL, NULL};
    api_response_init(resp);
    api_handle(&A, &req, resp);
}

static cJSON *get_json(const char *path, int *status)
{
    api_response r;
    get(path, NULL, NULL, &r);
    *status = r.status;
    cJSON *j = r.body.data ? cJSON_ParseWithLength(r.body.data, r.body.len) : NULL;
    api_response_free(&r);
    return j;
}

static const char *header(const api_response *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

static void create_model(char id[17])
{
    const char *body = "{\"name\":\"m\",\"inputs\":2,\"layers\":[{\"units\":3,\"activation\":"
                       "\"sigmoid\"},{\"units\":1,\"activation\":\"linear\"}]}";
    api_kv headers[1] = {{"Content-Type", "application/json"}};
    api_request req = {"POST", "/v1/models", NULL, 0, headers, 1, body, strlen(body), NULL, NULL};
    api_response r;
    api_response_init(&r);
    api_handle(&A, &req, &r);
    ck_assert_int_eq(r.status, 201);
    cJSON *j = cJSON_ParseWithLength(r.body.data, r.body.len);
    snprintf(id, 17, "%s", cJSON_GetObjectItemCaseSensitive(j, "id")->valuestring);
    cJSON_Delete(j);
    api_response_free(&r);
}

/* A queued job of the model, written as the training side would. */
static void create_job(const char *model_id, st_job *j)
{
    memset(j, 0, sizeof *j);
    ck_assert_int_eq(storage_new_id(j->id), 0);
    snprintf(j->model_id, sizeof j->model_id, "%s", model_id);
    strcpy(j->status, "queued");
    j->params_json = strdup("{\"epochs\":10}");
    j->epochs = 10;
    j->loss = j->val_loss = NAN;
    j->created_at = 1700000000.0;
    ck_assert_int_eq(storage_job_create(st, j), ST_OK);
}

static void set_status(st_job *j, const char *status)
{
    snprintf(j->status, sizeof j->status, "%s", status);
    if (strcmp(status, "running") == 0)
        j->started_at = 1700000001.0;
    else if (strcmp(status, "queued") != 0)
        j->finished_at = 1700000002.0;
    ck_assert_int_eq(storage_job_update(st, j), ST_OK);
}

/* Epochs [from, to] with loss 1/epoch appended in one batch. */
static void append_epochs(const st_job *j, int64_t from, int64_t to)
{
    size_t n = (size_t)(to - from + 1);
    st_epoch *es = calloc(n, sizeof *es);
    for (size_t i = 0; i < n; i++)
        es[i] = (st_epoch){from + (int64_t)i, 1.0 / (double)(from + (int64_t)i),
                           (i % 2) ? 0.5 : NAN, 1700000001.0 + (double)i};
    ck_assert_int_eq(storage_history_append(st, j->model_id, j->id, es, n), ST_OK);
    free(es);
}

/* A parsed stream: events in order. */
typedef struct event {
    char name[16];
    char id[24];   /* "" when the event had no id */
    cJSON *data;   /* parsed data (every event here carries JSON) */
} event;

typedef struct events {
    event e[1024];
    size_t n;
    size_t comments;
} events;

/* Parse SSE text (complete events only) into ev; fails on malformed text. */
static void parse(const char *text, events *ev)
{
    const char *p = text;
    event cur;
    memset(&cur, 0, sizeof cur);
    char data[8192] = "";
    int have = 0;
    while (*p) {
        const char *nl = strchr(p, '\n');
        ck_assert_msg(nl != NULL, "unterminated line: %s", p);
        size_t len = (size_t)(nl - p);
        if (len == 0) {
            if (have) {
                ck_assert_uint_lt(ev->n, 1024);
                cur.data = cJSON_Parse(data);
                ck_assert_msg(cur.data != NULL, "data is not JSON: %s", data);
                ev->e[ev->n++] = cur;
            }
            memset(&cur, 0, sizeof cur);
            data[0] = '\0';
            have = 0;
        } else if (p[0] == ':') {
            ev->comments++;
        } else if (strncmp(p, "event: ", 7) == 0) {
            snprintf(cur.name, sizeof cur.name, "%.*s", (int)(len - 7), p + 7);
            have = 1;
        } else if (strncmp(p, "id: ", 4) == 0) {
            snprintf(cur.id, sizeof cur.id, "%.*s", (int)(len - 4), p + 4);
        } else if (strncmp(p, "data: ", 6) == 0) {
            size_t used = strlen(data);
            snprintf(data + used, sizeof data - used, "%s%.*s", used ? "\n" : "",
                     (int)(len - 6), p + 6);
            have = 1;
        } else {
            ck_abort_msg("unexpected line: %.*s", (int)len, p);
        }
        p = nl + 1;
    }
    ck_assert_msg(!have, "a trailing event has no blank line");
}

static void events_free(events *ev)
{
    for (size_t i = 0; i < ev->n; i++)
        cJSON_Delete(ev->e[i].data);
    ev->n = ev->comments = 0;
}

/* One produce call into a fresh buffer, parsed into ev (appended). */
static int produce(sse_stream *s, double now, events *ev, size_t *bytes)
{
    sbuf b;
    sbuf_init(&b);
    int open = sse_produce(s, &b, now);
    ck_assert(!sbuf_failed(&b));
    if (bytes)
        *bytes = b.len;
    parse(b.data ? b.data : "", ev);
    sbuf_free(&b);
    return open;
}

/* Drive an api_stream to its end (bounded), all text into one string. */
static char *drain(api_stream *s, int max_calls)
{
    sbuf all;
    sbuf_init(&all);
    int calls = 0;
    while (calls++ < max_calls && s->produce(s->ctx, &all))
        ;
    ck_assert_msg(calls <= max_calls, "the stream did not end");
    sbuf_putc(&all, '\0');
    size_t len;
    return sbuf_take(&all, &len);
}

static const char *sval(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    ck_assert_msg(cJSON_IsString(v), "%s is not a string", key);
    return v->valuestring;
}

static double nval(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    ck_assert_msg(cJSON_IsNumber(v), "%s is not a number", key);
    return v->valuedouble;
}

/* ---- formatting ---------------------------------------------------------- */

START_TEST(event_text)
{
    sbuf b;
    sbuf_init(&b);
    sse_event(&b, "state", NULL, "{\"a\":1}");
    ck_assert_str_eq(b.data, "event: state\ndata: {\"a\":1}\n\n");
    sbuf_reset(&b);
    /* Each line of data is its own field (LF, CRLF and CR all end one);
     * CR/LF in the id or the name could forge fields and are dropped. */
    sse_event(&b, "ep\noch", "4\r\n2", "a\nb\r\nc\rd");
    ck_assert_str_eq(b.data, "id: 42\nevent: epoch\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
    sbuf_reset(&b);
    sse_comment(&b, "keep-alive");
    ck_assert_str_eq(b.data, ": keep-alive\n\n");
    sbuf_reset(&b);
    st_epoch e = {3, 0.25, NAN, 1700000000.5};
    sse_epoch_event(&b, &e);
    ck_assert_str_eq(b.data, "id: 3\nevent: epoch\ndata: {\"epoch\":3,\"loss\":0.25,"
                             "\"val_loss\":null,\"time\":\"2023-11-14T22:13:20.500Z\"}\n\n");
    sbuf_reset(&b);
    e = (st_epoch){12, 0.1, 1.0 / 3.0, 1700000000.0};
    sse_epoch_event(&b, &e);
    events ev = {.n = 0};
    parse(b.data, &ev);
    ck_assert_uint_eq(ev.n, 1);
    ck_assert_str_eq(ev.e[0].id, "12");
    /* numbers read back to the same doubles */
    ck_assert(nval(ev.e[0].data, "loss") == 0.1);
    ck_assert(nval(ev.e[0].data, "val_loss") == 1.0 / 3.0);
    events_free(&ev);
    sbuf_free(&b);
}
END_TEST

START_TEST(admission_is_bounded)
{
    atomic_long n;
    atomic_init(&n, 0);
    ck_assert_int_eq(sse_admit(&n, 2), 0);
    ck_assert_int_eq(sse_admit(&n, 2), 0);
    ck_assert_int_eq(sse_admit(&n, 2), -1);
    ck_assert_int_eq(atomic_load(&n), 2);
    sse_stream *s = sse_open(st, "0123456789abcdef", -1, &n, 0);
    ck_assert_ptr_nonnull(s);
    sse_close(s); /* releases one */
    ck_assert_int_eq(atomic_load(&n), 1);
    ck_assert_int_eq(sse_admit(&n, 2), 0);
}
END_TEST

/* ---- the producer against storage --------------------------------------- */

START_TEST(live_job_in_order)
{
    char mid[17];
    create_model(mid);
    st_job j;
    create_job(mid, &j);
    atomic_long count;
    atomic_init(&count, 1);
    sse_stream *s = sse_open(st, j.id, -1, &count, 100.0);
    events ev = {.n = 0};
    size_t bytes;

    /* at connect: the job as it is */
    ck_assert_int_eq(produce(s, 100.1, &ev, NULL), 1);
    ck_assert_uint_eq(ev.n, 1);
    ck_assert_str_eq(ev.e[0].name, "state");
    ck_assert_str_eq(sval(ev.e[0].data, "status"), "queued");
    ck_assert_str_eq(sval(ev.e[0].data, "id"), j.id);
    /* nothing new: nothing written, still open */
    ck_assert_int_eq(produce(s, 100.2, &ev, &bytes), 1);
    ck_assert_uint_eq(bytes, 0);
    /* a queued job's silence: a keep-alive comment after SSE_KEEPALIVE seconds */
    ck_assert_int_eq(produce(s, 100.1 + SSE_KEEPALIVE - 1, &ev, &bytes), 1);
    ck_assert_uint_eq(bytes, 0);
    double t = 100.1 + SSE_KEEPALIVE + 0.1;
    ck_assert_int_eq(produce(s, t, &ev, NULL), 1);
    ck_assert_uint_eq(ev.comments, 1);
    ck_assert_uint_eq(ev.n, 1);
    /* status change, then a batch of history */
    set_status(&j, "running");
    ck_assert_int_eq(produce(s, t + 0.1, &ev, NULL), 1);
    ck_assert_uint_eq(ev.n, 2);
    ck_assert_str_eq(ev.e[1].name, "state");
    ck_assert_str_eq(sval(ev.e[1].data, "status"), "running");
    append_epochs(&j, 1, 3);
    ck_assert_int_eq(produce(s, t + 0.2, &ev, NULL), 1);
    ck_assert_uint_eq(ev.n, 5);
    for (int i = 0; i < 3; i++) {
        event *e = &ev.e[2 + i];
        char id[16];
        snprintf(id, sizeof id, "%d", i + 1);
        ck_assert_str_eq(e->name, "epoch");
        ck_assert_str_eq(e->id, id);
        ck_assert(nval(e->data, "epoch") == i + 1);
        ck_assert(nval(e->data, "loss") == 1.0 / (i + 1));
    }
    ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(ev.e[2].data, "val_loss")));
    ck_assert(nval(ev.e[3].data, "val_loss") == 0.5);
    /* a long epoch: a progress event once SSE_PROGRESS seconds pass without
     * another, no id (Last-Event-ID stays the last epoch) */
    ck_assert_int_eq(produce(s, t + 0.2 + SSE_PROGRESS - 0.1, &ev, &bytes), 1);
    ck_assert_uint_eq(bytes, 0);
    ck_assert_int_eq(produce(s, t + 0.3 + SSE_PROGRESS, &ev, NULL), 1);
    ck_assert_uint_eq(ev.n, 6);
    ck_assert_str_eq(ev.e[5].name, "progress");
    ck_assert_str_eq(ev.e[5].id, "");
    ck_assert_str_eq(sval(ev.e[5].data, "status"), "running");
    ck_assert(nval(ev.e[5].data, "elapsed_seconds") > 0);
    ck_assert_int_eq(produce(s, t + 0.4 + SSE_PROGRESS, &ev, &bytes), 1);
    ck_assert_uint_eq(bytes, 0); /* one a second, not one a call */
    ck_assert_int_eq(produce(s, t + 0.4 + 2 * SSE_PROGRESS, &ev, NULL), 1);
    ck_assert_uint_eq(ev.n, 7);
    ck_assert_str_eq(ev.e[6].name, "progress");
    ck_assert_uint_eq(ev.comments, 1);
    /* the last batch and the final status: epochs first, then the end */
    append_epochs(&j, 4, 5);
    j.epoch = 5;
    j.loss = 0.2;
    j.version = 2;
    set_status(&j, "succeeded");
    ck_assert_int_eq(produce(s, 120.0, &ev, NULL), 0);
    ck_assert_uint_eq(ev.n, 10);
    ck_assert_str_eq(ev.e[7].id, "4");
    ck_assert_str_eq(ev.e[8].id, "5");
    ck_assert_str_eq(ev.e[9].name, "end");
    ck_assert_str_eq(ev.e[9].id, "");
    /* the end is the job as GET /v1/jobs/{id} shows it */
    char path[64];
    snprintf(path, sizeof path, "/v1/jobs/%s", j.id);
    int status;
    cJSON *got = get_json(path, &status);
    ck_assert_int_eq(status, 200);
    ck_assert(cJSON_Compare(got, ev.e[9].data, 1));
    ck_assert_str_eq(sval(ev.e[9].data, "status"), "succeeded");
    cJSON_Delete(got);
    sse_close(s);
    ck_assert_int_eq(atomic_load(&count), 0);
    events_free(&ev);
    st_job_clear(&j);
}
END_TEST

START_TEST(long_history_in_bounded_pieces)
{
    char mid[17];
    create_model(mid);
    st_job j;
    create_job(mid, &j);
    set_status(&j, "running");
    append_epochs(&j, 1, 600);
    set_status(&j, "cancelled");
    sse_stream *s = sse_open(st, j.id, -1, NULL, 0);
    events *ev = calloc(1, sizeof *ev);
    int calls = 0, open = 1;
    while (open && calls < 10) {
        size_t before = ev->n;
        open = produce(s, 0, ev, NULL);
        /* at most one batch of epochs (+ state or end) per call */
        ck_assert_uint_le(ev->n - before, SSE_BATCH + 1);
        calls++;
    }
    ck_assert_int_eq(open, 0);
    ck_assert_int_eq(calls, 3);
    ck_assert_uint_eq(ev->n, 602);
    ck_assert_str_eq(ev->e[0].name, "state");
    for (size_t i = 1; i <= 600; i++)
        ck_assert(nval(ev->e[i].data, "epoch") == (double)i);
    ck_assert_str_eq(ev->e[601].name, "end");
    ck_assert_str_eq(sval(ev->e[601].data, "status"), "cancelled");
    sse_close(s);
    events_free(ev);
    free(ev);
    st_job_clear(&j);
}
END_TEST

START_TEST(deleted_job_ends_with_error)
{
    char mid[17];
    create_model(mid);
    st_job j;
    create_job(mid, &j);
    sse_stream *s = sse_open(st, j.id, -1, NULL, 0);
    events ev = {.n = 0};
    ck_assert_int_eq(produce(s, 0, &ev, NULL), 1);
    ck_assert_int_eq(storage_model_delete(st, mid), ST_OK);
    ck_assert_int_eq(produce(s, 1, &ev, NULL), 0);
    ck_assert_uint_eq(ev.n, 2);
    ck_assert_str_eq(ev.e[1].name, "error");
    ck_assert_str_eq(sval(cJSON_GetObjectItemCaseSensitive(ev.e[1].data, "error"), "code"),
                     "not_found");
    sse_close(s);
    events_free(&ev);
    st_job_clear(&j);
}
END_TEST

/* ---- through api_handle ------------------------------------------------- */

START_TEST(handler_streams_and_resumes)
{
    char mid[17], path[64];
    create_model(mid);
    st_job j;
    create_job(mid, &j);
    set_status(&j, "running");
    append_epochs(&j, 1, 6);
    set_status(&j, "failed");
    snprintf(path, sizeof path, "/v1/jobs/%s/events", j.id);

    api_response r;
    get(path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.content_type, "text/event-stream");
    ck_assert_str_eq(header(&r, "Cache-Control"), "no-cache");
    ck_assert_ptr_nonnull(r.stream.produce);
    ck_assert_uint_eq(r.body.len, 0);
    ck_assert_int_eq(atomic_load(&A.streams), 1);
    char *text = drain(&r.stream, 10);
    events ev = {.n = 0};
    parse(text, &ev);
    free(text);
    ck_assert_uint_eq(ev.n, 8); /* state, 6 epochs, end */
    ck_assert_str_eq(ev.e[0].name, "state");
    ck_assert_str_eq(ev.e[1].id, "1");
    ck_assert_str_eq(ev.e[6].id, "6");
    ck_assert_str_eq(ev.e[7].name, "end");
    ck_assert_str_eq(sval(ev.e[7].data, "status"), "failed");
    events_free(&ev);
    api_response_free(&r); /* the request is over: the stream is freed */
    ck_assert_int_eq(atomic_load(&A.streams), 0);

    /* Last-Event-ID: resume after that epoch */
    get(path, "Last-Event-ID", "4", &r);
    ck_assert_int_eq(r.status, 200);
    text = drain(&r.stream, 10);
    parse(text, &ev);
    free(text);
    ck_assert_uint_eq(ev.n, 4); /* state, 5, 6, end */
    ck_assert_str_eq(ev.e[1].id, "5");
    ck_assert_str_eq(ev.e[2].id, "6");
    ck_assert_str_eq(ev.e[3].name, "end");
    events_free(&ev);
    api_response_free(&r);

    /* a stream freed before it was ever read costs nothing either */
    get(path, NULL, NULL, &r);
    ck_assert_int_eq(atomic_load(&A.streams), 1);
    api_response_free(&r);
    ck_assert_int_eq(atomic_load(&A.streams), 0);
    st_job_clear(&j);
}
END_TEST

START_TEST(handler_refusals_are_json)
{
    char mid[17], path[64];
    create_model(mid);
    st_job j;
    create_job(mid, &j);
    snprintf(path, sizeof path, "/v1/jobs/%s/events", j.id);
    api_response r;

    get("/v1/jobs/0123456789abcdef/events", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(r.content_type, "application/json");
    ck_assert_ptr_null(r.stream.produce);
    ck_assert_ptr_nonnull(strstr(r.body.data, "\"not_found\""));
    api_response_free(&r);

    const char *bad[] = {"abc", "-1", "1.5", "12345678901234567890", " 3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        get(path, "Last-Event-ID", bad[i], &r);
        ck_assert_msg(r.status == 400, "Last-Event-ID '%s' got %d", bad[i], r.status);
        ck_assert_ptr_null(r.stream.produce);
        api_response_free(&r);
    }

    /* --max-streams: past it 503 with Retry-After; a freed stream makes room */
    cfg.max_streams = 2;
    api_response open1, open2;
    get(path, NULL, NULL, &open1);
    get(path, NULL, NULL, &open2);
    ck_assert_int_eq(open1.status, 200);
    ck_assert_int_eq(open2.status, 200);
    get(path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 503);
    ck_assert_str_eq(r.content_type, "application/json");
    ck_assert_ptr_null(r.stream.produce);
    ck_assert_str_eq(header(&r, "Retry-After"), "5");
    ck_assert_ptr_nonnull(strstr(r.body.data, "\"busy\""));
    api_response_free(&r);
    ck_assert_int_eq(atomic_load(&A.streams), 2);
    api_response_free(&open1);
    get(path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    api_response_free(&r);
    api_response_free(&open2);
    ck_assert_int_eq(atomic_load(&A.streams), 0);

    /* the gauge in /metrics */
    get(path, NULL, NULL, &open1);
    api_response m;
    get("/metrics", NULL, NULL, &m);
    ck_assert_int_eq(m.status, 200);
    ck_assert_ptr_nonnull(strstr(m.body.data, "\nmlpd_event_streams 1\n"));
    api_response_free(&m);
    api_response_free(&open1);
    st_job_clear(&j);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("server_sse");
    TCase *tc = tcase_create("sse");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, event_text);
    tcase_add_test(tc, admission_is_bounded);
    tcase_add_test(tc, live_job_in_order);
    tcase_add_test(tc, long_history_in_bounded_pieces);
    tcase_add_test(tc, deleted_job_ends_with_error);
    tcase_add_test(tc, handler_streams_and_resumes);
    tcase_add_test(tc, handler_refusals_are_json);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
