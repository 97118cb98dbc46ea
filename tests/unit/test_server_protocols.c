/*
 * test_server_protocols.c - the pieces of the KServe v2 / TF Serving
 * routes that need no daemon: which paths answer {"error": "text"} and
 * how an mlpd error is reshaped (status and headers kept, successes and
 * other paths untouched), and the v2 infer body reader (flat and nested
 * data, FP32 rounding, id and parameters, every refusal with nothing
 * left allocated).
 */
#include <check.h>
#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "api/protocol_errors.h"
#include "api/reply.h"
#include "api/v2infer.h"

START_TEST(which_paths_answer_plain_errors)
{
    ck_assert(protocol_plain_errors("/v2"));
    ck_assert(protocol_plain_errors("/v2/models/abc/infer"));
    ck_assert(protocol_plain_errors("/v2/nothing"));
    ck_assert(protocol_plain_errors("/v1/models/abc:predict"));
    ck_assert(!protocol_plain_errors("/v1/models/abc/predict"));
    ck_assert(!protocol_plain_errors("/v1/models/abc"));
    ck_assert(!protocol_plain_errors("/v2x"));
    ck_assert(!protocol_plain_errors("/v1/jobs/x:predict"));
    ck_assert(!protocol_plain_errors("/healthz"));
}
END_TEST

static api_request request(const char *path)
{
    api_request r;
    memset(&r, 0, sizeof r);
    r.method = "GET";
    r.path = path;
    return r;
}

START_TEST(errors_are_reshaped_and_keep_status_and_headers)
{
    api_response resp;
    api_response_init(&resp);
    reply_error(&resp, API_ERR_UNAUTHORIZED, NULL, "No token.");
    api_response_header(&resp, "WWW-Authenticate", "Bearer realm=\"mlpd\"");
    api_request req = request("/v2/models/abc/infer");
    protocol_errors_reshape(&req, &resp);
    ck_assert_int_eq(resp.status, 401);
    ck_assert_str_eq(resp.body.data, "{\"error\":\"No token.\"}");
    ck_assert_str_eq(resp.content_type, CT_JSON);
    ck_assert_uint_eq(resp.n_headers, 1);
    ck_assert_str_eq(resp.headers[0].name, "WWW-Authenticate");
    api_response_free(&resp);

    /* mlpd's own routes keep mlpd's shape */
    api_response_init(&resp);
    reply_error(&resp, API_ERR_NOT_FOUND, NULL, NULL);
    req = request("/v1/models/abc");
    protocol_errors_reshape(&req, &resp);
    ck_assert_ptr_nonnull(strstr(resp.body.data, "\"code\":\"not_found\""));
    api_response_free(&resp);

    /* a success is untouched, even with an "error" member */
    api_response_init(&resp);
    static const char ok[] = "{\"error\":{\"message\":\"x\"}}";
    reply_text(&resp, 200, CT_JSON, ok, sizeof ok - 1);
    req = request("/v2");
    protocol_errors_reshape(&req, &resp);
    ck_assert_str_eq(resp.body.data, ok);
    api_response_free(&resp);
}
END_TEST

/* Parse body for a model of `inputs` inputs, at most 1000 rows. */
static int parse(const char *body, size_t inputs, v2_infer *in, api_response *resp)
{
    api_response_init(resp);
    return v2_infer_parse_or_reply(resp, body, strlen(body), inputs, 1000, in);
}

