/*
 * test_core_realdata.c - the core's scalers, metrics and learning-rate
 * schedules against scikit-learn: every expected number is in
 * realdata_expected.h, written by gen_realdata_expected.py from Debian's
 * python3-sklearn (`make realdata-expected-check` regenerates and diffs
 * it). Numbers agree to 1e-12 (relative above 1). The behaviours sklearn
 * has no number for (bad input, n < 2, one-class AUC) are asserted here.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "mlp.h"
#include "scaler.h"
#include "schedule.h"

#include "realdata_expected.h"

#define TOL 1e-12
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void near(double got, double want, const char *what, size_t i)
{
    double tol = TOL * (fabs(want) > 1.0 ? fabs(want) : 1.0);
    ck_assert_msg(fabs(got - want) <= tol, "%s[%zu]: sklearn %.17g, core %.17g", what, i, want,
                  got);
}

static void near_all(const double *got, const double *want, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        near(got[i], want[i], what, i);
}

/* ---- scalers ---------------------------------------------------------- */

static void check_scaler(int method, const double *off, const double *sc, const double *out,
                         const double *q, const double *inv_q, const char *what)
{
    double o[RD_SC_D], s[RD_SC_D], y[RD_SC_N * RD_SC_D], z[RD_SC_Q * RD_SC_D];
    mlp_scaler m;
    ck_assert_int_eq(mlp_scaler_init(&m, method, RD_SC_D, o, s), MLP_OK);
    ck_assert(mlp_scaler_is_identity(&m));
    ck_assert_int_eq(mlp_scaler_fit(&m, RD_SC_N, rd_sc_x), MLP_OK);
    ck_assert(!mlp_scaler_is_identity(&m));
    ck_assert_int_eq(mlp_scaler_check(&m, NULL), MLP_OK);
    near_all(o, off, RD_SC_D, what);
    near_all(s, sc, RD_SC_D, what);
    ck_assert_int_eq(mlp_scaler_transform(&m, RD_SC_N, rd_sc_x, y), MLP_OK);
    near_all(y, out, COUNT(y), "transform(fitted rows)");
    ck_assert_int_eq(mlp_scaler_transform(&m, RD_SC_Q, rd_sc_q, z), MLP_OK);
    near_all(z, q, COUNT(z), "transform(other rows)");
    memcpy(z, rd_sc_q, sizeof z); /* in place */
    ck_assert_int_eq(mlp_scaler_inverse(&m, RD_SC_Q, z, z), MLP_OK);
    near_all(z, inv_q, COUNT(z), "inverse_transform");
}

START_TEST(standard_scaler_is_sklearns)
{
    check_scaler(MLP_SCALE_STANDARD, rd_std_mean, rd_std_scale, rd_std_out, rd_std_q,
                 rd_std_inv_q, "StandardScaler");
}
END_TEST

START_TEST(minmax_scaler_is_sklearns)
{
    check_scaler(MLP_SCALE_MINMAX, rd_mm_min, rd_mm_scale, rd_mm_out, rd_mm_q, rd_mm_inv_q,
                 "MinMaxScaler");
}
END_TEST

/* Nearly constant columns: StandardScaler's _is_constant_feature bound
 * (one ulp apart is constant, 1e-6 steps are not) and MinMaxScaler's
 * 10 eps floor, on the fitted parameters. */
