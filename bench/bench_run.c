/*
 * bench_run.c - timed runs and scoring shared by the benchmarks.
 */
#include "bench_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* ni - units[0] - ... network, logsig hidden, linear output, mse, xavier. */
mlp_t *make_net(size_t ni, const size_t *units, size_t n_layers, uint64_t seed)
{
    mlp_spec spec = {.inputs = ni, .n_layers = n_layers, .loss = MLP_LOSS_MSE};
    for (size_t l = 0; l < n_layers; l++)
        spec.layers[l] = (mlp_layer_spec){units[l], l + 1 < n_layers ? MLP_ACT_SIGMOID
                                                                     : MLP_ACT_LINEAR};
    mlp_t *net = NULL;
    mlp_status s = mlp_new(&spec, NULL, NULL, &net);
    if (s == MLP_OK)
        s = mlp_init(net, MLP_INIT_XAVIER_UNIFORM, seed, 0.0);
    if (s != MLP_OK) {
        fprintf(stderr, "mlp_new/mlp_init: %s\n", mlp_status_name(s));
        mlp_free(net);
        return NULL;
    }
    return net;
}

/* Plain, unshuffled SGD: what FANN's incremental rule does at batch 1. */
mlp_train_opts sgd_opts(size_t epochs, double lr, size_t batch)
{
    mlp_train_opts o = mlp_default_train_opts();
    o.epochs = epochs;
    o.learning_rate = lr;
    o.batch_size = batch;
    o.shuffle = 0;
    return o;
}

/* Train a clone of init; on success *net (freed first) is the trained one. */
int mlpd_once(const mlp_t *init, const bench_set *train, const mlp_train_opts *o,
                     double *secs, double *wall, size_t *epochs, mlp_t **net)
{
    mlp_t *n = NULL;
    mlp_data d = {.n = train->n, .x = train->x, .y = train->y};
    mlp_train_result res;
    if (mlp_clone(init, &n) != MLP_OK)
        return -1;
    double w0 = bench_now(), t0 = bench_cpu_now();
    mlp_status s = mlp_train(n, &d, o, NULL, &res);
    *secs = bench_cpu_now() - t0;
    *wall = bench_now() - w0;
    if (s != MLP_OK) {
        fprintf(stderr, "mlp_train: %s (stop %s)\n", mlp_status_name(s), mlp_stop_name(res.stop));
        mlp_free(n);
        return -1;
    }
    *epochs = res.epochs_run;
    mlp_free(*net);
    *net = n;
    return 0;
}

/* epochs of FANN incremental training on a copy of init; *ann as above. */
int fann_once(struct fann *init, struct fann_train_data *d, size_t epochs, double *secs,
                     double *wall, struct fann **ann)
{
    struct fann *a = bench_fann_copy(init);
    if (a == NULL || fann_get_training_algorithm(a) != FANN_TRAIN_INCREMENTAL) {
        fprintf(stderr, "fann: could not copy the twin with its training set-up\n");
        if (a)
            fann_destroy(a);
        return -1;
    }
    double w0 = bench_now(), t0 = bench_cpu_now();
    for (size_t e = 0; e < epochs; e++)
        fann_train_epoch(a, d);
    *secs = bench_cpu_now() - t0;
    *wall = bench_now() - w0;
    if (fann_get_errno((struct fann_error *)a) != FANN_E_NO_ERROR) {
        fprintf(stderr, "fann_train_epoch: %s\n", fann_get_errstr((struct fann_error *)a));
        fann_destroy(a);
        return -1;
    }
    if (*ann)
        fann_destroy(*ann);
    *ann = a;
    return 0;
}

/* Loss on train, loss and accuracy on test (may be NULL), from one
 * library's own forward pass: mlpd's when net is given, else FANN's. */
int score_outputs(const bench_set *train, const bench_set *test, const mlp_t *net,
                         struct fann *ann, score *sc)
{
    size_t rows = test && test->n > train->n ? test->n : train->n;
    double *y = malloc(rows * train->no * sizeof(double));
    if (y == NULL)
        return -1;
    int rc = 0;
    const bench_set *sets[2] = {train, test};
    for (int k = 0; k < 2 && rc == 0; k++) {
        const bench_set *s = sets[k];
        if (s == NULL)
            break;
        if (net)
            rc = bench_mlp_predict(net, s, y) == MLP_OK ? 0 : -1;
        else
            bench_fann_predict(ann, s, y);
        if (k == 0) {
            sc->loss = bench_half_mse(y, s->y, s->n, s->no);
        } else {
            sc->test_loss = bench_half_mse(y, s->y, s->n, s->no);
            sc->acc = s->label ? bench_accuracy(y, s->label, s->n, s->no) : NAN;
        }
    }
    free(y);
    return rc;
}


void print_cpu(void)
{
    char line[256];
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0) {
            char *p = strchr(line, ':');
            printf("cpu:%s", p ? p + 1 : line);
            break;
        }
    if (f)
        fclose(f);
}

/* The machine may be shared: say how busy it was (ratios come from runs
 * made in the same rounds, so they suffer less than absolute rates). */
void print_load(const char *what)
{
    double l1 = NAN, l5 = NAN, l15 = NAN;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &l1, &l5, &l15) != 3)
            l1 = l5 = l15 = NAN;
        fclose(f);
    }
    printf("%s (1, 5, 15 min; %ld CPUs): %.2f %.2f %.2f\n", what,
           sysconf(_SC_NPROCESSORS_ONLN), l1, l5, l15);
}

