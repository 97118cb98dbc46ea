/*
 * test_core_lecture.c - the lecture's 2-3-1 network (logsig hidden, linear
 * output, E = 1/2 e^2) reproduced weight by weight, and exact outputs and
 * losses of small hand-set networks with every activation.
 *
 * Every expected value here is written out from the lecture's formulas in
 * the test itself, never taken from the library.
 */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "util_testalloc.h"

#define TOL 1e-12

#define ck_near(got, want, tol, what)                                                    \
    ck_assert_msg(fabs((got) - (want)) <= (tol), "%s: expected %.17g, got %.17g", (what), \
                  (double)(want), (double)(got))

static double logsig(double v) { return 1.0 / (1.0 + exp(-v)); }

/* The lecture's parameters by name. */
typedef struct lecture_w {
    double w11, w12, w21, w22, w31, w32; /* hidden weights w_ik */
    double b1, b2, b3;                   /* hidden biases */
    double w41, w42, w43;                /* output weights w_4i */
    double b4;                           /* output bias */
} lecture_w;

static const lecture_w lecture_start = {
    .w11 = 0.1, .w12 = -0.3, .w21 = 0.4, .w22 = 0.2, .w31 = -0.5, .w32 = 0.6,
    .b1 = 0.05, .b2 = -0.1, .b3 = 0.3,
    .w41 = 0.7, .w42 = -0.4, .w43 = 0.9, .b4 = -0.2,
};

/* Flat layout of mlp.h: W1 (3 x 2) row by row, b1, W2 (1 x 3), b2. */
static void lecture_to_flat(const lecture_w *w, double p[13])
{
    const double flat[13] = {w->w11, w->w12, w->w21, w->w22, w->w31, w->w32, w->b1, w->b2,
                             w->b3,  w->w41, w->w42, w->w43, w->b4};
    memcpy(p, flat, sizeof flat);
}

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

static mlp_t *lecture_net(const lecture_w *w)
{
    mlp_spec s = lecture_spec();
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_new(&s, NULL, NULL, &net), MLP_OK);
    ck_assert_uint_eq(mlp_param_count(net), 13);
    lecture_to_flat(w, mlp_params(net));
    return net;
}

/* The lecture's forward path. */
typedef struct lecture_fwd {
    double v1, v2, v3, yh1, yh2, yh3, v4, y, e, E;
} lecture_fwd;

static lecture_fwd lecture_forward(const lecture_w *w, double x1, double x2, double d)
{
    lecture_fwd f;
    f.v1 = w->w11 * x1 + w->w12 * x2 + w->b1;
    f.yh1 = 1.0 / (1.0 + exp(-f.v1));
    f.v2 = w->w21 * x1 + w->w22 * x2 + w->b2;
    f.yh2 = 1.0 / (1.0 + exp(-f.v2));
    f.v3 = w->w31 * x1 + w->w32 * x2 + w->b3;
    f.yh3 = 1.0 / (1.0 + exp(-f.v3));
    f.v4 = w->w41 * f.yh1 + w->w42 * f.yh2 + w->w43 * f.yh3 + w->b4;
    f.y = f.v4; /* linear output: y = f(v4) = v4 */
    f.e = d - f.y;
    f.E = 0.5 * f.e * f.e;
    return f;
}

/* The lecture's backward path, slide by slide: output weights and bias,
 * then hidden weights and biases with w_4i(n), the output weights of step n
 * (before their own update). */
