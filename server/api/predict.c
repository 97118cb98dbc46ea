/*
 * predict.c - forward passes from the cached snapshot.
 *
 * The hot path: no SQLite when the model is cached; the usual body shape
 * is scanned by fastrows.c without building a JSON tree (anything else
 * goes through the strict cJSON readers, which also word the errors);
 * work areas live on the stack for small requests; outputs are printed
 * into one buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "domain/prep.h"
#include "core/metrics.h"
#include "util/fastrows.h"
#include "api/handlers.h"
#include "api/jsonin.h"
#include "api/reply.h"

#define STACK_DOUBLES 512

typedef struct predict_shape {
    const char *rows_key; /* "inputs" or "instances" */
    const char *out_key;  /* "outputs" or "predictions" */
    int with_version;
    int tf; /* :predict: also TF Serving's columnar {"inputs"} and signature_name */
} predict_shape;

/* Rows a float32 model's predict takes per block (sgemm). */
#define F32_BLOCK_ROWS 64

/* y = outputs of n rows: in double, or for float32 models in float
 * blocks (work: F32_BLOCK_ROWS rows, from the heap). */
static mlp_status forward_scaled(const mlp_t *net, const mlp_f32_t *f32, size_t n,
                                 const double *x, double *y, double *work)
{
    if (!f32)
        return mlp_predict(net, n, x, y, work);
    size_t rows = n < F32_BLOCK_ROWS ? n : F32_BLOCK_ROWS;
    float *fw = malloc(mlp_f32_work_size(f32, rows) * sizeof(float));
    if (!fw)
        return MLP_ERR_NOMEM;
    mlp_status s = mlp_f32_predict(f32, n, x, y, fw, rows);
    free(fw);
    return s;
}

/* The one path from raw inputs to raw outputs (predict, :predict, KServe
 * v2, evaluate): the version's input scaler, the network, the inverse of
 * its target scaler. Without scalers the rows go through untouched (bit
 * for bit what the network gives). */
mlp_status predict_forward_rows(const mlp_t *net, const mlp_f32_t *f32, const model_prep *prep,
                                size_t n, const double *x, double *y, double *work)
{
    double *xs = NULL;
    mlp_status s = MLP_OK;
    if (prep && !mlp_scaler_is_identity(&prep->inputs)) {
        if (!(xs = malloc(n * mlp_inputs(net) * sizeof *xs + 1)))
            return MLP_ERR_NOMEM;
        s = prep_inputs(prep, n, x, xs);
        x = xs;
    }
    if (s == MLP_OK)
        s = forward_scaled(net, f32, n, x, y, work);
    free(xs);
    if (s == MLP_OK && prep && !mlp_scaler_is_identity(&prep->targets))
        s = prep_targets_inverse(prep, n, y, y);
    return s;
}

int predict_meta_or_reply(app *a, api_response *resp, const char *id, snapshot *snap,
                          const model_meta **meta)
{
    if ((*meta = snapshot_meta(snap)) != NULL)
        return 0;
    st_model m;
    mlp_spec spec;
    model_init init;
    model_meta *mm = malloc(sizeof *mm);
    if (!mm) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
        return -1;
    }
    model_meta_init(mm);
    dom_status s = model_read(a->st, id, &m, &spec, &init);
    if (s.code != DOM_OK) {
        free(mm);
        reply_dom_error(resp, &s);
        return -1;
    }
    int rc = model_meta_parse(m.spec_json, &spec, mm);
    st_model_clear(&m);
    if (rc != 0) {
        free(mm);
        reply_error(resp, API_ERR_MODEL_CORRUPT, NULL, "The stored model description is damaged.");
        return -1;
    }
    *meta = snapshot_set_meta(snap, mm);
    return 0;
}

/* Class probabilities of one row (k of them: a single sigmoid unit's p
 * is [1 - p, p]) into out. */
static void class_probs(const double *y, size_t width, size_t k, double *out)
{
    if (width == 1 && k == 2) {
        out[0] = 1.0 - y[0];
        out[1] = y[0];
    } else {
        memcpy(out, y, k * sizeof *out);
    }
}

void predict_write_labels(sbuf *b, const model_meta *meta, const double *y, size_t n,
                          size_t width)
{
    sbuf_puts(b, "\"labels\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_putc(b, ',');
        sbuf_json_string(b, meta->classes[mlp_argmax(y + i * width, width)]);
    }
    sbuf_putc(b, ']');
}

