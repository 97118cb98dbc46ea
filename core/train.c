/*
 * train.c - the training loop: epochs of (shuffled) batches, an optimizer
 * step per batch, the epoch's loss with end-of-epoch weights, validation,
 * early stopping, target loss, progress callback and cancel flag.
 *
 * Three paths compute the same mathematics:
 *  - online plain SGD (batch 1, no momentum, no decay): the lecture's rule,
 *    fused so each weight row is read once per sample (hidden deltas take
 *    the row before its update, as the lecture says);
 *  - batch 1 with another optimizer: per-sample gradient, optimizer step;
 *  - mini-batches: matrix products through CBLAS (batch.c), mean gradient.
 * With MLP_DTYPE_FLOAT32 every batch (of any size) goes through the float
 * trainer of train32.c instead; the loop below stays the same.
 *
 * The trainer (train_state.h) holds everything that lasts from one epoch
 * to the next, so that a checkpoint (train_state.c) taken in the progress
 * callback resumes bit for bit.
 */
#include "internal.h"
#include "batch.h"
#include "f32.h"
#include "online.h"
#include "tiny.h"
#include "schedule.h"
#include "train_state.h"

#include <string.h>

_Static_assert(sizeof(size_t) == sizeof(double), "order[] shares the double block");


mlp_train_opts mlp_default_train_opts(void)
{
    mlp_train_opts o = {
        .epochs = 100,
        .learning_rate = 0.1,
        .batch_size = 1,
        .optimizer = MLP_OPT_SGD,
        .momentum = 0.0,
        .beta1 = 0.9,
        .beta2 = 0.999,
        .epsilon = 1e-8,
        .weight_decay = 0.0,
        .shuffle = 1,
        .seed = 1,
    };
    return o;
}

static mlp_status opt_fail(mlp_spec_error *err, const char *field, const char *msg)
{
    if (err) {
        strncpy(err->field, field, sizeof err->field - 1);
        err->field[sizeof err->field - 1] = '\0';
        strncpy(err->message, msg, sizeof err->message - 1);
        err->message[sizeof err->message - 1] = '\0';
    }
    return MLP_ERR_INVALID;
}

mlp_status mlp_train_opts_check(const mlp_train_opts *o, mlp_spec_error *err)
{
    if (o->epochs == 0)
        return opt_fail(err, "epochs", "must be at least 1");
    if (!isfinite(o->learning_rate) || o->learning_rate <= 0.0)
        return opt_fail(err, "learning_rate", "must be a finite number above 0");
    if (o->batch_size == 0)
        return opt_fail(err, "batch_size", "must be at least 1");
    if (mlp_optimizer_name(o->optimizer) == NULL)
        return opt_fail(err, "optimizer", "unknown optimizer");
    if (!isfinite(o->momentum) || o->momentum < 0.0 || o->momentum >= 1.0)
        return opt_fail(err, "momentum", "must be in [0, 1)");
    if (!isfinite(o->beta1) || o->beta1 < 0.0 || o->beta1 >= 1.0)
        return opt_fail(err, "beta1", "must be in [0, 1)");
    if (!isfinite(o->beta2) || o->beta2 < 0.0 || o->beta2 >= 1.0)
        return opt_fail(err, "beta2", "must be in [0, 1)");
    if (!isfinite(o->epsilon) || o->epsilon <= 0.0)
        return opt_fail(err, "epsilon", "must be a finite number above 0");
    if (!isfinite(o->weight_decay) || o->weight_decay < 0.0)
        return opt_fail(err, "weight_decay", "must be a finite number, 0 or more");
    if (!isfinite(o->validation_split) || o->validation_split < 0.0 || o->validation_split >= 1.0)
        return opt_fail(err, "validation_split", "must be in [0, 1)");
    if (!isfinite(o->target_loss) || o->target_loss < 0.0)
        return opt_fail(err, "target_loss", "must be a finite number, 0 or more");
    if (o->dtype != 0 && mlp_dtype_name(o->dtype) == NULL)
        return opt_fail(err, "dtype", "must be float64 or float32");
    return mlp_schedule_check(o->schedule, o->learning_rate, err);
}

/* The lecture's rule: batch 1, plain gradient descent. */
static int plain_online(const mlp_train_opts *o)
{
    return o->batch_size == 1 && o->optimizer == MLP_OPT_SGD && o->momentum == 0.0 &&
           o->weight_decay == 0.0;
}

/* ... through the fused double kernels (float32: train32's own). */
static int fused_online(const mlp_train_opts *o)
{
    return plain_online(o) && o->dtype != MLP_DTYPE_FLOAT32;
}

