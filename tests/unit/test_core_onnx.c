/*
 * test_core_onnx.c - the ONNX encoding, decoded back field by field with
 * a protobuf reader written here from onnx.proto (python3-onnx 1.12's
 * /usr/lib/python3/dist-packages/onnx/onnx.proto): field numbers and wire
 * types, the graph's nodes and names, initializer bytes against the
 * weights, metadata, determinism, size queries, refused options and
 * allocation failures. tests/e2e/onnx_check.py checks the same bytes with
 * the onnx package itself.
 *
 * With MLPD_ONNX_DUMP=DIR, the scaler graphs (which the server cannot
 * export until models keep a scaler) are also written to DIR as
 * NAME.onnx, NAME-w.json (the layers, as GET weights shows them) and
 * NAME-case.json (inputs and the outputs the core computes: scaled
 * inputs through mlp_predict, targets scaled back), for
 * tests/e2e/onnx_export.sh to run in onnxruntime.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "onnx.h"
#include "util_testalloc.h"

/* ---- a protobuf reader -------------------------------------------------- */

typedef struct pbfield {
    uint32_t field;
    int wire;
    uint64_t v;                /* varint, fixed */
    const unsigned char *p;    /* length-delimited */
    size_t len;
} pbfield;

#define MAX_FIELDS 256

typedef struct pbmsg {
    size_t n;
    pbfield f[MAX_FIELDS];
} pbmsg;

static uint64_t read_varint(const unsigned char **p, const unsigned char *end)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        ck_assert(*p < end);
        unsigned char b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    ck_abort_msg("varint too long");
    return 0;
}

/* Split [p, p+len) into fields; every byte must belong to one. */
static void decode(const unsigned char *p, size_t len, pbmsg *m)
{
    const unsigned char *end = p + len;
    m->n = 0;
    while (p < end) {
        ck_assert_uint_lt(m->n, MAX_FIELDS);
        pbfield *f = &m->f[m->n++];
        uint64_t tag = read_varint(&p, end);
        f->field = (uint32_t)(tag >> 3);
        f->wire = (int)(tag & 7);
        ck_assert_uint_gt(f->field, 0);
        switch (f->wire) {
        case 0: f->v = read_varint(&p, end); break;
        case 2:
            f->len = (size_t)read_varint(&p, end);
            ck_assert_uint_le(f->len, (size_t)(end - p));
            f->p = p;
            p += f->len;
            break;
        default: ck_abort_msg("unexpected wire type %d", f->wire);
        }
    }
    ck_assert(p == end);
}

static size_t count(const pbmsg *m, uint32_t field)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++)
        n += m->f[i].field == field;
    return n;
}

/* The k-th occurrence of field with this wire type (aborts if missing). */
static const pbfield *get(const pbmsg *m, uint32_t field, int wire, size_t k)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->f[i].field == field && k-- == 0) {
            ck_assert_int_eq(m->f[i].wire, wire);
            return &m->f[i];
        }
    ck_abort_msg("field %u #%zu missing", field, k);
    return NULL;
}

static int64_t get_int(const pbmsg *m, uint32_t field)
{
    return (int64_t)get(m, field, 0, 0)->v;
}

/* A string field as a NUL-terminated copy in out. */
static const char *get_str(const pbmsg *m, uint32_t field, size_t k, char *out, size_t cap)
{
    const pbfield *f = get(m, field, 2, k);
    ck_assert_uint_lt(f->len, cap);
    memcpy(out, f->p, f->len);
    out[f->len] = '\0';
    return out;
}

static void sub(const pbmsg *m, uint32_t field, size_t k, pbmsg *out)
{
    const pbfield *f = get(m, field, 2, k);
    decode(f->p, f->len, out);
}

/* Field fields fields are in non-decreasing order (protobuf's own). */
static void assert_field_order(const pbmsg *m)
{
    for (size_t i = 1; i < m->n; i++)
        ck_assert_uint_le(m->f[i - 1].field, m->f[i].field);
}

/* ---- networks ----------------------------------------------------------- */

