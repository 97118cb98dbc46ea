/*
 * tiny.c - the online rule for small two-layer networks. See tiny.h.
 *
 * Built like vmath.c (-fopenmp-simd, -fno-math-errno, __FAST_MATH__ for
 * glibc's vector declarations, nothing unsafe): the four-lane loops over
 * exp and tanh below become single libmvec calls. Products and sums are
 * written out in the order online.c uses, so that the two paths differ
 * only where the vector exp does.
 */
#include "tiny.h"
#include "online.h"
#include "vmath.h"

#include <string.h>

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* Four doubles; GCC lowers it to two SSE2 registers where AVX is absent. */
typedef double v4d __attribute__((vector_size(32)));

#define HV_MAX (TINY_MAX_HIDDEN / 4)

/* The network for the length of an epoch. Lane l of vector q is hidden
 * unit 4q + l; units past the last are padding whose weights stay 0. */
typedef struct tiny_state {
    v4d w1[TINY_MAX_IN][HV_MAX]; /* input i -> hidden units */
    v4d b1[HV_MAX];
    v4d w2[TINY_MAX_OUT][HV_MAX]; /* hidden units -> output k */
    v4d mask[HV_MAX];             /* 1 for a real unit, 0 for padding */
    double b2[TINY_MAX_OUT];
} tiny_state;

int tiny_fits(const mlp_t *net)
{
    const mlp_spec *s = &net->spec;
    return s->n_layers == 2 && s->inputs <= TINY_MAX_IN && s->layers[0].units <= TINY_MAX_HIDDEN &&
           s->layers[1].units <= TINY_MAX_OUT && s->layers[0].activation != MLP_ACT_SOFTMAX;
}

static void state_load(tiny_state *st, const mlp_t *net)
{
    size_t ni = net->spec.inputs, nh = net->spec.layers[0].units, no = net->spec.layers[1].units;
    const double *w1 = net->params + net->w_off[0], *b1 = net->params + net->b_off[0];
    const double *w2 = net->params + net->w_off[1], *b2 = net->params + net->b_off[1];
    memset(st, 0, sizeof *st);
    for (size_t j = 0; j < nh; j++) {
        for (size_t i = 0; i < ni; i++)
            st->w1[i][j / 4][j % 4] = w1[j * ni + i];
        st->b1[j / 4][j % 4] = b1[j];
        st->mask[j / 4][j % 4] = 1.0;
        for (size_t k = 0; k < no; k++)
            st->w2[k][j / 4][j % 4] = w2[k * nh + j];
    }
    for (size_t k = 0; k < no; k++)
        st->b2[k] = b2[k];
}

static void state_store(const tiny_state *st, mlp_t *net)
{
    size_t ni = net->spec.inputs, nh = net->spec.layers[0].units, no = net->spec.layers[1].units;
    double *w1 = net->params + net->w_off[0], *b1 = net->params + net->b_off[0];
    double *w2 = net->params + net->w_off[1], *b2 = net->params + net->b_off[1];
    for (size_t j = 0; j < nh; j++) {
        for (size_t i = 0; i < ni; i++)
            w1[j * ni + i] = st->w1[i][j / 4][j % 4];
        b1[j] = st->b1[j / 4][j % 4];
        for (size_t k = 0; k < no; k++)
            w2[k * nh + j] = st->w2[k][j / 4][j % 4];
    }
    for (size_t k = 0; k < no; k++)
        b2[k] = st->b2[k];
}

/* ------------------------------------------------------------------ */
/* Four lanes at a time                                                */

ALWAYS_INLINE v4d splat(double a) { return (v4d){a, a, a, a}; }

/* Each activation on its own array, so the compiler keeps the vector in
 * registers around the one libmvec call. */
ALWAYS_INLINE v4d sigmoid4(v4d v)
{
    double a[4];
    memcpy(a, &v, sizeof a);
    VMATH_SIMD
    for (int l = 0; l < 4; l++)
        a[l] = 1.0 / (1.0 + exp(-a[l]));
    memcpy(&v, a, sizeof a);
    return v;
}