START_TEST(infer_bodies_flat_nested_fp32)
{
    v2_infer in;
    api_response resp;
    static const char flat[] = "{\"id\":\"7\",\"parameters\":{\"a\":1},\"inputs\":[{\"name\":\"input\","
                               "\"shape\":[2,2],\"datatype\":\"FP64\",\"data\":[1,2,3,0.1]}]}";
    ck_assert_int_eq(parse(flat, 2, &in, &resp), 0);
    ck_assert_uint_eq(in.rows, 2);
    ck_assert(in.x[1] == 2 && in.x[3] == 0.1 && !in.fp32);
    ck_assert_str_eq(in.id, "7");
    ck_assert(cJSON_IsObject(in.parameters));
    v2_infer_free(&in);
    api_response_free(&resp);

    static const char nested[] = "{\"inputs\":[{\"name\":\"input\",\"shape\":[2,2],"
                                 "\"datatype\":\"FP32\",\"data\":[[1,2],[3,0.1]]}],"
                                 "\"outputs\":[{\"name\":\"output\"}]}";
    ck_assert_int_eq(parse(nested, 2, &in, &resp), 0);
    ck_assert(in.fp32 && in.x[3] == (double)0.1f && in.x[3] != 0.1);
    ck_assert_ptr_null(in.id);
    ck_assert_ptr_null(in.parameters);
    v2_infer_free(&in);
    api_response_free(&resp);
}
END_TEST

START_TEST(infer_bodies_refused)
{
    static const struct {
        const char *body;
        int status;
        const char *says;
    } bad[] = {
        {"{\"inputs\":[{\"name\":\"input\",\"shape\":[1,3],\"datatype\":\"FP64\",\"data\":[1,2]}]}", 400, "3"},
        {"{\"inputs\":[{\"name\":\"input\",\"shape\":[1,2],\"datatype\":\"INT8\",\"data\":[1,2]}]}", 400, "FP64"},
        {"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,2],\"datatype\":\"FP64\",\"data\":[1,2]}]}", 400, "input"},
        {"{\"inputs\":[{\"name\":\"input\",\"shape\":[1001,2],\"datatype\":\"FP64\",\"data\":[1,2]}]}", 413, "1000 rows"},
        {"{\"inputs\":[{\"name\":\"input\",\"shape\":[0,2],\"datatype\":\"FP64\",\"data\":[]}]}", 400, "at least 1"},
        {"{\"inputs\":[{\"name\":\"input\",\"shape\":[4,2],\"datatype\":\"FP64\",\"data\":[1]}]}", 400, "expected 8"},
        /* more rows than the body's bytes could hold: refused before allocating */
        {"{\"inputs\":[{\"name\":\"input\",\"shape\":[900,2],\"datatype\":\"FP64\",\"data\":[1]}]}", 400, "cannot hold"},
        {"{\"inputs\":[{\"name\":\"input\",\"shape\":[1,2],\"datatype\":\"FP64\",\"data\":[1,1e999]}]}", 400, "data"},
        {"{\"inputs\":[{\"name\":\"input\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[1,1e39]}]}", 400, "FP32"},
        {"{\"inputs\":[{\"name\":\"input\",\"shape\":[1,2],\"datatype\":\"FP64\",\"data\":[1,2]}],\"outputs\":[{\"name\":\"y\"}]}", 400, "output"},
        {"{\"inputs\":[]}", 400, "one tensor"},
        {"{\"id\":1,\"inputs\":[]}", 400, "id"},
        {"{\"inputs\":[{\"name\":\"input\",\"shape\":[1,2],\"datatype\":\"FP64\",\"data\":[1,2]}],\"extra\":0}", 400, "extra"},
        {"[1]", 400, ""},
        {"{\"inputs\":", 400, ""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v2_infer in;
        api_response resp;
        ck_assert_msg(parse(bad[i].body, 2, &in, &resp) == -1, "accepted %s", bad[i].body);
        ck_assert_msg(resp.status == bad[i].status, "%s: status %d", bad[i].body, resp.status);
        ck_assert_msg(strstr(resp.body.data, bad[i].says) != NULL, "%s: %s", bad[i].body, resp.body.data);
        ck_assert(!in.x && !in.root && in.rows == 0);
        api_response_free(&resp);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("server_protocols");
    TCase *tc = tcase_create("protocols");
    tcase_add_test(tc, which_paths_answer_plain_errors);
    tcase_add_test(tc, errors_are_reshaped_and_keep_status_and_headers);
    tcase_add_test(tc, infer_bodies_flat_nested_fp32);
    tcase_add_test(tc, infer_bodies_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
