/*
 * batch32.c - the mini-batch forward path and mean gradient of batch.c in
 * single precision (sgemm). Same block layout, same BLAS threshold.
 */
#include "f32.h"

#include <cblas.h>
#include <float.h>
#include <string.h>

#ifndef BLAS_MIN_WEIGHTS
#define BLAS_MIN_WEIGHTS 256
#endif

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

static int use_blas32(const struct mlp *n, size_t l)
{
    return n->spec.layers[l].units * n->fan_in[l] >= BLAS_MIN_WEIGHTS;
}

int batch32_rowmajor_input(const struct mlp_f32 *f, size_t rows)
{
    return use_blas32(&f->shape, 0) && rows > 1;
}

void batch32_transpose_in(float *dst, const double *src, size_t rows, size_t cols, size_t stride)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++)
            dst[c * rows + r] = (float)src[r * stride + c];
}

CORE_CLONES static void softmax_columns32(float *v, size_t units, size_t rows)
{
    for (size_t k = 0; k < rows; k++) {
        float m = v[k], s = 0.0f;
        for (size_t j = 1; j < units; j++)
            m = v[j * rows + k] > m ? v[j * rows + k] : m;
        for (size_t j = 0; j < units; j++) {
            v[j * rows + k] = expf(v[j * rows + k] - m);
            s += v[j * rows + k];
        }
        for (size_t j = 0; j < units; j++)
            v[j * rows + k] /= s;
    }
}

static void act_apply32(int act, float *v, size_t units, size_t rows)
{
    size_t n = units * rows;
    switch (act) {
    case MLP_ACT_SIGMOID:
        core_sigmoid_block_f32(v, n);
        break;
    case MLP_ACT_TANH:
        core_tanh_block_f32(v, n);
        break;
    case MLP_ACT_RELU:
        for (size_t i = 0; i < n; i++) /* NaN stays NaN */
            v[i] = v[i] < 0.0f ? 0.0f : v[i];
        break;
    case MLP_ACT_SOFTMAX:
        softmax_columns32(v, units, rows);
        break;
    default:
        break;
    }
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

CORE_CLONES void batch32_forward(const struct mlp_f32 *f, size_t rows, const float *x, float *acts)
{
    const struct mlp *net = &f->shape;
    const float *in = x;
    for (size_t l = 0; l < net->spec.n_layers; l++) {
        size_t units = net->spec.layers[l].units, fan_in = net->fan_in[l];
        const float *w = f->params + net->w_off[l], *b = f->params + net->b_off[l];
        float *out = acts + rows * net->act_off[l];
        for (size_t j = 0; j < units; j++)
            for (size_t k = 0; k < rows; k++)
                out[j * rows + k] = b[j];
        if (l == 0 && batch32_rowmajor_input(f, rows)) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)units, (int)rows,
                        (int)fan_in, 1.0f, w, (int)fan_in, in, (int)fan_in, 1.0f, out, (int)rows);
        } else if (use_blas32(net, l) && rows > 1) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)units, (int)rows,
                        (int)fan_in, 1.0f, w, (int)fan_in, in, (int)rows, 1.0f, out, (int)rows);
        } else if (rows == 1) { /* one sample (batch 1): a dot product per unit */
            for (size_t j = 0; j < units; j++)
                out[j] += dot32(w + j * fan_in, in, fan_in);
        } else {
            for (size_t j = 0; j < units; j++) {
                float *restrict oj = out + j * rows;
                for (size_t i = 0; i < fan_in; i++) {
                    float wji = w[j * fan_in + i];
                    const float *restrict ii = in + i * rows;
                    for (size_t k = 0; k < rows; k++)
                        oj[k] += wji * ii[k];
                }
            }
        }
        act_apply32(net->spec.layers[l].activation, out, units, rows);
        in = out;
    }
}

double batch32_loss_sum(const struct mlp_f32 *f, size_t rows, const float *out, const float *dT)
{
    const struct mlp *net = &f->shape;
    size_t L = net->spec.n_layers, n = rows * net->spec.layers[L - 1].units;
    int out_act = net->spec.layers[L - 1].activation;
    double E = 0.0;
    if (net->spec.loss == MLP_LOSS_MSE) {
        for (size_t j = 0; j < n; j++) {
            double e = (double)dT[j] - (double)out[j];
            E += e * e;
        }
        return 0.5 * E;
    }
    /* As core_sample_loss; probabilities floored at FLT_MIN. */
    for (size_t j = 0; j < n; j++) {
        double d = dT[j], y = out[j];
        if (d != 0.0)
            E -= d * log(fmax(y, FLT_MIN));
        if (out_act == MLP_ACT_SIGMOID && d != 1.0)
            E -= (1.0 - d) * log(fmax(1.0 - y, FLT_MIN));
    }
    return E;
}

