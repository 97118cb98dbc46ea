/*
 * test_core_resume.c - checkpoints of mlp_train (mlp_train_state_save,
 * opts.resume): on every training path, a run saved after epoch k (and
 * stopped there, as a node that dies) and resumed on another network ends
 * with the parameters (memcmp) and the result (every field, bit for bit)
 * of the run without interruption, for k = 1, the middle, the last but
 * one and the last epoch; the resumed run calls the progress callback for
 * the epochs after k only. A state that is malformed or does not fit the
 * network, data or options is refused with nothing changed, and a state
 * with one piece altered (order, rng, a parameter bit) resumes to other
 * weights, so the comparisons can fail.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "schedule.h"
#include "util_trainfix.h"

#define MAX_ROWS 64

typedef struct setup {
    mlp_t *net;
    double x[MAX_ROWS * 2], y[MAX_ROWS];
    mlp_data data;
    mlp_train_opts o;
    mlp_schedule sched;
} setup;

/* rows rows of a smooth target on a grid, or with noise of that amplitude
 * on random inputs (so that the validation rows interpolate). */
static void make_data(setup *s, size_t rows, double noise)
{
    mlp_rng rng;
    mlp_rng_seed(&rng, 11);
    ck_assert_uint_le(rows, MAX_ROWS);
    for (size_t r = 0; r < rows; r++) {
        s->x[2 * r] = noise > 0.0 ? mlp_rng_uniform(&rng) : (double)r / (double)rows;
        s->x[2 * r + 1] = noise > 0.0 ? mlp_rng_uniform(&rng)
                                      : 1.0 - (double)(r * r) / (double)(rows * rows);
        s->y[r] = sin(3.0 * s->x[2 * r]) * s->x[2 * r + 1] +
                  noise * (mlp_rng_uniform(&rng) - 0.5);
    }
    s->data = (mlp_data){rows, s->x, s->y};
}

/* 2-h-1 (hidden activation act, linear mse output) on rows rows. */
static void make(setup *s, int act, size_t hidden, size_t rows, size_t epochs, double lr)
{
    s->net = fix_make_231(act, MLP_ACT_LINEAR, MLP_LOSS_MSE, hidden, 7);
    make_data(s, rows, 0.0);
    s->o = mlp_default_train_opts();
    s->o.epochs = epochs;
    s->o.learning_rate = lr;
}

/* ---- saving and comparing ------------------------------------------------ */

typedef struct saver {
    size_t k;           /* save after this epoch */
    int stop;           /* then ask to stop (the node dies) */
    unsigned char *buf;
    size_t len;
    double *params_k;   /* the network's parameters then */
} saver;

static int save_at(void *ctx, const mlp_t *net, const mlp_progress *p)
{
    saver *s = ctx;
    ck_assert_ptr_nonnull(p->state);
    if (p->epoch != s->k)
        return 0;
    size_t n = mlp_train_state_size(p);
    ck_assert_uint_gt(n, 0);
    s->buf = malloc(n);
    ck_assert_ptr_nonnull(s->buf);
    ck_assert_int_eq(mlp_train_state_save(p, s->buf, n - 1), MLP_ERR_LIMIT);
    ck_assert_int_eq(mlp_train_state_save(p, s->buf, n), MLP_OK);
    s->len = n;
    size_t P = mlp_param_count(net);
    s->params_k = malloc(P * sizeof(double));
    ck_assert_ptr_nonnull(s->params_k);
    memcpy(s->params_k, mlp_params_const(net), P * sizeof(double));
    return s->stop;
}

typedef struct seen {
    size_t n, first;
} seen;

static int count_epochs(void *ctx, const mlp_t *net, const mlp_progress *p)
{
    (void)net;
    seen *s = ctx;
    ck_assert_ptr_nonnull(p->state);
    if (s->n++ == 0)
        s->first = p->epoch;
    return 0;
}

