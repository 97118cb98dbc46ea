/*
 * train_state.c - checkpoints of mlp_train: the trainer between two epochs
 * (train_state.h) as bytes, and back, so that a run resumed from a
 * checkpoint ends bit for bit where the run without interruption ends.
 *
 * Format, version 1: little-endian, no padding, fields in this order
 * (u32/u64 integers, f64/f32 the IEEE bits of a double/float):
 *   u32 magic "MLPS", u32 version, u64 total bytes (CRC included)
 *   u32 dtype (1 float64, 2 float32), u32 optimizer, u32 moment arrays
 *       (0, 1 or 2), u32 schedule method (1 = constant / none)
 *   u64 batch_size, u64 patience, u64 inputs, u32 loss, u32 n_layers,
 *       n_layers x (u64 units, u32 activation)
 *   u64 n_params, u64 training rows, u64 validation rows
 *   u64 epoch (the last one finished), u32 pending stop (0: go on)
 *   u64 epochs_run, u64 best_epoch, f64 loss, f64 val_loss, f64 learning_rate
 *   f64 best monitored loss, u64 epochs since it
 *   schedule state: f64 rate, u64 epoch, f64 best_loss, u64 no_improve, u32 stop
 *   u64 rng s[0..3], u64 adam step count
 *   f64 params[n_params]
 *   moments x params[n_params]: f64, or f32 for float32 (the float
 *       trainer's own; its parameters are the f64 ones, which are floats
 *       widened)
 *   with patience: f64 best[n_params]
 *   u64 order[training rows]
 *   u32 CRC-32 (mlp_crc32) of every byte before it
 */
#include "train_state.h"

#include <string.h>

#define STATE_MAGIC 0x53504c4du /* "MLPS" */
#define STATE_VERSION 1u
#define FIXED_BYTES 232u        /* the fields before the arrays, layers aside */
#define LAYER_BYTES 12u
#define CRC_BYTES 4u

static unsigned char *put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
    return p + 4;
}

static unsigned char *put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
    return p + 8;
}

static unsigned char *put_f64(unsigned char *p, double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return put_u64(p, u);
}

