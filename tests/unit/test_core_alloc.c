/*
 * test_core_alloc.c - every allocating function of the core, with the k-th
 * allocation failing for k = 1, 2, ... until the call succeeds (SQLite's
 * malloc-failure loop). Each failure must return MLP_ERR_NOMEM, release
 * everything it took, and leave its outputs and inputs as they were.
 *
 * Loop tests run twice: _i == 0 fails only the k-th allocation, _i == 1
 * fails the k-th and every one after it.
 */
#include <check.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "util_testalloc.h"

#define MAX_K 64 /* no core call needs this many allocations */

static void arm(testalloc *ta, int persistent, size_t k)
{
    if (persistent)
        testalloc_fail_from(ta, k);
    else
        testalloc_fail_nth(ta, k);
}

static mlp_spec small_spec(void)
{
    mlp_spec s;
    memset(&s, 0, sizeof s);
    s.inputs = 3;
    s.n_layers = 3;
    s.layers[0].units = 5;
    s.layers[0].activation = MLP_ACT_TANH;
    s.layers[1].units = 4;
    s.layers[1].activation = MLP_ACT_SIGMOID;
    s.layers[2].units = 2;
    s.layers[2].activation = MLP_ACT_SOFTMAX;
    s.loss = MLP_LOSS_CROSS_ENTROPY;
    return s;
}

/* A network whose memory comes from ta, with seeded weights. */
static mlp_t *tracked_net(testalloc *ta, mlp_allocator *a)
{
    mlp_spec s = small_spec();
    mlp_t *net = NULL;
    testalloc_init(ta);
    *a = testalloc_allocator(ta);
    ck_assert_int_eq(mlp_new(&s, NULL, a, &net), MLP_OK);
    ck_assert_int_eq(mlp_init(net, MLP_INIT_XAVIER_UNIFORM, 3, 0.0), MLP_OK);
    ck_assert_uint_eq(ta->live, 1);
    return net;
}

static const double data_x[6 * 3] = {0.1, 0.2, 0.3,  -0.5, 0.4, 0.9, 1.0, -1.0, 0.0,
                                     0.3, 0.3, -0.7, 0.8,  0.1, 0.2, -0.2, -0.6, 0.5};
static const double data_y[6 * 2] = {1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1};

static void *snapshot(const mlp_t *net)
{
    size_t n = mlp_param_count(net) * sizeof(double);
    void *p = malloc(n);
    ck_assert_ptr_nonnull(p);
    memcpy(p, mlp_params_const(net), n);
    return p;
}

static void assert_unchanged(const mlp_t *net, const void *snap)
{
    ck_assert_int_eq(memcmp(mlp_params_const(net), snap, mlp_param_count(net) * sizeof(double)), 0);
}

/* Shared bookkeeping after one armed call: on failure it must be NOMEM with
 * `live` allocations left; on success no allocation may have been refused
 * (a refused allocation that still "succeeds" was never checked). Returns
 * nonzero when the call succeeded. */
static int judge(const char *what, size_t k, mlp_status s, const testalloc *ta, size_t live)
{
    ck_assert_uint_eq(ta->bad_frees, 0);
    if (s == MLP_OK) {
        ck_assert_msg(ta->failures == 0, "%s: k=%zu succeeded after a refused allocation", what,
                      k);
        return 1;
    }
    ck_assert_msg(s == MLP_ERR_NOMEM, "%s: k=%zu returned %s", what, k, mlp_status_name(s));
    ck_assert_msg(ta->failures >= 1, "%s: k=%zu failed without a refused allocation", what, k);
    ck_assert_msg(ta->live == live, "%s: k=%zu left %zu allocations (want %zu)", what, k,
                  ta->live, live);
    ck_assert_msg(k < MAX_K, "%s: still failing at k=%zu", what, k);
    return 0;
}

START_TEST(new_fails_cleanly)
{
    mlp_spec s = small_spec();
    size_t k;
    for (k = 1;; k++) {
        testalloc ta;
        testalloc_init(&ta);
        mlp_allocator a = testalloc_allocator(&ta);
        arm(&ta, _i, k);
        mlp_t *sentinel = (mlp_t *)&ta, *out = sentinel;
        mlp_status st = mlp_new(&s, NULL, &a, &out);
        if (judge("mlp_new", k, st, &ta, 0)) {
            ck_assert_uint_eq(ta.live, 1);
            mlp_free(out); /* through the allocator it was made with */
            ck_assert_uint_eq(ta.live, 0);
            break;
        }
        ck_assert_ptr_eq(out, sentinel);
    }
    ck_assert_uint_ge(k, 2);
}
END_TEST

