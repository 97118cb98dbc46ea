/*
 * onnx.c - a network as an ONNX ModelProto (see onnx.h for the graph).
 *
 * Two steps: plan() turns the network and options into flat lists of
 * nodes and initializers (names, inputs, attributes, pointers to the
 * numbers), checking the options on the way; then the encoders below
 * write the plan as protobuf through pb.h, one function per message, in
 * field-number order. The field numbers are those of the onnx.proto that
 * python3-onnx 1.12 ships (tests/unit/test_core_onnx.c decodes them back,
 * tests/e2e/onnx_check.py loads the bytes with the onnx package).
 */
#include "onnx.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "pb.h"

/* onnx.proto field numbers, by message. */
enum {
    MODEL_IR_VERSION = 1, MODEL_PRODUCER_NAME = 2, MODEL_PRODUCER_VERSION = 3,
    MODEL_MODEL_VERSION = 5, MODEL_DOC_STRING = 6, MODEL_GRAPH = 7, MODEL_OPSET_IMPORT = 8,
    MODEL_METADATA_PROPS = 14,
    OPSET_DOMAIN = 1, OPSET_VERSION = 2,
    ENTRY_KEY = 1, ENTRY_VALUE = 2,
    GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11, GRAPH_OUTPUT = 12,
    NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4, NODE_ATTRIBUTE = 5,
    ATTR_NAME = 1, ATTR_I = 3, ATTR_TYPE = 20,
    TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2, TENSOR_NAME = 8, TENSOR_RAW_DATA = 9,
    VALUE_NAME = 1, VALUE_TYPE = 2,
    TYPE_TENSOR_TYPE = 1,
    TTENSOR_ELEM_TYPE = 1, TTENSOR_SHAPE = 2,
    SHAPE_DIM = 1,
    DIM_VALUE = 1, DIM_PARAM = 2
};
#define ATTR_TYPE_INT 2 /* AttributeProto.AttributeType.INT */

#define NAME_LEN 32
#define MAX_NODES (4 + 2 * MLP_MAX_LAYERS)
#define MAX_INITS (4 + 2 * MLP_MAX_LAYERS)

typedef struct plan_node {
    const char *op;
    char name[NAME_LEN];
    char in[3][NAME_LEN];
    size_t n_in;
    char out[NAME_LEN];
    const char *attr; /* an INT attribute's name, or NULL */
    int64_t attr_value;
} plan_node;

typedef struct plan_tensor {
    char name[NAME_LEN];
    uint64_t dims[2];
    size_t n_dims, n;
    const double *data;
} plan_tensor;

typedef struct plan {
    const mlp_t *net;
    const mlp_onnx_opts *o;
    int dtype;
    plan_node nodes[MAX_NODES];
    size_t n_nodes;
    plan_tensor inits[MAX_INITS];
    size_t n_inits;
} plan;

/* ---- the plan ---------------------------------------------------------- */

static plan_node *add_node(plan *p, const char *op, const char *name, const char *in0,
                           const char *in1, const char *in2, const char *out)
{
    plan_node *n = &p->nodes[p->n_nodes++];
    memset(n, 0, sizeof *n);
    n->op = op;
    snprintf(n->name, sizeof n->name, "%s", name);
    const char *ins[3] = {in0, in1, in2};
    for (size_t i = 0; i < 3 && ins[i]; i++)
        snprintf(n->in[n->n_in++], NAME_LEN, "%s", ins[i]);
    snprintf(n->out, sizeof n->out, "%s", out);
    return n;
}

static void add_init(plan *p, const char *name, const double *data, size_t rows, size_t cols)
{
    plan_tensor *t = &p->inits[p->n_inits++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->data = data;
    t->dims[0] = rows;
    t->dims[1] = cols;
    t->n_dims = cols ? 2 : 1;
    t->n = cols ? rows * cols : rows;
}

/* ONNX operator of an activation; NULL for linear (no node). */
static const char *act_op(int act)
{
    switch (act) {
    case MLP_ACT_SIGMOID: return "Sigmoid";
    case MLP_ACT_TANH: return "Tanh";
    case MLP_ACT_RELU: return "Relu";
    case MLP_ACT_SOFTMAX: return "Softmax";
    default: return NULL;
    }
}

static int values_ok(const double *v, size_t n, int dtype, int nonzero)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]) || (nonzero && v[i] == 0.0))
            return 0;
        if (dtype == MLP_ONNX_FLOAT32 && fabs(v[i]) > FLT_MAX)
            return 0;
    }
    return 1;
}