START_TEST(nearly_constant_columns_as_sklearn)
{
    double o[RD_SCN_D], s[RD_SCN_D];
    mlp_scaler m;
    ck_assert_int_eq(mlp_scaler_init(&m, MLP_SCALE_STANDARD, RD_SCN_D, o, s), MLP_OK);
    ck_assert_int_eq(mlp_scaler_fit(&m, RD_SC_N, rd_scn_x), MLP_OK);
    near_all(o, rd_stdn_mean, RD_SCN_D, "StandardScaler mean");
    near_all(s, rd_stdn_scale, RD_SCN_D, "StandardScaler scale");
    ck_assert(s[1] == 1.0);
    ck_assert_int_eq(mlp_scaler_init(&m, MLP_SCALE_MINMAX, RD_SCN_D, o, s), MLP_OK);
    ck_assert_int_eq(mlp_scaler_fit(&m, RD_SC_N, rd_scn_x), MLP_OK);
    near_all(o, rd_mmn_min, RD_SCN_D, "MinMaxScaler min");
    near_all(s, rd_mmn_scale, RD_SCN_D, "MinMaxScaler range");
}
END_TEST

START_TEST(scaler_none_and_bad_input)
{
    double o[3], s[3], x[6] = {1e300, -2, 3.5, 4, 5, -0.0}, y[6];
    mlp_scaler m;
    ck_assert_int_eq(mlp_scaler_init(&m, MLP_SCALE_NONE, 3, o, s), MLP_OK);
    ck_assert_int_eq(mlp_scaler_fit(&m, 2, x), MLP_OK);
    ck_assert(mlp_scaler_is_identity(&m));
    ck_assert_int_eq(mlp_scaler_transform(&m, 2, x, y), MLP_OK);
    ck_assert(memcmp(x, y, sizeof x) == 0); /* bit for bit */
    ck_assert_int_eq(mlp_scaler_inverse(&m, 2, x, y), MLP_OK);
    ck_assert(memcmp(x, y, sizeof x) == 0);
    /* refused: unknown method, no rows, non-finite data; m unchanged */
    ck_assert_int_eq(mlp_scaler_init(&m, 9, 3, o, s), MLP_ERR_INVALID);
    ck_assert_int_eq(mlp_scaler_init(&m, MLP_SCALE_STANDARD, 0, o, s), MLP_ERR_INVALID);
    ck_assert_int_eq(mlp_scaler_init(&m, MLP_SCALE_STANDARD, 3, o, s), MLP_OK);
    ck_assert_int_eq(mlp_scaler_fit(&m, 0, x), MLP_ERR_INVALID);
    x[4] = NAN;
    ck_assert_int_eq(mlp_scaler_fit(&m, 2, x), MLP_ERR_NONFINITE);
    ck_assert(mlp_scaler_is_identity(&m));
    x[4] = 5;
    ck_assert_int_eq(mlp_scaler_fit(&m, 2, x), MLP_ERR_NONFINITE); /* (1e300 - mean)^2 overflows */
    ck_assert(mlp_scaler_is_identity(&m));
    /* check: what PUT weights would bring */
    size_t col = 9;
    s[1] = 0.0;
    ck_assert_int_eq(mlp_scaler_check(&m, &col), MLP_ERR_INVALID);
    ck_assert_uint_eq(col, 1);
    s[1] = 2.0;
    o[2] = INFINITY;
    ck_assert_int_eq(mlp_scaler_check(&m, &col), MLP_ERR_INVALID);
    ck_assert_uint_eq(col, 2);
    o[2] = 1.0;
    ck_assert_int_eq(mlp_scaler_check(&m, &col), MLP_OK);
    m.method = MLP_SCALE_NONE; /* none must be the identity */
    ck_assert_int_eq(mlp_scaler_check(&m, &col), MLP_ERR_INVALID);
    ck_assert_int_eq(mlp_scale_from_name("standard"), MLP_SCALE_STANDARD);
    ck_assert_int_eq(mlp_scale_from_name("minmax"), MLP_SCALE_MINMAX);
    ck_assert_int_eq(mlp_scale_from_name("none"), MLP_SCALE_NONE);
    ck_assert_int_eq(mlp_scale_from_name("robust"), 0);
    ck_assert_str_eq(mlp_scale_name(MLP_SCALE_MINMAX), "minmax");
}
END_TEST

/* ---- regression ------------------------------------------------------- */

