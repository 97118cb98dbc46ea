/*
 * v2.c - KServe v2 / Open Inference Protocol (REST), with the
 * model id as the model name and weight versions as model versions:
 *   GET  /v2                                   server metadata
 *   GET  /v2/models/{id}[/versions/{n}]        model metadata
 *   GET  /v2/models/{id}[/versions/{n}]/ready  model readiness
 *   POST /v2/models/{id}[/versions/{n}]/infer  inference (v2infer.h)
 * Access as for predict (access.c); errors become {"error": "text"} in
 * api.c (protocol_errors.h). Outputs are FP64: the doubles predict gives
 * (through the same forward, float32 models in float), printed to read back.
 */
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/reply.h"
#include "api/v2infer.h"
#include "util/version.h"

void h_v2_server(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    (void)a;
    (void)req;
    (void)p;
    static const char body[] = "{\"name\":\"mlpd\",\"version\":\"" MLPD_VERSION "\",\"extensions\":[]}";
    reply_text(resp, 200, CT_JSON, body, sizeof body - 1);
}

/* {n} of the path into *version (0 when the route has none); -1 after
 * replying 400. */
static int path_version_or_reply(const route_params *p, api_response *resp, int64_t *version)
{
    *version = 0;
    if (!p->n[0])
        return 0;
    int64_t v = 0;
    for (const char *c = p->n; *c; c++) {
        if (*c < '0' || *c > '9' || v > (INT64_MAX - 9) / 10) {
            reply_error(resp, API_ERR_INVALID_FIELD, "version",
                        "The model version must be a positive integer.");
            return -1;
        }
        v = v * 10 + (*c - '0');
    }
    if (v < 1) {
        reply_error(resp, API_ERR_INVALID_FIELD, "version",
                    "The model version must be a positive integer.");
        return -1;
    }
    *version = v;
    return 0;
}

/* The snapshot the path names (current or /versions/{n}); NULL after
 * replying (404 for a version that does not exist). */
static snapshot *path_snapshot_or_reply(app *a, const route_params *p, api_response *resp)
{
    int64_t version = 0;
    if (path_version_or_reply(p, resp, &version) != 0)
        return NULL;
    return model_net_or_reply(a, resp, p->id, version);
}

static void put_tensor_meta(sbuf *b, const char *name, size_t width)
{
    sbuf_puts(b, "{\"name\":");
    sbuf_json_string(b, name);
    sbuf_puts(b, ",\"datatype\":\"FP64\",\"shape\":[-1,");
    sbuf_json_int(b, (long long)width);
    sbuf_puts(b, "]}");
}

void h_v2_model(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    (void)req;
    snapshot *snap = path_snapshot_or_reply(a, p, resp);
    if (!snap)
        return;
    st_version *vs = NULL;
    size_t n = 0;
    st_status s = storage_versions_list(a->st, p->id, &vs, &n);
    if (s != ST_OK) {
        snapshot_release(snap);
        reply_storage_error(resp, s);
        return;
    }
    const mlp_t *net = snapshot_net(snap);
    sbuf b;
    sbuf_init(&b);
    sbuf_puts(&b, "{\"name\":");
    sbuf_json_string(&b, p->id);
    sbuf_puts(&b, ",\"versions\":[");
    for (size_t i = 0; i < n; i++) {
        sbuf_puts(&b, i ? ",\"" : "\"");
        sbuf_printf(&b, "%lld\"", (long long)vs[i].version);
    }
    sbuf_puts(&b, "],\"platform\":\"mlpd\",\"inputs\":[");
    put_tensor_meta(&b, "input", mlp_inputs(net));
    sbuf_puts(&b, "],\"outputs\":[");
    put_tensor_meta(&b, "output", mlp_outputs(net));
    sbuf_puts(&b, "]}");
    free(vs);
    snapshot_release(snap);
    reply_sbuf(resp, 200, &b);
}

void h_v2_ready(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    (void)req;
    snapshot *snap = path_snapshot_or_reply(a, p, resp);
    if (!snap)
        return;
    snapshot_release(snap);
    sbuf b;
    sbuf_init(&b);
    sbuf_puts(&b, "{\"name\":");
    sbuf_json_string(&b, p->id);
    sbuf_puts(&b, ",\"ready\":true}");
    reply_sbuf(resp, 200, &b);
}

/* The answer: model_name, model_version, id and parameters (as sent),
 * one FP64 output [rows, outputs]. */
static void infer_reply(api_response *resp, const char *name, int64_t version,
                        const v2_infer *in, const double *y, size_t n_out)
{
    sbuf b;
    sbuf_init(&b);
    sbuf_reserve(&b, 160 + in->rows * n_out * 26);
    sbuf_puts(&b, "{\"model_name\":");
    sbuf_json_string(&b, name);
    sbuf_printf(&b, ",\"model_version\":\"%lld\"", (long long)version);
    if (in->id) {
        sbuf_puts(&b, ",\"id\":");
        sbuf_json_string(&b, in->id);
    }
    if (in->parameters) {
        char *text = cJSON_PrintUnformatted(in->parameters);
        if (!text) {
            sbuf_free(&b);
            reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
            return;
        }
        sbuf_puts(&b, ",\"parameters\":");
        sbuf_puts(&b, text);
        cJSON_free(text);
    }
    sbuf_puts(&b, ",\"outputs\":[{\"name\":\"output\",\"datatype\":\"FP64\",\"shape\":[");
    sbuf_json_int(&b, (long long)in->rows);
    sbuf_putc(&b, ',');
    sbuf_json_int(&b, (long long)n_out);
    sbuf_puts(&b, "],\"data\":");
    sbuf_json_array(&b, y, in->rows * n_out);
    sbuf_puts(&b, "}]}");
    reply_sbuf(resp, 200, &b);
}

void h_v2_infer(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    snapshot *snap = path_snapshot_or_reply(a, p, resp);
    if (!snap)
        return;
    const mlp_t *net = snapshot_net(snap);
    const mlp_f32_t *f32 = NULL;
    v2_infer in;
    double *mem = NULL;
    memset(&in, 0, sizeof in);
    if (predict_f32_or_reply(a, resp, p->id, snap, &f32) != 0 ||
        v2_infer_parse_or_reply(resp, req->body, req->body_len, mlp_inputs(net),
                                (size_t)a->cfg->max_batch, &in) != 0)
        goto out;
    size_t n_out = mlp_outputs(net), nw = mlp_work_size(net);
    if (!(mem = malloc((in.rows * n_out + nw) * sizeof *mem))) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
        goto out;
    }
    /* as predict computes (float32 models in float) */
    mlp_status s = predict_forward_rows(net, f32, snapshot_prep(snap), in.rows, in.x, mem, mem + in.rows * n_out);
    if (s == MLP_ERR_NONFINITE)
        reply_error(resp, API_ERR_INVALID_FIELD, "inputs[0].data",
                    "These inputs make an output overflow to a non-finite value.");
    else if (s != MLP_OK)
        reply_error(resp, API_ERR_INTERNAL, NULL, "Prediction failed (%s).", mlp_status_name(s));
    else
        infer_reply(resp, p->id, snapshot_version(snap), &in, mem, n_out);
out:
    free(mem);
    v2_infer_free(&in);
    snapshot_release(snap);
}
