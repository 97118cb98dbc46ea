/*
 * test_server_jsonin.c - the strict JSON readers against each cJSON trap:
 * trailing garbage, duplicate keys, case variants, 1e999, 3.7 for an
 * integer, nesting depth, \u0000, invalid UTF-8, unknown fields.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "api/jsonin.h"
#include "api/reply.h"

/* Parse text (copied into an exact-size buffer without a NUL, as MHD
 * gives it). Returns the reader's result; *code gets the error code. */
static int parse(const char *text, cJSON **out, api_response *r)
{
    size_t len = strlen(text);
    char *buf = malloc(len ? len : 1);
    memcpy(buf, text, len);
    api_response_init(r);
    int rc = json_parse_or_reply(r, buf, len, out);
    free(buf);
    return rc;
}

static int has(const api_response *r, const char *needle)
{
    return r->body.data && strstr(r->body.data, needle) != NULL;
}

static void expect_parse_error(const char *text, int status, const char *code)
{
    cJSON *root = NULL;
    api_response r;
    ck_assert_msg(parse(text, &root, &r) == -1, "accepted: %s", text);
    ck_assert_ptr_null(root);
    ck_assert_int_eq(r.status, status);
    char needle[64];
    snprintf(needle, sizeof needle, "\"code\":\"%s\"", code);
    ck_assert_msg(has(&r, needle), "%s -> %s", text, r.body.data);
    api_response_free(&r);
}

START_TEST(refuses_each_trap_at_parse)
{
    expect_parse_error("{\"a\":1} xyz", 400, "invalid_json");
    expect_parse_error("{\"a\":1}{}", 400, "invalid_json");
    expect_parse_error("{\"a\":1,\"a\":2}", 400, "invalid_json");
    expect_parse_error("{\"s\":\"ab\\u0000cd\"}", 400, "invalid_json");
    expect_parse_error("{\"s\":\"\xff\"}", 400, "invalid_json");
    expect_parse_error("{\"s\":\"\xc0\xaf\"}", 400, "invalid_json");
    expect_parse_error("", 400, "invalid_json");
    expect_parse_error("{", 400, "invalid_json");
    /* cJSON 1.7.15 takes these numbers; JSON does not (hostile-client test) */
    const char *numbers[] = {"[01]", "[-01]", "[1.]", "[1.e5]", "[-]", "[1e]", "[1e+]",
                             "[.5]", "[0x10]", "[1.5.5]", "[1e5e5]", "[--1]", "{\"a\":00}"};
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
        expect_parse_error(numbers[i], 400, "invalid_json");
    /* cJSON skips any byte <= 0x20 and keeps raw control bytes in strings */
    expect_parse_error("{\"a\":\x01[1]}", 400, "invalid_json");
    expect_parse_error("[1,\x0b2]", 400, "invalid_json");
    expect_parse_error("{\"a\":\"x\x01y\"}", 400, "invalid_json");
    expect_parse_error("{\"a\":\"x\ty\"}", 400, "invalid_json");
    expect_parse_error("[[[[[[[[[1]]]]]]]]]", 400, "too_deep");
    expect_parse_error("{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{}}}}}}}}}", 400,
                       "too_deep");
}
END_TEST

START_TEST(accepts_what_is_fine)
{
    cJSON *root = NULL;
    api_response r;
    /* 8 levels, trailing whitespace, an escaped backslash before u0000 text */
    ck_assert_int_eq(parse("[[[[[[[[1]]]]]]]] \r\n\t", &root, &r), 0);
    cJSON_Delete(root);
    api_response_free(&r);
    /* number-like text inside strings and keys is not a number */
    ck_assert_int_eq(parse("{\"01\":\"1.\",\"n\":[0,-0,0.5,-1e-5,1E+300,10,\"\\\"01\"]}", &root, &r), 0);
    cJSON_Delete(root);
    api_response_free(&r);
    ck_assert_int_eq(parse("{\"s\":\"a\\\\u0000\",\"t\":\"h\xc3\xa9\"}", &root, &r), 0);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(root, "s")->valuestring, "a\\u0000");
    cJSON_Delete(root);
    api_response_free(&r);
}
END_TEST

static const char *const fields[] = {"name", "n", "x", "ok", NULL};

START_TEST(unknown_and_case_variant_fields)
{
    cJSON *root = NULL;
    api_response r;
    ck_assert_int_eq(parse("{\"name\":\"a\",\"Name\":\"b\",\"owner\":1}", &root, &r), 0);
    ck_assert_int_eq(json_object_or_reply(&r, root, "", fields), -1);
    ck_assert_int_eq(r.status, 400);
    ck_assert(has(&r, "\"code\":\"unknown_field\""));
    ck_assert(has(&r, "Name, owner"));
    cJSON_Delete(root);
    api_response_free(&r);

    ck_assert_int_eq(parse("[1]", &root, &r), 0);
    ck_assert_int_eq(json_object_or_reply(&r, root, "", fields), -1);
    ck_assert_int_eq(r.status, 400);
    cJSON_Delete(root);
    api_response_free(&r);
}
END_TEST

