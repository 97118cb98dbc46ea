/*
 * export.c - GET /v1/models/{id}/export: a whole model as one
 * JSON document (format "mlpd-model", format_version 1; import.c
 * reads it back):
 *   model        the create body: name, inputs, layers, loss, init, and
 *                preprocessing, classes, feature_names when set
 *   conventions  bias "+b", cost "1/2 e^2 per sample", activations "exact"
 *   last_loss    number or null
 *   weights      the current weights, exactly as GET weights shows them
 *                (with "preprocessing" when the version has scalers)
 *   versions     stored versions (version, source, created_at, loss,
 *                layers), oldest first: every one while their weights
 *                add up to at most EXPORT_VERSION_VALUES numbers (newest
 *                first, the current one always); versions_omitted counts
 *                the others
 *   samples      {"inputs": [[..]], "targets": [[..]]} in posting order
 *   jobs         the jobs' summaries; history every epoch row
 * A model of more than EXPORT_MAX_VALUES numbers (samples, current
 * weights twice) is refused (413) rather than built in memory.
 * Each part is read in its own snapshot: history before the jobs, so
 * every history row names a listed job.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/handlers.h"
#include "domain/prep.h"
#include "api/jsonin.h"
#include "api/reply.h"
#include "util/clock.h"

/* Weights of old versions exported at most (numbers, about 20 bytes each). */
#define EXPORT_VERSION_VALUES (1u << 20)
/* Numbers in one document at most (samples and weights): past this the
 * text alone would take hundreds of MiB, far past any --max-import-body. */
#define EXPORT_MAX_VALUES (UINT64_C(1) << 23)

/* ---- export ------------------------------------------------------------ */

static void put_time(sbuf *b, double t)
{
    if (!(t > 0) || !isfinite(t)) {
        sbuf_puts(b, "null");
        return;
    }
    char s[32];
    format_time(s, t);
    sbuf_json_string(b, s);
}

/* "model": the create body, from the parsed (checked) architecture. */
static int write_model(sbuf *b, const st_model *m, const mlp_spec *spec,
                       const model_init *init)
{
    char *arch = model_spec_json(spec, init);
    model_meta meta;
    char *spec_json = arch && model_meta_parse(m->spec_json, spec, &meta) == 0
                          ? model_meta_spec_json(arch, &meta) : NULL;
    free(arch);
    model_meta_clear(&meta);
    if (!spec_json)
        return -1;
    sbuf_puts(b, "\"model\":{\"name\":");
    sbuf_json_string(b, m->name);
    sbuf_putc(b, ',');
    sbuf_puts(b, spec_json + 1); /* {"inputs":...} without its brace */
    free(spec_json);
    sbuf_puts(b, ",\"conventions\":{\"bias\":\"+b\",\"cost\":\"1/2 e^2 per sample\","
                 "\"activations\":\"exact\"},\"last_loss\":");
    sbuf_json_number(b, m->last_loss);
    return 0;
}

/* Which versions carry weights: the current one, then newest first while
 * the budget lasts. keep[i] set for those. */
static size_t choose_versions(const st_version *vs, size_t n, int64_t current,
                              size_t params, unsigned char *keep)
{
    size_t budget = params > EXPORT_VERSION_VALUES ? params : EXPORT_VERSION_VALUES;
    size_t used = 0, kept = 0;
    for (size_t i = 0; i < n; i++)
        if (vs[i].version == current) {
            keep[i] = 1;
            used += params;
            kept++;
        }
    for (size_t i = n; i-- > 0;) {
        if (keep[i] || used + params > budget)
            continue;
        keep[i] = 1;
        used += params;
        kept++;
    }
    return kept;
}

/* The layers of one stored version (with its scalers, and with_split the
 * rows its job trained and validated on); -1 after replying. */
static int write_version_layers(app *a, api_response *resp, sbuf *b, const char *id,
                                int64_t version, int with_split)
{
    snapshot *snap = model_net_or_reply(a, resp, id, version);
    if (!snap)
        return -1;
    weights_write_layers(b, snapshot_net(snap));
    if (weights_have_prep(snapshot_prep(snap))) {
        sbuf_puts(b, ",\"preprocessing\":");
        weights_write_prep(b, snapshot_prep(snap), snapshot_net(snap));
    }
    const model_prep *prep = snapshot_prep(snap);
    if (with_split && prep && (prep->train_rows || prep->val_rows))
        sbuf_printf(b, ",\"split\":{\"train_rows\":%lld,\"validation_rows\":%lld}",
                    (long long)prep->train_rows, (long long)prep->val_rows);
    snapshot_release(snap);
    return 0;
}