int trainer_moments(const mlp_train_opts *o)
{
    return o->optimizer == MLP_OPT_ADAM ? 2 : (o->momentum > 0.0 ? 1 : 0);
}

/* Rows of scratch: a batch, or a chunk of rows for the epoch's evaluation:
 * as many as fit in EVAL_BUDGET doubles of scratch per row set (fewer,
 * larger matrix products), at least EVAL_ROWS. */
#define EVAL_ROWS 64
#define EVAL_BUDGET ((size_t)1 << 18)

/* Lay out every scratch array in one allocation (sizes overflow-checked). */
static mlp_status trainer_alloc(trainer *t, const mlp_allocator *alloc)
{
    const mlp_t *net = t->net;
    size_t P = net->n_params, rows = t->rows_cap, ni = net->spec.inputs, no = mlp_outputs(net);
    size_t n_acts, n_x, n_y, n_state, total, bytes;
    int need_grad = !fused_online(t->o);
    int n_moments = trainer_moments(t->o);

    if (!core_mul(rows, net->total_units, &n_acts) || !core_mul(rows, ni, &n_x) ||
        !core_mul(rows, no, &n_y) || !core_mul(P, (size_t)need_grad + (size_t)n_moments + (t->o->patience > 0), &n_state))
        return MLP_ERR_LIMIT;
    total = n_state;
    if (!core_add(total, n_acts, &total) || !core_add(total, n_acts, &total) ||
        !core_add(total, n_x, &total) || !core_add(total, n_y, &total) ||
        !core_add(total, t->n_train, &total) || !core_mul(total, sizeof(double), &bytes))
        return MLP_ERR_LIMIT;
    t->block = core_alloc(alloc, bytes);
    if (t->block == NULL)
        return MLP_ERR_NOMEM;
    memset(t->block, 0, bytes);
    double *p = t->block;
    t->acts = p, p += n_acts;
    t->deltas = p, p += n_acts;
    t->xb = p, p += n_x;
    t->yb = p, p += n_y;
    t->grad = need_grad ? p : NULL, p += need_grad ? P : 0;
    t->m = n_moments >= 1 ? p : NULL, p += n_moments >= 1 ? P : 0;
    t->v = n_moments >= 2 ? p : NULL, p += n_moments >= 2 ? P : 0;
    t->best = t->o->patience > 0 ? p : NULL, p += t->o->patience > 0 ? P : 0;
    /* Same size (asserted at the top); the block is untyped malloc memory
     * and order is only ever accessed as size_t, so no aliasing issue. */
    // cppcheck-suppress invalidPointerCast
    t->order = (size_t *)p;
    return MLP_OK;
}

static void shuffle(trainer *t)
{
    for (size_t i = t->n_train; i > 1; i--) {
        size_t j = (size_t)(mlp_rng_next(&t->rng) % i);
        size_t tmp = t->order[i - 1];
        t->order[i - 1] = t->order[j];
        t->order[j] = tmp;
    }
}

/* Gradient of one sample's loss, added into grad (scaled by scale). */
static size_t sample_gradient(trainer *t, const double *x, const double *d, double scale)
{
    mlp_t *net = t->net;
    size_t L = net->spec.n_layers, no = mlp_outputs(net);
    core_forward_keep(net, x, t->acts);
    const double *y = t->acts + net->act_off[L - 1];
    for (size_t j = 0; j < no; j++)
        if (!isfinite(y[j]))
            return core_first_nonfinite_layer(net, t->acts);
    core_backward_deltas(net, t->acts, d, t->deltas);
    for (size_t l = 0; l < L; l++) {
        size_t units = net->spec.layers[l].units, fan_in = net->fan_in[l];
        const double *in = l == 0 ? x : t->acts + net->act_off[l - 1];
        const double *dl = t->deltas + net->act_off[l];
        double *gw = t->grad + net->w_off[l], *gb = t->grad + net->b_off[l];
        for (size_t j = 0; j < units; j++) {
            double s = -scale * dl[j]; /* dE/dw = -delta * input */
            for (size_t i = 0; i < fan_in; i++)
                gw[j * fan_in + i] += s * in[i];
            gb[j] += s;
        }
    }
    return 0;
}

CORE_CLONES static void add_weight_decay(trainer *t)
{
    const mlp_t *net = t->net;
    double wd = t->o->weight_decay;
    if (wd == 0.0)
        return;
    for (size_t l = 0; l < net->spec.n_layers; l++) {
        size_t n = net->spec.layers[l].units * net->fan_in[l];
        const double *w = net->params + net->w_off[l];
        double *g = t->grad + net->w_off[l];
        for (size_t i = 0; i < n; i++)
            g[i] += wd * w[i];
    }
}

