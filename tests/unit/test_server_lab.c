/*
 * test_server_lab.c - the lab page's routes and the ?generate= hook
 * through api_handle (no socket), so that they also run under ASan:
 * every embedded file is served whole with its type and caching headers,
 * a matching If-None-Match gets 304 with no body, and generated samples
 * need no body.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "util/config.h"
#include "storage/storage.h"
#include "api/web_files.h"

static char dir[64];
static char db[128];
static storage *st;
static mlpd_config cfg;
static app A;

static void setup(void)
{
    strcpy(dir, "/tmp/mlpd-lab-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/t.db", dir);
    char err[256];
    ck_assert_int_eq(storage_open(db, &st, err, sizeof err), ST_OK);
    config_defaults(&cfg);
    cfg.max_samples = 50;
    ck_assert_int_eq(app_init(&A, &cfg, st), 0);
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

static const char *header(const api_response *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

/* One request; the caller frees *r. */
static void call(api_response *r, const char *method, const char *path, const api_kv *query,
                 size_t nq, const api_kv *headers, size_t nh, const char *body)
{
    api_request req = {method, path, query, nq, headers, nh, body, body ? strlen(body) : 0, NULL, NULL};
    api_response_init(r);
    api_handle(&A, &req, r);
}

START_TEST(every_file_is_served_with_its_headers)
{
    ck_assert_uint_ge(web_files_count, 5);
    for (size_t i = 0; i < web_files_count; i++) {
        const web_file *f = &web_files[i];
        char path[128];
        snprintf(path, sizeof path, strcmp(f->name, "index.html") == 0 ? "/" : "/web/%s", f->name);
        api_response r;
        call(&r, "GET", path, NULL, 0, NULL, 0, NULL);
        ck_assert_msg(r.status == 200, "%s: %d", path, r.status);
        ck_assert_str_eq(r.content_type, f->type);
        ck_assert_uint_eq(r.body.len, f->len);
        ck_assert(memcmp(r.body.data, f->data, f->len) == 0);
        ck_assert_str_eq(header(&r, "ETag"), f->etag);
        ck_assert_str_eq(header(&r, "Cache-Control"), "no-cache");
        ck_assert_ptr_nonnull(strstr(header(&r, "Content-Security-Policy"), "script-src 'self'"));
        api_response_free(&r);

        api_kv inm = {"If-None-Match", f->etag};
        call(&r, "GET", path, NULL, 0, &inm, 1, NULL);
        ck_assert_int_eq(r.status, 304);
        ck_assert_uint_eq(r.body.len, 0);
        ck_assert_str_eq(header(&r, "ETag"), f->etag);
        api_response_free(&r);
    }
    api_response r;
    api_kv stale = {"If-None-Match", "\"0000\""};
    call(&r, "GET", "/", NULL, 0, &stale, 1, NULL);
    ck_assert_int_eq(r.status, 200);
    api_response_free(&r);
    call(&r, "GET", "/web/nothing.js", NULL, 0, NULL, 0, NULL);
    ck_assert_int_eq(r.status, 404);
    ck_assert_ptr_null(header(&r, "Cache-Control")); /* errors: http.c's no-store */
    api_response_free(&r);
}
END_TEST

START_TEST(generate_needs_no_body)
{
    api_response r;
    api_kv json = {"Content-Type", "application/json"};
    call(&r, "POST", "/v1/models", NULL, 0, &json, 1,
         "{\"name\":\"m\",\"inputs\":2,\"layers\":[{\"units\":1,\"activation\":\"linear\"}]}");
    ck_assert_int_eq(r.status, 201);
    char id[17] = "";
    const char *p = strstr(r.body.data, "\"id\":\"");
    ck_assert_ptr_nonnull(p);
    memcpy(id, p + 6, 16);
    api_response_free(&r);
    char path[64];
    snprintf(path, sizeof path, "/v1/models/%s/samples", id);

    api_kv q[] = {{"generate", "circle"}, {"n", "30"}, {"noise", "0.1"}, {"seed", "4"}};
    call(&r, "POST", path, q, 4, NULL, 0, NULL);
    ck_assert_int_eq(r.status, 201);
    ck_assert_str_eq(r.body.data, "{\"added\":30,\"total\":30}");
    api_response_free(&r);
    call(&r, "POST", path, q, 4, NULL, 0, NULL); /* 30 more do not fit in 50 */
    ck_assert_int_eq(r.status, 413);
    api_response_free(&r);
    api_kv bad[] = {{"generate", "circle"}, {"noise", "-1"}};
    call(&r, "POST", path, bad, 2, NULL, 0, NULL);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.body.data, "\"field\":\"noise\""));
    api_response_free(&r);
    call(&r, "POST", path, q, 1, &json, 1, "{\"samples\":[{\"x\":[0,0],\"y\":[1]}]}");
    ck_assert_int_eq(r.status, 400); /* a body and generate */
    api_response_free(&r);
    call(&r, "POST", path, NULL, 0, NULL, 0, NULL); /* neither: 415 as before */
    ck_assert_int_eq(r.status, 415);
    api_response_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("server_lab");
    TCase *tc = tcase_create("lab");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, every_file_is_served_with_its_headers);
    tcase_add_test(tc, generate_needs_no_body);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
