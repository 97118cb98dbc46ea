/*
 * test_core_grad.c - analytic gradients against central differences on
 * random networks, for every activation and loss the library accepts, and
 * the gradient check that mlp_step runs itself (MLP_STEP_CHECK).
 *
 * The test carries its own reference forward pass (plain loops over the
 * flat layout of mlp.h) to cross-check the library's loss and to keep ReLU
 * samples away from the kink, where a central difference means nothing.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"

#define MAX_W 6      /* widest layer drawn */
#define MAX_L 4      /* deepest network drawn */
#define NETS_PER_CASE 12
#define H 1e-5       /* central-difference step (times max(1, |w|)) */
#define RELU_MARGIN 0.02

typedef struct grad_case {
    int hidden, out, loss;
} grad_case;

static size_t draw_int(mlp_rng *rng, size_t lo, size_t hi)
{
    return lo + (size_t)(mlp_rng_next(rng) % (hi - lo + 1));
}

static double draw_real(mlp_rng *rng, double lo, double hi)
{
    return lo + (hi - lo) * mlp_rng_uniform(rng);
}

/* A random network for case c; weights and biases U(-1, 1). */
static mlp_t *random_net(mlp_rng *rng, const grad_case *c)
{
    mlp_spec s;
    mlp_t *net = NULL;
    memset(&s, 0, sizeof s);
    s.inputs = draw_int(rng, 1, MAX_W);
    s.n_layers = draw_int(rng, 1, MAX_L);
    for (size_t l = 0; l < s.n_layers; l++) {
        s.layers[l].units = draw_int(rng, 1, MAX_W);
        s.layers[l].activation = c->hidden;
    }
    s.layers[s.n_layers - 1].activation = c->out;
    if (c->out == MLP_ACT_SOFTMAX && s.layers[s.n_layers - 1].units < 2)
        s.layers[s.n_layers - 1].units = 2;
    s.loss = c->loss;
    ck_assert_int_eq(mlp_new(&s, NULL, NULL, &net), MLP_OK);
    double *p = mlp_params(net);
    for (size_t i = 0; i < mlp_param_count(net); i++)
        p[i] = draw_real(rng, -1.0, 1.0);
    return net;
}

static void draw_target(mlp_rng *rng, const grad_case *c, double *d, size_t n)
{
    if (c->loss == MLP_LOSS_MSE) {
        for (size_t j = 0; j < n; j++)
            d[j] = draw_real(rng, -1.0, 1.0);
    } else if (c->out == MLP_ACT_SIGMOID) { /* binary / multilabel */
        for (size_t j = 0; j < n; j++)
            d[j] = (double)(mlp_rng_next(rng) & 1);
    } else if (mlp_rng_next(rng) & 1) { /* softmax: one-hot */
        memset(d, 0, n * sizeof *d);
        d[draw_int(rng, 0, n - 1)] = 1.0;
    } else { /* softmax: a probability vector */
        double s = 0.0;
        for (size_t j = 0; j < n; j++)
            s += d[j] = draw_real(rng, 0.01, 1.0);
        for (size_t j = 0; j < n; j++)
            d[j] /= s;
    }
}

/* Reference forward: every layer's pre-activation into v (and the output
 * into y); returns the smallest |v| over ReLU units (INFINITY if none). */