static int same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static void ck_same_result(const mlp_train_result *a, const mlp_train_result *b)
{
    ck_assert_int_eq(a->stop, b->stop);
    ck_assert_uint_eq(a->epochs_run, b->epochs_run);
    ck_assert_uint_eq(a->best_epoch, b->best_epoch);
    ck_assert_uint_eq(a->fail_epoch, b->fail_epoch);
    ck_assert_uint_eq(a->fail_layer, b->fail_layer);
    ck_assert_msg(same_double(a->loss, b->loss), "loss %.17g vs %.17g", a->loss, b->loss);
    ck_assert_msg(same_double(a->val_loss, b->val_loss), "val_loss %.17g vs %.17g", a->val_loss,
                  b->val_loss);
    ck_assert_msg(same_double(a->learning_rate, b->learning_rate), "rate %.17g vs %.17g",
                  a->learning_rate, b->learning_rate);
}

/* A network of proto's shape with other weights: resume must replace them. */
static mlp_t *other_net(const mlp_t *proto)
{
    mlp_t *n = NULL;
    ck_assert_int_eq(mlp_clone(proto, &n), MLP_OK);
    ck_assert_int_eq(mlp_init(n, MLP_INIT_XAVIER_UNIFORM, 999, 0.0), MLP_OK);
    ck_assert(!fix_same_params(n, proto));
    return n;
}

/* Save after epoch k of a run of s (stopping there, or going on with
 * stop 0), resume on another network; both end as full (rfull). */
static void check_at(const setup *s, const mlp_t *full, const mlp_train_result *rfull, size_t k,
                     int stop)
{
    mlp_t *b = NULL;
    ck_assert_int_eq(mlp_clone(s->net, &b), MLP_OK);
    saver sv = {.k = k, .stop = stop};
    mlp_train_opts ob = s->o;
    ob.progress = save_at;
    ob.progress_ctx = &sv;
    mlp_train_result rb;
    ck_assert_int_eq(mlp_train(b, &s->data, &ob, NULL, &rb), MLP_OK);
    ck_assert_msg(sv.buf != NULL, "epoch %zu never ended", k);
    if (stop) {
        ck_assert_int_eq(rb.stop, MLP_STOP_CALLBACK);
        ck_assert_uint_eq(rb.epochs_run, k);
    } else { /* saving changes nothing */
        ck_assert(fix_same_params(b, full));
        ck_same_result(&rb, rfull);
    }

    mlp_t *c = other_net(s->net);
    seen sn = {0};
    mlp_train_opts oc = s->o;
    oc.resume = sv.buf;
    oc.resume_len = sv.len;
    oc.progress = count_epochs;
    oc.progress_ctx = &sn;
    mlp_train_result rc;
    memset(&rc, 0xab, sizeof rc);
    ck_assert_int_eq(mlp_train(c, &s->data, &oc, NULL, &rc), MLP_OK);
    ck_assert_msg(fix_same_params(c, full), "k=%zu: resumed params differ", k);
    ck_same_result(&rc, rfull);
    ck_assert_uint_eq(sn.n, rfull->epochs_run - k);
    if (sn.n)
        ck_assert_uint_eq(sn.first, k + 1);
    /* the comparison is sensitive: the state's weights are not the end's */
    if (k < rfull->epochs_run && s->o.patience == 0)
        ck_assert(memcmp(sv.params_k, mlp_params_const(full),
                         mlp_param_count(full) * sizeof(double)) != 0);
    free(sv.buf);
    free(sv.params_k);
    mlp_free(b);
    mlp_free(c);
}

/* The uninterrupted run of s, then resumes from k = 1, the middle, the
 * last but one and the last epoch it ran. Returns its result. */
