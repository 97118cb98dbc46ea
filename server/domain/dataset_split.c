/*
 * dataset_split.c - the seeded, stratified choice of a dataset's test
 * rows; the rows of one side copied out; the statistics a reader sees
 * (training rows, for everyone who may read the set) apart from those
 * of the test rows (the owner's).
 */
#include "domain/dataset_def.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"

/* A class's share of the test rows, for the largest-remainder order. */
typedef struct share {
    size_t cls, count, take;
    double rem;
} share;

static int by_remainder(const void *a, const void *b)
{
    const share *x = a, *y = b;
    if (x->rem != y->rem)
        return x->rem < y->rem ? 1 : -1;
    return (x->cls > y->cls) - (x->cls < y->cls);
}

static int by_class(const void *a, const void *b)
{
    const share *x = a, *y = b;
    return (x->cls > y->cls) - (x->cls < y->cls);
}

/* How many test rows each group (class; one group for regression) gives:
 * floors of count * n_test / n, then one more to the largest remainders. */
static void allocate(share *g, size_t groups, size_t n, size_t n_test)
{
    size_t given = 0;
    for (size_t c = 0; c < groups; c++) {
        double want = (double)g[c].count * (double)n_test / (double)n;
        g[c].take = (size_t)floor(want);
        g[c].rem = want - floor(want);
        given += g[c].take;
    }
    qsort(g, groups, sizeof *g, by_remainder);
    for (size_t c = 0; c < groups && given < n_test; c++)
        if (g[c].take < g[c].count) {
            g[c].take++;
            given++;
        }
    qsort(g, groups, sizeof *g, by_class);
}

int ds_split(const ds_table *t, double test_fraction, uint64_t seed, unsigned char *is_test,
             size_t *n_test, ds_error *err)
{
    memset(is_test, 0, t->n);
    *n_test = 0;
    size_t want = (size_t)ceil(test_fraction * (double)t->n);
    if (want == 0)
        return 0;
    if (want >= t->n) {
        json_fail(&err->e, JSON_ERR_INVALID_FIELD, "test_fraction",
                  "test_fraction %.17g of %zu rows leaves no row to train on.", test_fraction,
                  t->n);
        return -1;
    }
    size_t groups = t->n_classes ? t->n_classes : 1;
    share *g = calloc(groups, sizeof *g);
    size_t *idx = calloc(t->n + 1, sizeof *idx), *start = calloc(groups + 1, sizeof *start);
    if (!g || !idx || !start) {
        free(g);
        free(idx);
        free(start);
        json_fail(&err->e, JSON_ERR_INVALID_FIELD, NULL, "Out of memory.");
        return -1;
    }
    for (size_t c = 0; c < groups; c++)
        g[c].cls = c;
    for (size_t i = 0; i < t->n; i++)
        g[t->n_classes ? t->label[i] : 0].count++;
    /* the rows of each group in order: a counting sort by class */
    for (size_t c = 0; c < groups; c++)
        start[c + 1] = start[c] + g[c].count;
    size_t *fill = calloc(groups, sizeof *fill);
    for (size_t i = 0; fill && i < t->n; i++) {
        size_t c = t->n_classes ? t->label[i] : 0;
        idx[start[c] + fill[c]++] = i;
    }
    allocate(g, groups, t->n, want);
    mlp_rng rng;
    mlp_rng_seed(&rng, seed);
    for (size_t c = 0; fill && c < groups; c++) {
        size_t *rows = idx + start[c], m = g[c].count;
        /* a partial Fisher-Yates shuffle: the first `take` are the test rows */
        for (size_t k = 0; k < g[c].take; k++) {
            size_t j = k + (size_t)(mlp_rng_next(&rng) % (uint64_t)(m - k));
            size_t tmp = rows[k];
            rows[k] = rows[j];
            rows[j] = tmp;
            is_test[rows[k]] = 1;
        }
        *n_test += g[c].take;
    }
    int rc = fill ? 0 : -1;
    if (!fill)
        json_fail(&err->e, JSON_ERR_INVALID_FIELD, NULL, "Out of memory.");
    free(fill);
    free(g);
    free(idx);
    free(start);
    return rc;
}

