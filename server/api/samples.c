/*
 * samples.c - add (JSON in two shapes, or text/csv), page through
 * and clear a model's samples. Adding is all or nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/sample_parse.h"
#include "core/metrics.h"
#include "storage/realdata.h"
#include "domain/datasets.h"
#include "api/datasets_api.h"
#include "api/handlers.h"
#include "api/jsonin.h"
#include "api/quota_check.h"
#include "api/reply.h"

#define SAMPLES_PAGE_DEFAULT 100
#define SAMPLES_PAGE_MAX 1000

/* ?generate=NAME&n=&noise=&seed=: a built-in data set (datasets.h); the
 * body must be empty. */
static int generate_samples(api_response *resp, const api_request *req, size_t max,
                            sample_set *s)
{
    if (req->body_len > 0) {
        reply_error(resp, API_ERR_INVALID_QUERY, "generate",
                    "Send either a body or ?generate=, not both.");
        return -1;
    }
    dataset_params dp;
    dataset_error err;
    if (dataset_params_parse(api_query(req, "generate"), api_query(req, "n"),
                             api_query(req, "noise"), api_query(req, "seed"), max, s->n_in,
                             s->n_out, &dp, &err) != 0) {
        reply_error(resp, API_ERR_INVALID_QUERY, err.field, "%s", err.message);
        return -1;
    }
    if (sample_set_alloc_or_reply(resp, s, dp.n) != 0)
        return -1;
    dataset_generate(&dp, s->n_out, s->x, s->y);
    return 0;
}

/* Idempotency-Key: 1 to 255 visible ASCII characters. NULL when absent;
 * -1 after replying when malformed. */
static int idempotency_key_or_reply(const api_request *req, api_response *resp,
                                    const char **key)
{
    *key = api_header(req, "Idempotency-Key");
    if (!*key)
        return 0;
    size_t len = strlen(*key);
    int ok = len >= 1 && len <= 255;
    for (size_t i = 0; ok && i < len; i++)
        ok = (*key)[i] > 0x20 && (*key)[i] < 0x7f;
    if (!ok) {
        reply_error(resp, API_ERR_BAD_REQUEST, "Idempotency-Key",
                    "Idempotency-Key must be 1 to 255 visible ASCII characters.");
        return -1;
    }
    return 0;
}

/* What makes two posts "the same request": the body bytes and whether they
 * are CSV, as FNV-1a 64, CRC-32 and length together. */
static void request_hash(const api_request *req, int csv, char out[64])
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < req->body_len; i++)
        h = (h ^ (unsigned char)req->body[i]) * 1099511628211ULL;
    uint32_t crc = req->body_len ? mlp_crc32((const unsigned char *)req->body, req->body_len) : 0;
    snprintf(out, 64, "%s:%016llx:%08x:%zu", csv ? "csv" : "json", (unsigned long long)h,
             (unsigned)crc, req->body_len);
}

static int parse_json_samples(api_response *resp, const api_request *req, const model_meta *meta,
                              size_t max, sample_set *s)
{
    cJSON *body = NULL;
    int rc = -1;
    if (json_parse_or_reply(resp, req->body, req->body_len, &body) == 0 &&
        json_object_or_reply(resp, body, "", sample_json_fields) == 0)
        rc = samples_json_or_reply(resp, body, meta, max, s);
    cJSON_Delete(body);
    return rc;
}

/* The first CSV header of a model without feature_names names its inputs
 * (after the samples are in; a concurrent post that set them first wins).
 * A header whose input names could not be feature names (an empty, an
 * overlong or a repeated one) stores the samples and names nothing. */