START_TEST(clone_fails_cleanly)
{
    size_t k;
    for (k = 1;; k++) {
        testalloc ta;
        mlp_allocator a;
        mlp_t *net = tracked_net(&ta, &a);
        void *snap = snapshot(net);
        arm(&ta, _i, k);
        mlp_t *sentinel = (mlp_t *)&ta, *out = sentinel;
        int done = judge("mlp_clone", k, mlp_clone(net, &out), &ta, 1);
        assert_unchanged(net, snap);
        if (done) {
            ck_assert_uint_eq(ta.live, 2); /* the clone uses the same allocator */
            mlp_free(out);
        } else {
            ck_assert_ptr_eq(out, sentinel);
        }
        mlp_free(net);
        ck_assert_uint_eq(ta.live, 0);
        free(snap);
        if (done)
            break;
    }
    ck_assert_uint_ge(k, 2);
}
END_TEST

/* Training with validation, Adam, patience (a best-weights copy) and a
 * mini-batch: every scratch array the loop can need. */
static void train_loop(int persistent, size_t batch, int optimizer)
{
    size_t k;
    mlp_data data = {6, data_x, data_y};
    for (k = 1;; k++) {
        testalloc ta;
        mlp_allocator a;
        mlp_t *net = tracked_net(&ta, &a);
        void *snap = snapshot(net);
        mlp_train_opts o = mlp_default_train_opts();
        mlp_train_result r, r0;
        o.epochs = 3;
        o.optimizer = optimizer;
        o.momentum = optimizer == MLP_OPT_ADAM ? 0.0 : 0.9;
        o.batch_size = batch;
        o.validation_split = 0.34;
        o.patience = 2;
        memset(&r, 0x5a, sizeof r);
        r0 = r;
        arm(&ta, persistent, k);
        int done = judge("mlp_train", k, mlp_train(net, &data, &o, &a, &r), &ta, 1);
        if (!done) {
            assert_unchanged(net, snap);
            ck_assert_int_eq(memcmp(&r, &r0, sizeof r), 0);
        } else {
            ck_assert_uint_eq(ta.live, 1);
            ck_assert_uint_eq(r.epochs_run, 3);
        }
        mlp_free(net);
        ck_assert_uint_eq(ta.live, 0);
        free(snap);
        if (done)
            break;
    }
    ck_assert_uint_ge(k, 2);
}

START_TEST(train_fails_cleanly)
{
    train_loop(_i, 1, MLP_OPT_ADAM);
    train_loop(_i, 3, MLP_OPT_ADAM);
    train_loop(_i, 1, MLP_OPT_NESTEROV);
    train_loop(_i, 1, MLP_OPT_SGD); /* with momentum */
}
END_TEST

START_TEST(step_fails_cleanly)
{
    const unsigned flags[3] = {MLP_STEP_CHECK, MLP_STEP_CHECK | MLP_STEP_APPLY, MLP_STEP_APPLY};
    for (int f = 0; f < 3; f++) {
        size_t k;
        for (k = 1;; k++) {
            testalloc ta;
            mlp_allocator a;
            mlp_t *net = tracked_net(&ta, &a);
            void *snap = snapshot(net);
            mlp_trace tr, tr0;
            memset(&tr, 0x5a, sizeof tr);
            tr0 = tr;
            arm(&ta, _i, k);
            mlp_status st = mlp_step(net, data_x, data_y, 0.5, flags[f], &a, &tr);
            int done = judge("mlp_step", k, st, &ta, 1);
            if (!done) {
                assert_unchanged(net, snap);
                ck_assert_int_eq(memcmp(&tr, &tr0, sizeof tr), 0);
            } else {
                ck_assert_uint_ge(ta.live, 2); /* the trace's memory */
                ck_assert_int_eq(tr.checked, (flags[f] & MLP_STEP_CHECK) != 0);
                mlp_trace_free(&tr);
                ck_assert_uint_eq(ta.live, 1);
            }
            mlp_free(net);
            ck_assert_uint_eq(ta.live, 0);
            free(snap);
            if (done)
                break;
        }
        ck_assert_uint_ge(k, 2);
    }
}
END_TEST

START_TEST(load_fails_cleanly)
{
    mlp_spec s = small_spec();
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_new(&s, NULL, NULL, &net), MLP_OK);
    ck_assert_int_eq(mlp_init(net, MLP_INIT_HE_NORMAL, 8, 0.0), MLP_OK);
    size_t len = mlp_saved_size(net), written;
    unsigned char *buf = malloc(len);
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(mlp_save(net, buf, len, &written), MLP_OK);
    size_t k;
    for (k = 1;; k++) {
        testalloc ta;
        testalloc_init(&ta);
        mlp_allocator a = testalloc_allocator(&ta);
        arm(&ta, _i, k);
        mlp_t *sentinel = (mlp_t *)&ta, *out = sentinel;
        if (judge("mlp_load", k, mlp_load(buf, len, NULL, &a, &out), &ta, 0)) {
            ck_assert_int_eq(memcmp(mlp_params_const(out), mlp_params_const(net),
                                    mlp_param_count(net) * sizeof(double)), 0);
            mlp_free(out);
            ck_assert_uint_eq(ta.live, 0);
            break;
        }
        ck_assert_ptr_eq(out, sentinel);
    }
    ck_assert_uint_ge(k, 2);
    free(buf);
    mlp_free(net);
}
END_TEST

