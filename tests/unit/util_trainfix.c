/*
 * util_trainfix.c - fixtures shared by the mlp_train tests (test_core_train.c,
 * test_core_loop.c): networks from fixed seeds, the XOR and exact-update
 * data, losses and weight comparisons. Linked into every unit test binary:
 * no main(), every name starts with fix_.
 */
#include "util_trainfix.h"

#include <check.h>
#include <math.h>
#include <string.h>

mlp_t *fix_make_net(size_t inputs, size_t n_layers, const size_t *units, const int *acts,
                    int loss, uint64_t init_seed)
{
    mlp_spec s;
    mlp_t *net = NULL;
    memset(&s, 0, sizeof s);
    s.inputs = inputs;
    s.n_layers = n_layers;
    for (size_t l = 0; l < n_layers; l++) {
        s.layers[l].units = units[l];
        s.layers[l].activation = acts[l];
    }
    s.loss = loss;
    ck_assert_int_eq(mlp_new(&s, NULL, NULL, &net), MLP_OK);
    ck_assert_int_eq(mlp_init(net, MLP_INIT_XAVIER_UNIFORM, init_seed, 0.0), MLP_OK);
    return net;
}

mlp_t *fix_make_231(int hidden, int out, int loss, size_t hidden_units, uint64_t seed)
{
    const size_t units[2] = {hidden_units, 1};
    const int acts[2] = {hidden, out};
    return fix_make_net(2, 2, units, acts, loss, seed);
}

const double fix_xor_x[8] = {0, 0, 0, 1, 1, 0, 1, 1};
const double fix_xor_y[4] = {0, 1, 1, 0};
const mlp_data fix_xor_data = {4, fix_xor_x, fix_xor_y};

double fix_data_loss(const mlp_t *net, const mlp_data *d)
{
    double loss = NAN;
    ck_assert_int_eq(mlp_data_loss(net, d, NULL, &loss), MLP_OK);
    return loss;
}

/* Data for exact-update tests: 5 rows, 2-3-2 tanh/linear. */
const double fix_ex_x[10] = {0.5, -0.2, -1.0, 0.7, 0.3, 0.3, 1.2, -0.8, -0.4, -0.9};
const double fix_ex_y[10] = {0.1, 0.9, -0.5, 0.2, 0.7, -0.3, 0.0, 0.4, -0.6, -0.1};

mlp_t *fix_ex_net(void)
{
    const size_t units[2] = {3, 2};
    const int acts[2] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    return fix_make_net(2, 2, units, acts, MLP_LOSS_MSE, 31);
}

int fix_same_params(const mlp_t *a, const mlp_t *b)
{
    return mlp_param_count(a) == mlp_param_count(b) &&
           memcmp(mlp_params_const(a), mlp_params_const(b),
                  mlp_param_count(a) * sizeof(double)) == 0;
}
