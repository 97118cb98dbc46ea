/*
 * test_core_f32.c - float32 training and prediction (MLP_DTYPE_FLOAT32:
 * core/batch32.c, train32.c, net32.c) against the double paths: the float
 * mean gradient against the double analytic one (itself checked against
 * finite differences in test_core_grad.c) within a float tolerance, and
 * against float central differences; float32 training against float64
 * training; float predict against double predict; the float64 default
 * unchanged; the thread's MXCSR restored; allocation failures.
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "f32.h"
#include "mlp.h"
#include "util_testalloc.h"

typedef struct shape {
    size_t ni, nh, no;
    int hact, oact, loss;
} shape;

/* Loops (under 256 weights) and sgemm layers (the first reads rows in
 * place when a block has more than one row), every activation and loss. */
static const shape shapes[] = {
    {2, 3, 1, MLP_ACT_SIGMOID, MLP_ACT_LINEAR, MLP_LOSS_MSE},
    {3, 5, 2, MLP_ACT_TANH, MLP_ACT_SIGMOID, MLP_LOSS_CROSS_ENTROPY},
    {4, 7, 3, MLP_ACT_RELU, MLP_ACT_SOFTMAX, MLP_LOSS_CROSS_ENTROPY},
    {40, 32, 10, MLP_ACT_SIGMOID, MLP_ACT_LINEAR, MLP_LOSS_MSE},
    {64, 48, 12, MLP_ACT_TANH, MLP_ACT_SOFTMAX, MLP_LOSS_CROSS_ENTROPY},
};
#define N_SHAPES (sizeof shapes / sizeof shapes[0])

static mlp_t *make(const shape *sh, uint64_t seed)
{
    mlp_spec spec = {.inputs = sh->ni, .n_layers = 2, .loss = sh->loss};
    spec.layers[0] = (mlp_layer_spec){sh->nh, sh->hact};
    spec.layers[1] = (mlp_layer_spec){sh->no, sh->oact};
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_new(&spec, NULL, NULL, &net), MLP_OK);
    ck_assert_int_eq(mlp_init(net, MLP_INIT_XAVIER_UNIFORM, seed, 0.0), MLP_OK);
    return net;
}

/* n rows of inputs in [-1, 1) and targets fitting the output (one-hot for
 * softmax, in (0, 1) for sigmoid). */
static void make_data(const shape *sh, size_t n, uint64_t seed, double *x, double *y)
{
    mlp_rng rng;
    mlp_rng_seed(&rng, seed);
    for (size_t i = 0; i < n * sh->ni; i++)
        x[i] = 2.0 * mlp_rng_uniform(&rng) - 1.0;
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < sh->no; j++) {
            double u = mlp_rng_uniform(&rng);
            if (sh->oact == MLP_ACT_SOFTMAX)
                y[r * sh->no + j] = j == r % sh->no ? 1.0 : 0.0;
            else
                y[r * sh->no + j] = sh->oact == MLP_ACT_SIGMOID ? 0.1 + 0.8 * u : 2.0 * u - 1.0;
        }
}

static size_t f_units(const mlp_t *net)
{
    return net->total_units;
}

/* The float mean gradient of rows [0, n) as mlp_train's float path
 * computes it (blocks laid out as batch32 wants). */
static void grad32(const mlp_f32_t *f, size_t n, const double *x, const double *y, float *g)
{
    const struct mlp *net = &f->shape;
    size_t ni = net->spec.inputs, no = mlp_outputs(net), P = net->n_params;
    float *xb = malloc(n * ni * sizeof(float)), *yb = malloc(n * no * sizeof(float));
    float *acts = malloc(n * net->total_units * sizeof(float));
    float *deltas = malloc(n * net->total_units * sizeof(float));
    ck_assert(xb && yb && acts && deltas);
    if (batch32_rowmajor_input(f, n))
        for (size_t i = 0; i < n * ni; i++)
            xb[i] = (float)x[i];
    else
        batch32_transpose_in(xb, x, n, ni, ni);
    batch32_transpose_in(yb, y, n, no, no);
    memset(g, 0, P * sizeof(float));
    ck_assert_uint_eq(batch32_gradient(f, n, xb, yb, acts, deltas, g), 0);
    free(xb);
    free(yb);
    free(acts);
    free(deltas);
}

/* Relative to the largest entry: float sums of n products keep about
 * 1e-6 of it; 1e-4 leaves room for sgemm's blocking and exp/tanh in float. */
