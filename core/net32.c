/*
 * net32.c - float copies of networks and float32 prediction.
 */
#include "f32.h"

#include <string.h>

void f32_view(struct mlp_f32 *f, const mlp_t *net, float *params)
{
    f->shape = *net;
    f->shape.params = NULL;
    f->alloc = net->alloc;
    f->params = params;
}

mlp_status mlp_f32_new(const mlp_t *net, const mlp_allocator *alloc, mlp_f32_t **out)
{
    size_t bytes;
    if (!core_mul(net->n_params, sizeof(float), &bytes) ||
        !core_add(bytes, sizeof(struct mlp_f32), &bytes))
        return MLP_ERR_LIMIT;
    struct mlp_f32 *f = core_alloc(alloc, bytes);
    if (f == NULL)
        return MLP_ERR_NOMEM;
    f32_view(f, net, (float *)(f + 1));
    f->alloc = alloc ? *alloc : (mlp_allocator){0};
    for (size_t i = 0; i < net->n_params; i++)
        f->params[i] = (float)net->params[i];
    *out = f;
    return MLP_OK;
}

void mlp_f32_free(mlp_f32_t *f)
{
    if (f == NULL)
        return;
    mlp_allocator a = f->alloc;
    core_release(&a, f);
}

size_t mlp_f32_memory_size(const mlp_f32_t *f)
{
    return sizeof *f + f->shape.n_params * sizeof(float);
}

size_t mlp_f32_work_size(const mlp_f32_t *f, size_t rows)
{
    size_t per_row = f->shape.total_units + f->shape.spec.inputs, n;
    return core_mul(per_row, rows ? rows : 1, &n) ? n : SIZE_MAX;
}

mlp_status mlp_f32_predict(const mlp_f32_t *f, size_t n, const double *x, double *y,
                           float *work, size_t rows)
{
    const struct mlp *net = &f->shape;
    size_t ni = net->spec.inputs, L = net->spec.n_layers, no = net->spec.layers[L - 1].units;
    float *acts = work, *xb = work + (rows ? rows : 1) * net->total_units;
    if (rows == 0)
        rows = 1;
    unsigned csr = f32_flush_enter();
    mlp_status s = MLP_OK;
    for (size_t r0 = 0; r0 < n && s == MLP_OK; r0 += rows) {
        size_t m = n - r0 < rows ? n - r0 : rows;
        const double *xr = x + r0 * ni;
        if (batch32_rowmajor_input(f, m))
            for (size_t i = 0; i < m * ni; i++)
                xb[i] = (float)xr[i];
        else
            batch32_transpose_in(xb, xr, m, ni, ni);
        batch32_forward(f, m, xb, acts);
        const float *out = acts + m * net->act_off[L - 1];
        for (size_t k = 0; k < m; k++)
            for (size_t j = 0; j < no; j++) {
                double v = out[j * m + k];
                if (!isfinite(v))
                    s = MLP_ERR_NONFINITE;
                y[(r0 + k) * no + j] = v;
            }
    }
    f32_flush_leave(csr);
    return s;
}
