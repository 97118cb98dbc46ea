/*
 * test_jobs.c - the job queue without a socket: the fair pick of
 * storage_job_claim, recovery of interrupted jobs, cancelling a queued
 * job, the one-transaction progress batch (history + version + job row),
 * migration 0002 on a 0001 database, the batching rule (jobs_due), and
 * the worker pool through api_handle: a job's history arrives complete,
 * checkpoints are versions, shutdown checkpoints a running job and marks
 * it interrupted.
 */
#include <check.h>
#include <math.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "app.h"
#include "util/config.h"
#include "jobs/jobs.h"
#include "storage/storage.h"
#include "util_storage.h"
#include "storage/sqlite/sqlite_internal.h"

static char dir[64];
static char db[128];

static void dir_up(void)
{
    strcpy(dir, "/tmp/mlpd-jobs-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/t.db", dir);
}

static void dir_down(void)
{
    char path[160];
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s%s", db, suffix[i]);
        unlink(path);
    }
    rmdir(dir);
}

static storage *open_db(void)
{
    char err[256];
    storage *s = NULL;
    ck_assert_int_eq(storage_open(db, &s, err, sizeof err), ST_OK);
    return s;
}

static const unsigned char blob[] = "weights";

static void model(storage *s, const char *id)
{
    ck_assert_int_eq(t_model_create(s, id, id, "{}", blob, sizeof blob), ST_OK);
}

static void queue(storage *s, const char *id, const char *model_id, const char *owner,
                  double created)
{
    st_job j;
    memset(&j, 0, sizeof j);
    snprintf(j.id, sizeof j.id, "%s", id);
    snprintf(j.model_id, sizeof j.model_id, "%s", model_id);
    snprintf(j.owner, sizeof j.owner, "%s", owner);
    strcpy(j.status, "queued");
    j.params_json = "{}";
    j.epochs = 10;
    j.loss = j.val_loss = NAN;
    j.created_at = created;
    ck_assert_int_eq(storage_job_create(s, &j), ST_OK);
}

/* Claim the next job; its id, or "" when none is queued. */
static const char *claim(storage *s)
{
    static char id[17];
    st_job j;
    st_claim c = {1000, "test-node", 0, 3};
    st_status rc = storage_job_claim(s, &c, &j);
    if (rc == ST_NOT_FOUND)
        return "";
    ck_assert_int_eq(rc, ST_OK);
    ck_assert_str_eq(j.status, "running");
    memcpy(id, j.id, sizeof id);
    st_job_clear(&j);
    return id;
}

static void end_job(storage *s, const char *id)
{
    st_job j;
    ck_assert_int_eq(storage_job_get(s, id, &j), ST_OK);
    strcpy(j.status, "succeeded");
    strcpy(j.stop_reason, "epochs");
    j.finished_at = 2000;
    ck_assert_int_eq(storage_job_update(s, &j), ST_OK);
    st_job_clear(&j);
}

START_TEST(fair_pick_prefers_owners_with_fewer_running_jobs)
{
    dir_up();
    storage *s = open_db();
    const char *models[] = {"m1", "m2", "m3", "m4", "m5", "m6"};
    for (size_t i = 0; i < 6; i++)
        model(s, models[i]);
    /* alice queues three jobs before bob and carol queue one each */
    queue(s, "a1", "m1", "alice", 1);
    queue(s, "a2", "m2", "alice", 2);
    queue(s, "a3", "m3", "alice", 3);
    queue(s, "b1", "m4", "bob", 4);
    queue(s, "c1", "m5", "carol", 5);
    ck_assert_str_eq(claim(s), "a1"); /* nobody runs anything: the oldest */
    ck_assert_str_eq(claim(s), "b1"); /* alice runs one: bob before her a2 */
    ck_assert_str_eq(claim(s), "c1");
    ck_assert_str_eq(claim(s), "a2"); /* everyone runs one: the oldest */
    end_job(s, "b1");
    queue(s, "b2", "m6", "bob", 6);
    ck_assert_str_eq(claim(s), "b2"); /* bob runs none now, alice two */
    ck_assert_str_eq(claim(s), "a3");
    ck_assert_str_eq(claim(s), "");
    storage_close(s);
    dir_down();
}
END_TEST