/* :predict's [{"label", "probabilities"}] of a classifier. */
static void write_predictions(sbuf *b, const model_meta *meta, const double *y, size_t n,
                              size_t width)
{
    size_t k = meta->n_classes;
    double p[META_MAX_CLASSES];
    sbuf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        sbuf_puts(b, i ? ",{\"label\":" : "{\"label\":");
        sbuf_json_string(b, meta->classes[mlp_argmax(y + i * width, width)]);
        sbuf_puts(b, ",\"probabilities\":");
        class_probs(y + i * width, width, k, p);
        sbuf_json_array(b, p, k);
        sbuf_putc(b, '}');
    }
    sbuf_putc(b, ']');
}

int predict_f32_or_reply(app *a, api_response *resp, const char *id, snapshot *snap,
                         const mlp_f32_t **f32)
{
    /* float32 models compute in float: their dtype is read once per
     * snapshot (a storage read), the float copy made once too. */
    if (!snapshot_dtype(snap))
        snapshot_set_dtype(snap, model_dtype(a->st, id));
    *f32 = NULL;
    if (snapshot_dtype(snap) == MLP_DTYPE_FLOAT32 && !(*f32 = snapshot_f32(snap))) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
        return -1;
    }
    return 0;
}

/* What a prediction reads from the snapshot. */
typedef struct predict_model {
    const mlp_t *net;
    const mlp_f32_t *f32;
    const model_prep *prep;
    const model_meta *meta; /* classes: labels beside the probabilities */
    int64_t version;
} predict_model;

/* Forward n rows of x and answer {"version"?, out_key: [[..]]}, for
 * classifiers with "labels" (or :predict's label objects). */
static void compute_and_reply(api_response *resp, const predict_model *pm, const double *x,
                              size_t n, const predict_shape *shape)
{
    const mlp_t *net = pm->net;
    int64_t version = pm->version;
    size_t n_out = mlp_outputs(net), nw = mlp_work_size(net);
    double stack[STACK_DOUBLES];
    double *mem = stack;
    size_t need = n * n_out + nw;
    if (need > STACK_DOUBLES && !(mem = malloc(need * sizeof *mem))) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
        return;
    }
    double *y = mem, *work = mem + n * n_out;
    mlp_status s = predict_forward_rows(net, pm->f32, pm->prep, n, x, y, work);
    if (s == MLP_ERR_NONFINITE) {
        reply_error(resp, API_ERR_INVALID_FIELD, shape->rows_key,
                    "These inputs make an output overflow to a non-finite value.");
    } else if (s != MLP_OK) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "Prediction failed (%s).", mlp_status_name(s));
    } else {
        sbuf b;
        sbuf_init(&b);
        sbuf_reserve(&b, 32 + n * n_out * 26);
        sbuf_putc(&b, '{');
        if (shape->with_version) {
            sbuf_puts(&b, "\"version\":");
            sbuf_json_int(&b, version);
            sbuf_putc(&b, ',');
        }
        sbuf_json_string(&b, shape->out_key);
        sbuf_putc(&b, ':');
        int classes = pm->meta && pm->meta->n_classes;
        if (classes && strcmp(shape->out_key, "predictions") == 0) {
            write_predictions(&b, pm->meta, y, n, n_out);
        } else {
            sbuf_json_matrix(&b, y, n, n_out);
            if (classes) {
                sbuf_putc(&b, ',');
                predict_write_labels(&b, pm->meta, y, n, n_out);
            }
        }
        sbuf_putc(&b, '}');
        reply_sbuf(resp, 200, &b);
    }
    if (mem != stack)
        free(mem);
}

/* TF Serving's body: {"instances": rows} answered as {"predictions"}, or
 * the columnar {"inputs": rows} (or {"inputs": {"input": rows}})
 * answered as {"outputs"}; "signature_name" may name serving_default.
 * *shape gets the keys to use; -1 after replying. */
