/*
 * train32.c - the float32 trainer behind mlp_train's MLP_DTYPE_FLOAT32:
 * one allocation holds the float weights, gradient, optimizer state,
 * scratch blocks and a float copy of the data, so each batch is sgemm on
 * floats only. train.c keeps the loop (epochs, shuffles, stops); this
 * file does what touches numbers.
 */
#include "f32.h"

#include <string.h>

struct train32 {
    struct mlp_f32 f;       /* params: the float weights */
    const mlp_train_opts *o;
    size_t n, ni, no, rows_cap;
    float *x, *y;           /* the data set, n x ni and n x no */
    float *acts, *deltas;   /* rows_cap x total_units */
    float *xb, *yb;         /* a gathered batch */
    float *grad, *m, *v;    /* n_params each (m, v: NULL when unused) */
    uint64_t adam_t;
};

mlp_status train32_new(const mlp_t *net, const mlp_data *data, size_t rows_cap,
                       const mlp_train_opts *o, const mlp_allocator *alloc, train32 **out)
{
    size_t P = net->n_params, ni = net->spec.inputs, no = mlp_outputs(net);
    int moments = o->optimizer == MLP_OPT_ADAM ? 2 : (o->momentum > 0.0 ? 1 : 0);
    size_t n_data, n_acts, n_xb, n_yb, n_state, total, bytes;
    if (!core_mul(data->n, ni + no, &n_data) || !core_mul(rows_cap, net->total_units, &n_acts) ||
        !core_mul(rows_cap, ni, &n_xb) || !core_mul(rows_cap, no, &n_yb) ||
        !core_mul(P, 2 + (size_t)moments, &n_state))
        return MLP_ERR_LIMIT;
    total = n_state;
    if (!core_add(total, n_data, &total) || !core_add(total, n_acts, &total) ||
        !core_add(total, n_acts, &total) || !core_add(total, n_xb, &total) ||
        !core_add(total, n_yb, &total) || !core_mul(total, sizeof(float), &bytes) ||
        !core_add(bytes, sizeof(train32), &bytes))
        return MLP_ERR_LIMIT;
    train32 *t = core_alloc(alloc, bytes);
    if (t == NULL)
        return MLP_ERR_NOMEM;
    memset(t, 0, bytes);
    float *p = (float *)(t + 1);
    f32_view(&t->f, net, p), p += P;
    t->o = o;
    t->n = data->n, t->ni = ni, t->no = no, t->rows_cap = rows_cap;
    t->grad = p, p += P;
    t->m = moments >= 1 ? p : NULL, p += moments >= 1 ? P : 0;
    t->v = moments >= 2 ? p : NULL, p += moments >= 2 ? P : 0;
    t->x = p, p += data->n * ni;
    t->y = p, p += data->n * no;
    t->acts = p, p += n_acts;
    t->deltas = p, p += n_acts;
    t->xb = p, p += n_xb;
    t->yb = p;
    for (size_t i = 0; i < data->n * ni; i++)
        t->x[i] = (float)data->x[i];
    for (size_t i = 0; i < data->n * no; i++)
        t->y[i] = (float)data->y[i];
    train32_load(t, net);
    *out = t;
    return MLP_OK;
}

void train32_free(train32 *t, const mlp_allocator *alloc)
{
    core_release(alloc, t);
}

void train32_store(const train32 *t, mlp_t *net)
{
    for (size_t i = 0; i < net->n_params; i++)
        net->params[i] = (double)t->f.params[i];
}

void train32_load(train32 *t, const mlp_t *net)
{
    for (size_t i = 0; i < net->n_params; i++)
        t->f.params[i] = (float)net->params[i];
}

void train32_moments(train32 *t, float **m, float **v, uint64_t **adam_t)
{
    *m = t->m;
    *v = t->v;
    *adam_t = &t->adam_t;
}

/* Rows idx[0, count) of src (cols wide) into dst, as they are or
 * transposed (cols x count). */
static void gather32(float *restrict dst, const float *restrict src, const size_t *idx,
                     size_t count, size_t cols, int transposed)
{
    for (size_t k = 0; k < count; k++) {
        const float *row = src + idx[k] * cols;
        if (transposed)
            for (size_t i = 0; i < cols; i++)
                dst[i * count + k] = row[i];
        else
            memcpy(dst + k * cols, row, cols * sizeof(float));
    }
}

