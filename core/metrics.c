/*
 * metrics.c - sklearn.metrics' definitions (see metrics.h).
 *
 * Each formula is written in the order sklearn 1.2 evaluates it (means over
 * rows per output first, then the mean over outputs; f1 as
 * 2 p r / (p + r) like its fbeta with beta 1), so results agree to
 * rounding (the unit tests hold them to 1e-12 against sklearn's numbers).
 */
#include "metrics.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int all_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

static int classes_ok(const size_t *c, size_t n, size_t k)
{
    for (size_t i = 0; i < n; i++)
        if (c[i] >= k)
            return 0;
    return 1;
}

/* ------------------------------------------------------------------ */
/* Regression                                                          */

/* One output column j: its mse, mae and r2 terms. */
static void regression_column(size_t n, size_t d, const double *t, const double *p, size_t j,
                              double *mse, double *mae, double *r2)
{
    double sq = 0.0, ab = 0.0, sum = 0.0, tot = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = t[i * d + j] - p[i * d + j];
        sq += e * e;
        ab += fabs(e);
        sum += t[i * d + j];
    }
    double mean = sum / (double)n;
    for (size_t i = 0; i < n; i++) {
        double c = t[i * d + j] - mean;
        tot += c * c;
    }
    *mse = sq / (double)n;
    *mae = ab / (double)n;
    /* sklearn's force_finite: perfect is 1, a constant target missed is 0 */
    if (sq == 0.0)
        *r2 = 1.0;
    else if (tot == 0.0)
        *r2 = 0.0;
    else
        *r2 = 1.0 - sq / tot;
}

mlp_status mlp_regression_metrics(size_t n, size_t outputs, const double *y_true,
                                  const double *y_pred, mlp_regression_scores *out)
{
    if (n == 0 || outputs == 0 || !y_true || !y_pred || !out)
        return MLP_ERR_INVALID;
    if (n > SIZE_MAX / outputs)
        return MLP_ERR_LIMIT;
    if (!all_finite(y_true, n * outputs) || !all_finite(y_pred, n * outputs))
        return MLP_ERR_NONFINITE;
    double mse = 0.0, rmse = 0.0, mae = 0.0, r2 = 0.0;
    for (size_t j = 0; j < outputs; j++) {
        double m, a, r;
        regression_column(n, outputs, y_true, y_pred, j, &m, &a, &r);
        mse += m;
        rmse += sqrt(m);
        mae += a;
        r2 += r;
    }
    double k = (double)outputs;
    out->mse = mse / k;
    out->rmse = rmse / k;
    out->mae = mae / k;
    out->r2 = n < 2 ? NAN : r2 / k;
    return MLP_OK;
}

/* ------------------------------------------------------------------ */
/* Classes                                                             */

size_t mlp_argmax(const double *p, size_t k)
{
    if (p == NULL || k == 0)
        return 0;
    if (k == 1)
        return p[0] > 0.5 ? 1 : 0;
    size_t best = 0;
    for (size_t c = 1; c < k; c++)
        if (p[c] > p[best])
            best = c;
    return best;
}

mlp_status mlp_predict_classes(size_t n, size_t width, const double *probs, size_t *pred)
{
    if (n == 0 || width == 0 || !probs || !pred)
        return MLP_ERR_INVALID;
    if (n > SIZE_MAX / width)
        return MLP_ERR_LIMIT;
    if (!all_finite(probs, n * width))
        return MLP_ERR_NONFINITE;
    for (size_t i = 0; i < n; i++)
        pred[i] = mlp_argmax(probs + i * width, width);
    return MLP_OK;
}

mlp_status mlp_confusion_matrix(size_t n, size_t k, const size_t *y_true, const size_t *y_pred,
                                size_t *cm)
{
    if (n == 0 || k < 2 || !y_true || !y_pred || !cm)
        return MLP_ERR_INVALID;
    if (k > SIZE_MAX / k)
        return MLP_ERR_LIMIT;
    if (!classes_ok(y_true, n, k) || !classes_ok(y_pred, n, k))
        return MLP_ERR_INVALID;
    memset(cm, 0, k * k * sizeof *cm);
    for (size_t i = 0; i < n; i++)
        cm[y_true[i] * k + y_pred[i]]++;
    return MLP_OK;
}

/* a / b, or 0 where b is 0 (zero_division=0). */
static double ratio(size_t a, size_t b)
{
    return b == 0 ? 0.0 : (double)a / (double)b;
}