static int tf_rows_or_reply(api_response *resp, const cJSON *body, predict_shape *shape,
                            const cJSON **rows)
{
    static const char *const fields[] = {"instances", "inputs", "signature_name", NULL};
    const char *sig = NULL;
    if (json_object_or_reply(resp, body, "", fields) != 0 ||
        json_string_or_reply(resp, body, "signature_name", "", 0, 0, 128, &sig) != 0)
        return -1;
    if (sig && strcmp(sig, "serving_default") != 0) {
        reply_error(resp, API_ERR_INVALID_FIELD, "signature_name",
                    "The only signature is serving_default.");
        return -1;
    }
    const cJSON *inst = cJSON_GetObjectItemCaseSensitive(body, "instances");
    const cJSON *cols = cJSON_GetObjectItemCaseSensitive(body, "inputs");
    if (inst && cols) {
        reply_error(resp, API_ERR_INVALID_FIELD, "inputs",
                    "Give instances (rows) or inputs (columnar), not both.");
        return -1;
    }
    *rows = inst;
    if (!cols)
        return 0;
    shape->rows_key = "inputs";
    shape->out_key = "outputs";
    if (cJSON_IsObject(cols)) {
        static const char *const named[] = {"input", NULL};
        if (json_object_or_reply(resp, cols, "inputs", named) != 0)
            return -1;
        cols = cJSON_GetObjectItemCaseSensitive(cols, "input");
        shape->rows_key = "inputs.input";
    }
    *rows = cols;
    return 0;
}

/* The general path: strict parse, exact errors. */
static void predict_slow(app *a, const api_request *req, api_response *resp,
                         const predict_model *pm, const predict_shape *shape_in)
{
    const mlp_t *net = pm->net;
    const char *const fields[] = {shape_in->rows_key, NULL};
    predict_shape keys = *shape_in; /* :predict's columnar form answers with other keys */
    const predict_shape *shape = &keys;
    size_t n_in = mlp_inputs(net), n = 0;
    cJSON *body = NULL;
    double *x = NULL;
    const cJSON *rows = NULL;
    if (json_parse_or_reply(resp, req->body, req->body_len, &body) != 0)
        goto out;
    if (shape->tf ? tf_rows_or_reply(resp, body, &keys, &rows) != 0
                  : json_object_or_reply(resp, body, "", fields) != 0)
        goto out;
    if (!shape->tf)
        rows = cJSON_GetObjectItemCaseSensitive(body, shape->rows_key);
    if (!rows) {
        reply_error(resp, API_ERR_MISSING_FIELD, shape->rows_key, "The field %s is required.",
                    shape->rows_key);
        goto out;
    }
    if (json_rows_or_reply(resp, rows, shape->rows_key, (size_t)a->cfg->max_batch, &n) != 0)
        goto out;
    if (!(x = malloc(n * n_in * sizeof *x + 1))) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
        goto out;
    }
    if (json_matrix_or_reply(resp, rows, shape->rows_key, n, n_in, x) != 0)
        goto out;
    compute_and_reply(resp, pm, x, n, shape);
out:
    free(x);
    cJSON_Delete(body);
}

static void predict(app *a, const api_request *req, const route_params *p,
                    api_response *resp, const predict_shape *shape)
{
    int64_t version;
    if (query_version_or_reply(req, resp, &version) != 0)
        return;
    snapshot *snap = model_net_or_reply(a, resp, p->id, version);
    if (!snap)
        return;
    predict_model pm = {snapshot_net(snap), NULL, snapshot_prep(snap), NULL,
                        snapshot_version(snap)};
    if (predict_f32_or_reply(a, resp, p->id, snap, &pm.f32) != 0 ||
        predict_meta_or_reply(a, resp, p->id, snap, &pm.meta) != 0) {
        snapshot_release(snap);
        return;
    }
    double stack[STACK_DOUBLES];
    fast_rows fr;
    if (fast_rows_parse(req->body, req->body_len, shape->rows_key, mlp_inputs(pm.net),
                        (size_t)a->cfg->max_batch, stack, STACK_DOUBLES, &fr)) {
        compute_and_reply(resp, &pm, fr.x, fr.rows, shape);
        if (fr.owned)
            free(fr.x);
    } else {
        predict_slow(a, req, resp, &pm, shape);
    }
    snapshot_release(snap);
}

void h_predict(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    static const predict_shape shape = {"inputs", "outputs", 1, 0};
    predict(a, req, p, resp, &shape);
}

void h_predict_v1(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    static const predict_shape shape = {"instances", "predictions", 0, 1};
    predict(a, req, p, resp, &shape);
}
