/*
 * prep.c - a version's scalers: memory, the blob trailer, JSON (see
 * prep.h).
 */
#include "domain/prep.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC_LEN 8
static const unsigned char trailer_magic[MAGIC_LEN] = {'M', 'L', 'P', 'D', 'P', 'R', 'E', '1'};
#define HEAD_BYTES 40 /* two u32, two u64, two i64 */
#define MAX_DIMS ((size_t)1 << 24)

/* One allocation: the struct, then the four arrays. */
model_prep *prep_new(int in_method, size_t n_in, int out_method, size_t n_out)
{
    if (n_in == 0 || n_out == 0 || n_in > MAX_DIMS || n_out > MAX_DIMS)
        return NULL;
    model_prep *p = calloc(1, sizeof *p + 2 * (n_in + n_out) * sizeof(double));
    if (!p)
        return NULL;
    double *d = (double *)(p + 1);
    if (mlp_scaler_init(&p->inputs, in_method, n_in, d, d + n_in) != MLP_OK ||
        mlp_scaler_init(&p->targets, out_method, n_out, d + 2 * n_in,
                        d + 2 * n_in + n_out) != MLP_OK) {
        free(p);
        return NULL;
    }
    return p;
}

static void copy_scaler(mlp_scaler *dst, const mlp_scaler *src)
{
    memcpy(dst->offset, src->offset, src->dims * sizeof(double));
    memcpy(dst->scale, src->scale, src->dims * sizeof(double));
}

model_prep *prep_clone(const model_prep *p)
{
    if (!p)
        return NULL;
    model_prep *c = prep_new(p->inputs.method, p->inputs.dims, p->targets.method,
                             p->targets.dims);
    if (!c)
        return NULL;
    copy_scaler(&c->inputs, &p->inputs);
    copy_scaler(&c->targets, &p->targets);
    c->train_rows = p->train_rows;
    c->val_rows = p->val_rows;
    return c;
}

void prep_free(model_prep *p)
{
    free(p);
}

int prep_is_identity(const model_prep *p)
{
    return !p || (mlp_scaler_is_identity(&p->inputs) && mlp_scaler_is_identity(&p->targets));
}

/* ---- the blob trailer ---------------------------------------------------- */

static void put_u(unsigned char *p, uint64_t v, int bytes)
{
    for (int b = 0; b < bytes; b++)
        p[b] = (unsigned char)(v >> (8 * b));
}

static uint64_t get_u(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int b = bytes - 1; b >= 0; b--)
        v = (v << 8) | p[b];
    return v;
}

static unsigned char *put_doubles(unsigned char *p, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++, p += 8) {
        uint64_t bits;
        memcpy(&bits, &v[i], 8);
        put_u(p, bits, 8);
    }
    return p;
}

static const unsigned char *get_doubles(const unsigned char *p, double *v, size_t n)
{
    for (size_t i = 0; i < n; i++, p += 8) {
        uint64_t bits = get_u(p, 8);
        memcpy(&v[i], &bits, 8);
    }
    return p;
}

static size_t record_bytes(const model_prep *p)
{
    return HEAD_BYTES + 16 * (p->inputs.dims + p->targets.dims);
}

int prep_blob_encode(const mlp_t *net, const model_prep *p, unsigned char **blob, size_t *len)
{
    size_t cap = mlp_saved_size(net), net_len = 0;
    size_t rec = p ? record_bytes(p) : 0;
    size_t total = cap + (p ? rec + 4 + MAGIC_LEN : 0);
    unsigned char *b = malloc(total ? total : 1);
    if (!b || mlp_save(net, b, cap, &net_len) != MLP_OK) {
        free(b);
        return -1;
    }
    if (p) {
        unsigned char *q = b + net_len;
        put_u(q, (uint64_t)p->inputs.method, 4);
        put_u(q + 4, (uint64_t)p->targets.method, 4);
        put_u(q + 8, p->inputs.dims, 8);
        put_u(q + 16, p->targets.dims, 8);
        put_u(q + 24, (uint64_t)p->train_rows, 8);
        put_u(q + 32, (uint64_t)p->val_rows, 8);
        q = put_doubles(q + HEAD_BYTES, p->inputs.offset, p->inputs.dims);
        q = put_doubles(q, p->inputs.scale, p->inputs.dims);
        q = put_doubles(q, p->targets.offset, p->targets.dims);
        q = put_doubles(q, p->targets.scale, p->targets.dims);
        put_u(q, rec, 4);
        memcpy(q + 4, trailer_magic, MAGIC_LEN);
        net_len += rec + 4 + MAGIC_LEN;
    }
    *blob = b;
    *len = net_len;
    return 0;
}

