/*
 * test_core_train.c - mlp_train: convergence from fixed seeds; every
 * optimizer, batch size and weight decay against a reference trainer
 * written out here; determinism. (The loop: epochs, validation, early
 * stopping, stop reasons, option checks: test_core_loop.c.)
 */
#include <check.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "util_trainfix.h"

/* Every XOR output on the right side of 0.5, and the loss below max_loss
 * (recomputed here, not taken from the result). */
static void assert_solves_xor(const mlp_t *net, double max_loss, const char *what)
{
    double y, work[64];
    ck_assert_uint_le(mlp_work_size(net), 64);
    for (int r = 0; r < 4; r++) {
        ck_assert_int_eq(mlp_forward(net, fix_xor_x + 2 * r, &y, work), MLP_OK);
        ck_assert_msg(fix_xor_y[r] > 0.5 ? y > 0.5 : y < 0.5, "%s: row %d gives %g", what, r, y);
    }
    double loss = fix_data_loss(net, &fix_xor_data);
    ck_assert_msg(loss < max_loss, "%s: loss %g, want < %g", what, loss, max_loss);
}

/* ------------------------------------------------------------------ */
/* Convergence                                                         */

START_TEST(xor_sigmoid_mse_online)
{
    mlp_t *net = fix_make_231(MLP_ACT_SIGMOID, MLP_ACT_SIGMOID, MLP_LOSS_MSE, 3, 7);
    mlp_train_opts o = mlp_default_train_opts();
    mlp_train_result r;
    o.epochs = 5000;
    o.learning_rate = 2.0;
    o.seed = 3;
    ck_assert_int_eq(mlp_train(net, &fix_xor_data, &o, NULL, &r), MLP_OK);
    ck_assert_int_eq(r.stop, MLP_STOP_EPOCHS);
    ck_assert_uint_eq(r.epochs_run, 5000);
    assert_solves_xor(net, 0.01, "xor 2-3-1 mse");
    ck_near(r.loss, fix_data_loss(net, &fix_xor_data), 1e-12, "result loss");
    ck_assert(isnan(r.val_loss));
    mlp_free(net);
}
END_TEST

START_TEST(xor_sigmoid_cross_entropy_online)
{
    mlp_t *net = fix_make_231(MLP_ACT_SIGMOID, MLP_ACT_SIGMOID, MLP_LOSS_CROSS_ENTROPY, 4, 11);
    mlp_train_opts o = mlp_default_train_opts();
    mlp_train_result r;
    o.epochs = 3000;
    o.learning_rate = 0.5;
    ck_assert_int_eq(mlp_train(net, &fix_xor_data, &o, NULL, &r), MLP_OK);
    assert_solves_xor(net, 0.01, "xor 2-4-1 cross-entropy");
    mlp_free(net);
}
END_TEST

/* The same XOR net trained by each optimizer, mini-batch and weight decay. */
typedef struct optim_case {
    const char *name;
    int optimizer;
    double lr, momentum, weight_decay;
    size_t batch, epochs;
    double max_loss;
} optim_case;

static const optim_case optim_cases[] = {
    {"mini-batch sgd", MLP_OPT_SGD, 2.0, 0.0, 0.0, 2, 6000, 0.01},
    {"full-batch sgd", MLP_OPT_SGD, 4.0, 0.0, 0.0, 4, 8000, 0.01},
    {"momentum", MLP_OPT_SGD, 0.5, 0.9, 0.0, 1, 2000, 0.01},
    {"nesterov", MLP_OPT_NESTEROV, 0.5, 0.9, 0.0, 1, 2000, 0.01},
    {"adam", MLP_OPT_ADAM, 0.05, 0.0, 0.0, 1, 1000, 0.01},
    {"adam mini-batch", MLP_OPT_ADAM, 0.05, 0.0, 0.0, 4, 2000, 0.01},
    {"weight decay", MLP_OPT_SGD, 0.5, 0.9, 1e-4, 1, 2000, 0.01},
};

