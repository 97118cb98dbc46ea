/*
 * test_server_csv.c - samples as CSV: header, blank lines, CRLF, ragged
 * rows, non-numbers, NaN/Inf text, row limit; all or nothing. csv_read:
 * RFC 4180 quotes ("" escapes, commas and line breaks inside), header
 * names, class labels in the last column, and the errors naming line and
 * column.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/csv.h"

static int run(const char *text, size_t n_in, size_t n_out, size_t max, double **x,
               double **y, size_t *rows, csv_error *err)
{
    size_t len = strlen(text);
    char *buf = malloc(len + 1);
    memcpy(buf, text, len); /* parsed with its length, no NUL needed */
    int rc = csv_parse(buf, len, n_in, n_out, max, x, y, rows, err);
    free(buf);
    return rc;
}

START_TEST(header_blank_lines_and_crlf)
{
    double *x, *y;
    size_t n;
    csv_error err;
    ck_assert_int_eq(run("x1, x2 ,d\r\n\r\n0,1,2.5\r\n  \n-1e-3,  4 ,5\n", 2, 1, 10, &x, &y,
                         &n, &err), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert(x[0] == 0 && x[1] == 1 && y[0] == 2.5);
    ck_assert(x[2] == -1e-3 && x[3] == 4 && y[1] == 5);
    free(x);
    free(y);
    /* no header, no final newline */
    ck_assert_int_eq(run("1,2,3", 2, 1, 10, &x, &y, &n, &err), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert(y[0] == 3);
    free(x);
    free(y);
}
END_TEST

static void expect_error(const char *text, size_t line)
{
    double *x = (double *)1, *y = (double *)1;
    size_t n = 7;
    csv_error err;
    ck_assert_msg(run(text, 2, 1, 3, &x, &y, &n, &err) == -1, "accepted: %s", text);
    ck_assert_ptr_null(x);
    ck_assert_ptr_null(y);
    ck_assert_uint_eq(n, 0);
    ck_assert_uint_eq(err.line, line);
    ck_assert(err.message[0] != '\0');
}

START_TEST(refuses_bad_rows_whole)
{
    expect_error("1,2,3\n4,5\n", 2);          /* ragged */
    expect_error("1,2,3\n4,5,6,7\n", 2);      /* ragged */
    expect_error("1,2,3\n4,abc,6\n", 2);      /* not a number */
    expect_error("1,nan,3\n", 1);             /* NaN text */
    expect_error("1,2,inf\n", 1);
    expect_error("1,2,1e999\n", 1);           /* overflows */
    expect_error("0x10,2,3\n", 1);            /* hex */
    expect_error("1,,3\n", 1);                /* empty field */
    expect_error("a,b,c\nd,e,f\n", 2);        /* only the first row may be a header */
    expect_error("", 0);                      /* no rows */
    expect_error("x,y,d\n\n", 0);             /* header only */
    expect_error("1,2,3\n1,2,3\n1,2,3\n1,2,3\n", 4); /* over max_rows = 3 */
}
END_TEST

START_TEST(number_fields_are_strict)
{
    double v;
    ck_assert_int_eq(csv_number(" 1.5e2 ", 7, &v), 0);
    ck_assert(v == 150);
    ck_assert_int_eq(csv_number("-0", 2, &v), 0);
    ck_assert_int_eq(csv_number("1.5x", 4, &v), -1);
    ck_assert_int_eq(csv_number("NaN", 3, &v), -1);
    ck_assert_int_eq(csv_number("-", 1, &v), -1);
    ck_assert_int_eq(csv_number("1e", 2, &v), -1);
}
END_TEST

static int read_text(const char *text, size_t len, const csv_opts *o, csv_table *t,
                     csv_error *err)
{
    char *buf = malloc(len + 1);
    memcpy(buf, text, len);
    int rc = csv_read(buf, len, o, t, err);
    free(buf);
    return rc;
}

START_TEST(quoted_fields_and_header_names)
{
    const char *text = "\"radius, mean\",\"say \"\"hi\"\"\" , area\r\n"
                       "\"1.5\",2,3\r\n"
                       "\n"
                       "4 , \"5e1\",\t6\n";
    csv_opts o = {.n_in = 2, .n_out = 1, .max_rows = 10};
    csv_table t;
    csv_error err;
    ck_assert_int_eq(read_text(text, strlen(text), &o, &t, &err), 0);
    ck_assert_uint_eq(t.rows, 2);
    ck_assert_uint_eq(t.n_names, 3);
    ck_assert_str_eq(t.names[0], "radius, mean");
    ck_assert_str_eq(t.names[1], "say \"hi\"");
    ck_assert_str_eq(t.names[2], "area");
    ck_assert(t.x[0] == 1.5 && t.x[1] == 2 && t.y[0] == 3);
    ck_assert(t.x[2] == 4 && t.x[3] == 50 && t.y[1] == 6);
    ck_assert_ptr_null(t.labels);
    csv_table_free(&t);
    ck_assert_ptr_null(t.x);
    csv_table_free(&t); /* twice is fine */
    csv_table_free(NULL);
    /* no header: names NULL; CSV_HEADER_NO refuses a text first row */
    o.header = CSV_HEADER_NO;
    ck_assert_int_eq(read_text("1,2,3\n", 6, &o, &t, &err), 0);
    ck_assert_ptr_null(t.names);
    ck_assert_uint_eq(t.n_names, 0);
    csv_table_free(&t);
    ck_assert_int_eq(read_text("a,b,c\n1,2,3\n", 12, &o, &t, &err), -1);
    ck_assert_uint_eq(err.line, 1);
    ck_assert_uint_eq(err.column, 1);
    /* CSV_HEADER_YES takes a numeric first row as names */
    o.header = CSV_HEADER_YES;
    ck_assert_int_eq(read_text("1,2,3\n4,5,6\n", 12, &o, &t, &err), 0);
    ck_assert_uint_eq(t.rows, 1);
    ck_assert_str_eq(t.names[2], "3");
    ck_assert(t.y[0] == 6);
    csv_table_free(&t);
}
END_TEST

START_TEST(labels_in_the_last_column)
{
    const char *text = "sepal length,sepal width,species\n"
                       "5.1,3.5,setosa\n"
                       "7.0,3.2,\"versi,\ncolor\"\n"
                       "6.3,3.3,  virginica  \n"
                       "6.4,3.2,\"2\"\n";
    csv_opts o = {.n_in = 2, .n_out = 7, .labels = 1, .max_rows = 10};
    csv_table t;
    csv_error err;
    ck_assert_int_eq(read_text(text, strlen(text), &o, &t, &err), 0);
    ck_assert_uint_eq(t.rows, 4);
    ck_assert_uint_eq(t.n_out, 0);
    ck_assert_ptr_null(t.y);
    ck_assert_str_eq(t.names[2], "species");
    ck_assert_str_eq(t.labels[0], "setosa");
    ck_assert_str_eq(t.labels[1], "versi,\ncolor");
    ck_assert_str_eq(t.labels[2], "virginica");
    ck_assert_str_eq(t.labels[3], "2");
    ck_assert(t.x[2] == 7.0 && t.x[7] == 3.2);
    csv_table_free(&t);
    /* errors name the line where the record starts, and the column */
    static const struct {
        const char *text;
        size_t line, column;
    } bad[] = {
        {"a,b,c\n1,2,\n", 2, 3},                 /* empty label */
        {"1,2,x\n\"3\n4\",5,y\n", 2, 1},          /* quoted number with a line break */
        {"1,2,x\n3,4,\"open\n", 2, 3},             /* quote never closed */
        {"1,2,\"x\"y\n", 1, 3},                    /* text after the closing quote */
        {"1,2,x\"y\n", 1, 3},                       /* quote in an unquoted field */
        {"1,2,x\n\"a\nb\",2,y,z\n", 2, 0},          /* four fields */
        {"1,2,\xff\xfe\n", 1, 3},                  /* not UTF-8 */
        {"1,2,\xc0\xaf\n", 1, 3},                  /* overlong */
        {"x,\"y\xe2\x82\",z\n1,2,a\n", 1, 2},       /* truncated UTF-8 in a name */
        {"1,nan,a\n", 1, 2},
        {"a,b\n1,2,a\n", 1, 0},                   /* header of another width */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t.rows = 99;
        ck_assert_msg(read_text(bad[i].text, strlen(bad[i].text), &o, &t, &err) == -1,
                      "accepted case %zu", i);
        ck_assert_ptr_null(t.x);
        ck_assert_ptr_null(t.labels);
        ck_assert_uint_eq(t.rows, 0);
        ck_assert_msg(err.line == bad[i].line && err.column == bad[i].column,
                      "case %zu: line %zu column %zu (%s)", i, err.line, err.column, err.message);
        ck_assert(err.message[0] != '\0');
    }
    /* a NUL byte in a label, and a label over CSV_MAX_NAME bytes */
    ck_assert_int_eq(read_text("1,2,a\0b\n", 8, &o, &t, &err), -1);
    ck_assert_uint_eq(err.column, 3);
    char long_row[CSV_MAX_NAME + 16];
    memcpy(long_row, "1,2,", 4);
    memset(long_row + 4, 'q', CSV_MAX_NAME + 1);
    ck_assert_int_eq(read_text(long_row, 4 + CSV_MAX_NAME + 1, &o, &t, &err), -1);
    ck_assert_int_eq(read_text(long_row, 4 + CSV_MAX_NAME, &o, &t, &err), 0);
    ck_assert_uint_eq(strlen(t.labels[0]), CSV_MAX_NAME);
    csv_table_free(&t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("server_csv");
    TCase *tc = tcase_create("csv");
    tcase_add_test(tc, header_blank_lines_and_crlf);
    tcase_add_test(tc, refuses_bad_rows_whole);
    tcase_add_test(tc, number_fields_are_strict);
    tcase_add_test(tc, quoted_fields_and_header_names);
    tcase_add_test(tc, labels_in_the_last_column);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