int prep_blob_decode(const unsigned char *blob, size_t len, size_t *net_len, model_prep **p)
{
    *p = NULL;
    *net_len = len;
    if (len < 4 + MAGIC_LEN || memcmp(blob + len - MAGIC_LEN, trailer_magic, MAGIC_LEN) != 0)
        return 0; /* plain mlp_save bytes */
    size_t rec = (size_t)get_u(blob + len - MAGIC_LEN - 4, 4);
    if (rec < HEAD_BYTES || rec > len - 4 - MAGIC_LEN)
        return -1;
    const unsigned char *q = blob + len - MAGIC_LEN - 4 - rec;
    uint64_t n_in = get_u(q + 8, 8), n_out = get_u(q + 16, 8);
    if (n_in == 0 || n_out == 0 || n_in > MAX_DIMS || n_out > MAX_DIMS ||
        rec != HEAD_BYTES + 16 * (n_in + n_out))
        return -1;
    model_prep *m = prep_new((int)get_u(q, 4), (size_t)n_in, (int)get_u(q + 4, 4),
                             (size_t)n_out);
    if (!m)
        return -1;
    m->train_rows = (int64_t)get_u(q + 24, 8);
    m->val_rows = (int64_t)get_u(q + 32, 8);
    q = get_doubles(q + HEAD_BYTES, m->inputs.offset, m->inputs.dims);
    q = get_doubles(q, m->inputs.scale, m->inputs.dims);
    q = get_doubles(q, m->targets.offset, m->targets.dims);
    get_doubles(q, m->targets.scale, m->targets.dims);
    if (mlp_scaler_check(&m->inputs, NULL) != MLP_OK ||
        mlp_scaler_check(&m->targets, NULL) != MLP_OK || m->train_rows < 0 || m->val_rows < 0) {
        prep_free(m);
        return -1;
    }
    *p = m;
    *net_len = len - MAGIC_LEN - 4 - rec;
    return 0;
}

/* ---- JSON ------------------------------------------------------------------ */

static const char *offset_key(int method)
{
    return method == MLP_SCALE_MINMAX ? "min" : "mean";
}

static void write_scaler(sbuf *b, const mlp_scaler *s)
{
    sbuf_puts(b, "{\"method\":");
    sbuf_json_string(b, mlp_scale_name(s->method));
    if (s->method != MLP_SCALE_NONE) {
        sbuf_printf(b, ",\"%s\":", offset_key(s->method));
        sbuf_json_array(b, s->offset, s->dims);
        sbuf_puts(b, ",\"scale\":");
        sbuf_json_array(b, s->scale, s->dims);
    }
    sbuf_putc(b, '}');
}

void prep_write_json(sbuf *b, const model_prep *p)
{
    sbuf_puts(b, "{\"inputs\":");
    write_scaler(b, &p->inputs);
    sbuf_puts(b, ",\"targets\":");
    write_scaler(b, &p->targets);
    sbuf_putc(b, '}');
}

