/*
 * forward.c - the forward path, losses and the backward pass of deltas.
 * v = W x + b, y = f(v) layer by layer; E = 1/2 sum e^2 (or cross-entropy).
 */
#include "internal.h"

#include <float.h>
#include <string.h>

/* One layer: out = f(W in + b). */
static inline void layer_forward(const mlp_t *net, size_t l, const double *in, double *out)
{
    size_t units = net->spec.layers[l].units, fan_in = net->fan_in[l];
    const double *w = net->params + net->w_off[l], *b = net->params + net->b_off[l];
    for (size_t k = 0; k < units; k++)
        out[k] = core_dot(w + k * fan_in, in, fan_in) + b[k];
    act_apply(net->spec.layers[l].activation, out, units);
}

size_t mlp_work_size(const mlp_t *net) { return 2 * net->max_width; }

static int finite_all(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

mlp_status mlp_forward(const mlp_t *net, const double *x, double *y, double *work)
{
    const double *in = x;
    double *buf[2] = {work, work + net->max_width};
    size_t last = net->spec.n_layers - 1;
    for (size_t l = 0; l < last; l++) {
        layer_forward(net, l, in, buf[l & 1]);
        in = buf[l & 1];
    }
    layer_forward(net, last, in, y);
    return finite_all(y, mlp_outputs(net)) ? MLP_OK : MLP_ERR_NONFINITE;
}

size_t mlp_units_total(const mlp_t *net)
{
    size_t n = 0;
    for (size_t l = 0; l < net->spec.n_layers; l++)
        n += net->spec.layers[l].units;
    return n;
}

mlp_status mlp_forward_all(const mlp_t *net, const double *x, double *ys)
{
    const double *in = x;
    double *out = ys;
    for (size_t l = 0; l < net->spec.n_layers; l++) {
        layer_forward(net, l, in, out);
        in = out;
        out += net->spec.layers[l].units;
    }
    return finite_all(ys, (size_t)(out - ys)) ? MLP_OK : MLP_ERR_NONFINITE;
}

mlp_status mlp_predict(const mlp_t *net, size_t n, const double *x, double *y, double *work)
{
    size_t ni = mlp_inputs(net), no = mlp_outputs(net);
    for (size_t r = 0; r < n; r++) {
        mlp_status s = mlp_forward(net, x + r * ni, y + r * no, work);
        if (s != MLP_OK)
            return s;
    }
    return MLP_OK;
}

double core_sample_loss(int loss, int out_act, const double *y, const double *d, size_t n)
{
    double E = 0.0;
    if (loss == MLP_LOSS_MSE) {
        for (size_t j = 0; j < n; j++) {
            double e = d[j] - y[j];
            E += e * e;
        }
        return 0.5 * E;
    }
    /* Cross-entropy; terms with a zero target are skipped (0 log 0 = 0) and
     * probabilities are floored at DBL_MIN so E stays finite. */
    for (size_t j = 0; j < n; j++) {
        if (d[j] != 0.0)
            E -= d[j] * log(fmax(y[j], DBL_MIN));
        if (out_act == MLP_ACT_SIGMOID && d[j] != 1.0)
            E -= (1.0 - d[j]) * log(fmax(1.0 - y[j], DBL_MIN));
    }
    return E;
}

void core_output_delta(int loss, int out_act, const double *y, const double *d, double *delta,
                       size_t n)
{
    if (loss == MLP_LOSS_CROSS_ENTROPY) {
        /* softmax or sigmoid with cross-entropy: -dE/dv = d - y exactly. */
        for (size_t j = 0; j < n; j++)
            delta[j] = d[j] - y[j];
        return;
    }
    for (size_t j = 0; j < n; j++)
        delta[j] = (d[j] - y[j]) * act_fprime(out_act, y[j]);
}

void core_forward_keep(const mlp_t *net, const double *x, double *acts)
{
    const double *in = x;
    for (size_t l = 0; l < net->spec.n_layers; l++) {
        double *out = acts + net->act_off[l];
        layer_forward(net, l, in, out);
        in = out;
    }
}

void core_backward_deltas(const mlp_t *net, const double *acts, const double *d, double *deltas)
{
    size_t L = net->spec.n_layers;
    const mlp_layer_spec *out = &net->spec.layers[L - 1];
    core_output_delta(net->spec.loss, out->activation, acts + net->act_off[L - 1], d,
                      deltas + net->act_off[L - 1], out->units);
    for (size_t l = L - 1; l > 0; l--) {
        size_t units = net->spec.layers[l].units, fan_in = net->fan_in[l];
        const double *w = net->params + net->w_off[l];
        const double *dl = deltas + net->act_off[l];
        const double *y_below = acts + net->act_off[l - 1];
        double *db = deltas + net->act_off[l - 1];
        int act = net->spec.layers[l - 1].activation;
        memset(db, 0, fan_in * sizeof(double));
        /* delta_i = f'(v_i) sum_j w_ji delta_j, with w of step n. */
        for (size_t j = 0; j < units; j++) {
            const double *row = w + j * fan_in;
            double dj = dl[j];
            for (size_t i = 0; i < fan_in; i++)
                db[i] += row[i] * dj;
        }
        for (size_t i = 0; i < fan_in; i++)
            db[i] *= act_fprime(act, y_below[i]);
    }
}

mlp_status mlp_sample_loss(const mlp_t *net, const double *x, const double *d, double *work,
                           double *loss)
{
    size_t no = mlp_outputs(net);
    /* The output needs its own space: the second half of work may hold the
     * last hidden layer. Outputs are never wider than max_width, and the
     * forward pass alternates halves, so use a half the last layer can't. */
    size_t L = net->spec.n_layers;
    double *y = L >= 2 ? work + ((L - 2) & 1 ? 0 : net->max_width) : work;
    mlp_status s = mlp_forward(net, x, y, work);
    if (s != MLP_OK && s != MLP_ERR_NONFINITE)
        return s;
    *loss = core_sample_loss(net->spec.loss, net->spec.layers[L - 1].activation, y, d, no);
    return isfinite(*loss) ? MLP_OK : MLP_ERR_NONFINITE;
}

mlp_status mlp_data_loss(const mlp_t *net, const mlp_data *data, const mlp_allocator *alloc,
                         double *loss)
{
    size_t ni = mlp_inputs(net), no = mlp_outputs(net);
    double *work, sum = 0.0;
    mlp_status s = MLP_OK;
    if (data->n == 0)
        return MLP_ERR_INVALID;
    work = core_alloc(alloc, mlp_work_size(net) * sizeof(double));
    if (work == NULL)
        return MLP_ERR_NOMEM;
    for (size_t r = 0; r < data->n && s == MLP_OK; r++) {
        double E = 0.0; /* left untouched when the call fails */
        s = mlp_sample_loss(net, data->x + r * ni, data->y + r * no, work, &E);
        sum += E;
    }
    core_release(alloc, work);
    if (s != MLP_OK)
        return s;
    *loss = sum / (double)data->n;
    return MLP_OK;
}