ALWAYS_INLINE v4d tanh4(v4d v)
{
    double a[4];
    memcpy(a, &v, sizeof a);
    VMATH_SIMD
    for (int l = 0; l < 4; l++)
        a[l] = tanh(a[l]);
    memcpy(&v, a, sizeof a);
    return v;
}

ALWAYS_INLINE v4d relu4(v4d v)
{
    for (int l = 0; l < 4; l++) /* NaN stays NaN */
        v[l] = v[l] < 0.0 ? 0.0 : v[l];
    return v;
}

ALWAYS_INLINE v4d exp4(v4d v)
{
    double a[4];
    memcpy(a, &v, sizeof a);
    VMATH_SIMD
    for (int l = 0; l < 4; l++)
        a[l] = exp(a[l]);
    memcpy(&v, a, sizeof a);
    return v;
}

ALWAYS_INLINE v4d act4(int act, v4d v)
{
    switch (act) {
    case MLP_ACT_SIGMOID:
        return sigmoid4(v);
    case MLP_ACT_TANH:
        return tanh4(v);
    case MLP_ACT_RELU:
        return relu4(v);
    default:
        return v;
    }
}

/* f'(v) from y, lane by lane as act_fprime does it. */
ALWAYS_INLINE v4d fprime4(int act, v4d y)
{
    switch (act) {
    case MLP_ACT_SIGMOID:
        return y * (1.0 - y);
    case MLP_ACT_TANH:
        return 1.0 - y * y;
    case MLP_ACT_RELU: {
        v4d r = splat(0.0); /* every lane set below; cppcheck cannot see it */
        for (int l = 0; l < 4; l++)
            r[l] = y[l] > 0.0 ? 1.0 : 0.0;
        return r;
    }
    default:
        return splat(1.0);
    }
}

/* sum_i w[i] x[i] over lanes, in core_dot's order: up to three terms in
 * sequence, else four partial sums by i mod 4 with the tail in the first. */
ALWAYS_INLINE v4d dot4(const v4d *w, size_t stride, const v4d *x, size_t n)
{
    if (n <= 3) {
        v4d s = w[0] * x[0];
        for (size_t i = 1; i < n; i++)
            s += w[i * stride] * x[i];
        return s;
    }
    v4d s0 = splat(0.0), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += w[i * stride] * x[i];
        s1 += w[(i + 1) * stride] * x[i + 1];
        s2 += w[(i + 2) * stride] * x[i + 2];
        s3 += w[(i + 3) * stride] * x[i + 3];
    }
    for (; i < n; i++)
        s0 += w[i * stride] * x[i];
    return (s0 + s1) + (s2 + s3);
}

/* ------------------------------------------------------------------ */
/* Training                                                            */

/* Which layer holds the first non-finite value (outputs are known bad). */
ALWAYS_INLINE size_t bad_layer(const v4d *h, const v4d *mask, size_t hv)
{
    for (size_t q = 0; q < hv; q++)
        for (int l = 0; l < 4; l++)
            if (mask[q][l] != 0.0 && !isfinite(h[q][l]))
                return 1;
    return 2;
}

typedef struct tiny_run {
    const double *x, *y;
    const size_t *order;
    size_t n, nh;
    double eta;
    int hact, oact, loss;
    const atomic_int *cancel;
} tiny_run;

/* The epoch, for sizes that are constants where the caller can make them
 * so (ni inputs, hv hidden vectors, no outputs). */