static lecture_w lecture_update(const lecture_w *w, double x1, double x2, double d, double eta)
{
    lecture_fwd f = lecture_forward(w, x1, x2, d);
    lecture_w n;
    /* (1) w_4i(n+1) = w_4i(n) + eta (d - y) f(v_i) */
    n.w41 = w->w41 + eta * (d - f.y) * f.yh1;
    n.w42 = w->w42 + eta * (d - f.y) * f.yh2;
    n.w43 = w->w43 + eta * (d - f.y) * f.yh3;
    /* (2) b_4(n+1) = b_4(n) + eta (d - y) */
    n.b4 = w->b4 + eta * (d - f.y);
    /* (3) w_ik(n+1) = w_ik(n) + eta (d - y) w_4i(n) f(v_i)(1 - f(v_i)) x_k */
    n.w11 = w->w11 + eta * (d - f.y) * w->w41 * f.yh1 * (1.0 - f.yh1) * x1;
    n.w12 = w->w12 + eta * (d - f.y) * w->w41 * f.yh1 * (1.0 - f.yh1) * x2;
    n.w21 = w->w21 + eta * (d - f.y) * w->w42 * f.yh2 * (1.0 - f.yh2) * x1;
    n.w22 = w->w22 + eta * (d - f.y) * w->w42 * f.yh2 * (1.0 - f.yh2) * x2;
    n.w31 = w->w31 + eta * (d - f.y) * w->w43 * f.yh3 * (1.0 - f.yh3) * x1;
    n.w32 = w->w32 + eta * (d - f.y) * w->w43 * f.yh3 * (1.0 - f.yh3) * x2;
    /* (4) b_i(n+1) = b_i(n) + eta (d - y) w_4i(n) f(v_i)(1 - f(v_i)) */
    n.b1 = w->b1 + eta * (d - f.y) * w->w41 * f.yh1 * (1.0 - f.yh1);
    n.b2 = w->b2 + eta * (d - f.y) * w->w42 * f.yh2 * (1.0 - f.yh2);
    n.b3 = w->b3 + eta * (d - f.y) * w->w43 * f.yh3 * (1.0 - f.yh3);
    return n;
}

static void assert_params_are(const double *got, const lecture_w *want, double tol)
{
    static const char *names[13] = {"w11", "w12", "w21", "w22", "w31", "w32", "b1",
                                    "b2",  "b3",  "w41", "w42", "w43", "b4"};
    double p[13];
    lecture_to_flat(want, p);
    for (int i = 0; i < 13; i++)
        ck_near(got[i], p[i], tol, names[i]);
}

static const double X1 = 0.8, X2 = -0.6, D = 0.9, ETA = 0.5;

START_TEST(lecture_step_updates_every_weight_as_on_the_slides)
{
    mlp_t *net = lecture_net(&lecture_start);
    mlp_trace tr;
    double x[2] = {X1, X2}, d[1] = {D};
    lecture_w want = lecture_update(&lecture_start, X1, X2, D, ETA);

    ck_assert_int_eq(mlp_step(net, x, d, ETA, MLP_STEP_APPLY, NULL, &tr), MLP_OK);
    assert_params_are(mlp_params_const(net), &want, TOL);
    ck_assert_int_eq(tr.applied, 1);
    ck_assert_int_eq(tr.checked, 0);
    ck_assert(tr.learning_rate == ETA);
    mlp_trace_free(&tr);
    mlp_free(net);
}
END_TEST

/* Hidden updates must use w_4i(n): with w_4i(n+1) every hidden weight would
 * differ by far more than the tolerance. Guard that this data can tell. */
START_TEST(lecture_hidden_updates_use_output_weights_before_update)
{
    lecture_w want = lecture_update(&lecture_start, X1, X2, D, ETA);
    lecture_fwd f = lecture_forward(&lecture_start, X1, X2, D);
    double wrong_w11 = lecture_start.w11 +
                       ETA * f.e * want.w41 * f.yh1 * (1.0 - f.yh1) * X1; /* w_41(n+1) */
    ck_assert(fabs(wrong_w11 - want.w11) > 1e-4);

    mlp_t *net = lecture_net(&lecture_start);
    mlp_trace tr;
    double x[2] = {X1, X2}, d[1] = {D};
    ck_assert_int_eq(mlp_step(net, x, d, ETA, MLP_STEP_APPLY, NULL, &tr), MLP_OK);
    ck_near(mlp_params_const(net)[0], want.w11, TOL, "w11");
    ck_assert(fabs(mlp_params_const(net)[0] - wrong_w11) > 1e-4);
    mlp_trace_free(&tr);
    mlp_free(net);
}
END_TEST

