/*
 * test_core_io.c - the saved form of a network (bit-exact round trips;
 * truncated, corrupted, oversized and padded blobs refused without leaks
 * or over-reads), the CRC, and copying layers in and out.
 *
 * Blobs under test are copied into buffers of exactly their length, so
 * that ASan catches any read past the end.
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "util_testalloc.h"

static mlp_spec spec_of(size_t inputs, size_t n_layers, const size_t *units, const int *acts,
                        int loss)
{
    mlp_spec s;
    memset(&s, 0, sizeof s);
    s.inputs = inputs;
    s.n_layers = n_layers;
    for (size_t l = 0; l < n_layers; l++) {
        s.layers[l].units = units[l];
        s.layers[l].activation = acts[l];
    }
    s.loss = loss;
    return s;
}

/* A few networks of different shapes, weights from a seed. */
static mlp_t *sample_net(int which)
{
    static const size_t u0[2] = {3, 1}, u1[3] = {5, 4, 3}, u2[5] = {1, 7, 2, 6, 2};
    static const int a0[2] = {MLP_ACT_SIGMOID, MLP_ACT_LINEAR};
    static const int a1[3] = {MLP_ACT_TANH, MLP_ACT_RELU, MLP_ACT_SOFTMAX};
    static const int a2[5] = {MLP_ACT_RELU, MLP_ACT_TANH, MLP_ACT_LINEAR, MLP_ACT_SIGMOID,
                              MLP_ACT_SIGMOID};
    mlp_spec s;
    switch (which) {
    case 0: s = spec_of(2, 2, u0, a0, MLP_LOSS_MSE); break;
    case 1: s = spec_of(4, 3, u1, a1, MLP_LOSS_CROSS_ENTROPY); break;
    default: s = spec_of(3, 5, u2, a2, MLP_LOSS_CROSS_ENTROPY); break;
    }
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_new(&s, NULL, NULL, &net), MLP_OK);
    ck_assert_int_eq(mlp_init(net, MLP_INIT_UNIFORM, 100 + (uint64_t)which, 2.0), MLP_OK);
    return net;
}

/* Saved bytes in a buffer of exactly the saved size (caller frees). */
static unsigned char *save(const mlp_t *net, size_t *len)
{
    size_t n = mlp_saved_size(net), written = 0;
    unsigned char *buf = malloc(n);
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(mlp_save(net, buf, n, &written), MLP_OK);
    ck_assert_uint_eq(written, n);
    *len = n;
    return buf;
}

static void assert_same_net(const mlp_t *a, const mlp_t *b)
{
    const mlp_spec *sa = mlp_get_spec(a), *sb = mlp_get_spec(b);
    ck_assert_uint_eq(sa->inputs, sb->inputs);
    ck_assert_uint_eq(sa->n_layers, sb->n_layers);
    ck_assert_int_eq(sa->loss, sb->loss);
    for (size_t l = 0; l < sa->n_layers; l++) {
        ck_assert_uint_eq(sa->layers[l].units, sb->layers[l].units);
        ck_assert_int_eq(sa->layers[l].activation, sb->layers[l].activation);
    }
    ck_assert_uint_eq(mlp_param_count(a), mlp_param_count(b));
    ck_assert_int_eq(memcmp(mlp_params_const(a), mlp_params_const(b),
                            mlp_param_count(a) * sizeof(double)), 0);
}

/* Load that must fail: out untouched, nothing leaked, nothing freed twice. */
static mlp_status load_fails(const unsigned char *src, size_t len, const mlp_limits *lim)
{
    testalloc ta;
    testalloc_init(&ta);
    mlp_allocator a = testalloc_allocator(&ta);
    unsigned char *buf = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(buf);
    if (len)
        memcpy(buf, src, len);
    mlp_t *sentinel = (mlp_t *)&ta, *out = sentinel;
    mlp_status s = mlp_load(buf, len, lim, &a, &out);
    ck_assert_msg(s != MLP_OK, "a bad blob of %zu bytes loaded", len);
    ck_assert_msg(out == sentinel, "output written on failure (%s)", mlp_status_name(s));
    ck_assert_uint_eq(ta.live, 0);
    ck_assert_uint_eq(ta.bad_frees, 0);
    free(buf);
    return s;
}

