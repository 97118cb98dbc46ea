/*
 * tfserving.c - what TensorFlow Serving's REST clients read
 * besides :predict (predict.c):
 *   GET /v1/models/{id}           gains "model_version_status" (the
 *                                 current version, AVAILABLE)
 *   GET /v1/models/{id}/metadata  the serving_default signature: input
 *                                 "input" and output "output", DT_DOUBLE
 *                                 [-1, width]
 * Access as for predict; errors on /metadata are mlpd's, on :predict
 * {"error": "text"} (protocol_errors.h).
 */
#include <stdio.h>

#include "api/handlers.h"
#include "api/reply.h"

void tfs_add_version_status(cJSON *model, int64_t version)
{
    char v[24];
    snprintf(v, sizeof v, "%lld", (long long)version);
    cJSON *list = cJSON_AddArrayToObject(model, "model_version_status");
    cJSON *st = list ? cJSON_CreateObject() : NULL;
    if (!st)
        return;
    cJSON_AddItemToArray(list, st);
    cJSON_AddStringToObject(st, "version", v);
    cJSON_AddStringToObject(st, "state", "AVAILABLE");
    cJSON *status = cJSON_AddObjectToObject(st, "status");
    if (status) {
        cJSON_AddStringToObject(status, "error_code", "OK");
        cJSON_AddStringToObject(status, "error_message", "");
    }
}

/* {"dtype", "tensor_shape": {"dim": [{"size": "-1"}, {"size": width}]},
 * "name"} as TF Serving prints a TensorInfo. */
static void put_tensor_info(sbuf *b, const char *name, size_t width)
{
    sbuf_json_string(b, name);
    sbuf_puts(b, ":{\"dtype\":\"DT_DOUBLE\",\"tensor_shape\":{\"dim\":[{\"size\":\"-1\",\"name\":\"\"},"
                 "{\"size\":\"");
    sbuf_printf(b, "%zu", width);
    sbuf_puts(b, "\",\"name\":\"\"}],\"unknown_rank\":false},\"name\":");
    char tf_name[32];
    snprintf(tf_name, sizeof tf_name, "%s:0", name);
    sbuf_json_string(b, tf_name);
    sbuf_putc(b, '}');
}

void h_tfs_metadata(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    int64_t version = 0;
    if (query_version_or_reply(req, resp, &version) != 0)
        return;
    snapshot *snap = model_net_or_reply(a, resp, p->id, version);
    if (!snap)
        return;
    const mlp_t *net = snapshot_net(snap);
    sbuf b;
    sbuf_init(&b);
    sbuf_puts(&b, "{\"model_spec\":{\"name\":");
    sbuf_json_string(&b, p->id);
    sbuf_printf(&b, ",\"signature_name\":\"\",\"version\":\"%lld\"},",
                (long long)snapshot_version(snap));
    sbuf_puts(&b, "\"metadata\":{\"signature_def\":{\"signature_def\":{\"serving_default\":{"
                  "\"inputs\":{");
    put_tensor_info(&b, "input", mlp_inputs(net));
    sbuf_puts(&b, "},\"outputs\":{");
    put_tensor_info(&b, "output", mlp_outputs(net));
    sbuf_puts(&b, "},\"method_name\":\"tensorflow/serving/predict\"}}}}}");
    snapshot_release(snap);
    reply_sbuf(resp, 200, &b);
}