START_TEST(lecture_trace_shows_the_slide_quantities)
{
    mlp_t *net = lecture_net(&lecture_start);
    mlp_trace tr;
    double x[2] = {X1, X2}, d[1] = {D};
    const lecture_w *w = &lecture_start;
    lecture_fwd f = lecture_forward(w, X1, X2, D);
    lecture_w n = lecture_update(w, X1, X2, D, ETA);
    double yh[3] = {f.yh1, f.yh2, f.yh3}, v[3] = {f.v1, f.v2, f.v3};
    double w4[3] = {w->w41, w->w42, w->w43};
    double xs[2] = {X1, X2};

    ck_assert_int_eq(mlp_step(net, x, d, ETA, MLP_STEP_APPLY, NULL, &tr), MLP_OK);
    ck_assert_uint_eq(tr.n_layers, 2);
    ck_assert_uint_eq(tr.outputs, 1);
    const mlp_trace_layer *h = &tr.layers[0], *o = &tr.layers[1];
    ck_assert_uint_eq(h->units, 3);
    ck_assert_uint_eq(h->fan_in, 2);
    ck_assert_int_eq(h->activation, MLP_ACT_SIGMOID);
    ck_assert_uint_eq(o->units, 1);
    ck_assert_uint_eq(o->fan_in, 3);
    ck_assert_int_eq(o->activation, MLP_ACT_LINEAR);
    ck_assert_ptr_null(h->num_grad_w);
    ck_assert_ptr_null(o->num_grad_b);

    /* forward path */
    ck_near(h->input[0], X1, 0.0, "x1");
    ck_near(h->input[1], X2, 0.0, "x2");
    for (int i = 0; i < 3; i++) {
        ck_near(h->v[i], v[i], TOL, "v_i");
        ck_near(h->y[i], yh[i], TOL, "y_hi");
        ck_near(h->fprime[i], yh[i] * (1.0 - yh[i]), TOL, "f'(v_i)");
        ck_near(o->input[i], yh[i], TOL, "output layer input");
    }
    ck_near(o->v[0], f.v4, TOL, "v4");
    ck_near(o->y[0], f.v4, TOL, "y = v4");
    ck_near(o->fprime[0], 1.0, TOL, "f'(v4)");
    ck_near(tr.e[0], f.e, TOL, "e");
    ck_near(tr.E_before, f.E, TOL, "E before");

    /* local gradients: e f'(v4) at the output, e w_4i(n) f'(v_i) hidden */
    ck_near(o->delta[0], f.e * 1.0, TOL, "delta4");
    for (int i = 0; i < 3; i++)
        ck_near(h->delta[i], f.e * w4[i] * yh[i] * (1.0 - yh[i]), TOL, "delta_i");

    /* changes and gradients */
    for (int i = 0; i < 3; i++) {
        ck_near(o->dw[i], ETA * f.e * yh[i], TOL, "dw_4i");
        ck_near(o->grad_w[i], -f.e * yh[i], TOL, "dE/dw_4i");
        ck_near(o->w_before[i], w4[i], 0.0, "w_4i(n)");
        ck_near(h->db[i], ETA * f.e * w4[i] * yh[i] * (1.0 - yh[i]), TOL, "db_i");
        ck_near(h->grad_b[i], -f.e * w4[i] * yh[i] * (1.0 - yh[i]), TOL, "dE/db_i");
        for (int k = 0; k < 2; k++) {
            double dw = ETA * f.e * w4[i] * yh[i] * (1.0 - yh[i]) * xs[k];
            ck_near(h->dw[i * 2 + k], dw, TOL, "dw_ik");
            ck_near(h->grad_w[i * 2 + k], -dw / ETA, TOL, "dE/dw_ik");
        }
    }
    ck_near(o->db[0], ETA * f.e, TOL, "db4");
    ck_near(o->grad_b[0], -f.e, TOL, "dE/db4");
    ck_near(o->b_before[0], w->b4, 0.0, "b4(n)");

    /* weights after, in the trace */
    double after[13];
    lecture_to_flat(&n, after);
    for (int k = 0; k < 6; k++)
        ck_near(h->w_after[k], after[k], TOL, "hidden w after");
    for (int k = 0; k < 3; k++) {
        ck_near(h->b_after[k], after[6 + k], TOL, "hidden b after");
        ck_near(o->w_after[k], after[9 + k], TOL, "output w after");
    }
    ck_near(o->b_after[0], after[12], TOL, "b4 after");

    /* E after: the lecture's cost with the new weights */
    lecture_fwd g = lecture_forward(&n, X1, X2, D);
    ck_near(tr.E_after, g.E, TOL, "E after");
    ck_assert(tr.E_after < tr.E_before); /* a small step downhill */
    mlp_trace_free(&tr);
    mlp_free(net);
}
END_TEST