static mlp_t *make_net(size_t inputs, size_t n_layers, const size_t *units, const int *acts,
                       int loss, uint64_t seed)
{
    mlp_spec s;
    memset(&s, 0, sizeof s);
    s.inputs = inputs;
    s.n_layers = n_layers;
    for (size_t l = 0; l < n_layers; l++) {
        s.layers[l].units = units[l];
        s.layers[l].activation = acts[l];
    }
    s.loss = loss;
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_new(&s, NULL, NULL, &net), MLP_OK);
    ck_assert_int_eq(mlp_init(net, MLP_INIT_UNIFORM, seed, 1.5), MLP_OK);
    return net;
}

static mlp_t *lecture_net(void)
{
    static const size_t u[2] = {3, 1};
    static const int a[2] = {MLP_ACT_SIGMOID, MLP_ACT_LINEAR};
    return make_net(2, 2, u, a, MLP_LOSS_MSE, 7);
}

static mlp_t *classifier_net(void)
{
    static const size_t u[3] = {5, 4, 3};
    static const int a[3] = {MLP_ACT_RELU, MLP_ACT_TANH, MLP_ACT_SOFTMAX};
    return make_net(4, 3, u, a, MLP_LOSS_CROSS_ENTROPY, 8);
}

static unsigned char *encode(const mlp_t *net, const mlp_onnx_opts *o, size_t *len)
{
    unsigned char *buf = NULL;
    ck_assert_int_eq(mlp_onnx_encode_alloc(net, o, NULL, &buf, len), MLP_OK);
    ck_assert_ptr_nonnull(buf);
    return buf;
}

typedef struct decoded {
    pbmsg model, graph;
} decoded;

static void decode_model(const unsigned char *buf, size_t len, decoded *d)
{
    decode(buf, len, &d->model);
    assert_field_order(&d->model);
    sub(&d->model, 7, 0, &d->graph);
    assert_field_order(&d->graph);
}

/* Node k of the graph: op type, inputs, output, and its INT attribute. */
static void assert_node(const pbmsg *graph, size_t k, const char *op, const char *in0,
                        const char *in1, const char *in2, const char *out, const char *attr,
                        int64_t attr_value)
{
    pbmsg node, at;
    char s[64];
    sub(graph, 1, k, &node);
    assert_field_order(&node);
    ck_assert_str_eq(get_str(&node, 4, 0, s, sizeof s), op);
    const char *ins[3] = {in0, in1, in2};
    size_t n_in = in2 ? 3 : in1 ? 2 : 1;
    ck_assert_uint_eq(count(&node, 1), n_in);
    for (size_t i = 0; i < n_in; i++)
        ck_assert_str_eq(get_str(&node, 1, i, s, sizeof s), ins[i]);
    ck_assert_uint_eq(count(&node, 2), 1);
    ck_assert_str_eq(get_str(&node, 2, 0, s, sizeof s), out);
    ck_assert_uint_eq(count(&node, 3), 1); /* a name */
    ck_assert_uint_eq(count(&node, 7), 0); /* default domain */
    ck_assert_uint_eq(count(&node, 5), attr ? 1 : 0);
    if (!attr)
        return;
    sub(&node, 5, 0, &at);
    ck_assert_str_eq(get_str(&at, 1, 0, s, sizeof s), attr);
    ck_assert_int_eq(get_int(&at, 3), attr_value);
    ck_assert_int_eq(get_int(&at, 20), 2); /* AttributeType INT */
}

/* Initializer k: name, dims, data_type, raw_data equal to v (as dtype). */
static void assert_init(const pbmsg *graph, size_t k, const char *name, int64_t d0, int64_t d1,
                        const double *v, int dtype)
{
    pbmsg t;
    char s[64];
    sub(graph, 5, k, &t);
    assert_field_order(&t);
    ck_assert_str_eq(get_str(&t, 8, 0, s, sizeof s), name);
    ck_assert_uint_eq(count(&t, 1), d1 ? 2 : 1);
    ck_assert_int_eq((int64_t)get(&t, 1, 0, 0)->v, d0);
    if (d1)
        ck_assert_int_eq((int64_t)get(&t, 1, 0, 1)->v, d1);
    ck_assert_int_eq(get_int(&t, 2), dtype);
    const pbfield *raw = get(&t, 9, 2, 0);
    size_t n = (size_t)(d1 ? d0 * d1 : d0), width = dtype == 1 ? 4 : 8;
    ck_assert_uint_eq(raw->len, n * width);
    for (size_t i = 0; i < n; i++) {
        uint64_t bits = 0;
        for (size_t b = 0; b < width; b++)
            bits |= (uint64_t)raw->p[i * width + b] << (8 * b);
        if (dtype == 1) {
            float f = (float)v[i];
            uint32_t want;
            memcpy(&want, &f, sizeof want);
            ck_assert_uint_eq(bits, want);
        } else {
            uint64_t want;
            memcpy(&want, &v[i], sizeof want);
            ck_assert_uint_eq(bits, want);
        }
    }
}