START_TEST(xor_every_optimizer)
{
    const optim_case *c = &optim_cases[_i];
    mlp_t *net = fix_make_231(MLP_ACT_TANH, MLP_ACT_SIGMOID, MLP_LOSS_MSE, 4, 5);
    mlp_train_opts o = mlp_default_train_opts();
    mlp_train_result r;
    o.optimizer = c->optimizer;
    o.learning_rate = c->lr;
    o.momentum = c->momentum;
    o.weight_decay = c->weight_decay;
    o.batch_size = c->batch;
    o.epochs = c->epochs;
    double start = fix_data_loss(net, &fix_xor_data);
    ck_assert_int_eq(mlp_train(net, &fix_xor_data, &o, NULL, &r), MLP_OK);
    ck_assert_msg(r.loss < start, "%s: loss went from %g to %g", c->name, start, r.loss);
    assert_solves_xor(net, c->max_loss, c->name);
    mlp_free(net);
}
END_TEST

static double weight_norm2(const mlp_t *net)
{
    double s = 0.0;
    for (size_t l = 0; l < mlp_get_spec(net)->n_layers; l++) {
        size_t fan_in, w_off, b_off;
        ck_assert_int_eq(mlp_layer_offsets(net, l, &fan_in, &w_off, &b_off), MLP_OK);
        for (size_t i = w_off; i < b_off; i++)
            s += mlp_params_const(net)[i] * mlp_params_const(net)[i];
    }
    return s;
}

/* Decay keeps the weights smaller than the same run without it. */
START_TEST(weight_decay_shrinks_weights)
{
    mlp_t *a = fix_make_231(MLP_ACT_TANH, MLP_ACT_SIGMOID, MLP_LOSS_MSE, 4, 5);
    mlp_t *b = fix_make_231(MLP_ACT_TANH, MLP_ACT_SIGMOID, MLP_LOSS_MSE, 4, 5);
    mlp_train_opts o = mlp_default_train_opts();
    o.epochs = 1000;
    o.learning_rate = 0.5;
    o.momentum = 0.9;
    ck_assert_int_eq(mlp_train(a, &fix_xor_data, &o, NULL, &(mlp_train_result){0}), MLP_OK);
    o.weight_decay = 1e-3;
    ck_assert_int_eq(mlp_train(b, &fix_xor_data, &o, NULL, &(mlp_train_result){0}), MLP_OK);
    ck_assert_msg(weight_norm2(b) < 0.9 * weight_norm2(a), "|w|^2 with decay %g, without %g",
                  weight_norm2(b), weight_norm2(a));
    mlp_free(a);
    mlp_free(b);
}
END_TEST

/* y = sin(x1) cos(x2) on a 9 x 9 grid over [-2, 2]^2, 2-8-1 tanh. */
START_TEST(regression_sin_cos)
{
    enum { G = 9, N = G * G };
    static double x[N * 2], y[N];
    double mean = 0.0, var = 0.0;
    for (int i = 0; i < G; i++)
        for (int j = 0; j < G; j++) {
            int r = i * G + j;
            x[2 * r] = -2.0 + 4.0 * i / (G - 1);
            x[2 * r + 1] = -2.0 + 4.0 * j / (G - 1);
            y[r] = sin(x[2 * r]) * cos(x[2 * r + 1]);
            mean += y[r] / N;
        }
    for (int r = 0; r < N; r++)
        var += 0.5 * (y[r] - mean) * (y[r] - mean) / N; /* loss of the best constant */
    mlp_data data = {N, x, y};
    mlp_t *net = fix_make_231(MLP_ACT_TANH, MLP_ACT_LINEAR, MLP_LOSS_MSE, 8, 21);
    mlp_train_opts o = mlp_default_train_opts();
    mlp_train_result r;
    o.epochs = 1500;
    o.learning_rate = 0.05;
    o.optimizer = MLP_OPT_SGD;
    o.momentum = 0.5;
    ck_assert_int_eq(mlp_train(net, &data, &o, NULL, &r), MLP_OK);
    double loss = fix_data_loss(net, &data);
    ck_assert_msg(loss < 0.002 && loss < 0.02 * var, "loss %g (constant: %g)", loss, var);
    mlp_free(net);
}
END_TEST