static mlp_train_result check_path(setup *s)
{
    mlp_t *full = NULL;
    ck_assert_int_eq(mlp_clone(s->net, &full), MLP_OK);
    mlp_train_result r;
    ck_assert_int_eq(mlp_train(full, &s->data, &s->o, NULL, &r), MLP_OK);
    ck_assert_uint_ge(r.epochs_run, 3);
    size_t E = r.epochs_run, ks[4] = {1, E / 2, E - 1, E};
    for (int i = 0; i < 4; i++)
        check_at(s, full, &r, ks[i], 1);
    check_at(s, full, &r, E / 2, 0);
    mlp_free(full);
    return r;
}

/* ---- the paths -------------------------------------------------------------- */

enum {
    P_LECTURE, P_WIDE_ONLINE, P_MOMENTUM, P_NESTEROV, P_ADAM, P_DECAY, P_MINIBATCH_ADAM,
    P_NO_SHUFFLE, P_PATIENCE, P_STEP, P_INVSCALING, P_COSINE, P_PLATEAU, P_PLATEAU_STOP,
    P_F32_ADAM, P_F32_ONLINE, P_F32_PATIENCE, P_DEEP, P_COUNT
};

START_TEST(resume_is_bit_identical)
{
    setup s;
    memset(&s, 0, sizeof s);
    int expect_stop = MLP_STOP_EPOCHS;
    switch (_i) {
    case P_LECTURE: /* 2-3-1 online SGD: tiny.c */
        make(&s, MLP_ACT_SIGMOID, 3, 12, 8, 0.4);
        break;
    case P_WIDE_ONLINE: /* 2-40-1 online SGD: online.c */
        make(&s, MLP_ACT_TANH, 40, 12, 6, 0.05);
        break;
    case P_MOMENTUM:
        make(&s, MLP_ACT_TANH, 5, 12, 7, 0.05);
        s.o.momentum = 0.9;
        break;
    case P_NESTEROV:
        make(&s, MLP_ACT_TANH, 5, 12, 7, 0.05);
        s.o.optimizer = MLP_OPT_NESTEROV;
        s.o.momentum = 0.9;
        break;
    case P_ADAM:
        make(&s, MLP_ACT_SIGMOID, 4, 12, 7, 0.01);
        s.o.optimizer = MLP_OPT_ADAM;
        break;
    case P_DECAY:
        make(&s, MLP_ACT_TANH, 3, 12, 6, 0.1);
        s.o.weight_decay = 1e-2;
        break;
    case P_MINIBATCH_ADAM: /* 64 rows in batches of 16, shuffled */
        make(&s, MLP_ACT_TANH, 8, 64, 9, 0.01);
        s.o.batch_size = 16;
        s.o.optimizer = MLP_OPT_ADAM;
        break;
    case P_NO_SHUFFLE:
        make(&s, MLP_ACT_TANH, 6, 30, 7, 0.05);
        s.o.shuffle = 0;
        s.o.batch_size = 4;
        s.o.momentum = 0.5;
        break;
    case P_PATIENCE: /* noisy targets: validation stops improving (epoch 11) */
        make(&s, MLP_ACT_TANH, 6, 40, 200, 0.04);
        make_data(&s, 40, 0.8);
        s.o.validation_split = 0.2;
        s.o.patience = 3;
        expect_stop = MLP_STOP_EARLY;
        break;
    case P_STEP:
        make(&s, MLP_ACT_SIGMOID, 3, 12, 8, 0.4);
        s.sched = mlp_default_schedule(MLP_SCHED_STEP);
        s.sched.step_size = 2;
        s.sched.gamma = 0.5;
        s.o.schedule = &s.sched;
        break;
    case P_INVSCALING:
        make(&s, MLP_ACT_TANH, 4, 20, 7, 0.2);
        s.o.batch_size = 5;
        s.sched = mlp_default_schedule(MLP_SCHED_INVSCALING);
        s.o.schedule = &s.sched;
        break;
    case P_COSINE:
        make(&s, MLP_ACT_TANH, 4, 12, 7, 0.2);
        s.sched = mlp_default_schedule(MLP_SCHED_COSINE);
        s.o.schedule = &s.sched;
        break;
    case P_PLATEAU: /* drops the rate, does not stop */
        make(&s, MLP_ACT_SIGMOID, 3, 12, 12, 0.4);
        s.sched = mlp_default_schedule(MLP_SCHED_PLATEAU);
        s.sched.patience = 1;
        s.sched.tol = 1e-2;
        s.o.schedule = &s.sched;
        break;
    case P_PLATEAU_STOP: /* test_core_schedule's: stops after epoch 10 */
        make(&s, MLP_ACT_SIGMOID, 3, 12, 500, 1e-5);
        s.o.shuffle = 0;
        s.sched = mlp_default_schedule(MLP_SCHED_PLATEAU);
        s.sched.patience = 2;
        s.sched.tol = 1e-3;
        s.o.schedule = &s.sched;
        expect_stop = MLP_STOP_PLATEAU;
        break;
    case P_F32_ADAM:
        make(&s, MLP_ACT_TANH, 8, 32, 7, 0.01);
        s.o.dtype = MLP_DTYPE_FLOAT32;
        s.o.optimizer = MLP_OPT_ADAM;
        s.o.batch_size = 8;
        break;
    case P_F32_ONLINE:
        make(&s, MLP_ACT_TANH, 6, 12, 7, 0.05);
        s.o.dtype = MLP_DTYPE_FLOAT32;
        break;
    case P_F32_PATIENCE:
        make(&s, MLP_ACT_TANH, 6, 40, 200, 0.04);
        make_data(&s, 40, 0.8);
        s.o.dtype = MLP_DTYPE_FLOAT32;
        s.o.momentum = 0.5;
        s.o.validation_split = 0.2;
        s.o.patience = 3;
        expect_stop = MLP_STOP_EARLY;
        break;
    case P_DEEP: { /* 2-5-4-1, mini-batches of 3 with nesterov */
        const size_t units[3] = {5, 4, 1};
        const int acts[3] = {MLP_ACT_TANH, MLP_ACT_RELU, MLP_ACT_LINEAR};
        s.net = fix_make_net(2, 3, units, acts, MLP_LOSS_MSE, 5);
        make_data(&s, 20, 0.0);
        s.o = mlp_default_train_opts();
        s.o.epochs = 7;
        s.o.learning_rate = 0.02;
        s.o.batch_size = 3;
        s.o.optimizer = MLP_OPT_NESTEROV;
        s.o.momentum = 0.8;
        break;
    }
    default:
        ck_abort();
    }
    mlp_train_result r = check_path(&s);
    ck_assert_int_eq(r.stop, expect_stop);
    if (expect_stop == MLP_STOP_EARLY) /* stopped after several epochs, best restored */
        ck_assert(r.epochs_run >= 6 && r.best_epoch < r.epochs_run);
    mlp_free(s.net);
}
END_TEST

