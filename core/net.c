/*
 * net.c - building, copying and inspecting networks; spec validation.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *core_alloc(const mlp_allocator *a, size_t size)
{
    if (size == 0)
        size = 1;
    if (a && a->alloc)
        return a->alloc(size, a->ctx);
    return malloc(size);
}

void core_release(const mlp_allocator *a, void *p)
{
    if (p == NULL)
        return;
    if (a && a->release)
        a->release(p, a->ctx);
    else
        free(p);
}

mlp_limits mlp_default_limits(void)
{
    mlp_limits l = {
        .max_inputs = 65536,
        .max_layers = MLP_MAX_LAYERS,
        .max_units = 65536,
        .max_params = (size_t)1 << 27, /* 1 GiB of doubles */
    };
    return l;
}

/* The format attribute lets -Wformat=2 check every caller's arguments. */
__attribute__((format(printf, 4, 5)))
static mlp_status spec_fail(mlp_spec_error *err, mlp_status s, const char *field,
                            const char *fmt, ...)
{
    if (err) {
        va_list ap;
        snprintf(err->field, sizeof err->field, "%s", field);
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return s;
}

static mlp_status check_layer(const mlp_spec *spec, const mlp_limits *lim, size_t l,
                              mlp_spec_error *err)
{
    char field[48];
    const mlp_layer_spec *ls = &spec->layers[l];
    int last = l + 1 == spec->n_layers;

    snprintf(field, sizeof field, "layers[%zu].units", l);
    if (ls->units == 0)
        return spec_fail(err, MLP_ERR_INVALID, field, "a layer needs at least one unit");
    if (ls->units > lim->max_units)
        return spec_fail(err, MLP_ERR_LIMIT, field, "at most %zu units per layer", lim->max_units);
    snprintf(field, sizeof field, "layers[%zu].activation", l);
    if (mlp_activation_name(ls->activation) == NULL)
        return spec_fail(err, MLP_ERR_INVALID, field, "unknown activation");
    if (ls->activation == MLP_ACT_SOFTMAX) {
        if (!last)
            return spec_fail(err, MLP_ERR_INVALID, field, "softmax is for the output layer only");
        if (spec->loss != MLP_LOSS_CROSS_ENTROPY)
            return spec_fail(err, MLP_ERR_INVALID, field, "softmax needs the cross_entropy loss");
        if (ls->units < 2)
            return spec_fail(err, MLP_ERR_INVALID, field, "softmax needs at least two units");
    }
    if (last && spec->loss == MLP_LOSS_CROSS_ENTROPY && ls->activation != MLP_ACT_SOFTMAX &&
        ls->activation != MLP_ACT_SIGMOID)
        return spec_fail(err, MLP_ERR_INVALID, field,
                         "cross_entropy needs a sigmoid or softmax output layer");
    return MLP_OK;
}

mlp_status mlp_spec_check(const mlp_spec *spec, const mlp_limits *limits, size_t *n_params,
                          mlp_spec_error *err)
{
    mlp_limits lim = limits ? *limits : mlp_default_limits();
    size_t total = 0, fan_in;

    if (spec == NULL)
        return spec_fail(err, MLP_ERR_INVALID, "spec", "missing");
    if (spec->inputs == 0)
        return spec_fail(err, MLP_ERR_INVALID, "inputs", "a network needs at least one input");
    if (spec->inputs > lim.max_inputs)
        return spec_fail(err, MLP_ERR_LIMIT, "inputs", "at most %zu inputs", lim.max_inputs);
    if (spec->n_layers == 0)
        return spec_fail(err, MLP_ERR_INVALID, "layers", "a network needs at least one layer");
    if (spec->n_layers > lim.max_layers || spec->n_layers > MLP_MAX_LAYERS)
        return spec_fail(err, MLP_ERR_LIMIT, "layers", "at most %zu layers",
                         lim.max_layers < MLP_MAX_LAYERS ? lim.max_layers : (size_t)MLP_MAX_LAYERS);
    if (mlp_loss_name(spec->loss) == NULL)
        return spec_fail(err, MLP_ERR_INVALID, "loss", "unknown loss");
    fan_in = spec->inputs;
    for (size_t l = 0; l < spec->n_layers; l++) {
        size_t units = spec->layers[l].units, layer_params;
        mlp_status s = check_layer(spec, &lim, l, err);
        if (s != MLP_OK)
            return s;
        size_t fan_in_bias;
        if (!core_add(fan_in, 1, &fan_in_bias) || !core_mul(units, fan_in_bias, &layer_params) ||
            !core_add(total, layer_params, &total))
            return spec_fail(err, MLP_ERR_LIMIT, "layers", "too many parameters");
        fan_in = units;
    }
    if (total > lim.max_params)
        return spec_fail(err, MLP_ERR_LIMIT, "layers", "%zu parameters, at most %zu allowed",
                         total, lim.max_params);
    if (n_params)
        *n_params = total;
    return MLP_OK;
}

/* Offsets and sizes derived from a checked spec. */
static void layout(mlp_t *net)
{
    size_t off = 0, act = 0, fan_in = net->spec.inputs;
    net->max_width = fan_in;
    for (size_t l = 0; l < net->spec.n_layers; l++) {
        size_t units = net->spec.layers[l].units;
        net->fan_in[l] = fan_in;
        net->w_off[l] = off;
        net->b_off[l] = off + units * fan_in;
        off = net->b_off[l] + units;
        net->act_off[l] = act;
        act += units;
        if (units > net->max_width)
            net->max_width = units;
        fan_in = units;
    }
    net->n_params = off;
    net->total_units = act;
}

static mlp_status alloc_net(const mlp_spec *spec, size_t n_params, const mlp_allocator *alloc,
                            mlp_t **out)
{
    size_t bytes;
    mlp_t *net;
    if (!core_mul(n_params, sizeof(double), &bytes) || !core_add(bytes, sizeof *net, &bytes))
        return MLP_ERR_LIMIT;
    net = core_alloc(alloc, bytes);
    if (net == NULL)
        return MLP_ERR_NOMEM;
    memset(net, 0, sizeof *net);
    net->spec = *spec;
    /* Unused layer slots are zeroed so that a spec compares and saves cleanly. */
    memset(&net->spec.layers[spec->n_layers], 0,
           (MLP_MAX_LAYERS - spec->n_layers) * sizeof spec->layers[0]);
    if (alloc)
        net->alloc = *alloc;
    net->params = (double *)(net + 1);
    layout(net);
    *out = net;
    return MLP_OK;
}

mlp_status mlp_new(const mlp_spec *spec, const mlp_limits *limits, const mlp_allocator *alloc,
                   mlp_t **out)
{
    size_t n_params = 0;
    mlp_status s = mlp_spec_check(spec, limits, &n_params, NULL);
    mlp_t *net;
    if (s != MLP_OK)
        return s;
    s = alloc_net(spec, n_params, alloc, &net);
    if (s != MLP_OK)
        return s;
    memset(net->params, 0, n_params * sizeof(double));
    *out = net;
    return MLP_OK;
}

void mlp_free(mlp_t *net)
{
    if (net == NULL)
        return;
    mlp_allocator a = net->alloc;
    core_release(&a, net);
}

mlp_status mlp_clone(const mlp_t *net, mlp_t **out)
{
    mlp_t *copy;
    mlp_status s = alloc_net(&net->spec, net->n_params, &net->alloc, &copy);
    if (s != MLP_OK)
        return s;
    memcpy(copy->params, net->params, net->n_params * sizeof(double));
    *out = copy;
    return MLP_OK;
}

const mlp_spec *mlp_get_spec(const mlp_t *net) { return &net->spec; }
size_t mlp_inputs(const mlp_t *net) { return net->spec.inputs; }
size_t mlp_outputs(const mlp_t *net) { return net->spec.layers[net->spec.n_layers - 1].units; }
size_t mlp_param_count(const mlp_t *net) { return net->n_params; }
double *mlp_params(mlp_t *net) { return net->params; }
const double *mlp_params_const(const mlp_t *net) { return net->params; }
size_t mlp_memory_size(const mlp_t *net) { return sizeof *net + net->n_params * sizeof(double); }

mlp_status mlp_layer_offsets(const mlp_t *net, size_t l, size_t *fan_in, size_t *w_off,
                             size_t *b_off)
{
    if (l >= net->spec.n_layers)
        return MLP_ERR_INVALID;
    if (fan_in)
        *fan_in = net->fan_in[l];
    if (w_off)
        *w_off = net->w_off[l];
    if (b_off)
        *b_off = net->b_off[l];
    return MLP_OK;
}

mlp_status mlp_layer_get(const mlp_t *net, size_t l, double *w, double *b)
{
    if (l >= net->spec.n_layers)
        return MLP_ERR_INVALID;
    size_t units = net->spec.layers[l].units;
    if (w)
        memcpy(w, net->params + net->w_off[l], units * net->fan_in[l] * sizeof(double));
    if (b)
        memcpy(b, net->params + net->b_off[l], units * sizeof(double));
    return MLP_OK;
}

static int all_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

mlp_status mlp_layer_set(mlp_t *net, size_t l, const double *w, const double *b)
{
    if (l >= net->spec.n_layers || w == NULL || b == NULL)
        return MLP_ERR_INVALID;
    size_t units = net->spec.layers[l].units, nw = units * net->fan_in[l];
    if (!all_finite(w, nw) || !all_finite(b, units))
        return MLP_ERR_NONFINITE;
    memcpy(net->params + net->w_off[l], w, nw * sizeof(double));
    memcpy(net->params + net->b_off[l], b, units * sizeof(double));
    return MLP_OK;
}

size_t core_first_nonfinite_param_layer(const mlp_t *net)
{
    for (size_t l = 0; l < net->spec.n_layers; l++) {
        size_t n = net->spec.layers[l].units * (net->fan_in[l] + 1);
        if (!all_finite(net->params + net->w_off[l], n))
            return l + 1;
    }
    return 0;
}

size_t core_first_nonfinite_layer(const mlp_t *net, const double *acts)
{
    for (size_t l = 0; l < net->spec.n_layers; l++)
        if (!all_finite(acts + net->act_off[l], net->spec.layers[l].units))
            return l + 1;
    return 0;
}
