/*
 * test_core_spec.c - what a spec may ask for (and the field named when it
 * may not), size_t overflow refused before allocating, the name tables
 * with their aliases, the seeded PRNG against a reference xoshiro256**,
 * and weight initialisation.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "util_testalloc.h"

static mlp_spec lecture_spec(void)
{
    mlp_spec s;
    memset(&s, 0, sizeof s);
    s.inputs = 2;
    s.n_layers = 2;
    s.layers[0].units = 3;
    s.layers[0].activation = MLP_ACT_SIGMOID;
    s.layers[1].units = 1;
    s.layers[1].activation = MLP_ACT_LINEAR;
    s.loss = MLP_LOSS_MSE;
    return s;
}

/* Refused by the check (field named) and by mlp_new, without allocating. */
#define refused(s, lim, want, field) refused_at(__LINE__, s, lim, want, field)
static void refused_at(int line, const mlp_spec *s, const mlp_limits *lim, mlp_status want,
                       const char *field_prefix)
{
    mlp_spec_error err;
    size_t n_params = 777;
    memset(&err, 0, sizeof err);
    mlp_status got = mlp_spec_check(s, lim, &n_params, &err);
    ck_assert_msg(got == want, "line %d: %s, want %s (%s: %s)", line, mlp_status_name(got),
                  mlp_status_name(want), err.field, err.message);
    ck_assert_msg(strncmp(err.field, field_prefix, strlen(field_prefix)) == 0,
                  "field \"%s\", want \"%s...\"", err.field, field_prefix);
    ck_assert_msg(err.message[0] != '\0', "no message for %s", err.field);
    ck_assert_uint_eq(n_params, 777);
    ck_assert_int_eq(mlp_spec_check(s, lim, NULL, NULL), want);

    testalloc ta;
    testalloc_init(&ta);
    mlp_allocator a = testalloc_allocator(&ta);
    mlp_t *sentinel = (mlp_t *)&ta, *out = sentinel;
    ck_assert_int_eq(mlp_new(s, lim, &a, &out), want);
    ck_assert_ptr_eq(out, sentinel);
    ck_assert_uint_eq(ta.calls, 0);
}

START_TEST(lecture_spec_is_valid)
{
    mlp_spec s = lecture_spec();
    size_t n = 0;
    ck_assert_int_eq(mlp_spec_check(&s, NULL, &n, NULL), MLP_OK);
    ck_assert_uint_eq(n, 3 * 2 + 3 + 1 * 3 + 1);
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_new(&s, NULL, NULL, &net), MLP_OK);
    ck_assert_uint_eq(mlp_param_count(net), n);
    ck_assert_uint_eq(mlp_inputs(net), 2);
    ck_assert_uint_eq(mlp_outputs(net), 1);
    for (size_t i = 0; i < n; i++)
        ck_assert(mlp_params_const(net)[i] == 0.0); /* every parameter zero */
    const mlp_spec *g = mlp_get_spec(net);
    ck_assert_uint_eq(g->n_layers, 2);
    ck_assert_int_eq(g->layers[0].activation, MLP_ACT_SIGMOID);
    ck_assert_int_eq(g->loss, MLP_LOSS_MSE);
    mlp_free(net);
}
END_TEST

START_TEST(unknown_activation)
{
    const int bad[4] = {0, 6, -1, 99};
    for (int k = 0; k < 4; k++) {
        mlp_spec s = lecture_spec();
        s.layers[1].activation = bad[k];
        refused(&s, NULL, MLP_ERR_INVALID, "layers[1].activation");
        s = lecture_spec();
        s.layers[0].activation = bad[k];
        refused(&s, NULL, MLP_ERR_INVALID, "layers[0].activation");
    }
}
END_TEST