/* target_loss reached right at epoch k: the full run stops there, and a
 * state saved there resumes to that stop at once. */
typedef struct losses {
    size_t n;
    double loss[16];
} losses;

static int record_loss(void *ctx, const mlp_t *net, const mlp_progress *p)
{
    (void)net;
    losses *l = ctx;
    if (l->n < 16)
        l->loss[l->n++] = p->loss;
    return 0;
}

START_TEST(resume_at_target_loss)
{
    setup s;
    memset(&s, 0, sizeof s);
    make(&s, MLP_ACT_SIGMOID, 3, 12, 12, 0.4);
    s.o.dtype = _i ? MLP_DTYPE_FLOAT32 : 0;
    mlp_t *probe = NULL;
    ck_assert_int_eq(mlp_clone(s.net, &probe), MLP_OK);
    losses l = {0};
    mlp_train_opts op = s.o;
    op.progress = record_loss;
    op.progress_ctx = &l;
    ck_assert_int_eq(mlp_train(probe, &s.data, &op, NULL, NULL), MLP_OK);
    /* k: an epoch from the fourth on with a loss below every earlier one */
    size_t k = 0;
    for (size_t e = 4; k == 0 && e <= l.n; e++) {
        k = e;
        for (size_t j = 0; j + 1 < e; j++)
            if (l.loss[j] <= l.loss[e - 1])
                k = 0;
    }
    ck_assert_uint_ge(k, 4);
    s.o.target_loss = l.loss[k - 1];
    mlp_train_result r = check_path(&s);
    ck_assert_int_eq(r.stop, MLP_STOP_TARGET);
    ck_assert_uint_eq(r.epochs_run, k);
    mlp_free(probe);
    mlp_free(s.net);
}
END_TEST