/* One optimizer step over the flat arrays. */
CORE_CLONES static void optimizer_step(trainer *t)
{
    const mlp_train_opts *o = t->o;
    size_t P = t->net->n_params;
    /* restrict: the four arrays never overlap, so the loops vectorise */
    double *restrict p = t->net->params, *restrict m = t->m, *restrict v = t->v;
    const double *restrict g = t->grad;
    double lr = o->learning_rate, mu = o->momentum;

    add_weight_decay(t);
    if (o->optimizer == MLP_OPT_ADAM) {
        t->adam_t++;
        double b1 = o->beta1, b2 = o->beta2, eps = o->epsilon;
        double c1 = 1.0 - pow(b1, (double)t->adam_t);
        double c2 = 1.0 - pow(b2, (double)t->adam_t);
        for (size_t i = 0; i < P; i++) {
            m[i] = b1 * m[i] + (1.0 - b1) * g[i];
            v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
            p[i] -= lr * (m[i] / c1) / (sqrt(v[i] / c2) + eps);
        }
    } else if (mu > 0.0 && o->optimizer == MLP_OPT_NESTEROV) {
        for (size_t i = 0; i < P; i++) {
            m[i] = mu * m[i] - lr * g[i];
            p[i] += mu * m[i] - lr * g[i];
        }
    } else if (mu > 0.0) {
        for (size_t i = 0; i < P; i++) {
            m[i] = mu * m[i] - lr * g[i];
            p[i] += m[i];
        }
    } else {
        for (size_t i = 0; i < P; i++)
            p[i] -= lr * g[i];
    }
}

/* dst = rows idx[0, count) of src (cols wide), as they are or transposed
 * (cols x count). */
static void gather_rows(double *restrict dst, const double *restrict src, const size_t *idx,
                        size_t count, size_t cols, int transposed)
{
    for (size_t k = 0; k < count; k++) {
        const double *row = src + idx[k] * cols;
        if (transposed)
            for (size_t i = 0; i < cols; i++)
                dst[i * count + k] = row[i];
        else
            memcpy(dst + k * cols, row, cols * sizeof(double));
    }
}

/* Train on rows order[first, first+count). Returns 0 or the failing layer. */
static size_t train_batch(trainer *t, size_t first, size_t count)
{
    const mlp_data *data = t->data;
    size_t ni = t->net->spec.inputs, no = mlp_outputs(t->net);
    if (t->f32)
        return train32_batch(t->f32, t->order + first, count);
    if (count == 1) {
        memset(t->grad, 0, t->net->n_params * sizeof(double)); /* accumulated */
        size_t r = t->order[first];
        size_t bad = sample_gradient(t, data->x + r * ni, data->y + r * no, 1.0);
        if (bad)
            return bad;
    } else {
        /* The batch's inputs as batch.h wants them: rows as they are (in
         * place when unshuffled), or transposed; targets transposed. */
        const double *x = t->xb;
        if (!batch_rowmajor_input(t->net, count))
            gather_rows(t->xb, data->x, t->order + first, count, ni, 1);
        else if (t->o->shuffle)
            gather_rows(t->xb, data->x, t->order + first, count, ni, 0);
        else
            x = data->x + t->order[first] * ni;
        gather_rows(t->yb, data->y, t->order + first, count, no, 1);
        size_t bad = batch_gradient(t->net, count, x, t->yb, t->acts, t->deltas, t->grad);
        if (bad)
            return bad;
    }
    optimizer_step(t);
    return 0;
}

/* Mean loss over rows [first, first+n) of the data, in transposed chunks. */
static double eval_loss(trainer *t, size_t first, size_t n)
{
    const mlp_t *net = t->net;
    size_t ni = net->spec.inputs, no = mlp_outputs(net), L = net->spec.n_layers;
    double sum = 0.0;
    if (t->f32)
        return train32_loss_sum(t->f32, first, n) / (double)n;
    if (t->tiny_eval)
        return tiny_loss_sum(net, t->data, first, n) / (double)n;
    for (size_t r = first; r < first + n;) {
        size_t rows = first + n - r < t->rows_cap ? first + n - r : t->rows_cap;
        const double *x = t->data->x + r * ni;
        if (!batch_rowmajor_input(net, rows)) {
            batch_transpose_in(t->xb, x, rows, ni, ni);
            x = t->xb;
        }
        batch_transpose_in(t->yb, t->data->y + r * no, rows, no, no);
        batch_forward(net, rows, x, t->acts);
        sum += batch_loss_sum(net, rows, t->acts + rows * net->act_off[L - 1], t->yb);
        r += rows;
    }
    return sum / (double)n;
}

