/*
 * export_onnx.c - GET /v1/models/{id}/export?format=onnx: the model's
 * current (or ?version=n) weights as an ONNX model (core/onnx.h), float32
 * unless ?dtype=float64, as application/octet-stream. Access as for the
 * JSON export (the owner); the bytes depend only on the weights version.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "domain/prep.h"
#include "onnx.h"
#include "api/reply.h"
#include "util/version.h"

/* ?dtype= into *dtype (float32 when absent); -1 after replying. */
static int dtype_or_reply(const api_request *req, api_response *resp, int *dtype)
{
    const char *v = api_query(req, "dtype");
    *dtype = MLP_ONNX_FLOAT32;
    if (!v || strcmp(v, "float32") == 0)
        return 0;
    if (strcmp(v, "float64") == 0) {
        *dtype = MLP_ONNX_FLOAT64;
        return 0;
    }
    reply_error(resp, API_ERR_INVALID_QUERY, "dtype", "dtype must be float32 or float64.");
    return -1;
}

/* Encode the snapshot; 0 with *out (malloc'ed), or -1 after replying. */
static int encode_or_reply(api_response *resp, const char *id, const snapshot *snap,
                           const model_meta *meta, int dtype, unsigned char **out, size_t *len)
{
    mlp_onnx_meta extra[1] = {{"mlpd.model_id", id}};
    mlp_onnx_opts o;
    memset(&o, 0, sizeof o);
    o.dtype = dtype;
    o.producer_version = MLPD_VERSION;
    o.model_version = snapshot_version(snap);
    o.extra = extra;
    o.n_extra = 1;
    /* The version's scalers (inputs, and the targets' inverse) and the
     * model's classes and feature names: the file takes raw units. */
    const model_prep *prep = snapshot_prep(snap);
    if (prep && !mlp_scaler_is_identity(&prep->inputs))
        o.inputs = (mlp_onnx_scaler){prep->inputs.offset, prep->inputs.scale};
    if (prep && !mlp_scaler_is_identity(&prep->targets) && meta->n_classes == 0)
        o.targets = (mlp_onnx_scaler){prep->targets.offset, prep->targets.scale};
    o.classes = (const char *const *)meta->classes;
    o.n_classes = meta->n_classes;
    o.feature_names = (const char *const *)meta->feature_names;
    o.n_features = meta->n_features;
    mlp_status s = mlp_onnx_encode_alloc(snapshot_net(snap), &o, NULL, out, len);
    if (s == MLP_ERR_NONFINITE) {
        reply_error(resp, API_ERR_INVALID_QUERY, "dtype",
                    "A weight is outside float32's range; export with dtype=float64.");
        return -1;
    }
    if (s == MLP_ERR_LIMIT) {
        reply_error(resp, API_ERR_LIMIT_EXCEEDED_SIZE, "dtype",
                    "The model is too large for one ONNX file (2 GiB)%s.",
                    dtype == MLP_ONNX_FLOAT64 ? "; float32 takes half" : "");
        return -1;
    }
    if (s != MLP_OK) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "ONNX encoding failed (%s).",
                    mlp_status_name(s));
        return -1;
    }
    return 0;
}

void model_export_onnx(app *a, const api_request *req, const route_params *p,
                       api_response *resp)
{
    int dtype = 0;
    int64_t version = 0;
    if (dtype_or_reply(req, resp, &dtype) != 0 || query_version_or_reply(req, resp, &version) != 0)
        return;
    snapshot *snap = model_net_or_reply(a, resp, p->id, version);
    if (!snap)
        return;
    unsigned char *bytes = NULL;
    size_t len = 0;
    model_meta meta;
    model_meta_init(&meta);
    if (model_meta_fresh_or_reply(a, resp, p->id, &meta) == 0 &&
        encode_or_reply(resp, p->id, snap, &meta, dtype, &bytes, &len) == 0) {
        reply_text(resp, 200, "application/octet-stream", (const char *)bytes, len);
        char disposition[160];
        snprintf(disposition, sizeof disposition,
                 "attachment; filename=\"mlpd-%s-v%lld-%s.onnx\"", p->id,
                 (long long)snapshot_version(snap),
                 dtype == MLP_ONNX_FLOAT64 ? "float64" : "float32");
        if (resp->status == 200)
            api_response_header(resp, "Content-Disposition", disposition);
    }
    free(bytes);
    model_meta_clear(&meta);
    snapshot_release(snap);
}
