/*
 * test_server_access.c - the class of every route (public, user, model,
 * predict, job, admin) read from the route table, so that a route added
 * later cannot slip past the ownership check unnoticed; and the CORS
 * origin list.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "api/access.h"
#include "api/cors.h"
#include "api/routes.h"

START_TEST(every_route_has_the_right_class)
{
    size_t n_model = 0, n_public = 0, n_v2 = 0;
    for (size_t i = 0; i < n_routes; i++) {
        const route *rt = &routes[i];
        access_kind k = access_of_route(rt);
        const char *pat = rt->pattern;
        if (strncmp(pat, "/v1/exercises", 13) == 0) {
            /* shared by the class: the teacher's routes are admin-only,
             * the rest any user's (the handler keeps variants apart) */
            int teacher = (strcmp(rt->method, "POST") == 0 && strcmp(pat, "/v1/exercises") == 0) ||
                          strcmp(rt->method, "DELETE") == 0 || strstr(pat, "/results") != NULL ||
                          strstr(pat, "/solution") != NULL;
            ck_assert_msg(k == (teacher ? ACCESS_ADMIN : ACCESS_USER), "%s %s has class %d",
                          rt->method, pat, (int)k);
        } else if (strncmp(pat, "/v1/datasets", 12) == 0) {
            /* any user's: the handler answers 404 for another's private
             * dataset and 403 for a reader's write */
            ck_assert_msg(k == ACCESS_USER, "%s %s has class %d", rt->method, pat, (int)k);
        } else if (strncmp(pat, "/v1/", 4) == 0 && strstr(pat, "{id}")) {
            /* every object route checks ownership */
            int is_job = strncmp(pat, "/v1/jobs/", 9) == 0;
            /* predict, :predict, TF Serving's /metadata (a signature) and
             * the lab's activations (predict's outputs, layer by layer) */
            int is_predict = strstr(pat, "predict") != NULL || strstr(pat, "/metadata") != NULL ||
                             strstr(pat, "/activations") != NULL;
            ck_assert_msg(k == (is_job ? ACCESS_JOB : is_predict ? ACCESS_PREDICT : ACCESS_MODEL),
                          "%s %s has class %d", rt->method, pat, (int)k);
            n_model++;
        } else if (strncmp(pat, "/v2/models/{id}", 15) == 0) {
            /* KServe v2: metadata, ready and infer, all as predict */
            ck_assert_msg(k == ACCESS_PREDICT, "%s %s has class %d", rt->method, pat, (int)k);
            n_v2++;
        } else if (k == ACCESS_PUBLIC) {
            ck_assert_msg(strcmp(pat, "/healthz") == 0 || strncmp(pat, "/v2/health/", 11) == 0 ||
                              strncmp(pat, "/v1/", 4) != 0,
                          "%s is public", pat);
            ck_assert_msg(strcmp(rt->method, "GET") == 0, "%s %s is public", rt->method, pat);
            n_public++;
        } else if (strcmp(pat, "/metrics") == 0) {
            ck_assert_int_eq(k, ACCESS_ADMIN);
        } else {
            ck_assert_msg(k == ACCESS_USER, "%s %s has class %d", rt->method, pat, (int)k);
        }
    }
    ck_assert_uint_ge(n_model, 15);
    ck_assert_uint_ge(n_public, 4); /* /v2 (server metadata) among them */
    ck_assert_uint_ge(n_v2, 6);
    /* patterns other branches add */
    route r = {"GET", "/v1/jobs/{id}/events", NULL, 0};
    ck_assert_int_eq(access_of_route(&r), ACCESS_JOB);
    route e = {"GET", "/v1/models/{id}/export", NULL, 0};
    ck_assert_int_eq(access_of_route(&e), ACCESS_MODEL);
    route imp = {"POST", "/v1/models/import", NULL, 0};
    ck_assert_int_eq(access_of_route(&imp), ACCESS_USER);
    route lab = {"GET", "/", NULL, 0};
    ck_assert_int_eq(access_of_route(&lab), ACCESS_PUBLIC);
    route labpost = {"POST", "/", NULL, 0};
    ck_assert_int_eq(access_of_route(&labpost), ACCESS_USER);
    route web = {"GET", "/web/{id}.js", NULL, 0};
    ck_assert_int_eq(access_of_route(&web), ACCESS_PUBLIC);
    route exr = {"GET", "/v1/exercises/{id}/results", NULL, 0};
    ck_assert_int_eq(access_of_route(&exr), ACCESS_ADMIN);
    route exs = {"GET", "/v1/exercises/{id}/solution", NULL, 0};
    ck_assert_int_eq(access_of_route(&exs), ACCESS_ADMIN);
    route exc = {"POST", "/v1/exercises", NULL, 0};
    ck_assert_int_eq(access_of_route(&exc), ACCESS_ADMIN);
    route exa = {"POST", "/v1/exercises/{id}/attempts", NULL, 0};
    ck_assert_int_eq(access_of_route(&exa), ACCESS_USER);
    route exg = {"GET", "/v1/exercises/{id}", NULL, 0};
    ck_assert_int_eq(access_of_route(&exg), ACCESS_USER);
    route jobs = {"GET", "/v1/jobs", NULL, 0};
    ck_assert_int_eq(access_of_route(&jobs), ACCESS_USER);
}
END_TEST

START_TEST(cors_origin_list)
{
    const char *list = "https://class.example.org, http://127.0.0.1:8001";
    ck_assert(cors_allowed(list, "https://class.example.org"));
    ck_assert(cors_allowed(list, "http://127.0.0.1:8001"));
    ck_assert(!cors_allowed(list, "http://127.0.0.1:8002"));
    ck_assert(!cors_allowed(list, "https://class.example.org.evil"));
    ck_assert(!cors_allowed(list, "https://class.example"));
    ck_assert(!cors_allowed(list, "HTTPS://CLASS.EXAMPLE.ORG"));
    ck_assert(!cors_allowed(list, "null"));
    ck_assert(!cors_allowed(list, ""));
    ck_assert(!cors_allowed(list, NULL));
    ck_assert(!cors_allowed("", "https://class.example.org"));
    ck_assert(cors_allowed("*", "http://anything.example"));
    ck_assert(!cors_allowed("null", "null"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("access");
    TCase *tc = tcase_create("routes");
    tcase_add_test(tc, every_route_has_the_right_class);
    tcase_add_test(tc, cors_origin_list);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
