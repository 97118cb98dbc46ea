/*
 * test_server_datasets.c - the built-in data sets: parameters checked one
 * by one, shapes and geometry of each set, determinism from the seed.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "domain/datasets.h"

#define MAX_N 1000

static dataset_params parse_ok(const char *name, const char *n, const char *noise,
                               const char *seed, size_t n_out)
{
    dataset_params p;
    dataset_error err;
    int rc = dataset_params_parse(name, n, noise, seed, MAX_N, 2, n_out, &p, &err);
    ck_assert_msg(rc == 0, "refused %s n=%s noise=%s seed=%s: %s", name, n, noise, seed,
                  err.message);
    return p;
}

static void parse_bad(const char *name, const char *n, const char *noise, const char *seed,
                      size_t n_in, size_t n_out, const char *field)
{
    dataset_params p;
    dataset_error err = {NULL, ""};
    int rc = dataset_params_parse(name, n, noise, seed, MAX_N, n_in, n_out, &p, &err);
    ck_assert_msg(rc == -1, "accepted %s n=%s noise=%s seed=%s", name, n, noise, seed);
    ck_assert_str_eq(err.field, field);
    ck_assert(strlen(err.message) > 10);
}

START_TEST(parameters_are_checked)
{
    dataset_params p = parse_ok("spiral", "400", "0.1", "7", 1);
    ck_assert_int_eq(p.kind, DATASET_SPIRAL);
    ck_assert_uint_eq(p.n, 400);
    ck_assert(p.noise == 0.1);
    ck_assert_uint_eq(p.seed, 7);
    p = parse_ok("xor", NULL, NULL, NULL, 2); /* defaults */
    ck_assert_uint_eq(p.n, DATASET_N_DEFAULT);
    ck_assert(p.noise == 0);
    ck_assert_uint_eq(p.seed, 1);
    p = parse_ok("sine", "1000", "10", "9007199254740992", 1); /* the bounds */
    ck_assert_uint_eq(p.n, 1000);
    ck_assert_uint_eq(p.seed, UINT64_C(1) << 53);

    parse_bad(NULL, NULL, NULL, NULL, 2, 1, "generate");
    parse_bad("", NULL, NULL, NULL, 2, 1, "generate");
    parse_bad("XOR", NULL, NULL, NULL, 2, 1, "generate");
    parse_bad("moons", NULL, NULL, NULL, 2, 1, "generate");
    static const char *const bad_n[] = {"0", "1001", "-1", "+5", "1e3", "10.0", " 5", "5 ",
                                        "", "99999999999999999999", "0x10"};
    for (size_t i = 0; i < sizeof bad_n / sizeof bad_n[0]; i++)
        parse_bad("xor", bad_n[i], NULL, NULL, 2, 1, "n");
    static const char *const bad_noise[] = {"nan", "NaN", "inf", "-inf", "1e999", "-0.1",
                                            "10.5", "0x1p-3", "", " 0.1", "0.1x", "abc"};
    for (size_t i = 0; i < sizeof bad_noise / sizeof bad_noise[0]; i++)
        parse_bad("xor", NULL, bad_noise[i], NULL, 2, 1, "noise");
    static const char *const bad_seed[] = {"-1", "9007199254740993", "1.5", "", "seed"};
    for (size_t i = 0; i < sizeof bad_seed / sizeof bad_seed[0]; i++)
        parse_bad("xor", NULL, NULL, bad_seed[i], 2, 1, "seed");
}
END_TEST

START_TEST(model_shape_is_checked)
{
    parse_bad("xor", NULL, NULL, NULL, 3, 1, "generate");   /* 3 inputs */
    parse_bad("sine", NULL, NULL, NULL, 1, 1, "generate");  /* 1 input */
    parse_bad("sine", NULL, NULL, NULL, 2, 2, "generate");  /* regression: 1 output */
    parse_bad("circle", NULL, NULL, NULL, 2, 3, "generate"); /* two classes */
    parse_ok("circle", NULL, NULL, NULL, 2);                 /* one-hot */
    dataset_params p;
    dataset_error err;
    ck_assert_int_eq(dataset_params_parse("xor", NULL, NULL, NULL, 0, 2, 1, &p, &err), -1);
    ck_assert_str_eq(err.field, "n");
}
END_TEST

typedef struct gen {
    double *x, *y;
} gen;

static gen run(const char *name, const char *n, const char *noise, const char *seed,
               size_t n_out)
{
    dataset_params p = parse_ok(name, n, noise, seed, n_out);
    gen g = {malloc(p.n * 2 * sizeof(double)), malloc(p.n * n_out * sizeof(double))};
    ck_assert(g.x && g.y);
    dataset_generate(&p, n_out, g.x, g.y);
    for (size_t i = 0; i < p.n * 2; i++)
        ck_assert(isfinite(g.x[i]));
    for (size_t i = 0; i < p.n * n_out; i++)
        ck_assert(isfinite(g.y[i]));
    return g;
}