static mlp_status check_scaler(const mlp_onnx_scaler *s, size_t n, int dtype)
{
    if (!s->offset)
        return MLP_OK;
    if (!s->scale)
        return MLP_ERR_INVALID;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(s->offset[i]) || !isfinite(s->scale[i]) || s->scale[i] == 0.0)
            return MLP_ERR_INVALID;
    if (!values_ok(s->offset, n, dtype, 0) || !values_ok(s->scale, n, dtype, 1))
        return MLP_ERR_NONFINITE;
    return MLP_OK;
}

static int strings_ok(const char *const *s, size_t n)
{
    if (n && !s)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!s[i])
            return 0;
    return 1;
}

/* Options against the network; MLP_OK, MLP_ERR_INVALID or MLP_ERR_NONFINITE. */
static mlp_status check_opts(const mlp_t *net, const mlp_onnx_opts *o, int dtype)
{
    const mlp_spec *spec = mlp_get_spec(net);
    size_t n_in = spec->inputs, n_out = mlp_outputs(net);
    int out_act = spec->layers[spec->n_layers - 1].activation;
    if (dtype != MLP_ONNX_FLOAT32 && dtype != MLP_ONNX_FLOAT64)
        return MLP_ERR_INVALID;
    if (!strings_ok(o->classes, o->n_classes) || !strings_ok(o->feature_names, o->n_features))
        return MLP_ERR_INVALID;
    for (size_t i = 0; i < o->n_extra; i++)
        if (!o->extra[i].key || !o->extra[i].value)
            return MLP_ERR_INVALID;
    if (o->n_features && o->n_features != n_in)
        return MLP_ERR_INVALID;
    if (o->n_classes) {
        int softmax = out_act == MLP_ACT_SOFTMAX && o->n_classes == n_out;
        int binary = out_act == MLP_ACT_SIGMOID && n_out == 1 && o->n_classes == 2;
        if ((!softmax && !binary) || o->targets.offset)
            return MLP_ERR_INVALID;
    }
    mlp_status s = check_scaler(&o->inputs, n_in, dtype);
    if (s == MLP_OK)
        s = check_scaler(&o->targets, n_out, dtype);
    if (s == MLP_OK && !values_ok(mlp_params_const(net), mlp_param_count(net), dtype, 0))
        s = MLP_ERR_NONFINITE;
    return s;
}

/* Layer l (0-based): initializers W<l+1>, b<l+1>, its Gemm and activation
 * nodes, reading prev; out names the layer's result. */