static int write_versions(app *a, api_response *resp, sbuf *b, const char *id,
                          int64_t current, size_t params)
{
    st_version *vs = NULL;
    size_t n = 0;
    st_status s = storage_versions_list(a->st, id, &vs, &n);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        return -1;
    }
    unsigned char *keep = calloc(n + 1, 1);
    if (!keep) {
        free(vs);
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
        return -1;
    }
    size_t kept = choose_versions(vs, n, current, params, keep);
    int rc = 0, first = 1;
    /* the current weights first, exactly as GET weights shows them */
    sbuf_puts(b, ",\"weights\":{\"version\":");
    sbuf_json_int(b, current);
    sbuf_puts(b, ",\"layers\":");
    rc = write_version_layers(a, resp, b, id, current, 0);
    sbuf_puts(b, "},\"versions\":[");
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!keep[i])
            continue;
        sbuf_puts(b, first ? "{\"version\":" : ",{\"version\":");
        first = 0;
        sbuf_json_int(b, vs[i].version);
        sbuf_puts(b, ",\"source\":");
        sbuf_json_string(b, vs[i].source);
        sbuf_puts(b, ",\"created_at\":");
        put_time(b, vs[i].created_at);
        sbuf_puts(b, ",\"loss\":");
        sbuf_json_number(b, vs[i].loss);
        sbuf_puts(b, ",\"layers\":");
        rc = write_version_layers(a, resp, b, id, vs[i].version, 1);
        sbuf_putc(b, '}');
    }
    sbuf_puts(b, "],\"versions_omitted\":");
    sbuf_json_int(b, (long long)(n - kept));
    free(keep);
    free(vs);
    return rc;
}

static int write_samples(app *a, api_response *resp, sbuf *b, const char *id,
                         size_t n_in, size_t n_out)
{
    double *x = NULL, *y = NULL;
    size_t n = 0;
    st_status s = storage_samples_read(a->st, id, 0, 0, n_in, n_out, &x, &y, &n);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        return -1;
    }
    sbuf_puts(b, ",\"samples\":{\"inputs\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_putc(b, ',');
        sbuf_json_array(b, x + i * n_in, n_in);
    }
    sbuf_puts(b, "],\"targets\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_putc(b, ',');
        sbuf_json_array(b, y + i * n_out, n_out);
    }
    sbuf_puts(b, "]}");
    free(x);
    free(y);
    return 0;
}

static void write_job(sbuf *b, const st_job *j)
{
    sbuf_puts(b, "{\"id\":");
    sbuf_json_string(b, j->id);
    sbuf_puts(b, ",\"status\":");
    sbuf_json_string(b, j->status);
    sbuf_puts(b, ",\"epoch\":");
    sbuf_json_int(b, j->epoch);
    sbuf_puts(b, ",\"epochs\":");
    sbuf_json_int(b, j->epochs);
    sbuf_puts(b, ",\"loss\":");
    sbuf_json_number(b, j->loss);
    sbuf_puts(b, ",\"val_loss\":");
    sbuf_json_number(b, j->val_loss);
    sbuf_puts(b, ",\"error\":");
    if (j->error)
        sbuf_json_string(b, j->error);
    else
        sbuf_puts(b, "null");
    sbuf_puts(b, ",\"version\":");
    sbuf_json_int(b, j->version);
    sbuf_puts(b, ",\"created_at\":");
    put_time(b, j->created_at);
    sbuf_puts(b, ",\"started_at\":");
    put_time(b, j->started_at);
    sbuf_puts(b, ",\"finished_at\":");
    put_time(b, j->finished_at);
    /* params as stored: canonical JSON text written by the train handler */
    cJSON *params = j->params_json ? cJSON_Parse(j->params_json) : NULL;
    char *text = cJSON_IsObject(params) ? cJSON_PrintUnformatted(params) : NULL;
    sbuf_puts(b, ",\"params\":");
    sbuf_puts(b, text ? text : "{}");
    cJSON_free(text);
    cJSON_Delete(params);
    sbuf_putc(b, '}');
}

