/*
 * test_server_csv.c - samples as CSV: header, blank lines, CRLF, ragged
 * rows, non-numbers, NaN/Inf text, row limit; all or nothing.
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

int main(void)
{
    Suite *s = suite_create("server_csv");
    TCase *tc = tcase_create("csv");
    tcase_add_test(tc, header_blank_lines_and_crlf);
    tcase_add_test(tc, refuses_bad_rows_whole);
    tcase_add_test(tc, number_fields_are_strict);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
