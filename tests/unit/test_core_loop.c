/*
 * test_core_loop.c - mlp_train's loop: the per-epoch loss definition and
 * the Keras validation split; early stopping with restored weights; the
 * other stop reasons (target, cancel, callback, divergence); option and
 * data checks. (Convergence, updates and determinism: test_core_train.c.)
 */
#include <check.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "util_trainfix.h"

/* ------------------------------------------------------------------ */
/* Epoch records through the progress callback                         */

typedef struct recorder {
    size_t P, cap, n;
    double *params;     /* cap x P: the weights after each epoch */
    mlp_progress *prog; /* cap */
    size_t stop_at;     /* return nonzero at this epoch (0: never) */
    size_t cancel_at;   /* raise *cancel at this epoch (0: never) */
    atomic_int *cancel;
    const mlp_data *train, *val; /* to recompute the losses (may be NULL) */
} recorder;

static void recorder_init(recorder *rec, const mlp_t *net, size_t cap)
{
    memset(rec, 0, sizeof *rec);
    rec->P = mlp_param_count(net);
    rec->cap = cap;
    rec->params = malloc(cap * rec->P * sizeof(double));
    rec->prog = malloc(cap * sizeof *rec->prog);
    ck_assert(rec->params && rec->prog);
}

static void recorder_free(recorder *rec)
{
    free(rec->params);
    free(rec->prog);
}

/* params after epoch e (1-based) */
static const double *recorded(const recorder *rec, size_t e)
{
    ck_assert_uint_ge(e, 1);
    ck_assert_uint_le(e, rec->n);
    return rec->params + (e - 1) * rec->P;
}

static int record(void *ctx, const mlp_t *net, const mlp_progress *p)
{
    recorder *rec = ctx;
    ck_assert_uint_lt(rec->n, rec->cap);
    ck_assert_uint_eq(p->epoch, rec->n + 1);
    memcpy(rec->params + rec->n * rec->P, mlp_params_const(net), rec->P * sizeof(double));
    rec->prog[rec->n++] = *p;
    /* DESIGN: the epoch's loss is the mean loss with end-of-epoch weights */
    if (rec->train)
        ck_near(p->loss, fix_data_loss(net, rec->train), 1e-12 * fmax(1.0, p->loss),
                "epoch loss (mean over the training rows)");
    if (rec->val)
        ck_near(p->val_loss, fix_data_loss(net, rec->val), 1e-12 * fmax(1.0, p->val_loss),
                "validation loss (mean over the last rows)");
    if (rec->cancel_at == p->epoch)
        atomic_store(rec->cancel, 1);
    return rec->stop_at == p->epoch;
}

/* The reported loss of each epoch is mlp_data_loss of the training rows
 * with the weights at the end of that epoch, and the validation rows are
 * the last fraction as given. Run on the online, mini-batch (BLAS-sized)
 * and Adam paths, with enough rows that evaluation goes in several chunks. */
