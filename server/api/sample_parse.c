/*
 * sample_parse.c - samples from request bodies (see sample_parse.h).
 */
#include "api/sample_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/jsonin.h"
#include "api/reply.h"
#include "util/csv.h"

const char *const sample_json_fields[] = {"samples", "inputs", "targets", "labels", NULL};

void sample_set_free(sample_set *s)
{
    free(s->x);
    free(s->y);
    if (s->names)
        for (size_t i = 0; i < s->n_in; i++)
            free(s->names[i]);
    free(s->names);
    s->x = s->y = NULL;
    s->names = NULL;
}

int sample_set_alloc_or_reply(api_response *resp, sample_set *s, size_t n)
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

/* A class name at path into row y; -1 after replying. */
static int label_or_reply(api_response *resp, const model_meta *meta, const cJSON *item,
                          const char *path, size_t n_out, double *y)
{
    if (!meta || meta->n_classes == 0) {
        reply_error(resp, API_ERR_INVALID_FIELD, path,
                    "%s: the model has no classes; give targets (y) instead.", path);
        return -1;
    }
    long c = cJSON_IsString(item) ? model_meta_class(meta, item->valuestring) : -1;
    if (c < 0) {
        reply_error(resp, API_ERR_INVALID_FIELD, path, "%s is %s%s%s, not one of the model's "
                    "classes.", path, cJSON_IsString(item) ? "'" : "not a string",
                    cJSON_IsString(item) ? item->valuestring : "",
                    cJSON_IsString(item) ? "'" : "");
        return -1;
    }
    model_meta_class_target(meta, n_out, (size_t)c, y);
    return 0;
}

/* {"samples": [{"x": [..], "y": [..]} or {"x": [..], "label": ".."}, ...]} */
static int parse_pairs(api_response *resp, const cJSON *arr, const model_meta *meta, size_t max,
                       sample_set *s)
{
    static const char *const pair_fields[] = {"x", "y", "label", NULL};
    size_t n = 0;
    if (json_rows_or_reply(resp, arr, "samples", max, &n) != 0 ||
        sample_set_alloc_or_reply(resp, s, n) != 0)
        return -1;
    size_t i = 0;
    for (const cJSON *c = arr->child; c; c = c->next, i++) {
        char path[40], xp[48], yp[48], lp[56];
        snprintf(path, sizeof path, "samples[%zu]", i);
        snprintf(xp, sizeof xp, "%s.x", path);
        snprintf(yp, sizeof yp, "%s.y", path);
        snprintf(lp, sizeof lp, "%s.label", path);
        if (json_object_or_reply(resp, c, path, pair_fields) != 0)
            return -1;
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(c, "x");
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(c, "y");
        const cJSON *label = cJSON_GetObjectItemCaseSensitive(c, "label");
        if (y && label) {
            reply_error(resp, API_ERR_INVALID_FIELD, lp, "Give %s or %s, not both.", yp, lp);
            return -1;
        }
        if (!x || (!y && !label)) {
            const char *miss = x ? (meta && meta->n_classes ? lp : yp) : xp;
            reply_error(resp, API_ERR_MISSING_FIELD, miss, "The field %s is required.", miss);
            return -1;
        }
        if (json_vector_or_reply(resp, x, xp, s->n_in, s->x + i * s->n_in) != 0)
            return -1;
        if (label ? label_or_reply(resp, meta, label, lp, s->n_out, s->y + i * s->n_out) != 0
                  : json_vector_or_reply(resp, y, yp, s->n_out, s->y + i * s->n_out) != 0)
            return -1;
    }
    return 0;
}

static int parse_labels(api_response *resp, const cJSON *lb, const model_meta *meta, size_t n,
                        sample_set *s)
{
    if (!cJSON_IsArray(lb)) {
        reply_error(resp, API_ERR_INVALID_FIELD, "labels", "labels must be an array of class names.");
        return -1;
    }
    size_t i = 0;
    for (const cJSON *c = lb->child; c; c = c->next, i++) {
        char path[40];
        snprintf(path, sizeof path, "labels[%zu]", i);
        if (i < n && label_or_reply(resp, meta, c, path, s->n_out, s->y + i * s->n_out) != 0)
            return -1;
    }
    return 0;
}

/* {"inputs": [[..]], "targets": [[..]]} or {"inputs", "labels"} */
static int parse_columns(api_response *resp, const cJSON *body, const model_meta *meta,
                         size_t max, sample_set *s)
{
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(body, "inputs");
    const cJSON *tg = cJSON_GetObjectItemCaseSensitive(body, "targets");
    const cJSON *lb = cJSON_GetObjectItemCaseSensitive(body, "labels");
    const char *other = lb ? "labels" : "targets";
    if (tg && lb) {
        reply_error(resp, API_ERR_INVALID_FIELD, "labels", "Give targets or labels, not both.");
        return -1;
    }
    if (!in || (!tg && !lb)) {
        const char *want = meta && meta->n_classes ? "labels" : "targets";
        reply_error(resp, API_ERR_MISSING_FIELD, in ? want : "inputs",
                    "The field %s is required with %s.", in ? want : "inputs",
                    in ? "inputs" : other);
        return -1;
    }
    size_t n = 0;
    int nt = lb ? cJSON_GetArraySize(lb) : 0;
    size_t n_tg = 0;
    if (json_rows_or_reply(resp, in, "inputs", max, &n) != 0 ||
        (tg && json_rows_or_reply(resp, tg, "targets", max, &n_tg) != 0))
        return -1;
    if (lb)
        n_tg = (size_t)nt;
    if (n != n_tg) {
        reply_error(resp, API_ERR_INVALID_DIMENSIONS, other, "%s has %zu rows but inputs has %zu.",
                    other, n_tg, n);
        return -1;
    }
    if (sample_set_alloc_or_reply(resp, s, n) != 0 ||
        json_matrix_or_reply(resp, in, "inputs", n, s->n_in, s->x) != 0)
        return -1;
    return lb ? parse_labels(resp, lb, meta, n, s)
              : json_matrix_or_reply(resp, tg, "targets", n, s->n_out, s->y);
}

