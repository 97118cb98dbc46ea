/*
 * test_class_dataset.c - a class's shared datasets (domain/dataset_def.h):
 * JSON and CSV bodies into tables (classes sorted or given, one-hot
 * targets, header names), each refusal naming its field or line; the
 * seeded stratified split (reproducible, ceil(f n) rows, each class in
 * proportion, at least one training row); the statistics of each side
 * apart; accuracy and the regression metrics against hand values.
 */
#include <check.h>
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/dataset_def.h"
#include "util_trainfix.h" /* ck_near */

static int parse_json_text(const char *text, ds_table *t, ds_options *o, ds_error *e)
{
    cJSON *body = cJSON_Parse(text);
    ck_assert_msg(body != NULL, "test JSON does not parse: %s", text);
    int rc = ds_parse_json(body, 1000, 64, t, o, e);
    /* the names in o point into the body: keep what the test reads */
    static char name[DS_MAX_NAME + 1];
    if (rc == 0) {
        snprintf(name, sizeof name, "%s", o->name);
        o->name = name;
    }
    cJSON_Delete(body);
    return rc;
}

static void json_bad(const char *text, json_err_code code, const char *field)
{
    ds_table t;
    ds_options o;
    ds_error e;
    ck_assert_msg(parse_json_text(text, &t, &o, &e) == -1, "accepted %s", text);
    ck_assert_msg(e.e.code == code, "%s: code %d, want %d (%s)", text, e.e.code, code,
                  e.e.message);
    ck_assert_msg(strcmp(e.e.field, field) == 0, "%s: field '%s', want '%s' (%s)", text,
                  e.e.field, field, e.e.message);
    ck_assert(t.x == NULL && t.y == NULL && t.classes == NULL);
}

static int parse_csv_text(const char *text, size_t targets, int labels, const char *classes,
                          ds_table *t, ds_error *e)
{
    return ds_parse_csv(text, strlen(text), targets, labels, classes, 1000, 64, t, e);
}

START_TEST(json_labels_become_sorted_classes)
{
    ds_table t;
    ds_options o;
    ds_error e;
    ck_assert_int_eq(parse_json_text("{\"name\":\"iris\",\"inputs\":[[1,2],[3,4],[5,6]],"
                                     "\"labels\":[\"virginica\",\"setosa\",\"virginica\"],"
                                     "\"feature_names\":[\"petal\",\"sepal\"]}",
                                     &t, &o, &e),
                     0);
    ck_assert_str_eq(o.name, "iris");
    ck_assert(o.test_fraction == DS_TEST_FRACTION_DEFAULT && o.seed == 1 && !o.class_visible);
    ck_assert_uint_eq(t.n, 3);
    ck_assert_uint_eq(t.n_in, 2);
    ck_assert_uint_eq(t.n_classes, 2);
    ck_assert_str_eq(t.classes[0], "setosa");
    ck_assert_str_eq(t.classes[1], "virginica");
    ck_assert_uint_eq(t.n_out, 2);
    const double y[6] = {0, 1, 1, 0, 0, 1};
    for (int i = 0; i < 6; i++)
        ck_assert(t.y[i] == y[i]);
    ck_assert(t.label[0] == 1 && t.label[1] == 0 && t.label[2] == 1);
    ck_assert_str_eq(t.feature_names[1], "sepal");
    ck_assert(t.x[5] == 6);
    ds_table_free(&t);

    /* given classes keep their order; the pairs shape with labels */
    ck_assert_int_eq(parse_json_text("{\"name\":\"p\",\"classes\":[\"z\",\"a\",\"m\"],"
                                     "\"samples\":[{\"x\":[1],\"label\":\"a\"},"
                                     "{\"x\":[2],\"label\":\"z\"}],\"test_fraction\":0.5,"
                                     "\"seed\":9,\"visibility\":\"class\"}",
                                     &t, &o, &e),
                     0);
    ck_assert(o.test_fraction == 0.5 && o.seed == 9 && o.class_visible);
    ck_assert_uint_eq(t.n_classes, 3);
    ck_assert_str_eq(t.classes[0], "z");
    ck_assert(t.label[0] == 1 && t.label[1] == 0);
    ck_assert(t.y[0 * 3 + 1] == 1 && t.y[1 * 3 + 0] == 1);
    ds_table_free(&t);
}
END_TEST

