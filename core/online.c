/*
 * online.c - the fused online step. See online.h.
 */
#include "online.h"

void online_prepare(online_net *o, mlp_t *net, double *acts, double *deltas)
{
    o->n_layers = net->spec.n_layers;
    o->inputs = net->spec.inputs;
    o->loss = net->spec.loss;
    for (size_t l = 0; l < net->spec.n_layers; l++) {
        online_layer *ol = &o->layer[l];
        ol->units = net->spec.layers[l].units;
        ol->fan_in = net->fan_in[l];
        ol->act = net->spec.layers[l].activation;
        ol->w = net->params + net->w_off[l];
        ol->b = net->params + net->b_off[l];
        ol->y = acts + net->act_off[l];
        ol->delta = deltas + net->act_off[l];
    }
}

/* Few values: scalar calls beat padding them into a vector call. */
static inline __attribute__((always_inline)) void activate(int act, double *v, size_t n)
{
    if (n < 4 && act == MLP_ACT_SIGMOID) {
        for (size_t i = 0; i < n; i++)
            v[i] = 1.0 / (1.0 + exp(-v[i]));
    } else if (n < 4 && act == MLP_ACT_TANH) {
        for (size_t i = 0; i < n; i++)
            v[i] = tanh(v[i]);
    } else {
        act_apply(act, v, n);
    }
}

static inline __attribute__((always_inline)) size_t forward(const online_net *o, const double *x)
{
    const double *in = x;
    for (size_t l = 0; l < o->n_layers; l++) {
        const online_layer *ol = &o->layer[l];
        for (size_t j = 0; j < ol->units; j++)
            ol->y[j] = core_dot(ol->w + j * ol->fan_in, in, ol->fan_in) + ol->b[j];
        activate(ol->act, ol->y, ol->units);
        in = ol->y;
    }
    const online_layer *out = &o->layer[o->n_layers - 1];
    for (size_t j = 0; j < out->units; j++)
        if (!isfinite(out->y[j])) {
            for (size_t l = 0; l < o->n_layers; l++)
                for (size_t k = 0; k < o->layer[l].units; k++)
                    if (!isfinite(o->layer[l].y[k]))
                        return l + 1;
        }
    return 0;
}

/* row += s * in; fan-ins up to four get constant trip counts (unrolled).
 * The macros expand to whole statements, so they cannot be parenthesised. */
/* NOLINTBEGIN(bugprone-macro-parentheses) */
#define ROW_UPDATE(N)                                                        \
    for (size_t i = 0; i < (N); i++)                                         \
        row[i] += s * in[i]
/* The same, accumulating below += row(n) * dj from the row before its update. */
#define ROW_FUSED(N)                                                         \
    for (size_t i = 0; i < (N); i++) {                                       \
        below[i] += row[i] * dj;                                             \
        row[i] += s * in[i];                                                 \
    }
/* NOLINTEND(bugprone-macro-parentheses) */
#define BY_FAN_IN(MACRO, n)                                                  \
    switch (n) {                                                             \
    case 1: MACRO(1); break;                                                 \
    case 2: MACRO(2); break;                                                 \
    case 3: MACRO(3); break;                                                 \
    case 4: MACRO(4); break;                                                 \
    default: MACRO(n); break;                                                \
    }

void online_activate(int act, double *v, size_t n) { activate(act, v, n); }

static inline __attribute__((always_inline)) size_t step(const online_net *o, const double *x, const double *d, double eta)
{
    size_t bad = forward(o, x);
    if (bad)
        return bad;
    const online_layer *out = &o->layer[o->n_layers - 1];
    core_output_delta(o->loss, out->act, out->y, d, out->delta, out->units);
    for (size_t l = o->n_layers; l-- > 1;) {
        const online_layer *ol = &o->layer[l], *lo = &o->layer[l - 1];
        const double *restrict in = lo->y;
        double *restrict below = lo->delta;
        for (size_t i = 0; i < ol->fan_in; i++)
            below[i] = 0.0;
        for (size_t j = 0; j < ol->units; j++) {
            double dj = ol->delta[j], s = eta * dj;
            double *restrict row = ol->w + j * ol->fan_in;
            BY_FAN_IN(ROW_FUSED, ol->fan_in)
            ol->b[j] += s;
        }
        for (size_t i = 0; i < ol->fan_in; i++)
            below[i] *= act_fprime(lo->act, in[i]);
    }
    const online_layer *first = &o->layer[0];
    const double *restrict in = x;
    for (size_t j = 0; j < first->units; j++) {
        double s = eta * first->delta[j];
        double *restrict row = first->w + j * first->fan_in;
        BY_FAN_IN(ROW_UPDATE, first->fan_in)
        first->b[j] += s;
    }
    return 0;
}

size_t online_step(const online_net *o, const double *x, const double *d, double eta)
{
    return step(o, x, d, eta);
}

/* One call per epoch: the AVX2 clone is picked once, and the rows loop
 * runs without a call per sample. */
CORE_CLONES size_t online_epoch(const online_net *o, const mlp_data *data, const size_t *order,
                                  size_t n, double eta, const atomic_int *cancel, size_t *done)
{
    size_t ni = o->inputs, no = o->layer[o->n_layers - 1].units, r, bad = 0;
    for (r = 0; r < n && bad == 0; r++) {
        if (cancel && atomic_load_explicit(cancel, memory_order_relaxed) != 0)
            break;
        bad = step(o, data->x + order[r] * ni, data->y + order[r] * no, eta);
    }
    *done = bad ? r - 1 : r;
    return bad;
}