static void check_regression(size_t n, size_t k, const double *t, const double *p,
                             const double *want)
{
    mlp_regression_scores r;
    ck_assert_int_eq(mlp_regression_metrics(n, k, t, p, &r), MLP_OK);
    near(r.mse, want[0], "mse", k);
    near(r.rmse, want[1], "rmse", k);
    near(r.mae, want[2], "mae", k);
    near(r.r2, want[3], "r2", k);
}

START_TEST(regression_metrics_are_sklearns)
{
    check_regression(RD_R1_N, RD_R1_K, rd_r1_true, rd_r1_pred, rd_r1_scores);
    check_regression(RD_R2_N, RD_R2_K, rd_r2_true, rd_r2_pred, rd_r2_scores);
    /* constant target columns: one missed (r2 0), one hit exactly (r2 1) */
    check_regression(RD_R3_N, RD_R3_K, rd_r3_true, rd_r3_pred, rd_r3_scores);
}
END_TEST

START_TEST(regression_edges)
{
    double t[2] = {1, 2}, p[2] = {1.5, 2.5};
    mlp_regression_scores r = {0};
    ck_assert_int_eq(mlp_regression_metrics(1, 2, t, p, &r), MLP_OK); /* n 1: r2 undefined */
    ck_assert(isnan(r.r2));
    ck_assert(r.mse == 0.25 && r.rmse == 0.5 && r.mae == 0.5);
    p[1] = NAN;
    ck_assert_int_eq(mlp_regression_metrics(2, 1, t, p, &r), MLP_ERR_NONFINITE);
    ck_assert_int_eq(mlp_regression_metrics(0, 1, t, p, &r), MLP_ERR_INVALID);
    ck_assert_int_eq(mlp_regression_metrics(1, 1, t, t, &r), MLP_OK);
    ck_assert(r.mse == 0.0 && isnan(r.r2));
}
END_TEST

/* ---- classification --------------------------------------------------- */

typedef struct class_case {
    size_t n, k, w;
    const size_t *y, *pred, *cm;
    const double *probs, *precision, *recall, *f1, *scores;
} class_case;