int ds_take(const ds_table *t, const unsigned char *is_test, int test, double **x, double **y,
            double **y1, size_t *rows)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        n += (is_test[i] != 0) == (test != 0);
    *x = malloc(n * t->n_in * sizeof **x + 1);
    *y = malloc(n * t->n_out * sizeof **y + 1);
    *y1 = t->n_classes == 2 ? malloc(n * sizeof **y1 + 1) : NULL;
    if (!*x || !*y || (t->n_classes == 2 && !*y1)) {
        free(*x);
        free(*y);
        free(*y1);
        *x = *y = *y1 = NULL;
        return -1;
    }
    size_t r = 0;
    for (size_t i = 0; i < t->n; i++) {
        if ((is_test[i] != 0) != (test != 0))
            continue;
        memcpy(*x + r * t->n_in, t->x + i * t->n_in, t->n_in * sizeof **x);
        memcpy(*y + r * t->n_out, t->y + i * t->n_out, t->n_out * sizeof **y);
        if (*y1)
            (*y1)[r] = t->label[i] == 1 ? 1.0 : 0.0;
        r++;
    }
    *rows = n;
    return 0;
}

/* Mean, population standard deviation, min and max of column c of v
 * (width w) over the rows of one side; written as one JSON object. */
static void column_stats(sbuf *b, const char *name, int numbered, size_t c, const double *v,
                         size_t w, const ds_table *t, const unsigned char *is_test, int test)
{
    double sum = 0, lo = INFINITY, hi = -INFINITY;
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        if ((is_test[i] != 0) != (test != 0))
            continue;
        double x = v[i * w + c];
        sum += x;
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
        n++;
    }
    double mean = n ? sum / (double)n : 0, ss = 0;
    for (size_t i = 0; i < t->n; i++)
        if ((is_test[i] != 0) == (test != 0))
            ss += (v[i * w + c] - mean) * (v[i * w + c] - mean);
    sbuf_puts(b, "{\"name\":");
    if (numbered) {
        char nm[24];
        snprintf(nm, sizeof nm, "%s%zu", name, c + 1);
        sbuf_json_string(b, nm);
    } else {
        sbuf_json_string(b, name);
    }
    sbuf_puts(b, ",\"mean\":");
    sbuf_json_number(b, mean);
    sbuf_puts(b, ",\"std\":");
    sbuf_json_number(b, n ? sqrt(ss / (double)n) : 0);
    sbuf_puts(b, ",\"min\":");
    sbuf_json_number(b, n ? lo : 0);
    sbuf_puts(b, ",\"max\":");
    sbuf_json_number(b, n ? hi : 0);
    sbuf_putc(b, '}');
}

/* "columns": the inputs, and "class_counts" or "targets", of one side. */
static void side_stats(sbuf *b, const ds_table *t, const unsigned char *is_test, int test)
{
    sbuf_puts(b, "\"columns\":[");
    for (size_t c = 0; c < t->n_in; c++) {
        if (c)
            sbuf_putc(b, ',');
        column_stats(b, t->feature_names ? t->feature_names[c] : "x", !t->feature_names, c,
                     t->x, t->n_in, t, is_test, test);
    }
    sbuf_putc(b, ']');
    if (t->n_classes) {
        sbuf_puts(b, ",\"class_counts\":{");
        for (size_t k = 0; k < t->n_classes; k++) {
            size_t count = 0;
            for (size_t i = 0; i < t->n; i++)
                count += t->label[i] == k && (is_test[i] != 0) == (test != 0);
            if (k)
                sbuf_putc(b, ',');
            sbuf_json_string(b, t->classes[k]);
            sbuf_putc(b, ':');
            sbuf_json_int(b, (long long)count);
        }
        sbuf_putc(b, '}');
        return;
    }
    sbuf_puts(b, ",\"targets\":[");
    for (size_t c = 0; c < t->n_out; c++) {
        if (c)
            sbuf_putc(b, ',');
        column_stats(b, t->target_names ? t->target_names[c] : "y", !t->target_names, c, t->y,
                     t->n_out, t, is_test, test);
    }
    sbuf_putc(b, ']');
}

void ds_describe(const ds_table *t, const unsigned char *is_test, sbuf *pub, sbuf *owner)
{
    size_t n_test = 0;
    for (size_t i = 0; i < t->n; i++)
        n_test += is_test[i] != 0;
    sbuf_printf(pub, "\"inputs\":%zu,\"outputs\":%zu,\"rows\":%zu,\"train_rows\":%zu,"
                     "\"test_rows\":%zu,",
                t->n_in, t->n_out, t->n, t->n - n_test, n_test);
    if (t->n_classes) {
        sbuf_puts(pub, "\"classes\":[");
        for (size_t k = 0; k < t->n_classes; k++) {
            if (k)
                sbuf_putc(pub, ',');
            sbuf_json_string(pub, t->classes[k]);
        }
        sbuf_puts(pub, "],");
    }
    side_stats(pub, t, is_test, 0);
    sbuf_puts(owner, "\"test\":{");
    side_stats(owner, t, is_test, 1);
    sbuf_putc(owner, '}');
}