START_TEST(round_trip_is_bit_exact)
{
    mlp_t *net = sample_net(_i), *back = NULL;
    /* values a text format would mangle */
    double *p = mlp_params(net);
    p[0] = -0.0;
    p[1] = 4.9406564584124654e-324; /* smallest subnormal */
    p[2] = DBL_MAX;
    p[3] = -DBL_MIN;
    p[4] = 0.1;
    size_t len, len2;
    unsigned char *buf = save(net, &len);
    ck_assert_int_eq(mlp_load(buf, len, NULL, NULL, &back), MLP_OK);
    assert_same_net(net, back);
    ck_assert(signbit(mlp_params_const(back)[0]));
    unsigned char *again = save(back, &len2);
    ck_assert_uint_eq(len, len2);
    ck_assert_int_eq(memcmp(buf, again, len), 0);
    free(buf);
    free(again);
    mlp_free(net);
    mlp_free(back);
}
END_TEST

START_TEST(save_needs_room)
{
    mlp_t *net = sample_net(1);
    size_t n = mlp_saved_size(net), written = 12345;
    unsigned char *buf = malloc(n), *copy = malloc(n);
    ck_assert(buf && copy);
    memset(buf, 0xee, n);
    memcpy(copy, buf, n);
    ck_assert_int_eq(mlp_save(net, buf, n - 1, &written), MLP_ERR_SPACE);
    ck_assert_int_eq(mlp_save(net, buf, 0, &written), MLP_ERR_SPACE);
    ck_assert_int_eq(memcmp(buf, copy, n), 0);
    ck_assert_uint_eq(written, 12345);
    free(buf);
    free(copy);
    mlp_free(net);
}
END_TEST

START_TEST(every_truncation_is_refused)
{
    mlp_t *net = sample_net(_i);
    size_t len;
    unsigned char *buf = save(net, &len);
    for (size_t cut = 0; cut < len; cut++) {
        mlp_status s = load_fails(buf, cut, NULL);
        ck_assert_msg(s == MLP_ERR_TRUNCATED || s == MLP_ERR_FORMAT,
                      "cut at %zu of %zu: %s", cut, len, mlp_status_name(s));
    }
    free(buf);
    mlp_free(net);
}
END_TEST

/* Any changed byte is refused; past the header (the parameters and the
 * checksum) only the checksum can tell, so that is MLP_ERR_FORMAT. */
START_TEST(every_corrupted_byte_is_refused)
{
    static const unsigned char masks[3] = {0x01, 0x80, 0xff};
    mlp_t *net = sample_net(_i);
    size_t len, P = mlp_param_count(net);
    unsigned char *buf = save(net, &len);
    size_t params_from = len - 4 - 8 * P; /* parameters, then the CRC-32 */
    for (size_t at = 0; at < len; at++)
        for (int m = 0; m < 3; m++) {
            buf[at] ^= masks[m];
            mlp_status s = load_fails(buf, len, NULL);
            buf[at] ^= masks[m];
            if (at >= params_from)
                ck_assert_msg(s == MLP_ERR_FORMAT, "byte %zu ^ %#x: %s", at, masks[m],
                              mlp_status_name(s));
        }
    mlp_t *back = NULL; /* restored: loads again */
    ck_assert_int_eq(mlp_load(buf, len, NULL, NULL, &back), MLP_OK);
    mlp_free(back);
    free(buf);
    mlp_free(net);
}
END_TEST

START_TEST(trailing_bytes_are_refused)
{
    mlp_t *net = sample_net(0);
    size_t len;
    unsigned char *buf = save(net, &len), *big = calloc(len + 8, 1);
    ck_assert_ptr_nonnull(big);
    memcpy(big, buf, len);
    load_fails(big, len + 1, NULL);
    load_fails(big, len + 8, NULL);
    free(big);
    free(buf);
    mlp_free(net);
}
END_TEST

/* A model saved under generous limits is refused under tighter ones, with
 * MLP_ERR_LIMIT and before any allocation. */
