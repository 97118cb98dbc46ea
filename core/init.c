/*
 * init.c - weight initialisation from an explicit seed.
 */
#include "internal.h"

#include <string.h>

/* Draw one weight for a layer with the given fans. */
static double draw(int method, mlp_rng *rng, double fan_in, double fan_out, double scale)
{
    double a;
    switch (method) {
    case MLP_INIT_XAVIER_UNIFORM:
        a = sqrt(6.0 / (fan_in + fan_out));
        return (2.0 * mlp_rng_uniform(rng) - 1.0) * a;
    case MLP_INIT_XAVIER_NORMAL:
        return mlp_rng_normal(rng) * sqrt(2.0 / (fan_in + fan_out));
    case MLP_INIT_HE_UNIFORM:
        a = sqrt(6.0 / fan_in);
        return (2.0 * mlp_rng_uniform(rng) - 1.0) * a;
    case MLP_INIT_HE_NORMAL:
        return mlp_rng_normal(rng) * sqrt(2.0 / fan_in);
    case MLP_INIT_UNIFORM:
        return (2.0 * mlp_rng_uniform(rng) - 1.0) * scale;
    default:
        return 0.0;
    }
}

mlp_status mlp_init(mlp_t *net, int method, uint64_t seed, double scale)
{
    mlp_rng rng;
    if (mlp_init_name(method) == NULL)
        return MLP_ERR_INVALID;
    if (!isfinite(scale) || scale < 0.0)
        return MLP_ERR_INVALID;
    if (scale == 0.0)
        scale = 0.5;
    mlp_rng_seed(&rng, seed);
    for (size_t l = 0; l < net->spec.n_layers; l++) {
        size_t units = net->spec.layers[l].units, nw = units * net->fan_in[l];
        double *w = net->params + net->w_off[l], *b = net->params + net->b_off[l];
        for (size_t i = 0; i < nw; i++)
            w[i] = draw(method, &rng, (double)net->fan_in[l], (double)units, scale);
        for (size_t i = 0; i < units; i++)
            b[i] = method == MLP_INIT_UNIFORM ? draw(method, &rng, 1.0, 1.0, scale) : 0.0;
    }
    return MLP_OK;
}