START_TEST(json_numeric_targets)
{
    ds_table t;
    ds_options o;
    ds_error e;
    ck_assert_int_eq(parse_json_text("{\"name\":\"r\",\"samples\":[{\"x\":[1,2],\"y\":[0.5,1]},"
                                     "{\"x\":[3,4],\"y\":[-1,2]}],\"target_names\":[\"a\",\"b\"]}",
                                     &t, &o, &e),
                     0);
    ck_assert(t.n == 2 && t.n_in == 2 && t.n_out == 2 && t.n_classes == 0 && !t.label);
    ck_assert(t.y[2] == -1 && t.x[3] == 4);
    ck_assert_str_eq(t.target_names[1], "b");
    ds_table_free(&t);
}
END_TEST

START_TEST(json_refusals_name_the_field)
{
    json_bad("{\"inputs\":[[1]],\"targets\":[[1]]}", JSON_ERR_MISSING_FIELD, "name");
    json_bad("{\"name\":\"a\",\"inputs\":[[1]],\"targets\":[[1]],\"test_fraction\":0.6}",
             JSON_ERR_INVALID_FIELD, "test_fraction");
    json_bad("{\"name\":\"a\",\"inputs\":[[1]],\"targets\":[[1]],\"seed\":-1}",
             JSON_ERR_INVALID_FIELD, "seed");
    json_bad("{\"name\":\"a\",\"inputs\":[[1]],\"targets\":[[1]],\"visibility\":\"all\"}",
             JSON_ERR_INVALID_FIELD, "visibility");
    json_bad("{\"name\":\"a\",\"inputs\":[[1]],\"targets\":[[1]],\"colour\":1}",
             JSON_ERR_UNKNOWN_FIELD, "colour");
    json_bad("{\"name\":\"a\"}", JSON_ERR_MISSING_FIELD, "samples");
    json_bad("{\"name\":\"a\",\"inputs\":[[1]]}", JSON_ERR_MISSING_FIELD, "targets");
    json_bad("{\"name\":\"a\",\"inputs\":[[1],[2]],\"targets\":[[1]]}",
             JSON_ERR_INVALID_DIMENSIONS, "targets");
    json_bad("{\"name\":\"a\",\"inputs\":[[1],[2,3]],\"targets\":[[1],[2]]}",
             JSON_ERR_INVALID_DIMENSIONS, "inputs[1]");
    json_bad("{\"name\":\"a\",\"inputs\":[[1],[2]],\"labels\":[\"x\",\"x\"]}",
             JSON_ERR_INVALID_FIELD, "classes");
    json_bad("{\"name\":\"a\",\"inputs\":[[1],[2]],\"labels\":[\"x\",\"\"]}",
             JSON_ERR_INVALID_FIELD, "labels[1]");
    json_bad("{\"name\":\"a\",\"classes\":[\"x\",\"y\"],\"inputs\":[[1],[2]],"
             "\"labels\":[\"x\",\"w\"]}",
             JSON_ERR_INVALID_FIELD, "labels[1]");
    json_bad("{\"name\":\"a\",\"classes\":[\"x\",\"x\"],\"inputs\":[[1],[2]],"
             "\"labels\":[\"x\",\"x\"]}",
             JSON_ERR_INVALID_FIELD, "classes[1]");
    json_bad("{\"name\":\"a\",\"classes\":[\"x\",\"y\"],\"inputs\":[[1]],\"targets\":[[1]]}",
             JSON_ERR_INVALID_FIELD, "classes");
    json_bad("{\"name\":\"a\",\"samples\":[{\"x\":[1],\"y\":[1]},{\"x\":[1],\"label\":\"q\"}]}",
             JSON_ERR_INVALID_FIELD, "samples[1]");
    json_bad("{\"name\":\"a\",\"samples\":[{\"x\":[1],\"y\":[1]},{\"x\":[1]}]}",
             JSON_ERR_MISSING_FIELD, "samples[1].y");
    json_bad("{\"name\":\"a\",\"inputs\":[[1]],\"targets\":[[1]],\"feature_names\":[\"a\",\"b\"]}",
             JSON_ERR_INVALID_DIMENSIONS, "feature_names");
    json_bad("{\"name\":\"a\",\"inputs\":[[1]],\"targets\":[[1]],\"samples\":[]}",
             JSON_ERR_INVALID_FIELD, "samples");
}
END_TEST

