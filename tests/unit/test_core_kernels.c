/*
 * test_core_kernels.c - the fast paths of mlp_train against the plain ones
 * they replace: the tiny two-layer online kernel (core/tiny.c) against the
 * generic online step (core/online.c) and the loss definition; the epoch
 * loop of the generic online step against its one-step form; mini-batches
 * whose first layer reads data rows in place (core/batch.c) against mean
 * gradients written out. Each path also bit for bit against itself.
 */
#include <check.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "mlp.h"
#include "online.h"
#include "tiny.h"

#define ck_rel(got, want, tol, what, i)                                                     \
    ck_assert_msg(fabs((got) - (want)) <= (tol) * fmax(1.0, fabs(want)),                   \
                  "%s %zu: expected %.17g, got %.17g", (what), (size_t)(i), (double)(want), \
                  (double)(got))

typedef struct shape {
    size_t ni, nh, no;
    int hact, oact, loss;
} shape;

/* The register kernel (up to 3 inputs, 4 hidden units, one linear mse
 * output: 2-3-1, 1-3-1, 3-4-1 tanh, 3-2-1 relu), the general kernel with
 * constant sizes (2-6-1) and without (every activation and loss), and the
 * size limits. */
static const shape shapes[] = {
    {2, 3, 1, MLP_ACT_SIGMOID, MLP_ACT_LINEAR, MLP_LOSS_MSE},
    {2, 6, 1, MLP_ACT_SIGMOID, MLP_ACT_LINEAR, MLP_LOSS_MSE},
    {1, 3, 1, MLP_ACT_SIGMOID, MLP_ACT_LINEAR, MLP_LOSS_MSE},
    {3, 5, 2, MLP_ACT_TANH, MLP_ACT_SIGMOID, MLP_LOSS_CROSS_ENTROPY},
    {4, 7, 3, MLP_ACT_RELU, MLP_ACT_SOFTMAX, MLP_LOSS_CROSS_ENTROPY},
    {5, 16, 4, MLP_ACT_SIGMOID, MLP_ACT_TANH, MLP_LOSS_MSE},
    {16, 4, 8, MLP_ACT_LINEAR, MLP_ACT_LINEAR, MLP_LOSS_MSE},
    {2, 3, 1, MLP_ACT_SIGMOID, MLP_ACT_SIGMOID, MLP_LOSS_MSE},
    {3, 4, 1, MLP_ACT_TANH, MLP_ACT_LINEAR, MLP_LOSS_MSE},
    {3, 2, 1, MLP_ACT_RELU, MLP_ACT_LINEAR, MLP_LOSS_MSE},
};
#define N_SHAPES (sizeof shapes / sizeof shapes[0])

static mlp_t *net_of(const shape *s, uint64_t seed)
{
    mlp_spec spec;
    mlp_t *net = NULL;
    memset(&spec, 0, sizeof spec);
    spec.inputs = s->ni;
    spec.n_layers = 2;
    spec.layers[0] = (mlp_layer_spec){s->nh, s->hact};
    spec.layers[1] = (mlp_layer_spec){s->no, s->oact};
    spec.loss = s->loss;
    ck_assert_int_eq(mlp_new(&spec, NULL, NULL, &net), MLP_OK);
    ck_assert_int_eq(mlp_init(net, MLP_INIT_XAVIER_UNIFORM, seed, 0.0), MLP_OK);
    return net;
}

/* n rows of inputs in [-1, 1) and targets that suit the output: one-hot
 * for softmax, in (0, 1) for sigmoid, anything for the rest. */
typedef struct rows {
    size_t n;
    double *x, *y;
    mlp_data data;
} rows;

static void rows_make(rows *r, const shape *s, size_t n, uint64_t seed)
{
    mlp_rng rng;
    mlp_rng_seed(&rng, seed);
    r->n = n;
    r->x = malloc(n * s->ni * sizeof(double));
    r->y = malloc(n * s->no * sizeof(double));
    ck_assert(r->x && r->y);
    for (size_t i = 0; i < n * s->ni; i++)
        r->x[i] = 2.0 * mlp_rng_uniform(&rng) - 1.0;
    for (size_t k = 0; k < n; k++)
        for (size_t j = 0; j < s->no; j++) {
            double u = mlp_rng_uniform(&rng);
            if (s->oact == MLP_ACT_SOFTMAX)
                r->y[k * s->no + j] = j == k % s->no;
            else if (s->oact == MLP_ACT_SIGMOID)
                r->y[k * s->no + j] = 0.1 + 0.8 * u;
            else
                r->y[k * s->no + j] = 2.0 * u - 1.0;
        }
    r->data = (mlp_data){n, r->x, r->y};
}