/* Graph input/output k (field 11 or 12): name, elem type, [N, width]. */
static void assert_value(const pbmsg *graph, uint32_t field, const char *name, int dtype,
                         int64_t width)
{
    pbmsg v, type, tensor, shape, dim;
    char s[64];
    ck_assert_uint_eq(count(graph, field), 1);
    sub(graph, field, 0, &v);
    ck_assert_str_eq(get_str(&v, 1, 0, s, sizeof s), name);
    sub(&v, 2, 0, &type);
    sub(&type, 1, 0, &tensor);
    ck_assert_int_eq(get_int(&tensor, 1), dtype);
    sub(&tensor, 2, 0, &shape);
    ck_assert_uint_eq(count(&shape, 1), 2);
    sub(&shape, 1, 0, &dim);
    ck_assert_str_eq(get_str(&dim, 2, 0, s, sizeof s), "N");
    sub(&shape, 1, 1, &dim);
    ck_assert_int_eq(get_int(&dim, 1), width);
}

/* metadata_props entry with key (its value into out), or NULL. */
static const char *meta(const pbmsg *model, const char *key, char *out, size_t cap)
{
    char k[64];
    for (size_t i = 0; i < count(model, 14); i++) {
        pbmsg e;
        sub(model, 14, i, &e);
        if (strcmp(get_str(&e, 1, 0, k, sizeof k), key) == 0)
            return get_str(&e, 2, 0, out, cap);
    }
    return NULL;
}

