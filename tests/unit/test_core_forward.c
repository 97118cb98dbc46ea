/*
 * test_core_forward.c - exact outputs and losses of small hand-set
 * networks with every activation, a non-finite output reported, and one
 * const network serving forward passes from many threads. (The lecture's
 * 2-3-1 network weight by weight: test_core_lecture.c.)
 *
 * Every expected value here is written out in the test itself, never
 * taken from the library.
 */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "util_trainfix.h" /* ck_near */

static double logsig(double v) { return 1.0 / (1.0 + exp(-v)); }

/* ------------------------------------------------------------------ */
/* Exact outputs of small hand-set networks                            */

static mlp_t *net_of(size_t inputs, size_t n_layers, const size_t *units, const int *acts,
                     int loss, const double *params, size_t n_params)
{
    mlp_spec s;
    mlp_t *net = NULL;
    memset(&s, 0, sizeof s);
    s.inputs = inputs;
    s.n_layers = n_layers;
    for (size_t l = 0; l < n_layers; l++) {
        s.layers[l].units = units[l];
        s.layers[l].activation = acts[l];
    }
    s.loss = loss;
    ck_assert_int_eq(mlp_new(&s, NULL, NULL, &net), MLP_OK);
    ck_assert_uint_eq(mlp_param_count(net), n_params);
    memcpy(mlp_params(net), params, n_params * sizeof(double));
    return net;
}

START_TEST(forward_tanh_layer)
{
    const size_t units[1] = {2};
    const int acts[1] = {MLP_ACT_TANH};
    /* W = [[0.5, -1.5], [2.0, 0.25]], b = [0.1, -0.3] */
    const double p[6] = {0.5, -1.5, 2.0, 0.25, 0.1, -0.3};
    mlp_t *net = net_of(2, 1, units, acts, MLP_LOSS_MSE, p, 6);
    double x[2] = {0.4, -0.7}, y[2], work[16];
    ck_assert_int_eq(mlp_forward(net, x, y, work), MLP_OK);
    double v1 = 0.5 * 0.4 + -1.5 * -0.7 + 0.1, v2 = 2.0 * 0.4 + 0.25 * -0.7 - 0.3;
    ck_near(y[0], (exp(v1) - exp(-v1)) / (exp(v1) + exp(-v1)), 1e-14, "tanh y1");
    ck_near(y[1], (exp(v2) - exp(-v2)) / (exp(v2) + exp(-v2)), 1e-14, "tanh y2");
    mlp_free(net);
}
END_TEST

START_TEST(forward_relu_then_linear)
{
    const size_t units[2] = {3, 2};
    const int acts[2] = {MLP_ACT_RELU, MLP_ACT_LINEAR};
    /* hidden W (3 x 2), b (3); output W (2 x 3), b (2) */
    const double p[9 + 8] = {1.0, 2.0,  -1.0, 0.5, 0.3, -0.2, /* W1 */
                             0.1, -0.5, 0.0,                  /* b1 */
                             0.7, -1.1, 2.0,  0.4, 0.6, -0.9, /* W2 */
                             0.25, -0.75};                     /* b2 */
    mlp_t *net = net_of(2, 2, units, acts, MLP_LOSS_MSE, p, 17);
    double x[2] = {0.6, -0.4}, y[2], work[16];
    double v1 = 1.0 * 0.6 + 2.0 * -0.4 + 0.1;  /* -0.1: cut to 0 */
    double v2 = -1.0 * 0.6 + 0.5 * -0.4 - 0.5; /* -1.3: cut to 0 */
    double v3 = 0.3 * 0.6 + -0.2 * -0.4 + 0.0; /* 0.26 */
    double h1 = v1 > 0 ? v1 : 0, h2 = v2 > 0 ? v2 : 0, h3 = v3 > 0 ? v3 : 0;
    ck_assert(h1 == 0.0 && h2 == 0.0 && h3 > 0.0); /* both branches of relu */
    ck_assert_int_eq(mlp_forward(net, x, y, work), MLP_OK);
    ck_near(y[0], 0.7 * h1 - 1.1 * h2 + 2.0 * h3 + 0.25, 1e-15, "y1");
    ck_near(y[1], 0.4 * h1 + 0.6 * h2 - 0.9 * h3 - 0.75, 1e-15, "y2");
    mlp_free(net);
}
END_TEST