static unsigned char *put_f32(unsigned char *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return put_u32(p, u);
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static double get_f64(const unsigned char *p)
{
    uint64_t u = get_u64(p);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static float get_f32(const unsigned char *p)
{
    uint32_t u = get_u32(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* A cursor over the fixed fields (their bytes are known to be there). */
typedef struct rd {
    const unsigned char *p;
} rd;

static uint32_t rd_u32(rd *r)
{
    uint32_t v = get_u32(r->p);
    r->p += 4;
    return v;
}

static uint64_t rd_u64(rd *r)
{
    uint64_t v = get_u64(r->p);
    r->p += 8;
    return v;
}

static double rd_f64(rd *r)
{
    double d = get_f64(r->p);
    r->p += 8;
    return d;
}

static uint32_t state_dtype(const trainer *t)
{
    return t->f32 ? MLP_DTYPE_FLOAT32 : MLP_DTYPE_FLOAT64;
}

static uint32_t sched_method(const mlp_train_opts *o)
{
    return o->schedule && o->schedule->method ? (uint32_t)o->schedule->method
                                              : (uint32_t)MLP_SCHED_CONSTANT;
}

/* Bytes of one moment array entry. */
static size_t moment_bytes(const trainer *t)
{
    return t->f32 ? 4 : 8;
}

/* Bytes of t's checkpoint, 0 on size_t overflow. */
static size_t trainer_bytes(const trainer *t)
{
    size_t P = t->net->n_params, L = t->net->spec.n_layers;
    size_t per_param = 8 + (size_t)trainer_moments(t->o) * moment_bytes(t) + (t->best ? 8 : 0);
    size_t arrays, orders, total;
    if (!core_mul(P, per_param, &arrays) || !core_mul(t->n_train, 8, &orders) ||
        !core_add(arrays, orders, &total) ||
        !core_add(total, FIXED_BYTES + LAYER_BYTES * L + CRC_BYTES, &total))
        return 0;
    return total;
}

size_t mlp_train_state_size(const mlp_progress *p)
{
    return p && p->state ? trainer_bytes(p->state) : 0;
}

/* The float trainer's moments (NULL without float32 or without them). */
static uint64_t moments32(const trainer *t, float **m, float **v)
{
    uint64_t *step = NULL;
    *m = *v = NULL;
    if (t->f32 == NULL)
        return t->adam_t;
    train32_moments(t->f32, m, v, &step);
    return *step;
}

mlp_status mlp_train_state_save(const mlp_progress *p, void *buf, size_t cap)
{
    if (p == NULL || p->state == NULL)
        return MLP_ERR_INVALID;
    const trainer *t = p->state;
    const mlp_t *net = t->net;
    const mlp_train_opts *o = t->o;
    const mlp_train_result *res = t->res;
    size_t P = net->n_params, need = trainer_bytes(t);
    int moments = trainer_moments(o);
    if (need == 0 || cap < need)
        return MLP_ERR_LIMIT;
    if (buf == NULL)
        return MLP_ERR_INVALID;
    float *m32, *v32;
    uint64_t adam_t = moments32(t, &m32, &v32);
    unsigned char *w = buf;
    w = put_u32(w, STATE_MAGIC);
    w = put_u32(w, STATE_VERSION);
    w = put_u64(w, need);
    w = put_u32(w, state_dtype(t));
    w = put_u32(w, (uint32_t)o->optimizer);
    w = put_u32(w, (uint32_t)moments);
    w = put_u32(w, sched_method(o));
    w = put_u64(w, o->batch_size);
    w = put_u64(w, o->patience);
    w = put_u64(w, net->spec.inputs);
    w = put_u32(w, (uint32_t)net->spec.loss);
    w = put_u32(w, (uint32_t)net->spec.n_layers);
    for (size_t l = 0; l < net->spec.n_layers; l++) {
        w = put_u64(w, net->spec.layers[l].units);
        w = put_u32(w, (uint32_t)net->spec.layers[l].activation);
    }
    w = put_u64(w, P);
    w = put_u64(w, t->n_train);
    w = put_u64(w, t->n_val);
    w = put_u64(w, t->epoch);
    w = put_u32(w, (uint32_t)t->pending);
    w = put_u64(w, res->epochs_run);
    w = put_u64(w, res->best_epoch);
    w = put_f64(w, res->loss);
    w = put_f64(w, res->val_loss);
    w = put_f64(w, res->learning_rate);
    w = put_f64(w, t->best_monitor);
    w = put_u64(w, t->since_best);
    w = put_f64(w, t->sched.rate);
    w = put_u64(w, t->sched.epoch);
    w = put_f64(w, t->sched.best_loss);
    w = put_u64(w, t->sched.no_improve);
    w = put_u32(w, (uint32_t)t->sched.stop);
    for (int i = 0; i < 4; i++)
        w = put_u64(w, t->rng.s[i]);
    w = put_u64(w, adam_t);
    for (size_t i = 0; i < P; i++)
        w = put_f64(w, net->params[i]);
    for (int k = 0; k < moments; k++) {
        const double *md = k == 0 ? t->m : t->v;
        const float *mf = k == 0 ? m32 : v32;
        for (size_t i = 0; i < P; i++)
            w = t->f32 ? put_f32(w, mf[i]) : put_f64(w, md[i]);
    }
    for (size_t i = 0; t->best && i < P; i++)
        w = put_f64(w, t->best[i]);
    for (size_t i = 0; i < t->n_train; i++)
        w = put_u64(w, t->order[i]);
    put_u32(w, mlp_crc32(buf, need - CRC_BYTES));
    return MLP_OK;
}

/* The header up to the arrays fits t: same shape, rows and options. */
static int header_fits(const trainer *t, rd *r)
{
    const mlp_t *net = t->net;
    const mlp_train_opts *o = t->o;
    if (rd_u32(r) != state_dtype(t) || rd_u32(r) != (uint32_t)o->optimizer ||
        rd_u32(r) != (uint32_t)trainer_moments(o) || rd_u32(r) != sched_method(o) ||
        rd_u64(r) != o->batch_size || rd_u64(r) != o->patience ||
        rd_u64(r) != net->spec.inputs || rd_u32(r) != (uint32_t)net->spec.loss ||
        rd_u32(r) != (uint32_t)net->spec.n_layers)
        return 0;
    for (size_t l = 0; l < net->spec.n_layers; l++)
        if (rd_u64(r) != net->spec.layers[l].units ||
            rd_u32(r) != (uint32_t)net->spec.layers[l].activation)
            return 0;
    return rd_u64(r) == net->n_params && rd_u64(r) == t->n_train && rd_u64(r) == t->n_val;
}

/* n doubles at p are finite and, for float32, floats widened. */
static int params_fit(const unsigned char *p, size_t n, int f32)
{
    for (size_t i = 0; i < n; i++) {
        double d = get_f64(p + 8 * i);
        if (!isfinite(d) || (f32 && (double)(float)d != d))
            return 0;
    }
    return 1;
}

mlp_status train_state_resume(trainer *t, const void *buf, size_t len)
{
    const unsigned char *b = buf;
    mlp_t *net = t->net;
    const mlp_train_opts *o = t->o;
    size_t P = net->n_params, need = trainer_bytes(t);
    int moments = trainer_moments(o);

    /* Frame first: magic, version, length, CRC; then the header. */
    if (b == NULL || len < FIXED_BYTES + CRC_BYTES || get_u32(b) != STATE_MAGIC ||
        get_u32(b + 4) != STATE_VERSION || get_u64(b + 8) != len ||
        get_u32(b + len - CRC_BYTES) != mlp_crc32(b, len - CRC_BYTES))
        return MLP_ERR_INVALID;
    /* Sizes of this shape: the layers and arrays are all there. */
    if (need == 0 || len != need)
        return MLP_ERR_INVALID;
    rd r = {b + 16};
    if (!header_fits(t, &r))
        return MLP_ERR_INVALID;
    size_t epoch = (size_t)rd_u64(&r);
    uint32_t pending = rd_u32(&r);
    mlp_train_result res = *t->res;
    res.epochs_run = (size_t)rd_u64(&r);
    res.best_epoch = (size_t)rd_u64(&r);
    res.loss = rd_f64(&r);
    res.val_loss = rd_f64(&r);
    res.learning_rate = rd_f64(&r);
    double best_monitor = rd_f64(&r);
    size_t since_best = (size_t)rd_u64(&r);
    mlp_schedule_state sched;
    sched.rate = rd_f64(&r);
    sched.epoch = (size_t)rd_u64(&r);
    sched.best_loss = rd_f64(&r);
    sched.no_improve = (size_t)rd_u64(&r);
    uint32_t sched_stop = rd_u32(&r);
    mlp_rng rng;
    for (int i = 0; i < 4; i++)
        rng.s[i] = rd_u64(&r);
    uint64_t adam_t = rd_u64(&r);
    if (epoch == 0 || epoch > o->epochs || res.epochs_run != epoch ||
        res.best_epoch > epoch || since_best > epoch || sched.epoch > epoch ||
        (pending != 0 && pending != MLP_STOP_TARGET && pending != MLP_STOP_EARLY &&
         pending != MLP_STOP_PLATEAU) ||
        sched_stop > 1 || !isfinite(sched.rate) || sched.rate < 0.0 ||
        (rng.s[0] | rng.s[1] | rng.s[2] | rng.s[3]) == 0)
        return MLP_ERR_INVALID;

    /* The arrays: check all of them before anything changes. */
    const unsigned char *params = r.p;
    const unsigned char *mom = params + 8 * P;
    const unsigned char *best = mom + (size_t)moments * moment_bytes(t) * P;
    const unsigned char *order = best + (t->best ? 8 * P : 0);
    if (!params_fit(params, P, t->f32 != NULL) || (t->best && !params_fit(best, P, t->f32 != NULL)))
        return MLP_ERR_INVALID;
    for (size_t i = 0; i < t->n_train; i++)
        if (get_u64(order + 8 * i) >= t->n_train)
            return MLP_ERR_INVALID;

    for (size_t i = 0; i < P; i++)
        net->params[i] = get_f64(params + 8 * i);
    float *m32, *v32;
    (void)moments32(t, &m32, &v32);
    for (int k = 0; k < moments; k++) {
        double *md = k == 0 ? t->m : t->v;
        float *mf = k == 0 ? m32 : v32;
        for (size_t i = 0; i < P; i++) {
            if (t->f32)
                mf[i] = get_f32(mom + 4 * ((size_t)k * P + i));
            else
                md[i] = get_f64(mom + 8 * ((size_t)k * P + i));
        }
    }
    if (t->f32) {
        uint64_t *step;
        train32_moments(t->f32, &m32, &v32, &step);
        *step = adam_t;
        train32_load(t->f32, net); /* exact: the params are floats widened */
    } else {
        t->adam_t = adam_t;
    }
    for (size_t i = 0; t->best && i < P; i++)
        t->best[i] = get_f64(best + 8 * i);
    for (size_t i = 0; i < t->n_train; i++)
        t->order[i] = (size_t)get_u64(order + 8 * i);
    sched.stop = (int)sched_stop;
    t->sched = sched;
    t->rng = rng;
    t->epoch = epoch;
    t->pending = (int)pending;
    t->best_monitor = best_monitor;
    t->since_best = since_best;
    *t->res = res;
    return MLP_OK;
}
