/*
 * scaler.c - StandardScaler and MinMaxScaler (see scaler.h).
 *
 * The fit follows sklearn 1.2's arithmetic step by step, so that the
 * parameters agree to the last bits and not merely to 1e-12:
 *   standard: sum over rows in order, mean = sum / n; t = x - mean,
 *             var = (sum t^2 - (sum t)^2 / n) / n (its _incremental_mean_and_var
 *             with the correction term), scale = sqrt(var), and 1 where
 *             _is_constant_feature says var <= n eps var + (n mean eps)^2;
 *   minmax:   range = max - min, and 1 where range < 10 eps.
 */
#include "scaler.h"

#include <float.h>
#include <math.h>
#include <string.h>

int mlp_scale_from_name(const char *name)
{
    if (name == NULL)
        return 0;
    if (strcmp(name, "none") == 0)
        return MLP_SCALE_NONE;
    if (strcmp(name, "standard") == 0)
        return MLP_SCALE_STANDARD;
    if (strcmp(name, "minmax") == 0)
        return MLP_SCALE_MINMAX;
    return 0;
}

const char *mlp_scale_name(int id)
{
    switch (id) {
    case MLP_SCALE_NONE: return "none";
    case MLP_SCALE_STANDARD: return "standard";
    case MLP_SCALE_MINMAX: return "minmax";
    default: return NULL;
    }
}

mlp_status mlp_scaler_init(mlp_scaler *s, int method, size_t dims, double *offset, double *scale)
{
    if (s == NULL || mlp_scale_name(method) == NULL || dims == 0 || offset == NULL ||
        scale == NULL)
        return MLP_ERR_INVALID;
    s->method = method;
    s->dims = dims;
    s->offset = offset;
    s->scale = scale;
    for (size_t j = 0; j < dims; j++) {
        offset[j] = 0.0;
        scale[j] = 1.0;
    }
    return MLP_OK;
}

static int usable(const mlp_scaler *s)
{
    return s && mlp_scale_name(s->method) && s->dims > 0 && s->offset && s->scale;
}

/* Column j of n rows: mean and scale as StandardScaler computes them. */
static void standard_column(size_t n, size_t d, const double *x, size_t j, double *mean,
                            double *scale)
{
    double sum = 0.0, corr = 0.0, sq = 0.0, nn = (double)n;
    for (size_t i = 0; i < n; i++)
        sum += x[i * d + j];
    double m = sum / nn;
    for (size_t i = 0; i < n; i++) {
        double t = x[i * d + j] - m;
        corr += t;
        sq += t * t;
    }
    double var = (sq - corr * corr / nn) / nn;
    double bound = nn * DBL_EPSILON * var + (nn * m * DBL_EPSILON) * (nn * m * DBL_EPSILON);
    *mean = m;
    /* an overflowed variance stays infinite (refused), not "constant" */
    *scale = isfinite(var) && var <= bound ? 1.0 : sqrt(var);
}

static void minmax_column(size_t n, size_t d, const double *x, size_t j, double *lo,
                          double *scale)
{
    double mn = x[j], mx = x[j];
    for (size_t i = 1; i < n; i++) {
        double v = x[i * d + j];
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
    }
    double range = mx - mn;
    *lo = mn;
    *scale = range < 10.0 * DBL_EPSILON ? 1.0 : range;
}

mlp_status mlp_scaler_fit(mlp_scaler *s, size_t n, const double *x)
{
    if (!usable(s))
        return MLP_ERR_INVALID;
    if (s->method == MLP_SCALE_NONE) {
        for (size_t j = 0; j < s->dims; j++) {
            s->offset[j] = 0.0;
            s->scale[j] = 1.0;
        }
        return MLP_OK;
    }
    if (n == 0 || x == NULL)
        return MLP_ERR_INVALID;
    size_t d = s->dims;
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(x[i]))
            return MLP_ERR_NONFINITE;
    /* Check every column before writing any, so s is unchanged on failure. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t j = 0; j < d; j++) {
            double off, sc;
            if (s->method == MLP_SCALE_STANDARD)
                standard_column(n, d, x, j, &off, &sc);
            else
                minmax_column(n, d, x, j, &off, &sc);
            if (!isfinite(off) || !isfinite(sc))
                return MLP_ERR_NONFINITE;
            if (pass == 1) {
                s->offset[j] = off;
                s->scale[j] = sc;
            }
        }
    }
    return MLP_OK;
}

mlp_status mlp_scaler_check(const mlp_scaler *s, size_t *bad_column)
{
    if (bad_column)
        *bad_column = 0;
    if (!usable(s))
        return MLP_ERR_INVALID;
    for (size_t j = 0; j < s->dims; j++) {
        double off = s->offset[j], sc = s->scale[j];
        int ok = isfinite(off) && isfinite(sc) && sc > 0.0;
        if (s->method == MLP_SCALE_NONE)
            ok = off == 0.0 && sc == 1.0;
        if (!ok) {
            if (bad_column)
                *bad_column = j;
            return MLP_ERR_INVALID;
        }
    }
    return MLP_OK;
}

int mlp_scaler_is_identity(const mlp_scaler *s)
{
    if (!usable(s))
        return 0;
    if (s->method == MLP_SCALE_NONE)
        return 1;
    for (size_t j = 0; j < s->dims; j++)
        if (s->offset[j] != 0.0 || s->scale[j] != 1.0)
            return 0;
    return 1;
}

/* out = (x - offset) / scale, or x * scale + offset when inverse. */
static mlp_status apply(const mlp_scaler *s, size_t n, const double *x, double *out, int inverse)
{
    if (!usable(s) || (n > 0 && (x == NULL || out == NULL)))
        return MLP_ERR_INVALID;
    size_t d = s->dims;
    if (s->method == MLP_SCALE_NONE) {
        if (out != x && n > 0)
            memmove(out, x, n * d * sizeof *out);
        return MLP_OK;
    }
    int finite = 1;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++) {
            double v = x[i * d + j];
            v = inverse ? v * s->scale[j] + s->offset[j] : (v - s->offset[j]) / s->scale[j];
            finite &= isfinite(v) != 0;
            out[i * d + j] = v;
        }
    }
    return finite ? MLP_OK : MLP_ERR_NONFINITE;
}

mlp_status mlp_scaler_transform(const mlp_scaler *s, size_t n, const double *x, double *out)
{
    return apply(s, n, x, out, 0);
}

mlp_status mlp_scaler_inverse(const mlp_scaler *s, size_t n, const double *x, double *out)
{
    return apply(s, n, x, out, 1);
}