mlp_status mlp_class_metrics(size_t k, const size_t *cm, double *precision, double *recall,
                             double *f1, mlp_class_scores *out)
{
    if (k < 2 || !cm || !out)
        return MLP_ERR_INVALID;
    if (k > SIZE_MAX / k)
        return MLP_ERR_LIMIT;
    size_t total = 0, correct = 0;
    for (size_t i = 0; i < k * k; i++)
        total += cm[i];
    if (total == 0)
        return MLP_ERR_INVALID;
    double sp = 0.0, sr = 0.0, sf = 0.0;
    for (size_t c = 0; c < k; c++) {
        size_t tp = cm[c * k + c], predicted = 0, actual = 0;
        for (size_t o = 0; o < k; o++) {
            predicted += cm[o * k + c];
            actual += cm[c * k + o];
        }
        correct += tp;
        double p = ratio(tp, predicted), r = ratio(tp, actual);
        double denom = p + r;
        double f = 2.0 * p * r / (denom == 0.0 ? 1.0 : denom);
        if (precision)
            precision[c] = p;
        if (recall)
            recall[c] = r;
        if (f1)
            f1[c] = f;
        sp += p;
        sr += r;
        sf += f;
    }
    out->accuracy = (double)correct / (double)total;
    out->macro_precision = sp / (double)k;
    out->macro_recall = sr / (double)k;
    out->macro_f1 = sf / (double)k;
    return MLP_OK;
}

static double clip(double p)
{
    const double eps = DBL_EPSILON;
    return p < eps ? eps : (p > 1.0 - eps ? 1.0 - eps : p);
}

mlp_status mlp_log_loss(size_t n, size_t width, const size_t *y_true, const double *probs,
                        double *out)
{
    if (n == 0 || width == 0 || !y_true || !probs || !out)
        return MLP_ERR_INVALID;
    size_t k = width == 1 ? 2 : width;
    if (n > SIZE_MAX / width)
        return MLP_ERR_LIMIT;
    if (!classes_ok(y_true, n, k))
        return MLP_ERR_INVALID;
    if (!all_finite(probs, n * width))
        return MLP_ERR_NONFINITE;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double *row = probs + i * width;
        double s = 0.0, mine;
        if (width == 1) {
            double p = clip(row[0]), q = 1.0 - p;
            s = q + p;
            mine = y_true[i] == 1 ? p : q;
        } else {
            for (size_t c = 0; c < width; c++)
                s += clip(row[c]);
            mine = clip(row[y_true[i]]);
        }
        sum += -log(mine / s);
    }
    *out = sum / (double)n;
    return MLP_OK;
}

size_t mlp_roc_auc_work_size(size_t n)
{
    return n > SIZE_MAX / 2 ? 0 : 2 * n;
}

/* (score, label) pairs, by score from the highest down. */
static int by_score_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

mlp_status mlp_roc_auc(size_t n, const size_t *y_true, const double *score, double *work,
                       double *out)
{
    if (n == 0 || !y_true || !score || !work || !out)
        return MLP_ERR_INVALID;
    if (n > SIZE_MAX / (2 * sizeof(double)))
        return MLP_ERR_LIMIT;
    if (!classes_ok(y_true, n, 2))
        return MLP_ERR_INVALID;
    if (!all_finite(score, n))
        return MLP_ERR_NONFINITE;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        pos += y_true[i];
        work[2 * i] = score[i];
        work[2 * i + 1] = (double)y_true[i];
    }
    if (pos == 0 || pos == n)
        return MLP_ERR_INVALID; /* one class only: undefined */
    qsort(work, n, 2 * sizeof(double), by_score_desc);
    /* Walk the distinct thresholds: (fpr, tpr) after each group of ties. */
    double P = (double)pos, N = (double)(n - pos), area = 0.0;
    double fpr0 = 0.0, tpr0 = 0.0;
    size_t tps = 0, fps = 0;
    for (size_t i = 0; i < n; i++) {
        if (work[2 * i + 1] != 0.0)
            tps++;
        else
            fps++;
        if (i + 1 < n && work[2 * (i + 1)] == work[2 * i])
            continue; /* same threshold: one step of the curve */
        double fpr = (double)fps / N, tpr = (double)tps / P;
        area += (fpr - fpr0) * (tpr + tpr0) / 2.0;
        fpr0 = fpr;
        tpr0 = tpr;
    }
    *out = area;
    return MLP_OK;
}