static int read_scaler(json_err *e, const cJSON *pre, const char *prefix, const char *key,
                       size_t dims, int *method, double *offset, double *scale)
{
    static const char *const fields[] = {"method", "mean", "min", "scale", NULL};
    char path[96], opath[112], spath[112];
    json_path_key(path, sizeof path, prefix, key);
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(pre, key);
    *method = MLP_SCALE_NONE;
    if (!o || cJSON_IsNull(o))
        return 0;
    const char *name = NULL;
    if (json_read_object(e, o, path, fields) != 0 ||
        json_read_string(e, o, "method", path, 1, 1, 16, &name) != 0)
        return -1;
    if (!(*method = mlp_scale_from_name(name))) {
        json_fail(e, JSON_ERR_INVALID_FIELD, path, "Unknown scaling '%s' (standard, minmax, none).",
                  name);
        return -1;
    }
    const char *okey = offset_key(*method), *other = *method == MLP_SCALE_MINMAX ? "mean" : "min";
    json_path_key(opath, sizeof opath, path, okey);
    json_path_key(spath, sizeof spath, path, "scale");
    if (*method == MLP_SCALE_NONE || cJSON_GetObjectItemCaseSensitive(o, other)) {
        if (*method == MLP_SCALE_NONE && !cJSON_GetObjectItemCaseSensitive(o, "scale") &&
            !cJSON_GetObjectItemCaseSensitive(o, "mean") &&
            !cJSON_GetObjectItemCaseSensitive(o, "min"))
            return 0;
        json_fail(e, JSON_ERR_INVALID_FIELD, path, "%s with method %s takes %s.", path, name,
                  *method == MLP_SCALE_NONE ? "no parameters" : okey);
        return -1;
    }
    const cJSON *ov = cJSON_GetObjectItemCaseSensitive(o, okey);
    const cJSON *sv = cJSON_GetObjectItemCaseSensitive(o, "scale");
    if (!ov || !sv) {
        json_fail(e, JSON_ERR_MISSING_FIELD, ov ? spath : opath, "The field %s is required.",
                  ov ? spath : opath);
        return -1;
    }
    return json_read_vector(e, ov, opath, dims, offset) || json_read_vector(e, sv, spath, dims, scale)
               ? -1 : 0;
}

static int check_read(json_err *e, const mlp_scaler *s, const char *prefix, const char *key)
{
    size_t bad = 0;
    if (mlp_scaler_check(s, &bad) == MLP_OK)
        return 0;
    char path[96], spath[128];
    json_path_key(path, sizeof path, prefix, key);
    json_path_key(spath, sizeof spath, path, "scale");
    json_fail(e, JSON_ERR_INVALID_FIELD, spath, "%s[%zu] must be a positive number.", spath, bad);
    return -1;
}

int prep_read_json(json_err *e, const cJSON *pre, const char *prefix, size_t n_in,
                   size_t n_out, model_prep **out)
{
    static const char *const fields[] = {"inputs", "targets", NULL};
    *out = NULL;
    if (json_read_object(e, pre, prefix, fields) != 0)
        return -1;
    double *tmp = malloc(2 * (n_in + n_out) * sizeof *tmp + 1);
    int mi = 0, mo = 0;
    if (!tmp) {
        json_fail(e, JSON_ERR_INVALID_FIELD, prefix, "Out of memory.");
        return -1;
    }
    int rc = -1;
    if (read_scaler(e, pre, prefix, "inputs", n_in, &mi, tmp, tmp + n_in) != 0 ||
        read_scaler(e, pre, prefix, "targets", n_out, &mo, tmp + 2 * n_in,
                    tmp + 2 * n_in + n_out) != 0)
        goto out;
    model_prep *p = prep_new(mi, n_in, mo, n_out);
    if (!p) {
        json_fail(e, JSON_ERR_INVALID_FIELD, prefix, "Out of memory.");
        goto out;
    }
    if (mi != MLP_SCALE_NONE) {
        memcpy(p->inputs.offset, tmp, n_in * sizeof *tmp);
        memcpy(p->inputs.scale, tmp + n_in, n_in * sizeof *tmp);
    }
    if (mo != MLP_SCALE_NONE) {
        memcpy(p->targets.offset, tmp + 2 * n_in, n_out * sizeof *tmp);
        memcpy(p->targets.scale, tmp + 2 * n_in + n_out, n_out * sizeof *tmp);
    }
    if (check_read(e, &p->inputs, prefix, "inputs") != 0 ||
        check_read(e, &p->targets, prefix, "targets") != 0) {
        prep_free(p);
        goto out;
    }
    *out = p;
    rc = 0;
out:
    free(tmp);
    return rc;
}

/* ---- applying -------------------------------------------------------------- */

mlp_status prep_inputs(const model_prep *p, size_t n, const double *x, double *out)
{
    return p ? mlp_scaler_transform(&p->inputs, n, x, out) : MLP_OK;
}

mlp_status prep_targets(const model_prep *p, size_t n, const double *y, double *out)
{
    return p ? mlp_scaler_transform(&p->targets, n, y, out) : MLP_OK;
}

mlp_status prep_targets_inverse(const model_prep *p, size_t n, const double *y, double *out)
{
    return p ? mlp_scaler_inverse(&p->targets, n, y, out) : MLP_OK;
}
