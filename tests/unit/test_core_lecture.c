/*
 * test_core_lecture.c - the lecture's 2-3-1 network (logsig hidden, linear
 * output, E = 1/2 e^2) reproduced weight by weight. (Exact outputs and
 * losses of other hand-set networks: test_core_forward.c.)
 *
 * Every expected value here is written out from the lecture's formulas in
 * the test itself, never taken from the library.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "util_testalloc.h"

#define TOL 1e-12

#define ck_near(got, want, tol, what)                                                    \
    ck_assert_msg(fabs((got) - (want)) <= (tol), "%s: expected %.17g, got %.17g", (what), \
                  (double)(want), (double)(got))

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
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