START_TEST(epoch_losses_match_the_definition)
{
    enum { N = 200, IN = 8, VAL = 50 };
    static double x[N * IN], y[N];
    mlp_rng rng;
    mlp_rng_seed(&rng, 8);
    for (int r = 0; r < N; r++) {
        for (int i = 0; i < IN; i++)
            x[r * IN + i] = 2.0 * mlp_rng_uniform(&rng) - 1.0;
        y[r] = 1.0 / (1.0 + exp(-(x[r * IN] - x[r * IN + 3])));
    }
    const size_t units[2] = {40, 1};
    const int acts[2] = {MLP_ACT_TANH, MLP_ACT_SIGMOID};
    const size_t batches[3] = {1, 32, 7};
    const int optims[3] = {MLP_OPT_SGD, MLP_OPT_SGD, MLP_OPT_ADAM};
    mlp_data all = {N, x, y}, train = {N - VAL, x, y}, val = {VAL, x + (N - VAL) * IN, y + N - VAL};
    for (int k = 0; k < 3; k++) {
        mlp_t *net = fix_make_net(IN, 2, units, acts, MLP_LOSS_MSE, 4);
        recorder rec;
        mlp_train_opts o = mlp_default_train_opts();
        mlp_train_result r;
        recorder_init(&rec, net, 4);
        rec.train = &train;
        rec.val = &val;
        o.epochs = 4;
        o.learning_rate = 0.05;
        o.batch_size = batches[k];
        o.optimizer = optims[k];
        o.validation_split = (double)VAL / N;
        o.progress = record;
        o.progress_ctx = &rec;
        ck_assert_int_eq(mlp_train(net, &all, &o, NULL, &r), MLP_OK);
        ck_assert_uint_eq(rec.n, 4);
        double best = INFINITY;
        for (size_t e = 0; e < 4; e++) {
            ck_assert_uint_eq(rec.prog[e].epochs, 4);
            ck_assert_int_eq(rec.prog[e].improved, rec.prog[e].val_loss < best);
            best = fmin(best, rec.prog[e].val_loss);
        }
        ck_assert(r.loss == rec.prog[3].loss);
        ck_assert(r.val_loss == rec.prog[3].val_loss);
        recorder_free(&rec);
        mlp_free(net);
    }
}
END_TEST

/* Keras holds out the rows after floor(n * (1 - split)): for 10 rows and
 * 0.14 that is the last 2 (a rounding rule would give 1), for 7 rows and
 * 0.2 also the last 2. */
START_TEST(validation_split_follows_keras)
{
    const size_t ns[2] = {10, 7};
    const double splits[2] = {0.14, 0.2};
    static double x[10], y[10];
    for (int r = 0; r < 10; r++) {
        x[r] = 0.1 * r - 0.4;
        y[r] = r % 2 ? 0.8 : -0.3; /* every row's loss differs */
    }
    for (int k = 0; k < 2; k++) {
        size_t n = ns[k], n_train = (size_t)floor((double)n * (1.0 - splits[k]));
        ck_assert_uint_eq(n - n_train, 2);
        const size_t units[2] = {3, 1};
        const int acts[2] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
        mlp_t *net = fix_make_net(1, 2, units, acts, MLP_LOSS_MSE, 6);
        mlp_data all = {n, x, y}, train = {n_train, x, y};
        mlp_data val = {n - n_train, x + n_train, y + n_train};
        mlp_train_opts o = mlp_default_train_opts();
        recorder rec;
        recorder_init(&rec, net, 2);
        rec.train = &train;
        rec.val = &val;
        o.epochs = 2;
        o.validation_split = splits[k];
        o.progress = record;
        o.progress_ctx = &rec;
        ck_assert_int_eq(mlp_train(net, &all, &o, NULL, &(mlp_train_result){0}), MLP_OK);
        ck_assert_uint_eq(rec.n, 2);
        recorder_free(&rec);
        mlp_free(net);
    }
}
END_TEST

/* Training rows y = x, validation rows y = -x: once the net learns the
 * training rows, the validation loss can only go up. */