START_TEST(softmax_rules)
{
    mlp_spec s = lecture_spec();
    s.loss = MLP_LOSS_CROSS_ENTROPY;
    s.layers[0].activation = MLP_ACT_SOFTMAX; /* hidden */
    s.layers[1].units = 2;
    s.layers[1].activation = MLP_ACT_SOFTMAX;
    refused(&s, NULL, MLP_ERR_INVALID, "layers[0]");

    s = lecture_spec(); /* softmax output with mse */
    s.layers[1].units = 2;
    s.layers[1].activation = MLP_ACT_SOFTMAX;
    refused(&s, NULL, MLP_ERR_INVALID, "");

    s.loss = MLP_LOSS_CROSS_ENTROPY; /* now fine */
    ck_assert_int_eq(mlp_spec_check(&s, NULL, NULL, NULL), MLP_OK);
    s.layers[1].activation = MLP_ACT_SIGMOID; /* binary cross-entropy: fine */
    ck_assert_int_eq(mlp_spec_check(&s, NULL, NULL, NULL), MLP_OK);
}
END_TEST

START_TEST(unknown_loss)
{
    const int bad[3] = {0, 3, -2};
    for (int k = 0; k < 3; k++) {
        mlp_spec s = lecture_spec();
        s.loss = bad[k];
        refused(&s, NULL, MLP_ERR_INVALID, "");
    }
}
END_TEST

START_TEST(empty_things)
{
    mlp_spec s = lecture_spec();
    s.layers[1].units = 0;
    refused(&s, NULL, MLP_ERR_INVALID, "layers[1].units");
    s = lecture_spec();
    s.layers[0].units = 0;
    refused(&s, NULL, MLP_ERR_INVALID, "layers[0].units");
    s = lecture_spec();
    s.inputs = 0;
    refused(&s, NULL, MLP_ERR_INVALID, "inputs");
    s = lecture_spec();
    s.n_layers = 0;
    refused(&s, NULL, MLP_ERR_INVALID, "");
}
END_TEST

START_TEST(too_many_layers)
{
    mlp_spec s;
    memset(&s, 0, sizeof s);
    s.inputs = 2;
    s.loss = MLP_LOSS_MSE;
    s.n_layers = MLP_MAX_LAYERS;
    for (size_t l = 0; l < MLP_MAX_LAYERS; l++) {
        s.layers[l].units = 2;
        s.layers[l].activation = MLP_ACT_TANH;
    }
    ck_assert_int_eq(mlp_spec_check(&s, NULL, NULL, NULL), MLP_OK);
    s.n_layers = MLP_MAX_LAYERS + 1; /* past the array: must not be read */
    refused(&s, NULL, MLP_ERR_LIMIT, "");
    s.n_layers = (size_t)-1;
    refused(&s, NULL, MLP_ERR_LIMIT, "");
    mlp_limits lim = mlp_default_limits();
    lim.max_layers = 4;
    s.n_layers = 5;
    refused(&s, &lim, MLP_ERR_LIMIT, "");
    s.n_layers = 4;
    ck_assert_int_eq(mlp_spec_check(&s, &lim, NULL, NULL), MLP_OK);
}
END_TEST

START_TEST(limits_are_enforced)
{
    mlp_limits lim = {.max_inputs = 2, .max_layers = 2, .max_units = 3, .max_params = 13};
    mlp_spec s = lecture_spec();
    ck_assert_int_eq(mlp_spec_check(&s, &lim, NULL, NULL), MLP_OK);
    s.inputs = 3;
    refused(&s, &lim, MLP_ERR_LIMIT, "inputs");
    s = lecture_spec();
    s.layers[0].units = 4;
    refused(&s, &lim, MLP_ERR_LIMIT, "layers[0].units");
    lim.max_params = 12;
    s = lecture_spec();
    refused(&s, &lim, MLP_ERR_LIMIT, "");

    mlp_limits d = mlp_default_limits();
    ck_assert_uint_gt(d.max_inputs, 0);
    ck_assert_uint_gt(d.max_units, 0);
    ck_assert_uint_gt(d.max_params, 0);
    ck_assert_uint_ge(d.max_layers, 1);
    ck_assert_uint_le(d.max_layers, MLP_MAX_LAYERS);
}
END_TEST

/* Strangers' sizes with limits wide open: units * (fan_in + 1) and the
 * sum over layers must be checked for size_t overflow. */
