/*
 * samples.c - add (JSON in two shapes, or text/csv), page through
 * and clear a model's samples. Adding is all or nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/csv.h"
#include "domain/datasets.h"
#include "api/handlers.h"
#include "api/jsonin.h"
#include "api/quota_check.h"
#include "api/reply.h"

#define SAMPLES_PAGE_DEFAULT 100
#define SAMPLES_PAGE_MAX 1000

typedef struct sample_set {
    size_t n, n_in, n_out;
    double *x, *y; /* malloc'ed, n x n_in and n x n_out */
} sample_set;

static void sample_set_free(sample_set *s)
{
    free(s->x);
    free(s->y);
    s->x = s->y = NULL;
}

static int alloc_set_or_reply(api_response *resp, sample_set *s, size_t n)
{
    s->n = n;
    s->x = malloc(n * s->n_in * sizeof *s->x + 1);
    s->y = malloc(n * s->n_out * sizeof *s->y + 1);
    if (!s->x || !s->y) {
        sample_set_free(s);
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
        return -1;
    }
    return 0;
}

/* {"samples": [{"x": [..], "y": [..]}, ...]} */
static int parse_pairs(api_response *resp, const cJSON *arr, size_t max, sample_set *s)
{
    static const char *const pair_fields[] = {"x", "y", NULL};
    size_t n = 0;
    if (json_rows_or_reply(resp, arr, "samples", max, &n) != 0 ||
        alloc_set_or_reply(resp, s, n) != 0)
        return -1;
    size_t i = 0;
    for (const cJSON *c = arr->child; c; c = c->next, i++) {
        char path[40], xp[48], yp[48];
        snprintf(path, sizeof path, "samples[%zu]", i);
        snprintf(xp, sizeof xp, "%s.x", path);
        snprintf(yp, sizeof yp, "%s.y", path);
        if (json_object_or_reply(resp, c, path, pair_fields) != 0)
            return -1;
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(c, "x");
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(c, "y");
        if (!x || !y) {
            reply_error(resp, API_ERR_MISSING_FIELD, x ? yp : xp, "The field %s is required.",
                        x ? yp : xp);
            return -1;
        }
        if (json_vector_or_reply(resp, x, xp, s->n_in, s->x + i * s->n_in) != 0 ||
            json_vector_or_reply(resp, y, yp, s->n_out, s->y + i * s->n_out) != 0)
            return -1;
    }
    return 0;
}

/* {"inputs": [[..]], "targets": [[..]]} */
static int parse_columns(api_response *resp, const cJSON *body, size_t max, sample_set *s)
{
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(body, "inputs");
    const cJSON *tg = cJSON_GetObjectItemCaseSensitive(body, "targets");
    if (!in || !tg) {
        reply_error(resp, API_ERR_MISSING_FIELD, in ? "targets" : "inputs",
                    "The field %s is required with %s.", in ? "targets" : "inputs",
                    in ? "inputs" : "targets");
        return -1;
    }
    size_t n = 0, nt = 0;
    if (json_rows_or_reply(resp, in, "inputs", max, &n) != 0 ||
        json_rows_or_reply(resp, tg, "targets", max, &nt) != 0)
        return -1;
    if (n != nt) {
        reply_error(resp, API_ERR_INVALID_DIMENSIONS, "targets",
                    "targets has %zu rows but inputs has %zu.", nt, n);
        return -1;
    }
    if (alloc_set_or_reply(resp, s, n) != 0 ||
        json_matrix_or_reply(resp, in, "inputs", n, s->n_in, s->x) != 0 ||
        json_matrix_or_reply(resp, tg, "targets", n, s->n_out, s->y) != 0)
        return -1;
    return 0;
}