/* Two nodes die: saved at 2, resumed and saved again at 5, resumed to the
 * end (mini-batch adam with patience, float64 then float32). */
START_TEST(resume_twice)
{
    setup s;
    memset(&s, 0, sizeof s);
    make(&s, MLP_ACT_TANH, 6, 40, 9, 0.02);
    make_data(&s, 40, 0.3);
    s.o.batch_size = 8;
    s.o.optimizer = MLP_OPT_ADAM;
    s.o.validation_split = 0.2;
    s.o.patience = 4;
    s.o.dtype = _i ? MLP_DTYPE_FLOAT32 : 0;
    mlp_t *full = NULL, *b = NULL, *c = NULL, *d = NULL;
    ck_assert_int_eq(mlp_clone(s.net, &full), MLP_OK);
    mlp_train_result rf, rd;
    ck_assert_int_eq(mlp_train(full, &s.data, &s.o, NULL, &rf), MLP_OK);
    ck_assert_uint_gt(rf.epochs_run, 5);

    ck_assert_int_eq(mlp_clone(s.net, &b), MLP_OK);
    saver s1 = {.k = 2, .stop = 1}, s2 = {.k = 5, .stop = 1};
    mlp_train_opts o = s.o;
    o.progress = save_at;
    o.progress_ctx = &s1;
    ck_assert_int_eq(mlp_train(b, &s.data, &o, NULL, NULL), MLP_OK);
    c = other_net(s.net);
    o.resume = s1.buf;
    o.resume_len = s1.len;
    o.progress_ctx = &s2;
    ck_assert_int_eq(mlp_train(c, &s.data, &o, NULL, NULL), MLP_OK);
    ck_assert_ptr_nonnull(s2.buf);
    d = other_net(s.net);
    o = s.o;
    o.resume = s2.buf;
    o.resume_len = s2.len;
    ck_assert_int_eq(mlp_train(d, &s.data, &o, NULL, &rd), MLP_OK);
    ck_assert(fix_same_params(d, full));
    ck_same_result(&rd, &rf);
    free(s1.buf);
    free(s1.params_k);
    free(s2.buf);
    free(s2.params_k);
    mlp_free(full);
    mlp_free(b);
    mlp_free(c);
    mlp_free(d);
    mlp_free(s.net);
}
END_TEST

/* ---- refusals and sensitivity --------------------------------------------- */

/* The state after epoch k of s's run (caller frees). */
static unsigned char *state_of(const setup *s, size_t k, size_t *len)
{
    mlp_t *b = NULL;
    ck_assert_int_eq(mlp_clone(s->net, &b), MLP_OK);
    saver sv = {.k = k, .stop = 1};
    mlp_train_opts ob = s->o;
    ob.progress = save_at;
    ob.progress_ctx = &sv;
    ck_assert_int_eq(mlp_train(b, &s->data, &ob, NULL, NULL), MLP_OK);
    ck_assert_ptr_nonnull(sv.buf);
    free(sv.params_k);
    mlp_free(b);
    *len = sv.len;
    return sv.buf;
}