int samples_json_present(const cJSON *body)
{
    for (size_t i = 0; sample_json_fields[i]; i++)
        if (cJSON_GetObjectItemCaseSensitive(body, sample_json_fields[i]))
            return 1;
    return 0;
}

int samples_json_or_reply(api_response *resp, const cJSON *body, const model_meta *meta,
                          size_t max, sample_set *s)
{
    const cJSON *pairs = cJSON_GetObjectItemCaseSensitive(body, "samples");
    int has_columns = cJSON_GetObjectItemCaseSensitive(body, "inputs") ||
                      cJSON_GetObjectItemCaseSensitive(body, "targets") ||
                      cJSON_GetObjectItemCaseSensitive(body, "labels");
    if (pairs && has_columns) {
        reply_error(resp, API_ERR_INVALID_FIELD, "samples",
                    "Give either samples or inputs and targets, not both.");
        return -1;
    }
    if (pairs)
        return parse_pairs(resp, pairs, meta, max, s);
    if (has_columns)
        return parse_columns(resp, body, meta, max, s);
    reply_error(resp, API_ERR_MISSING_FIELD, "samples",
                "The body needs samples, or inputs and targets.");
    return -1;
}

/* The header's input names against the model's feature_names. */
static int header_or_reply(api_response *resp, const csv_table *t, const model_meta *meta,
                           sample_set *s)
{
    if (!t->names)
        return 0;
    for (size_t j = 0; meta && meta->n_features == s->n_in && j < s->n_in; j++) {
        if (strcmp(t->names[j], meta->feature_names[j]) != 0) {
            char field[48];
            snprintf(field, sizeof field, "feature_names[%zu]", j);
            reply_error(resp, API_ERR_INVALID_CSV, field,
                        "Column %zu of the header is '%s' but the model's feature_names[%zu] is "
                        "'%s'.", j + 1, t->names[j], j, meta->feature_names[j]);
            return -1;
        }
    }
    if (!(s->names = calloc(s->n_in ? s->n_in : 1, sizeof *s->names)))
        goto oom;
    for (size_t j = 0; j < s->n_in; j++)
        if (!(s->names[j] = strdup(t->names[j])))
            goto oom;
    return 0;
oom:
    reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
    return -1;
}

/* Class names of the label column into target rows. */
static int csv_labels_or_reply(api_response *resp, const csv_table *t, const model_meta *meta,
                               sample_set *s)
{
    for (size_t i = 0; i < t->rows; i++) {
        long c = model_meta_class(meta, t->labels[i]);
        if (c < 0) {
            reply_error(resp, API_ERR_INVALID_FIELD, "label",
                        "Data row %zu has the label '%s', not one of the model's classes.", i + 1,
                        t->labels[i]);
            return -1;
        }
        model_meta_class_target(meta, s->n_out, (size_t)c, s->y + i * s->n_out);
    }
    return 0;
}

int samples_csv_or_reply(api_response *resp, const api_request *req, const model_meta *meta,
                         size_t max, sample_set *s)
{
    int labels = meta && meta->n_classes > 0;
    csv_opts o = {s->n_in, s->n_out, labels, CSV_HEADER_AUTO, max};
    csv_table t;
    csv_error err;
    memset(&t, 0, sizeof t);
    if (csv_read(req->body, req->body_len, &o, &t, &err) != 0) {
        if (err.too_many)
            reply_error(resp, API_ERR_LIMIT_EXCEEDED_SIZE, NULL, "%s", err.message);
        else
            reply_error(resp, API_ERR_INVALID_CSV, NULL, "%s", err.message);
        return -1;
    }
    int rc = -1;
    if (header_or_reply(resp, &t, meta, s) != 0)
        goto out;
    s->n = t.rows;
    s->x = t.x;
    t.x = NULL;
    if (labels) {
        if (!(s->y = malloc(t.rows * s->n_out * sizeof *s->y))) {
            reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
            goto out;
        }
        if (csv_labels_or_reply(resp, &t, meta, s) != 0)
            goto out;
    } else {
        s->y = t.y;
        t.y = NULL;
    }
    rc = 0;
out:
    csv_table_free(&t);
    return rc;
}

int request_is_csv(const api_request *req)
{
    const char *ct = api_header(req, "Content-Type");
    while (ct && (*ct == ' ' || *ct == '\t'))
        ct++;
    return ct && strncasecmp(ct, "text/csv", 8) == 0 &&
           (ct[8] == '\0' || ct[8] == ';' || ct[8] == ' ');
}
