/*
 * test_server_realdata.c - the server's real-data pieces below the API:
 * a version's scalers in its blob trailer (round trip bit for bit, plain
 * blobs read as before, every damaged trailer refused), the scalers' JSON
 * (printed to read back exactly, refused when a scale is not positive),
 * and a model's meta (classes against the output layer, duplicates,
 * target scaling that does not fit, labels to targets).
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "domain/model_meta.h"
#include "domain/prep.h"

static mlp_t *net_2_1(void)
{
    mlp_spec spec = {.inputs = 2, .n_layers = 1, .loss = MLP_LOSS_MSE};
    spec.layers[0].units = 1;
    spec.layers[0].activation = MLP_ACT_LINEAR;
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_new(&spec, NULL, NULL, &net), MLP_OK);
    mlp_params(net)[0] = 0.25;
    return net;
}

static model_prep *fitted(void)
{
    model_prep *p = prep_new(MLP_SCALE_STANDARD, 2, MLP_SCALE_MINMAX, 1);
    ck_assert_ptr_nonnull(p);
    const double x[6] = {1, 10, 2, 20, 4, 40.5}, y[3] = {25, 346, 100};
    ck_assert_int_eq(mlp_scaler_fit(&p->inputs, 3, x), MLP_OK);
    ck_assert_int_eq(mlp_scaler_fit(&p->targets, 3, y), MLP_OK);
    p->train_rows = 3;
    p->val_rows = 1;
    return p;
}

START_TEST(blob_round_trip)
{
    mlp_t *net = net_2_1();
    model_prep *p = fitted();
    unsigned char *blob = NULL, *plain = NULL;
    size_t len = 0, plain_len = 0, net_len = 0;
    ck_assert_int_eq(prep_blob_encode(net, p, &blob, &len), 0);
    ck_assert_int_eq(prep_blob_encode(net, NULL, &plain, &plain_len), 0);
    ck_assert_uint_eq(plain_len, mlp_saved_size(net)); /* no trailer: as before */
    ck_assert_uint_eq(len, plain_len + 40 + 16 * 3 + 12);
    ck_assert(memcmp(blob, plain, plain_len) == 0);

    model_prep *back = NULL;
    ck_assert_int_eq(prep_blob_decode(blob, len, &net_len, &back), 0);
    ck_assert_ptr_nonnull(back);
    ck_assert_uint_eq(net_len, plain_len);
    ck_assert_int_eq(back->inputs.method, MLP_SCALE_STANDARD);
    ck_assert_int_eq(back->targets.method, MLP_SCALE_MINMAX);
    ck_assert(memcmp(back->inputs.offset, p->inputs.offset, 2 * sizeof(double)) == 0);
    ck_assert(memcmp(back->inputs.scale, p->inputs.scale, 2 * sizeof(double)) == 0);
    ck_assert(back->targets.offset[0] == 25 && back->targets.scale[0] == 321);
    ck_assert_int_eq(back->train_rows, 3);
    ck_assert_int_eq(back->val_rows, 1);
    mlp_t *loaded = NULL;
    ck_assert_int_eq(mlp_load(blob, net_len, NULL, NULL, &loaded), MLP_OK);
    ck_assert(mlp_params_const(loaded)[0] == 0.25);

    model_prep *none = (model_prep *)1;
    ck_assert_int_eq(prep_blob_decode(plain, plain_len, &net_len, &none), 0);
    ck_assert_ptr_null(none); /* a plain blob has no scalers */
    ck_assert_uint_eq(net_len, plain_len);

    mlp_free(loaded);
    prep_free(back);
    prep_free(p);
    free(blob);
    free(plain);
    mlp_free(net);
}
END_TEST