static void learn_feature_names(app *a, const char *id, const char *old_spec,
                                const mlp_spec *spec, model_meta *meta, const sample_set *s)
{
    if (!s->names || meta->n_features || !old_spec ||
        model_meta_set_features(meta, (const char *const *)s->names, s->n_in) != 0)
        return;
    cJSON *root = cJSON_Parse(old_spec);
    char *arch = NULL, *spec_json = NULL;
    /* the architecture part of the stored text, then every meta field */
    static const char *const meta_keys[] = {"preprocessing", "classes", "feature_names", NULL};
    for (size_t i = 0; root && meta_keys[i]; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(root, meta_keys[i]);
    if (root && (arch = cJSON_PrintUnformatted(root)))
        spec_json = model_meta_spec_json(arch, meta);
    (void)spec;
    if (spec_json)
        storage_model_replace_spec(a->st, id, old_spec, spec_json);
    free(spec_json);
    free(arch);
    cJSON_Delete(root);
}

void h_samples_add(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    if (body_names_dataset(req)) { /* {"dataset": "ID"}: a copy (dataset_use.c) */
        samples_from_dataset(a, req, p, resp);
        return;
    }
    const char *key = NULL;
    if (idempotency_key_or_reply(req, resp, &key) != 0)
        return;
    st_model m;
    mlp_spec spec;
    model_init init;
    if (model_get_or_reply(a, resp, p->id, &m, &spec, &init) != 0)
        return;
    sample_set s = {0, spec.inputs, spec.layers[spec.n_layers - 1].units, NULL, NULL, NULL};
    size_t max = (size_t)a->cfg->max_samples;
    size_t room = m.samples < (int64_t)max ? max - (size_t)m.samples : 0;
    model_meta meta;
    int rc = model_meta_parse(m.spec_json, &spec, &meta);
    if (rc != 0)
        reply_error(resp, API_ERR_MODEL_CORRUPT, NULL, "The stored model description is damaged.");
    else
        rc = api_query(req, "generate") ? generate_samples(resp, req, max, &s)
             : request_is_csv(req)      ? samples_csv_or_reply(resp, req, &meta, max, &s)
                                        : parse_json_samples(resp, req, &meta, max, &s);
    char owner[17];
    memcpy(owner, m.owner, sizeof owner); /* whose quota the samples count against */
    char *old_spec = m.spec_json;
    m.spec_json = NULL;
    st_model_clear(&m);
    if (rc != 0)
        goto out;
    /* a keyed retry may find the model full with its own first samples:
     * storage decides (it replays before checking the limit) */
    if (!key && s.n > room) {
        reply_error(resp, API_ERR_LIMIT_EXCEEDED_SIZE, NULL,
                    "A model holds at most %zu samples; %zu more fit.", max, room);
        goto out;
    }
    char hash[64];
    request_hash(req, request_is_csv(req), hash);
    st_samples_new sn = {.id = p->id,
                         .n = s.n,
                         .n_in = s.n_in,
                         .n_out = s.n_out,
                         .x = s.x,
                         .y = s.y,
                         .max_total = (int64_t)max,
                         .owner = owner,
                         .max_owner_total = quota_samples_cap(a, req),
                         .key = key,
                         .hash = hash};
    st_samples_added res = {0};
    st_status st = storage_samples_add(a->st, &sn, &res);
    if (st == ST_QUOTA) {
        quota_samples_reply(a, resp);
        goto out;
    }
    if (st == ST_CONFLICT && key) {
        reply_error(resp, API_ERR_IDEMPOTENCY_KEY_REUSED, "Idempotency-Key",
                    "This Idempotency-Key was used with a different body on this model.");
        goto out;
    }
    if (st == ST_LIMIT) {
        reply_error(resp, API_ERR_LIMIT_EXCEEDED_SIZE, NULL,
                    "A model holds at most %zu samples.", max);
        goto out;
    }
    if (st != ST_OK) {
        reply_storage_error(resp, st);
        goto out;
    }
    cJSON *root = cJSON_CreateObject();
    if (root) {
        cJSON_AddNumberToObject(root, "added", (double)res.added);
        cJSON_AddNumberToObject(root, "total", (double)res.total);
    }
    learn_feature_names(a, p->id, old_spec, &spec, &meta, &s);
    reply_json(resp, 201, root);
    if (res.replayed && resp->status == 201)
        api_response_header(resp, "Idempotent-Replayed", "true");
out:
    sample_set_free(&s);
    model_meta_clear(&meta);
    free(old_spec);
}

/* A page of samples; a classifier's rows also name their class (the
 * target's most probable one, as stored from the label). */
static void write_page(sbuf *b, uint64_t offset, uint64_t limit, int64_t total,
                       const double *x, const double *y, size_t n, size_t n_in, size_t n_out,
                       const model_meta *meta)
{
    sbuf_printf(b, "{\"offset\":%llu,\"limit\":%llu,\"total\":%lld,\"samples\":[",
                (unsigned long long)offset, (unsigned long long)limit, (long long)total);
    for (size_t i = 0; i < n; i++) {
        sbuf_puts(b, i ? ",{\"x\":" : "{\"x\":");
        sbuf_json_array(b, x + i * n_in, n_in);
        sbuf_puts(b, ",\"y\":");
        sbuf_json_array(b, y + i * n_out, n_out);
        if (meta->n_classes) {
            sbuf_puts(b, ",\"label\":");
            sbuf_json_string(b, meta->classes[mlp_argmax(y + i * n_out, n_out)]);
        }
        sbuf_putc(b, '}');
    }
    sbuf_puts(b, "]}");
}

void h_samples_list(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    uint64_t offset = 0, limit = SAMPLES_PAGE_DEFAULT;
    if (query_uint_or_reply(req, resp, "offset", 0, (uint64_t)INT64_MAX, &offset) != 0 ||
        query_uint_or_reply(req, resp, "limit", 1, SAMPLES_PAGE_MAX, &limit) != 0)
        return;
    st_model m;
    mlp_spec spec;
    model_init init;
    if (model_get_or_reply(a, resp, p->id, &m, &spec, &init) != 0)
        return;
    size_t n_in = spec.inputs, n_out = spec.layers[spec.n_layers - 1].units, n = 0;
    int64_t total = m.samples;
    model_meta meta;
    if (model_meta_parse(m.spec_json, &spec, &meta) != 0)
        model_meta_init(&meta); /* no labels then; the rows still answer */
    st_model_clear(&m);
    double *x = NULL, *y = NULL;
    st_status s = ST_OK;
    if (offset < (uint64_t)total)
        s = storage_samples_read(a->st, p->id, (size_t)offset, (size_t)limit, n_in, n_out,
                                 &x, &y, &n);
    if (s != ST_OK) {
        model_meta_clear(&meta);
        reply_storage_error(resp, s);
        return;
    }
    sbuf b;
    sbuf_init(&b);
    write_page(&b, offset, limit, total, x, y, n, n_in, n_out, &meta);
    model_meta_clear(&meta);
    free(x);
    free(y);
    reply_sbuf(resp, 200, &b);
}

void h_samples_clear(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    (void)req;
    st_model m;
    mlp_spec spec;
    model_init init;
    if (model_get_or_reply(a, resp, p->id, &m, &spec, &init) != 0)
        return;
    int64_t n = m.samples;
    st_model_clear(&m);
    st_status s = storage_samples_clear(a->st, p->id);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        return;
    }
    cJSON *root = cJSON_CreateObject();
    if (root)
        cJSON_AddNumberToObject(root, "deleted", (double)n);
    reply_json(resp, 200, root);
}
