/*
 * scaler.c - StandardScaler and MinMaxScaler (see scaler.h).
 * STUB: first commit publishes the API only; bodies follow.
 */
#include "scaler.h"

int mlp_scale_from_name(const char *name) { (void)name; return 0; }
const char *mlp_scale_name(int id) { (void)id; return NULL; }
mlp_status mlp_scaler_init(mlp_scaler *s, int method, size_t dims, double *offset, double *scale)
{
    (void)s; (void)method; (void)dims; (void)offset; (void)scale;
    return MLP_ERR_INVALID;
}
mlp_status mlp_scaler_fit(mlp_scaler *s, size_t n, const double *x)
{
    (void)s; (void)n; (void)x;
    return MLP_ERR_INVALID;
}
mlp_status mlp_scaler_check(const mlp_scaler *s, size_t *bad_column)
{
    (void)s; (void)bad_column;
    return MLP_ERR_INVALID;
}
int mlp_scaler_is_identity(const mlp_scaler *s) { (void)s; return 0; }
mlp_status mlp_scaler_transform(const mlp_scaler *s, size_t n, const double *x, double *out)
{
    (void)s; (void)n; (void)x; (void)out;
    return MLP_ERR_INVALID;
}
mlp_status mlp_scaler_inverse(const mlp_scaler *s, size_t n, const double *x, double *out)
{
    (void)s; (void)n; (void)x; (void)out;
    return MLP_ERR_INVALID;
}