START_TEST(early_stopping_restores_best_weights)
{
    enum { N = 20, VAL = 5 };
    double x[N], y[N];
    for (int r = 0; r < N; r++) {
        x[r] = -1.0 + 2.0 * r / (N - 1);
        y[r] = r < N - VAL ? x[r] : -x[r];
    }
    const size_t units[2] = {6, 1};
    const int acts[2] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    mlp_t *net = fix_make_net(1, 2, units, acts, MLP_LOSS_MSE, 2);
    mlp_data data = {N, x, y};
    mlp_train_opts o = mlp_default_train_opts();
    mlp_train_result r;
    recorder rec;
    recorder_init(&rec, net, 500);
    o.epochs = 500;
    o.learning_rate = 0.1;
    o.validation_split = (double)VAL / N;
    o.patience = 5;
    o.progress = record;
    o.progress_ctx = &rec;
    ck_assert_int_eq(mlp_train(net, &data, &o, NULL, &r), MLP_OK);
    ck_assert_int_eq(r.stop, MLP_STOP_EARLY);
    ck_assert_uint_eq(r.epochs_run, rec.n);
    ck_assert_uint_lt(r.epochs_run, 500);
    ck_assert_uint_ge(r.best_epoch, 1);
    ck_assert_uint_eq(r.epochs_run - r.best_epoch, 5);
    /* best_epoch has the smallest validation loss of all */
    for (size_t e = 1; e <= rec.n; e++)
        ck_assert(rec.prog[r.best_epoch - 1].val_loss <= rec.prog[e - 1].val_loss);
    ck_assert(rec.prog[r.best_epoch - 1].improved);
    /* and its weights are what is left */
    ck_assert_int_eq(memcmp(mlp_params_const(net), recorded(&rec, r.best_epoch),
                            rec.P * sizeof(double)), 0);
    ck_assert(memcmp(mlp_params_const(net), recorded(&rec, rec.n), rec.P * sizeof(double)) != 0);
    ck_near(r.val_loss, rec.prog[r.best_epoch - 1].val_loss, 1e-12, "val_loss of best");
    ck_near(r.loss, rec.prog[r.best_epoch - 1].loss, 1e-12, "loss of best");
    recorder_free(&rec);
    mlp_free(net);
}
END_TEST

/* Patience without validation watches the training loss; the best weights
 * are restored even when every epoch ran (here the loss oscillates: the
 * learning rate is too high to settle). */
START_TEST(patience_without_validation_restores_best_training_loss)
{
    enum { N = 12 };
    double x[N], y[N];
    for (int r = 0; r < N; r++) {
        x[r] = -1.0 + 2.0 * r / (N - 1);
        y[r] = (r % 3 == 0) ? 1.0 : -0.5 * x[r];
    }
    const size_t units[2] = {5, 1};
    const int acts[2] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    mlp_t *net = fix_make_net(1, 2, units, acts, MLP_LOSS_MSE, 3);
    mlp_data data = {N, x, y};
    mlp_train_opts o = mlp_default_train_opts();
    mlp_train_result r;
    recorder rec;
    recorder_init(&rec, net, 60);
    o.epochs = 60;
    o.learning_rate = 0.2;
    o.patience = 1000;
    o.progress = record;
    o.progress_ctx = &rec;
    ck_assert_int_eq(mlp_train(net, &data, &o, NULL, &r), MLP_OK);
    ck_assert_int_eq(r.stop, MLP_STOP_EPOCHS);
    ck_assert_uint_eq(rec.n, 60);
    size_t best = 1;
    for (size_t e = 1; e <= rec.n; e++) {
        ck_assert(isnan(rec.prog[e - 1].val_loss));
        if (rec.prog[e - 1].loss < rec.prog[best - 1].loss)
            best = e;
    }
    ck_assert_uint_eq(r.best_epoch, best);
    ck_assert_msg(best < rec.n, "the loss never went up: test data too easy");
    ck_assert_int_eq(memcmp(mlp_params_const(net), recorded(&rec, best), rec.P * sizeof(double)),
                     0);
    ck_near(r.loss, rec.prog[best - 1].loss, 1e-12, "loss of best");
    recorder_free(&rec);
    mlp_free(net);
}
END_TEST