START_TEST(float_gradient_matches_double_analytic)
{
    const shape *sh = &shapes[_i];
    const size_t counts[] = {1, 2, 7, 33};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        size_t n = counts[c];
        mlp_t *net = make(sh, 11 + _i);
        size_t P = mlp_param_count(net);
        double *x = malloc(n * sh->ni * sizeof(double)), *y = malloc(n * sh->no * sizeof(double));
        double *g64 = calloc(P, sizeof(double)), *one = malloc(P * sizeof(double));
        float *g = malloc(P * sizeof(float));
        ck_assert(x && y && g64 && one && g);
        make_data(sh, n, 5 + c, x, y);
        mlp_f32_t *f = NULL;
        ck_assert_int_eq(mlp_f32_new(net, NULL, &f), MLP_OK);
        /* the double side on the same (float-rounded) weights */
        double *p = mlp_params(net);
        for (size_t i = 0; i < P; i++)
            p[i] = (double)(float)p[i];
        for (size_t r = 0; r < n; r++) {
            ck_assert_int_eq(mlp_gradient(net, x + r * sh->ni, y + r * sh->no, one, NULL), MLP_OK);
            for (size_t i = 0; i < P; i++)
                g64[i] += one[i] / (double)n;
        }
        grad32(f, n, x, y, g);
        double big = 0.0, worst = 0.0;
        for (size_t i = 0; i < P; i++)
            big = fmax(big, fabs(g64[i]));
        for (size_t i = 0; i < P; i++)
            worst = fmax(worst, fabs((double)g[i] - g64[i]));
        ck_assert_msg(big > 0.0 && worst <= 1e-4 * big,
                      "shape %d rows %zu: max |g32 - g64| = %.3g, max |g64| = %.3g", _i, n, worst,
                      big);
        mlp_f32_free(f);
        mlp_free(net);
        free(x), free(y), free(g64), free(one), free(g);
    }
}
END_TEST

/* Central differences of the float loss (summed in double), step 1e-2:
 * in float, smaller steps drown in rounding. Each checked weight within
 * 2% of the largest gradient entry. */
START_TEST(float_gradient_matches_float_differences)
{
    const shape *sh = &shapes[_i];
    const size_t n = 5;
    mlp_t *net = make(sh, 21 + _i);
    size_t P = mlp_param_count(net), ni = sh->ni, no = sh->no;
    double x[64 * 5], y[12 * 5];
    float *g = malloc(P * sizeof(float));
    float *acts = malloc(n * f_units(net) * sizeof(float));
    ck_assert(g && acts);
    make_data(sh, n, 9, x, y);
    mlp_f32_t *f = NULL;
    ck_assert_int_eq(mlp_f32_new(net, NULL, &f), MLP_OK);
    grad32(f, n, x, y, g);
    float xb[64 * 5], yb[12 * 5];
    if (batch32_rowmajor_input(f, n))
        for (size_t i = 0; i < n * ni; i++)
            xb[i] = (float)x[i];
    else
        batch32_transpose_in(xb, x, n, ni, ni);
    batch32_transpose_in(yb, y, n, no, no);
    size_t L = 2, out_off = n * f->shape.act_off[L - 1];
    double big = 0.0;
    for (size_t i = 0; i < P; i++)
        big = fmax(big, fabs((double)g[i]));
    for (size_t i = 0; i < P; i += 1 + P / 40) {
        const float h = 1e-2f, keep = f->params[i];
        f->params[i] = keep + h;
        batch32_forward(f, n, xb, acts);
        double up = batch32_loss_sum(f, n, acts + out_off, yb);
        f->params[i] = keep - h;
        batch32_forward(f, n, xb, acts);
        double down = batch32_loss_sum(f, n, acts + out_off, yb);
        f->params[i] = keep;
        double num = (up - down) / (2.0 * (double)h) / (double)n;
        ck_assert_msg(fabs(num - (double)g[i]) <= 2e-2 * big,
                      "shape %d param %zu: numeric %.6g, analytic %.6g", _i, i, num, (double)g[i]);
    }
    mlp_f32_free(f);
    mlp_free(net);
    free(g);
    free(acts);
}
END_TEST

static mlp_train_opts opts(int dtype, size_t batch, int optimizer)
{
    mlp_train_opts o = mlp_default_train_opts();
    o.epochs = 30;
    o.learning_rate = optimizer == MLP_OPT_ADAM ? 0.003 : (batch == 1 ? 0.02 : 0.2);
    o.batch_size = batch;
    o.optimizer = optimizer;
    o.momentum = 0.5;
    o.dtype = dtype;
    return o;
}

/* float32 training ends near float64's loss, is deterministic, leaves
 * float-exact weights, and reports the loss of those weights. */