START_TEST(forward_softmax_output)
{
    const size_t units[1] = {3};
    const int acts[1] = {MLP_ACT_SOFTMAX};
    const double p[9] = {1.0, -1.0, 0.5, 0.5, -2.0, 1.0, 0.0, 0.1, -0.1};
    mlp_t *net = net_of(2, 1, units, acts, MLP_LOSS_CROSS_ENTROPY, p, 9);
    double x[2] = {0.3, 0.8}, y[3], work[16];
    double v[3] = {1.0 * 0.3 - 1.0 * 0.8 + 0.0, 0.5 * 0.3 + 0.5 * 0.8 + 0.1,
                   -2.0 * 0.3 + 1.0 * 0.8 - 0.1};
    double s = exp(v[0]) + exp(v[1]) + exp(v[2]);
    ck_assert_int_eq(mlp_forward(net, x, y, work), MLP_OK);
    for (int k = 0; k < 3; k++)
        ck_near(y[k], exp(v[k]) / s, 1e-15, "softmax y_k");

    /* Large inputs: still exact, no overflow (e^1000 is infinite). */
    double big[2] = {1000.0, 0.0};
    ck_assert_int_eq(mlp_forward(net, big, y, work), MLP_OK);
    /* v = (1000, 500.1, -2000.1): y = (1/(1+e^-499.9+...), e^-499.9/..., ~0) */
    double r1 = exp(500.1 - 1000.0), r2 = exp(-2000.1 - 1000.0);
    ck_near(y[0], 1.0 / (1.0 + r1 + r2), 1e-15, "softmax big y1");
    ck_near(y[1] / (r1 / (1.0 + r1 + r2)), 1.0, 1e-13, "softmax big y2 (relative)");
    ck_assert(y[2] >= 0.0 && y[2] < 1e-300);
    mlp_free(net);
}
END_TEST

START_TEST(forward_three_layers_mixed)
{
    const size_t units[3] = {2, 2, 1};
    const int acts[3] = {MLP_ACT_SIGMOID, MLP_ACT_TANH, MLP_ACT_LINEAR};
    const double p[6 + 6 + 3] = {0.2, -0.4, 1.1, 0.3, /* W1 (2 x 2) */
                                 0.05, -0.15,        /* b1 */
                                 -0.6, 0.9, 0.8, 0.7, /* W2 (2 x 2) */
                                 0.2, -0.1,          /* b2 */
                                 1.5, -2.5,          /* W3 (1 x 2) */
                                 0.3};               /* b3 */
    mlp_t *net = net_of(2, 3, units, acts, MLP_LOSS_MSE, p, 15);
    double x[2] = {-0.9, 0.35}, y[1], work[16];
    double a1 = logsig(0.2 * -0.9 + -0.4 * 0.35 + 0.05);
    double a2 = logsig(1.1 * -0.9 + 0.3 * 0.35 - 0.15);
    double b1 = tanh(-0.6 * a1 + 0.9 * a2 + 0.2);
    double b2 = tanh(0.8 * a1 + 0.7 * a2 - 0.1);
    ck_assert_int_eq(mlp_forward(net, x, y, work), MLP_OK);
    ck_near(y[0], 1.5 * b1 - 2.5 * b2 + 0.3, 1e-14, "y");

    /* mlp_predict: row by row the same as mlp_forward */
    double xs[3][2] = {{-0.9, 0.35}, {0.0, 0.0}, {2.0, -3.0}}, ys[3], y1;
    ck_assert_int_eq(mlp_predict(net, 3, &xs[0][0], ys, work), MLP_OK);
    for (int r = 0; r < 3; r++) {
        ck_assert_int_eq(mlp_forward(net, xs[r], &y1, work), MLP_OK);
        ck_assert(ys[r] == y1);
    }

    /* mlp_forward_all: every layer's outputs, the hand values above,
     * the last equal to mlp_forward's output bit for bit */
    double all[5];
    ck_assert_uint_eq(mlp_units_total(net), 5);
    ck_assert_int_eq(mlp_forward_all(net, x, all), MLP_OK);
    ck_near(all[0], a1, 1e-15, "layer 0 unit 0");
    ck_near(all[1], a2, 1e-15, "layer 0 unit 1");
    ck_near(all[2], b1, 1e-15, "layer 1 unit 0");
    ck_near(all[3], b2, 1e-15, "layer 1 unit 1");
    ck_assert(all[4] == y[0]);
    mlp_free(net);
}
END_TEST