START_TEST(step_without_apply_leaves_the_network_and_shows_the_result)
{
    mlp_t *a = lecture_net(&lecture_start), *b = NULL;
    mlp_trace ta, tb;
    double x[2] = {X1, X2}, d[1] = {D}, before[13];
    ck_assert_int_eq(mlp_clone(a, &b), MLP_OK);
    memcpy(before, mlp_params_const(a), sizeof before);

    ck_assert_int_eq(mlp_step(a, x, d, ETA, 0, NULL, &ta), MLP_OK);
    ck_assert_int_eq(memcmp(before, mlp_params_const(a), sizeof before), 0);
    ck_assert_int_eq(ta.applied, 0);

    ck_assert_int_eq(mlp_step(b, x, d, ETA, MLP_STEP_APPLY, NULL, &tb), MLP_OK);
    const double *pb = mlp_params_const(b);
    for (size_t l = 0; l < 2; l++) {
        size_t fan_in, w_off, b_off, units = ta.layers[l].units;
        ck_assert_int_eq(mlp_layer_offsets(a, l, &fan_in, &w_off, &b_off), MLP_OK);
        ck_assert_int_eq(memcmp(ta.layers[l].w_after, pb + w_off,
                                units * fan_in * sizeof(double)), 0);
        ck_assert_int_eq(memcmp(ta.layers[l].b_after, pb + b_off, units * sizeof(double)), 0);
    }
    ck_assert(ta.E_after == tb.E_after);

    /* E_after is the sample loss recomputed with the new weights */
    double work[64], E;
    ck_assert_uint_le(mlp_work_size(b), 64);
    ck_assert_int_eq(mlp_sample_loss(b, x, d, work, &E), MLP_OK);
    ck_near(tb.E_after, E, TOL, "E_after vs mlp_sample_loss");
    mlp_trace_free(&ta);
    mlp_trace_free(&tb);
    mlp_free(a);
    mlp_free(b);
}
END_TEST

/* Several online steps in a row stay on the lecture's trajectory, through
 * mlp_step and through mlp_train's online rule (batch 1, no shuffle). */