START_TEST(too_many_rows_is_413)
{
    ds_table t;
    ds_options o;
    ds_error e;
    cJSON *body = cJSON_Parse("{\"name\":\"a\",\"inputs\":[[1],[2],[3]],\"targets\":[[1],[2],[3]]}");
    ck_assert_int_eq(ds_parse_json(body, 2, 64, &t, &o, &e), -1);
    ck_assert_int_eq(e.e.code, JSON_ERR_TOO_MANY);
    cJSON_Delete(body);
    ck_assert_int_eq(ds_parse_csv("1,2\n3,4\n5,6\n", 12, 1, 0, NULL, 2, 64, &t, &e), -1);
    ck_assert_int_eq(e.e.code, JSON_ERR_TOO_MANY);
}
END_TEST

START_TEST(csv_with_header_and_labels)
{
    ds_table t;
    ds_error e;
    const char *text = "sepal length, \"petal, width\" ,species\r\n"
                       "5.1,3.5,setosa\r\n\r\n"
                       "6.2,2.9,\"versi,color\"\r\n"
                       "4.9,3.0,setosa\r\n";
    ck_assert_int_eq(parse_csv_text(text, 1, 0, NULL, &t, &e), 0);
    ck_assert(t.n == 3 && t.n_in == 2 && t.n_classes == 2 && t.n_out == 2);
    ck_assert_str_eq(t.feature_names[0], "sepal length");
    ck_assert_str_eq(t.feature_names[1], "petal, width");
    ck_assert_str_eq(t.classes[0], "setosa");
    ck_assert_str_eq(t.classes[1], "versi,color");
    ck_assert(t.label[1] == 1 && t.label[2] == 0 && t.x[2] == 6.2);
    ds_table_free(&t);

    /* numeric labels only as classes: given, they are names */
    ck_assert_int_eq(parse_csv_text("1,2,0\n3,4,1\n", 1, 0, "1,0", &t, &e), 0);
    ck_assert(t.n_classes == 2 && t.label[0] == 1 && t.label[1] == 0);
    ds_table_free(&t);

    /* two numeric targets, no header */
    ck_assert_int_eq(parse_csv_text("1,2,3,4\n5,6,7,8\n", 2, 0, NULL, &t, &e), 0);
    ck_assert(t.n == 2 && t.n_in == 2 && t.n_out == 2 && !t.n_classes && !t.feature_names);
    ck_assert(t.y[3] == 8);
    ds_table_free(&t);
}
END_TEST

static void csv_bad(const char *text, size_t targets, const char *classes, int csv,
                    const char *field)
{
    ds_table t;
    ds_error e;
    ck_assert_msg(parse_csv_text(text, targets, 0, classes, &t, &e) == -1, "accepted %s", text);
    ck_assert_msg(e.csv == csv, "%s: csv %d (%s)", text, e.csv, e.e.message);
    ck_assert_msg(strcmp(e.e.field, field) == 0, "%s: field '%s', want '%s' (%s)", text,
                  e.e.field, field, e.e.message);
    ck_assert(t.x == NULL && t.classes == NULL);
}

START_TEST(csv_refusals_name_the_line)
{
    csv_bad("", 1, NULL, 1, "");
    csv_bad("a,b\n", 1, NULL, 1, "line 1");
    csv_bad("1,2\n3,4,5\n", 1, NULL, 1, "line 2");
    csv_bad("1,2\n3,nan\n", 1, NULL, 1, "line 2");
    csv_bad("1,2,x\n3,4,\"y\n", 1, NULL, 1, "line 2");
    csv_bad("1\n", 1, NULL, 1, "line 1");
    csv_bad("1,2,3\n", 3, NULL, 1, "line 1");
    csv_bad("1,2,x\n1,2,x\n", 1, NULL, 0, "classes");      /* one class */
    csv_bad("1,2,x\n1,2,y\n", 1, "x,z", 0, "row 2");        /* not a given class */
    csv_bad("1,2,x\n1,2,y\n", 1, "x,x", 0, "classes");
    csv_bad("1,2,\xff\n1,2,y\n", 1, NULL, 1, "line 1");     /* not UTF-8 */
}
END_TEST

/* 30 rows: class 0 x 20, class 1 x 7, class 2 x 3, interleaved. */
static void three_classes(ds_table *t)
{
    ds_error e;
    char text[2048] = "";
    for (int i = 0; i < 30; i++) {
        const char *c = i % 10 < 2 ? "b" : i % 10 == 5 ? "c" : "a";
        if (i == 29)
            c = "b";
        char line[64];
        snprintf(line, sizeof line, "%d,%d,%s\n", i, i * i, c);
        strcat(text, line);
    }
    ck_assert_int_eq(parse_csv_text(text, 1, 0, NULL, t, &e), 0);
}

