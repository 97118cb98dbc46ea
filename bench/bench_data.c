/*
 * bench_data.c - the benchmark's data sets, clock and scores.
 */
#include "bench_data.h"

#include "mlp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

void bench_set_free(bench_set *s)
{
    free(s->x);
    free(s->y);
    free(s->label);
    memset(s, 0, sizeof *s);
}

/* Room for n rows; labels too when with_labels. Returns 0 or -1. */
static int set_alloc(bench_set *s, size_t n, size_t ni, size_t no, int with_labels)
{
    memset(s, 0, sizeof *s);
    s->x = calloc(n * ni, sizeof(double));
    s->y = calloc(n * no, sizeof(double));
    s->label = with_labels ? calloc(n, sizeof(int)) : NULL;
    if (s->x == NULL || s->y == NULL || (with_labels && s->label == NULL)) {
        bench_set_free(s);
        return -1;
    }
    s->n = n, s->ni = ni, s->no = no;
    return 0;
}

int bench_grid_sincos(bench_set *s, size_t n1, size_t n2)
{
    if (n1 < 2 || n2 < 2 || set_alloc(s, n1 * n2, 2, 1, 0) != 0)
        return -1;
    for (size_t i = 0; i < n1; i++)
        for (size_t j = 0; j < n2; j++) {
            size_t r = i * n2 + j;
            double x1 = -2.0 + 4.0 * (double)i / (double)(n1 - 1);
            double x2 = -2.0 + 4.0 * (double)j / (double)(n2 - 1);
            s->x[2 * r] = x1;
            s->x[2 * r + 1] = x2;
            s->y[r] = sin(x1) * cos(x2);
        }
    return 0;
}

#define DIGITS_ROWS 1797
#define DIGITS_IN 64
#define DIGITS_CLASSES 10

/* One CSV line of 65 integers into row r. Returns 0 or -1. */
static int parse_digit_row(const char *line, bench_set *s, size_t r)
{
    const char *p = line;
    for (size_t k = 0; k <= DIGITS_IN; k++) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || (k < DIGITS_IN && *end != ',') ||
            (k == DIGITS_IN && *end != '\n' && *end != '\r' && *end != '\0'))
            return -1;
        if (k < DIGITS_IN) {
            if (v < 0 || v > 16)
                return -1;
            s->x[r * DIGITS_IN + k] = (double)v / 16.0;
        } else {
            if (v < 0 || v >= DIGITS_CLASSES)
                return -1;
            s->label[r] = (int)v;
            s->y[r * DIGITS_CLASSES + (size_t)v] = 1.0;
        }
        p = end + 1;
    }
    return 0;
}

int bench_load_digits(const char *path_gz, bench_set *s)
{
    char cmd[4200], line[1024];
    if (strchr(path_gz, '\'') != NULL || strlen(path_gz) > 4000) {
        fprintf(stderr, "digits: unusable path %s\n", path_gz);
        return -1;
    }
    if (set_alloc(s, DIGITS_ROWS, DIGITS_IN, DIGITS_CLASSES, 1) != 0) {
        fprintf(stderr, "digits: out of memory\n");
        return -1;
    }
    snprintf(cmd, sizeof cmd, "gzip -dc '%s'", path_gz);
    FILE *f = popen(cmd, "r");
    if (f == NULL) {
        perror("digits: popen gzip");
        goto fail;
    }
    size_t rows = 0;
    int bad = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (rows >= DIGITS_ROWS || parse_digit_row(line, s, rows) != 0) {
            bad = 1;
            break;
        }
        rows++;
    }
    int st = pclose(f);
    if (bad || rows != DIGITS_ROWS || st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "digits: %s: expected %d lines of 64 values 0..16 and a label 0..9 "
                        "(line %zu is bad or gzip failed)\n", path_gz, DIGITS_ROWS, rows + 1);
        goto fail;
    }
    return 0;
fail:
    bench_set_free(s);
    return -1;
}

/* Copy rows idx[0..n) of src into dst (allocated here). */
static int gather(const bench_set *src, const size_t *idx, size_t n, bench_set *dst)
{
    if (set_alloc(dst, n, src->ni, src->no, src->label != NULL) != 0)
        return -1;
    for (size_t k = 0; k < n; k++) {
        size_t r = idx[k];
        memcpy(dst->x + k * src->ni, src->x + r * src->ni, src->ni * sizeof(double));
        memcpy(dst->y + k * src->no, src->y + r * src->no, src->no * sizeof(double));
        if (src->label)
            dst->label[k] = src->label[r];
    }
    return 0;
}

int bench_split(const bench_set *all, uint64_t seed, size_t n_train, bench_set *train,
                bench_set *test)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    if (n_train == 0 || n_train >= all->n)
        return -1;
    size_t *idx = malloc(all->n * sizeof *idx);
    if (idx == NULL)
        return -1;
    for (size_t i = 0; i < all->n; i++)
        idx[i] = i;
    mlp_rng rng;
    mlp_rng_seed(&rng, seed);
    for (size_t i = all->n; i > 1; i--) { /* Fisher-Yates */
        size_t j = (size_t)(mlp_rng_next(&rng) % i);
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
    int rc = gather(all, idx, n_train, train);
    if (rc == 0)
        rc = gather(all, idx + n_train, all->n - n_train, test);
    free(idx);
    if (rc != 0) {
        bench_set_free(train);
        bench_set_free(test);
    }
    return rc;
}

int bench_teacher_set(bench_set *s, size_t n, size_t ni, size_t nh, size_t no, uint64_t seed)
{
    mlp_spec spec = {.inputs = ni, .n_layers = 2, .loss = MLP_LOSS_MSE};
    spec.layers[0] = (mlp_layer_spec){nh, MLP_ACT_SIGMOID};
    spec.layers[1] = (mlp_layer_spec){no, MLP_ACT_LINEAR};
    mlp_t *teacher = NULL;
    double *work = NULL;
    if (set_alloc(s, n, ni, no, 0) != 0)
        return -1;
    if (mlp_new(&spec, NULL, NULL, &teacher) != MLP_OK ||
        mlp_init(teacher, MLP_INIT_XAVIER_UNIFORM, seed, 0.0) != MLP_OK)
        goto fail;
    work = malloc(mlp_work_size(teacher) * sizeof(double));
    if (work == NULL)
        goto fail;
    mlp_rng rng;
    mlp_rng_seed(&rng, seed ^ 0x5eedf00dull);
    for (size_t i = 0; i < n * ni; i++)
        s->x[i] = mlp_rng_uniform(&rng);
    if (mlp_predict(teacher, n, s->x, s->y, work) != MLP_OK)
        goto fail;
    free(work);
    mlp_free(teacher);
    return 0;
fail:
    free(work);
    mlp_free(teacher);
    bench_set_free(s);
    return -1;
}

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double bench_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double bench_half_mse(const double *y, const double *d, size_t n, size_t no)
{
    double sum = 0.0;
    for (size_t r = 0; r < n; r++) {
        double E = 0.0;
        for (size_t j = 0; j < no; j++) {
            double e = d[r * no + j] - y[r * no + j];
            E += e * e;
        }
        sum += 0.5 * E;
    }
    return sum / (double)n;
}

double bench_accuracy(const double *y, const int *label, size_t n, size_t no)
{
    size_t hits = 0;
    for (size_t r = 0; r < n; r++) {
        size_t best = 0;
        for (size_t j = 1; j < no; j++)
            if (y[r * no + j] > y[r * no + best])
                best = j;
        hits += (int)best == label[r];
    }
    return (double)hits / (double)n;
}