/* Three Gaussian blobs, softmax + cross-entropy, accuracy on the set. */
START_TEST(softmax_three_classes)
{
    enum { PER = 40, N = 3 * PER };
    static double x[N * 2], y[N * 3];
    const double cx[3] = {-1.0, 1.0, 0.0}, cy[3] = {-0.5, -0.5, 1.2};
    mlp_rng rng;
    mlp_rng_seed(&rng, 123);
    memset(y, 0, sizeof y);
    for (int r = 0; r < N; r++) {
        int k = r % 3;
        x[2 * r] = cx[k] + 0.35 * mlp_rng_normal(&rng);
        x[2 * r + 1] = cy[k] + 0.35 * mlp_rng_normal(&rng);
        y[3 * r + k] = 1.0;
    }
    const size_t units[2] = {8, 3};
    const int acts[2] = {MLP_ACT_TANH, MLP_ACT_SOFTMAX};
    mlp_t *net = fix_make_net(2, 2, units, acts, MLP_LOSS_CROSS_ENTROPY, 9);
    mlp_data data = {N, x, y};
    mlp_train_opts o = mlp_default_train_opts();
    mlp_train_result r;
    o.epochs = 200;
    o.learning_rate = 0.05;
    ck_assert_int_eq(mlp_train(net, &data, &o, NULL, &r), MLP_OK);
    int right = 0;
    double out[3], work[64];
    for (int row = 0; row < N; row++) {
        ck_assert_int_eq(mlp_forward(net, x + 2 * row, out, work), MLP_OK);
        ck_near(out[0] + out[1] + out[2], 1.0, 1e-12, "softmax sums to 1");
        int best = out[1] > out[0] ? 1 : 0;
        best = out[2] > out[best] ? 2 : best;
        right += best == row % 3;
    }
    ck_assert_msg(right >= N * 95 / 100, "accuracy %d/%d", right, N);
    ck_assert_msg(r.loss < 0.15, "loss %g", r.loss);
    mlp_free(net);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Updates written out                                                 */


/* Mean of mlp_gradient over rows [first, first + n). */
static void mean_gradient(const mlp_t *net, size_t first, size_t n, double *g)
{
    size_t P = mlp_param_count(net);
    double *one = malloc(P * sizeof *one);
    ck_assert_ptr_nonnull(one);
    memset(g, 0, P * sizeof *g);
    for (size_t r = first; r < first + n; r++) {
        ck_assert_int_eq(mlp_gradient(net, fix_ex_x + 2 * r, fix_ex_y + 2 * r, one, NULL), MLP_OK);
        for (size_t i = 0; i < P; i++)
            g[i] += one[i] / (double)n;
    }
    free(one);
}

static void assert_params_near(const mlp_t *net, const double *want, double tol)
{
    const double *p = mlp_params_const(net);
    for (size_t i = 0; i < mlp_param_count(net); i++)
        ck_assert_msg(fabs(p[i] - want[i]) <= tol, "param %zu: expected %.17g, got %.17g", i,
                      want[i], p[i]);
}

/* Batches of 2, 2, 1 in order: each step is w -= lr * mean gradient. */
START_TEST(mini_batch_step_is_mean_gradient)
{
    mlp_t *net = fix_ex_net(), *ref = NULL;
    ck_assert_int_eq(mlp_clone(net, &ref), MLP_OK);
    size_t P = mlp_param_count(net);
    double g[32];
    ck_assert_uint_le(P, 32);
    const size_t first[3] = {0, 2, 4}, count[3] = {2, 2, 1};
    for (int b = 0; b < 3; b++) {
        mean_gradient(ref, first[b], count[b], g);
        for (size_t i = 0; i < P; i++)
            mlp_params(ref)[i] -= 0.3 * g[i];
    }
    mlp_train_opts o = mlp_default_train_opts();
    mlp_data data = {5, fix_ex_x, fix_ex_y};
    o.epochs = 1;
    o.learning_rate = 0.3;
    o.batch_size = 2;
    o.shuffle = 0;
    ck_assert_int_eq(mlp_train(net, &data, &o, NULL, &(mlp_train_result){0}), MLP_OK);
    assert_params_near(net, mlp_params_const(ref), 1e-13);
    mlp_free(net);
    mlp_free(ref);
}
END_TEST

/* Classical momentum over two full-batch steps: v = mu v - lr g; w += v. */
START_TEST(momentum_two_steps)
{
    mlp_t *net = fix_ex_net(), *ref = NULL;
    ck_assert_int_eq(mlp_clone(net, &ref), MLP_OK);
    size_t P = mlp_param_count(net);
    double g[32], v[32] = {0};
    const double lr = 0.2, mu = 0.7;
    for (int step = 0; step < 2; step++) {
        mean_gradient(ref, 0, 5, g);
        for (size_t i = 0; i < P; i++) {
            v[i] = mu * v[i] - lr * g[i];
            mlp_params(ref)[i] += v[i];
        }
    }
    mlp_train_opts o = mlp_default_train_opts();
    mlp_data data = {5, fix_ex_x, fix_ex_y};
    o.epochs = 2;
    o.learning_rate = lr;
    o.momentum = mu;
    o.batch_size = 5;
    ck_assert_int_eq(mlp_train(net, &data, &o, NULL, &(mlp_train_result){0}), MLP_OK);
    assert_params_near(net, mlp_params_const(ref), 1e-13);
    mlp_free(net);
    mlp_free(ref);
}
END_TEST

/* Momentum with batch 1 (no shuffle): the same rule per sample. */
START_TEST(momentum_online_steps)
{
    mlp_t *net = fix_ex_net(), *ref = NULL;
    ck_assert_int_eq(mlp_clone(net, &ref), MLP_OK);
    size_t P = mlp_param_count(net);
    double g[32], v[32] = {0};
    const double lr = 0.1, mu = 0.5;
    for (size_t r = 0; r < 5; r++) {
        mean_gradient(ref, r, 1, g);
        for (size_t i = 0; i < P; i++) {
            v[i] = mu * v[i] - lr * g[i];
            mlp_params(ref)[i] += v[i];
        }
    }
    mlp_train_opts o = mlp_default_train_opts();
    mlp_data data = {5, fix_ex_x, fix_ex_y};
    o.epochs = 1;
    o.learning_rate = lr;
    o.momentum = mu;
    o.shuffle = 0;
    ck_assert_int_eq(mlp_train(net, &data, &o, NULL, &(mlp_train_result){0}), MLP_OK);
    assert_params_near(net, mlp_params_const(ref), 1e-13);
    mlp_free(net);
    mlp_free(ref);
}
END_TEST

/* Adam (Kingma & Ba) over three full-batch steps, bias-corrected. */
START_TEST(adam_three_steps)
{
    mlp_t *net = fix_ex_net(), *ref = NULL;
    ck_assert_int_eq(mlp_clone(net, &ref), MLP_OK);
    size_t P = mlp_param_count(net);
    double g[32], m[32] = {0}, v[32] = {0};
    const double lr = 0.01, b1 = 0.8, b2 = 0.95, eps = 1e-6;
    for (int t = 1; t <= 3; t++) {
        mean_gradient(ref, 0, 5, g);
        for (size_t i = 0; i < P; i++) {
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            double mhat = m[i] / (1 - pow(b1, t)), vhat = v[i] / (1 - pow(b2, t));
            mlp_params(ref)[i] -= lr * mhat / (sqrt(vhat) + eps);
        }
    }
    mlp_train_opts o = mlp_default_train_opts();
    mlp_data data = {5, fix_ex_x, fix_ex_y};
    o.epochs = 3;
    o.learning_rate = lr;
    o.optimizer = MLP_OPT_ADAM;
    o.beta1 = b1;
    o.beta2 = b2;
    o.epsilon = eps;
    o.batch_size = 5;
    ck_assert_int_eq(mlp_train(net, &data, &o, NULL, &(mlp_train_result){0}), MLP_OK);
    assert_params_near(net, mlp_params_const(ref), 1e-13);
    mlp_free(net);
    mlp_free(ref);
}
END_TEST

/* L2 decay adds wd * w to the gradient of weights, not of biases. */
START_TEST(weight_decay_skips_biases)
{
    mlp_t *net = fix_ex_net(), *ref = NULL;
    ck_assert_int_eq(mlp_clone(net, &ref), MLP_OK);
    size_t P = mlp_param_count(net);
    double g[32];
    const double lr = 0.2, wd = 0.05;
    int is_weight[32] = {0};
    for (size_t l = 0; l < 2; l++) {
        size_t fan_in, w_off, b_off;
        ck_assert_int_eq(mlp_layer_offsets(net, l, &fan_in, &w_off, &b_off), MLP_OK);
        for (size_t i = w_off; i < b_off; i++)
            is_weight[i] = 1;
    }
    mean_gradient(ref, 0, 5, g);
    for (size_t i = 0; i < P; i++) {
        double w = mlp_params(ref)[i];
        mlp_params(ref)[i] -= lr * (g[i] + (is_weight[i] ? wd * w : 0.0));
    }
    mlp_train_opts o = mlp_default_train_opts();
    mlp_data data = {5, fix_ex_x, fix_ex_y};
    o.epochs = 1;
    o.learning_rate = lr;
    o.weight_decay = wd;
    o.batch_size = 5;
    ck_assert_int_eq(mlp_train(net, &data, &o, NULL, &(mlp_train_result){0}), MLP_OK);
    assert_params_near(net, mlp_params_const(ref), 1e-13);
    mlp_free(net);
    mlp_free(ref);
}
END_TEST

/* A reference trainer for the exact-update data, without shuffling:
 * batches in order (the last one shorter), mean gradient, L2 decay on
 * weights only, then the optimizer's rule as published:
 *   sgd/momentum  v = mu v - lr g;  w += v        (mu = 0: w -= lr g)
 *   nesterov      v = mu v - lr g;  w += mu v - lr g   (the form of
 *                 Bengio et al. 2012 used by Keras and PyTorch)
 *   adam          Kingma & Ba, bias-corrected, t counts batches. */
static void ref_train(mlp_t *net, const mlp_train_opts *o, size_t n)
{
    size_t P = mlp_param_count(net), t = 0;
    double g[32], v[32] = {0}, m[32] = {0};
    int is_weight[32] = {0};
    ck_assert_uint_le(P, 32);
    for (size_t l = 0; l < mlp_get_spec(net)->n_layers; l++) {
        size_t fan_in, w_off, b_off;
        ck_assert_int_eq(mlp_layer_offsets(net, l, &fan_in, &w_off, &b_off), MLP_OK);
        for (size_t i = w_off; i < b_off; i++)
            is_weight[i] = 1;
    }
    double *p = mlp_params(net), lr = o->learning_rate, mu = o->momentum;
    for (size_t e = 0; e < o->epochs; e++)
        for (size_t first = 0; first < n; first += o->batch_size) {
            size_t count = n - first < o->batch_size ? n - first : o->batch_size;
            mean_gradient(net, first, count, g);
            t++;
            for (size_t i = 0; i < P; i++) {
                if (is_weight[i])
                    g[i] += o->weight_decay * p[i];
                if (o->optimizer == MLP_OPT_ADAM) {
                    m[i] = o->beta1 * m[i] + (1 - o->beta1) * g[i];
                    v[i] = o->beta2 * v[i] + (1 - o->beta2) * g[i] * g[i];
                    double mhat = m[i] / (1 - pow(o->beta1, (double)t));
                    double vhat = v[i] / (1 - pow(o->beta2, (double)t));
                    p[i] -= lr * mhat / (sqrt(vhat) + o->epsilon);
                } else if (o->optimizer == MLP_OPT_NESTEROV) {
                    v[i] = mu * v[i] - lr * g[i];
                    p[i] += mu * v[i] - lr * g[i];
                } else {
                    v[i] = mu * v[i] - lr * g[i];
                    p[i] += v[i];
                }
            }
        }
}

/* Every optimizer x batch size x decay against the reference: _i picks
 * the combination. */
START_TEST(optimizer_matches_reference)
{
    const int optims[4] = {MLP_OPT_SGD, MLP_OPT_SGD, MLP_OPT_NESTEROV, MLP_OPT_ADAM};
    const double mus[4] = {0.0, 0.8, 0.8, 0.0};
    const size_t batches[4] = {1, 2, 5, 8}; /* 8 > rows: one batch of all */
    int which = _i % 4, b = (_i / 4) % 4, decay = _i / 16;
    mlp_t *net = fix_ex_net(), *ref = NULL;
    ck_assert_int_eq(mlp_clone(net, &ref), MLP_OK);
    mlp_train_opts o = mlp_default_train_opts();
    mlp_data data = {5, fix_ex_x, fix_ex_y};
    o.epochs = 3;
    o.learning_rate = optims[which] == MLP_OPT_ADAM ? 0.02 : 0.15;
    o.optimizer = optims[which];
    o.momentum = mus[which];
    o.batch_size = batches[b];
    o.weight_decay = decay ? 0.03 : 0.0;
    o.beta1 = 0.85;
    o.beta2 = 0.99;
    o.epsilon = 1e-7;
    o.shuffle = 0;
    ref_train(ref, &o, 5);
    ck_assert_int_eq(mlp_train(net, &data, &o, NULL, &(mlp_train_result){0}), MLP_OK);
    const double *p = mlp_params_const(net), *q = mlp_params_const(ref);
    for (size_t i = 0; i < mlp_param_count(net); i++)
        ck_assert_msg(fabs(p[i] - q[i]) <= 1e-12,
                      "%s mu=%g batch=%zu decay=%g: param %zu is %.17g, reference %.17g",
                      mlp_optimizer_name(o.optimizer), o.momentum, o.batch_size,
                      o.weight_decay, i, p[i], q[i]);
    mlp_free(net);
    mlp_free(ref);
}
END_TEST

/* Nesterov with momentum 0 is plain gradient descent, in both forms. */
START_TEST(nesterov_without_momentum_is_sgd)
{
    mlp_t *a = fix_ex_net(), *b = fix_ex_net();
    mlp_train_opts o = mlp_default_train_opts();
    mlp_data data = {5, fix_ex_x, fix_ex_y};
    o.epochs = 3;
    ck_assert_int_eq(mlp_train(a, &data, &o, NULL, &(mlp_train_result){0}), MLP_OK);
    o.optimizer = MLP_OPT_NESTEROV;
    ck_assert_int_eq(mlp_train(b, &data, &o, NULL, &(mlp_train_result){0}), MLP_OK);
    assert_params_near(b, mlp_params_const(a), 1e-13);
    mlp_free(a);
    mlp_free(b);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Determinism                                                         */

static mlp_t *det_run(uint64_t init_seed, uint64_t shuffle_seed, size_t batch, int optimizer)
{
    enum { N = 96, IN = 8 };
    static double x[N * IN], y[N];
    mlp_rng rng;
    mlp_rng_seed(&rng, 5);
    for (int r = 0; r < N; r++) {
        double s = 0.0;
        for (int i = 0; i < IN; i++)
            s += (x[r * IN + i] = 2.0 * mlp_rng_uniform(&rng) - 1.0) * (i % 3 - 1);
        y[r] = tanh(s);
    }
    /* 8 x 40 = 320 weights: big enough for the BLAS path of mini-batches */
    const size_t units[3] = {40, 6, 1};
    const int acts[3] = {MLP_ACT_TANH, MLP_ACT_SIGMOID, MLP_ACT_LINEAR};
    mlp_t *net = fix_make_net(IN, 3, units, acts, MLP_LOSS_MSE, init_seed);
    mlp_train_opts o = mlp_default_train_opts();
    mlp_data data = {N, x, y};
    o.epochs = 5;
    o.learning_rate = 0.02;
    o.batch_size = batch;
    o.optimizer = optimizer;
    o.seed = shuffle_seed;
    o.validation_split = 0.25;
    ck_assert_int_eq(mlp_train(net, &data, &o, NULL, &(mlp_train_result){0}), MLP_OK);
    return net;
}


START_TEST(same_inputs_same_weights_bit_for_bit)
{
    const size_t batches[3] = {1, 16, 1};
    const int opts[3] = {MLP_OPT_SGD, MLP_OPT_SGD, MLP_OPT_ADAM};
    for (int k = 0; k < 3; k++) {
        mlp_t *a = det_run(1, 2, batches[k], opts[k]), *b = det_run(1, 2, batches[k], opts[k]);
        mlp_t *c = det_run(3, 2, batches[k], opts[k]), *d = det_run(1, 4, batches[k], opts[k]);
        ck_assert_msg(fix_same_params(a, b), "case %d: same inputs, different weights", k);
        ck_assert_msg(!fix_same_params(a, c), "case %d: another init seed, same weights", k);
        ck_assert_msg(!fix_same_params(a, d), "case %d: another shuffle seed, same weights", k);
        mlp_free(a), mlp_free(b), mlp_free(c), mlp_free(d);
    }
}
END_TEST

START_TEST(init_is_deterministic)
{
    const size_t units[2] = {5, 3};
    const int acts[2] = {MLP_ACT_RELU, MLP_ACT_LINEAR};
    mlp_t *a = fix_make_net(4, 2, units, acts, MLP_LOSS_MSE, 10);
    mlp_t *b = fix_make_net(4, 2, units, acts, MLP_LOSS_MSE, 10);
    mlp_t *c = fix_make_net(4, 2, units, acts, MLP_LOSS_MSE, 11);
    ck_assert(fix_same_params(a, b));
    ck_assert(!fix_same_params(a, c));
    mlp_free(a), mlp_free(b), mlp_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core_train");
    TCase *tc = tcase_create("convergence");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, xor_sigmoid_mse_online);
    tcase_add_test(tc, xor_sigmoid_cross_entropy_online);
    tcase_add_loop_test(tc, xor_every_optimizer, 0,
                        (int)(sizeof optim_cases / sizeof optim_cases[0]));
    tcase_add_test(tc, weight_decay_shrinks_weights);
    tcase_add_test(tc, regression_sin_cos);
    tcase_add_test(tc, softmax_three_classes);
    suite_add_tcase(s, tc);

    tc = tcase_create("updates");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, mini_batch_step_is_mean_gradient);
    tcase_add_test(tc, momentum_two_steps);
    tcase_add_test(tc, momentum_online_steps);
    tcase_add_test(tc, adam_three_steps);
    tcase_add_test(tc, weight_decay_skips_biases);
    tcase_add_test(tc, nesterov_without_momentum_is_sgd);
    tcase_add_loop_test(tc, optimizer_matches_reference, 0, 32);
    tcase_add_test(tc, same_inputs_same_weights_bit_for_bit);
    tcase_add_test(tc, init_is_deterministic);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
