/*
 * dataset_parse.c - a dataset's rows from a JSON body into a ds_table
 * (dataset_def.h), the helpers the CSV reader shares (dataset_csv.c), and
 * the options of a CSV upload. Every input is a stranger's: sizes are
 * checked before allocating, numbers are strict, labels are 1..64 bytes
 * of valid UTF-8 without control characters. Labels are collected as
 * spans into the body first; the classes are then the given list or the
 * sorted distinct labels, and each row's index is found by bsearch.
 */
#include "domain/dataset_def.h"
#include "domain/dataset_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>



static void free_names(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

void ds_table_free(ds_table *t)
{
    if (!t)
        return;
    free(t->x);
    free(t->y);
    free(t->label);
    free_names(t->classes, t->n_classes);
    free_names(t->feature_names, t->n_in);
    free_names(t->target_names, t->n_out);
    memset(t, 0, sizeof *t);
}

int ds_span_cmp(const void *a, const void *b)
{
    const span *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* 1 if [s, s+len) is 1..DS_MAX_LABEL bytes of UTF-8 (no overlong form,
 * surrogate or code point past U+10FFFF) with no control character. */
int ds_name_ok(const char *s, size_t len)
{
    if (len == 0 || len > DS_MAX_LABEL)
        return 0;
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned c = u[i];
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f)
                return 0;
            i++;
            continue;
        }
        size_t extra = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 0;
        if (!extra || c < 0xc2 || c > 0xf4 || i + extra >= len)
            return 0;
        for (size_t k = 1; k <= extra; k++)
            if ((u[i + k] & 0xc0) != 0x80)
                return 0;
        if ((c == 0xe0 && u[i + 1] < 0xa0) || (c == 0xed && u[i + 1] >= 0xa0) ||
            (c == 0xf0 && u[i + 1] < 0x90) || (c == 0xf4 && u[i + 1] >= 0x90))
            return 0;
        i += extra + 1;
    }
    return 1;
}