static const double *layer_w(const mlp_t *net, size_t l, int bias)
{
    size_t fan_in, w_off, b_off;
    ck_assert_int_eq(mlp_layer_offsets(net, l, &fan_in, &w_off, &b_off), MLP_OK);
    return mlp_params_const(net) + (bias ? b_off : w_off);
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(lecture_net_field_by_field)
{
    int dtype = _i ? MLP_ONNX_FLOAT64 : MLP_ONNX_FLOAT32;
    mlp_t *net = lecture_net();
    mlp_onnx_opts o = {0};
    o.dtype = _i ? MLP_ONNX_FLOAT64 : 0; /* 0: float32 by default */
    o.producer_version = "1.2.3";
    o.model_version = 42;
    size_t len = 0;
    unsigned char *buf = encode(net, &o, &len);
    decoded d;
    decode_model(buf, len, &d);
    char s[256];
    ck_assert_int_eq(get_int(&d.model, 1), 8);
    ck_assert_str_eq(get_str(&d.model, 2, 0, s, sizeof s), "mlpd");
    ck_assert_str_eq(get_str(&d.model, 3, 0, s, sizeof s), "1.2.3");
    ck_assert_int_eq(get_int(&d.model, 5), 42);
    ck_assert_uint_eq(count(&d.model, 8), 1);
    pbmsg opset;
    sub(&d.model, 8, 0, &opset);
    ck_assert_str_eq(get_str(&opset, 1, 0, s, sizeof s), "");
    ck_assert_int_eq(get_int(&opset, 2), 13);
    ck_assert_str_eq(get_str(&d.graph, 2, 0, s, sizeof s), "mlpd");
    ck_assert_uint_eq(count(&d.graph, 1), 3);
    assert_node(&d.graph, 0, "Gemm", "input", "W1", "b1", "v1", "transB", 1);
    assert_node(&d.graph, 1, "Sigmoid", "v1", NULL, NULL, "y1", NULL, 0);
    assert_node(&d.graph, 2, "Gemm", "y1", "W2", "b2", "output", "transB", 1);
    ck_assert_uint_eq(count(&d.graph, 5), 4);
    assert_init(&d.graph, 0, "W1", 3, 2, layer_w(net, 0, 0), dtype);
    assert_init(&d.graph, 1, "b1", 3, 0, layer_w(net, 0, 1), dtype);
    assert_init(&d.graph, 2, "W2", 1, 3, layer_w(net, 1, 0), dtype);
    assert_init(&d.graph, 3, "b2", 1, 0, layer_w(net, 1, 1), dtype);
    assert_value(&d.graph, 11, "input", dtype, 2);
    assert_value(&d.graph, 12, "output", dtype, 1);
    ck_assert_ptr_nonnull(meta(&d.model, "mlpd.conventions", s, sizeof s));
    ck_assert_ptr_nonnull(strstr(s, "\"bias\":\"+b\""));
    ck_assert_str_eq(meta(&d.model, "mlpd.version", s, sizeof s), "1.2.3");
    ck_assert_ptr_null(meta(&d.model, "mlpd.classes", s, sizeof s));
    free(buf);
    mlp_free(net);
}
END_TEST

START_TEST(classifier_with_scaler_and_classes)
{
    mlp_t *net = classifier_net();
    static const double mean[4] = {5.8, 3.05, 3.75, 1.2}, scale[4] = {0.82, 0.43, 1.76, 0.76};
    static const char *const classes[3] = {"setosa", "versi\"color", "virginica"};
    static const char *const names[4] = {"sepal length", "sepal width", "petal\nlength", "pw"};
    mlp_onnx_meta extra[1] = {{"mlpd.model_id", "abc"}};
    mlp_onnx_opts o = {0};
    o.dtype = MLP_ONNX_FLOAT64;
    o.inputs.offset = mean;
    o.inputs.scale = scale;
    o.classes = classes;
    o.n_classes = 3;
    o.feature_names = names;
    o.n_features = 4;
    o.extra = extra;
    o.n_extra = 1;
    size_t len = 0;
    unsigned char *buf = encode(net, &o, &len);
    decoded d;
    decode_model(buf, len, &d);
    ck_assert_uint_eq(count(&d.graph, 1), 8);
    assert_node(&d.graph, 0, "Sub", "input", "input_offset", NULL, "x_centered", NULL, 0);
    assert_node(&d.graph, 1, "Div", "x_centered", "input_scale", NULL, "x_scaled", NULL, 0);
    assert_node(&d.graph, 2, "Gemm", "x_scaled", "W1", "b1", "v1", "transB", 1);
    assert_node(&d.graph, 3, "Relu", "v1", NULL, NULL, "y1", NULL, 0);
    assert_node(&d.graph, 4, "Gemm", "y1", "W2", "b2", "v2", "transB", 1);
    assert_node(&d.graph, 5, "Tanh", "v2", NULL, NULL, "y2", NULL, 0);
    assert_node(&d.graph, 6, "Gemm", "y2", "W3", "b3", "v3", "transB", 1);
    assert_node(&d.graph, 7, "Softmax", "v3", NULL, NULL, "output", "axis", 1);
    assert_init(&d.graph, 0, "input_offset", 4, 0, mean, MLP_ONNX_FLOAT64);
    assert_init(&d.graph, 1, "input_scale", 4, 0, scale, MLP_ONNX_FLOAT64);
    assert_init(&d.graph, 6, "W3", 3, 4, layer_w(net, 2, 0), MLP_ONNX_FLOAT64);
    assert_value(&d.graph, 12, "output", MLP_ONNX_FLOAT64, 3);
    char s[256];
    ck_assert_str_eq(meta(&d.model, "mlpd.classes", s, sizeof s),
                     "[\"setosa\",\"versi\\\"color\",\"virginica\"]");
    ck_assert_str_eq(meta(&d.model, "mlpd.feature_names", s, sizeof s),
                     "[\"sepal length\",\"sepal width\",\"petal\\u000alength\",\"pw\"]");
    ck_assert_str_eq(meta(&d.model, "mlpd.model_id", s, sizeof s), "abc");
    free(buf);
    mlp_free(net);
}
END_TEST

START_TEST(regressor_with_target_scaler)
{
    static const size_t u[2] = {6, 2};
    static const int a[2] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    mlp_t *net = make_net(3, 2, u, a, MLP_LOSS_MSE, 9);
    static const double mean[2] = {100.0, -3.0}, scale[2] = {25.0, 0.5};
    mlp_onnx_opts o = {0};
    o.targets.offset = mean;
    o.targets.scale = scale;
    size_t len = 0;
    unsigned char *buf = encode(net, &o, &len);
    decoded d;
    decode_model(buf, len, &d);
    ck_assert_uint_eq(count(&d.graph, 1), 5);
    assert_node(&d.graph, 2, "Gemm", "y1", "W2", "b2", "y_scaled", "transB", 1);
    assert_node(&d.graph, 3, "Mul", "y_scaled", "target_scale", NULL, "y_times_scale", NULL, 0);
    assert_node(&d.graph, 4, "Add", "y_times_scale", "target_offset", NULL, "output", NULL, 0);
    assert_init(&d.graph, 4, "target_scale", 2, 0, scale, MLP_ONNX_FLOAT32);
    assert_init(&d.graph, 5, "target_offset", 2, 0, mean, MLP_ONNX_FLOAT32);
    ck_assert_uint_eq(count(&d.model, 5), 0); /* no model_version given */
    free(buf);
    mlp_free(net);
}
END_TEST

START_TEST(same_bytes_and_size_queries)
{
    mlp_t *net = classifier_net();
    mlp_onnx_opts o = {0};
    o.producer_version = "0";
    size_t len = 0, len2 = 0, need = 0;
    unsigned char *a = encode(net, &o, &len);
    unsigned char *b = encode(net, &o, &len2);
    ck_assert_uint_eq(len, len2);
    ck_assert_int_eq(memcmp(a, b, len), 0);
    ck_assert_int_eq(mlp_onnx_encode(net, &o, NULL, 0, &need), MLP_ERR_SPACE);
    ck_assert_uint_eq(need, len);
    /* one byte short, into a buffer of exactly that size (ASan watches) */
    unsigned char *small = malloc(len - 1);
    ck_assert_int_eq(mlp_onnx_encode(net, &o, small, len - 1, &need), MLP_ERR_SPACE);
    ck_assert_uint_eq(need, len);
    free(small);
    /* a changed weight changes the bytes */
    mlp_params(net)[0] += 0.25;
    unsigned char *c = encode(net, &o, &len2);
    ck_assert_uint_eq(len, len2);
    ck_assert_int_ne(memcmp(a, c, len), 0);
    free(a);
    free(b);
    free(c);
    mlp_free(net);
}
END_TEST

START_TEST(inconsistent_options_are_refused)
{
    mlp_t *net = classifier_net();
    static const char *const two[2] = {"a", "b"}, *const three[3] = {"a", "b", "c"};
    static const double zero_scale[4] = {1, 0, 1, 1}, ones[4] = {1, 1, 1, 1};
    size_t len = 0;
    mlp_onnx_opts o = {0};
    o.dtype = 7;
    ck_assert_int_eq(mlp_onnx_encode(net, &o, NULL, 0, &len), MLP_ERR_INVALID);
    o.dtype = 0;
    o.classes = two;
    o.n_classes = 2; /* three softmax units */
    ck_assert_int_eq(mlp_onnx_encode(net, &o, NULL, 0, &len), MLP_ERR_INVALID);
    o.classes = three;
    o.n_classes = 3;
    o.targets.offset = ones;
    o.targets.scale = ones; /* a classifier's targets are not scaled */
    ck_assert_int_eq(mlp_onnx_encode(net, &o, NULL, 0, &len), MLP_ERR_INVALID);
    o.targets.offset = o.targets.scale = NULL;
    o.inputs.offset = ones;
    o.inputs.scale = zero_scale;
    ck_assert_int_eq(mlp_onnx_encode(net, &o, NULL, 0, &len), MLP_ERR_INVALID);
    o.inputs.scale = NULL;
    ck_assert_int_eq(mlp_onnx_encode(net, &o, NULL, 0, &len), MLP_ERR_INVALID);
    o.inputs.offset = NULL;
    o.feature_names = two;
    o.n_features = 2; /* four inputs */
    ck_assert_int_eq(mlp_onnx_encode(net, &o, NULL, 0, &len), MLP_ERR_INVALID);
    o.n_features = 0;
    ck_assert_int_eq(mlp_onnx_encode(net, &o, NULL, 0, &len), MLP_ERR_SPACE);
    /* a weight past float's range: fine as float64, refused as float32 */
    mlp_params(net)[1] = 1e300;
    ck_assert_int_eq(mlp_onnx_encode(net, &o, NULL, 0, &len), MLP_ERR_NONFINITE);
    o.dtype = MLP_ONNX_FLOAT64;
    ck_assert_int_eq(mlp_onnx_encode(net, &o, NULL, 0, &len), MLP_ERR_SPACE);
    mlp_free(net);
}
END_TEST

START_TEST(binary_sigmoid_classifier)
{
    static const size_t u[2] = {3, 1};
    static const int a[2] = {MLP_ACT_TANH, MLP_ACT_SIGMOID};
    mlp_t *net = make_net(2, 2, u, a, MLP_LOSS_CROSS_ENTROPY, 3);
    static const char *const two[2] = {"no", "yes"};
    mlp_onnx_opts o = {0};
    o.classes = two;
    o.n_classes = 2;
    size_t len = 0;
    unsigned char *buf = encode(net, &o, &len);
    decoded d;
    decode_model(buf, len, &d);
    assert_node(&d.graph, 3, "Sigmoid", "v2", NULL, NULL, "output", NULL, 0);
    free(buf);
    mlp_free(net);
}
END_TEST

START_TEST(allocation_failure_is_clean)
{
    mlp_t *net = lecture_net();
    mlp_onnx_opts o = {0};
    testalloc t;
    testalloc_init(&t);
    mlp_allocator al = testalloc_allocator(&t);
    testalloc_fail_nth(&t, 1);
    unsigned char *buf = (unsigned char *)&t; /* must be reset to NULL */
    size_t len = 0;
    ck_assert_int_eq(mlp_onnx_encode_alloc(net, &o, &al, &buf, &len), MLP_ERR_NOMEM);
    ck_assert_ptr_null(buf);
    ck_assert_uint_eq(t.live, 0);
    ck_assert_int_eq(mlp_onnx_encode_alloc(net, &o, &al, &buf, &len), MLP_OK);
    ck_assert_uint_eq(t.live, 1);
    al.release(buf, al.ctx);
    ck_assert_uint_eq(t.live, 0);
    mlp_free(net);
}
END_TEST


/* ---- scaler graphs for onnxruntime (MLPD_ONNX_DUMP) ---------------------- */

static void put_array(FILE *f, const double *v, size_t n)
{
    fputc('[', f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%.17g", i ? "," : "", v[i]);
    fputc(']', f);
}

static FILE *open_dump(const char *dir, const char *name, const char *suffix)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, suffix);
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    return f;
}

