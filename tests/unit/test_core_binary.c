/*
 * test_core_binary.c - a classifier with one sigmoid output unit and the
 * cross_entropy loss is binary log-loss, E = -(d ln y + (1 - d) ln(1 - y)),
 * whose output delta (-dE/dv) is d - y: checked by central differences on
 * random networks of one, two and three layers, in mlp_step's trace, and
 * through every training path (the tiny two-layer kernel, the general
 * online step, per-sample optimizer steps, mini-batch products, float32)
 * against plain gradient descent written out here from mlp_gradient.
 * (Its mean over rows equals sklearn's log_loss: test_core_realdata.c.)
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"

#define N_ROWS 9
#define H 1e-6

/* inputs -> hidden... -> 1 sigmoid; weights U(-1.5, 1.5) from seed. */
static mlp_t *binary_net(size_t inputs, size_t n_hidden, const size_t *hidden, int act,
                         uint64_t seed)
{
    mlp_spec s = {.inputs = inputs, .n_layers = n_hidden + 1, .loss = MLP_LOSS_CROSS_ENTROPY};
    for (size_t l = 0; l < n_hidden; l++)
        s.layers[l] = (mlp_layer_spec){hidden[l], act};
    s.layers[n_hidden] = (mlp_layer_spec){1, MLP_ACT_SIGMOID};
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_new(&s, NULL, NULL, &net), MLP_OK);
    ck_assert_int_eq(mlp_init(net, MLP_INIT_UNIFORM, seed, 1.5), MLP_OK);
    return net;
}

static void rows(mlp_rng *rng, size_t inputs, double *x, double *d)
{
    for (size_t i = 0; i < N_ROWS * inputs; i++)
        x[i] = 4.0 * mlp_rng_uniform(rng) - 2.0;
    for (size_t i = 0; i < N_ROWS; i++)
        d[i] = (double)(mlp_rng_next(rng) & 1);
}

typedef struct shape {
    size_t inputs, n_hidden, hidden[2];
    int act;
} shape;

static const shape shapes[] = {
    {3, 0, {0, 0}, 0},                  /* logistic regression */
    {2, 1, {3, 0}, MLP_ACT_SIGMOID},    /* the lecture's shape, binary */
    {4, 1, {5, 0}, MLP_ACT_TANH},
    {3, 2, {4, 3}, MLP_ACT_RELU},
    {5, 2, {6, 2}, MLP_ACT_TANH},
};

START_TEST(loss_and_gradient_are_binary_log_loss)
{
    const shape *sh = &shapes[_i];
    mlp_rng rng;
    mlp_rng_seed(&rng, 77 + (uint64_t)_i);
    mlp_t *net = binary_net(sh->inputs, sh->n_hidden, sh->hidden, sh->act, 5 + (uint64_t)_i);
    size_t P = mlp_param_count(net);
    double x[N_ROWS * 5], d[N_ROWS], *g = malloc(P * sizeof *g);
    double *work = malloc(mlp_work_size(net) * sizeof *work);
    rows(&rng, sh->inputs, x, d);
    for (size_t r = 0; r < N_ROWS; r++) {
        const double *xr = x + r * sh->inputs;
        double y, E;
        ck_assert_int_eq(mlp_forward(net, xr, &y, work), MLP_OK);
        ck_assert_int_eq(mlp_sample_loss(net, xr, d + r, work, &E), MLP_OK);
        double want = -(d[r] * log(y) + (1.0 - d[r]) * log(1.0 - y));
        ck_assert_msg(fabs(E - want) <= 1e-14 * fmax(1.0, want), "E %.17g, want %.17g", E, want);
        ck_assert_int_eq(mlp_gradient(net, xr, d + r, g, NULL), MLP_OK);
        /* dE/db of the output unit is y - d (delta = d - y), exactly */
        ck_assert_msg(g[P - 1] == y - d[r], "dE/db %.17g, y - d %.17g", g[P - 1], y - d[r]);
        double *p = mlp_params(net);
        for (size_t k = 0; k < P; k++) { /* central differences */
            double keep = p[k], h = H * fmax(1.0, fabs(keep)), Ep, Em;
            p[k] = keep + h;
            ck_assert_int_eq(mlp_sample_loss(net, xr, d + r, work, &Ep), MLP_OK);
            p[k] = keep - h;
            ck_assert_int_eq(mlp_sample_loss(net, xr, d + r, work, &Em), MLP_OK);
            p[k] = keep;
            double num = (Ep - Em) / (2.0 * h);
            ck_assert_msg(fabs(num - g[k]) <= 1e-6 * fmax(1e-3, fabs(num) + fabs(g[k])),
                          "param %zu: numeric %.10g, analytic %.10g", k, num, g[k]);
        }
    }
    free(work);
    free(g);
    mlp_free(net);
}
END_TEST

