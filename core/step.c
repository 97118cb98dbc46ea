/*
 * step.c - one explained online update: every quantity of the lecture per
 * layer (v, y = f(v), f'(v), e, E, delta, dw, db), the weights before and
 * after, and on request a central-difference gradient beside the analytic.
 */
#include "internal.h"

#include <string.h>

mlp_status mlp_gradient(const mlp_t *net, const double *x, const double *d, double *grad,
                        const mlp_allocator *alloc)
{
    size_t T = net->total_units;
    double *acts = core_alloc(alloc, 2 * T * sizeof(double));
    if (acts == NULL)
        return MLP_ERR_NOMEM;
    double *deltas = acts + T;
    core_forward_keep(net, x, acts);
    if (core_first_nonfinite_layer(net, acts)) {
        core_release(alloc, acts);
        return MLP_ERR_NONFINITE;
    }
    core_backward_deltas(net, acts, d, deltas);
    for (size_t l = 0; l < net->spec.n_layers; l++) {
        size_t units = net->spec.layers[l].units, fan_in = net->fan_in[l];
        const double *in = l == 0 ? x : acts + net->act_off[l - 1];
        for (size_t j = 0; j < units; j++) {
            double dj = deltas[net->act_off[l] + j];
            for (size_t i = 0; i < fan_in; i++)
                grad[net->w_off[l] + j * fan_in + i] = -dj * in[i];
            grad[net->b_off[l] + j] = -dj;
        }
    }
    core_release(alloc, acts);
    return MLP_OK;
}

/* Doubles the trace of this network needs. */
static int trace_size(const mlp_t *net, int check, size_t *out)
{
    size_t total = mlp_outputs(net);
    for (size_t l = 0; l < net->spec.n_layers; l++) {
        size_t units = net->spec.layers[l].units, nw;
        if (!core_mul(units, net->fan_in[l], &nw))
            return 0;
        size_t per_w = check ? 5 : 4, per_u = check ? 9 : 8, a, b;
        if (!core_mul(nw, per_w, &a) || !core_mul(units, per_u, &b) || !core_add(total, a, &total) ||
            !core_add(total, b, &total) || !core_add(total, net->fan_in[l], &total))
            return 0;
    }
    *out = total;
    return 1;
}

/* Point every array of the trace into its block. */
static void trace_layout(const mlp_t *net, mlp_trace *tr, double *p, int check)
{
    tr->n_layers = net->spec.n_layers;
    tr->outputs = mlp_outputs(net);
    tr->e = p, p += tr->outputs;
    for (size_t l = 0; l < net->spec.n_layers; l++) {
        mlp_trace_layer *t = &tr->layers[l];
        size_t units = net->spec.layers[l].units, nw = units * net->fan_in[l];
        t->units = units;
        t->fan_in = net->fan_in[l];
        t->activation = net->spec.layers[l].activation;
        t->input = p, p += t->fan_in;
        t->v = p, p += units;
        t->y = p, p += units;
        t->fprime = p, p += units;
        t->delta = p, p += units;
        t->db = p, p += units;
        t->grad_b = p, p += units;
        t->b_before = p, p += units;
        t->b_after = p, p += units;
        t->dw = p, p += nw;
        t->grad_w = p, p += nw;
        t->w_before = p, p += nw;
        t->w_after = p, p += nw;
        t->num_grad_w = check ? p : NULL, p += check ? nw : 0;
        t->num_grad_b = check ? p : NULL, p += check ? units : 0;
    }
}

/* Forward quantities and the backward deltas into the trace. */
static void trace_forward_backward(const mlp_t *net, const double *x, const double *d,
                                   double *acts, double *deltas, mlp_trace *tr)
{
    size_t L = net->spec.n_layers;
    core_forward_keep(net, x, acts);
    core_backward_deltas(net, acts, d, deltas);
    for (size_t l = 0; l < L; l++) {
        mlp_trace_layer *t = &tr->layers[l];
        const double *w = net->params + net->w_off[l], *b = net->params + net->b_off[l];
        const double *in = l == 0 ? x : acts + net->act_off[l - 1];
        memcpy(t->input, in, t->fan_in * sizeof(double));
        for (size_t j = 0; j < t->units; j++) {
            t->v[j] = core_dot(w + j * t->fan_in, in, t->fan_in) + b[j];
            t->y[j] = acts[net->act_off[l] + j];
            t->fprime[j] = act_fprime(t->activation, t->y[j]);
            t->delta[j] = deltas[net->act_off[l] + j];
        }
        memcpy(t->w_before, w, t->units * t->fan_in * sizeof(double));
        memcpy(t->b_before, b, t->units * sizeof(double));
    }
    for (size_t j = 0; j < tr->outputs; j++)
        tr->e[j] = d[j] - tr->layers[L - 1].y[j];
}