/* What the graph must compute, by the core: x scaled, forward, y unscaled. */
static void expected_outputs(const mlp_t *net, const mlp_onnx_opts *o, const double *x,
                             size_t rows, double *y)
{
    size_t n_in = mlp_inputs(net), n_out = mlp_outputs(net);
    double *xs = malloc(rows * n_in * sizeof *xs);
    double *work = malloc(mlp_work_size(net) * sizeof *work);
    ck_assert(xs && work);
    for (size_t i = 0; i < rows * n_in; i++)
        xs[i] = o->inputs.offset ? (x[i] - o->inputs.offset[i % n_in]) / o->inputs.scale[i % n_in]
                                 : x[i];
    ck_assert_int_eq(mlp_predict(net, rows, xs, y, work), MLP_OK);
    for (size_t i = 0; o->targets.offset && i < rows * n_out; i++)
        y[i] = y[i] * o->targets.scale[i % n_out] + o->targets.offset[i % n_out];
    free(xs);
    free(work);
}

static void dump_case(const char *dir, const char *name, const mlp_t *net,
                      const mlp_onnx_opts *o, const double *x, size_t rows)
{
    size_t len = 0, n_in = mlp_inputs(net), n_out = mlp_outputs(net);
    unsigned char *buf = encode(net, o, &len);
    FILE *f = open_dump(dir, name, ".onnx");
    ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    fclose(f);
    free(buf);
    const mlp_spec *spec = mlp_get_spec(net);
    f = open_dump(dir, name, "-w.json");
    fputs("{\"layers\":[", f);
    for (size_t l = 0; l < spec->n_layers; l++) {
        size_t fan_in, w_off, b_off, units = spec->layers[l].units;
        ck_assert_int_eq(mlp_layer_offsets(net, l, &fan_in, &w_off, &b_off), MLP_OK);
        fputs(l ? ",{\"weights\":[" : "{\"weights\":[", f);
        for (size_t k = 0; k < units; k++) {
            if (k)
                fputc(',', f);
            put_array(f, mlp_params_const(net) + w_off + k * fan_in, fan_in);
        }
        fputs("],\"biases\":", f);
        put_array(f, mlp_params_const(net) + b_off, units);
        fputc('}', f);
    }
    fputs("]}\n", f);
    fclose(f);
    double *y = malloc(rows * n_out * sizeof *y);
    ck_assert_ptr_nonnull(y);
    expected_outputs(net, o, x, rows, y);
    f = open_dump(dir, name, "-case.json");
    fputs("{\"inputs\":[", f);
    for (size_t i = 0; i < rows; i++) {
        if (i)
            fputc(',', f);
        put_array(f, x + i * n_in, n_in);
    }
    fputs("],\"outputs\":[", f);
    for (size_t i = 0; i < rows; i++) {
        if (i)
            fputc(',', f);
        put_array(f, y + i * n_out, n_out);
    }
    fputs("]}\n", f);
    fclose(f);
    free(y);
}