static void plan_layer(plan *p, size_t l, const char *prev, const char *out)
{
    const mlp_spec *spec = mlp_get_spec(p->net);
    size_t fan_in = 0, w_off = 0, b_off = 0, units = spec->layers[l].units;
    mlp_layer_offsets(p->net, l, &fan_in, &w_off, &b_off);
    const double *params = mlp_params_const(p->net);
    int act = spec->layers[l].activation;
    const char *op = act_op(act);
    char w[NAME_LEN], b[NAME_LEN], v[NAME_LEN], gemm[NAME_LEN], name[NAME_LEN];
    snprintf(w, sizeof w, "W%zu", l + 1);
    snprintf(b, sizeof b, "b%zu", l + 1);
    snprintf(v, sizeof v, "v%zu", l + 1); /* the lecture's v = W x + b */
    snprintf(gemm, sizeof gemm, "gemm_%zu", l + 1);
    add_init(p, w, params + w_off, units, fan_in);
    add_init(p, b, params + b_off, units, 0);
    plan_node *g = add_node(p, "Gemm", gemm, prev, w, b, op ? v : out);
    g->attr = "transB"; /* W is units x fan_in: row k = unit k */
    g->attr_value = 1;
    if (!op)
        return; /* linear: y = v */
    snprintf(name, sizeof name, "%s_%zu", op, l + 1);
    for (char *c = name; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    plan_node *a = add_node(p, op, name, v, NULL, NULL, out);
    if (act == MLP_ACT_SOFTMAX) {
        a->attr = "axis"; /* over each row's outputs */
        a->attr_value = 1;
    }
}

static void plan_build(plan *p)
{
    const mlp_spec *spec = mlp_get_spec(p->net);
    const mlp_onnx_opts *o = p->o;
    char prev[NAME_LEN] = "input", out[NAME_LEN];
    if (o->inputs.offset) {
        add_init(p, "input_offset", o->inputs.offset, spec->inputs, 0);
        add_init(p, "input_scale", o->inputs.scale, spec->inputs, 0);
        add_node(p, "Sub", "scale_inputs_sub", "input", "input_offset", NULL, "x_centered");
        add_node(p, "Div", "scale_inputs_div", "x_centered", "input_scale", NULL, "x_scaled");
        snprintf(prev, sizeof prev, "x_scaled");
    }
    for (size_t l = 0; l < spec->n_layers; l++) {
        /* the last layer names the graph's output, or what the target
         * scaler takes */
        if (l + 1 < spec->n_layers)
            snprintf(out, sizeof out, "y%zu", l + 1);
        else
            snprintf(out, sizeof out, "%s", o->targets.offset ? "y_scaled" : "output");
        plan_layer(p, l, prev, out);
        memcpy(prev, out, sizeof prev);
    }
    if (o->targets.offset) {
        size_t n_out = mlp_outputs(p->net);
        add_init(p, "target_scale", o->targets.scale, n_out, 0);
        add_init(p, "target_offset", o->targets.offset, n_out, 0);
        add_node(p, "Mul", "unscale_targets_mul", "y_scaled", "target_scale", NULL,
                 "y_times_scale");
        add_node(p, "Add", "unscale_targets_add", "y_times_scale", "target_offset", NULL,
                 "output");
    }
}

/* ---- encoders, one per message ---------------------------------------- */

static void enc_opset(pb_writer *w, const void *arg)
{
    (void)arg;
    pb_string(w, OPSET_DOMAIN, "");
    pb_int(w, OPSET_VERSION, MLP_ONNX_OPSET);
}

static void enc_attr(pb_writer *w, const void *arg)
{
    const plan_node *n = arg;
    pb_string(w, ATTR_NAME, n->attr);
    pb_int(w, ATTR_I, n->attr_value);
    pb_int(w, ATTR_TYPE, ATTR_TYPE_INT);
}

static void enc_node(pb_writer *w, const void *arg)
{
    const plan_node *n = arg;
    for (size_t i = 0; i < n->n_in; i++)
        pb_string(w, NODE_INPUT, n->in[i]);
    pb_string(w, NODE_OUTPUT, n->out);
    pb_string(w, NODE_NAME, n->name);
    pb_string(w, NODE_OP_TYPE, n->op);
    if (n->attr)
        pb_message(w, NODE_ATTRIBUTE, enc_attr, n);
}

typedef struct tensor_arg {
    const plan_tensor *t;
    int dtype;
} tensor_arg;

static void enc_tensor(pb_writer *w, const void *arg)
{
    const tensor_arg *ta = arg;
    for (size_t i = 0; i < ta->t->n_dims; i++)
        pb_int(w, TENSOR_DIMS, (int64_t)ta->t->dims[i]);
    pb_int(w, TENSOR_DATA_TYPE, ta->dtype);
    pb_string(w, TENSOR_NAME, ta->t->name);
    if (ta->dtype == MLP_ONNX_FLOAT32)
        pb_floats(w, TENSOR_RAW_DATA, ta->t->data, ta->t->n);
    else
        pb_doubles(w, TENSOR_RAW_DATA, ta->t->data, ta->t->n);
}

/* A graph input or output: name, element type, [N, width]. */
typedef struct value_arg {
    const char *name;
    int dtype;
    size_t width;
} value_arg;

static void enc_dim_batch(pb_writer *w, const void *arg)
{
    (void)arg;
    pb_string(w, DIM_PARAM, "N");
}

static void enc_dim_width(pb_writer *w, const void *arg)
{
    const value_arg *va = arg;
    pb_int(w, DIM_VALUE, (int64_t)va->width);
}

static void enc_shape(pb_writer *w, const void *arg)
{
    pb_message(w, SHAPE_DIM, enc_dim_batch, arg);
    pb_message(w, SHAPE_DIM, enc_dim_width, arg);
}

static void enc_tensor_type(pb_writer *w, const void *arg)
{
    const value_arg *va = arg;
    pb_int(w, TTENSOR_ELEM_TYPE, va->dtype);
    pb_message(w, TTENSOR_SHAPE, enc_shape, arg);
}

static void enc_type(pb_writer *w, const void *arg)
{
    pb_message(w, TYPE_TENSOR_TYPE, enc_tensor_type, arg);
}

static void enc_value(pb_writer *w, const void *arg)
{
    const value_arg *va = arg;
    pb_string(w, VALUE_NAME, va->name);
    pb_message(w, VALUE_TYPE, enc_type, arg);
}

static void enc_graph(pb_writer *w, const void *arg)
{
    const plan *p = arg;
    for (size_t i = 0; i < p->n_nodes; i++)
        pb_message(w, GRAPH_NODE, enc_node, &p->nodes[i]);
    pb_string(w, GRAPH_NAME, p->o->graph_name ? p->o->graph_name : "mlpd");
    for (size_t i = 0; i < p->n_inits; i++) {
        tensor_arg ta = {&p->inits[i], p->dtype};
        pb_message(w, GRAPH_INITIALIZER, enc_tensor, &ta);
    }
    value_arg in = {"input", p->dtype, mlp_inputs(p->net)};
    value_arg out = {"output", p->dtype, mlp_outputs(p->net)};
    pb_message(w, GRAPH_INPUT, enc_value, &in);
    pb_message(w, GRAPH_OUTPUT, enc_value, &out);
}

/* ---- metadata_props ---------------------------------------------------- */

/* s as a JSON string body (quotes included), escaping what JSON needs. */
static void json_string_raw(pb_writer *w, const char *s)
{
    pb_raw(w, "\"", 1);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        char esc[8];
        if (*c == '"' || *c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*c;
            pb_raw(w, esc, 2);
        } else if (*c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", (unsigned)*c);
            pb_raw(w, esc, 6);
        } else {
            pb_raw(w, c, 1);
        }
    }
    pb_raw(w, "\"", 1);
}

