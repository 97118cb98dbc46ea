/*
 * online32.c - the lecture's online rule (batch 1, plain gradient descent)
 * in float for MLP_DTYPE_FLOAT32: online.c's fused step over the float
 * trainer's weights and data. Hidden deltas use each weight row before its
 * update, as the lecture says.
 */
#include "f32.h"

/* Four partial sums in a fixed order, as core_dot. */
static inline float dot32(const float *restrict a, const float *restrict b, size_t n)
{
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++)
        s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

static inline float fprime32(int act, float y)
{
    switch (act) {
    case MLP_ACT_SIGMOID:
    case MLP_ACT_SOFTMAX:
        return y * (1.0f - y);
    case MLP_ACT_TANH:
        return 1.0f - y * y;
    case MLP_ACT_RELU:
        return y > 0.0f ? 1.0f : 0.0f;
    default:
        return 1.0f;
    }
}

static void activate32(int act, float *v, size_t n)
{
    switch (act) {
    case MLP_ACT_SIGMOID:
        core_sigmoid_block_f32(v, n);
        break;
    case MLP_ACT_TANH:
        core_tanh_block_f32(v, n);
        break;
    case MLP_ACT_RELU:
        for (size_t i = 0; i < n; i++)
            v[i] = v[i] < 0.0f ? 0.0f : v[i];
        break;
    case MLP_ACT_SOFTMAX: {
        float m = v[0], s = 0.0f;
        for (size_t i = 1; i < n; i++)
            m = v[i] > m ? v[i] : m;
        for (size_t i = 0; i < n; i++) {
            v[i] = expf(v[i] - m);
            s += v[i];
        }
        for (size_t i = 0; i < n; i++)
            v[i] /= s;
        break;
    }
    default:
        break;
    }
}

/* Forward one sample into acts (act_off layout); 0 or the first layer
 * with a non-finite output value. */
static size_t forward32(const struct mlp_f32 *f, const float *x, float *acts)
{
    const struct mlp *net = &f->shape;
    const float *in = x;
    size_t L = net->spec.n_layers;
    for (size_t l = 0; l < L; l++) {
        size_t units = net->spec.layers[l].units, fan_in = net->fan_in[l];
        const float *w = f->params + net->w_off[l], *b = f->params + net->b_off[l];
        float *y = acts + net->act_off[l];
        for (size_t j = 0; j < units; j++)
            y[j] = dot32(w + j * fan_in, in, fan_in) + b[j];
        activate32(net->spec.layers[l].activation, y, units);
        in = y;
    }
    const float *out = acts + net->act_off[L - 1];
    for (size_t j = 0; j < net->spec.layers[L - 1].units; j++)
        if (!isfinite(out[j]))
            for (size_t l = 0; l < L; l++)
                for (size_t k = 0; k < net->spec.layers[l].units; k++)
                    if (!isfinite(acts[net->act_off[l] + k]))
                        return l + 1;
    return 0;
}

static size_t step32_online(struct mlp_f32 *f, const float *x, const float *d, float eta,
                            float *acts, float *deltas)
{
    const struct mlp *net = &f->shape;
    size_t L = net->spec.n_layers;
    size_t bad = forward32(f, x, acts);
    if (bad)
        return bad;
    size_t no = net->spec.layers[L - 1].units;
    int out_act = net->spec.layers[L - 1].activation;
    const float *y = acts + net->act_off[L - 1];
    float *dout = deltas + net->act_off[L - 1];
    for (size_t j = 0; j < no; j++)
        dout[j] = net->spec.loss == MLP_LOSS_CROSS_ENTROPY ? d[j] - y[j]
                                                           : (d[j] - y[j]) * fprime32(out_act, y[j]);
    for (size_t l = L; l-- > 0;) {
        size_t units = net->spec.layers[l].units, fan_in = net->fan_in[l];
        float *w = f->params + net->w_off[l], *b = f->params + net->b_off[l];
        const float *dl = deltas + net->act_off[l];
        const float *restrict in = l ? acts + net->act_off[l - 1] : x;
        if (l == 0) {
            for (size_t j = 0; j < units; j++) {
                float s = eta * dl[j];
                float *restrict row = w + j * fan_in;
                for (size_t i = 0; i < fan_in; i++)
                    row[i] += s * in[i];
                b[j] += s;
            }
            break;
        }
        float *restrict below = deltas + net->act_off[l - 1];
        for (size_t i = 0; i < fan_in; i++)
            below[i] = 0.0f;
        for (size_t j = 0; j < units; j++) {
            float dj = dl[j], s = eta * dj;
            float *restrict row = w + j * fan_in;
            for (size_t i = 0; i < fan_in; i++) {
                below[i] += row[i] * dj; /* the row before its update */
                row[i] += s * in[i];
            }
            b[j] += s;
        }
        int act = net->spec.layers[l - 1].activation;
        for (size_t i = 0; i < fan_in; i++)
            below[i] *= fprime32(act, in[i]);
    }
    return 0;
}

CORE_CLONES size_t online32_epoch(struct mlp_f32 *f, const float *x, const float *y,
                                  const size_t *order, size_t n, double eta,
                                  const atomic_int *cancel, float *acts, float *deltas,
                                  size_t *done)
{
    size_t ni = f->shape.spec.inputs, no = mlp_outputs(&f->shape), r, bad = 0;
    float e = (float)eta;
    for (r = 0; r < n && bad == 0; r++) {
        if (cancel && atomic_load_explicit(cancel, memory_order_relaxed) != 0)
            break;
        bad = step32_online(f, x + order[r] * ni, y + order[r] * no, e, acts, deltas);
    }
    *done = bad ? r - 1 : r;
    return bad;
}