START_TEST(lecture_sequence_of_steps_and_online_epoch)
{
    const double xs[4][2] = {{0.8, -0.6}, {-1.0, 0.5}, {0.3, 0.9}, {1.5, 1.2}};
    const double ds[4] = {0.9, -0.4, 0.2, 1.1};
    lecture_w want = lecture_start;
    mlp_t *stepped = lecture_net(&lecture_start), *trained = lecture_net(&lecture_start);
    for (int s = 0; s < 4; s++) {
        mlp_trace tr;
        want = lecture_update(&want, xs[s][0], xs[s][1], ds[s], ETA);
        ck_assert_int_eq(mlp_step(stepped, xs[s], &ds[s], ETA, MLP_STEP_APPLY, NULL, &tr), MLP_OK);
        mlp_trace_free(&tr);
    }
    assert_params_are(mlp_params_const(stepped), &want, TOL);

    mlp_train_opts o = mlp_default_train_opts();
    mlp_train_result r;
    mlp_data data = {4, &xs[0][0], ds};
    o.epochs = 1;
    o.learning_rate = ETA;
    o.batch_size = 1;
    o.shuffle = 0;
    ck_assert_int_eq(mlp_train(trained, &data, &o, NULL, &r), MLP_OK);
    ck_assert_int_eq(r.stop, MLP_STOP_EPOCHS);
    ck_assert_uint_eq(r.epochs_run, 1);
    assert_params_are(mlp_params_const(trained), &want, TOL);

    /* the epoch's loss: mean of 1/2 e^2 with the end-of-epoch weights */
    double mean = 0.0;
    for (int s = 0; s < 4; s++)
        mean += lecture_forward(&want, xs[s][0], xs[s][1], ds[s]).E / 4.0;
    ck_near(r.loss, mean, TOL, "epoch loss");
    mlp_free(stepped);
    mlp_free(trained);
}
END_TEST

START_TEST(lecture_forward_output)
{
    mlp_t *net = lecture_net(&lecture_start);
    double x[2] = {X1, X2}, y[1], work[64];
    lecture_fwd f = lecture_forward(&lecture_start, X1, X2, D);
    ck_assert_int_eq(mlp_forward(net, x, y, work), MLP_OK);
    ck_near(y[0], f.y, TOL, "y");
    mlp_free(net);
}
END_TEST

/* The lecture's rules beyond its example: two inputs, two tanh hidden
 * units, three softmax outputs with cross-entropy, where the output's local
 * gradient is d_k - y_k and a hidden one is f'(v_i) sum_k w_ki delta_k. */
START_TEST(softmax_step_generalises_the_lecture)
{
    mlp_spec s;
    memset(&s, 0, sizeof s);
    s.inputs = 2;
    s.n_layers = 2;
    s.layers[0].units = 2;
    s.layers[0].activation = MLP_ACT_TANH;
    s.layers[1].units = 3;
    s.layers[1].activation = MLP_ACT_SOFTMAX;
    s.loss = MLP_LOSS_CROSS_ENTROPY;
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_new(&s, NULL, NULL, &net), MLP_OK);
    const double W1[2][2] = {{0.3, -0.8}, {0.5, 0.2}}, b1[2] = {0.1, -0.2};
    const double W2[3][2] = {{1.0, -0.5}, {-0.7, 0.9}, {0.4, 0.6}}, b2[3] = {0.05, -0.1, 0.2};
    ck_assert_int_eq(mlp_layer_set(net, 0, &W1[0][0], b1), MLP_OK);
    ck_assert_int_eq(mlp_layer_set(net, 1, &W2[0][0], b2), MLP_OK);
    const double x[2] = {0.6, -1.2}, d[3] = {0.0, 0.0, 1.0}, eta = 0.25;
    double h[2], fh[2], v[3], y[3], sum = 0.0, E = 0.0, dout[3], dh[2];
    for (int i = 0; i < 2; i++) {
        h[i] = tanh(W1[i][0] * x[0] + W1[i][1] * x[1] + b1[i]);
        fh[i] = 1.0 - h[i] * h[i];
    }
    for (int k = 0; k < 3; k++) {
        v[k] = W2[k][0] * h[0] + W2[k][1] * h[1] + b2[k];
        sum += exp(v[k]);
    }
    for (int k = 0; k < 3; k++) {
        y[k] = exp(v[k]) / sum;
        E -= d[k] * log(y[k]);
        dout[k] = d[k] - y[k];
    }
    for (int i = 0; i < 2; i++)
        dh[i] = fh[i] * (W2[0][i] * dout[0] + W2[1][i] * dout[1] + W2[2][i] * dout[2]);

    mlp_trace tr;
    ck_assert_int_eq(mlp_step(net, x, d, eta, MLP_STEP_APPLY, NULL, &tr), MLP_OK);
    ck_near(tr.E_before, E, 1e-14, "E");
    for (int k = 0; k < 3; k++) {
        ck_near(tr.layers[1].y[k], y[k], 1e-15, "y_k");
        ck_near(tr.e[k], d[k] - y[k], 1e-15, "e_k");
        ck_near(tr.layers[1].fprime[k], y[k] * (1.0 - y[k]), 1e-15, "diag f'");
        ck_near(tr.layers[1].delta[k], dout[k], 1e-15, "delta_k");
        ck_near(tr.layers[1].db[k], eta * dout[k], 1e-15, "db_k");
        for (int i = 0; i < 2; i++) {
            ck_near(tr.layers[1].dw[k * 2 + i], eta * dout[k] * h[i], 1e-15, "dw_ki");
            ck_near(mlp_params_const(net)[6 + k * 2 + i], W2[k][i] + eta * dout[k] * h[i], 1e-15,
                    "w_ki after");
        }
    }
    for (int i = 0; i < 2; i++) {
        ck_near(tr.layers[0].delta[i], dh[i], 1e-15, "delta_i");
        for (int j = 0; j < 2; j++)
            ck_near(mlp_params_const(net)[i * 2 + j], W1[i][j] + eta * dh[i] * x[j], 1e-15,
                    "hidden w after");
        ck_near(mlp_params_const(net)[4 + i], b1[i] + eta * dh[i], 1e-15, "hidden b after");
    }
    mlp_trace_free(&tr);
    mlp_free(net);
}
END_TEST