typedef struct strings_arg {
    const char *const *s;
    size_t n;
} strings_arg;

static void enc_json_array(pb_writer *w, const void *arg)
{
    const strings_arg *sa = arg;
    pb_raw(w, "[", 1);
    for (size_t i = 0; i < sa->n; i++) {
        if (i)
            pb_raw(w, ",", 1);
        json_string_raw(w, sa->s[i]);
    }
    pb_raw(w, "]", 1);
}

typedef struct entry_arg {
    const char *key;
    const char *value;       /* or */
    const strings_arg *list; /* a JSON array of strings */
} entry_arg;

static void enc_entry(pb_writer *w, const void *arg)
{
    const entry_arg *e = arg;
    pb_string(w, ENTRY_KEY, e->key);
    if (e->list)
        pb_message(w, ENTRY_VALUE, enc_json_array, e->list);
    else
        pb_string(w, ENTRY_VALUE, e->value);
}

static void enc_metadata(pb_writer *w, const mlp_onnx_opts *o)
{
    static const char conventions[] =
        "{\"bias\":\"+b\",\"cost\":\"1/2 e^2 per sample\",\"activations\":\"exact\","
        "\"weights\":\"W[k][i]: row k = unit, column i = input (Gemm transB=1)\"}";
    entry_arg conv = {"mlpd.conventions", conventions, NULL};
    entry_arg ver = {"mlpd.version", o->producer_version ? o->producer_version : "", NULL};
    pb_message(w, MODEL_METADATA_PROPS, enc_entry, &conv);
    pb_message(w, MODEL_METADATA_PROPS, enc_entry, &ver);
    if (o->n_classes) {
        strings_arg sa = {o->classes, o->n_classes};
        entry_arg e = {"mlpd.classes", NULL, &sa};
        pb_message(w, MODEL_METADATA_PROPS, enc_entry, &e);
    }
    if (o->n_features) {
        strings_arg sa = {o->feature_names, o->n_features};
        entry_arg e = {"mlpd.feature_names", NULL, &sa};
        pb_message(w, MODEL_METADATA_PROPS, enc_entry, &e);
    }
    for (size_t i = 0; i < o->n_extra; i++) {
        entry_arg e = {o->extra[i].key, o->extra[i].value, NULL};
        pb_message(w, MODEL_METADATA_PROPS, enc_entry, &e);
    }
}

