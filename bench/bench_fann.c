/*
 * bench_fann.c - mlpd's twin in FANN.
 *
 * FANN's layout (2.2.0, fann_create_standard): every layer holds its units
 * followed by one bias neuron (value 1), numbered globally from the first
 * input; fann_get_connection_array lists, for each neuron in order, its
 * incoming connections (the units of the layer below, then that layer's
 * bias), and entry k of that list is entry k of ann->weights. mlpd's W_l is
 * units x fan_in row-major with b_l after it, so connection (from, to)
 * maps to W_l[to - first(l+1)][from - first(l)] or, from the bias, b_l.
 *
 * FANN's logistic is 1/(1+exp(-2 s v)), so steepness 0.5 gives mlpd's logsig;
 * linear outputs are s v, so their steepness is 1.
 */
#include "bench_fann.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* fann_set_weight searches every connection for each weight it sets, so
 * fann_set_weight_array is quadratic; past this many connections the twin
 * writes ann->weights directly in connection-array order instead. */
#define SET_WEIGHT_ARRAY_MAX 50000u

static int twin_compatible(const mlp_t *net)
{
    const mlp_spec *spec = mlp_get_spec(net);
    if (spec->loss != MLP_LOSS_MSE || spec->layers[spec->n_layers - 1].activation != MLP_ACT_LINEAR)
        return 0;
    for (size_t l = 0; l + 1 < spec->n_layers; l++)
        if (spec->layers[l].activation != MLP_ACT_SIGMOID)
            return 0;
    return 1;
}

/* Index into mlpd's parameters of the connection (from, to), or -1 if FANN
 * lists a connection mlpd has no weight for. first[k] is the global number
 * of layer k's first neuron, size[k] its units (bias excluded). */
static long param_index(const mlp_t *net, const unsigned *first, const unsigned *size,
                        size_t n_fann_layers, unsigned from, unsigned to)
{
    for (size_t k = 1; k < n_fann_layers; k++) {
        if (to < first[k] || to >= first[k] + size[k])
            continue;
        size_t fan_in, w_off, b_off, j = to - first[k];
        if (from < first[k - 1] || from > first[k - 1] + size[k - 1] ||
            mlp_layer_offsets(net, k - 1, &fan_in, &w_off, &b_off) != MLP_OK)
            return -1;
        size_t i = from - first[k - 1];
        return (long)(i == size[k - 1] ? b_off + j : w_off + j * fan_in + i);
    }
    return -1;
}

/* Copy net's parameters into ann; every parameter must be hit exactly once
 * (genann's walk-covers-the-buffer check). Returns 0 or -1. */
static int copy_weights(const mlp_t *net, struct fann *ann)
{
    const mlp_spec *spec = mlp_get_spec(net);
    size_t P = mlp_param_count(net), nl = spec->n_layers + 1;
    unsigned first[MLP_MAX_LAYERS + 1], size[MLP_MAX_LAYERS + 1];
    unsigned C = fann_get_total_connections(ann);
    struct fann_connection *con = malloc((C ? C : 1) * sizeof *con);
    unsigned char *seen = calloc(P, 1);
    const double *p = mlp_params_const(net);
    int rc = -1;

    if (con == NULL || seen == NULL || C != P || fann_get_num_layers(ann) != nl)
        goto out;
    fann_get_layer_array(ann, size);
    first[0] = 0;
    for (size_t k = 1; k < nl; k++)
        first[k] = first[k - 1] + size[k - 1] + 1; /* + the bias neuron */
    fann_get_connection_array(ann, con);
    for (unsigned c = 0; c < C; c++) {
        long idx = param_index(net, first, size, nl, con[c].from_neuron, con[c].to_neuron);
        if (idx < 0 || seen[idx])
            goto out;
        seen[idx] = 1;
        con[c].weight = p[idx];
    }
    if (C <= SET_WEIGHT_ARRAY_MAX) {
        fann_set_weight_array(ann, con, C);
    } else {
        for (unsigned c = 0; c < C; c++)
            ann->weights[c] = con[c].weight;
    }
    rc = 0;
out:
    free(con);
    free(seen);
    return rc;
}