START_TEST(float32_training_tracks_float64)
{
    const shape *sh = &shapes[3 + (_i % 2)];
    const size_t batches[] = {1, 16, 64}, n = 256;
    const int optimizers[] = {MLP_OPT_SGD, MLP_OPT_NESTEROV, MLP_OPT_ADAM};
    size_t batch = batches[_i / 2 % 3];
    int opt = optimizers[_i / 6 % 3];
    double *x = malloc(n * sh->ni * sizeof(double)), *y = malloc(n * sh->no * sizeof(double));
    ck_assert(x && y);
    make_data(sh, n, 3, x, y);
    mlp_data d = {.n = n, .x = x, .y = y};
    mlp_t *a = make(sh, 7), *b = NULL, *c = NULL, *start = NULL;
    ck_assert_int_eq(mlp_clone(a, &b), MLP_OK);
    ck_assert_int_eq(mlp_clone(a, &c), MLP_OK);
    ck_assert_int_eq(mlp_clone(a, &start), MLP_OK);
    mlp_train_opts o64 = opts(MLP_DTYPE_FLOAT64, batch, opt), o32 = opts(MLP_DTYPE_FLOAT32, batch, opt);
    o64.validation_split = o32.validation_split = 0.25;
    mlp_train_result r64, r32, r32b;
    ck_assert_int_eq(mlp_train(a, &d, &o64, NULL, &r64), MLP_OK);
    ck_assert_int_eq(mlp_train(b, &d, &o32, NULL, &r32), MLP_OK);
    ck_assert_int_eq(mlp_train(c, &d, &o32, NULL, &r32b), MLP_OK);
    double l0;
    ck_assert_int_eq(mlp_data_loss(start, &d, NULL, &l0), MLP_OK);
    ck_assert_msg(r64.loss < l0 && r32.loss < l0, "both learn: %g %g from %g", r64.loss, r32.loss,
                  l0);
    ck_assert_msg(fabs(r32.loss - r64.loss) <= 0.02 * r64.loss + 1e-6,
                  "batch %zu opt %d: float32 loss %.9g vs float64 %.9g", batch, opt, r32.loss,
                  r64.loss);
    ck_assert_int_eq(memcmp(mlp_params(b), mlp_params(c), mlp_param_count(b) * sizeof(double)), 0);
    const double *p = mlp_params_const(b);
    for (size_t i = 0; i < mlp_param_count(b); i++)
        ck_assert(p[i] == (double)(float)p[i]);
    /* the reported loss is that of the weights left (float-computed) */
    mlp_data train = {.n = 192, .x = x, .y = y};
    double l32;
    ck_assert_int_eq(mlp_data_loss(b, &train, NULL, &l32), MLP_OK);
    ck_assert_msg(fabs(l32 - r32.loss) <= 1e-4 * l32, "reported %.9g, recomputed %.9g", r32.loss,
                  l32);
    mlp_free(a), mlp_free(b), mlp_free(c), mlp_free(start);
    free(x), free(y);
}
END_TEST

/* The lecture's online rule in float (core/online32.c): near float64's
 * fused kernels, float-exact weights, deterministic; a cancel stops it. */
START_TEST(float32_online_rule_tracks_float64)
{
    const shape *sh = &shapes[_i];
    const size_t n = 200;
    double *x = malloc(n * sh->ni * sizeof(double)), *y = malloc(n * sh->no * sizeof(double));
    ck_assert(x && y);
    make_data(sh, n, 12, x, y);
    mlp_data d = {.n = n, .x = x, .y = y};
    mlp_t *a = make(sh, 2), *b = NULL, *c = NULL;
    ck_assert_int_eq(mlp_clone(a, &b), MLP_OK);
    ck_assert_int_eq(mlp_clone(a, &c), MLP_OK);
    mlp_train_opts o64 = opts(MLP_DTYPE_FLOAT64, 1, MLP_OPT_SGD), o32 = o64;
    o64.momentum = o32.momentum = 0.0;
    o32.dtype = MLP_DTYPE_FLOAT32;
    mlp_train_result r64, r32, r32b;
    ck_assert_int_eq(mlp_train(a, &d, &o64, NULL, &r64), MLP_OK);
    ck_assert_int_eq(mlp_train(b, &d, &o32, NULL, &r32), MLP_OK);
    ck_assert_int_eq(mlp_train(c, &d, &o32, NULL, &r32b), MLP_OK);
    ck_assert_msg(fabs(r32.loss - r64.loss) <= 0.02 * r64.loss + 1e-6,
                  "shape %d: float32 online loss %.9g vs float64 %.9g", _i, r32.loss, r64.loss);
    ck_assert_int_eq(memcmp(mlp_params(b), mlp_params(c), mlp_param_count(b) * sizeof(double)), 0);
    for (size_t i = 0; i < mlp_param_count(b); i++)
        ck_assert(mlp_params(b)[i] == (double)(float)mlp_params(b)[i]);
    atomic_int cancel = 1;
    o32.cancel = &cancel;
    ck_assert_int_eq(mlp_train(c, &d, &o32, NULL, &r32b), MLP_OK);
    ck_assert_int_eq(r32b.stop, MLP_STOP_CANCELLED);
    mlp_free(a), mlp_free(b), mlp_free(c);
    free(x), free(y);
}
END_TEST

