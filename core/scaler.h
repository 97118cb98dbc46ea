/*
 * scaler.h - per-column scaling of inputs or targets, with scikit-learn's
 * definitions, stored with a weight version by the caller.
 *
 *   none      x_scaled = x                       (offset 0, scale 1)
 *   standard  x_scaled = (x - mean) / scale      StandardScaler: mean and
 *             population standard deviation (ddof 0) of the fitted rows; a
 *             column that sklearn calls constant (var <= n eps var +
 *             (n mean eps)^2, its _is_constant_feature) gets scale 1
 *   minmax    x_scaled = (x - min) / scale       MinMaxScaler to [0, 1]:
 *             scale = max - min of the fitted rows; a range below 10 eps
 *             (sklearn's _handle_zeros_in_scale) gets scale 1
 *
 * The sums run over the rows in order (numpy's order for a row-major array),
 * so fitted parameters agree with sklearn's to rounding (1e-12 relative in
 * the unit tests). Transforms are computed as written above, which agrees
 * with sklearn's to rounding except on nearly constant columns (where
 * MinMaxScaler's x * (1/range) - min/range loses the digits this keeps).
 *
 * Memory is the caller's: an mlp_scaler points at two arrays of dims
 * doubles (offset, scale) that the caller owns; no function here allocates.
 * Data are row-major, n rows of dims columns.
 */
#ifndef MLPD_CORE_SCALER_H
#define MLPD_CORE_SCALER_H

#include "mlp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Method ids may be stored: never renumber. */
typedef enum mlp_scale_method {
    MLP_SCALE_NONE = 1,
    MLP_SCALE_STANDARD = 2,
    MLP_SCALE_MINMAX = 3
} mlp_scale_method;

/* "none", "standard", "minmax" <-> id; from_name returns 0 for an unknown
 * name, name returns NULL for an unknown id. */
int mlp_scale_from_name(const char *name);
const char *mlp_scale_name(int id);

typedef struct mlp_scaler {
    int method;     /* mlp_scale_method */
    size_t dims;    /* columns */
    double *offset; /* dims: mean (standard), min (minmax), 0 (none) */
    double *scale;  /* dims: std (standard), max - min (minmax), 1 (none);
                       never 0 or negative after fit or check */
} mlp_scaler;

/* Point s at the caller's arrays and make it the identity for method
 * (offset 0, scale 1 in every column; what a model never trained uses).
 * MLP_ERR_INVALID for an unknown method, dims 0 or NULL arrays. */
mlp_status mlp_scaler_init(mlp_scaler *s, int method, size_t dims, double *offset,
                           double *scale);

/* Fit s (already initialised: method, dims, arrays) on n rows of x
 * (n x dims). method none leaves the identity. MLP_ERR_INVALID for n == 0
 * or x NULL (with a method other than none), MLP_ERR_NONFINITE if a value
 * of x is not finite or a fitted parameter overflows; s is unchanged on
 * failure. */
mlp_status mlp_scaler_fit(mlp_scaler *s, size_t n, const double *x);

/* Check parameters that came from outside (PUT weights, import): method
 * known, every offset finite, every scale finite and > 0, method none only
 * with offset 0 and scale 1. MLP_OK or MLP_ERR_INVALID; *bad_column (may be
 * NULL) gets the first column at fault. */
mlp_status mlp_scaler_check(const mlp_scaler *s, size_t *bad_column);

/* 1 if s changes nothing (method none, or every offset 0 and scale 1), so
 * callers may skip it and keep results bit for bit. */
int mlp_scaler_is_identity(const mlp_scaler *s);

/* out = (x - offset) / scale per column, n rows. out may equal x (in
 * place). Method none copies (bit for bit). MLP_ERR_NONFINITE if a result
 * is not finite (out then partly written). */
mlp_status mlp_scaler_transform(const mlp_scaler *s, size_t n, const double *x, double *out);

/* out = x * scale + offset per column, n rows (the raw units back); out may
 * equal x. Method none copies. MLP_ERR_NONFINITE as for transform. */
mlp_status mlp_scaler_inverse(const mlp_scaler *s, size_t n, const double *x, double *out);

#ifdef __cplusplus
}
#endif
#endif