/* Resuming net on data with opts from buf is refused; net and the result unchanged. */
static void ck_refused(mlp_t *net, const mlp_data *d, const mlp_train_opts *o, const void *buf,
                       size_t len)
{
    mlp_t *before = NULL;
    ck_assert_int_eq(mlp_clone(net, &before), MLP_OK);
    mlp_train_opts oc = *o;
    oc.resume = buf;
    oc.resume_len = len;
    mlp_train_result r, r0;
    memset(&r, 0x5a, sizeof r);
    r0 = r;
    ck_assert_int_eq(mlp_train(net, d, &oc, NULL, &r), MLP_ERR_INVALID);
    ck_assert(fix_same_params(net, before));
    ck_assert(memcmp(&r, &r0, sizeof r) == 0);
    mlp_free(before);
}

START_TEST(bad_states_are_refused)
{
    setup s;
    memset(&s, 0, sizeof s);
    make(&s, MLP_ACT_SIGMOID, 3, 12, 8, 0.4);
    size_t len;
    unsigned char *st = state_of(&s, 3, &len);
    mlp_t *net = other_net(s.net);

    ck_refused(net, &s.data, &s.o, st, len - 1);      /* truncated */
    ck_refused(net, &s.data, &s.o, st, 16);
    ck_refused(net, &s.data, &s.o, st, 0);
    unsigned char *bad = malloc(len + 1);
    ck_assert_ptr_nonnull(bad);
    memcpy(bad, st, len);
    bad[len] = 0;
    ck_refused(net, &s.data, &s.o, bad, len + 1);     /* trailing byte */
    for (size_t at = 0; at < len; at += len / 7 + 1) { /* a flipped bit anywhere: CRC */
        memcpy(bad, st, len);
        bad[at] ^= 0x10;
        ck_refused(net, &s.data, &s.o, bad, len);
    }
    memcpy(bad, st, len);
    bad[4] = 2; /* version 2, CRC made right: still refused */
    uint32_t crc = mlp_crc32(bad, len - 4);
    for (int i = 0; i < 4; i++)
        bad[len - 4 + (size_t)i] = (unsigned char)(crc >> (8 * i));
    ck_refused(net, &s.data, &s.o, bad, len);

    /* a state of another shape, rows or options */
    mlp_t *wider = fix_make_231(MLP_ACT_SIGMOID, MLP_ACT_LINEAR, MLP_LOSS_MSE, 4, 7);
    ck_refused(wider, &s.data, &s.o, st, len);
    mlp_t *tanh_net = fix_make_231(MLP_ACT_TANH, MLP_ACT_LINEAR, MLP_LOSS_MSE, 3, 7);
    ck_refused(tanh_net, &s.data, &s.o, st, len);
    mlp_data more = {13, s.x, s.y};
    make_data(&s, 13, 0.0);
    ck_refused(net, &more, &s.o, st, len);
    make_data(&s, 12, 0.0);
    mlp_train_opts o = s.o;
    o.validation_split = 0.2; /* same rows, another split */
    ck_refused(net, &s.data, &o, st, len);
    o = s.o;
    o.optimizer = MLP_OPT_ADAM;
    ck_refused(net, &s.data, &o, st, len);
    o = s.o;
    o.momentum = 0.5;
    ck_refused(net, &s.data, &o, st, len);
    o = s.o;
    o.dtype = MLP_DTYPE_FLOAT32;
    ck_refused(net, &s.data, &o, st, len);
    o = s.o;
    o.patience = 2;
    ck_refused(net, &s.data, &o, st, len);
    o = s.o;
    o.batch_size = 2;
    ck_refused(net, &s.data, &o, st, len);
    o = s.o;
    o.epochs = 2; /* saved after epoch 3 */
    ck_refused(net, &s.data, &o, st, len);

    /* the state itself resumes (nothing above spoilt it) */
    mlp_train_opts ok = s.o;
    ok.resume = st;
    ok.resume_len = len;
    ck_assert_int_eq(mlp_train(net, &s.data, &ok, NULL, NULL), MLP_OK);

    /* no state: size 0, save refused */
    mlp_progress p = {0};
    unsigned char small[8];
    ck_assert_uint_eq(mlp_train_state_size(&p), 0);
    ck_assert_int_eq(mlp_train_state_save(&p, small, sizeof small), MLP_ERR_INVALID);
    free(bad);
    free(st);
    mlp_free(wider);
    mlp_free(tanh_net);
    mlp_free(net);
    mlp_free(s.net);
}
END_TEST