static int write_jobs_history(app *a, api_response *resp, sbuf *b, const char *id)
{
    st_history_row *rows = NULL;
    st_job *js = NULL;
    size_t nr = 0, nj = 0;
    st_status s = storage_history_list(a->st, id, &rows, &nr);
    if (s == ST_OK)
        s = storage_jobs_list(a->st, id, &js, &nj);
    if (s != ST_OK) {
        free(rows);
        reply_storage_error(resp, s);
        return -1;
    }
    sbuf_puts(b, ",\"jobs\":[");
    for (size_t i = 0; i < nj; i++) {
        if (i)
            sbuf_putc(b, ',');
        write_job(b, &js[i]);
    }
    sbuf_puts(b, "],\"history\":[");
    for (size_t i = 0; i < nr; i++) {
        sbuf_puts(b, i ? ",{\"job_id\":" : "{\"job_id\":");
        sbuf_json_string(b, rows[i].job_id);
        sbuf_puts(b, ",\"epoch\":");
        sbuf_json_int(b, rows[i].e.epoch);
        sbuf_puts(b, ",\"loss\":");
        sbuf_json_number(b, rows[i].e.loss);
        sbuf_puts(b, ",\"val_loss\":");
        sbuf_json_number(b, rows[i].e.val_loss);
        sbuf_puts(b, ",\"time\":");
        put_time(b, rows[i].e.time);
        sbuf_putc(b, '}');
    }
    sbuf_putc(b, ']');
    st_jobs_free(js, nj);
    free(rows);
    return 0;
}

static size_t spec_params(const mlp_spec *spec)
{
    size_t n = 0, fan_in = spec->inputs;
    for (size_t l = 0; l < spec->n_layers; l++) {
        n += spec->layers[l].units * (fan_in + 1);
        fan_in = spec->layers[l].units;
    }
    return n;
}

void h_model_export(app *a, const api_request *req, const route_params *p,
                    api_response *resp)
{
    const char *format = api_query(req, "format");
    if (format && strcmp(format, "onnx") == 0) {
        model_export_onnx(a, req, p, resp); /* api/export_onnx.c */
        return;
    }
    if (format && strcmp(format, "json") != 0) {
        reply_error(resp, API_ERR_INVALID_QUERY, "format", "format must be json or onnx.");
        return;
    }
    st_model m;
    mlp_spec spec;
    model_init init;
    if (model_get_or_reply(a, resp, p->id, &m, &spec, &init) != 0)
        return;
    sbuf b;
    sbuf_init(&b);
    sbuf_puts(&b, "{\"format\":\"" EXPORT_FORMAT "\",\"format_version\":");
    sbuf_json_int(&b, EXPORT_FORMAT_VERSION);
    sbuf_puts(&b, ",\"exported_at\":");
    put_time(&b, clock_unix());
    sbuf_puts(&b, ",\"source_id\":");
    sbuf_json_string(&b, m.id);
    sbuf_putc(&b, ',');
    size_t n_in = spec.inputs, n_out = spec.layers[spec.n_layers - 1].units;
    uint64_t values = (uint64_t)m.samples * (n_in + n_out) + 2 * (uint64_t)spec_params(&spec);
    if (values > EXPORT_MAX_VALUES) {
        reply_error(resp, API_ERR_LIMIT_EXCEEDED_SIZE, NULL,
                    "The model holds %llu numbers; one export document takes at most %llu.",
                    (unsigned long long)values, (unsigned long long)EXPORT_MAX_VALUES);
        st_model_clear(&m);
        sbuf_free(&b);
        return;
    }
    int rc = write_model(&b, &m, &spec, &init);
    if (rc != 0)
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
    if (rc == 0)
        rc = write_versions(a, resp, &b, m.id, m.version, spec_params(&spec));
    if (rc == 0)
        rc = write_samples(a, resp, &b, m.id, n_in, n_out);
    if (rc == 0)
        rc = write_jobs_history(a, resp, &b, m.id);
    st_model_clear(&m);
    if (rc != 0) {
        sbuf_free(&b);
        return;
    }
    sbuf_putc(&b, '}');
    reply_sbuf(resp, 200, &b);
}