START_TEST(scaler_graphs_dump)
{
    const char *dir = getenv("MLPD_ONNX_DUMP");
    if (!dir || !*dir)
        return; /* only when tests/e2e/onnx_export.sh asks */
    enum { ROWS = 40 };
    static const double mean[4] = {5.84, 3.05, 3.76, 1.2}, scale[4] = {0.83, 0.43, 1.76, 0.76};
    static const char *const classes[3] = {"setosa", "versicolor", "virginica"};
    double x[ROWS * 4];
    mlp_rng rng;
    mlp_rng_seed(&rng, 11);
    for (size_t i = 0; i < ROWS * 4; i++)
        x[i] = mean[i % 4] + 2.5 * scale[i % 4] * (2 * mlp_rng_uniform(&rng) - 1);
    mlp_t *cls = classifier_net();
    for (int d = 0; d < 2; d++) {
        mlp_onnx_opts o = {0};
        o.dtype = d ? MLP_ONNX_FLOAT32 : MLP_ONNX_FLOAT64;
        o.inputs.offset = mean;
        o.inputs.scale = scale;
        o.classes = classes;
        o.n_classes = 3;
        dump_case(dir, d ? "scaled-classifier-float32" : "scaled-classifier-float64", cls, &o, x,
                  ROWS);
    }
    mlp_free(cls);
    static const size_t u[3] = {7, 5, 2};
    static const int a[3] = {MLP_ACT_RELU, MLP_ACT_TANH, MLP_ACT_LINEAR};
    mlp_t *reg = make_net(4, 3, u, a, MLP_LOSS_MSE, 12);
    static const double t_mean[2] = {250.0, -3.5}, t_scale[2] = {40.0, 0.25};
    for (int d = 0; d < 2; d++) {
        mlp_onnx_opts o = {0};
        o.dtype = d ? MLP_ONNX_FLOAT32 : MLP_ONNX_FLOAT64;
        o.inputs.offset = mean;
        o.inputs.scale = scale;
        o.targets.offset = t_mean;
        o.targets.scale = t_scale;
        dump_case(dir, d ? "scaled-regressor-float32" : "scaled-regressor-float64", reg, &o, x,
                  ROWS);
    }
    mlp_free(reg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core_onnx");
    TCase *tc = tcase_create("encode");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, lecture_net_field_by_field, 0, 2);
    tcase_add_test(tc, classifier_with_scaler_and_classes);
    tcase_add_test(tc, regressor_with_target_scaler);
    tcase_add_test(tc, binary_sigmoid_classifier);
    tcase_add_test(tc, same_bytes_and_size_queries);
    tcase_add_test(tc, inconsistent_options_are_refused);
    tcase_add_test(tc, allocation_failure_is_clean);
    tcase_add_test(tc, scaler_graphs_dump);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