/* The training set-up, which fann_copy does not carry over (2.2.0 leaves
 * the copy on its default, RPROP). */
static void set_training(struct fann *ann, float learning_rate)
{
    fann_set_training_algorithm(ann, FANN_TRAIN_INCREMENTAL);
    fann_set_train_error_function(ann, FANN_ERRORFUNC_LINEAR);
    fann_set_learning_rate(ann, learning_rate);
    fann_set_learning_momentum(ann, 0.0f);
}

struct fann *bench_fann_copy(struct fann *twin)
{
    struct fann *ann = fann_copy(twin);
    if (ann)
        set_training(ann, fann_get_learning_rate(twin));
    return ann;
}

struct fann *bench_fann_twin(const mlp_t *net, double learning_rate)
{
    const mlp_spec *spec = mlp_get_spec(net);
    unsigned layers[MLP_MAX_LAYERS + 1];
    if (!twin_compatible(net) || (double)(float)learning_rate != learning_rate) {
        fprintf(stderr, "fann twin: needs logsig hidden, linear mse output, float lr\n");
        return NULL;
    }
    layers[0] = (unsigned)spec->inputs;
    for (size_t l = 0; l < spec->n_layers; l++)
        layers[l + 1] = (unsigned)spec->layers[l].units;
    struct fann *ann = fann_create_standard_array((unsigned)spec->n_layers + 1, layers);
    if (ann == NULL) {
        fprintf(stderr, "fann twin: fann_create_standard_array failed\n");
        return NULL;
    }
    set_training(ann, (float)learning_rate);
    fann_set_activation_function_hidden(ann, FANN_SIGMOID);
    fann_set_activation_steepness_hidden(ann, 0.5);
    fann_set_activation_function_output(ann, FANN_LINEAR);
    fann_set_activation_steepness_output(ann, 1.0);
    if (copy_weights(net, ann) != 0 ||
        fann_get_errno((struct fann_error *)ann) != FANN_E_NO_ERROR) {
        fprintf(stderr, "fann twin: could not map FANN's connections onto mlpd's weights\n");
        fann_destroy(ann);
        return NULL;
    }
    return ann;
}

struct fann_train_data *bench_fann_data(const bench_set *s)
{
    struct fann_train_data *d = fann_create_train((unsigned)s->n, (unsigned)s->ni, (unsigned)s->no);
    if (d == NULL)
        return NULL;
    for (size_t r = 0; r < s->n; r++) {
        memcpy(d->input[r], s->x + r * s->ni, s->ni * sizeof(double));
        memcpy(d->output[r], s->y + r * s->no, s->no * sizeof(double));
    }
    return d;
}

void bench_fann_predict(struct fann *ann, const bench_set *s, double *out)
{
    for (size_t r = 0; r < s->n; r++) {
        const fann_type *y = fann_run(ann, s->x + r * s->ni);
        memcpy(out + r * s->no, y, s->no * sizeof(double));
    }
}

int bench_mlp_predict(const mlp_t *net, const bench_set *s, double *out)
{
    double *work = malloc(mlp_work_size(net) * sizeof(double));
    if (work == NULL)
        return MLP_ERR_NOMEM;
    mlp_status st = mlp_predict(net, s->n, s->x, out, work);
    free(work);
    return st;
}

double bench_twin_max_diff(const mlp_t *net, struct fann *ann, const bench_set *s)
{
    double *a = malloc(s->n * s->no * sizeof(double));
    double *b = malloc(s->n * s->no * sizeof(double));
    double diff = -1.0;
    if (a && b && bench_mlp_predict(net, s, a) == MLP_OK) {
        bench_fann_predict(ann, s, b);
        diff = 0.0;
        for (size_t i = 0; i < s->n * s->no; i++) {
            double d = fabs(a[i] - b[i]);
            if (isnan(d)) {
                diff = INFINITY;
                break;
            }
            diff = d > diff ? d : diff;
        }
    }
    free(a);
    free(b);
    return diff;
}