static void rows_free(rows *r)
{
    free(r->x);
    free(r->y);
}

/* The generic online step over rows 0..n-1 in order, epochs times. */
static void generic_epochs(mlp_t *net, const rows *r, double eta, size_t epochs)
{
    const mlp_spec *s = mlp_get_spec(net);
    size_t units = s->layers[0].units + s->layers[1].units;
    double *acts = calloc(units, sizeof(double)), *deltas = calloc(units, sizeof(double));
    online_net o;
    ck_assert(acts && deltas);
    online_prepare(&o, net, acts, deltas);
    for (size_t e = 0; e < epochs; e++)
        for (size_t k = 0; k < r->n; k++)
            ck_assert_uint_eq(online_step(&o, r->x + k * s->inputs, r->y + k * mlp_outputs(net),
                                          eta), 0);
    free(acts);
    free(deltas);
}

static int same_params(const mlp_t *a, const mlp_t *b)
{
    return memcmp(mlp_params_const(a), mlp_params_const(b),
                  mlp_param_count(a) * sizeof(double)) == 0;
}

static mlp_train_opts online_opts(size_t epochs, double lr, int shuffle)
{
    mlp_train_opts o = mlp_default_train_opts();
    o.epochs = epochs;
    o.learning_rate = lr;
    o.batch_size = 1;
    o.shuffle = shuffle;
    o.seed = 9;
    return o;
}

/* ------------------------------------------------------------------ */
/* The tiny kernel                                                     */

/* mlp_train on a small net takes the tiny path (the same bits as calling
 * it directly), and its weights stay within rounding of the generic step's
 * after three epochs: the paths differ only in how exp is called. */
START_TEST(tiny_matches_generic_online)
{
    const shape *s = &shapes[_i];
    rows r;
    rows_make(&r, s, 37, 100 + (uint64_t)_i);
    mlp_t *trained = net_of(s, 7), *direct = NULL, *generic = NULL;
    ck_assert(tiny_fits(trained));
    ck_assert_int_eq(mlp_clone(trained, &direct), MLP_OK);
    ck_assert_int_eq(mlp_clone(trained, &generic), MLP_OK);
    mlp_train_opts o = online_opts(3, 0.05, 0);
    mlp_train_result res;
    ck_assert_int_eq(mlp_train(trained, &r.data, &o, NULL, &res), MLP_OK);
    ck_assert_int_eq(res.stop, MLP_STOP_EPOCHS);

    size_t order[37], done;
    for (size_t k = 0; k < 37; k++)
        order[k] = k;
    for (int e = 0; e < 3; e++) {
        ck_assert_uint_eq(tiny_epoch(direct, &r.data, order, 37, 0.05, NULL, &done), 0);
        ck_assert_uint_eq(done, 37);
    }
    ck_assert_msg(same_params(trained, direct), "shape %d: mlp_train is not the tiny path", _i);

    generic_epochs(generic, &r, 0.05, 3);
    const double *p = mlp_params_const(trained), *q = mlp_params_const(generic);
    for (size_t i = 0; i < mlp_param_count(trained); i++)
        ck_rel(p[i], q[i], 1e-11, "param", i);
    /* the reported loss is the definition's, with end-of-epoch weights */
    double want;
    ck_assert_int_eq(mlp_data_loss(trained, &r.data, NULL, &want), MLP_OK);
    ck_rel(res.loss, want, 1e-12, "loss", 0);
    mlp_free(trained);
    mlp_free(direct);
    mlp_free(generic);
    rows_free(&r);
}
END_TEST

/* The loss pass four rows to a vector: every count of rows (whole groups
 * and each tail) and offsets into the data, against mlp_data_loss. */