START_TEST(split_is_seeded_and_stratified)
{
    ds_table t;
    ds_error e;
    three_classes(&t);
    size_t count[3] = {0, 0, 0};
    for (size_t i = 0; i < t.n; i++)
        count[t.label[i]]++;
    ck_assert(count[0] + count[1] + count[2] == 30);
    unsigned char a[30], b[30], c[30];
    size_t na, nb, nc;
    ck_assert_int_eq(ds_split(&t, 0.25, 7, a, &na, &e), 0);
    ck_assert_int_eq(ds_split(&t, 0.25, 7, b, &nb, &e), 0);
    ck_assert_int_eq(ds_split(&t, 0.25, 8, c, &nc, &e), 0);
    ck_assert_uint_eq(na, 8); /* ceil(0.25 * 30), scikit-learn's count */
    ck_assert(nb == na && memcmp(a, b, 30) == 0);
    ck_assert_uint_eq(nc, 8);
    ck_assert_msg(memcmp(a, c, 30) != 0, "another seed picks other rows");
    size_t per[3] = {0, 0, 0}, total = 0;
    for (size_t i = 0; i < t.n; i++) {
        per[t.label[i]] += a[i];
        total += a[i];
    }
    ck_assert_uint_eq(total, 8);
    for (int k = 0; k < 3; k++) {
        double want = (double)count[k] * 8.0 / 30.0;
        ck_assert_msg(fabs((double)per[k] - want) < 1.0, "class %d: %zu test rows for %.3f",
                      k, per[k], want);
    }
    ck_assert_int_eq(ds_split(&t, 0, 7, a, &na, &e), 0);
    ck_assert_uint_eq(na, 0);
    ds_table_free(&t);

    /* one row, half of it for testing: nothing left to train on */
    ck_assert_int_eq(parse_csv_text("1,2\n", 1, 0, NULL, &t, &e), 0);
    ck_assert_int_eq(ds_split(&t, 0.5, 1, a, &na, &e), -1);
    ck_assert_str_eq(e.e.field, "test_fraction");
    ds_table_free(&t);
}
END_TEST

START_TEST(take_and_describe_keep_sides_apart)
{
    ds_table t;
    ds_error e;
    /* targets 1, 2, 3, 4 and the test row's 1000 */
    ck_assert_int_eq(parse_csv_text("x,y\n1,1\n2,2\n3,3\n4,4\n5,1000\n", 1, 0, NULL, &t, &e), 0);
    unsigned char is_test[5] = {0, 0, 0, 0, 1};
    double *x, *y, *y1;
    size_t n;
    ck_assert_int_eq(ds_take(&t, is_test, 1, &x, &y, &y1, &n), 0);
    ck_assert(n == 1 && x[0] == 5 && y[0] == 1000 && y1 == NULL);
    free(x);
    free(y);
    ck_assert_int_eq(ds_take(&t, is_test, 0, &x, &y, &y1, &n), 0);
    ck_assert(n == 4 && x[3] == 4 && y[3] == 4);
    free(x);
    free(y);
    sbuf pub, own;
    sbuf_init(&pub);
    sbuf_init(&own);
    ds_describe(&t, is_test, &pub, &own);
    sbuf_putc(&pub, '\0');
    sbuf_putc(&own, '\0');
    char *doc = malloc(pub.len + 3);
    snprintf(doc, pub.len + 3, "{%s}", pub.data);
    cJSON *j = cJSON_Parse(doc);
    ck_assert_msg(j != NULL, "not JSON: %s", doc);
    ck_assert_int_eq(cJSON_GetObjectItem(j, "train_rows")->valueint, 4);
    ck_assert_int_eq(cJSON_GetObjectItem(j, "test_rows")->valueint, 1);
    const cJSON *ty = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "targets"), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(ty, "name")->valuestring, "y");
    ck_near(cJSON_GetObjectItem(ty, "mean")->valuedouble, 2.5, 1e-15, "train mean");
    ck_near(cJSON_GetObjectItem(ty, "std")->valuedouble, sqrt(1.25), 1e-15, "train std");
    ck_assert(cJSON_GetObjectItem(ty, "max")->valuedouble == 4);
    ck_assert_msg(strstr(pub.data, "1000") == NULL, "the test target shows: %s", pub.data);
    ck_assert_msg(strstr(own.data, "\"max\":1000") != NULL, "owner's part: %s", own.data);
    cJSON_Delete(j);
    free(doc);
    sbuf_free(&pub);
    sbuf_free(&own);
    ds_table_free(&t);

    /* two classes also as one column: the second class's probability */
    ck_assert_int_eq(parse_csv_text("1,no\n2,yes\n3,no\n", 1, 0, NULL, &t, &e), 0);
    unsigned char none[3] = {0, 0, 0};
    ck_assert_int_eq(ds_take(&t, none, 0, &x, &y, &y1, &n), 0);
    ck_assert(n == 3 && y1 && y1[0] == 0 && y1[1] == 1 && y1[2] == 0);
    ck_assert(y[0] == 1 && y[1] == 0 && y[2] == 0 && y[3] == 1);
    free(x);
    free(y);
    free(y1);
    ds_table_free(&t);
}
END_TEST