#define CLASS_CASE(c, C)                                                                     \
    {RD_##C##_N, RD_##C##_K, RD_##C##_W, rd_##c##_true, rd_##c##_pred, rd_##c##_cm,           \
     rd_##c##_probs, rd_##c##_precision, rd_##c##_recall, rd_##c##_f1, rd_##c##_scores}

static const class_case class_cases[] = {CLASS_CASE(c1, C1), CLASS_CASE(c2, C2),
                                         CLASS_CASE(c3, C3)};

START_TEST(classification_metrics_are_sklearns)
{
    const class_case *c = &class_cases[_i];
    size_t pred[64], cm[16];
    double p[4], r[4], f[4], ll;
    mlp_class_scores s;
    ck_assert_int_eq(mlp_predict_classes(c->n, c->w, c->probs, pred), MLP_OK);
    for (size_t i = 0; i < c->n; i++) /* np.argmax, or p > 0.5 for one column */
        ck_assert_uint_eq(pred[i], c->pred[i]);
    ck_assert_int_eq(mlp_confusion_matrix(c->n, c->k, c->y, pred, cm), MLP_OK);
    for (size_t i = 0; i < c->k * c->k; i++)
        ck_assert_uint_eq(cm[i], c->cm[i]);
    ck_assert_int_eq(mlp_class_metrics(c->k, cm, p, r, f, &s), MLP_OK);
    near_all(p, c->precision, c->k, "precision");
    near_all(r, c->recall, c->k, "recall");
    near_all(f, c->f1, c->k, "f1");
    near(s.accuracy, c->scores[0], "accuracy", _i);
    near(s.macro_precision, c->scores[1], "macro precision", _i);
    near(s.macro_recall, c->scores[2], "macro recall", _i);
    near(s.macro_f1, c->scores[3], "macro f1", _i);
    ck_assert_int_eq(mlp_log_loss(c->n, c->w, c->y, c->probs, &ll), MLP_OK);
    near(ll, c->scores[4], "log_loss", _i);
}
END_TEST

START_TEST(classification_edges)
{
    size_t y[3] = {0, 1, 2}, bad[3] = {0, 1, 3}, cm[9] = {0};
    double probs[6] = {0.2, 0.8, 0.5, 0.5, 0.9, 0.1}, ll;
    mlp_class_scores s;
    ck_assert_uint_eq(mlp_argmax(probs + 2, 2), 0); /* tie: the first */
    ck_assert_uint_eq(mlp_argmax((const double[]){0.5}, 1), 0); /* sigmoid 0.5: class 0 */
    ck_assert_uint_eq(mlp_argmax((const double[]){0.5000001}, 1), 1);
    ck_assert_int_eq(mlp_confusion_matrix(3, 3, y, bad, cm), MLP_ERR_INVALID);
    ck_assert_int_eq(mlp_confusion_matrix(3, 1, y, y, cm), MLP_ERR_INVALID);
    ck_assert_int_eq(mlp_class_metrics(3, cm, NULL, NULL, NULL, &s), MLP_ERR_INVALID); /* empty */
    ck_assert_int_eq(mlp_log_loss(3, 2, y, probs, &ll), MLP_ERR_INVALID); /* class 2 of 2 */
    probs[1] = NAN;
    ck_assert_int_eq(mlp_log_loss(2, 2, y, probs, &ll), MLP_ERR_NONFINITE);
    ck_assert_int_eq(mlp_predict_classes(3, 2, probs, y), MLP_ERR_NONFINITE);
}
END_TEST

/* ---- roc_auc ---------------------------------------------------------- */

START_TEST(roc_auc_is_sklearns_with_ties)
{
    double work[2 * RD_A1_N], auc;
    ck_assert_uint_eq(mlp_roc_auc_work_size(RD_A1_N), 2 * RD_A1_N);
    ck_assert_int_eq(mlp_roc_auc(RD_A1_N, rd_a1_true, rd_a1_score, work, &auc), MLP_OK);
    near(auc, rd_a1_auc, "roc_auc a1", 0);
    ck_assert_int_eq(mlp_roc_auc(RD_A2_N, rd_a2_true, rd_a2_score, work, &auc), MLP_OK);
    near(auc, rd_a2_auc, "roc_auc a2 (all tied)", 0);
    ck_assert_int_eq(mlp_roc_auc(RD_A3_N, rd_a3_true, rd_a3_score, work, &auc), MLP_OK);
    near(auc, rd_a3_auc, "roc_auc a3", 0);
    /* the AUC of P(class 1) from the classification cases' binary models */
    for (size_t c = 1; c < COUNT(class_cases); c++) {
        const class_case *k = &class_cases[c];
        double score[64];
        for (size_t i = 0; i < k->n; i++)
            score[i] = k->probs[i * k->w + k->w - 1];
        ck_assert_int_eq(mlp_roc_auc(k->n, k->y, score, work, &auc), MLP_OK);
        ck_assert(auc > 0.5 && auc <= 1.0);
    }
    /* one class only: undefined (sklearn raises) */
    size_t ones[3] = {1, 1, 1};
    ck_assert_int_eq(mlp_roc_auc(3, ones, rd_a1_score, work, &auc), MLP_ERR_INVALID);
}
END_TEST

/* ---- schedules -------------------------------------------------------- */

START_TEST(invscaling_is_sklearns)
{
    const double *rates[2] = {rd_inv1_rates, rd_inv2_rates};
    const double eta0[2] = {rd_inv1_eta0, rd_inv2_eta0}, pt[2] = {rd_inv1_power_t, rd_inv2_power_t};
    for (int c = 0; c < 2; c++) {
        mlp_schedule s = mlp_default_schedule(MLP_SCHED_INVSCALING);
        mlp_schedule_state st;
        s.power_t = pt[c];
        ck_assert_int_eq(mlp_schedule_check(&s, eta0[c], NULL), MLP_OK);
        mlp_schedule_start(&s, eta0[c], &st);
        for (size_t e = 1; e <= RD_INV_E; e++) {
            near(st.rate, rates[c][e - 1], "invscaling (state)", e);
            near(mlp_schedule_rate(&s, eta0[c], e, RD_INV_E, RD_INV_N), rates[c][e - 1],
                 "invscaling (rate)", e);
            mlp_schedule_epoch_end(&s, eta0[c], RD_INV_E, RD_INV_N, 1.0, &st);
        }
    }
}
END_TEST

START_TEST(adaptive_is_sklearns)
{
    const double *rates[3] = {rd_ada1_rates, rd_ada2_rates, rd_ada3_rates};
    const double eta0[3] = {rd_ada1_eta0, rd_ada2_eta0, rd_ada3_eta0};
    const double tol[3] = {rd_ada1_tol, rd_ada2_tol, rd_ada3_tol};
    const size_t pat[3] = {rd_ada1_patience, rd_ada2_patience, rd_ada3_patience};
    const size_t stop[3] = {rd_ada1_stop, rd_ada2_stop, rd_ada3_stop};
    const size_t epochs[3] = {rd_ada1_epochs, rd_ada2_epochs, rd_ada3_epochs};
    for (int c = 0; c < 3; c++) {
        mlp_schedule s = mlp_default_schedule(MLP_SCHED_PLATEAU);
        mlp_schedule_state st;
        s.tol = tol[c];
        s.patience = pat[c];
        mlp_schedule_start(&s, eta0[c], &st);
        size_t e = 1;
        for (; e <= RD_ADA_E && !st.stop; e++) {
            ck_assert_uint_le(e, epochs[c]);
            near(st.rate, rates[c][e - 1], "adaptive", e);
            mlp_schedule_epoch_end(&s, eta0[c], RD_ADA_E, 10, rd_ada_losses[e - 1], &st);
        }
        ck_assert_uint_eq(e - 1, epochs[c]);
        ck_assert_uint_eq(st.stop ? e - 1 : 0, stop[c]);
    }
}
END_TEST

START_TEST(step_cosine_constant)
{
    mlp_schedule s = mlp_default_schedule(MLP_SCHED_STEP);
    s.step_size = 3;
    s.gamma = 0.5;
    const double want[8] = {0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2};
    mlp_schedule_state st;
    mlp_schedule_start(&s, 0.8, &st);
    for (size_t e = 1; e <= 8; e++) {
        ck_assert(st.rate == want[e - 1]);
        mlp_schedule_epoch_end(&s, 0.8, 8, 5, 0.0, &st);
    }
    s = mlp_default_schedule(MLP_SCHED_COSINE);
    s.eta_min = 0.1;
    mlp_schedule_start(&s, 0.5, &st);
    for (size_t e = 1; e <= 4; e++) { /* 0.1 + 0.4 (1 + cos(pi (e-1)/4)) / 2 */
        near(st.rate, 0.1 + 0.2 * (1.0 + cos(3.14159265358979323846 * (double)(e - 1) / 4.0)),
             "cosine", e);
        mlp_schedule_epoch_end(&s, 0.5, 4, 5, 0.0, &st);
    }
    ck_assert(st.rate == 0.1); /* after the last epoch: eta_min */
    s = mlp_default_schedule(MLP_SCHED_CONSTANT);
    mlp_schedule_start(&s, 0.3, &st);
    for (size_t e = 1; e <= 5; e++)
        mlp_schedule_epoch_end(&s, 0.3, 5, 5, 1.0 / (double)e, &st);
    ck_assert(st.rate == 0.3 && !st.stop);
    /* checks and names */
    mlp_spec_error err;
    s = mlp_default_schedule(MLP_SCHED_COSINE);
    s.eta_min = 0.5;
    ck_assert_int_eq(mlp_schedule_check(&s, 0.1, &err), MLP_ERR_INVALID);
    ck_assert_str_eq(err.field, "schedule.eta_min");
    s = mlp_default_schedule(MLP_SCHED_STEP);
    s.gamma = 0.0;
    ck_assert_int_eq(mlp_schedule_check(&s, 0.1, &err), MLP_ERR_INVALID);
    ck_assert_str_eq(err.field, "schedule.gamma");
    s.method = 42;
    ck_assert_int_eq(mlp_schedule_check(&s, 0.1, &err), MLP_ERR_INVALID);
    ck_assert_int_eq(mlp_schedule_from_name("adaptive"), MLP_SCHED_PLATEAU);
    ck_assert_int_eq(mlp_schedule_from_name("reduce_on_plateau"), MLP_SCHED_PLATEAU);
    ck_assert_int_eq(mlp_schedule_from_name("linear"), 0);
    ck_assert_str_eq(mlp_schedule_name(MLP_SCHED_INVSCALING), "invscaling");
    ck_assert_str_eq(mlp_schedule_name(0), "constant");
}
END_TEST

/* ---- one sigmoid unit: binary log-loss ------------------------------- */

START_TEST(sigmoid_unit_loss_is_log_loss)
{
    mlp_spec sp = {.inputs = 3, .n_layers = 2, .loss = MLP_LOSS_CROSS_ENTROPY};
    sp.layers[0] = (mlp_layer_spec){4, MLP_ACT_TANH};
    sp.layers[1] = (mlp_layer_spec){1, MLP_ACT_SIGMOID};
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_new(&sp, NULL, NULL, &net), MLP_OK);
    ck_assert_uint_eq(mlp_param_count(net), COUNT(rd_bin_params));
    memcpy(mlp_params(net), rd_bin_params, sizeof rd_bin_params);
    double y[RD_BIN_N], d[RD_BIN_N], *work = malloc(mlp_work_size(net) * sizeof *work), loss;
    ck_assert_int_eq(mlp_predict(net, RD_BIN_N, rd_bin_x, y, work), MLP_OK);
    near_all(y, rd_bin_p, RD_BIN_N, "sigmoid output");
    for (size_t i = 0; i < RD_BIN_N; i++)
        d[i] = (double)rd_bin_y[i];
    mlp_data data = {RD_BIN_N, rd_bin_x, d};
    ck_assert_int_eq(mlp_data_loss(net, &data, NULL, &loss), MLP_OK);
    near(loss, rd_bin_log_loss, "mean loss vs log_loss", 0);
    ck_assert_int_eq(mlp_log_loss(RD_BIN_N, 1, rd_bin_y, y, &loss), MLP_OK);
    near(loss, rd_bin_log_loss, "mlp_log_loss", 0);
    free(work);
    mlp_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core_realdata");
    TCase *tc = tcase_create("sklearn");
    tcase_add_test(tc, standard_scaler_is_sklearns);
    tcase_add_test(tc, minmax_scaler_is_sklearns);
    tcase_add_test(tc, nearly_constant_columns_as_sklearn);
    tcase_add_test(tc, scaler_none_and_bad_input);
    tcase_add_test(tc, regression_metrics_are_sklearns);
    tcase_add_test(tc, regression_edges);
    tcase_add_loop_test(tc, classification_metrics_are_sklearns, 0, (int)COUNT(class_cases));
    tcase_add_test(tc, classification_edges);
    tcase_add_test(tc, roc_auc_is_sklearns_with_ties);
    tcase_add_test(tc, invscaling_is_sklearns);
    tcase_add_test(tc, adaptive_is_sklearns);
    tcase_add_test(tc, step_cosine_constant);
    tcase_add_test(tc, sigmoid_unit_loss_is_log_loss);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