/* dtype 0 (every existing caller) and MLP_DTYPE_FLOAT64 are the same code:
 * identical weights, bit for bit, on every path. */
START_TEST(float64_is_the_default_bit_for_bit)
{
    const shape *sh = &shapes[_i % N_SHAPES];
    size_t batch = _i < (int)N_SHAPES ? 1 : 8, n = 64;
    double x[64 * 64], y[64 * 12];
    make_data(sh, n, 4, x, y);
    mlp_data d = {.n = n, .x = x, .y = y};
    mlp_t *a = make(sh, 3), *b = NULL;
    ck_assert_int_eq(mlp_clone(a, &b), MLP_OK);
    mlp_train_opts o = opts(0, batch, MLP_OPT_SGD), o64 = opts(MLP_DTYPE_FLOAT64, batch, MLP_OPT_SGD);
    o.momentum = o64.momentum = 0.0;
    mlp_train_result r;
    ck_assert_int_eq(mlp_train(a, &d, &o, NULL, &r), MLP_OK);
    ck_assert_int_eq(mlp_train(b, &d, &o64, NULL, &r), MLP_OK);
    ck_assert_int_eq(memcmp(mlp_params(a), mlp_params(b), mlp_param_count(a) * sizeof(double)), 0);
    mlp_free(a), mlp_free(b);
}
END_TEST

START_TEST(float_predict_matches_double)
{
    const shape *sh = &shapes[_i];
    const size_t n = 37;
    mlp_t *net = make(sh, 31);
    double *x = malloc(n * sh->ni * sizeof(double)), *y = malloc(n * sh->no * sizeof(double));
    double *y64 = malloc(n * sh->no * sizeof(double)), *y32 = malloc(n * sh->no * sizeof(double));
    double *w = malloc(mlp_work_size(net) * sizeof(double));
    ck_assert(x && y && y64 && y32 && w);
    make_data(sh, n, 8, x, y);
    ck_assert_int_eq(mlp_predict(net, n, x, y64, w), MLP_OK);
    mlp_f32_t *f = NULL;
    ck_assert_int_eq(mlp_f32_new(net, NULL, &f), MLP_OK);
    ck_assert_uint_gt(mlp_f32_memory_size(f), mlp_param_count(net) * sizeof(float));
    const size_t blocks[] = {1, 5, 64};
    for (size_t k = 0; k < 3; k++) {
        float *work = malloc(mlp_f32_work_size(f, blocks[k]) * sizeof(float));
        ck_assert_ptr_nonnull(work);
        ck_assert_int_eq(mlp_f32_predict(f, n, x, y32, work, blocks[k]), MLP_OK);
        for (size_t i = 0; i < n * sh->no; i++)
            ck_assert_msg(fabs(y32[i] - y64[i]) <= 1e-5 * fmax(1.0, fabs(y64[i])),
                          "shape %d block %zu out %zu: %.9g vs %.9g", _i, blocks[k], i, y32[i],
                          y64[i]);
        free(work);
    }
    mlp_f32_free(f);
    mlp_f32_free(NULL);
    mlp_free(net);
    free(x), free(y), free(y64), free(y32), free(w);
}
END_TEST