/* dw = eta delta_j input_i (the lecture's rule), the gradient, the result. */
static int trace_updates(mlp_trace *tr, double eta)
{
    int finite = 1;
    for (size_t l = 0; l < tr->n_layers; l++) {
        mlp_trace_layer *t = &tr->layers[l];
        for (size_t j = 0; j < t->units; j++) {
            for (size_t i = 0; i < t->fan_in; i++) {
                size_t k = j * t->fan_in + i;
                t->dw[k] = eta * t->delta[j] * t->input[i];
                t->grad_w[k] = -t->delta[j] * t->input[i];
                t->w_after[k] = t->w_before[k] + t->dw[k];
                finite &= isfinite(t->w_after[k]);
            }
            t->db[j] = eta * t->delta[j];
            t->grad_b[j] = -t->delta[j];
            t->b_after[j] = t->b_before[j] + t->db[j];
            finite &= isfinite(t->b_after[j]);
        }
    }
    return finite;
}

static void set_params(mlp_t *net, const mlp_trace *tr, int after)
{
    for (size_t l = 0; l < tr->n_layers; l++) {
        const mlp_trace_layer *t = &tr->layers[l];
        memcpy(net->params + net->w_off[l], after ? t->w_after : t->w_before,
               t->units * t->fan_in * sizeof(double));
        memcpy(net->params + net->b_off[l], after ? t->b_after : t->b_before,
               t->units * sizeof(double));
    }
}

/* Central difference of the sample loss in parameter p. */
static double numeric_partial(mlp_t *net, double *p, const double *x, const double *d,
                              double *work)
{
    double saved = *p, h = 1e-5 * fmax(1.0, fabs(saved)), up = 0.0, down = 0.0;
    *p = saved + h;
    mlp_sample_loss(net, x, d, work, &up);
    *p = saved - h;
    mlp_sample_loss(net, x, d, work, &down);
    *p = saved;
    return (up - down) / (2.0 * h);
}

static double rel_error(double a, double b)
{
    return fabs(a - b) / fmax(1e-8, fabs(a) + fabs(b));
}

static void trace_check(mlp_t *net, const double *x, const double *d, double *work,
                        mlp_trace *tr)
{
    tr->max_rel_error = 0.0;
    for (size_t l = 0; l < tr->n_layers; l++) {
        mlp_trace_layer *t = &tr->layers[l];
        for (size_t k = 0; k < t->units * t->fan_in; k++) {
            t->num_grad_w[k] = numeric_partial(net, net->params + net->w_off[l] + k, x, d, work);
            tr->max_rel_error = fmax(tr->max_rel_error, rel_error(t->num_grad_w[k], t->grad_w[k]));
        }
        for (size_t j = 0; j < t->units; j++) {
            t->num_grad_b[j] = numeric_partial(net, net->params + net->b_off[l] + j, x, d, work);
            tr->max_rel_error = fmax(tr->max_rel_error, rel_error(t->num_grad_b[j], t->grad_b[j]));
        }
    }
}

mlp_status mlp_step(mlp_t *net, const double *x, const double *d, double eta, unsigned flags,
                    const mlp_allocator *alloc, mlp_trace *trace)
{
    int check = (flags & MLP_STEP_CHECK) != 0;
    size_t n_trace, n_scratch, T = net->total_units, W = mlp_work_size(net);
    mlp_trace tr;
    double *scratch;
    memset(&tr, 0, sizeof tr);
    if (!isfinite(eta))
        return MLP_ERR_INVALID;
    if (!trace_size(net, check, &n_trace) || !core_mul(n_trace, sizeof(double), &n_trace))
        return MLP_ERR_LIMIT;
    n_scratch = (2 * T + W) * sizeof(double);
    tr.block_ = core_alloc(alloc, n_trace);
    if (tr.block_ == NULL)
        return MLP_ERR_NOMEM;
    scratch = core_alloc(alloc, n_scratch);
    if (scratch == NULL) {
        core_release(alloc, tr.block_);
        return MLP_ERR_NOMEM;
    }
    if (alloc)
        tr.alloc_ = *alloc;
    trace_layout(net, &tr, tr.block_, check);
    tr.learning_rate = eta;
    tr.checked = check;
    mlp_status s = mlp_sample_loss(net, x, d, scratch + 2 * T, &tr.E_before);
    if (s != MLP_OK)
        goto fail;
    trace_forward_backward(net, x, d, scratch, scratch + T, &tr);
    if (!trace_updates(&tr, eta)) {
        s = MLP_ERR_NONFINITE;
        goto fail;
    }
    if (check)
        trace_check(net, x, d, scratch + 2 * T, &tr);
    set_params(net, &tr, 1);
    s = mlp_sample_loss(net, x, d, scratch + 2 * T, &tr.E_after);
    tr.applied = (flags & MLP_STEP_APPLY) && s == MLP_OK;
    if (!tr.applied)
        set_params(net, &tr, 0);
    if (s != MLP_OK)
        goto fail;
    core_release(alloc, scratch);
    *trace = tr;
    return MLP_OK;
fail:
    core_release(alloc, scratch);
    core_release(alloc, tr.block_);
    return s;
}

void mlp_trace_free(mlp_trace *trace)
{
    if (trace == NULL || trace->block_ == NULL)
        return;
    mlp_allocator a = trace->alloc_;
    core_release(&a, trace->block_);
    memset(trace, 0, sizeof *trace);
}