START_TEST(target_loss_stops_at_first_epoch_below)
{
    mlp_t *net = fix_make_231(MLP_ACT_SIGMOID, MLP_ACT_SIGMOID, MLP_LOSS_MSE, 3, 7);
    mlp_train_opts o = mlp_default_train_opts();
    mlp_train_result r;
    recorder rec;
    recorder_init(&rec, net, 5000);
    o.epochs = 5000;
    o.learning_rate = 2.0;
    o.seed = 3;
    o.target_loss = 0.05;
    o.progress = record;
    o.progress_ctx = &rec;
    rec.train = &fix_xor_data;
    ck_assert_int_eq(mlp_train(net, &fix_xor_data, &o, NULL, &r), MLP_OK);
    ck_assert_int_eq(r.stop, MLP_STOP_TARGET);
    ck_assert_uint_lt(r.epochs_run, 5000);
    ck_assert_uint_eq(r.epochs_run, rec.n);
    ck_assert(r.loss <= 0.05);
    for (size_t e = 1; e < rec.n; e++)
        ck_assert(rec.prog[e - 1].loss > 0.05);
    ck_assert_int_eq(memcmp(mlp_params_const(net), recorded(&rec, rec.n), rec.P * sizeof(double)),
                     0);
    recorder_free(&rec);
    mlp_free(net);
}
END_TEST

START_TEST(callback_can_stop_training)
{
    mlp_t *net = fix_ex_net();
    mlp_train_opts o = mlp_default_train_opts();
    mlp_train_result r;
    mlp_data data = {5, fix_ex_x, fix_ex_y};
    recorder rec;
    recorder_init(&rec, net, 10);
    rec.stop_at = 3;
    o.epochs = 10;
    o.progress = record;
    o.progress_ctx = &rec;
    ck_assert_int_eq(mlp_train(net, &data, &o, NULL, &r), MLP_OK);
    ck_assert_int_eq(r.stop, MLP_STOP_CALLBACK);
    ck_assert_uint_eq(r.epochs_run, 3);
    ck_assert_uint_eq(rec.n, 3);
    ck_assert_int_eq(memcmp(mlp_params_const(net), recorded(&rec, 3), rec.P * sizeof(double)), 0);
    recorder_free(&rec);
    mlp_free(net);
}
END_TEST

START_TEST(cancel_before_start_changes_nothing)
{
    mlp_t *net = fix_ex_net(), *orig = NULL;
    ck_assert_int_eq(mlp_clone(net, &orig), MLP_OK);
    atomic_int cancel = 1;
    mlp_train_opts o = mlp_default_train_opts();
    mlp_train_result r;
    mlp_data data = {5, fix_ex_x, fix_ex_y};
    o.cancel = &cancel;
    ck_assert_int_eq(mlp_train(net, &data, &o, NULL, &r), MLP_OK);
    ck_assert_int_eq(r.stop, MLP_STOP_CANCELLED);
    ck_assert_uint_eq(r.epochs_run, 0);
    ck_assert(fix_same_params(net, orig));
    ck_near(r.loss, fix_data_loss(net, &data), 1e-12, "loss of the weights left");
    mlp_free(net);
    mlp_free(orig);
}
END_TEST

/* Cancelled between epochs: the weights of the moment it stopped stay. */
START_TEST(cancel_during_training_keeps_current_weights)
{
    mlp_t *net = fix_ex_net();
    atomic_int cancel = 0;
    mlp_train_opts o = mlp_default_train_opts();
    mlp_train_result r;
    mlp_data data = {5, fix_ex_x, fix_ex_y};
    recorder rec;
    recorder_init(&rec, net, 10);
    rec.cancel_at = 4;
    rec.cancel = &cancel;
    o.epochs = 10;
    o.patience = 100; /* a cancelled run keeps its weights even with patience */
    o.learning_rate = 0.5;
    o.cancel = &cancel;
    o.progress = record;
    o.progress_ctx = &rec;
    ck_assert_int_eq(mlp_train(net, &data, &o, NULL, &r), MLP_OK);
    ck_assert_int_eq(r.stop, MLP_STOP_CANCELLED);
    ck_assert_uint_eq(rec.n, 4);
    ck_assert_uint_eq(r.epochs_run, 4);
    ck_assert_int_eq(memcmp(mlp_params_const(net), recorded(&rec, 4), rec.P * sizeof(double)), 0);
    ck_near(r.loss, fix_data_loss(net, &data), 1e-12, "loss of the weights left");
    recorder_free(&rec);
    mlp_free(net);
}
END_TEST

