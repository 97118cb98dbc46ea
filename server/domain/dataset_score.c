/*
 * dataset_score.c - how well a model's outputs match a dataset's rows:
 * accuracy for classes, scikit-learn's regression metrics otherwise
 * (dataset_def.h). The caller computes the loss; this sees no model.
 */
#include "domain/dataset_def.h"

#include <math.h>
#include <string.h>

/* The class of a row of outputs (or of one-hot targets): the largest,
 * ties to the first; one column: >= 0.5 is class 1. */
static size_t class_of(const double *v, size_t n_out)
{
    if (n_out == 1)
        return v[0] >= 0.5;
    size_t best = 0;
    for (size_t j = 1; j < n_out; j++)
        if (v[j] > v[best])
            best = j;
    return best;
}

static void regression(const double *out, const double *target, size_t n, size_t n_out,
                       ds_score *s)
{
    double mse = 0, rmse = 0, mae = 0, r2 = 0;
    for (size_t j = 0; j < n_out; j++) {
        double mean = 0, se = 0, ae = 0, tot = 0;
        for (size_t i = 0; i < n; i++)
            mean += target[i * n_out + j];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double e = target[i * n_out + j] - out[i * n_out + j];
            double d = target[i * n_out + j] - mean;
            se += e * e;
            ae += fabs(e);
            tot += d * d;
        }
        mse += se / (double)n;
        rmse += sqrt(se / (double)n);
        mae += ae / (double)n;
        /* scikit-learn's force_finite: a constant column is 1 when
         * predicted exactly, else 0 */
        r2 += tot > 0 ? 1.0 - se / tot : (se == 0 ? 1.0 : 0.0);
    }
    s->mse = mse / (double)n_out;
    s->rmse = rmse / (double)n_out;
    s->mae = mae / (double)n_out;
    s->r2 = r2 / (double)n_out;
}

void ds_score_rows(const double *out, const double *target, size_t n, size_t n_out,
                   size_t n_classes, ds_score *s)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    if (n == 0 || n_out == 0)
        return;
    if (!n_classes) {
        regression(out, target, n, n_out, s);
        return;
    }
    size_t right = 0;
    for (size_t i = 0; i < n; i++)
        right += class_of(out + i * n_out, n_out) == class_of(target + i * n_out, n_out);
    s->accuracy = (double)right / (double)n;
}