static double ref_forward(const mlp_t *net, const double *x, double *y)
{
    const mlp_spec *s = mlp_get_spec(net);
    const double *p = mlp_params_const(net);
    double in[MAX_W], out[MAX_W], min_relu = INFINITY;
    size_t fan_in = s->inputs, off = 0;
    memcpy(in, x, fan_in * sizeof *in);
    for (size_t l = 0; l < s->n_layers; l++) {
        size_t units = s->layers[l].units;
        int act = s->layers[l].activation;
        const double *w = p + off, *b = p + off + units * fan_in;
        double sum = 0.0, m = -INFINITY;
        for (size_t k = 0; k < units; k++) {
            double v = b[k];
            for (size_t i = 0; i < fan_in; i++)
                v += w[k * fan_in + i] * in[i];
            out[k] = v;
            m = fmax(m, v);
        }
        for (size_t k = 0; k < units; k++) {
            double v = out[k];
            switch (act) {
            case MLP_ACT_SIGMOID: out[k] = 1.0 / (1.0 + exp(-v)); break;
            case MLP_ACT_TANH: out[k] = tanh(v); break;
            case MLP_ACT_RELU:
                min_relu = fmin(min_relu, fabs(v));
                out[k] = v > 0.0 ? v : 0.0;
                break;
            case MLP_ACT_SOFTMAX: out[k] = exp(v - m), sum += out[k]; break;
            default: break;
            }
        }
        if (act == MLP_ACT_SOFTMAX)
            for (size_t k = 0; k < units; k++)
                out[k] /= sum;
        off += units * (fan_in + 1);
        fan_in = units;
        memcpy(in, out, units * sizeof *in);
    }
    memcpy(y, out, fan_in * sizeof *y);
    return min_relu;
}

/* The loss as mlp.h defines it, from the reference outputs. */
static double ref_loss(const mlp_t *net, const double *y, const double *d)
{
    const mlp_spec *s = mlp_get_spec(net);
    size_t n = mlp_outputs(net);
    int out = s->layers[s->n_layers - 1].activation;
    double E = 0.0;
    for (size_t j = 0; j < n; j++) {
        if (s->loss == MLP_LOSS_MSE)
            E += 0.5 * (d[j] - y[j]) * (d[j] - y[j]);
        else if (out == MLP_ACT_SOFTMAX)
            E -= d[j] * log(y[j]);
        else
            E -= d[j] * log(y[j]) + (1.0 - d[j]) * log(1.0 - y[j]);
    }
    return E;
}

/* Exactly the scratch the header asks for, on the heap: ASan sees overruns. */
static double *new_work(const mlp_t *net)
{
    double *w = malloc(mlp_work_size(net) * sizeof *w);
    ck_assert_ptr_nonnull(w);
    return w;
}

static double sample_loss(const mlp_t *net, const double *x, const double *d, double *work)
{
    double E = NAN;
    ck_assert_int_eq(mlp_sample_loss(net, x, d, work, &E), MLP_OK);
    return E;
}

/* Central difference of the sample loss in every parameter. */
static void numeric_gradient(mlp_t *net, const double *x, const double *d, double *num,
                             double *work)
{
    double *p = mlp_params(net);
    for (size_t i = 0; i < mlp_param_count(net); i++) {
        double saved = p[i], h = H * fmax(1.0, fabs(saved));
        p[i] = saved + h;
        double up = sample_loss(net, x, d, work);
        p[i] = saved - h;
        double down = sample_loss(net, x, d, work);
        p[i] = saved;
        num[i] = (up - down) / (2.0 * h);
    }
}

/* Relative error with a floor, so that gradients near zero are judged by
 * their absolute error (1e-9) instead. */
static int grad_close(double a, double n)
{
    return fabs(a - n) <= 1e-6 * fmax(fabs(a) + fabs(n), 1e-3);
}

/* A sample whose ReLU pre-activations all keep RELU_MARGIN from zero. */
static int draw_sample(mlp_rng *rng, const mlp_t *net, const grad_case *c, double *x, double *d)
{
    double y[MAX_W];
    for (int tries = 0; tries < 200; tries++) {
        for (size_t i = 0; i < mlp_inputs(net); i++)
            x[i] = draw_real(rng, -1.5, 1.5);
        draw_target(rng, c, d, mlp_outputs(net));
        if (ref_forward(net, x, y) > RELU_MARGIN)
            return 1;
    }
    return 0;
}

