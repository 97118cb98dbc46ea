/*
 * test_core_schedule.c - learning-rate schedules inside mlp_train: a
 * constant schedule changes no bit; every other method trains each epoch
 * with its rate (equal, bit for bit, to one-epoch runs at those rates);
 * progress and the result report the rates; reduce_on_plateau stops the
 * run as sklearn's "adaptive" does. (The rates themselves against sklearn:
 * test_core_realdata.c.)
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "schedule.h"

#define ROWS 12
#define EPOCHS 7

typedef struct setup {
    mlp_t *net;
    double x[ROWS * 2], y[ROWS];
    mlp_data data;
} setup;

/* The lecture's 2-3-1 shape (sigmoid hidden, linear output, mse) on a
 * smooth target, xavier weights from seed 3. */
static void make(setup *s, size_t batch, mlp_train_opts *o)
{
    mlp_spec sp = {.inputs = 2, .n_layers = 2, .loss = MLP_LOSS_MSE};
    sp.layers[0] = (mlp_layer_spec){3, MLP_ACT_SIGMOID};
    sp.layers[1] = (mlp_layer_spec){1, MLP_ACT_LINEAR};
    ck_assert_int_eq(mlp_new(&sp, NULL, NULL, &s->net), MLP_OK);
    ck_assert_int_eq(mlp_init(s->net, MLP_INIT_XAVIER_UNIFORM, 3, 0), MLP_OK);
    for (size_t r = 0; r < ROWS; r++) {
        s->x[2 * r] = (double)r / ROWS;
        s->x[2 * r + 1] = 1.0 - (double)(r * r) / (ROWS * ROWS);
        s->y[r] = sin(3.0 * s->x[2 * r]) * s->x[2 * r + 1];
    }
    s->data = (mlp_data){ROWS, s->x, s->y};
    *o = mlp_default_train_opts();
    o->epochs = EPOCHS;
    o->learning_rate = 0.4;
    o->batch_size = batch;
    o->shuffle = 0;
}

typedef struct seen {
    size_t n;
    double rate[EPOCHS], loss[EPOCHS];
} seen;

static int record(void *ctx, const mlp_t *net, const mlp_progress *p)
{
    (void)net;
    seen *s = ctx;
    s->rate[s->n] = p->learning_rate;
    s->loss[s->n++] = p->loss;
    return 0;
}

START_TEST(constant_schedule_changes_no_bit)
{
    setup a, b;
    mlp_train_opts oa, ob;
    make(&a, 1 + (size_t)_i * 4, &oa);
    make(&b, 1 + (size_t)_i * 4, &ob);
    mlp_schedule c = mlp_default_schedule(MLP_SCHED_CONSTANT);
    ob.schedule = &c;
    seen sb = {0};
    ob.progress = record;
    ob.progress_ctx = &sb;
    mlp_train_result ra, rb;
    ck_assert_int_eq(mlp_train(a.net, &a.data, &oa, NULL, &ra), MLP_OK);
    ck_assert_int_eq(mlp_train(b.net, &b.data, &ob, NULL, &rb), MLP_OK);
    ck_assert(memcmp(mlp_params_const(a.net), mlp_params_const(b.net),
                     mlp_param_count(a.net) * sizeof(double)) == 0);
    ck_assert(ra.loss == rb.loss && rb.learning_rate == 0.4);
    for (size_t e = 0; e < EPOCHS; e++)
        ck_assert(sb.rate[e] == 0.4);
    mlp_free(a.net);
    mlp_free(b.net);
}
END_TEST

/* Train with schedule s; then again one epoch at a time with the rates
 * the first run reported: the same weights, bit for bit. */
static void check_rates_are_used(int method, size_t batch)
{
    setup a, b;
    mlp_train_opts oa, ob;
    make(&a, batch, &oa);
    make(&b, batch, &ob);
    mlp_schedule s = mlp_default_schedule(method);
    s.step_size = 2;
    s.gamma = 0.5;
    s.eta_min = 0.05;
    oa.schedule = &s;
    seen sa = {0};
    oa.progress = record;
    oa.progress_ctx = &sa;
    mlp_train_result ra, rb;
    ck_assert_int_eq(mlp_train(a.net, &a.data, &oa, NULL, &ra), MLP_OK);
    ck_assert_uint_eq(sa.n, EPOCHS);
    ck_assert(ra.learning_rate == sa.rate[EPOCHS - 1]);
    for (size_t e = 1; e <= EPOCHS; e++) {
        ck_assert(sa.rate[e - 1] == mlp_schedule_rate(&s, 0.4, e, EPOCHS, ROWS));
        ob.epochs = 1;
        ob.learning_rate = sa.rate[e - 1];
        ck_assert_int_eq(mlp_train(b.net, &b.data, &ob, NULL, &rb), MLP_OK);
        ck_assert(rb.loss == sa.loss[e - 1]);
    }
    ck_assert(sa.rate[EPOCHS - 1] < sa.rate[0]);
    ck_assert(memcmp(mlp_params_const(a.net), mlp_params_const(b.net),
                     mlp_param_count(a.net) * sizeof(double)) == 0);
    mlp_free(a.net);
    mlp_free(b.net);
}

START_TEST(each_epoch_trains_with_its_rate)
{
    static const int methods[3] = {MLP_SCHED_STEP, MLP_SCHED_INVSCALING, MLP_SCHED_COSINE};
    check_rates_are_used(methods[_i % 3], _i < 3 ? 1 : 5); /* online, then mini-batch */
}
END_TEST

START_TEST(plateau_drops_and_stops)
{
    setup a;
    mlp_train_opts o;
    make(&a, 1, &o);
    o.epochs = 500;
    o.learning_rate = 1e-5; /* barely moves: every epoch is a plateau */
    mlp_schedule s = mlp_default_schedule(MLP_SCHED_PLATEAU);
    s.patience = 2;
    s.tol = 1e-3;
    o.schedule = &s;
    mlp_train_result r;
    ck_assert_int_eq(mlp_train(a.net, &a.data, &o, NULL, &r), MLP_OK);
    /* sklearn: epoch 1 sets the best; 3 epochs without a 1e-3 gain (count
     * > patience) divide by 5: epochs 1-4 at 1e-5, 5-7 at 2e-6, 8-10 at
     * 4e-7, and after epoch 10 the rate is <= 1e-6: stop */
    ck_assert_int_eq(r.stop, MLP_STOP_PLATEAU);
    ck_assert_uint_eq(r.epochs_run, 10);
    ck_assert_msg(r.learning_rate == 1e-5 / 5.0 / 5.0, "last rate %.17g", r.learning_rate);
    ck_assert_str_eq(mlp_stop_name(MLP_STOP_PLATEAU), "plateau");
    /* a bad schedule is refused by the option check, naming the field */
    mlp_spec_error err;
    s.divisor = 1.0;
    ck_assert_int_eq(mlp_train_opts_check(&o, &err), MLP_ERR_INVALID);
    ck_assert_str_eq(err.field, "schedule.divisor");
    ck_assert_int_eq(mlp_train(a.net, &a.data, &o, NULL, &r), MLP_ERR_INVALID);
    mlp_free(a.net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core_schedule");
    TCase *tc = tcase_create("schedule");
    tcase_add_loop_test(tc, constant_schedule_changes_no_bit, 0, 2);
    tcase_add_loop_test(tc, each_epoch_trains_with_its_rate, 0, 6);
    tcase_add_test(tc, plateau_drops_and_stops);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