START_TEST(step_trace_shows_d_minus_y)
{
    size_t hidden[1] = {3};
    mlp_t *net = binary_net(2, 1, hidden, MLP_ACT_SIGMOID, 11);
    const double x[2] = {0.3, -1.2}, d = 1.0;
    double y, *work = malloc(mlp_work_size(net) * sizeof *work);
    ck_assert_int_eq(mlp_forward(net, x, &y, work), MLP_OK);
    mlp_trace tr;
    ck_assert_int_eq(mlp_step(net, x, &d, 0.5, MLP_STEP_CHECK, NULL, &tr), MLP_OK);
    const mlp_trace_layer *out = &tr.layers[1];
    ck_assert(out->delta[0] == d - y);
    ck_assert(tr.e[0] == d - y);
    ck_assert(fabs(tr.E_before + log(y)) <= 1e-15);
    ck_assert(tr.max_rel_error < 1e-7);
    ck_assert(out->db[0] == 0.5 * (d - y));
    mlp_trace_free(&tr);
    free(work);
    mlp_free(net);
}
END_TEST

/* One epoch, rows in order, through mlp_train, against gradient descent
 * written out from mlp_gradient (online: sample by sample; batch B: the
 * mean gradient of each B rows). */
typedef struct path {
    const char *name;
    size_t n_hidden, batch;
    int optimizer, dtype; /* nesterov with momentum 0: the per-sample optimizer path */
    double tol;
} path;

static const path paths[] = {
    {"tiny online (2 layers, batch 1)", 1, 1, MLP_OPT_SGD, MLP_DTYPE_FLOAT64, 1e-13},
    {"general online (3 layers, batch 1)", 2, 1, MLP_OPT_SGD, MLP_DTYPE_FLOAT64, 1e-13},
    {"mini-batch products (batch 4)", 2, 4, MLP_OPT_SGD, MLP_DTYPE_FLOAT64, 1e-13},
    {"per-sample nesterov, momentum 0", 1, 1, MLP_OPT_NESTEROV, MLP_DTYPE_FLOAT64, 1e-13},
    {"float32 online", 1, 1, MLP_OPT_SGD, MLP_DTYPE_FLOAT32, 1e-4},
    {"float32 mini-batch", 2, 3, MLP_OPT_SGD, MLP_DTYPE_FLOAT32, 1e-4},
};

static void reference_epoch(mlp_t *net, const double *x, const double *d, size_t ni, size_t B,
                            double lr)
{
    size_t P = mlp_param_count(net);
    double *g = malloc(P * sizeof *g), *sum = malloc(P * sizeof *sum);
    for (size_t first = 0; first < N_ROWS; first += B) {
        size_t count = N_ROWS - first < B ? N_ROWS - first : B;
        memset(sum, 0, P * sizeof *sum);
        for (size_t r = first; r < first + count; r++) {
            ck_assert_int_eq(mlp_gradient(net, x + r * ni, d + r, g, NULL), MLP_OK);
            for (size_t k = 0; k < P; k++)
                sum[k] += g[k];
        }
        double *p = mlp_params(net);
        for (size_t k = 0; k < P; k++)
            p[k] -= lr * (sum[k] / (double)count);
    }
    free(sum);
    free(g);
}

START_TEST(every_training_path_descends_binary_log_loss)
{
    const path *pa = &paths[_i];
    size_t hidden[2] = {4, 3}, ni = 3;
    mlp_rng rng;
    mlp_rng_seed(&rng, 500 + (uint64_t)_i);
    mlp_t *net = binary_net(ni, pa->n_hidden, hidden, MLP_ACT_TANH, 21 + (uint64_t)_i), *ref;
    ck_assert_int_eq(mlp_clone(net, &ref), MLP_OK);
    double x[N_ROWS * 3], d[N_ROWS], loss;
    rows(&rng, ni, x, d);
    mlp_data data = {N_ROWS, x, d};
    mlp_train_opts o = mlp_default_train_opts();
    o.epochs = 1;
    o.learning_rate = 0.7;
    o.batch_size = pa->batch;
    o.optimizer = pa->optimizer;
    o.shuffle = 0;
    o.dtype = pa->dtype;
    mlp_train_result res;
    ck_assert_int_eq(mlp_train(net, &data, &o, NULL, &res), MLP_OK);
    reference_epoch(ref, x, d, ni, pa->batch, 0.7);
    const double *a = mlp_params_const(net), *b = mlp_params_const(ref);
    for (size_t k = 0; k < mlp_param_count(net); k++)
        ck_assert_msg(fabs(a[k] - b[k]) <= pa->tol * fmax(1.0, fabs(b[k])),
                      "%s: param %zu trained %.17g, reference %.17g", pa->name, k, a[k], b[k]);
    /* the epoch's loss is the mean binary log-loss of the weights it left */
    ck_assert_int_eq(mlp_data_loss(net, &data, NULL, &loss), MLP_OK);
    ck_assert_msg(fabs(res.loss - loss) <= (pa->dtype == MLP_DTYPE_FLOAT32 ? 1e-5 : 1e-13),
                  "%s: loss %.17g, data loss %.17g", pa->name, res.loss, loss);
    mlp_free(ref);
    mlp_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core_binary");
    TCase *tc = tcase_create("binary_log_loss");
    tcase_add_loop_test(tc, loss_and_gradient_are_binary_log_loss, 0,
                        (int)(sizeof shapes / sizeof shapes[0]));
    tcase_add_test(tc, step_trace_shows_d_minus_y);
    tcase_add_loop_test(tc, every_training_path_descends_binary_log_loss, 0,
                        (int)(sizeof paths / sizeof paths[0]));
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