START_TEST(tiny_loss_matches_definition)
{
    const shape *s = &shapes[_i];
    rows r;
    rows_make(&r, s, 23, 200 + (uint64_t)_i);
    mlp_t *net = net_of(s, 11);
    for (size_t first = 0; first < 3; first++)
        for (size_t n = 1; n + first <= r.n; n++) {
            mlp_data part = {n, r.x + first * s->ni, r.y + first * s->no};
            double want, got = tiny_loss_sum(net, &r.data, first, n) / (double)n;
            ck_assert_int_eq(mlp_data_loss(net, &part, NULL, &want), MLP_OK);
            ck_rel(got, want, 1e-13, "rows", n);
        }
    mlp_free(net);
    rows_free(&r);
}
END_TEST

/* Same net, data and options (shuffled): the same weights, bit for bit;
 * another shuffle seed: other weights. */
START_TEST(tiny_is_deterministic)
{
    const shape *s = &shapes[_i];
    rows r;
    rows_make(&r, s, 29, 300 + (uint64_t)_i);
    mlp_t *a = net_of(s, 5), *b = net_of(s, 5), *c = net_of(s, 5);
    mlp_train_opts o = online_opts(4, 0.05, 1);
    mlp_train_result ra, rb;
    ck_assert_int_eq(mlp_train(a, &r.data, &o, NULL, &ra), MLP_OK);
    ck_assert_int_eq(mlp_train(b, &r.data, &o, NULL, &rb), MLP_OK);
    o.seed = 10;
    ck_assert_int_eq(mlp_train(c, &r.data, &o, NULL, &(mlp_train_result){0}), MLP_OK);
    ck_assert(same_params(a, b));
    ck_assert(ra.loss == rb.loss);
    ck_assert(!same_params(a, c));
    ck_assert(tiny_loss_sum(a, &r.data, 0, r.n) == tiny_loss_sum(b, &r.data, 0, r.n));
    mlp_free(a);
    mlp_free(b);
    mlp_free(c);
    rows_free(&r);
}
END_TEST

/* A raised cancel flag stops before the first row and changes nothing; a
 * diverging row stops the epoch, names the layer and leaves the weights
 * of the row before, like online_step. */
START_TEST(tiny_cancel_and_divergence)
{
    const shape *s = &shapes[0];
    rows r;
    rows_make(&r, s, 8, 400);
    mlp_t *net = net_of(s, 3), *before = NULL;
    ck_assert_int_eq(mlp_clone(net, &before), MLP_OK);
    size_t order[8] = {0, 1, 2, 3, 4, 5, 6, 7}, done = 99;
    atomic_int cancel = 1;
    ck_assert_uint_eq(tiny_epoch(net, &r.data, order, 8, 0.1, &cancel, &done), 0);
    ck_assert_uint_eq(done, 0);
    ck_assert(same_params(net, before));

    r.x[5 * s->ni] = NAN; /* row 5 makes the hidden layer NaN */
    atomic_store(&cancel, 0);
    ck_assert_uint_eq(tiny_epoch(net, &r.data, order, 8, 0.1, &cancel, &done), 1);
    ck_assert_uint_eq(done, 5);
    generic_epochs(before, &(rows){.n = 5, .x = r.x, .y = r.y}, 0.1, 1);
    const double *p = mlp_params_const(net), *q = mlp_params_const(before);
    for (size_t i = 0; i < mlp_param_count(net); i++) {
        ck_assert(isfinite(p[i]));
        ck_rel(p[i], q[i], 1e-12, "param", i);
    }
    mlp_free(net);
    mlp_free(before);
    rows_free(&r);
}
END_TEST