/* The float calls flush subnormals only while they run. */
START_TEST(mxcsr_is_restored)
{
#if defined(__x86_64__)
    /* control bits only: the low six are sticky exception flags */
    unsigned before = _mm_getcsr() & ~0x3fu;
    const shape *sh = &shapes[3];
    double x[40 * 32], y[10 * 32];
    make_data(sh, 32, 2, x, y);
    mlp_data d = {.n = 32, .x = x, .y = y};
    mlp_t *net = make(sh, 1);
    mlp_train_opts o = opts(MLP_DTYPE_FLOAT32, 8, MLP_OPT_SGD);
    mlp_train_result r;
    ck_assert_int_eq(mlp_train(net, &d, &o, NULL, &r), MLP_OK);
    ck_assert_uint_eq(_mm_getcsr() & ~0x3fu, before);
    volatile double tiny = DBL_MIN;
    ck_assert(tiny / 4.0 > 0.0); /* double subnormals still exist */
    mlp_f32_t *f = NULL;
    float work[(40 + 42) * 4];
    double out[10 * 4];
    ck_assert_int_eq(mlp_f32_new(net, NULL, &f), MLP_OK);
    ck_assert_int_eq(mlp_f32_predict(f, 4, x, out, work, 4), MLP_OK);
    ck_assert_uint_eq(_mm_getcsr() & ~0x3fu, before);
    mlp_f32_free(f);
    mlp_free(net);
#endif
}
END_TEST

START_TEST(dtype_names_and_checks)
{
    ck_assert_int_eq(mlp_dtype_from_name("float32"), MLP_DTYPE_FLOAT32);
    ck_assert_int_eq(mlp_dtype_from_name("float64"), MLP_DTYPE_FLOAT64);
    ck_assert_int_eq(mlp_dtype_from_name("float16"), 0);
    ck_assert_int_eq(mlp_dtype_from_name(NULL), 0);
    ck_assert_str_eq(mlp_dtype_name(0), "float64");
    ck_assert_ptr_null(mlp_dtype_name(9));
    mlp_train_opts o = mlp_default_train_opts();
    mlp_spec_error err;
    o.dtype = 9;
    ck_assert_int_eq(mlp_train_opts_check(&o, &err), MLP_ERR_INVALID);
    ck_assert_str_eq(err.field, "dtype");
}
END_TEST

/* Every allocation of a float32 run failing in turn: a clean error, no
 * leak, the network untouched. */
START_TEST(float32_allocation_failures)
{
    const shape *sh = &shapes[3];
    double x[40 * 32], y[10 * 32];
    make_data(sh, 32, 2, x, y);
    mlp_data d = {.n = 32, .x = x, .y = y};
    mlp_t *net = make(sh, 1), *keep = NULL;
    ck_assert_int_eq(mlp_clone(net, &keep), MLP_OK);
    mlp_train_opts o = opts(MLP_DTYPE_FLOAT32, 8, MLP_OPT_ADAM);
    testalloc ta;
    testalloc_init(&ta);
    mlp_allocator al = testalloc_allocator(&ta);
    mlp_train_result r;
    ck_assert_int_eq(mlp_train(net, &d, &o, &al, &r), MLP_OK);
    size_t needed = ta.calls;
    ck_assert_uint_ge(needed, 2);
    ck_assert_uint_eq(ta.live, 0);
    for (size_t k = 1; k <= needed; k++) {
        mlp_t *n2 = NULL;
        ck_assert_int_eq(mlp_clone(keep, &n2), MLP_OK);
        testalloc_init(&ta);
        testalloc_fail_nth(&ta, k);
        ck_assert_int_eq(mlp_train(n2, &d, &o, &al, &r), MLP_ERR_NOMEM);
        ck_assert_uint_eq(ta.live, 0);
        ck_assert_int_eq(memcmp(mlp_params(n2), mlp_params(keep),
                                mlp_param_count(keep) * sizeof(double)), 0);
        mlp_free(n2);
    }
    mlp_f32_t *f = NULL;
    testalloc_init(&ta);
    testalloc_fail_nth(&ta, 1);
    ck_assert_int_eq(mlp_f32_new(net, &al, &f), MLP_ERR_NOMEM);
    ck_assert_ptr_null(f);
    mlp_free(net);
    mlp_free(keep);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core_f32");
    TCase *tc = tcase_create("gradients");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, float_gradient_matches_double_analytic, 0, (int)N_SHAPES);
    tcase_add_loop_test(tc, float_gradient_matches_float_differences, 0, (int)N_SHAPES);
    suite_add_tcase(s, tc);
    tc = tcase_create("training");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, float32_training_tracks_float64, 0, 18);
    tcase_add_loop_test(tc, float64_is_the_default_bit_for_bit, 0, 2 * (int)N_SHAPES);
    tcase_add_loop_test(tc, float32_online_rule_tracks_float64, 0, (int)N_SHAPES);
    tcase_add_test(tc, mxcsr_is_restored);
    tcase_add_test(tc, dtype_names_and_checks);
    tcase_add_test(tc, float32_allocation_failures);
    suite_add_tcase(s, tc);
    tc = tcase_create("predict");
    tcase_add_loop_test(tc, float_predict_matches_double, 0, (int)N_SHAPES);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