START_TEST(size_overflow_is_a_limit)
{
    mlp_limits open = {SIZE_MAX, MLP_MAX_LAYERS, SIZE_MAX, SIZE_MAX};
    mlp_spec s = lecture_spec();

    s.inputs = SIZE_MAX / 2;
    s.layers[0].units = 4; /* 4 * (SIZE_MAX / 2 + 1) */
    refused(&s, &open, MLP_ERR_LIMIT, "");

    s = lecture_spec();
    s.layers[0].units = SIZE_MAX / 2; /* into a layer of 1: fine alone... */
    s.layers[1].units = 3;            /* ...but 3 * (SIZE_MAX / 2 + 1) is not */
    refused(&s, &open, MLP_ERR_LIMIT, "");

    s = lecture_spec();
    s.layers[0].units = SIZE_MAX;
    refused(&s, &open, MLP_ERR_LIMIT, "");

    /* each layer fits, the sum does not */
    s = lecture_spec();
    s.inputs = 1;
    s.layers[0].units = SIZE_MAX / 4;     /* 2 * (SIZE_MAX / 4) params */
    s.layers[1].units = 1;                /* + SIZE_MAX / 4 + 1 */
    s.n_layers = 3;
    s.layers[2].units = 3;                /* + 3 * 2 */
    s.layers[2].activation = MLP_ACT_LINEAR;
    s.layers[1].activation = MLP_ACT_TANH;
    size_t total = 0;
    ck_assert_int_eq(mlp_spec_check(&s, &open, &total, NULL), MLP_OK);
    ck_assert_uint_eq(total, (SIZE_MAX / 4) * 2 + (SIZE_MAX / 4 + 1) + 6);
    /* counted, but its bytes (8 per parameter) overflow: refused unallocated */
    testalloc ta;
    testalloc_init(&ta);
    mlp_allocator a = testalloc_allocator(&ta);
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_new(&s, &open, &a, &net), MLP_ERR_LIMIT);
    ck_assert_ptr_null(net);
    ck_assert_uint_eq(ta.calls, 0);
    s.layers[1].units = 2; /* 2 * (SIZE_MAX / 4 + 1): the sum wraps */
    refused(&s, &open, MLP_ERR_LIMIT, "");
}
END_TEST

/* fan_in + 1 itself wraps to 0 for inputs == SIZE_MAX: units * 0 must not
 * pass for a small layer. */