/* A step whose result is not finite fails, leaving the network and the
 * trace as they were and nothing allocated. */
START_TEST(step_to_infinity_fails_cleanly)
{
    /* an infinite E before the step; a finite E but infinite new weights */
    const double targets[2] = {1e300, 100.0}, etas[2] = {1e300, 1e308};
    for (int k = 0; k < 2; k++) {
        mlp_t *net = lecture_net(&lecture_start);
        double x[2] = {X1, X2}, d[1] = {targets[k]}, before[13];
        memcpy(before, mlp_params_const(net), sizeof before);
        testalloc ta;
        testalloc_init(&ta);
        mlp_allocator a = testalloc_allocator(&ta);
        mlp_trace tr, tr0;
        memset(&tr, 0x5a, sizeof tr);
        tr0 = tr;
        ck_assert_int_eq(mlp_step(net, x, d, etas[k], MLP_STEP_APPLY, &a, &tr),
                         MLP_ERR_NONFINITE);
        ck_assert_int_eq(memcmp(before, mlp_params_const(net), sizeof before), 0);
        ck_assert_int_eq(memcmp(&tr, &tr0, sizeof tr), 0);
        ck_assert_uint_eq(ta.live, 0);
        mlp_free(net);
    }
}
END_TEST

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
    Suite *s = suite_create("core_lecture");
    TCase *tc = tcase_create("lecture");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, lecture_step_updates_every_weight_as_on_the_slides);
    tcase_add_test(tc, lecture_hidden_updates_use_output_weights_before_update);
    tcase_add_test(tc, lecture_trace_shows_the_slide_quantities);
    tcase_add_test(tc, step_without_apply_leaves_the_network_and_shows_the_result);
    tcase_add_test(tc, lecture_sequence_of_steps_and_online_epoch);
    tcase_add_test(tc, lecture_forward_output);
    tcase_add_test(tc, softmax_step_generalises_the_lecture);
    tcase_add_test(tc, step_to_infinity_fails_cleanly);
    suite_add_tcase(s, tc);
    tc = tcase_create("exact_outputs");
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