CORE_CLONES static void delta_below32(const struct mlp_f32 *f, size_t l, size_t rows,
                                      const float *acts, float *deltas)
{
    const struct mlp *net = &f->shape;
    size_t units = net->spec.layers[l].units, fan_in = net->fan_in[l];
    const float *w = f->params + net->w_off[l];
    const float *dl = deltas + rows * net->act_off[l];
    float *db = deltas + rows * net->act_off[l - 1];
    const float *yb = acts + rows * net->act_off[l - 1];
    int act = net->spec.layers[l - 1].activation;
    if (use_blas32(net, l) && rows > 1) {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)fan_in, (int)rows, (int)units,
                    1.0f, w, (int)fan_in, dl, (int)rows, 0.0f, db, (int)rows);
    } else if (rows == 1) {
        memset(db, 0, fan_in * sizeof(float));
        for (size_t j = 0; j < units; j++) {
            const float *restrict wj = w + j * fan_in;
            float dj = dl[j];
            for (size_t i = 0; i < fan_in; i++)
                db[i] += wj[i] * dj;
        }
    } else {
        memset(db, 0, fan_in * rows * sizeof(float));
        for (size_t j = 0; j < units; j++)
            for (size_t i = 0; i < fan_in; i++) {
                float wji = w[j * fan_in + i];
                float *restrict di = db + i * rows;
                const float *restrict dj = dl + j * rows;
                for (size_t k = 0; k < rows; k++)
                    di[k] += wji * dj[k];
            }
    }
    size_t n = fan_in * rows;
    switch (act) {
    case MLP_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            db[i] *= yb[i] * (1.0f - yb[i]);
        break;
    case MLP_ACT_TANH:
        for (size_t i = 0; i < n; i++)
            db[i] *= 1.0f - yb[i] * yb[i];
        break;
    default:
        for (size_t i = 0; i < n; i++)
            db[i] *= fprime32(act, yb[i]);
        break;
    }
}

CORE_CLONES static void layer_gradient32(const struct mlp_f32 *f, size_t l, size_t rows,
                                         const float *x, const float *acts, const float *deltas,
                                         float *grad)
{
    const struct mlp *net = &f->shape;
    size_t units = net->spec.layers[l].units, fan_in = net->fan_in[l];
    const float *in = l == 0 ? x : acts + rows * net->act_off[l - 1];
    const float *dl = deltas + rows * net->act_off[l];
    float *gw = grad + net->w_off[l], *gb = grad + net->b_off[l];
    float scale = -1.0f / (float)rows;
    if (l == 0 && batch32_rowmajor_input(f, rows)) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)units, (int)fan_in, (int)rows,
                    scale, dl, (int)rows, in, (int)fan_in, 0.0f, gw, (int)fan_in);
    } else if (use_blas32(net, l) && rows > 1) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)units, (int)fan_in, (int)rows,
                    scale, dl, (int)rows, in, (int)rows, 0.0f, gw, (int)fan_in);
    } else if (rows == 1) { /* an outer product */
        for (size_t j = 0; j < units; j++) {
            float s = scale * dl[j];
            float *restrict gj = gw + j * fan_in;
            for (size_t i = 0; i < fan_in; i++)
                gj[i] = s * in[i];
        }
    } else {
        for (size_t j = 0; j < units; j++)
            for (size_t i = 0; i < fan_in; i++) {
                const float *dj = dl + j * rows, *ii = in + i * rows;
                float s = 0.0f;
                for (size_t k = 0; k < rows; k++)
                    s += dj[k] * ii[k];
                gw[j * fan_in + i] = scale * s;
            }
    }
    for (size_t j = 0; j < units; j++) {
        float s = 0.0f;
        for (size_t k = 0; k < rows; k++)
            s += dl[j * rows + k];
        gb[j] = scale * s;
    }
}

static size_t block_nonfinite_layer32(const struct mlp *net, size_t rows, const float *acts)
{
    for (size_t l = 0; l < net->spec.n_layers; l++) {
        const float *v = acts + rows * net->act_off[l];
        for (size_t i = 0; i < rows * net->spec.layers[l].units; i++)
            if (!isfinite(v[i]))
                return l + 1;
    }
    return 0;
}

CORE_CLONES size_t batch32_gradient(const struct mlp_f32 *f, size_t rows, const float *x,
                                    const float *dT, float *acts, float *deltas, float *grad)
{
    const struct mlp *net = &f->shape;
    size_t L = net->spec.n_layers, no = net->spec.layers[L - 1].units;
    int out_act = net->spec.layers[L - 1].activation;
    batch32_forward(f, rows, x, acts);
    const float *out = acts + rows * net->act_off[L - 1];
    for (size_t i = 0; i < rows * no; i++)
        if (!isfinite(out[i]))
            return block_nonfinite_layer32(net, rows, acts);
    float *dout = deltas + rows * net->act_off[L - 1];
    if (net->spec.loss == MLP_LOSS_CROSS_ENTROPY)
        for (size_t i = 0; i < rows * no; i++)
            dout[i] = dT[i] - out[i];
    else
        for (size_t i = 0; i < rows * no; i++)
            dout[i] = (dT[i] - out[i]) * fprime32(out_act, out[i]);
    for (size_t l = L - 1; l > 0; l--)
        delta_below32(f, l, rows, acts, deltas);
    for (size_t l = 0; l < L; l++)
        layer_gradient32(f, l, rows, x, acts, deltas, grad);
    return 0;
}
