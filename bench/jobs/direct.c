/*
 * bench/jobs/direct.c - the core's own speed on a job's work, for
 * scripts/bench-jobs.sh: the lecture's 2-3-1 network (logsig hidden,
 * linear output, mse, xavier seed 42 like a model created through the
 * API) trained with mlp_train on the samples of a CSV file (x1,x2,y per
 * line), online (batch 1, sgd), shuffled with seed 1, no callback.
 *
 * usage: direct FILE.csv EPOCHS LEARNING_RATE REPEATS
 * prints "seconds <best of REPEATS> cpu <CPU seconds of that run> loss <final
 * loss %.17g>"
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mlp.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Rows of "x1,x2,y" into x (n x 2) and y (n); returns n, 0 on error. */
static size_t read_csv(const char *path, double **x, double **y)
{
    FILE *f = fopen(path, "r");
    size_t n = 0, cap = 1024;
    *x = malloc(cap * 2 * sizeof **x);
    *y = malloc(cap * sizeof **y);
    double a, b, c;
    while (f && *x && *y && fscanf(f, "%lf,%lf,%lf", &a, &b, &c) == 3) {
        if (n == cap) {
            cap *= 2;
            double *nx = realloc(*x, cap * 2 * sizeof **x), *ny = realloc(*y, cap * sizeof **y);
            if (nx)
                *x = nx;
            if (ny)
                *y = ny;
            if (!nx || !ny)
                return 0;
        }
        (*x)[2 * n] = a;
        (*x)[2 * n + 1] = b;
        (*y)[n++] = c;
    }
    if (f)
        fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s FILE.csv EPOCHS LEARNING_RATE REPEATS\n", argv[0]);
        return 2;
    }
    double *x = NULL, *y = NULL;
    size_t n = read_csv(argv[1], &x, &y);
    if (n == 0) {
        fprintf(stderr, "direct: no samples in %s\n", argv[1]);
        return 1;
    }
    mlp_spec spec = {.inputs = 2, .n_layers = 2, .loss = MLP_LOSS_MSE};
    spec.layers[0] = (mlp_layer_spec){3, MLP_ACT_SIGMOID};
    spec.layers[1] = (mlp_layer_spec){1, MLP_ACT_LINEAR};
    mlp_train_opts o = mlp_default_train_opts();
    o.epochs = (size_t)atol(argv[2]);
    o.learning_rate = atof(argv[3]);
    o.seed = 1;
    int repeats = atoi(argv[4]);
    mlp_data data = {n, x, y};
    double best = 1e300, best_cpu = 0, loss = 0;
    for (int r = 0; r < repeats; r++) {
        mlp_t *net = NULL;
        mlp_train_result res;
        if (mlp_new(&spec, NULL, NULL, &net) != MLP_OK ||
            mlp_init(net, MLP_INIT_XAVIER_UNIFORM, 42, 0) != MLP_OK)
            return 1;
        double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        mlp_status s = mlp_train(net, &data, &o, NULL, &res);
        double t = clock_s(CLOCK_MONOTONIC) - t0, c = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        mlp_free(net);
        if (s != MLP_OK)
            return 1;
        if (t < best) {
            best = t;
            best_cpu = c;
        }
        loss = res.loss;
    }
    printf("seconds %.6f cpu %.6f loss %.17g\n", best, best_cpu, loss);
    free(x);
    free(y);
    return 0;
}