ALWAYS_INLINE size_t epoch_k(tiny_state *restrict state, const tiny_run *run, size_t ni,
                            size_t hv, size_t no, int hact, size_t *done)
{
    /* A private copy whose address never escapes: with constant sizes the
     * compiler keeps its vectors in registers from one row to the next. */
    tiny_state copy = *state, *restrict st = &copy;
    const double eta = run->eta;
    const int oact = run->oact;
    const int pad = run->nh % 4 != 0 && hact == MLP_ACT_SIGMOID; /* sigmoid(0) != 0 */
    size_t r;
    if (ni == 0 || hv == 0 || no == 0)
        __builtin_unreachable(); /* a network has a unit in every layer */
    for (r = 0; r < run->n; r++) {
        if (run->cancel && atomic_load_explicit(run->cancel, memory_order_relaxed) != 0)
            break;
        const double *x = run->x + run->order[r] * ni, *d = run->y + run->order[r] * no;
        v4d xv[TINY_MAX_IN], h[HV_MAX], dh[HV_MAX];
        double y[TINY_MAX_OUT], dout[TINY_MAX_OUT];
        for (size_t i = 0; i < ni; i++)
            xv[i] = splat(x[i]);
        /* forward: v = W x + b, y = f(v) */
        for (size_t q = 0; q < hv; q++)
            /* xv is set for every input above (ni >= 1, see the top);
             * cppcheck 2.17 assumes the loop may run no times. */
            // cppcheck-suppress uninitvar
            h[q] = act4(hact, dot4(&st->w1[0][q], HV_MAX, xv, ni) + st->b1[q]);
        for (size_t k = 0; k < no; k++) {
            v4d s = splat(0.0); /* 0 + a is a: the order of online.c stays */
            for (size_t q = 0; q < hv; q++)
                s += st->w2[k][q] * h[q];
            y[k] = ((s[0] + s[1]) + (s[2] + s[3])) + st->b2[k];
        }
        if (oact != MLP_ACT_LINEAR)
            online_activate(oact, y, no);
        int finite = 1;
        for (size_t k = 0; k < no; k++)
            finite &= isfinite(y[k]) != 0;
        if (!finite) {
            *state = copy;
            *done = r;
            return bad_layer(h, st->mask, hv);
        }
        /* output deltas, as core_output_delta */
        for (size_t k = 0; k < no; k++)
            dout[k] = run->loss == MLP_LOSS_CROSS_ENTROPY ? d[k] - y[k]
                                                          : (d[k] - y[k]) * act_fprime(oact, y[k]);
        /* hidden deltas with the output weights of step n */
        for (size_t q = 0; q < hv; q++) {
            v4d g = st->w2[0][q] * dout[0];
            for (size_t k = 1; k < no; k++)
                g += st->w2[k][q] * dout[k];
            dh[q] = g * fprime4(hact, h[q]);
        }
        for (size_t q = 0; q < hv; q++) {
            v4d hq = pad ? h[q] * st->mask[q] : h[q];
            for (size_t k = 0; k < no; k++)
                st->w2[k][q] += (eta * dout[k]) * hq;
        }
        for (size_t k = 0; k < no; k++)
            st->b2[k] += eta * dout[k];
        for (size_t q = 0; q < hv; q++) {
            v4d s = eta * dh[q];
            for (size_t i = 0; i < ni; i++)
                st->w1[i][q] += s * x[i];
            st->b1[q] += s;
        }
    }
    *state = copy;
    *done = r;
    return 0;
}

/* The lecture's own shape and its kin - up to three inputs, up to four
 * hidden units, one linear output, mse - with every weight in a named
 * vector, so that nothing goes through memory from one row to the next
 * but the spills around the exp call. Same operations, in the same order,
 * as epoch_k. */
