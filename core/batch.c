/*
 * batch.c - mini-batch forward and gradient as matrix products.
 */
#include "batch.h"

#include <cblas.h>
#include <string.h>

/* Below this many weights a layer is faster in plain loops than through a
 * BLAS call (measured with make bench on T2's 64-32-10 and T1's 2-3-1). */
#define BLAS_MIN_WEIGHTS 256

static int use_blas(const mlp_t *net, size_t l, size_t rows)
{
    return rows > 1 && net->spec.layers[l].units * net->fan_in[l] >= BLAS_MIN_WEIGHTS;
}

void batch_forward(const mlp_t *net, size_t rows, const double *x, double *acts)
{
    size_t T = net->total_units;
    const double *in = x;
    size_t ld_in = net->spec.inputs;
    for (size_t l = 0; l < net->spec.n_layers; l++) {
        size_t units = net->spec.layers[l].units, fan_in = net->fan_in[l];
        const double *w = net->params + net->w_off[l], *b = net->params + net->b_off[l];
        double *out = acts + net->act_off[l];
        if (use_blas(net, l, rows)) {
            /* out (rows x units) = in (rows x fan_in) W^T, then + b */
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)units,
                        (int)fan_in, 1.0, in, (int)ld_in, w, (int)fan_in, 0.0, out, (int)T);
            for (size_t k = 0; k < rows; k++)
                for (size_t j = 0; j < units; j++)
                    out[k * T + j] += b[j];
        } else {
            for (size_t k = 0; k < rows; k++)
                for (size_t j = 0; j < units; j++)
                    out[k * T + j] = core_dot(w + j * fan_in, in + k * ld_in, fan_in) + b[j];
        }
        for (size_t k = 0; k < rows; k++)
            act_apply(net->spec.layers[l].activation, out + k * T, units);
        in = out;
        ld_in = T;
    }
}

/* Deltas of layer l-1 from those of layer l (weights before the update). */
static void delta_below(const mlp_t *net, size_t l, size_t rows, const double *acts,
                        double *deltas)
{
    size_t T = net->total_units, units = net->spec.layers[l].units, fan_in = net->fan_in[l];
    const double *w = net->params + net->w_off[l];
    const double *dl = deltas + net->act_off[l];
    double *db = deltas + net->act_off[l - 1];
    const double *yb = acts + net->act_off[l - 1];
    int act = net->spec.layers[l - 1].activation;
    if (use_blas(net, l, rows)) {
        /* db (rows x fan_in) = dl (rows x units) W (units x fan_in) */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)fan_in,
                    (int)units, 1.0, dl, (int)T, w, (int)fan_in, 0.0, db, (int)T);
    } else {
        for (size_t k = 0; k < rows; k++) {
            double *dk = db + k * T;
            memset(dk, 0, fan_in * sizeof(double));
            for (size_t j = 0; j < units; j++) {
                double dj = dl[k * T + j];
                const double *row = w + j * fan_in;
                for (size_t i = 0; i < fan_in; i++)
                    dk[i] += row[i] * dj;
            }
        }
    }
    for (size_t k = 0; k < rows; k++)
        for (size_t i = 0; i < fan_in; i++)
            db[k * T + i] *= act_fprime(act, yb[k * T + i]);
}

/* Mean gradient of layer l: dE/dW = -(1/rows) delta^T input. */
static void layer_gradient(const mlp_t *net, size_t l, size_t rows, const double *x,
                           const double *acts, const double *deltas, double *grad)
{
    size_t T = net->total_units, units = net->spec.layers[l].units, fan_in = net->fan_in[l];
    const double *in = l == 0 ? x : acts + net->act_off[l - 1];
    size_t ld_in = l == 0 ? net->spec.inputs : T;
    const double *dl = deltas + net->act_off[l];
    double *gw = grad + net->w_off[l], *gb = grad + net->b_off[l];
    double scale = -1.0 / (double)rows;
    if (use_blas(net, l, rows)) {
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)units, (int)fan_in, (int)rows,
                    scale, dl, (int)T, in, (int)ld_in, 0.0, gw, (int)fan_in);
    } else {
        for (size_t k = 0; k < rows; k++)
            for (size_t j = 0; j < units; j++) {
                double s = scale * dl[k * T + j];
                const double *ik = in + k * ld_in;
                double *row = gw + j * fan_in;
                for (size_t i = 0; i < fan_in; i++)
                    row[i] += s * ik[i];
            }
    }
    for (size_t k = 0; k < rows; k++)
        for (size_t j = 0; j < units; j++)
            gb[j] += scale * dl[k * T + j];
}

size_t batch_gradient(const mlp_t *net, size_t rows, const double *x, const double *y,
                      double *acts, double *deltas, double *grad)
{
    size_t T = net->total_units, L = net->spec.n_layers, no = mlp_outputs(net);
    int out_act = net->spec.layers[L - 1].activation;
    batch_forward(net, rows, x, acts);
    for (size_t k = 0; k < rows; k++) {
        const double *yk = acts + k * T + net->act_off[L - 1];
        for (size_t j = 0; j < no; j++)
            if (!isfinite(yk[j]))
                return core_first_nonfinite_layer(net, acts + k * T);
        core_output_delta(net->spec.loss, out_act, yk, y + k * no,
                          deltas + k * T + net->act_off[L - 1], no);
    }
    for (size_t l = L - 1; l > 0; l--)
        delta_below(net, l, rows, acts, deltas);
    for (size_t l = 0; l < L; l++)
        layer_gradient(net, l, rows, x, acts, deltas, grad);
    return 0;
}