START_TEST(specs_past_limits_are_refused)
{
    const size_t units[2] = {10, 2};
    const int acts[2] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    mlp_spec s = spec_of(3, 2, units, acts, MLP_LOSS_MSE);
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_new(&s, NULL, NULL, &net), MLP_OK); /* 40 + 22 params */
    size_t len;
    unsigned char *buf = save(net, &len);
    mlp_limits ok = {.max_inputs = 3, .max_layers = 2, .max_units = 10, .max_params = 62};
    mlp_t *back = NULL;
    ck_assert_int_eq(mlp_load(buf, len, &ok, NULL, &back), MLP_OK);
    mlp_free(back);
    for (int k = 0; k < 4; k++) {
        mlp_limits lim = ok;
        switch (k) {
        case 0: lim.max_inputs = 2; break;
        case 1: lim.max_layers = 1; break;
        case 2: lim.max_units = 9; break;
        default: lim.max_params = 61; break;
        }
        testalloc ta;
        testalloc_init(&ta);
        mlp_allocator a = testalloc_allocator(&ta);
        back = NULL;
        ck_assert_int_eq(mlp_load(buf, len, &lim, &a, &back), MLP_ERR_LIMIT);
        ck_assert_ptr_null(back);
        ck_assert_uint_eq(ta.calls, 0);
    }
    free(buf);
    mlp_free(net);
}
END_TEST

/* A big model's header with little behind it: the size it claims must not
 * drive an allocation, whether refused by limits or as truncated. */