START_TEST(scores_against_hand_values)
{
    ds_score s;
    /* classes: argmax rows, ties to the first; one column: >= 0.5 */
    const double out[8] = {0.2, 0.8, 0.5, 0.5, 0.9, 0.1, 0.3, 0.7};
    const double tgt[8] = {0, 1, 0, 1, 1, 0, 1, 0};
    ds_score_rows(out, tgt, 4, 2, 2, &s);
    ck_near(s.accuracy, 0.5, 0, "accuracy"); /* rows 0 and 2 right */
    const double o1[3] = {0.5, 0.49, 0.9}, t1[3] = {1, 1, 1};
    ds_score_rows(o1, t1, 3, 1, 2, &s);
    ck_near(s.accuracy, 2.0 / 3.0, 1e-15, "one column");
    /* regression, two outputs: mean of the per-output metrics */
    const double ro[6] = {1, 10, 2, 10, 4, 10}, rt[6] = {1, 10, 3, 10, 2, 10};
    ds_score_rows(ro, rt, 3, 2, 0, &s);
    /* output 0: targets 1, 3, 2 (mean 2, SS_tot 2), errors 0, 1, -2 (SS_res 5) */
    double mse0 = 5.0 / 3.0, r2_first = 1.0 - 5.0 / 2.0;
    ck_near(s.mse, mse0 / 2.0, 1e-15, "mse");
    ck_near(s.rmse, sqrt(mse0) / 2.0, 1e-15, "rmse");
    ck_near(s.mae, (3.0 / 3.0) / 2.0, 1e-15, "mae");
    /* output 1 is constant and predicted exactly: r2 1 (scikit-learn) */
    ck_near(s.r2, (r2_first + 1.0) / 2.0, 1e-15, "r2");
}
END_TEST

START_TEST(options_from_the_query)
{
    ds_options o;
    ds_error e;
    ck_assert_int_eq(ds_options_parse("a", "0.5", "123", "class", &o, &e), 0);
    ck_assert(o.test_fraction == 0.5 && o.seed == 123 && o.class_visible);
    ck_assert_int_eq(ds_options_parse("a", NULL, NULL, NULL, &o, &e), 0);
    ck_assert(o.test_fraction == DS_TEST_FRACTION_DEFAULT && o.seed == 1 && !o.class_visible);
    ck_assert_int_eq(ds_options_parse(NULL, NULL, NULL, NULL, &o, &e), -1);
    ck_assert_str_eq(e.e.field, "name");
    ck_assert_int_eq(ds_options_parse("a", "0.51", NULL, NULL, &o, &e), -1);
    ck_assert_str_eq(e.e.field, "test_fraction");
    ck_assert_int_eq(ds_options_parse("a", "", NULL, NULL, &o, &e), -1);
    ck_assert_int_eq(ds_options_parse("a", NULL, "-3", NULL, &o, &e), -1);
    ck_assert_str_eq(e.e.field, "seed");
    ck_assert_int_eq(ds_options_parse("a", NULL, "9007199254740993", NULL, &o, &e), -1);
    ck_assert_int_eq(ds_options_parse("a", NULL, NULL, "public", &o, &e), -1);
    ck_assert_str_eq(e.e.field, "visibility");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("class_dataset");
    TCase *tc = tcase_create("dataset");
    tcase_add_test(tc, json_labels_become_sorted_classes);
    tcase_add_test(tc, json_numeric_targets);
    tcase_add_test(tc, json_refusals_name_the_field);
    tcase_add_test(tc, too_many_rows_is_413);
    tcase_add_test(tc, csv_with_header_and_labels);
    tcase_add_test(tc, csv_refusals_name_the_line);
    tcase_add_test(tc, split_is_seeded_and_stratified);
    tcase_add_test(tc, take_and_describe_keep_sides_apart);
    tcase_add_test(tc, scores_against_hand_values);
    tcase_add_test(tc, options_from_the_query);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