START_TEST(recover_cancel_queued_and_progress)
{
    dir_up();
    storage *s = open_db();
    model(s, "m1");
    model(s, "m2");
    queue(s, "r1", "m1", "", 1);
    queue(s, "q1", "m2", "", 2);
    ck_assert_str_eq(claim(s), "r1");
    ck_assert_int_eq(storage_job_cancel_queued(s, "r1", 3), ST_CONFLICT); /* running */
    ck_assert_int_eq(storage_job_cancel_queued(s, "nope", 3), ST_NOT_FOUND);

    /* one batch: two epochs, a checkpoint version, the job row */
    st_job j;
    ck_assert_int_eq(storage_job_get(s, "r1", &j), ST_OK);
    st_epoch e[2] = {{1, 0.5, NAN, 10}, {2, 0.25, NAN, 11}};
    j.epoch = 2;
    j.loss = 0.25;
    st_publish pub = {"checkpoint", blob, sizeof blob, 0.25, 1};
    int64_t v = 0;
    ck_assert_int_eq(storage_job_progress(s, &j, e, 2, &pub, NULL, &v), ST_OK);
    ck_assert_int_eq(v, 2);
    ck_assert_int_eq(j.version, 2);
    st_job_clear(&j);
    st_version *vs = NULL;
    size_t nv = 0;
    ck_assert_int_eq(storage_versions_list(s, "m1", &vs, &nv), ST_OK);
    ck_assert_uint_eq(nv, 2);
    ck_assert_str_eq(vs[1].source, "checkpoint");
    free(vs);
    st_history_row *h = NULL;
    size_t nh = 0;
    ck_assert_int_eq(storage_history_list(s, "m1", &h, &nh), ST_OK);
    ck_assert_uint_eq(nh, 2);
    ck_assert(h[1].e.loss == 0.25);
    free(h);

    /* a daemon restart: the running job is interrupted, the queued stays */
    int64_t n = 0;
    ck_assert_int_eq(storage_jobs_recover(s, 5, &n), ST_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(storage_job_get(s, "r1", &j), ST_OK);
    ck_assert_str_eq(j.status, "failed");
    ck_assert_str_eq(j.stop_reason, "interrupted");
    ck_assert_int_eq(j.epoch, 2);
    ck_assert_int_eq(j.version, 2);
    st_job_clear(&j);
    ck_assert_int_eq(storage_job_cancel_queued(s, "q1", 6), ST_OK);
    ck_assert_int_eq(storage_job_get(s, "q1", &j), ST_OK);
    ck_assert_str_eq(j.status, "cancelled");
    ck_assert_str_eq(j.stop_reason, "cancelled");
    st_job_clear(&j);

    /* a deleted model: the batch is refused whole */
    queue(s, "r2", "m1", "", 7);
    ck_assert_str_eq(claim(s), "r2");
    ck_assert_int_eq(storage_job_get(s, "r2", &j), ST_OK);
    ck_assert_int_eq(storage_model_delete(s, "m1"), ST_OK);
    ck_assert_int_eq(storage_job_progress(s, &j, e, 2, &pub, NULL, &v), ST_NOT_FOUND);
    st_job_clear(&j);
    storage_close(s);
    dir_down();
}
END_TEST

START_TEST(migration_0002_keeps_versions)
{
    dir_up();
    sqlite3 *raw = NULL;
    ck_assert_int_eq(sqlite3_open(db, &raw), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(raw, st_migrations[0].sql, NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(raw,
        "INSERT INTO models (id, name, spec_json, created_at, updated_at) VALUES ('m', 'm', '{}', 1, 1);"
        "INSERT INTO versions VALUES ('m', 1, 'init', 1, NULL, x'0102', 7);"
        "INSERT INTO jobs (id, model_id, status, params_json, created_at) VALUES ('j', 'm', 'running', '{}', 1);"
        "PRAGMA user_version = 1;", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    storage *s = open_db();
    st_version *vs = NULL;
    size_t nv = 0;
    ck_assert_int_eq(storage_versions_list(s, "m", &vs, &nv), ST_OK);
    ck_assert_uint_eq(nv, 1);
    ck_assert_str_eq(vs[0].source, "init");
    free(vs);
    st_job j;
    ck_assert_int_eq(storage_job_get(s, "j", &j), ST_OK);
    ck_assert_str_eq(j.owner, "");
    ck_assert_str_eq(j.stop_reason, "");
    st_job_clear(&j);
    storage_close(s);
    dir_down();
}
END_TEST

START_TEST(due_batches_by_time_and_checkpoints_by_epochs_or_time)
{
    jobs_config c = {1, 100, 10.0, 1.0, 0.2, 0, 0, 0, 0, NULL};
    ck_assert_int_eq(jobs_due(&c, 1, 0, 0.001, 0, 0), 0);   /* tiny epoch: nothing */
    ck_assert_int_eq(jobs_due(&c, 99, 0, 0.999, 0, 0), 0);
    ck_assert_int_eq(jobs_due(&c, 50, 0, 1.0, 0, 0), 1);    /* a second: flush */
    ck_assert_int_eq(jobs_due(&c, 100, 0, 0.5, 0, 0), 2);   /* N epochs: checkpoint */
    ck_assert_int_eq(jobs_due(&c, 150, 100, 5, 0, 4.5), 0);
    ck_assert_int_eq(jobs_due(&c, 150, 100, 10.0, 0, 9.5), 2); /* S seconds */
    c.checkpoint_epochs = 0;
    ck_assert_int_eq(jobs_due(&c, 1000, 0, 2, 0, 1.5), 0);
    c.checkpoint_seconds = 0;
    ck_assert_int_eq(jobs_due(&c, 1000, 0, 100, 0, 50), 1); /* only flushes */
}
END_TEST

/* ---- the pool, through api_handle -------------------------------------- */

static int call(app *a, const char *method, const char *path, const char *query_wait,
                const char *body, cJSON **out)
{
    api_kv headers[1] = {{"content-type", "application/json"}};
    api_kv query[1] = {{"wait", query_wait}};
    api_request req = {method, path, query, query_wait ? 1 : 0, headers, body ? 1 : 0,
                       body, body ? strlen(body) : 0, NULL, NULL};
    api_response resp;
    api_response_init(&resp);
    api_handle(a, &req, &resp);
    *out = resp.body.data ? cJSON_ParseWithLength(resp.body.data, resp.body.len) : NULL;
    int status = resp.status;
    api_response_free(&resp);
    return status;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(it) ? it->valuestring : "";
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(it) ? it->valuedouble : NAN;
}

/* A model with n samples of sin(x1) cos(x2); its id into id. */
static void make_model(app *a, const char *spec, size_t n, char id[17])
{
    cJSON *r = NULL;
    ck_assert_int_eq(call(a, "POST", "/v1/models", NULL, spec, &r), 201);
    snprintf(id, 17, "%s", str(r, "id"));
    cJSON_Delete(r);
    char *body = malloc(64 * n + 32), path[64];
    size_t len = (size_t)sprintf(body, "{\"inputs\":[");
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(body + len, "%s[%g,%g]", i ? "," : "", (double)(i % 37) / 6.0 - 3,
                               (double)(i % 23) / 4.0 - 3);
    len += (size_t)sprintf(body + len, "],\"targets\":[");
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(body + len, "%s[%.17g]", i ? "," : "",
                               sin((double)(i % 37) / 6.0 - 3) * cos((double)(i % 23) / 4.0 - 3));
    sprintf(body + len, "]}");
    snprintf(path, sizeof path, "/v1/models/%s/samples", id);
    ck_assert_int_eq(call(a, "POST", path, NULL, body, &r), 201);
    cJSON_Delete(r);
    free(body);
}

#define LECTURE "{\"name\":\"l\",\"inputs\":2,\"layers\":[{\"units\":3,\"activation\":\"sigmoid\"},{\"units\":1,\"activation\":\"linear\"}]}"
#define WIDE "{\"name\":\"w\",\"inputs\":2,\"layers\":[{\"units\":64,\"activation\":\"tanh\"},{\"units\":64,\"activation\":\"tanh\"},{\"units\":1,\"activation\":\"linear\"}]}"

/* The app's wake hook (what the HTTP glue sets): counts the workers'
 * change reports (jobs_env.on_change, wired by app_init). */
static atomic_int wakes;
static void count_wake(void *ctx)
{
    (void)ctx;
    atomic_fetch_add(&wakes, 1);
}

START_TEST(pool_trains_checkpoints_and_interrupts_at_shutdown)
{
    dir_up();
    storage *s = open_db();
    mlpd_config cfg;
    config_defaults(&cfg);
    cfg.workers = 2;
    cfg.checkpoint_epochs = 40;
    cfg.checkpoint_seconds = 0;
    app a;
    ck_assert_int_eq(app_init(&a, &cfg, s), 0);
    char small[17], wide[17], path[96];
    make_model(&a, LECTURE, 200, small);
    make_model(&a, WIDE, 1000, wide);

    /* a long job on the wide model, a short one beside it */
    cJSON *r = NULL;
    snprintf(path, sizeof path, "/v1/models/%s/train", wide);
    ck_assert_int_eq(call(&a, "POST", path, NULL, "{\"epochs\":10000,\"learning_rate\":0.01}", &r), 202);
    char long_job[17];
    snprintf(long_job, sizeof long_job, "%s", str(r, "id"));
    cJSON_Delete(r);
    snprintf(path, sizeof path, "/v1/models/%s/train", small);
    atomic_store(&wakes, 0);
    a.wake = count_wake;
    ck_assert_int_eq(call(&a, "POST", path, "true", "{\"epochs\":100,\"learning_rate\":0.3}", &r), 200);
    /* before its end was visible the workers reported the start, the two
     * checkpoints and the final write (and the long job's flushes) */
    int reports = atomic_load(&wakes);
    ck_assert_int_ge(reports, 4);
    ck_assert_str_eq(str(r, "status"), "succeeded");
    ck_assert(num(r, "epoch") == 100);
    ck_assert(num(r, "version") == 4); /* checkpoints at 40 and 80, then the result */
    cJSON_Delete(r);
    snprintf(path, sizeof path, "/v1/models/%s/history", small);
    ck_assert_int_eq(call(&a, "GET", path, NULL, NULL, &r), 200);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r, "history")), 100);
    cJSON_Delete(r);
    snprintf(path, sizeof path, "/v1/models/%s/versions", small);
    ck_assert_int_eq(call(&a, "GET", path, NULL, NULL, &r), 200);
    const cJSON *vs = cJSON_GetObjectItem(r, "versions");
    ck_assert_int_eq(cJSON_GetArraySize(vs), 4);
    ck_assert_str_eq(str(cJSON_GetArrayItem(vs, 1), "source"), "checkpoint");
    ck_assert_str_eq(str(cJSON_GetArrayItem(vs, 3), "source"), "train");
    cJSON_Delete(r);

    /* wait (as a progress stream would) until the long job has run an
     * epoch, then shut down */
    job_live live;
    ck_assert_int_eq(jobs_wait_epoch(a.jobs, long_job, 0, 60, &live), 1);
    ck_assert_int_ge(live.epoch, 1);
    ck_assert_int_eq(live.epochs, 10000);
    ck_assert(live.loss > 0 && live.elapsed > 0 && !live.ended);
    ck_assert_int_eq(jobs_live(a.jobs, long_job, &live), 1);
    ck_assert_uint_ge(jobs_running(a.jobs), 1);
    snprintf(path, sizeof path, "/v1/jobs/%s", long_job);
    app_stop_jobs(&a);
    ck_assert_int_eq(call(&a, "GET", path, NULL, NULL, &r), 200);
    ck_assert_str_eq(str(r, "status"), "failed");
    ck_assert_str_eq(str(r, "stop_reason"), "interrupted");
    double v = num(r, "version");
    ck_assert(v >= 2);
    cJSON_Delete(r);
    snprintf(path, sizeof path, "/v1/models/%s", wide);
    ck_assert_int_eq(call(&a, "GET", path, NULL, NULL, &r), 200);
    ck_assert(num(r, "version") == v); /* its checkpoint is the model's weights */
    cJSON_Delete(r);
    app_free(&a);
    storage_close(s);
    dir_down();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jobs");
    TCase *tc = tcase_create("jobs");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, fair_pick_prefers_owners_with_fewer_running_jobs);
    tcase_add_test(tc, recover_cancel_queued_and_progress);
    tcase_add_test(tc, migration_0002_keeps_versions);
    tcase_add_test(tc, due_batches_by_time_and_checkpoints_by_epochs_or_time);
    tcase_add_test(tc, pool_trains_checkpoints_and_interrupts_at_shutdown);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