static void check_case(const grad_case *c, uint64_t seed)
{
    mlp_rng rng;
    size_t checked = 0;
    mlp_rng_seed(&rng, seed);
    for (int k = 0; k < NETS_PER_CASE; k++) {
        mlp_t *net = random_net(&rng, c);
        size_t P = mlp_param_count(net);
        double x[MAX_W], d[MAX_W], y[MAX_W], *work = new_work(net);
        double *grad = calloc(P, sizeof *grad), *num = calloc(P, sizeof *num);
        double *before = malloc(P * sizeof *before);
        ck_assert(grad && num && before);
        if (!draw_sample(&rng, net, c, x, d)) {
            free(grad), free(num), free(before), free(work), mlp_free(net);
            continue; /* a ReLU network with no clear sample: draw another */
        }
        /* the library's loss agrees with the reference */
        ref_forward(net, x, y);
        double E_ref = ref_loss(net, y, d), E = sample_loss(net, x, d, work);
        ck_assert_msg(fabs(E - E_ref) <= 1e-12 * fmax(1.0, fabs(E_ref)),
                      "loss: reference %.17g, library %.17g", E_ref, E);

        memcpy(before, mlp_params_const(net), P * sizeof *before);
        ck_assert_int_eq(mlp_gradient(net, x, d, grad, NULL), MLP_OK);
        ck_assert_int_eq(memcmp(before, mlp_params_const(net), P * sizeof *before), 0);
        numeric_gradient(net, x, d, num, work);
        for (size_t i = 0; i < P; i++)
            ck_assert_msg(grad_close(grad[i], num[i]),
                          "case %d/%d/%d net %d param %zu of %zu: analytic %.12g numeric %.12g",
                          c->hidden, c->out, c->loss, k, i, P, grad[i], num[i]);
        checked++;
        free(grad), free(num), free(before), free(work);
        mlp_free(net);
    }
    ck_assert_uint_ge(checked, NETS_PER_CASE / 2); /* the test did test */
}

static const int hidden_acts[4] = {MLP_ACT_SIGMOID, MLP_ACT_TANH, MLP_ACT_LINEAR, MLP_ACT_RELU};

/* _i indexes hidden_acts (a loop test). */
START_TEST(gradient_mse_every_output_activation)
{
    const int outs[4] = {MLP_ACT_SIGMOID, MLP_ACT_TANH, MLP_ACT_LINEAR, MLP_ACT_RELU};
    for (int o = 0; o < 4; o++) {
        grad_case c = {hidden_acts[_i], outs[o], MLP_LOSS_MSE};
        check_case(&c, 1000u + 10u * (uint64_t)_i + (uint64_t)o);
    }
}
END_TEST

START_TEST(gradient_softmax_cross_entropy)
{
    grad_case c = {hidden_acts[_i], MLP_ACT_SOFTMAX, MLP_LOSS_CROSS_ENTROPY};
    check_case(&c, 2000u + (uint64_t)_i);
}
END_TEST

START_TEST(gradient_sigmoid_cross_entropy)
{
    grad_case c = {hidden_acts[_i], MLP_ACT_SIGMOID, MLP_LOSS_CROSS_ENTROPY};
    check_case(&c, 3000u + (uint64_t)_i);
}
END_TEST

/* mlp_step with MLP_STEP_CHECK: central differences beside the analytic
 * gradient, agreeing with the test's own; without APPLY the perturbed
 * parameters are all put back exactly. */