START_TEST(tiny_fits_only_small_two_layer_nets)
{
    shape big_in = {TINY_MAX_IN + 1, 3, 1, MLP_ACT_SIGMOID, MLP_ACT_LINEAR, MLP_LOSS_MSE};
    shape big_h = {2, TINY_MAX_HIDDEN + 1, 1, MLP_ACT_SIGMOID, MLP_ACT_LINEAR, MLP_LOSS_MSE};
    shape big_out = {2, 3, TINY_MAX_OUT + 1, MLP_ACT_SIGMOID, MLP_ACT_LINEAR, MLP_LOSS_MSE};
    mlp_t *a = net_of(&big_in, 1), *b = net_of(&big_h, 1), *c = net_of(&big_out, 1);
    ck_assert(!tiny_fits(a) && !tiny_fits(b) && !tiny_fits(c));
    mlp_spec spec = *mlp_get_spec(a);
    spec.inputs = 2;
    spec.n_layers = 3;
    spec.layers[2] = (mlp_layer_spec){1, MLP_ACT_LINEAR};
    mlp_t *deep = NULL;
    ck_assert_int_eq(mlp_new(&spec, NULL, NULL, &deep), MLP_OK);
    ck_assert(!tiny_fits(deep));
    mlp_free(a), mlp_free(b), mlp_free(c), mlp_free(deep);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The generic online epoch loop                                       */

/* online_epoch (one call per epoch, AVX2 clone where the CPU has it) is
 * online_step row by row, bit for bit, and mlp_train uses it for nets too
 * big for the tiny path. */
START_TEST(online_epoch_is_online_step)
{
    mlp_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.inputs = 6;
    spec.n_layers = 3;
    spec.layers[0] = (mlp_layer_spec){20, MLP_ACT_TANH};
    spec.layers[1] = (mlp_layer_spec){7, MLP_ACT_SIGMOID};
    spec.layers[2] = (mlp_layer_spec){2, MLP_ACT_LINEAR};
    spec.loss = MLP_LOSS_MSE;
    shape s = {6, 20, 2, MLP_ACT_TANH, MLP_ACT_LINEAR, MLP_LOSS_MSE};
    rows r;
    rows_make(&r, &s, 33, 500);
    mlp_t *a = NULL, *b = NULL, *c = NULL;
    ck_assert_int_eq(mlp_new(&spec, NULL, NULL, &a), MLP_OK);
    ck_assert_int_eq(mlp_init(a, MLP_INIT_XAVIER_UNIFORM, 4, 0.0), MLP_OK);
    ck_assert(!tiny_fits(a));
    ck_assert_int_eq(mlp_clone(a, &b), MLP_OK);
    ck_assert_int_eq(mlp_clone(a, &c), MLP_OK);
    mlp_train_opts o = online_opts(2, 0.03, 0);
    ck_assert_int_eq(mlp_train(a, &r.data, &o, NULL, &(mlp_train_result){0}), MLP_OK);

    double acts[29], deltas[29];
    size_t order[33], done;
    online_net ob, oc;
    for (size_t k = 0; k < 33; k++)
        order[k] = k;
    online_prepare(&ob, b, acts, deltas);
    for (int e = 0; e < 2; e++) {
        ck_assert_uint_eq(online_epoch(&ob, &r.data, order, 33, 0.03, NULL, &done), 0);
        ck_assert_uint_eq(done, 33);
    }
    online_prepare(&oc, c, acts, deltas);
    for (int e = 0; e < 2; e++)
        for (size_t k = 0; k < 33; k++)
            ck_assert_uint_eq(online_step(&oc, r.x + k * 6, r.y + k * 2, 0.03), 0);
    ck_assert(same_params(a, b));
    ck_assert(same_params(b, c));
    mlp_free(a), mlp_free(b), mlp_free(c);
    rows_free(&r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Mini-batches reading rows in place                                  */

/* 20 inputs x 16 units = 320 weights: layer 0 goes through BLAS with the
 * rows as they are (in place when unshuffled, gathered when shuffled). */
static mlp_t *wide_net(void)
{
    shape s = {20, 16, 3, MLP_ACT_TANH, MLP_ACT_LINEAR, MLP_LOSS_MSE};
    return net_of(&s, 21);
}

/* w -= lr * mean gradient of rows [first, first + n), from mlp_gradient. */
static void reference_step(mlp_t *net, const rows *r, size_t first, size_t n, double lr)
{
    size_t P = mlp_param_count(net);
    double *g = calloc(P, sizeof(double)), *one = malloc(P * sizeof(double));
    ck_assert(g && one);
    for (size_t k = first; k < first + n; k++) {
        ck_assert_int_eq(mlp_gradient(net, r->x + k * 20, r->y + k * 3, one, NULL), MLP_OK);
        for (size_t i = 0; i < P; i++)
            g[i] += one[i] / (double)n;
    }
    for (size_t i = 0; i < P; i++)
        mlp_params(net)[i] -= lr * g[i];
    free(g);
    free(one);
}

/* Batches of 8 in order (rows read in place at offsets 0, 8, 16 and a
 * short last batch of 6), and one full batch shuffled (rows gathered):
 * the mean gradient step, within rounding. */
START_TEST(mini_batch_rows_in_place_match_reference)
{
    shape s = {20, 16, 3, MLP_ACT_TANH, MLP_ACT_LINEAR, MLP_LOSS_MSE};
    rows r;
    rows_make(&r, &s, 30, 600);
    for (int shuffled = 0; shuffled < 2; shuffled++) {
        mlp_t *net = wide_net(), *ref = NULL;
        size_t batch = shuffled ? 30 : 8;
        ck_assert(batch_rowmajor_input(net, batch) && batch_rowmajor_input(net, 6));
        ck_assert_int_eq(mlp_clone(net, &ref), MLP_OK);
        mlp_train_opts o = mlp_default_train_opts();
        o.epochs = 1;
        o.learning_rate = 0.2;
        o.batch_size = batch;
        o.shuffle = shuffled;
        mlp_train_result res;
        ck_assert_int_eq(mlp_train(net, &r.data, &o, NULL, &res), MLP_OK);
        for (size_t first = 0; first < 30; first += batch)
            reference_step(ref, &r, first, 30 - first < batch ? 30 - first : batch, 0.2);
        const double *p = mlp_params_const(net), *q = mlp_params_const(ref);
        for (size_t i = 0; i < mlp_param_count(net); i++)
            ck_rel(p[i], q[i], 1e-12, shuffled ? "shuffled: param" : "in order: param", i);
        double want;
        ck_assert_int_eq(mlp_data_loss(net, &r.data, NULL, &want), MLP_OK);
        ck_rel(res.loss, want, 1e-12, "loss", 0);
        mlp_free(net);
        mlp_free(ref);
    }
    rows_free(&r);
}
END_TEST

/* The same mini-batch run twice, shuffled and not: the same bits. */
START_TEST(mini_batch_rows_in_place_deterministic)
{
    shape s = {20, 16, 3, MLP_ACT_TANH, MLP_ACT_LINEAR, MLP_LOSS_MSE};
    rows r;
    rows_make(&r, &s, 50, 700);
    for (int shuffled = 0; shuffled < 2; shuffled++) {
        mlp_t *a = wide_net(), *b = wide_net();
        mlp_train_opts o = mlp_default_train_opts();
        o.epochs = 3;
        o.batch_size = 16;
        o.shuffle = shuffled;
        o.optimizer = MLP_OPT_ADAM;
        o.learning_rate = 0.01;
        ck_assert_int_eq(mlp_train(a, &r.data, &o, NULL, &(mlp_train_result){0}), MLP_OK);
        ck_assert_int_eq(mlp_train(b, &r.data, &o, NULL, &(mlp_train_result){0}), MLP_OK);
        ck_assert(same_params(a, b));
        mlp_free(a);
        mlp_free(b);
    }
    rows_free(&r);
}
END_TEST

static Suite *kernels_suite(void)
{
    Suite *s = suite_create("core_kernels");
    TCase *tc = tcase_create("tiny");
    tcase_add_loop_test(tc, tiny_matches_generic_online, 0, (int)N_SHAPES);
    tcase_add_loop_test(tc, tiny_loss_matches_definition, 0, (int)N_SHAPES);
    tcase_add_loop_test(tc, tiny_is_deterministic, 0, (int)N_SHAPES);
    tcase_add_test(tc, tiny_cancel_and_divergence);
    tcase_add_test(tc, tiny_fits_only_small_two_layer_nets);
    suite_add_tcase(s, tc);
    tc = tcase_create("online");
    tcase_add_test(tc, online_epoch_is_online_step);
    suite_add_tcase(s, tc);
    tc = tcase_create("batch");
    tcase_add_test(tc, mini_batch_rows_in_place_match_reference);
    tcase_add_test(tc, mini_batch_rows_in_place_deterministic);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(kernels_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