static void enc_model(pb_writer *w, const plan *p)
{
    const mlp_onnx_opts *o = p->o;
    pb_int(w, MODEL_IR_VERSION, MLP_ONNX_IR_VERSION);
    pb_string(w, MODEL_PRODUCER_NAME, "mlpd");
    pb_string(w, MODEL_PRODUCER_VERSION, o->producer_version ? o->producer_version : "");
    if (o->model_version)
        pb_int(w, MODEL_MODEL_VERSION, o->model_version);
    pb_string(w, MODEL_DOC_STRING,
              "A multi-layer perceptron trained by mlpd: v = W x + b, y = f(v) per layer.");
    pb_message(w, MODEL_GRAPH, enc_graph, p);
    pb_message(w, MODEL_OPSET_IMPORT, enc_opset, NULL);
    enc_metadata(w, o);
}

/* ---- public ------------------------------------------------------------ */

mlp_status mlp_onnx_encode(const mlp_t *net, const mlp_onnx_opts *opts, unsigned char *buf,
                           size_t cap, size_t *size)
{
    if (!net || !opts || !size)
        return MLP_ERR_INVALID;
    int dtype = opts->dtype ? opts->dtype : MLP_ONNX_FLOAT32;
    mlp_status s = check_opts(net, opts, dtype);
    if (s != MLP_OK)
        return s;
    plan p;
    p.net = net;
    p.o = opts;
    p.dtype = dtype;
    p.n_nodes = p.n_inits = 0;
    plan_build(&p);
    pb_writer count = pb_counter();
    enc_model(&count, &p);
    /* protobuf's parsers refuse messages of 2 GiB and more */
    if (count.overflow || count.pos > (size_t)INT32_MAX)
        return MLP_ERR_LIMIT;
    *size = count.pos;
    if (!buf || cap < count.pos)
        return MLP_ERR_SPACE;
    pb_writer w = pb_into(buf, cap);
    enc_model(&w, &p);
    return pb_ok(&w) && w.pos == count.pos ? MLP_OK : MLP_ERR_SPACE;
}

mlp_status mlp_onnx_encode_alloc(const mlp_t *net, const mlp_onnx_opts *opts,
                                 const mlp_allocator *alloc, unsigned char **out,
                                 size_t *size)
{
    if (!out || !size)
        return MLP_ERR_INVALID;
    *out = NULL;
    size_t need = 0;
    mlp_status s = mlp_onnx_encode(net, opts, NULL, 0, &need);
    if (s != MLP_ERR_SPACE)
        return s == MLP_OK ? MLP_ERR_INVALID : s; /* MLP_OK is impossible without a buffer */
    unsigned char *buf = core_alloc(alloc, need ? need : 1);
    if (!buf)
        return MLP_ERR_NOMEM;
    s = mlp_onnx_encode(net, opts, buf, need, size);
    if (s != MLP_OK) {
        core_release(alloc, buf);
        return s;
    }
    *out = buf;
    return MLP_OK;
}