static void gen_free(gen g)
{
    free(g.x);
    free(g.y);
}

START_TEST(same_seed_same_bits)
{
    static const char *const names[] = {"xor", "circle", "gaussians", "spiral", "sine"};
    for (size_t k = 0; k < 5; k++) {
        gen a = run(names[k], "300", "0.2", "11", 1);
        gen b = run(names[k], "300", "0.2", "11", 1);
        gen c = run(names[k], "300", "0.2", "12", 1);
        ck_assert_msg(memcmp(a.x, b.x, 600 * sizeof(double)) == 0, "%s", names[k]);
        ck_assert(memcmp(a.y, b.y, 300 * sizeof(double)) == 0);
        ck_assert_msg(memcmp(a.x, c.x, 600 * sizeof(double)) != 0, "%s ignores the seed",
                      names[k]);
        gen_free(a);
        gen_free(b);
        gen_free(c);
    }
}
END_TEST

START_TEST(classes_alternate_and_match_the_geometry)
{
    gen g = run("xor", "400", "0", "3", 1);
    for (size_t i = 0; i < 400; i++) {
        double x1 = g.x[2 * i], x2 = g.x[2 * i + 1];
        ck_assert(g.y[i] == (i % 2 == 0 ? 1.0 : 0.0));
        ck_assert((x1 * x2 < 0) == (g.y[i] == 1.0)); /* signs differ: class 1 */
        ck_assert(fabs(x1) <= 1 && fabs(x2) <= 1);
    }
    gen_free(g);
    g = run("circle", "400", "0", "3", 2);
    for (size_t i = 0; i < 400; i++) {
        double r = hypot(g.x[2 * i], g.x[2 * i + 1]);
        int c = i % 2 == 0;
        ck_assert(c ? r <= 0.5 : (r >= 0.7 - 1e-12 && r <= 1 + 1e-12));
        ck_assert(g.y[2 * i] == (c ? 0.0 : 1.0) && g.y[2 * i + 1] == (c ? 1.0 : 0.0));
    }
    gen_free(g);
    g = run("gaussians", "1000", "0", "3", 1);
    double m1 = 0, m0 = 0;
    for (size_t i = 0; i < 1000; i++)
        *(i % 2 == 0 ? &m1 : &m0) += g.x[2 * i] + g.x[2 * i + 1];
    ck_assert(fabs(m1 / 1000 - 0.5) < 0.05 && fabs(m0 / 1000 + 0.5) < 0.05);
    gen_free(g);
    g = run("spiral", "400", "0", "3", 1);
    for (size_t i = 0; i < 400; i++)
        ck_assert(hypot(g.x[2 * i], g.x[2 * i + 1]) <= 1 + 1e-12);
    gen_free(g);
}
END_TEST

START_TEST(sine_is_the_surface_and_noise_moves_targets)
{
    gen g = run("sine", "500", "0", "5", 1);
    gen h = run("sine", "500", "0.1", "5", 1);
    double diff = 0;
    for (size_t i = 0; i < 500; i++) {
        double x1 = g.x[2 * i], x2 = g.x[2 * i + 1];
        ck_assert(fabs(x1) <= M_PI && fabs(x2) <= M_PI);
        ck_assert(g.y[i] == sin(x1) * cos(x2));
        diff += (h.y[i] - g.y[i]) * (h.y[i] - g.y[i]);
    }
    double sd = sqrt(diff / 500); /* the noise's standard deviation, about 0.1 */
    ck_assert_msg(sd > 0.08 && sd < 0.12, "sd %g", sd);
    gen_free(g);
    gen_free(h);
    /* classification: noise moves the inputs, not the labels */
    g = run("xor", "200", "0", "5", 1);
    h = run("xor", "200", "0.3", "5", 1);
    ck_assert(memcmp(g.y, h.y, 200 * sizeof(double)) == 0);
    ck_assert(memcmp(g.x, h.x, 400 * sizeof(double)) != 0);
    gen_free(g);
    gen_free(h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("server_datasets");
    TCase *tc = tcase_create("datasets");
    tcase_add_test(tc, parameters_are_checked);
    tcase_add_test(tc, model_shape_is_checked);
    tcase_add_test(tc, same_seed_same_bits);
    tcase_add_test(tc, classes_alternate_and_match_the_geometry);
    tcase_add_test(tc, sine_is_the_surface_and_noise_moves_targets);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