START_TEST(step_check_fills_numeric_gradients)
{
    const grad_case cases[4] = {
        {MLP_ACT_SIGMOID, MLP_ACT_LINEAR, MLP_LOSS_MSE},
        {MLP_ACT_TANH, MLP_ACT_SIGMOID, MLP_LOSS_MSE},
        {MLP_ACT_TANH, MLP_ACT_SOFTMAX, MLP_LOSS_CROSS_ENTROPY},
        {MLP_ACT_SIGMOID, MLP_ACT_SIGMOID, MLP_LOSS_CROSS_ENTROPY},
    };
    mlp_rng rng;
    mlp_rng_seed(&rng, 4242);
    for (int ci = 0; ci < 4; ci++) {
        for (int k = 0; k < 4; k++) {
            mlp_t *net = random_net(&rng, &cases[ci]);
            size_t P = mlp_param_count(net);
            double x[MAX_W], d[MAX_W], *work = new_work(net);
            double *grad = calloc(P, sizeof *grad), *num = calloc(P, sizeof *num);
            double *before = malloc(P * sizeof *before);
            mlp_trace tr;
            ck_assert(grad && num && before);
            ck_assert(draw_sample(&rng, net, &cases[ci], x, d));
            ck_assert_int_eq(mlp_gradient(net, x, d, grad, NULL), MLP_OK);
            numeric_gradient(net, x, d, num, work);
            memcpy(before, mlp_params_const(net), P * sizeof *before);

            ck_assert_int_eq(mlp_step(net, x, d, 0.1, MLP_STEP_CHECK, NULL, &tr), MLP_OK);
            ck_assert_int_eq(memcmp(before, mlp_params_const(net), P * sizeof *before), 0);
            ck_assert_int_eq(tr.checked, 1);
            ck_assert_int_eq(tr.applied, 0);
            double worst = 0.0;
            for (size_t l = 0; l < tr.n_layers; l++) {
                const mlp_trace_layer *t = &tr.layers[l];
                size_t fan_in, w_off, b_off;
                ck_assert_int_eq(mlp_layer_offsets(net, l, &fan_in, &w_off, &b_off), MLP_OK);
                ck_assert_ptr_nonnull(t->num_grad_w);
                ck_assert_ptr_nonnull(t->num_grad_b);
                for (size_t q = 0; q < t->units * fan_in + t->units; q++) {
                    int is_w = q < t->units * fan_in;
                    size_t at = is_w ? w_off + q : b_off + (q - t->units * fan_in);
                    double an = is_w ? t->grad_w[q] : t->grad_b[q - t->units * fan_in];
                    double nu = is_w ? t->num_grad_w[q] : t->num_grad_b[q - t->units * fan_in];
                    ck_assert_msg(fabs(an - grad[at]) <= 1e-12 * fmax(1.0, fabs(grad[at])),
                                  "trace grad %.17g vs mlp_gradient %.17g", an, grad[at]);
                    ck_assert_msg(grad_close(nu, num[at]), "trace numeric %.12g vs test's %.12g",
                                  nu, num[at]);
                    worst = fmax(worst, fabs(nu - an) / fmax(1e-8, fabs(nu) + fabs(an)));
                }
            }
            /* max_rel_error as the header defines it, over this trace */
            ck_assert_msg(fabs(tr.max_rel_error - worst) <= 1e-15 + 1e-9 * worst,
                          "max_rel_error %.6g, recomputed %.6g", tr.max_rel_error, worst);
            ck_assert_msg(tr.max_rel_error < 1e-6, "case %d net %d: max_rel_error %.3g", ci, k,
                          tr.max_rel_error);
            mlp_trace_free(&tr);
            free(grad), free(num), free(before), free(work);
            mlp_free(net);
        }
    }
}
END_TEST

/* With APPLY and CHECK together the result is the plain applied step. */
START_TEST(step_check_and_apply_gives_the_applied_step)
{
    grad_case c = {MLP_ACT_TANH, MLP_ACT_LINEAR, MLP_LOSS_MSE};
    mlp_rng rng;
    mlp_rng_seed(&rng, 77);
    mlp_t *a = random_net(&rng, &c), *b = NULL;
    double x[MAX_W], d[MAX_W];
    mlp_trace ta, tb;
    ck_assert(draw_sample(&rng, a, &c, x, d));
    ck_assert_int_eq(mlp_clone(a, &b), MLP_OK);
    ck_assert_int_eq(mlp_step(a, x, d, 0.3, MLP_STEP_APPLY | MLP_STEP_CHECK, NULL, &ta), MLP_OK);
    ck_assert_int_eq(mlp_step(b, x, d, 0.3, MLP_STEP_APPLY, NULL, &tb), MLP_OK);
    ck_assert_int_eq(memcmp(mlp_params_const(a), mlp_params_const(b),
                            mlp_param_count(a) * sizeof(double)), 0);
    ck_assert_int_eq(ta.applied, 1);
    ck_assert(ta.E_after == tb.E_after);
    mlp_trace_free(&ta);
    mlp_trace_free(&tb);
    mlp_free(a);
    mlp_free(b);
}
END_TEST