/* Every damaged trailer is refused, never read past its bytes. */
START_TEST(damaged_trailers_refused)
{
    mlp_t *net = net_2_1();
    model_prep *p = fitted();
    unsigned char *blob = NULL;
    size_t len = 0, net_len = 0;
    ck_assert_int_eq(prep_blob_encode(net, p, &blob, &len), 0);
    size_t rec_at = len - 12; /* the record length, before the magic */
    model_prep *got = NULL;
    /* a record longer than the blob */
    unsigned char *bad = malloc(len);
    memcpy(bad, blob, len);
    bad[rec_at] = 0xff;
    bad[rec_at + 1] = 0xff;
    ck_assert_int_eq(prep_blob_decode(bad, len, &net_len, &got), -1);
    ck_assert_ptr_null(got);
    /* a scale of zero (check refuses it) */
    memcpy(bad, blob, len);
    size_t scale0 = len - 12 - 16 * 3 + 16; /* inputs scale[0] */
    memset(bad + scale0, 0, 8);
    ck_assert_int_eq(prep_blob_decode(bad, len, &net_len, &got), -1);
    /* dimensions that do not match the record's length */
    memcpy(bad, blob, len);
    bad[len - 12 - 16 * 3 - 40 + 8] = 3;
    ck_assert_int_eq(prep_blob_decode(bad, len, &net_len, &got), -1);
    /* an unknown method */
    memcpy(bad, blob, len);
    bad[len - 12 - 16 * 3 - 40] = 9;
    ck_assert_int_eq(prep_blob_decode(bad, len, &net_len, &got), -1);
    /* every truncation that keeps the magic at the end */
    for (size_t cut = 1; cut < len - 12; cut++) {
        size_t n = len - cut;
        memcpy(bad, blob + cut, n); /* the same trailer, fewer bytes before it */
        if (prep_blob_decode(bad, n, &net_len, &got) == 0) {
            ck_assert_uint_le(net_len, n);
            prep_free(got);
            got = NULL;
        }
    }
    free(bad);
    free(blob);
    prep_free(p);
    mlp_free(net);
}
END_TEST