static int parse_json_samples(api_response *resp, const api_request *req, size_t max,
                              sample_set *s)
{
    static const char *const fields[] = {"samples", "inputs", "targets", NULL};
    cJSON *body = NULL;
    int rc = -1;
    if (json_parse_or_reply(resp, req->body, req->body_len, &body) != 0 ||
        json_object_or_reply(resp, body, "", fields) != 0)
        goto out;
    const cJSON *pairs = cJSON_GetObjectItemCaseSensitive(body, "samples");
    int has_columns = cJSON_GetObjectItemCaseSensitive(body, "inputs") ||
                      cJSON_GetObjectItemCaseSensitive(body, "targets");
    if (pairs && has_columns)
        reply_error(resp, API_ERR_INVALID_FIELD, "samples",
                    "Give either samples or inputs and targets, not both.");
    else if (pairs)
        rc = parse_pairs(resp, pairs, max, s);
    else if (has_columns)
        rc = parse_columns(resp, body, max, s);
    else
        reply_error(resp, API_ERR_MISSING_FIELD, "samples",
                    "The body needs samples, or inputs and targets.");
out:
    cJSON_Delete(body);
    return rc;
}

static int parse_csv_samples(api_response *resp, const api_request *req, size_t max,
                             sample_set *s)
{
    csv_error err;
    if (csv_parse(req->body, req->body_len, s->n_in, s->n_out, max, &s->x, &s->y, &s->n,
                  &err) == 0)
        return 0;
    if (err.too_many)
        reply_error(resp, API_ERR_LIMIT_EXCEEDED_SIZE, NULL, "%s", err.message);
    else
        reply_error(resp, API_ERR_INVALID_CSV, NULL, "%s", err.message);
    return -1;
}

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
    if (alloc_set_or_reply(resp, s, dp.n) != 0)
        return -1;
    dataset_generate(&dp, s->n_out, s->x, s->y);
    return 0;
}

static int is_csv(const api_request *req)
{
    const char *ct = api_header(req, "Content-Type");
    while (ct && (*ct == ' ' || *ct == '\t'))
        ct++;
    return ct && strncasecmp(ct, "text/csv", 8) == 0 &&
           (ct[8] == '\0' || ct[8] == ';' || ct[8] == ' ');
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

void h_samples_add(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    const char *key = NULL;
    if (idempotency_key_or_reply(req, resp, &key) != 0)
        return;
    st_model m;
    mlp_spec spec;
    model_init init;
    if (model_get_or_reply(a, resp, p->id, &m, &spec, &init) != 0)
        return;
    sample_set s = {0, spec.inputs, spec.layers[spec.n_layers - 1].units, NULL, NULL};
    size_t max = (size_t)a->cfg->max_samples;
    size_t room = m.samples < (int64_t)max ? max - (size_t)m.samples : 0;
    int rc = api_query(req, "generate") ? generate_samples(resp, req, max, &s)
             : is_csv(req)              ? parse_csv_samples(resp, req, max, &s)
                                        : parse_json_samples(resp, req, max, &s);
    char owner[17];
    memcpy(owner, m.owner, sizeof owner); /* whose quota the samples count against */
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
    request_hash(req, is_csv(req), hash);
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
    reply_json(resp, 201, root);
    if (res.replayed && resp->status == 201)
        api_response_header(resp, "Idempotent-Replayed", "true");
out:
    sample_set_free(&s);
}

static void write_page(sbuf *b, uint64_t offset, uint64_t limit, int64_t total,
                       const double *x, const double *y, size_t n, size_t n_in, size_t n_out)
{
    sbuf_printf(b, "{\"offset\":%llu,\"limit\":%llu,\"total\":%lld,\"samples\":[",
                (unsigned long long)offset, (unsigned long long)limit, (long long)total);
    for (size_t i = 0; i < n; i++) {
        sbuf_puts(b, i ? ",{\"x\":" : "{\"x\":");
        sbuf_json_array(b, x + i * n_in, n_in);
        sbuf_puts(b, ",\"y\":");
        sbuf_json_array(b, y + i * n_out, n_out);
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
    st_model_clear(&m);
    double *x = NULL, *y = NULL;
    st_status s = ST_OK;
    if (offset < (uint64_t)total)
        s = storage_samples_read(a->st, p->id, (size_t)offset, (size_t)limit, n_in, n_out,
                                 &x, &y, &n);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        return;
    }
    sbuf b;
    sbuf_init(&b);
    write_page(&b, offset, limit, total, x, y, n, n_in, n_out);
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