START_TEST(big_claims_do_not_allocate)
{
    const size_t units[2] = {70000, 1};
    const int acts[2] = {MLP_ACT_RELU, MLP_ACT_LINEAR};
    mlp_spec s = spec_of(1, 2, units, acts, MLP_LOSS_MSE);
    mlp_limits wide = mlp_default_limits();
    mlp_t *net = NULL;
    wide.max_units = 100000;
    ck_assert_int_eq(mlp_new(&s, NULL, NULL, &net), MLP_ERR_LIMIT); /* default limits */
    ck_assert_int_eq(mlp_new(&s, &wide, NULL, &net), MLP_OK);
    size_t len;
    unsigned char *buf = save(net, &len);
    testalloc ta;
    testalloc_init(&ta);
    mlp_allocator a = testalloc_allocator(&ta);
    mlp_t *back = NULL;
    ck_assert_int_eq(mlp_load(buf, len, NULL, &a, &back), MLP_ERR_LIMIT);
    ck_assert_int_eq(mlp_load(buf, 200, &wide, &a, &back), MLP_ERR_TRUNCATED);
    ck_assert_int_eq(mlp_load(buf, len - 1, &wide, &a, &back), MLP_ERR_TRUNCATED);
    ck_assert_uint_eq(ta.calls, 0);
    ck_assert_ptr_null(back);
    ck_assert_int_eq(mlp_load(buf, len, &wide, &a, &back), MLP_OK);
    ck_assert_uint_eq(ta.live, 1);
    mlp_free(back);
    ck_assert_uint_eq(ta.live, 0);
    free(buf);
    mlp_free(net);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The documented layout (core/serial.c): models in databases depend on
 * it, so a change must be deliberate (and bump MLP_FORMAT_VERSION).     */

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Re-seal a blob after an edit: the CRC-32 of every byte before it. */
static void reseal(unsigned char *buf, size_t len)
{
    put32(buf + len - 4, mlp_crc32(buf, len - 4));
}

START_TEST(layout_is_little_endian_as_documented)
{
    mlp_t *net = sample_net(0); /* 2-3-1, 13 parameters */
    size_t len;
    unsigned char *buf = save(net, &len);
    ck_assert_uint_eq(len, 24 + 8 * 2 + 8 + 8 * 13 + 4);
    ck_assert_int_eq(memcmp(buf, "MLPD", 4), 0);
    ck_assert_uint_eq(get32(buf + 4), MLP_FORMAT_VERSION);
    ck_assert_uint_eq(get32(buf + 8), MLP_CONVENTIONS);
    ck_assert_uint_eq(get32(buf + 12), MLP_LOSS_MSE);
    ck_assert_uint_eq(get32(buf + 16), 2);
    ck_assert_uint_eq(get32(buf + 20), 2);
    ck_assert_uint_eq(get32(buf + 24), 3);
    ck_assert_uint_eq(get32(buf + 28), MLP_ACT_SIGMOID);
    ck_assert_uint_eq(get32(buf + 32), 1);
    ck_assert_uint_eq(get32(buf + 36), MLP_ACT_LINEAR);
    ck_assert_uint_eq(get32(buf + 40), 13);
    ck_assert_uint_eq(get32(buf + 44), 0);
    for (size_t i = 0; i < 13; i++) {
        uint64_t bits = 0, want;
        for (int b = 0; b < 8; b++)
            bits |= (uint64_t)buf[48 + 8 * i + b] << (8 * b);
        memcpy(&want, &mlp_params_const(net)[i], 8);
        ck_assert(bits == want);
    }
    ck_assert_uint_eq(get32(buf + len - 4), mlp_crc32(buf, len - 4));
    free(buf);
    mlp_free(net);
}
END_TEST

/* Well-sealed blobs that still must be refused. */
START_TEST(sealed_but_invalid_blobs_are_refused)
{
    mlp_t *net = sample_net(0);
    size_t len;
    unsigned char *orig = save(net, &len), *buf = malloc(len);
    ck_assert_ptr_nonnull(buf);
    double nan = NAN, inf = -INFINITY;
    for (int k = 0; k < 9; k++) {
        memcpy(buf, orig, len);
        mlp_status want = MLP_ERR_FORMAT;
        switch (k) {
        case 0: put32(buf + 4, MLP_FORMAT_VERSION + 1); break;
        case 1: put32(buf + 8, MLP_CONVENTIONS & ~MLP_CONV_HALF_SQUARED); break;
        case 2: memcpy(buf + 48 + 8 * 5, &nan, 8), want = MLP_ERR_NONFINITE; break;
        case 3: memcpy(buf + 48 + 8 * 12, &inf, 8), want = MLP_ERR_NONFINITE; break;
        case 4: put32(buf + 28, 99), want = MLP_ERR_INVALID; break;  /* unknown activation */
        case 5: put32(buf + 12, 7), want = MLP_ERR_INVALID; break;   /* unknown loss */
        case 6: put32(buf + 24, 0), want = MLP_ERR_INVALID; break;   /* zero units */
        case 7: put32(buf + 40, 14); break;                          /* wrong n_params */
        default: buf[0] = 'X'; break;                                /* magic */
        }
        reseal(buf, len);
        mlp_status s = load_fails(buf, len, NULL);
        /* a malformed spec may be reported as FORMAT too */
        ck_assert_msg(s == want || (want == MLP_ERR_INVALID && s == MLP_ERR_FORMAT),
                      "case %d: %s, want %s", k, mlp_status_name(s), mlp_status_name(want));
    }
    free(buf);
    free(orig);
    mlp_free(net);
}
END_TEST

START_TEST(crc32_is_ieee)
{
    ck_assert_uint_eq(mlp_crc32((const unsigned char *)"123456789", 9), 0xcbf43926u);
    ck_assert_uint_eq(mlp_crc32((const unsigned char *)"", 0), 0);
    ck_assert_uint_eq(mlp_crc32((const unsigned char *)"a", 1), 0xe8b7be43u);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Layers in and out                                                   */

START_TEST(layer_get_set_round_trip)
{
    mlp_t *net = sample_net(2);
    const mlp_spec *s = mlp_get_spec(net);
    mlp_rng rng;
    mlp_rng_seed(&rng, 55);
    double w[64], b[16], w2[64], b2[16];
    size_t covered = 0;
    for (size_t l = 0; l < s->n_layers; l++) {
        size_t fan_in, w_off, b_off, units = s->layers[l].units;
        ck_assert_int_eq(mlp_layer_offsets(net, l, &fan_in, &w_off, &b_off), MLP_OK);
        ck_assert_uint_eq(fan_in, l == 0 ? s->inputs : s->layers[l - 1].units);
        ck_assert_uint_eq(w_off, covered);
        ck_assert_uint_eq(b_off, w_off + units * fan_in);
        covered = b_off + units;
        for (size_t i = 0; i < units * fan_in; i++)
            w[i] = mlp_rng_normal(&rng);
        for (size_t i = 0; i < units; i++)
            b[i] = mlp_rng_normal(&rng);
        ck_assert_int_eq(mlp_layer_set(net, l, w, b), MLP_OK);
        /* row k = unit k, column i = input i, in the flat array */
        ck_assert_int_eq(memcmp(mlp_params_const(net) + w_off, w, units * fan_in * 8), 0);
        ck_assert_int_eq(memcmp(mlp_params_const(net) + b_off, b, units * 8), 0);
        ck_assert_int_eq(mlp_layer_get(net, l, w2, b2), MLP_OK);
        ck_assert_int_eq(memcmp(w, w2, units * fan_in * 8), 0);
        ck_assert_int_eq(memcmp(b, b2, units * 8), 0);
    }
    ck_assert_uint_eq(covered, mlp_param_count(net));
    ck_assert_int_eq(mlp_layer_offsets(net, s->n_layers, NULL, NULL, NULL), MLP_ERR_INVALID);
    ck_assert_int_eq(mlp_layer_get(net, s->n_layers, w2, b2), MLP_ERR_INVALID);
    ck_assert_int_eq(mlp_layer_set(net, s->n_layers, w, b), MLP_ERR_INVALID);
    mlp_free(net);
}
END_TEST

START_TEST(layer_set_refuses_nonfinite)
{
    mlp_t *net = sample_net(1), *orig = NULL;
    ck_assert_int_eq(mlp_clone(net, &orig), MLP_OK);
    double w[64], b[16];
    const double bad[3] = {NAN, INFINITY, -INFINITY};
    for (int k = 0; k < 3; k++)
        for (int where = 0; where < 2; where++) {
            ck_assert_int_eq(mlp_layer_get(net, 1, w, b), MLP_OK);
            for (int i = 0; i < 20; i++)
                w[i] += 1.0; /* a change that must not land either */
            if (where == 0)
                w[19] = bad[k]; /* the last weight of 4 x 5 */
            else
                b[3] = bad[k];
            ck_assert_int_eq(mlp_layer_set(net, 1, w, b), MLP_ERR_NONFINITE);
            ck_assert_int_eq(memcmp(mlp_params_const(net), mlp_params_const(orig),
                                    mlp_param_count(net) * sizeof(double)), 0);
        }
    mlp_free(net);
    mlp_free(orig);
}
END_TEST

START_TEST(clone_is_deep)
{
    mlp_t *net = sample_net(1), *copy = NULL;
    ck_assert_int_eq(mlp_clone(net, &copy), MLP_OK);
    assert_same_net(net, copy);
    ck_assert_ptr_ne(mlp_params(net), mlp_params(copy));
    double before = mlp_params_const(net)[0];
    mlp_params(copy)[0] += 1.0;
    ck_assert(mlp_params_const(net)[0] == before);
    ck_assert_uint_ge(mlp_memory_size(net), mlp_param_count(net) * sizeof(double));
    mlp_free(copy);
    mlp_free(net);
    mlp_free(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core_io");
    TCase *tc = tcase_create("serial");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, round_trip_is_bit_exact, 0, 3);
    tcase_add_test(tc, save_needs_room);
    tcase_add_loop_test(tc, every_truncation_is_refused, 0, 3);
    tcase_add_loop_test(tc, every_corrupted_byte_is_refused, 0, 3);
    tcase_add_test(tc, trailing_bytes_are_refused);
    tcase_add_test(tc, specs_past_limits_are_refused);
    tcase_add_test(tc, big_claims_do_not_allocate);
    tcase_add_test(tc, layout_is_little_endian_as_documented);
    tcase_add_test(tc, sealed_but_invalid_blobs_are_refused);
    tcase_add_test(tc, crc32_is_ieee);
    suite_add_tcase(s, tc);
    tc = tcase_create("layers");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, layer_get_set_round_trip);
    tcase_add_test(tc, layer_set_refuses_nonfinite);
    tcase_add_test(tc, clone_is_deep);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