START_TEST(json_round_trip_exact)
{
    model_prep *p = prep_new(MLP_SCALE_STANDARD, 2, MLP_SCALE_NONE, 1);
    p->inputs.offset[0] = 0.1 + 0.2; /* 0.30000000000000004: 17 digits needed */
    p->inputs.offset[1] = 654.88910373;
    p->inputs.scale[0] = 1.0 / 3.0;
    p->inputs.scale[1] = 351.6;
    sbuf b;
    sbuf_init(&b);
    prep_write_json(&b, p);
    size_t len = 0;
    char *text = sbuf_take(&b, &len);
    ck_assert_ptr_nonnull(strstr(text, "\"targets\":{\"method\":\"none\"}"));
    cJSON *o = cJSON_Parse(text);
    model_prep *back = NULL;
    json_err e;
    ck_assert_int_eq(prep_read_json(&e, o, "preprocessing", 2, 1, &back), 0);
    ck_assert(memcmp(back->inputs.offset, p->inputs.offset, 2 * sizeof(double)) == 0);
    ck_assert(memcmp(back->inputs.scale, p->inputs.scale, 2 * sizeof(double)) == 0);
    ck_assert(mlp_scaler_is_identity(&back->targets));
    prep_free(back);
    cJSON_Delete(o);
    free(text);

    /* a zero scale, a missing mean, the wrong width: refused by name */
    const char *bad[][2] = {
        {"{\"inputs\":{\"method\":\"standard\",\"mean\":[1,2],\"scale\":[1,0]}}",
         "preprocessing.inputs.scale"},
        {"{\"inputs\":{\"method\":\"standard\",\"scale\":[1,1]}}", "preprocessing.inputs.mean"},
        {"{\"inputs\":{\"method\":\"minmax\",\"min\":[1],\"scale\":[1,1]}}",
         "preprocessing.inputs.min"},
        {"{\"inputs\":{\"method\":\"minmax\",\"mean\":[1,1],\"scale\":[1,1]}}",
         "preprocessing.inputs"},
        {"{\"targets\":{\"method\":\"log\"}}", "preprocessing.targets"},
        {"{\"inputs\":{\"method\":\"none\",\"scale\":[2,2]}}", "preprocessing.inputs"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        o = cJSON_Parse(bad[i][0]);
        back = NULL;
        ck_assert_int_eq(prep_read_json(&e, o, "preprocessing", 2, 1, &back), -1);
        ck_assert_ptr_null(back);
        ck_assert_str_eq(e.field, bad[i][1]);
        cJSON_Delete(o);
    }
    prep_free(p);
}
END_TEST

static int meta_of(const char *json, const mlp_spec *spec, model_meta *m, json_err *e)
{
    cJSON *o = cJSON_Parse(json);
    int rc = model_meta_read(e, o, spec, m);
    cJSON_Delete(o);
    return rc;
}

START_TEST(meta_against_the_output_layer)
{
    mlp_spec sig = {.inputs = 2, .n_layers = 1, .loss = MLP_LOSS_CROSS_ENTROPY};
    sig.layers[0].units = 1;
    sig.layers[0].activation = MLP_ACT_SIGMOID;
    mlp_spec soft = sig;
    soft.layers[0].units = 3;
    soft.layers[0].activation = MLP_ACT_SOFTMAX;
    model_meta m;
    json_err e;
    ck_assert_int_eq(meta_of("{\"classes\":[\"no\",\"yes\"],\"feature_names\":[\"a\",\"b\"]}", &sig,
                             &m, &e), 0);
    ck_assert_uint_eq(m.n_classes, 2);
    ck_assert_int_eq(model_meta_class(&m, "yes"), 1);
    ck_assert_int_eq(model_meta_class(&m, "maybe"), -1);
    double y[3];
    model_meta_class_target(&m, 1, 1, y);
    ck_assert(y[0] == 1);
    model_meta_class_target(&m, 1, 0, y);
    ck_assert(y[0] == 0);
    char *text = model_meta_spec_json("{\"inputs\":2}", &m);
    ck_assert_str_eq(text, "{\"inputs\":2,\"classes\":[\"no\",\"yes\"],\"feature_names\":[\"a\",\"b\"]}");
    free(text);
    model_meta_clear(&m);

    ck_assert_int_eq(meta_of("{\"classes\":[\"a\",\"b\",\"c\"]}", &soft, &m, &e), 0);
    model_meta_class_target(&m, 3, 2, y);
    ck_assert(y[0] == 0 && y[1] == 0 && y[2] == 1);
    model_meta_clear(&m);

    const struct { const char *json; const mlp_spec *spec; const char *field; } bad[] = {
        {"{\"classes\":[\"a\",\"b\",\"c\"]}", &sig, "classes"},
        {"{\"classes\":[\"a\",\"b\"]}", &soft, "classes"},
        {"{\"classes\":[\"a\",\"b\",\"a\"]}", &soft, "classes[2]"},
        {"{\"classes\":[\"a\",\"\",\"c\"]}", &soft, "classes[1]"},
        {"{\"classes\":[\"a\"]}", &sig, "classes"},
        {"{\"classes\":[\"a\",\"b\"],\"preprocessing\":{\"targets\":\"minmax\"}}", &sig,
         "preprocessing.targets"},
        {"{\"preprocessing\":{\"targets\":\"standard\"}}", &sig, "preprocessing.targets"},
        {"{\"preprocessing\":{\"inputs\":\"zscore\"}}", &sig, "preprocessing.inputs"},
        {"{\"preprocessing\":{\"outputs\":\"none\"}}", &sig, "preprocessing.outputs"},
        {"{\"feature_names\":[\"a\"]}", &sig, "feature_names"},
        {"{\"feature_names\":[\"a\",\"a\"]}", &sig, "feature_names[1]"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(meta_of(bad[i].json, bad[i].spec, &m, &e), -1);
        ck_assert_str_eq(e.field, bad[i].field);
        ck_assert_uint_eq(m.n_classes, 0); /* cleared */
    }
    /* defaults: the stored text is the architecture's, unchanged */
    ck_assert_int_eq(meta_of("{}", &sig, &m, &e), 0);
    text = model_meta_spec_json("{\"inputs\": 2}", &m);
    ck_assert_str_eq(text, "{\"inputs\": 2}");
    free(text);
    model_meta_clear(&m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("server_realdata");
    TCase *tc = tcase_create("realdata");
    tcase_add_test(tc, blob_round_trip);
    tcase_add_test(tc, damaged_trailers_refused);
    tcase_add_test(tc, json_round_trip_exact);
    tcase_add_test(tc, meta_against_the_output_layer);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