/* Read field n of {"n": <value>} as an integer in [0, 100]. */
static int read_int(const char *value, int64_t *out, api_response *r)
{
    char text[128];
    snprintf(text, sizeof text, "{\"n\":%s}", value);
    cJSON *root = NULL;
    ck_assert_int_eq(parse(text, &root, r), 0);
    int rc = json_int_or_reply(r, root, "n", "", 1, 0, 100, out);
    cJSON_Delete(root);
    return rc;
}

START_TEST(integers_are_checked_not_truncated)
{
    const char *bad[] = {"3.7", "1e999", "-1e999", "101", "-1", "\"5\"", "true", "[]", "1e3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v = 42;
        api_response r;
        ck_assert_msg(read_int(bad[i], &v, &r) == -1, "accepted %s", bad[i]);
        ck_assert_int_eq(v, 42);
        ck_assert(has(&r, "\"field\":\"n\""));
        ck_assert(has(&r, "invalid_field"));
        api_response_free(&r);
    }
    int64_t v = 0;
    api_response r;
    ck_assert_int_eq(read_int("7.0", &v, &r), 0);
    ck_assert_int_eq(v, 7);
    api_response_free(&r);
    ck_assert_int_eq(read_int("1e2", &v, &r), 0);
    ck_assert_int_eq(v, 100);
    api_response_free(&r);
}
END_TEST

START_TEST(numbers_must_be_finite_and_required_fields_present)
{
    cJSON *root = NULL;
    api_response r;
    ck_assert_int_eq(parse("{\"x\":1e999,\"ok\":1}", &root, &r), 0);
    double d = 5;
    ck_assert_int_eq(json_number_or_reply(&r, root, "x", "", 1, &d), -1);
    ck_assert(has(&r, "\"field\":\"x\""));
    ck_assert(d == 5);
    api_response_free(&r);
    api_response_init(&r);
    int b = 0;
    ck_assert_int_eq(json_bool_or_reply(&r, root, "ok", "", 1, &b), -1);
    api_response_free(&r);
    api_response_init(&r);
    ck_assert_int_eq(json_number_or_reply(&r, root, "missing", "outer", 1, &d), -1);
    ck_assert(has(&r, "missing_field"));
    ck_assert(has(&r, "\"field\":\"outer.missing\""));
    api_response_free(&r);
    api_response_init(&r);
    ck_assert_int_eq(json_number_or_reply(&r, root, "missing", "", 0, &d), 0);
    ck_assert(d == 5);
    cJSON_Delete(root);
    api_response_free(&r);
}
END_TEST

START_TEST(vectors_and_matrices_check_every_dimension)
{
    cJSON *root = NULL;
    api_response r;
    ck_assert_int_eq(parse("{\"m\":[[1,2],[3,4,5]],\"v\":[1,\"2\"]}", &root, &r), 0);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "m");
    double out[6] = {0};
    size_t rows = 0;
    ck_assert_int_eq(json_rows_or_reply(&r, m, "m", 10, &rows), 0);
    ck_assert_uint_eq(rows, 2);
    ck_assert_int_eq(json_matrix_or_reply(&r, m, "m", 2, 2, out), -1);
    ck_assert(has(&r, "invalid_dimensions"));
    ck_assert(has(&r, "\"field\":\"m[1]\""));
    api_response_free(&r);
    api_response_init(&r);
    ck_assert_int_eq(json_rows_or_reply(&r, m, "m", 1, &rows), -1);
    ck_assert_int_eq(r.status, 413);
    api_response_free(&r);
    api_response_init(&r);
    ck_assert_int_eq(json_vector_or_reply(&r, cJSON_GetObjectItemCaseSensitive(root, "v"), "v", 2, out), -1);
    ck_assert(has(&r, "\"field\":\"v[1]\""));
    cJSON_Delete(root);
    api_response_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("server_jsonin");
    TCase *tc = tcase_create("readers");
    tcase_add_test(tc, refuses_each_trap_at_parse);
    tcase_add_test(tc, accepts_what_is_fine);
    tcase_add_test(tc, unknown_and_case_variant_fields);
    tcase_add_test(tc, integers_are_checked_not_truncated);
    tcase_add_test(tc, numbers_must_be_finite_and_required_fields_present);
    tcase_add_test(tc, vectors_and_matrices_check_every_dimension);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