/* lr 1e6 on a linear problem: the weights overflow within a few epochs. */
START_TEST(divergence_reports_epoch_and_layer)
{
    const size_t batches[3] = {1, 2, 5};
    for (int k = 0; k < 3; k++) {
        const size_t units[1] = {2};
        const int acts[1] = {MLP_ACT_LINEAR};
        mlp_t *net = fix_make_net(2, 1, units, acts, MLP_LOSS_MSE, 1);
        mlp_train_opts o = mlp_default_train_opts();
        mlp_train_result r;
        mlp_data data = {5, fix_ex_x, fix_ex_y};
        o.epochs = 1000;
        o.learning_rate = 1e6;
        o.batch_size = batches[k];
        ck_assert_int_eq(mlp_train(net, &data, &o, NULL, &r), MLP_ERR_NONFINITE);
        ck_assert_int_eq(r.stop, MLP_STOP_DIVERGED);
        ck_assert_uint_ge(r.fail_epoch, 1);
        ck_assert_uint_lt(r.fail_epoch, 100);
        ck_assert_uint_eq(r.fail_layer, 1); /* the only layer */
        mlp_free(net);

        /* deeper: the layer is one of the network's */
        const size_t units3[3] = {4, 4, 2};
        const int acts3[3] = {MLP_ACT_LINEAR, MLP_ACT_RELU, MLP_ACT_LINEAR};
        net = fix_make_net(2, 3, units3, acts3, MLP_LOSS_MSE, 1);
        ck_assert_int_eq(mlp_train(net, &data, &o, NULL, &r), MLP_ERR_NONFINITE);
        ck_assert_int_eq(r.stop, MLP_STOP_DIVERGED);
        ck_assert_uint_ge(r.fail_epoch, 1);
        ck_assert_uint_ge(r.fail_layer, 1);
        ck_assert_uint_le(r.fail_layer, 3);
        mlp_free(net);
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Options                                                             */

START_TEST(default_options_are_as_documented)
{
    mlp_train_opts o = mlp_default_train_opts();
    ck_assert_uint_eq(o.epochs, 100);
    ck_assert(o.learning_rate == 0.1);
    ck_assert_uint_eq(o.batch_size, 1);
    ck_assert_int_eq(o.optimizer, MLP_OPT_SGD);
    ck_assert(o.momentum == 0.0);
    ck_assert(o.beta1 == 0.9 && o.beta2 == 0.999 && o.epsilon == 1e-8);
    ck_assert(o.weight_decay == 0.0);
    ck_assert_int_ne(o.shuffle, 0);
    ck_assert_uint_eq(o.seed, 1);
    ck_assert(o.validation_split == 0.0 && o.target_loss == 0.0);
    ck_assert_uint_eq(o.patience, 0);
    ck_assert_ptr_null(o.progress);
    ck_assert_ptr_null(o.cancel);
    ck_assert_int_eq(mlp_train_opts_check(&o, NULL), MLP_OK);
}
END_TEST

/* Each bad option is refused by the check (naming the field) and by
 * mlp_train, which then changes neither the network nor the result. */
START_TEST(bad_options_are_refused)
{
    mlp_t *net = fix_ex_net(), *orig = NULL;
    mlp_data data = {5, fix_ex_x, fix_ex_y};
    ck_assert_int_eq(mlp_clone(net, &orig), MLP_OK);
    for (int k = 0; k < 19; k++) {
        mlp_train_opts o = mlp_default_train_opts();
        const char *field = NULL;
        switch (k) {
        case 0: o.learning_rate = NAN, field = "learning_rate"; break;
        case 1: o.learning_rate = 0.0, field = "learning_rate"; break;
        case 2: o.learning_rate = -0.1, field = "learning_rate"; break;
        case 3: o.learning_rate = INFINITY, field = "learning_rate"; break;
        case 4: o.batch_size = 0, field = "batch_size"; break;
        case 5: o.epochs = 0, field = "epochs"; break;
        case 6: o.optimizer = 0, field = "optimizer"; break;
        case 7: o.optimizer = 99, field = "optimizer"; break;
        case 8: o.momentum = 1.0, field = "momentum"; break;
        case 9: o.momentum = NAN, field = "momentum"; break;
        case 10: o.momentum = -0.5, field = "momentum"; break;
        case 11: o.beta1 = 1.0, field = "beta1"; break;
        case 12: o.beta2 = NAN, field = "beta2"; break;
        case 13: o.epsilon = 0.0, field = "epsilon"; break;
        case 14: o.weight_decay = -1e-3, field = "weight_decay"; break;
        case 15: o.validation_split = 1.0, field = "validation_split"; break;
        case 16: o.validation_split = NAN, field = "validation_split"; break;
        case 17: o.target_loss = NAN, field = "target_loss"; break;
        case 18: o.target_loss = -1.0, field = "target_loss"; break;
        }
        mlp_spec_error err;
        memset(&err, 0, sizeof err);
        ck_assert_int_eq(mlp_train_opts_check(&o, &err), MLP_ERR_INVALID);
        ck_assert_msg(strcmp(err.field, field) == 0, "case %d: field \"%s\", want \"%s\"", k,
                      err.field, field);
        ck_assert_msg(err.message[0] != '\0', "case %d: no message", k);
        mlp_train_result r, r0;
        memset(&r, 0x5a, sizeof r);
        r0 = r;
        ck_assert_int_eq(mlp_train(net, &data, &o, NULL, &r), MLP_ERR_INVALID);
        ck_assert_int_eq(memcmp(&r, &r0, sizeof r), 0);
        ck_assert(fix_same_params(net, orig));
    }
    mlp_free(net);
    mlp_free(orig);
}
END_TEST

START_TEST(bad_data_is_refused)
{
    mlp_t *net = fix_ex_net(), *orig = NULL;
    ck_assert_int_eq(mlp_clone(net, &orig), MLP_OK);
    mlp_train_opts o = mlp_default_train_opts();
    mlp_data empty = {0, fix_ex_x, fix_ex_y}, one = {1, fix_ex_x, fix_ex_y};
    mlp_train_result r;
    ck_assert_int_ne(mlp_train(net, &empty, &o, NULL, &r), MLP_OK);
    o.validation_split = 0.5; /* one row: nothing left to train on */
    ck_assert_int_ne(mlp_train(net, &one, &o, NULL, &r), MLP_OK);
    ck_assert(fix_same_params(net, orig));
    double loss = 42.0;
    ck_assert_int_ne(mlp_data_loss(net, &empty, NULL, &loss), MLP_OK);
    ck_assert_msg(loss == 42.0, "output written on failure: %g", loss); /* mlp.h contract */
    mlp_free(net);
    mlp_free(orig);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core_loop");
    TCase *tc = tcase_create("loop");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, epoch_losses_match_the_definition);
    tcase_add_test(tc, validation_split_follows_keras);
    tcase_add_test(tc, early_stopping_restores_best_weights);
    tcase_add_test(tc, patience_without_validation_restores_best_training_loss);
    tcase_add_test(tc, target_loss_stops_at_first_epoch_below);
    tcase_add_test(tc, callback_can_stop_training);
    tcase_add_test(tc, cancel_before_start_changes_nothing);
    tcase_add_test(tc, cancel_during_training_keeps_current_weights);
    tcase_add_test(tc, divergence_reports_epoch_and_layer);
    tcase_add_test(tc, default_options_are_as_documented);
    tcase_add_test(tc, bad_options_are_refused);
    tcase_add_test(tc, bad_data_is_refused);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
