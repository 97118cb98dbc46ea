/*
 * test_server_routes.c - the pure route matcher: 404 vs 405 (with Allow),
 * {id} and {n} extraction, trailing slashes, ":predict".
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "api/routes.h"

static route_result match(const char *method, const char *path, const char **pattern,
                          route_params *p, char *allow)
{
    size_t i = 9999;
    route_result r = route_match(method, path, &i, p, allow, 128);
    *pattern = r == ROUTE_FOUND ? routes[i].pattern : NULL;
    if (r == ROUTE_FOUND)
        ck_assert_str_eq(routes[i].method, method);
    return r;
}

START_TEST(finds_each_route_with_its_params)
{
    const char *pat;
    route_params p;
    char allow[128];
    ck_assert_int_eq(match("POST", "/v1/models", &pat, &p, allow), ROUTE_FOUND);
    ck_assert_str_eq(pat, "/v1/models");
    ck_assert_int_eq(match("GET", "/v1/models/abc123", &pat, &p, allow), ROUTE_FOUND);
    ck_assert_str_eq(pat, "/v1/models/{id}");
    ck_assert_str_eq(p.id, "abc123");
    ck_assert_int_eq(match("PUT", "/v1/models/0f0f/weights", &pat, &p, allow), ROUTE_FOUND);
    ck_assert_str_eq(pat, "/v1/models/{id}/weights");
    ck_assert_str_eq(p.id, "0f0f");
    ck_assert_int_eq(match("POST", "/v1/models/m1/versions/12/restore", &pat, &p, allow),
                     ROUTE_FOUND);
    ck_assert_str_eq(p.id, "m1");
    ck_assert_str_eq(p.n, "12");
    ck_assert_int_eq(match("GET", "/v1/jobs/j-9", &pat, &p, allow), ROUTE_FOUND);
    ck_assert_str_eq(pat, "/v1/jobs/{id}");
    ck_assert_str_eq(p.id, "j-9");
    ck_assert_int_eq(match("GET", "/metrics", &pat, &p, allow), ROUTE_FOUND);
}
END_TEST

START_TEST(colon_predict_is_its_own_route)
{
    const char *pat;
    route_params p;
    char allow[128];
    ck_assert_int_eq(match("POST", "/v1/models/abc:predict", &pat, &p, allow), ROUTE_FOUND);
    ck_assert_str_eq(pat, "/v1/models/{id}:predict");
    ck_assert_str_eq(p.id, "abc");
    ck_assert_int_eq(match("POST", "/v1/models/abc/predict", &pat, &p, allow), ROUTE_FOUND);
    ck_assert_str_eq(pat, "/v1/models/{id}/predict");
    /* GET on the :predict path is 405, not the model itself */
    ck_assert_int_eq(match("GET", "/v1/models/abc:predict", &pat, &p, allow), ROUTE_BAD_METHOD);
    ck_assert_str_eq(allow, "POST");
    /* an empty id before :predict, or another verb, is not a route */
    ck_assert_int_eq(match("POST", "/v1/models/:predict", &pat, &p, allow), ROUTE_NOT_FOUND);
    ck_assert_int_eq(match("POST", "/v1/models/abc:explain", &pat, &p, allow), ROUTE_NOT_FOUND);
}
END_TEST

START_TEST(lab_page_files)
{
    const char *pat;
    route_params p;
    char allow[128];
    ck_assert_int_eq(match("GET", "/", &pat, &p, allow), ROUTE_FOUND);
    ck_assert_str_eq(pat, "/");
    ck_assert_int_eq(match("GET", "/web/lab.js", &pat, &p, allow), ROUTE_FOUND);
    ck_assert_str_eq(pat, "/web/{id}.js");
    ck_assert_str_eq(p.id, "lab");
    ck_assert_int_eq(match("GET", "/web/lab-2_x.css", &pat, &p, allow), ROUTE_FOUND);
    ck_assert_str_eq(pat, "/web/{id}.css");
    ck_assert_int_eq(match("GET", "/web/lecture.md", &pat, &p, allow), ROUTE_FOUND);
    ck_assert_str_eq(pat, "/web/{id}.md");
    ck_assert_str_eq(p.id, "lecture");
    ck_assert_int_eq(match("POST", "/", &pat, &p, allow), ROUTE_BAD_METHOD);
    ck_assert_str_eq(allow, "GET");
    /* only one safe name and a known extension: no dots, slashes or others */
    static const char *const bad[] = {"/web/a.b.js", "/web/.js", "/web/lab.png", "/web/lab",
                                      "/web/../x.js", "/web/x/y.js", "/web/", "/web",
                                      "/index.html", "//", "/web/lab.js/", "/web/a.md.js", "/web/lecture.markdown"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(match("GET", bad[i], &pat, &p, allow) == ROUTE_NOT_FOUND, "%s", bad[i]);
}
END_TEST

START_TEST(wrong_method_is_405_with_allow)
{
    const char *pat;
    route_params p;
    char allow[128];
    ck_assert_int_eq(match("PUT", "/v1/models/abc", &pat, &p, allow), ROUTE_BAD_METHOD);
    ck_assert_str_eq(allow, "GET, PATCH, DELETE");
    ck_assert_int_eq(match("DELETE", "/v1/models", &pat, &p, allow), ROUTE_BAD_METHOD);
    ck_assert_str_eq(allow, "POST, GET");
    ck_assert_int_eq(match("POST", "/v1/models/x/samples/", &pat, &p, allow), ROUTE_NOT_FOUND);
    ck_assert_int_eq(match("GET", "/v1/models/x/samples", &pat, &p, allow), ROUTE_FOUND);
    ck_assert_int_eq(match("PUT", "/v1/models/x/samples", &pat, &p, allow), ROUTE_BAD_METHOD);
    ck_assert_str_eq(allow, "POST, GET, DELETE");
}
END_TEST

START_TEST(unknown_paths_are_404)
{
    const char *pat;
    route_params p;
    char allow[128];
    /* "/" is the lab page (lab_page_files) */
    const char *paths[] = {"", "/v1", "/v1/models/", "/v1/models//weights",
                           "/v1/models/a/b", "/v1/models/a b", "/v1/models/a%2Fb",
                           "/v1/models/a/weights/", "/V1/models", "/v1/models/a.b",
                           "v1/models", "/healthz/", "/v1/jobs"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        ck_assert_msg(match("GET", paths[i], &pat, &p, allow) == ROUTE_NOT_FOUND, "%s",
                      paths[i]);
}
END_TEST

START_TEST(ids_are_bounded)
{
    const char *pat;
    route_params p;
    char allow[128];
    char path[200];
    char id[80];
    memset(id, 'a', 64);
    id[64] = '\0';
    snprintf(path, sizeof path, "/v1/models/%s", id);
    ck_assert_int_eq(match("GET", path, &pat, &p, allow), ROUTE_FOUND);
    ck_assert_str_eq(p.id, id);
    id[64] = 'a';
    id[65] = '\0';
    snprintf(path, sizeof path, "/v1/models/%s", id);
    ck_assert_int_eq(match("GET", path, &pat, &p, allow), ROUTE_NOT_FOUND);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("server_routes");
    TCase *tc = tcase_create("match");
    tcase_add_test(tc, finds_each_route_with_its_params);
    tcase_add_test(tc, colon_predict_is_its_own_route);
    tcase_add_test(tc, wrong_method_is_405_with_allow);
    tcase_add_test(tc, lab_page_files);
    tcase_add_test(tc, unknown_paths_are_404);
    tcase_add_test(tc, ids_are_bounded);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