/* The layer where a non-finite value first shows after an epoch. */
static size_t locate_nonfinite(trainer *t)
{
    size_t layer = core_first_nonfinite_param_layer(t->net);
    size_t ni = t->net->spec.inputs;
    for (size_t r = 0; layer == 0 && r < t->data->n; r++) {
        core_forward_keep(t->net, t->data->x + r * ni, t->acts);
        layer = core_first_nonfinite_layer(t->net, t->acts);
    }
    return layer ? layer : t->net->spec.n_layers;
}

static mlp_status diverged(mlp_train_result *res, size_t epoch, size_t layer)
{
    res->stop = MLP_STOP_DIVERGED;
    res->fail_epoch = epoch;
    res->fail_layer = layer;
    return MLP_ERR_NONFINITE;
}

static int cancelled(const mlp_train_opts *o)
{
    return o->cancel && atomic_load_explicit(o->cancel, memory_order_relaxed) != 0;
}

/* The checks after an epoch, in their order of priority: the target loss,
 * patience, then the schedule's epoch end (a plateau may stop). Returns
 * the stop they decide, or 0 to go on. */
static int epoch_checks(trainer *t, double loss)
{
    const mlp_train_opts *o = t->o;
    if (o->target_loss > 0.0 && loss <= o->target_loss)
        return MLP_STOP_TARGET;
    if (o->patience > 0 && t->since_best >= o->patience)
        return MLP_STOP_EARLY;
    mlp_schedule_epoch_end(o->schedule, t->eta0, o->epochs, t->n_train, loss, &t->sched);
    return t->sched.stop ? MLP_STOP_PLATEAU : 0;
}

/* Runs the epochs after t->epoch (0, or a checkpoint's); the caller owns
 * set-up and clean-up. Each epoch's checks are decided before the
 * progress callback, so that the state it sees is complete (a checkpoint
 * holds the pending stop); a nonzero return of the callback still wins. */
static mlp_status run_epochs(trainer *t, mlp_train_result *res)
{
    const mlp_train_opts *o = t->o;
    size_t P = t->net->n_params, B = o->batch_size;

    for (size_t epoch = t->epoch + 1; t->pending == 0 && epoch <= o->epochs; epoch++) {
        /* Every path reads the rate from t->run (t->o points at it). */
        t->run.learning_rate = t->sched.rate;
        res->learning_rate = t->sched.rate;
        if (o->shuffle)
            shuffle(t);
        int online = fused_online(o) || (t->f32 && plain_online(o));
        if (online) {
            size_t done, bad;
            if (t->f32)
                bad = train32_online_epoch(t->f32, t->order, t->n_train, o->learning_rate,
                                           o->cancel, &done);
            else if (t->tiny)
                bad = tiny_epoch(t->net, t->data, t->order, t->n_train, o->learning_rate,
                                 o->cancel, &done);
            else
                bad = online_epoch(&t->online, t->data, t->order, t->n_train, o->learning_rate,
                                   o->cancel, &done);
            if (bad)
                return diverged(res, epoch, bad);
            if (done < t->n_train) {
                res->stop = MLP_STOP_CANCELLED;
                res->loss = eval_loss(t, 0, t->n_train);
                return MLP_OK;
            }
        }
        for (size_t first = 0; !online && first < t->n_train; first += B) {
            if (cancelled(o)) {
                res->stop = MLP_STOP_CANCELLED;
                res->loss = eval_loss(t, 0, t->n_train);
                return MLP_OK;
            }
            size_t count = t->n_train - first < B ? t->n_train - first : B;
            size_t bad = train_batch(t, first, count);
            if (bad)
                return diverged(res, epoch, bad);
        }
        if (t->f32) /* the callback, the checks and the best copy read net */
            train32_store(t->f32, t->net);
        mlp_progress p = {.epoch = epoch, .epochs = o->epochs, .val_loss = NAN,
                          .learning_rate = t->sched.rate};
        p.loss = eval_loss(t, 0, t->n_train);
        if (t->n_val)
            p.val_loss = eval_loss(t, t->n_train, t->n_val);
        if (!isfinite(p.loss) || (t->n_val && !isfinite(p.val_loss)) ||
            core_first_nonfinite_param_layer(t->net))
            return diverged(res, epoch, locate_nonfinite(t));
        double monitor = t->n_val ? p.val_loss : p.loss;
        p.improved = monitor < t->best_monitor;
        if (p.improved) {
            t->best_monitor = monitor;
            t->since_best = 0;
            res->best_epoch = epoch;
            if (t->best)
                memcpy(t->best, t->net->params, P * sizeof(double));
        } else {
            t->since_best++;
        }
        res->epochs_run = epoch;
        res->loss = p.loss;
        res->val_loss = p.val_loss;
        t->epoch = epoch;
        t->pending = epoch_checks(t, p.loss);
        p.state = t;
        if (o->progress && o->progress(o->progress_ctx, t->net, &p) != 0) {
            res->stop = MLP_STOP_CALLBACK;
            return MLP_OK;
        }
    }
    res->stop = t->pending ? t->pending : MLP_STOP_EPOCHS;
    return MLP_OK;
}