START_TEST(inputs_of_size_max_is_a_limit)
{
    mlp_limits open = {SIZE_MAX, MLP_MAX_LAYERS, SIZE_MAX, SIZE_MAX};
    mlp_spec s = lecture_spec();
    s.inputs = SIZE_MAX;
    refused(&s, &open, MLP_ERR_LIMIT, "");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Names                                                               */

START_TEST(activation_names_and_aliases)
{
    static const struct { const char *name; int id; } names[] = {
        {"sigmoid", MLP_ACT_SIGMOID}, {"logsig", MLP_ACT_SIGMOID}, {"tanh", MLP_ACT_TANH},
        {"tansig", MLP_ACT_TANH},     {"linear", MLP_ACT_LINEAR},  {"purelin", MLP_ACT_LINEAR},
        {"identity", MLP_ACT_LINEAR}, {"relu", MLP_ACT_RELU},      {"softmax", MLP_ACT_SOFTMAX},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        ck_assert_msg(mlp_activation_from_name(names[i].name) == names[i].id, "%s",
                      names[i].name);
    ck_assert_str_eq(mlp_activation_name(MLP_ACT_SIGMOID), "sigmoid");
    ck_assert_str_eq(mlp_activation_name(MLP_ACT_TANH), "tanh");
    ck_assert_str_eq(mlp_activation_name(MLP_ACT_LINEAR), "linear");
    ck_assert_str_eq(mlp_activation_name(MLP_ACT_RELU), "relu");
    ck_assert_str_eq(mlp_activation_name(MLP_ACT_SOFTMAX), "softmax");
    ck_assert_ptr_null(mlp_activation_name(0));
    ck_assert_ptr_null(mlp_activation_name(6));
    ck_assert_ptr_null(mlp_activation_name(-1));
    const char *unknown[5] = {"", "sigmoidx", "sig", "soft max", "leaky_relu"};
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(mlp_activation_from_name(unknown[i]), 0);
    /* stored ids never change */
    ck_assert_int_eq(MLP_ACT_SIGMOID, 1);
    ck_assert_int_eq(MLP_ACT_SOFTMAX, 5);
    ck_assert_int_eq(MLP_LOSS_MSE, 1);
    ck_assert_int_eq(MLP_LOSS_CROSS_ENTROPY, 2);
}
END_TEST

START_TEST(other_name_tables)
{
    ck_assert_int_eq(mlp_loss_from_name("mse"), MLP_LOSS_MSE);
    ck_assert_int_eq(mlp_loss_from_name("cross_entropy"), MLP_LOSS_CROSS_ENTROPY);
    ck_assert_int_eq(mlp_loss_from_name("mae"), 0);
    ck_assert_str_eq(mlp_loss_name(MLP_LOSS_MSE), "mse");
    ck_assert_str_eq(mlp_loss_name(MLP_LOSS_CROSS_ENTROPY), "cross_entropy");
    ck_assert_ptr_null(mlp_loss_name(0));
    ck_assert_ptr_null(mlp_loss_name(3));

    ck_assert_int_eq(mlp_optimizer_from_name("sgd"), MLP_OPT_SGD);
    ck_assert_int_eq(mlp_optimizer_from_name("momentum"), MLP_OPT_SGD);
    ck_assert_int_eq(mlp_optimizer_from_name("nesterov"), MLP_OPT_NESTEROV);
    ck_assert_int_eq(mlp_optimizer_from_name("adam"), MLP_OPT_ADAM);
    ck_assert_int_eq(mlp_optimizer_from_name("rmsprop"), 0);
    for (int id = MLP_OPT_SGD; id <= MLP_OPT_ADAM; id++)
        ck_assert_int_eq(mlp_optimizer_from_name(mlp_optimizer_name(id)), id);
    ck_assert_ptr_null(mlp_optimizer_name(0));

    ck_assert_int_eq(mlp_init_from_name("xavier"), MLP_INIT_XAVIER_UNIFORM);
    ck_assert_int_eq(mlp_init_from_name("he"), MLP_INIT_HE_UNIFORM);
    ck_assert_int_eq(mlp_init_from_name("bogus"), 0);
    for (int id = MLP_INIT_XAVIER_UNIFORM; id <= MLP_INIT_ZERO; id++) {
        ck_assert_ptr_nonnull(mlp_init_name(id));
        ck_assert_int_eq(mlp_init_from_name(mlp_init_name(id)), id);
    }
    ck_assert_ptr_null(mlp_init_name(0));

    for (int id = MLP_STOP_EPOCHS; id <= MLP_STOP_DIVERGED; id++) {
        ck_assert_ptr_nonnull(mlp_stop_name(id));
        for (int other = MLP_STOP_EPOCHS; other < id; other++)
            ck_assert_str_ne(mlp_stop_name(id), mlp_stop_name(other));
    }

    ck_assert_str_eq(mlp_status_name(MLP_OK), "ok");
    ck_assert_str_eq(mlp_status_name(MLP_ERR_NOMEM), "nomem");
    for (int s = MLP_OK; s <= MLP_ERR_SPACE; s++) {
        ck_assert_ptr_nonnull(mlp_status_name((mlp_status)s));
        for (int other = MLP_OK; other < s; other++)
            ck_assert_str_ne(mlp_status_name((mlp_status)s), mlp_status_name((mlp_status)other));
    }
    ck_assert_ptr_nonnull(mlp_status_name((mlp_status)99));
}
END_TEST

/* ------------------------------------------------------------------ */
/* PRNG: xoshiro256** (Blackman & Vigna) seeded by splitmix64, written
 * here from the published reference code.                             */

static uint64_t ref_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t ref_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t ref_next(uint64_t s[4])
{
    const uint64_t result = ref_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ref_rotl(s[3], 45);
    return result;
}

START_TEST(rng_is_xoshiro256starstar)
{
    const uint64_t seeds[3] = {0, 1, 0xdeadbeefcafef00dull};
    for (int k = 0; k < 3; k++) {
        uint64_t x = seeds[k], s[4];
        for (int i = 0; i < 4; i++)
            s[i] = ref_splitmix64(&x);
        mlp_rng rng;
        int same = 0;
        mlp_rng_seed(&rng, seeds[k]);
        for (int i = 0; i < 1000; i++)
            same += mlp_rng_next(&rng) == ref_next(s);
        ck_assert_msg(same == 1000, "seed %d: %d of 1000 draws agree", k, same);
    }
}
END_TEST

START_TEST(rng_streams_are_seeded)
{
    mlp_rng a, b, c;
    mlp_rng_seed(&a, 42);
    mlp_rng_seed(&b, 42);
    mlp_rng_seed(&c, 43);
    int differ = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = mlp_rng_next(&a);
        ck_assert(x == mlp_rng_next(&b));
        differ += x != mlp_rng_next(&c);
    }
    ck_assert_int_ge(differ, 99);
}
END_TEST

START_TEST(rng_uniform_and_normal)
{
    enum { N = 200000 };
    mlp_rng rng;
    mlp_rng_seed(&rng, 7);
    double sum = 0.0;
    int bad = 0; /* counted, not asserted per draw: check logs each assert */
    for (int i = 0; i < N; i++) {
        double u = mlp_rng_uniform(&rng);
        double scaled = u * 0x1.0p53; /* 53 random bits: an integer below 2^53 */
        bad += !(u >= 0.0 && u < 1.0) || scaled != floor(scaled);
        sum += u;
    }
    ck_assert_int_eq(bad, 0);
    ck_assert_msg(fabs(sum / N - 0.5) < 0.005, "uniform mean %g", sum / N);

    double m = 0.0, m2 = 0.0;
    for (int i = 0; i < N; i++) {
        /* no cached state: a copy of the struct replays the same value */
        mlp_rng copy = rng;
        double z = mlp_rng_normal(&rng);
        bad += z != mlp_rng_normal(&copy) || !isfinite(z);
        m += z;
        m2 += z * z;
    }
    ck_assert_int_eq(bad, 0);
    m /= N;
    double var = m2 / N - m * m;
    ck_assert_msg(fabs(m) < 0.01 && fabs(var - 1.0) < 0.02, "normal mean %g var %g", m, var);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Initialisation                                                      */

static mlp_t *wide_net(void)
{
    mlp_spec s;
    mlp_t *net = NULL;
    memset(&s, 0, sizeof s);
    s.inputs = 100;
    s.n_layers = 2;
    s.layers[0].units = 200;
    s.layers[0].activation = MLP_ACT_RELU;
    s.layers[1].units = 10;
    s.layers[1].activation = MLP_ACT_LINEAR;
    s.loss = MLP_LOSS_MSE;
    ck_assert_int_eq(mlp_new(&s, NULL, NULL, &net), MLP_OK);
    return net;
}

/* Weight statistics of layer l: max |w| and the mean square; checks that
 * every bias is `bias` (or, with bias NAN, within +-scale and not all 0). */
static void layer_stats(const mlp_t *net, size_t l, double *max_abs, double *mean_sq,
                        double bias, double scale)
{
    size_t fan_in, w_off, b_off, units = mlp_get_spec(net)->layers[l].units;
    const double *p = mlp_params_const(net);
    ck_assert_int_eq(mlp_layer_offsets(net, l, &fan_in, &w_off, &b_off), MLP_OK);
    *max_abs = 0.0;
    *mean_sq = 0.0;
    for (size_t i = w_off; i < b_off; i++) {
        *max_abs = fmax(*max_abs, fabs(p[i]));
        *mean_sq += p[i] * p[i] / (double)(b_off - w_off);
    }
    int nonzero = 0;
    for (size_t i = b_off; i < b_off + units; i++) {
        if (isnan(bias)) {
            ck_assert(fabs(p[i]) <= scale);
            nonzero += p[i] != 0.0;
        } else {
            ck_assert(p[i] == bias);
        }
    }
    if (isnan(bias))
        ck_assert_int_gt(nonzero, 0);
}

START_TEST(init_methods_follow_their_formulas)
{
    mlp_t *net = wide_net();
    double mx, ms;
    const double fin[2] = {100, 200}, fout[2] = {200, 10};
    for (size_t l = 0; l < 2; l++) {
        double xa = sqrt(6.0 / (fin[l] + fout[l])), ha = sqrt(6.0 / fin[l]);
        ck_assert_int_eq(mlp_init(net, MLP_INIT_XAVIER_UNIFORM, 1, 0.0), MLP_OK);
        layer_stats(net, l, &mx, &ms, 0.0, 0.0);
        ck_assert(mx <= xa && mx > 0.9 * xa);
        ck_assert_msg(fabs(ms / (xa * xa / 3.0) - 1.0) < 0.1, "xavier_uniform var %g", ms);

        ck_assert_int_eq(mlp_init(net, MLP_INIT_HE_UNIFORM, 1, 0.0), MLP_OK);
        layer_stats(net, l, &mx, &ms, 0.0, 0.0);
        ck_assert(mx <= ha && mx > 0.9 * ha);

        ck_assert_int_eq(mlp_init(net, MLP_INIT_XAVIER_NORMAL, 2, 0.0), MLP_OK);
        layer_stats(net, l, &mx, &ms, 0.0, 0.0);
        ck_assert_msg(fabs(ms / (2.0 / (fin[l] + fout[l])) - 1.0) < 0.1, "xavier_normal var %g",
                      ms);

        ck_assert_int_eq(mlp_init(net, MLP_INIT_HE_NORMAL, 3, 0.0), MLP_OK);
        layer_stats(net, l, &mx, &ms, 0.0, 0.0);
        ck_assert_msg(fabs(ms / (2.0 / fin[l]) - 1.0) < 0.1, "he_normal var %g", ms);

        ck_assert_int_eq(mlp_init(net, MLP_INIT_UNIFORM, 4, 0.25), MLP_OK);
        layer_stats(net, l, &mx, &ms, NAN, 0.25);
        ck_assert(mx <= 0.25 && mx > 0.2);

        ck_assert_int_eq(mlp_init(net, MLP_INIT_ZERO, 5, 0.0), MLP_OK);
        layer_stats(net, l, &mx, &ms, 0.0, 0.0);
        ck_assert(mx == 0.0);
    }
    mlp_free(net);
}
END_TEST

START_TEST(init_is_seeded_and_checked)
{
    mlp_t *a = wide_net(), *b = wide_net();
    size_t bytes = mlp_param_count(a) * sizeof(double);
    for (int m = MLP_INIT_XAVIER_UNIFORM; m <= MLP_INIT_UNIFORM; m++) {
        ck_assert_int_eq(mlp_init(a, m, 9, 0.5), MLP_OK);
        ck_assert_int_eq(mlp_init(b, m, 9, 0.5), MLP_OK);
        ck_assert_int_eq(memcmp(mlp_params_const(a), mlp_params_const(b), bytes), 0);
        ck_assert_int_eq(mlp_init(b, m, 10, 0.5), MLP_OK);
        ck_assert(memcmp(mlp_params_const(a), mlp_params_const(b), bytes) != 0);
    }
    ck_assert_int_eq(mlp_init(b, MLP_INIT_XAVIER_UNIFORM, 9, 0.5), MLP_OK);
    memcpy(mlp_params(a), mlp_params_const(b), bytes);
    ck_assert_int_eq(mlp_init(b, 0, 9, 0.5), MLP_ERR_INVALID);
    ck_assert_int_eq(mlp_init(b, 99, 9, 0.5), MLP_ERR_INVALID);
    ck_assert_int_eq(memcmp(mlp_params_const(a), mlp_params_const(b), bytes), 0);
    mlp_free(a);
    mlp_free(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core_spec");
    TCase *tc = tcase_create("spec");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, lecture_spec_is_valid);
    tcase_add_test(tc, unknown_activation);
    tcase_add_test(tc, softmax_rules);
    tcase_add_test(tc, unknown_loss);
    tcase_add_test(tc, empty_things);
    tcase_add_test(tc, too_many_layers);
    tcase_add_test(tc, limits_are_enforced);
    tcase_add_test(tc, size_overflow_is_a_limit);
    tcase_add_test(tc, inputs_of_size_max_is_a_limit);
    suite_add_tcase(s, tc);
    tc = tcase_create("names");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, activation_names_and_aliases);
    tcase_add_test(tc, other_name_tables);
    suite_add_tcase(s, tc);
    tc = tcase_create("rng_init");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, rng_is_xoshiro256starstar);
    tcase_add_test(tc, rng_streams_are_seeded);
    tcase_add_test(tc, rng_uniform_and_normal);
    tcase_add_test(tc, init_methods_follow_their_formulas);
    tcase_add_test(tc, init_is_seeded_and_checked);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
