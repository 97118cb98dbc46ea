/*
 * test_server_format.c - numbers print so that they read back to the same
 * double, shortest form first; strings escape; non-finite never printed.
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "util/sbuf.h"

START_TEST(round_trips_every_kind_of_double)
{
    const double fixed[] = {0.0, -0.0, 1.0, -1.0, 0.1, 1.0 / 3.0, 2.0 / 3.0, 1e-300,
                            DBL_MIN, DBL_MAX, DBL_TRUE_MIN, 9007199254740993.0,
                            123456789012345678.0, 0.30000000000000004, 5e-324, -2.5e-8};
    char out[32];
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        size_t n = fmt_double(out, fixed[i]);
        ck_assert_uint_eq(n, strlen(out));
        double back = strtod(out, NULL);
        ck_assert_msg(memcmp(&back, &fixed[i], sizeof back) == 0, "%.17g -> %s", fixed[i], out);
    }
    mlp_rng rng;
    mlp_rng_seed(&rng, 7);
    for (int i = 0; i < 100000; i++) {
        uint64_t bits = mlp_rng_next(&rng);
        double v;
        memcpy(&v, &bits, sizeof v);
        if (!isfinite(v))
            continue;
        fmt_double(out, v);
        double back = strtod(out, NULL);
        ck_assert_msg(memcmp(&back, &v, sizeof v) == 0, "%.17g -> %s", v, out);
    }
}
END_TEST

START_TEST(prints_the_shortest_form)
{
    char out[32];
    fmt_double(out, 0.1);
    ck_assert_str_eq(out, "0.1");
    fmt_double(out, 3.0);
    ck_assert_str_eq(out, "3");
    fmt_double(out, -0.0);
    ck_assert_str_eq(out, "-0");
    fmt_double(out, 0.30000000000000004);
    ck_assert_str_eq(out, "0.30000000000000004");
}
END_TEST

/* The plain reference: the first of %.15g, %.16g, %.17g that reads back. */
static size_t reference(char out[32], double v)
{
    for (int prec = 15; prec <= 17; prec++) {
        int n = snprintf(out, 32, "%.*g", prec, v);
        if (prec == 17 || strtod(out, NULL) == v)
            return (size_t)n;
    }
    return 0;
}

START_TEST(matches_printf_layout)
{
    const double v[] = {1e-05, 123456.789, 1e21, 1.5e300, 0.0001, 0.00012345678901234568,
                        1152921504606846976.0, -9.999999999999999e22, 99999999999999999.0,
                        0.1 + 0.2, 1e-320, -1.7976931348623157e308, 5e-5, 123456789012345.6};
    char mine[32], ref[32];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        fmt_double(mine, v[i]);
        reference(ref, v[i]);
        ck_assert_msg(strcmp(mine, ref) == 0, "%.17g: %s vs printf %s", v[i], mine, ref);
    }
    /* random values of every magnitude: never longer than printf's, and
     * the same text almost always (rounding a rounded string may differ) */
    mlp_rng rng;
    mlp_rng_seed(&rng, 11);
    int differ = 0;
    for (int i = 0; i < 200000; i++) {
        double x = (mlp_rng_uniform(&rng) - 0.5) * pow(10, (int)(mlp_rng_uniform(&rng) * 80) - 40);
        if (i % 2)
            x = round(x * 1000) / 1000;
        fmt_double(mine, x);
        reference(ref, x);
        ck_assert(strtod(mine, NULL) == x);
        ck_assert_uint_le(strlen(mine), strlen(ref));
        if (x == floor(x) && fabs(x) < 9007199254740992.0)
            continue; /* integers print as integers, printf may use e+15 */
        differ += strcmp(mine, ref) != 0;
    }
    ck_assert_int_lt(differ, 5);
}
END_TEST

START_TEST(json_writers)
{
    sbuf b;
    sbuf_init(&b);
    const double v[] = {1.5, NAN, INFINITY, -2};
    sbuf_json_matrix(&b, v, 2, 2);
    ck_assert_str_eq(b.data, "[[1.5,null],[null,-2]]");
    sbuf_reset(&b);
    sbuf_json_string(&b, "a\"b\\c\n\x01<");
    ck_assert_str_eq(b.data, "\"a\\\"b\\\\c\\n\\u0001<\"");
    sbuf_free(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("server_format");
    TCase *tc = tcase_create("numbers");
    /* 300000 random round trips: 2 s alone, past check's default 4 s
     * when the machine is loaded (it timed out so in make unit). */
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, round_trips_every_kind_of_double);
    tcase_add_test(tc, prints_the_shortest_form);
    tcase_add_test(tc, matches_printf_layout);
    tcase_add_test(tc, json_writers);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