ALWAYS_INLINE size_t epoch_reg(tiny_state *restrict state, const tiny_run *run, size_t ni,
                              int hact, size_t *done)
{
    const v4d zero = splat(0.0);
    v4d w1a = state->w1[0][0], w1b = ni > 1 ? state->w1[1][0] : zero;
    v4d w1c = ni > 2 ? state->w1[2][0] : zero, b1 = state->b1[0], w2 = state->w2[0][0];
    const v4d mask = state->mask[0];
    double b2 = state->b2[0];
    const double eta = run->eta;
    const int pad = run->nh % 4 != 0 && hact == MLP_ACT_SIGMOID;
    size_t r, bad = 0;
    for (r = 0; r < run->n; r++) {
        if (run->cancel && atomic_load_explicit(run->cancel, memory_order_relaxed) != 0)
            break;
        const double *x = run->x + run->order[r] * ni, d = run->y[run->order[r]];
        v4d v = w1a * x[0];
        if (ni > 1)
            v += w1b * x[1];
        if (ni > 2)
            v += w1c * x[2];
        v4d h = act4(hact, v + b1), p = zero + w2 * h;
        double y = ((p[0] + p[1]) + (p[2] + p[3])) + b2;
        if (!isfinite(y)) {
            bad = bad_layer(&h, &mask, 1);
            break;
        }
        double dout = (d - y) * 1.0; /* f'(v) = 1 for a linear output */
        v4d dh = (w2 * dout) * fprime4(hact, h);
        w2 += (eta * dout) * (pad ? h * mask : h);
        b2 += eta * dout;
        v4d s1 = eta * dh;
        w1a += s1 * x[0];
        if (ni > 1)
            w1b += s1 * x[1];
        if (ni > 2)
            w1c += s1 * x[2];
        b1 += s1;
    }
    state->w1[0][0] = w1a;
    if (ni > 1)
        state->w1[1][0] = w1b;
    if (ni > 2)
        state->w1[2][0] = w1c;
    state->b1[0] = b1;
    state->w2[0][0] = w2;
    state->b2[0] = b2;
    *done = r;
    return bad;
}

CORE_CLONES size_t tiny_epoch(mlp_t *net, const mlp_data *data, const size_t *order, size_t n,
                              double eta, const atomic_int *cancel, size_t *done)
{
    size_t ni = net->spec.inputs, nh = net->spec.layers[0].units, no = net->spec.layers[1].units;
    size_t hv = (nh + 3) / 4, bad;
    tiny_run run = {.x = data->x, .y = data->y, .order = order, .n = n, .nh = nh, .eta = eta,
                    .hact = net->spec.layers[0].activation,
                    .oact = net->spec.layers[1].activation,
                    .loss = net->spec.loss, .cancel = cancel};
    tiny_state st;
    state_load(&st, net);
    /* The lecture's shape and its near neighbours with constant sizes: the
     * compiler then keeps the weights in registers. */
    int reg = hv == 1 && no == 1 && ni <= 3 && run.oact == MLP_ACT_LINEAR &&
              run.loss == MLP_LOSS_MSE;
    if (reg && run.hact == MLP_ACT_SIGMOID && ni == 2)
        bad = epoch_reg(&st, &run, 2, MLP_ACT_SIGMOID, done);
    else if (reg && run.hact == MLP_ACT_SIGMOID)
        bad = epoch_reg(&st, &run, ni, MLP_ACT_SIGMOID, done);
    else if (reg)
        bad = epoch_reg(&st, &run, ni, run.hact, done);
    else if (run.hact == MLP_ACT_SIGMOID && ni == 2 && hv == 2 && no == 1)
        bad = epoch_k(&st, &run, 2, 2, 1, MLP_ACT_SIGMOID, done);
    else if (run.hact == MLP_ACT_SIGMOID && ni == 1 && hv == 1 && no == 1)
        bad = epoch_k(&st, &run, 1, 1, 1, MLP_ACT_SIGMOID, done);
    else
        bad = epoch_k(&st, &run, ni, hv, no, run.hact, done);
    state_store(&st, net);
    return bad;
}

/* ------------------------------------------------------------------ */
/* The loss pass: lane l is sample l of a group of four                */

typedef struct tiny_eval {
    const double *x, *y, *b1, *b2;
    const v4d *w1, *w2; /* every weight splatted over four lanes */
    size_t first, n;
    int oact, loss;
} tiny_eval;