static char *span_dup(const char *s, size_t len)
{
    char *d = len < SIZE_MAX ? malloc(len + 1) : NULL;
    if (d) {
        if (s && len)
            memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

int ds_nomem(ds_error *err)
{
    json_fail(&err->e, JSON_ERR_INVALID_FIELD, NULL, "Out of memory.");
    return -1;
}

/* The classes: the given list (sorted copy with its indices in *sorted)
 * or the sorted distinct labels; t->classes / n_classes are filled. */
static int make_classes(ds_table *t, const span *given, size_t n_given, span *labels,
                        size_t n, span **sorted, size_t *n_sorted, ds_error *err)
{
    span *s = malloc(((n_given ? n_given : n) + 1) * sizeof *s);
    if (!s)
        return ds_nomem(err);
    size_t k = 0;
    if (n_given) {
        memcpy(s, given, n_given * sizeof *s);
        for (size_t i = 0; i < n_given; i++)
            s[i].index = (uint32_t)i;
        qsort(s, n_given, sizeof *s, ds_span_cmp);
        k = n_given;
    } else {
        memcpy(s, labels, n * sizeof *s);
        qsort(s, n, sizeof *s, ds_span_cmp);
        for (size_t i = 0; i < n; i++)
            if (k == 0 || ds_span_cmp(&s[k - 1], &s[i]) != 0)
                s[k++] = s[i];
        if (k < 2 || k > DS_MAX_CLASSES) {
            free(s);
            json_fail(&err->e, JSON_ERR_INVALID_FIELD, "classes",
                      "A classification set needs 2 to %d distinct labels (these rows have %zu).",
                      DS_MAX_CLASSES, k);
            return -1;
        }
        for (size_t i = 0; i < k; i++)
            s[i].index = (uint32_t)i;
    }
    t->classes = calloc(k, sizeof *t->classes);
    if (!t->classes) {
        free(s);
        return ds_nomem(err);
    }
    t->n_classes = k;
    for (size_t i = 0; i < k; i++)
        if (!(t->classes[s[i].index] = span_dup(s[i].s, s[i].len))) {
            free(s);
            return ds_nomem(err);
        }
    *sorted = s;
    *n_sorted = k;
    return 0;
}

/* Labels to indices and one-hot targets. where(i) names row i in errors. */
int ds_index_labels(ds_table *t, const span *given, size_t n_given, span *labels,
                        const char *(*where)(size_t, char *, size_t), ds_error *err)
{
    span *sorted = NULL;
    size_t n_sorted = 0;
    if (make_classes(t, given, n_given, labels, t->n, &sorted, &n_sorted, err) != 0)
        return -1;
    t->n_out = t->n_classes;
    t->label = malloc(t->n * sizeof *t->label + 1);
    t->y = calloc(t->n * t->n_out + 1, sizeof *t->y);
    int rc = t->label && t->y ? 0 : ds_nomem(err);
    for (size_t i = 0; rc == 0 && i < t->n; i++) {
        const span *hit = bsearch(&labels[i], sorted, n_sorted, sizeof *sorted, ds_span_cmp);
        if (!hit) {
            char buf[64];
            json_fail(&err->e, JSON_ERR_INVALID_FIELD, where(i, buf, sizeof buf),
                      "The label '%.*s' is not one of classes.", (int)labels[i].len,
                      labels[i].s);
            rc = -1;
            break;
        }
        t->label[i] = hit->index;
        t->y[i * t->n_out + hit->index] = 1.0;
    }
    free(sorted);
    return rc;
}

/* ---- JSON --------------------------------------------------------------- */

static const char *json_row_name(size_t i, char *buf, size_t n)
{
    snprintf(buf, n, "labels[%zu]", i);
    return buf;
}

static const char *pair_row_name(size_t i, char *buf, size_t n)
{
    snprintf(buf, n, "samples[%zu].label", i);
    return buf;
}

/* A list of names (strings 1..64 bytes, distinct when `distinct`) of
 * exactly want entries (0: 2..DS_MAX_CLASSES) as spans. */
static int name_list(const cJSON *arr, const char *key, size_t want, int distinct, span **out,
                     size_t *n, ds_error *err)
{
    *out = NULL;
    *n = 0;
    if (!arr || cJSON_IsNull(arr))
        return 0;
    int size = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : -1;
    if (size < 0 || (want ? (size_t)size != want : (size < 2 || size > DS_MAX_CLASSES))) {
        if (want)
            json_fail(&err->e, JSON_ERR_INVALID_DIMENSIONS, key,
                      "%s must be an array of %zu names.", key, want);
        else
            json_fail(&err->e, JSON_ERR_INVALID_FIELD, key,
                      "%s must be an array of 2 to %d distinct names.", key, DS_MAX_CLASSES);
        return -1;
    }
    span *v = malloc(((size_t)size + 1) * sizeof *v);
    if (!v)
        return ds_nomem(err);
    size_t i = 0;
    for (const cJSON *c = arr->child; c; c = c->next, i++) {
        char path[48];
        json_path_index(path, sizeof path, key, i);
        if (!cJSON_IsString(c) || !ds_name_ok(c->valuestring, strlen(c->valuestring))) {
            free(v);
            json_fail(&err->e, JSON_ERR_INVALID_FIELD, path,
                      "%s must be a name of 1 to %d bytes without control characters.", path,
                      DS_MAX_LABEL);
            return -1;
        }
        v[i].s = c->valuestring;
        v[i].len = strlen(c->valuestring);
        for (size_t k = 0; distinct && k < i; k++)
            if (ds_span_cmp(&v[k], &v[i]) == 0) {
                free(v);
                json_fail(&err->e, JSON_ERR_INVALID_FIELD, path, "%s repeats an earlier name.",
                          path);
                return -1;
            }
    }
    *out = v;
    *n = (size_t)size;
    return 0;
}

int ds_copy_names(char ***dst, const span *v, size_t n, ds_error *err)
{
    if (!v)
        return 0;
    if (n >= SIZE_MAX / sizeof **dst)
        return ds_nomem(err);
    *dst = calloc(n + 1, sizeof **dst);
    if (!*dst)
        return ds_nomem(err);
    for (size_t i = 0; i < n; i++)
        if (!((*dst)[i] = span_dup(v[i].s, v[i].len)))
            return ds_nomem(err);
    return 0;
}

/* The width of rows[0] (an array of arrays), 1..max. */
static int first_width(const cJSON *rows, const char *path, size_t max, size_t *w,
                       ds_error *err)
{
    const cJSON *r0 = rows->child;
    int size = cJSON_IsArray(r0) ? cJSON_GetArraySize(r0) : -1;
    if (size < 1 || (size_t)size > max) {
        char p[48];
        json_path_index(p, sizeof p, path, 0);
        json_fail(&err->e, JSON_ERR_INVALID_DIMENSIONS, p,
                  "%s must be an array of 1 to %zu numbers.", p, max);
        return -1;
    }
    *w = (size_t)size;
    return 0;
}

static int alloc_rows(ds_table *t, size_t n, int with_y, ds_error *err)
{
    t->n = n;
    t->x = malloc(n * t->n_in * sizeof *t->x + 1);
    if (with_y)
        t->y = malloc(n * t->n_out * sizeof *t->y + 1);
    return t->x && (!with_y || t->y) ? 0 : ds_nomem(err);
}

/* {"inputs": [[..]], "targets": [[..]] | "labels": [..]} */
static int json_columns(const cJSON *body, size_t max_rows, size_t max_in, ds_table *t,
                        span **labels, ds_error *err)
{
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(body, "inputs");
    const cJSON *tg = cJSON_GetObjectItemCaseSensitive(body, "targets");
    const cJSON *lb = cJSON_GetObjectItemCaseSensitive(body, "labels");
    if (!in || (!tg == !lb)) {
        json_fail(&err->e, JSON_ERR_MISSING_FIELD, !in ? "inputs" : tg ? "labels" : "targets",
                  "inputs go with either targets (numbers) or labels (class names).");
        return -1;
    }
    size_t n = 0, nt = 0;
    if (json_read_rows(&err->e, in, "inputs", max_rows, &n) != 0 ||
        first_width(in, "inputs", max_in, &t->n_in, err) != 0)
        return -1;
    if (tg) {
        if (json_read_rows(&err->e, tg, "targets", max_rows, &nt) != 0 ||
            first_width(tg, "targets", DS_MAX_COLUMNS, &t->n_out, err) != 0)
            return -1;
    } else {
        int size = cJSON_IsArray(lb) ? cJSON_GetArraySize(lb) : -1;
        if (size < 1) {
            json_fail(&err->e, JSON_ERR_INVALID_FIELD, "labels",
                      "labels must be an array of class names, one per row.");
            return -1;
        }
        nt = (size_t)size;
    }
    if (nt != n) {
        json_fail(&err->e, JSON_ERR_INVALID_DIMENSIONS, tg ? "targets" : "labels",
                  "%s has %zu rows but inputs has %zu.", tg ? "targets" : "labels", nt, n);
        return -1;
    }
    if (alloc_rows(t, n, tg != NULL, err) != 0 ||
        json_read_matrix(&err->e, in, "inputs", n, t->n_in, t->x) != 0)
        return -1;
    if (tg)
        return json_read_matrix(&err->e, tg, "targets", n, t->n_out, t->y);
    if (!(*labels = malloc(n * sizeof **labels + 1)))
        return ds_nomem(err);
    size_t i = 0;
    for (const cJSON *c = lb->child; c; c = c->next, i++) {
        char path[48];
        json_path_index(path, sizeof path, "labels", i);
        if (!cJSON_IsString(c) || !ds_name_ok(c->valuestring, strlen(c->valuestring))) {
            json_fail(&err->e, JSON_ERR_INVALID_FIELD, path,
                      "%s must be a class name of 1 to %d bytes.", path, DS_MAX_LABEL);
            return -1;
        }
        (*labels)[i].s = c->valuestring;
        (*labels)[i].len = strlen(c->valuestring);
    }
    return 0;
}

/* One pair {"x": [..], "y": [..]} or {"x": [..], "label": ".."}. */
static int json_pair(const cJSON *c, size_t i, ds_table *t, span *labels, ds_error *err)
{
    static const char *const pair_fields[] = {"x", "y", "label", NULL};
    char path[40], xp[48], yp[56];
    snprintf(path, sizeof path, "samples[%zu]", i);
    snprintf(xp, sizeof xp, "%s.x", path);
    snprintf(yp, sizeof yp, "%s.%s", path, labels ? "label" : "y");
    if (json_read_object(&err->e, c, path, pair_fields) != 0)
        return -1;
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(c, "x");
    const cJSON *y = cJSON_GetObjectItemCaseSensitive(c, labels ? "label" : "y");
    const cJSON *other = cJSON_GetObjectItemCaseSensitive(c, labels ? "y" : "label");
    if (other) {
        json_fail(&err->e, JSON_ERR_INVALID_FIELD, path,
                  "Every sample gives the same kind of target as the first (%s).",
                  labels ? "label" : "y");
        return -1;
    }
    if (!x || !y) {
        json_fail(&err->e, JSON_ERR_MISSING_FIELD, x ? yp : xp, "The field %s is required.",
                  x ? yp : xp);
        return -1;
    }
    if (json_read_vector(&err->e, x, xp, t->n_in, t->x + i * t->n_in) != 0)
        return -1;
    if (!labels)
        return json_read_vector(&err->e, y, yp, t->n_out, t->y + i * t->n_out);
    if (!cJSON_IsString(y) || !ds_name_ok(y->valuestring, strlen(y->valuestring))) {
        json_fail(&err->e, JSON_ERR_INVALID_FIELD, yp,
                  "%s must be a class name of 1 to %d bytes.", yp, DS_MAX_LABEL);
        return -1;
    }
    labels[i].s = y->valuestring;
    labels[i].len = strlen(y->valuestring);
    return 0;
}

static int json_pairs(const cJSON *arr, size_t max_rows, size_t max_in, ds_table *t,
                      span **labels, ds_error *err)
{
    size_t n = 0;
    if (json_read_rows(&err->e, arr, "samples", max_rows, &n) != 0)
        return -1;
    const cJSON *c0 = arr->child;
    const cJSON *x0 = cJSON_IsObject(c0) ? cJSON_GetObjectItemCaseSensitive(c0, "x") : NULL;
    const cJSON *y0 = cJSON_IsObject(c0) ? cJSON_GetObjectItemCaseSensitive(c0, "y") : NULL;
    int by_label = cJSON_IsObject(c0) && cJSON_GetObjectItemCaseSensitive(c0, "label") && !y0;
    int wx = cJSON_IsArray(x0) ? cJSON_GetArraySize(x0) : -1;
    int wy = cJSON_IsArray(y0) ? cJSON_GetArraySize(y0) : -1;
    if (wx < 1 || (size_t)wx > max_in || (!by_label && (wy < 1 || wy > DS_MAX_COLUMNS))) {
        json_fail(&err->e, JSON_ERR_INVALID_DIMENSIONS, "samples[0]",
                  "samples[0] needs x (1 to %zu numbers) and y (numbers) or label.", max_in);
        return -1;
    }
    t->n_in = (size_t)wx;
    t->n_out = by_label ? 0 : (size_t)wy;
    if (alloc_rows(t, n, !by_label, err) != 0)
        return -1;
    if (by_label && !(*labels = malloc(n * sizeof **labels + 1)))
        return ds_nomem(err);
    size_t i = 0;
    for (const cJSON *c = arr->child; c; c = c->next, i++)
        if (json_pair(c, i, t, by_label ? *labels : NULL, err) != 0)
            return -1;
    return 0;
}

static int json_options(const cJSON *body, ds_options *opt, ds_error *err)
{
    const char *vis = NULL;
    opt->name = NULL;
    opt->test_fraction = DS_TEST_FRACTION_DEFAULT;
    opt->seed = 1;
    opt->class_visible = 0;
    if (json_read_string(&err->e, body, "name", "", 1, 1, DS_MAX_NAME, &opt->name) != 0 ||
        json_read_number(&err->e, body, "test_fraction", "", 0, &opt->test_fraction) != 0 ||
        json_read_int(&err->e, body, "seed", "", 0, 0, DS_SEED_MAX, &opt->seed) != 0 ||
        json_read_string(&err->e, body, "visibility", "", 0, 1, 16, &vis) != 0)
        return -1;
    if (!(opt->test_fraction >= 0 && opt->test_fraction <= 0.5)) {
        json_fail(&err->e, JSON_ERR_INVALID_FIELD, "test_fraction",
                  "test_fraction must be a number from 0 to 0.5.");
        return -1;
    }
    if (vis && strcmp(vis, "private") != 0 && strcmp(vis, "class") != 0) {
        json_fail(&err->e, JSON_ERR_INVALID_FIELD, "visibility",
                  "visibility must be \"private\" or \"class\".");
        return -1;
    }
    opt->class_visible = vis && strcmp(vis, "class") == 0;
    return 0;
}

int ds_parse_json(const cJSON *body, size_t max_rows, size_t max_inputs, ds_table *t,
                  ds_options *opt, ds_error *err)
{
    static const char *const fields[] = {"name", "test_fraction", "seed", "visibility",
                                         "classes", "feature_names", "target_names",
                                         "samples", "inputs", "targets", "labels", NULL};
    memset(t, 0, sizeof *t);
    memset(err, 0, sizeof *err);
    if (max_inputs > DS_MAX_COLUMNS)
        max_inputs = DS_MAX_COLUMNS;
    if (json_read_object(&err->e, body, "", fields) != 0 || json_options(body, opt, err) != 0)
        return -1;
    const cJSON *pairs = cJSON_GetObjectItemCaseSensitive(body, "samples");
    int columns = cJSON_GetObjectItemCaseSensitive(body, "inputs") ||
                  cJSON_GetObjectItemCaseSensitive(body, "targets") ||
                  cJSON_GetObjectItemCaseSensitive(body, "labels");
    if (!pairs == !columns) {
        json_fail(&err->e, pairs ? JSON_ERR_INVALID_FIELD : JSON_ERR_MISSING_FIELD, "samples",
                  "Give the rows as samples, or as inputs with targets or labels (one of them).");
        return -1;
    }
    span *labels = NULL, *given = NULL, *fnames = NULL, *tnames = NULL;
    size_t n_given = 0, n_f = 0, n_t = 0;
    int rc = pairs ? json_pairs(pairs, max_rows, max_inputs, t, &labels, err)
                   : json_columns(body, max_rows, max_inputs, t, &labels, err);
    if (rc == 0)
        rc = name_list(cJSON_GetObjectItemCaseSensitive(body, "classes"), "classes", 0, 1,
                       &given, &n_given, err);
    if (rc == 0 && given && !labels) {
        json_fail(&err->e, JSON_ERR_INVALID_FIELD, "classes",
                  "classes go with labels: give each row's class name, not numbers.");
        rc = -1;
    }
    if (rc == 0 && labels)
        rc = ds_index_labels(t, given, n_given, labels, pairs ? pair_row_name : json_row_name, err);
    if (rc == 0)
        rc = name_list(cJSON_GetObjectItemCaseSensitive(body, "feature_names"),
                       "feature_names", t->n_in, 1, &fnames, &n_f, err);
    if (rc == 0 && !t->n_classes)
        rc = name_list(cJSON_GetObjectItemCaseSensitive(body, "target_names"), "target_names",
                       t->n_out, 1, &tnames, &n_t, err);
    if (rc == 0)
        rc = ds_copy_names(&t->feature_names, fnames, n_f, err);
    if (rc == 0)
        rc = ds_copy_names(&t->target_names, tnames, n_t, err);
    free(labels);
    free(given);
    free(fnames);
    free(tnames);
    if (rc != 0)
        ds_table_free(t);
    return rc;
}

int ds_options_parse(const char *name, const char *test_fraction, const char *seed,
                     const char *visibility, ds_options *opt, ds_error *err)
{
    memset(err, 0, sizeof *err);
    opt->name = name;
    opt->test_fraction = DS_TEST_FRACTION_DEFAULT;
    opt->seed = 1;
    opt->class_visible = 0;
    if (!name || !name[0] || strlen(name) > DS_MAX_NAME) {
        json_fail(&err->e, name ? JSON_ERR_INVALID_FIELD : JSON_ERR_MISSING_FIELD, "name",
                  "?name= must be 1 to %d bytes.", DS_MAX_NAME);
        return -1;
    }
    char *end;
    if (test_fraction) {
        double f = strtod(test_fraction, &end);
        if (!test_fraction[0] || *end || !(f >= 0 && f <= 0.5)) {
            json_fail(&err->e, JSON_ERR_INVALID_FIELD, "test_fraction",
                      "test_fraction must be a number from 0 to 0.5.");
            return -1;
        }
        opt->test_fraction = f;
    }
    if (seed) {
        unsigned long long v = 0;
        int ok = seed[0] >= '0' && seed[0] <= '9' && strlen(seed) <= 16;
        for (const char *c = seed; ok && *c; c++) {
            ok = *c >= '0' && *c <= '9';
            v = v * 10 + (unsigned long long)(*c - '0');
        }
        if (!ok || v > (unsigned long long)DS_SEED_MAX) {
            json_fail(&err->e, JSON_ERR_INVALID_FIELD, "seed", "seed must be an integer from 0 to 2^53.");
            return -1;
        }
        opt->seed = (int64_t)v;
    }
    if (visibility && strcmp(visibility, "private") != 0 && strcmp(visibility, "class") != 0) {
        json_fail(&err->e, JSON_ERR_INVALID_FIELD, "visibility",
                  "visibility must be \"private\" or \"class\".");
        return -1;
    }
    opt->class_visible = visibility && strcmp(visibility, "class") == 0;
    return 0;
}