/* With patience, the best weights seen are what training leaves behind. */
static void restore_best(trainer *t, mlp_train_result *res)
{
    if (t->best == NULL || res->best_epoch == 0 || res->best_epoch == res->epochs_run)
        return;
    memcpy(t->net->params, t->best, t->net->n_params * sizeof(double));
    if (t->f32)
        train32_load(t->f32, t->net);
    res->loss = eval_loss(t, 0, t->n_train);
    res->val_loss = t->n_val ? eval_loss(t, t->n_train, t->n_val) : NAN;
}

mlp_status mlp_train(mlp_t *net, const mlp_data *data, const mlp_train_opts *opts,
                     const mlp_allocator *alloc, mlp_train_result *result)
{
    mlp_train_result res = {.loss = NAN, .val_loss = NAN, .learning_rate = opts->learning_rate};
    trainer t = {.net = net, .data = data, .run = *opts, .eta0 = opts->learning_rate,
                 .res = &res, .best_monitor = INFINITY};
    mlp_status s = mlp_train_opts_check(opts, NULL);
    if (s != MLP_OK)
        return s;
    t.o = &t.run;
    mlp_schedule_start(opts->schedule, opts->learning_rate, &t.sched);
    if (data == NULL || data->n == 0 || data->x == NULL || data->y == NULL)
        return MLP_ERR_INVALID;
    /* Keras: the first floor(n * (1 - split)) rows train, the rest validate. */
    t.n_val = data->n - (size_t)floor((double)data->n * (1.0 - opts->validation_split));
    if (opts->validation_split > 0.0 && t.n_val == 0)
        t.n_val = 1;
    if (t.n_val >= data->n)
        return MLP_ERR_INVALID; /* nothing left to train on */
    t.n_train = data->n - t.n_val;
    /* per row: every layer's outputs, and the inputs and targets copies */
    size_t eval_rows = EVAL_BUDGET / (net->total_units + net->spec.inputs + mlp_outputs(net));
    eval_rows = eval_rows > EVAL_ROWS ? eval_rows : EVAL_ROWS;
    t.rows_cap = opts->batch_size > eval_rows ? opts->batch_size : eval_rows;
    if (t.rows_cap > data->n)
        t.rows_cap = data->n;
    s = trainer_alloc(&t, alloc);
    if (s != MLP_OK)
        return s;
    for (size_t i = 0; i < t.n_train; i++)
        t.order[i] = i;
    if (opts->dtype == MLP_DTYPE_FLOAT32) {
        s = train32_new(net, data, t.rows_cap, t.o, alloc, &t.f32);
        if (s != MLP_OK) {
            core_release(alloc, t.block);
            return s;
        }
    }
    online_prepare(&t.online, net, t.acts, t.deltas);
    t.tiny_eval = tiny_fits(net);
    t.tiny = fused_online(opts) && t.tiny_eval;
    mlp_rng_seed(&t.rng, opts->seed);
    if (opts->resume)
        s = train_state_resume(&t, opts->resume, opts->resume_len);
    if (s != MLP_OK) {
        if (t.f32) /* nothing changed: net, and the caller's result */
            train32_free(t.f32, alloc);
        core_release(alloc, t.block);
        return s;
    }
    s = run_epochs(&t, &res);
    if (s == MLP_OK && res.stop != MLP_STOP_CANCELLED)
        restore_best(&t, &res);
    if (t.f32) {
        if (s == MLP_OK)
            train32_store(t.f32, net);
        train32_free(t.f32, alloc);
    }
    core_release(alloc, t.block);
    if (result)
        *result = res;
    return s;
}