/* Loss of the four rows row[0..3], lane by lane. */
ALWAYS_INLINE v4d group_loss(const tiny_eval *ev, const size_t *row, size_t ni, size_t nh,
                             size_t no, int hact)
{
    v4d xv[TINY_MAX_IN], h[TINY_MAX_HIDDEN], y[TINY_MAX_OUT], d[TINY_MAX_OUT];
    v4d E = splat(0.0);
    for (size_t i = 0; i < ni; i++)
        xv[i] = (v4d){ev->x[row[0] * ni + i], ev->x[row[1] * ni + i], ev->x[row[2] * ni + i],
                      ev->x[row[3] * ni + i]};
    for (size_t k = 0; k < no; k++)
        d[k] = (v4d){ev->y[row[0] * no + k], ev->y[row[1] * no + k], ev->y[row[2] * no + k],
                     ev->y[row[3] * no + k]};
    /* Every layer has a unit (ni, nh, no >= 1), so each array is set
     * before it is read; cppcheck 2.17 assumes a loop may run no times. */
    for (size_t j = 0; j < nh; j++)
        // cppcheck-suppress uninitvar
        h[j] = act4(hact, dot4(&ev->w1[j * ni], 1, xv, ni) + ev->b1[j]);
    for (size_t k = 0; k < no; k++)
        // cppcheck-suppress uninitvar
        y[k] = dot4(&ev->w2[k * nh], 1, h, nh) + ev->b2[k];
    if (ev->oact == MLP_ACT_SOFTMAX) {
        v4d m = y[0], sum = splat(0.0);
        for (size_t k = 1; k < no; k++)
            for (int l = 0; l < 4; l++)
                m[l] = y[k][l] > m[l] ? y[k][l] : m[l];
        for (size_t k = 0; k < no; k++) {
            y[k] = exp4(y[k] - m);
            sum += y[k];
        }
        for (size_t k = 0; k < no; k++)
            y[k] /= sum;
    } else {
        for (size_t k = 0; k < no; k++)
            y[k] = act4(ev->oact, y[k]);
    }
    if (ev->loss == MLP_LOSS_MSE) {
        for (size_t k = 0; k < no; k++) {
            v4d e = d[k] - y[k];
            E += e * e;
        }
        return E * 0.5;
    }
    for (int l = 0; l < 4; l++) {
        double yl[TINY_MAX_OUT], dl[TINY_MAX_OUT];
        for (size_t k = 0; k < no; k++)
            yl[k] = y[k][l], dl[k] = d[k][l];
        // cppcheck-suppress uninitvar
        E[l] = core_sample_loss(ev->loss, ev->oact, yl, dl, no);
    }
    return E;
}

ALWAYS_INLINE double loss_k(const tiny_eval *ev, size_t ni, size_t nh, size_t no, int hact)
{
    v4d acc = splat(0.0);
    size_t s = 0, row[4];
    for (; s + 4 <= ev->n; s += 4) {
        for (int l = 0; l < 4; l++)
            row[l] = ev->first + s + (size_t)l;
        acc += group_loss(ev, row, ni, nh, no, hact);
    }
    if (s < ev->n) { /* a short group repeats its last row, counted once */
        size_t lanes = ev->n - s;
        for (size_t l = 0; l < 4; l++)
            row[l] = ev->first + s + (l < lanes ? l : lanes - 1);
        v4d E = group_loss(ev, row, ni, nh, no, hact);
        for (size_t l = 0; l < lanes; l++)
            acc[l] += E[l];
    }
    return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

CORE_CLONES double tiny_loss_sum(const mlp_t *net, const mlp_data *data, size_t first, size_t n)
{
    size_t ni = net->spec.inputs, nh = net->spec.layers[0].units, no = net->spec.layers[1].units;
    int hact = net->spec.layers[0].activation;
    const double *w1 = net->params + net->w_off[0], *w2 = net->params + net->w_off[1];
    v4d w1v[TINY_MAX_HIDDEN * TINY_MAX_IN], w2v[TINY_MAX_OUT * TINY_MAX_HIDDEN];
    for (size_t j = 0; j < nh * ni; j++)
        w1v[j] = splat(w1[j]);
    for (size_t j = 0; j < no * nh; j++)
        w2v[j] = splat(w2[j]);
    tiny_eval ev = {.x = data->x, .y = data->y, .b1 = net->params + net->b_off[0],
                    .b2 = net->params + net->b_off[1], .w1 = w1v, .w2 = w2v, .first = first,
                    .n = n, .oact = net->spec.layers[1].activation, .loss = net->spec.loss};
    if (hact == MLP_ACT_SIGMOID && ni == 2 && nh == 3 && no == 1)
        return loss_k(&ev, 2, 3, 1, MLP_ACT_SIGMOID);
    return loss_k(&ev, ni, nh, no, hact);
}
