/*
 * batch.c - mini-batch forward and gradient on transposed blocks.
 */
#include "batch.h"

#include <cblas.h>
#include <string.h>

/* Below this many weights a layer is faster in plain loops than through a
 * BLAS call. */
#ifndef BLAS_MIN_WEIGHTS
#define BLAS_MIN_WEIGHTS 256
#endif

static int use_blas(const mlp_t *net, size_t l)
{
    return net->spec.layers[l].units * net->fan_in[l] >= BLAS_MIN_WEIGHTS;
}

int batch_rowmajor_input(const mlp_t *net, size_t rows)
{
    return use_blas(net, 0) && rows > 1;
}

void batch_transpose_in(double *dst, const double *src, size_t rows, size_t cols, size_t stride)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++)
            dst[c * rows + r] = src[r * stride + c];
}

/* Softmax down each column of a units x rows block. */
CORE_CLONES static void softmax_columns(double *v, size_t units, size_t rows)
{
    for (size_t k = 0; k < rows; k++) {
        double m = v[k], s = 0.0;
        for (size_t j = 1; j < units; j++)
            m = v[j * rows + k] > m ? v[j * rows + k] : m;
        for (size_t j = 0; j < units; j++) {
            v[j * rows + k] = exp(v[j * rows + k] - m);
            s += v[j * rows + k];
        }
        for (size_t j = 0; j < units; j++)
            v[j * rows + k] /= s;
    }
}

CORE_CLONES void batch_forward(const mlp_t *net, size_t rows, const double *x, double *acts)
{
    const double *in = x;
    for (size_t l = 0; l < net->spec.n_layers; l++) {
        size_t units = net->spec.layers[l].units, fan_in = net->fan_in[l];
        const double *w = net->params + net->w_off[l], *b = net->params + net->b_off[l];
        double *out = acts + rows * net->act_off[l];
        for (size_t j = 0; j < units; j++)
            for (size_t k = 0; k < rows; k++)
                out[j * rows + k] = b[j];
        if (l == 0 && batch_rowmajor_input(net, rows)) {
            /* out (units x rows) += W (units x fan_in) X^T, X as rows x fan_in */
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)units, (int)rows,
                        (int)fan_in, 1.0, w, (int)fan_in, in, (int)fan_in, 1.0, out, (int)rows);
        } else if (use_blas(net, l) && rows > 1) {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)units, (int)rows,
                        (int)fan_in, 1.0, w, (int)fan_in, in, (int)rows, 1.0, out, (int)rows);
        } else {
            for (size_t j = 0; j < units; j++) {
                double *restrict oj = out + j * rows;
                for (size_t i = 0; i < fan_in; i++) {
                    double wji = w[j * fan_in + i];
                    const double *restrict ii = in + i * rows;
                    for (size_t k = 0; k < rows; k++)
                        oj[k] += wji * ii[k];
                }
            }
        }
        if (net->spec.layers[l].activation == MLP_ACT_SOFTMAX)
            softmax_columns(out, units, rows);
        else
            act_apply(net->spec.layers[l].activation, out, units * rows);
        in = out;
    }
}

double batch_loss_sum(const mlp_t *net, size_t rows, const double *out, const double *dT)
{
    size_t L = net->spec.n_layers;
    /* Element order does not matter to the loss functions: each sums terms. */
    return core_sample_loss(net->spec.loss, net->spec.layers[L - 1].activation, out, dT,
                            rows * net->spec.layers[L - 1].units);
}