/* Gradient-descent sanity: a small step against the gradient lowers the
 * loss, and dE/dw = 0 for a ReLU unit that is off. */
START_TEST(step_against_gradient_lowers_loss)
{
    grad_case c = {MLP_ACT_SIGMOID, MLP_ACT_SOFTMAX, MLP_LOSS_CROSS_ENTROPY};
    mlp_rng rng;
    mlp_rng_seed(&rng, 99);
    for (int k = 0; k < 20; k++) {
        mlp_t *net = random_net(&rng, &c);
        size_t P = mlp_param_count(net);
        double x[MAX_W], d[MAX_W], *work = new_work(net), *g = calloc(P, sizeof *g);
        ck_assert_ptr_nonnull(g);
        ck_assert(draw_sample(&rng, net, &c, x, d));
        ck_assert_int_eq(mlp_gradient(net, x, d, g, NULL), MLP_OK);
        double E0 = sample_loss(net, x, d, work), g2 = 0.0;
        for (size_t i = 0; i < P; i++) {
            mlp_params(net)[i] -= 1e-3 * g[i];
            g2 += g[i] * g[i];
        }
        double E1 = sample_loss(net, x, d, work);
        /* first order: E1 ~ E0 - 1e-3 |g|^2 */
        ck_assert_msg(E1 < E0 || g2 == 0.0, "E0 %.17g E1 %.17g", E0, E1);
        ck_assert(fabs((E0 - E1) - 1e-3 * g2) <= 1e-3 * g2 * 0.05 + 1e-15);
        free(g);
        free(work);
        mlp_free(net);
    }
}
END_TEST

START_TEST(relu_unit_that_is_off_has_zero_gradient)
{
    mlp_spec s;
    mlp_t *net = NULL;
    memset(&s, 0, sizeof s);
    s.inputs = 1;
    s.n_layers = 2;
    s.layers[0].units = 2;
    s.layers[0].activation = MLP_ACT_RELU;
    s.layers[1].units = 1;
    s.layers[1].activation = MLP_ACT_LINEAR;
    s.loss = MLP_LOSS_MSE;
    ck_assert_int_eq(mlp_new(&s, NULL, NULL, &net), MLP_OK);
    /* unit 1: v = -1 x - 0.5 (off for x = 1); unit 2: v = 2 x + 0.1 (on) */
    const double p[7] = {-1.0, 2.0, -0.5, 0.1, 0.8, -0.3, 0.05};
    memcpy(mlp_params(net), p, sizeof p);
    double x[1] = {1.0}, d[1] = {2.0}, g[7];
    ck_assert_int_eq(mlp_gradient(net, x, d, g, NULL), MLP_OK);
    double h2 = 2.1, y = -0.3 * h2 + 0.05, e = d[0] - y;
    ck_assert(g[0] == 0.0 && g[2] == 0.0); /* w and b of the unit that is off */
    ck_assert(g[4] == 0.0);                /* output weight from a zero input */
    ck_assert(fabs(g[1] - (-e * -0.3 * 1.0 * 1.0)) <= 1e-15);
    ck_assert(fabs(g[5] - (-e * h2)) <= 1e-14);
    ck_assert(fabs(g[6] - (-e)) <= 1e-15);
    mlp_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core_grad");
    TCase *tc = tcase_create("finite_differences");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, gradient_mse_every_output_activation, 0, 4);
    tcase_add_loop_test(tc, gradient_softmax_cross_entropy, 0, 4);
    tcase_add_loop_test(tc, gradient_sigmoid_cross_entropy, 0, 4);
    tcase_add_test(tc, step_check_fills_numeric_gradients);
    tcase_add_test(tc, step_check_and_apply_gives_the_applied_step);
    tcase_add_test(tc, step_against_gradient_lowers_loss);
    tcase_add_test(tc, relu_unit_that_is_off_has_zero_gradient);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