/* As train.c's optimizer_step, in float. */
CORE_CLONES static void step32(train32 *t)
{
    const mlp_train_opts *o = t->o;
    const struct mlp *net = &t->f.shape;
    size_t P = net->n_params;
    float *restrict p = t->f.params, *restrict m = t->m, *restrict v = t->v;
    float *restrict g = t->grad;
    float lr = (float)o->learning_rate, mu = (float)o->momentum, wd = (float)o->weight_decay;
    if (wd != 0.0f)
        for (size_t l = 0; l < net->spec.n_layers; l++) {
            size_t n = net->spec.layers[l].units * net->fan_in[l];
            for (size_t i = 0; i < n; i++)
                g[net->w_off[l] + i] += wd * p[net->w_off[l] + i];
        }
    if (o->optimizer == MLP_OPT_ADAM) {
        t->adam_t++;
        float b1 = (float)o->beta1, b2 = (float)o->beta2, eps = (float)o->epsilon;
        float c1 = (float)(1.0 - pow(o->beta1, (double)t->adam_t));
        float c2 = (float)(1.0 - pow(o->beta2, (double)t->adam_t));
        for (size_t i = 0; i < P; i++) {
            m[i] = b1 * m[i] + (1.0f - b1) * g[i];
            v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
            p[i] -= lr * (m[i] / c1) / (sqrtf(v[i] / c2) + eps);
        }
    } else if (mu > 0.0f && o->optimizer == MLP_OPT_NESTEROV) {
        for (size_t i = 0; i < P; i++) {
            m[i] = mu * m[i] - lr * g[i];
            p[i] += mu * m[i] - lr * g[i];
        }
    } else if (mu > 0.0f) {
        for (size_t i = 0; i < P; i++) {
            m[i] = mu * m[i] - lr * g[i];
            p[i] += m[i];
        }
    } else {
        for (size_t i = 0; i < P; i++)
            p[i] -= lr * g[i];
    }
}

size_t train32_batch(train32 *t, const size_t *idx, size_t count)
{
    unsigned csr = f32_flush_enter();
    const float *x = t->xb;
    if (!batch32_rowmajor_input(&t->f, count))
        gather32(t->xb, t->x, idx, count, t->ni, 1);
    else if (t->o->shuffle)
        gather32(t->xb, t->x, idx, count, t->ni, 0);
    else
        x = t->x + idx[0] * t->ni; /* unshuffled: consecutive rows, in place */
    gather32(t->yb, t->y, idx, count, t->no, 1);
    size_t bad = batch32_gradient(&t->f, count, x, t->yb, t->acts, t->deltas, t->grad);
    if (!bad)
        step32(t);
    f32_flush_leave(csr);
    return bad;
}

size_t train32_online_epoch(train32 *t, const size_t *order, size_t n, double eta,
                            const atomic_int *cancel, size_t *done)
{
    unsigned csr = f32_flush_enter();
    size_t bad = online32_epoch(&t->f, t->x, t->y, order, n, eta, cancel, t->acts, t->deltas,
                                done);
    f32_flush_leave(csr);
    return bad;
}

double train32_loss_sum(train32 *t, size_t first, size_t n)
{
    const struct mlp *net = &t->f.shape;
    size_t L = net->spec.n_layers, ni = t->ni, no = t->no;
    double sum = 0.0;
    unsigned csr = f32_flush_enter();
    for (size_t r = first; r < first + n;) {
        size_t rows = first + n - r < t->rows_cap ? first + n - r : t->rows_cap;
        const float *x = t->x + r * ni;
        if (!batch32_rowmajor_input(&t->f, rows)) {
            for (size_t k = 0; k < rows; k++)
                for (size_t i = 0; i < ni; i++)
                    t->xb[i * rows + k] = x[k * ni + i];
            x = t->xb;
        }
        for (size_t k = 0; k < rows; k++)
            for (size_t j = 0; j < no; j++)
                t->yb[j * rows + k] = t->y[(r + k) * no + j];
        batch32_forward(&t->f, rows, x, t->acts);
        sum += batch32_loss_sum(&t->f, rows, t->acts + rows * net->act_off[L - 1], t->yb);
        r += rows;
    }
    f32_flush_leave(csr);
    return sum;
}