START_TEST(forward_reports_nonfinite_output)
{
    const size_t units[1] = {1};
    const int acts[1] = {MLP_ACT_LINEAR};
    const double p[2] = {1e308, 0.0};
    mlp_t *net = net_of(1, 1, units, acts, MLP_LOSS_MSE, p, 2);
    double x[1] = {10.0}, y[1], work[8];
    ck_assert_int_eq(mlp_forward(net, x, y, work), MLP_ERR_NONFINITE);
    x[0] = 0.5;
    ck_assert_int_eq(mlp_forward(net, x, y, work), MLP_OK);
    ck_near(y[0], 0.5e308, 1e293, "y");
    mlp_free(net);
}
END_TEST

/* A const network serves forward passes from many threads at once, each
 * with its own work array (the header's promise). */
enum { FT_ROWS = 500, FT_THREADS = 4 };

typedef struct forward_job {
    const mlp_t *net;
    const double *x;
    double y[FT_ROWS * 2];
    int status;
} forward_job;

static void *forward_thread(void *arg)
{
    forward_job *j = arg;
    double *work = malloc(mlp_work_size(j->net) * sizeof *work);
    j->status = work ? MLP_OK : MLP_ERR_NOMEM;
    for (int rep = 0; rep < 20 && j->status == MLP_OK; rep++)
        j->status = mlp_predict(j->net, FT_ROWS, j->x, j->y, work);
    free(work);
    return NULL;
}

START_TEST(forward_from_many_threads)
{
    const size_t units[3] = {16, 8, 2};
    const int acts[3] = {MLP_ACT_TANH, MLP_ACT_SIGMOID, MLP_ACT_SOFTMAX};
    mlp_spec s;
    memset(&s, 0, sizeof s);
    s.inputs = 3;
    s.n_layers = 3;
    for (int l = 0; l < 3; l++) {
        s.layers[l].units = units[l];
        s.layers[l].activation = acts[l];
    }
    s.loss = MLP_LOSS_CROSS_ENTROPY;
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_new(&s, NULL, NULL, &net), MLP_OK);
    ck_assert_int_eq(mlp_init(net, MLP_INIT_XAVIER_NORMAL, 12, 0.0), MLP_OK);
    static double x[FT_ROWS * 3], want[FT_ROWS * 2];
    mlp_rng rng;
    mlp_rng_seed(&rng, 1);
    for (int i = 0; i < FT_ROWS * 3; i++)
        x[i] = 4.0 * mlp_rng_uniform(&rng) - 2.0;
    double *work = malloc(mlp_work_size(net) * sizeof *work);
    ck_assert_ptr_nonnull(work);
    ck_assert_int_eq(mlp_predict(net, FT_ROWS, x, want, work), MLP_OK);
    free(work);

    static forward_job jobs[FT_THREADS];
    pthread_t th[FT_THREADS];
    for (int t = 0; t < FT_THREADS; t++) {
        jobs[t].net = net;
        jobs[t].x = x;
        ck_assert_int_eq(pthread_create(&th[t], NULL, forward_thread, &jobs[t]), 0);
    }
    for (int t = 0; t < FT_THREADS; t++)
        ck_assert_int_eq(pthread_join(th[t], NULL), 0);
    for (int t = 0; t < FT_THREADS; t++) {
        ck_assert_int_eq(jobs[t].status, MLP_OK);
        ck_assert_int_eq(memcmp(jobs[t].y, want, sizeof want), 0);
    }
    mlp_free(net);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Losses                                                              */