/* Deltas of layer l-1 from those of layer l (weights before the update). */
CORE_CLONES static void delta_below(const mlp_t *net, size_t l, size_t rows, const double *acts,
                        double *deltas)
{
    size_t units = net->spec.layers[l].units, fan_in = net->fan_in[l];
    const double *w = net->params + net->w_off[l];
    const double *dl = deltas + rows * net->act_off[l];
    double *db = deltas + rows * net->act_off[l - 1];
    const double *yb = acts + rows * net->act_off[l - 1];
    int act = net->spec.layers[l - 1].activation;
    if (use_blas(net, l) && rows > 1) {
        /* db (fan_in x rows) = W^T (fan_in x units) dl (units x rows) */
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)fan_in, (int)rows, (int)units,
                    1.0, w, (int)fan_in, dl, (int)rows, 0.0, db, (int)rows);
    } else {
        memset(db, 0, fan_in * rows * sizeof(double));
        for (size_t j = 0; j < units; j++)
            for (size_t i = 0; i < fan_in; i++) {
                double wji = w[j * fan_in + i];
                double *restrict di = db + i * rows;
                const double *restrict dj = dl + j * rows;
                for (size_t k = 0; k < rows; k++)
                    di[k] += wji * dj[k];
            }
    }
    /* f'(v) from y, one loop per activation so that each vectorises */
    size_t n = fan_in * rows;
    switch (act) {
    case MLP_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            db[i] *= yb[i] * (1.0 - yb[i]);
        break;
    case MLP_ACT_TANH:
        for (size_t i = 0; i < n; i++)
            db[i] *= 1.0 - yb[i] * yb[i];
        break;
    default:
        for (size_t i = 0; i < n; i++)
            db[i] *= act_fprime(act, yb[i]);
        break;
    }
}

/* Mean gradient of layer l: dE/dW = -(1/rows) delta in^T. */
CORE_CLONES static void layer_gradient(const mlp_t *net, size_t l, size_t rows, const double *x,
                           const double *acts, const double *deltas, double *grad)
{
    size_t units = net->spec.layers[l].units, fan_in = net->fan_in[l];
    const double *in = l == 0 ? x : acts + rows * net->act_off[l - 1];
    const double *dl = deltas + rows * net->act_off[l];
    double *gw = grad + net->w_off[l], *gb = grad + net->b_off[l];
    double scale = -1.0 / (double)rows;
    if (l == 0 && batch_rowmajor_input(net, rows)) {
        /* gW (units x fan_in) = scale dl (units x rows) X (rows x fan_in) */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)units, (int)fan_in, (int)rows,
                    scale, dl, (int)rows, in, (int)fan_in, 0.0, gw, (int)fan_in);
    } else if (use_blas(net, l) && rows > 1) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)units, (int)fan_in, (int)rows,
                    scale, dl, (int)rows, in, (int)rows, 0.0, gw, (int)fan_in);
    } else {
        for (size_t j = 0; j < units; j++)
            for (size_t i = 0; i < fan_in; i++) {
                const double *dj = dl + j * rows, *ii = in + i * rows;
                double s = 0.0;
                for (size_t k = 0; k < rows; k++)
                    s += dj[k] * ii[k];
                gw[j * fan_in + i] = scale * s;
            }
    }
    for (size_t j = 0; j < units; j++) {
        double s = 0.0;
        for (size_t k = 0; k < rows; k++)
            s += dl[j * rows + k];
        gb[j] = scale * s;
    }
}

/* 1-based first layer with a non-finite value in a block, 0 if none. */
static size_t block_nonfinite_layer(const mlp_t *net, size_t rows, const double *acts)
{
    for (size_t l = 0; l < net->spec.n_layers; l++) {
        const double *v = acts + rows * net->act_off[l];
        for (size_t i = 0; i < rows * net->spec.layers[l].units; i++)
            if (!isfinite(v[i]))
                return l + 1;
    }
    return 0;
}

CORE_CLONES size_t batch_gradient(const mlp_t *net, size_t rows, const double *x, const double *dT,
                                  double *acts, double *deltas, double *grad)
{
    size_t L = net->spec.n_layers, no = mlp_outputs(net);
    batch_forward(net, rows, x, acts);
    const double *out = acts + rows * net->act_off[L - 1];
    for (size_t i = 0; i < rows * no; i++)
        if (!isfinite(out[i]))
            return block_nonfinite_layer(net, rows, acts);
    core_output_delta(net->spec.loss, net->spec.layers[L - 1].activation, out, dT,
                      deltas + rows * net->act_off[L - 1], rows * no);
    for (size_t l = L - 1; l > 0; l--)
        delta_below(net, l, rows, acts, deltas);
    for (size_t l = 0; l < L; l++)
        layer_gradient(net, l, rows, x, acts, deltas, grad);
    return 0;
}