/* Resume from st with the bytes at [at, at+n) swapped with [at2, at2+n)
 * or one bit flipped (CRC made right again): the weights at the end. */
static mlp_t *resume_altered(const setup *s, const unsigned char *st, size_t len, size_t at,
                             size_t at2, size_t n)
{
    unsigned char *b = malloc(len);
    ck_assert_ptr_nonnull(b);
    memcpy(b, st, len);
    if (at2 == at) {
        b[at] ^= 1;
    } else {
        unsigned char tmp[8];
        memcpy(tmp, b + at, n);
        memcpy(b + at, b + at2, n);
        memcpy(b + at2, tmp, n);
    }
    uint32_t crc = mlp_crc32(b, len - 4);
    for (int i = 0; i < 4; i++)
        b[len - 4 + (size_t)i] = (unsigned char)(crc >> (8 * i));
    mlp_t *c = other_net(s->net);
    mlp_train_opts oc = s->o;
    oc.resume = b;
    oc.resume_len = len;
    ck_assert_int_eq(mlp_train(c, &s->data, &oc, NULL, NULL), MLP_OK);
    free(b);
    return c;
}

START_TEST(altered_states_resume_elsewhere)
{
    setup s;
    memset(&s, 0, sizeof s);
    make(&s, MLP_ACT_SIGMOID, 3, 12, 8, 0.4); /* online, shuffled: order matters */
    mlp_t *full = NULL;
    ck_assert_int_eq(mlp_clone(s.net, &full), MLP_OK);
    ck_assert_int_eq(mlp_train(full, &s.data, &s.o, NULL, NULL), MLP_OK);
    size_t len;
    unsigned char *st = state_of(&s, 4, &len);
    mlp_t *c0 = other_net(s.net);
    mlp_train_opts oc = s.o;
    oc.resume = st;
    oc.resume_len = len;
    ck_assert_int_eq(mlp_train(c0, &s.data, &oc, NULL, NULL), MLP_OK);
    ck_assert(fix_same_params(c0, full));
    /* The layout (train_state.c): 232 + 12 bytes per layer of fields, the
     * rng 40 bytes before their end; then params, order (12 rows), CRC. */
    size_t P = mlp_param_count(s.net), order = len - 4 - 8 * 12, arrays = order - 8 * P;
    ck_assert_uint_eq(arrays, 232 + 12 * 2);
    /* order: its first two entries swapped (a resume that lost order) */
    mlp_t *c1 = resume_altered(&s, st, len, order, order + 8, 8);
    ck_assert(!fix_same_params(c1, full));
    /* rng: s[0] and s[1] swapped */
    mlp_t *c2 = resume_altered(&s, st, len, arrays - 40, arrays - 32, 8);
    ck_assert(!fix_same_params(c2, full));
    /* a low mantissa bit of the first parameter (2^-12 of it) */
    mlp_t *c3 = resume_altered(&s, st, len, arrays + 5, arrays + 5, 1);
    ck_assert(!fix_same_params(c3, full));
    mlp_free(c0);
    mlp_free(c1);
    mlp_free(c2);
    mlp_free(c3);
    mlp_free(full);
    free(st);
    mlp_free(s.net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core_resume");
    TCase *tc = tcase_create("resume");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, resume_is_bit_identical, 0, P_COUNT);
    tcase_add_loop_test(tc, resume_at_target_loss, 0, 2);
    tcase_add_loop_test(tc, resume_twice, 0, 2);
    tcase_add_test(tc, bad_states_are_refused);
    tcase_add_test(tc, altered_states_resume_elsewhere);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