START_TEST(sample_loss_mse_is_half_squared_error)
{
    const size_t units[1] = {2};
    const int acts[1] = {MLP_ACT_LINEAR};
    const double p[6] = {1.0, 0.5, -0.5, 2.0, 0.1, 0.2};
    mlp_t *net = net_of(2, 1, units, acts, MLP_LOSS_MSE, p, 6);
    double x[2] = {0.4, 0.6}, d[2] = {1.0, -1.0}, work[16], E;
    double y1 = 0.4 + 0.3 + 0.1, y2 = -0.2 + 1.2 + 0.2;
    ck_assert_int_eq(mlp_sample_loss(net, x, d, work, &E), MLP_OK);
    ck_near(E, 0.5 * ((1.0 - y1) * (1.0 - y1) + (-1.0 - y2) * (-1.0 - y2)), 1e-15, "E");

    /* mlp_data_loss is the mean over rows */
    double xs[2][2] = {{0.4, 0.6}, {0.0, 0.0}}, ds[2][2] = {{1.0, -1.0}, {0.0, 0.0}};
    mlp_data data = {2, &xs[0][0], &ds[0][0]};
    double E2 = 0.5 * (0.1 * 0.1 + 0.2 * 0.2), mean;
    ck_assert_int_eq(mlp_data_loss(net, &data, NULL, &mean), MLP_OK);
    ck_near(mean, (E + E2) / 2.0, 1e-15, "mean loss");
    mlp_free(net);
}
END_TEST

START_TEST(sample_loss_softmax_cross_entropy)
{
    const size_t units[1] = {3};
    const int acts[1] = {MLP_ACT_SOFTMAX};
    const double p[6] = {1.0, -0.5, 0.25, 0.1, 0.2, -0.3};
    mlp_t *net = net_of(1, 1, units, acts, MLP_LOSS_CROSS_ENTROPY, p, 6);
    double x[1] = {0.7}, d[3] = {0.0, 1.0, 0.0}, work[16], E;
    double v[3] = {0.7 + 0.1, -0.35 + 0.2, 0.175 - 0.3};
    double s = exp(v[0]) + exp(v[1]) + exp(v[2]);
    ck_assert_int_eq(mlp_sample_loss(net, x, d, work, &E), MLP_OK);
    ck_near(E, -log(exp(v[1]) / s), 1e-14, "E one-hot");
    double soft[3] = {0.2, 0.5, 0.3};
    ck_assert_int_eq(mlp_sample_loss(net, x, soft, work, &E), MLP_OK);
    double want = 0.0;
    for (int k = 0; k < 3; k++)
        want -= soft[k] * log(exp(v[k]) / s);
    ck_near(E, want, 1e-14, "E soft targets");
    mlp_free(net);
}
END_TEST

START_TEST(sample_loss_sigmoid_cross_entropy)
{
    const size_t units[1] = {2};
    const int acts[1] = {MLP_ACT_SIGMOID};
    const double p[4] = {1.5, -2.0, 0.3, 0.4};
    mlp_t *net = net_of(1, 1, units, acts, MLP_LOSS_CROSS_ENTROPY, p, 4);
    double x[1] = {0.8}, d[2] = {1.0, 0.0}, work[16], E;
    double y1 = logsig(1.5 * 0.8 + 0.3), y2 = logsig(-2.0 * 0.8 + 0.4);
    ck_assert_int_eq(mlp_sample_loss(net, x, d, work, &E), MLP_OK);
    ck_near(E, -(log(y1) + log(1.0 - y2)), 1e-14, "E binary");
    double d2[2] = {0.0, 1.0};
    ck_assert_int_eq(mlp_sample_loss(net, x, d2, work, &E), MLP_OK);
    ck_near(E, -(log(1.0 - y1) + log(y2)), 1e-14, "E binary swapped");
    mlp_free(net);
}
END_TEST


int main(void)
{
    Suite *s = suite_create("core_forward");
    TCase *tc = tcase_create("exact_outputs");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, forward_tanh_layer);
    tcase_add_test(tc, forward_relu_then_linear);
    tcase_add_test(tc, forward_softmax_output);
    tcase_add_test(tc, forward_three_layers_mixed);
    tcase_add_test(tc, forward_reports_nonfinite_output);
    tcase_add_test(tc, forward_from_many_threads);
    tcase_add_test(tc, sample_loss_mse_is_half_squared_error);
    tcase_add_test(tc, sample_loss_softmax_cross_entropy);
    tcase_add_test(tc, sample_loss_sigmoid_cross_entropy);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