START_TEST(data_loss_fails_cleanly)
{
    mlp_spec s = small_spec();
    mlp_t *net = NULL;
    mlp_data data = {6, data_x, data_y};
    ck_assert_int_eq(mlp_new(&s, NULL, NULL, &net), MLP_OK);
    ck_assert_int_eq(mlp_init(net, MLP_INIT_XAVIER_NORMAL, 8, 0.0), MLP_OK);
    size_t k;
    for (k = 1;; k++) {
        testalloc ta;
        testalloc_init(&ta);
        mlp_allocator a = testalloc_allocator(&ta);
        arm(&ta, _i, k);
        double loss = -42.0;
        if (judge("mlp_data_loss", k, mlp_data_loss(net, &data, &a, &loss), &ta, 0)) {
            ck_assert(isfinite(loss) && loss > 0.0);
            ck_assert_uint_eq(ta.live, 0);
            break;
        }
        ck_assert(loss == -42.0);
    }
    ck_assert_uint_ge(k, 2);
    mlp_free(net);
}
END_TEST

START_TEST(gradient_fails_cleanly)
{
    mlp_spec s = small_spec();
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_new(&s, NULL, NULL, &net), MLP_OK);
    ck_assert_int_eq(mlp_init(net, MLP_INIT_XAVIER_NORMAL, 9, 0.0), MLP_OK);
    size_t P = mlp_param_count(net), k;
    double *g = malloc(P * sizeof *g), *g0 = malloc(P * sizeof *g0);
    ck_assert(g && g0);
    for (k = 1;; k++) {
        testalloc ta;
        testalloc_init(&ta);
        mlp_allocator a = testalloc_allocator(&ta);
        for (size_t i = 0; i < P; i++)
            g[i] = g0[i] = (double)i + 0.5;
        arm(&ta, _i, k);
        if (judge("mlp_gradient", k, mlp_gradient(net, data_x, data_y, g, &a), &ta, 0)) {
            ck_assert_uint_eq(ta.live, 0);
            ck_assert(memcmp(g, g0, P * sizeof *g) != 0);
            break;
        }
        ck_assert_int_eq(memcmp(g, g0, P * sizeof *g), 0);
    }
    ck_assert_uint_ge(k, 2);
    free(g);
    free(g0);
    mlp_free(net);
}
END_TEST

/* The allocator itself: counts, refuses the k-th, keeps blocks aligned. */
START_TEST(testalloc_counts_and_fails)
{
    testalloc ta;
    testalloc_init(&ta);
    testalloc_fail_nth(&ta, 2);
    void *a = testalloc_alloc(24, &ta), *b = testalloc_alloc(8, &ta), *c = testalloc_alloc(1, &ta);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_null(b);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq((uintptr_t)a % _Alignof(max_align_t), 0);
    ck_assert_uint_eq(ta.calls, 3);
    ck_assert_uint_eq(ta.failures, 1);
    ck_assert_uint_eq(ta.live, 2);
    ck_assert_uint_eq(ta.live_bytes, 25);
    testalloc_release(a, &ta);
    testalloc_release(NULL, &ta);
    ck_assert_uint_eq(ta.live, 1);
    ck_assert_uint_eq(ta.live_bytes, 1);
    testalloc_fail_from(&ta, 1);
    ck_assert_ptr_null(testalloc_alloc(4, &ta));
    ck_assert_ptr_null(testalloc_alloc(4, &ta));
    testalloc_fail_nth(&ta, 0);
    void *d = testalloc_alloc(4, &ta);
    ck_assert_ptr_nonnull(d);
    testalloc_release(c, &ta);
    testalloc_release(d, &ta);
    ck_assert_uint_eq(ta.live, 0);
    ck_assert_uint_eq(ta.bad_frees, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core_alloc");
    TCase *tc = tcase_create("fail_kth");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, new_fails_cleanly, 0, 2);
    tcase_add_loop_test(tc, clone_fails_cleanly, 0, 2);
    tcase_add_loop_test(tc, train_fails_cleanly, 0, 2);
    tcase_add_loop_test(tc, step_fails_cleanly, 0, 2);
    tcase_add_loop_test(tc, load_fails_cleanly, 0, 2);
    tcase_add_loop_test(tc, data_loss_fails_cleanly, 0, 2);
    tcase_add_loop_test(tc, gradient_fails_cleanly, 0, 2);
    tcase_add_test(tc, testalloc_counts_and_fails);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
