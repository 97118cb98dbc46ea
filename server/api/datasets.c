/*
 * datasets.c - a class's shared datasets (DESIGN.md "A class"): create
 * (JSON in the sample shapes, or text/csv), list, read, change the
 * visibility, delete, and the rows of a side.
 *
 * Who sees what: the owner (and an admin) everything; any other user a
 * "class" dataset's public description (columns, counts, statistics of
 * the training rows) and its training rows; a private dataset of
 * another user is 404, as a model is. The test rows' targets, and
 * anything computed from them, are only in what the owner reads: the
 * owner's part of the description is stored apart (owner_json) and
 * written only for them.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/clock.h"
#include "domain/auth.h"
#include "domain/dataset_def.h"
#include "storage/datasets.h"
#include "api/datasets_api.h"
#include "api/handlers.h"
#include "api/jsonin.h"
#include "api/quota_check.h"
#include "api/reply.h"

#define ROWS_PAGE_DEFAULT 100
#define ROWS_PAGE_MAX 1000

int dataset_is_owner(const api_request *req, const st_dataset *d)
{
    return req->user && (req->user->admin || strcmp(req->user->id, d->owner) == 0);
}

int dataset_or_reply(app *a, const api_request *req, api_response *resp, const char *id,
                     int need_owner, st_dataset *d)
{
    st_status s = storage_dataset_get(a->st, id, d);
    if (s == ST_OK && !d->class_visible && !dataset_is_owner(req, d))
        s = ST_NOT_FOUND; /* the same answer as for no dataset */
    if (s != ST_OK) {
        st_dataset_clear(d);
        if (s == ST_NOT_FOUND)
            reply_error(resp, API_ERR_NOT_FOUND, "dataset", "No such dataset.");
        else
            reply_storage_error(resp, s);
        return -1;
    }
    if (need_owner && !dataset_is_owner(req, d)) {
        st_dataset_clear(d);
        reply_error(resp, API_ERR_FORBIDDEN, NULL, "Only the dataset's owner may do this.");
        return -1;
    }
    return 0;
}

/* {"id", "name", "owner", "visibility", "created_at", public members,
 * and for the owner "test_fraction", "seed" and the test side}. */
static void write_dataset(sbuf *b, const st_dataset *d, int owner)
{
    char when[32];
    format_time(when, d->created_at);
    sbuf_puts(b, "{\"id\":");
    sbuf_json_string(b, d->id);
    sbuf_puts(b, ",\"name\":");
    sbuf_json_string(b, d->name);
    sbuf_puts(b, ",\"owner\":");
    sbuf_json_string(b, d->owner_name);
    sbuf_puts(b, ",\"visibility\":");
    sbuf_json_string(b, d->class_visible ? "class" : "private");
    sbuf_puts(b, ",\"created_at\":");
    sbuf_json_string(b, when);
    sbuf_puts(b, owner ? ",\"mine\":true," : ",\"mine\":false,");
    sbuf_puts(b, d->public_json);
    if (owner) {
        sbuf_puts(b, ",\"test_fraction\":");
        sbuf_json_number(b, d->test_fraction);
        sbuf_puts(b, ",\"seed\":");
        sbuf_json_int(b, d->seed);
        if (d->owner_json) {
            sbuf_putc(b, ',');
            sbuf_puts(b, d->owner_json);
        }
    }
    sbuf_putc(b, '}');
}

static void reply_dataset(api_response *resp, int status, const st_dataset *d, int owner)
{
    sbuf b;
    sbuf_init(&b);
    write_dataset(&b, d, owner);
    reply_sbuf(resp, status, &b);
}

static int is_csv(const api_request *req)
{
    const char *ct = api_header(req, "Content-Type");
    while (ct && (*ct == ' ' || *ct == '\t'))
        ct++;
    return ct && strncasecmp(ct, "text/csv", 8) == 0 &&
           (ct[8] == '\0' || ct[8] == ';' || ct[8] == ' ');
}

static void reply_ds_error(api_response *resp, const ds_error *err)
{
    if (err->csv)
        reply_error(resp, API_ERR_INVALID_CSV, err->e.has_field ? err->e.field : NULL, "%s",
                    err->e.message);
    else
        reply_json_err(resp, &err->e);
}

/* The body as a table with its options; -1 after replying. */
static int table_or_reply(app *a, const api_request *req, api_response *resp, ds_table *t,
                          ds_options *opt, cJSON **body)
{
    size_t max_rows = (size_t)a->cfg->max_samples, max_in = a->limits.max_inputs;
    ds_error err;
    if (!is_csv(req)) {
        if (json_parse_or_reply(resp, req->body, req->body_len, body) != 0)
            return -1;
        if (ds_parse_json(*body, max_rows, max_in, t, opt, &err) == 0)
            return 0;
        reply_ds_error(resp, &err);
        return -1;
    }
    uint64_t targets = 1;
    const char *labels = api_query(req, "labels");
    if (query_uint_or_reply(req, resp, "targets", 1, DS_MAX_COLUMNS, &targets) != 0)
        return -1;
    if (labels && strcmp(labels, "true") != 0 && strcmp(labels, "false") != 0) {
        reply_error(resp, API_ERR_INVALID_QUERY, "labels", "labels must be true or false.");
        return -1;
    }
    if (ds_options_parse(api_query(req, "name"), api_query(req, "test_fraction"),
                         api_query(req, "seed"), api_query(req, "visibility"), opt, &err) != 0) {
        reply_error(resp, err.e.code == JSON_ERR_MISSING_FIELD ? API_ERR_MISSING_FIELD
                                                                : API_ERR_INVALID_QUERY,
                    err.e.field, "%s", err.e.message);
        return -1;
    }
    if (ds_parse_csv(req->body, req->body_len, (size_t)targets, labels && !strcmp(labels, "true"),
                     api_query(req, "classes"), max_rows, max_in, t, &err) == 0)
        return 0;
    reply_ds_error(resp, &err);
    return -1;
}

/* The text of b (NULL when it ran out of memory); b is emptied. */
static char *take_text(sbuf *b)
{
    size_t len;
    int failed = sbuf_failed(b);
    char *p = sbuf_take(b, &len);
    if (failed) {
        free(p);
        return NULL;
    }
    return p;
}

/* The classes as a JSON array text (NULL for regression; "" out of memory). */
static char *classes_json(const ds_table *t)
{
    if (!t->n_classes)
        return NULL;
    sbuf b;
    sbuf_init(&b);
    sbuf_putc(&b, '[');
    for (size_t k = 0; k < t->n_classes; k++) {
        if (k)
            sbuf_putc(&b, ',');
        sbuf_json_string(&b, t->classes[k]);
    }
    sbuf_putc(&b, ']');
    return take_text(&b);
}

typedef struct split_rows {
    double *x[2], *y[2], *y1[2]; /* [0] training, [1] test */
    size_t n[2];
} split_rows;

static void split_rows_free(split_rows *r)
{
    for (int i = 0; i < 2; i++) {
        free(r->x[i]);
        free(r->y[i]);
        free(r->y1[i]);
    }
}

/* Split, describe and store the table as a new dataset of the caller. */
static void create_dataset(app *a, const api_request *req, api_response *resp,
                           const ds_table *t, const ds_options *opt)
{
    st_dataset d;
    memset(&d, 0, sizeof d);
    split_rows r;
    memset(&r, 0, sizeof r);
    sbuf pub, own;
    sbuf_init(&pub);
    sbuf_init(&own);
    ds_error err;
    size_t n_test = 0;
    unsigned char *is_test = malloc(t->n + 1);
    if (!is_test || ds_split(t, opt->test_fraction, (uint64_t)opt->seed, is_test, &n_test,
                             &err) != 0) {
        if (is_test)
            reply_ds_error(resp, &err);
        else
            reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
        goto out;
    }
    if (ds_take(t, is_test, 0, &r.x[0], &r.y[0], &r.y1[0], &r.n[0]) != 0 ||
        ds_take(t, is_test, 1, &r.x[1], &r.y[1], &r.y1[1], &r.n[1]) != 0) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
        goto out;
    }
    ds_describe(t, is_test, &pub, &own);
    d.name = (char *)opt->name;
    d.classes = classes_json(t);
    d.public_json = take_text(&pub);
    d.owner_json = take_text(&own);
    if ((t->n_classes && !d.classes) || !d.public_json || !d.owner_json ||
        storage_new_id(d.id) != 0) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
        goto out;
    }
    snprintf(d.owner, sizeof d.owner, "%s", req->user->id);
    snprintf(d.owner_name, sizeof d.owner_name, "%s", req->user->name);
    d.class_visible = opt->class_visible;
    d.inputs = (int64_t)t->n_in;
    d.outputs = (int64_t)t->n_out;
    d.test_fraction = opt->test_fraction;
    d.seed = opt->seed;
    d.n_rows = (int64_t)t->n;
    d.n_train = (int64_t)r.n[0];
    d.n_test = (int64_t)r.n[1];
    d.created_at = clock_unix();
    st_dataset_rows rows = {r.x[0], r.y[0], r.y1[0], r.x[1], r.y[1], r.y1[1]};
    st_status s = storage_dataset_create(a->st, &d, &rows, quota_samples_cap(a, req));
    if (s == ST_QUOTA) {
        quota_samples_reply(a, resp);
    } else if (s != ST_OK) {
        reply_storage_error(resp, s);
    } else {
        char loc[64];
        st_dataset stored;
        if (storage_dataset_get(a->st, d.id, &stored) == ST_OK) { /* as GET shows it */
            reply_dataset(resp, 201, &stored, 1);
            st_dataset_clear(&stored);
        } else {
            reply_dataset(resp, 201, &d, 1);
        }
        snprintf(loc, sizeof loc, "/v1/datasets/%s", d.id);
        api_response_header(resp, "Location", loc);
    }
out:
    d.name = NULL; /* the body's */
    st_dataset_clear(&d);
    sbuf_free(&pub);
    sbuf_free(&own);
    split_rows_free(&r);
    free(is_test);
}

void h_dataset_create(app *a, const api_request *req, const route_params *p,
                      api_response *resp)
{
    (void)p;
    ds_table t;
    ds_options opt;
    cJSON *body = NULL;
    memset(&t, 0, sizeof t);
    if (table_or_reply(a, req, resp, &t, &opt, &body) == 0)
        create_dataset(a, req, resp, &t, &opt);
    ds_table_free(&t);
    cJSON_Delete(body);
}

void h_dataset_list(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    (void)p;
    st_dataset *ds = NULL;
    size_t n = 0;
    const char *viewer = req->user && !req->user->admin ? req->user->id : NULL;
    st_status s = storage_dataset_list(a->st, viewer, &ds, &n);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        return;
    }
    sbuf b;
    sbuf_init(&b);
    sbuf_puts(&b, "{\"datasets\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_putc(&b, ',');
        write_dataset(&b, &ds[i], dataset_is_owner(req, &ds[i]));
    }
    sbuf_puts(&b, "]}");
    st_datasets_free(ds, n);
    reply_sbuf(resp, 200, &b);
}

void h_dataset_get(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    st_dataset d;
    if (dataset_or_reply(a, req, resp, p->id, 0, &d) != 0)
        return;
    reply_dataset(resp, 200, &d, dataset_is_owner(req, &d));
    st_dataset_clear(&d);
}

void h_dataset_patch(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    static const char *const fields[] = {"visibility", NULL};
    st_dataset d;
    cJSON *body = NULL;
    const char *vis = NULL;
    /* whose it is first: another's private dataset is 404 whatever the body */
    if (dataset_or_reply(a, req, resp, p->id, 1, &d) != 0)
        return;
    if (json_parse_or_reply(resp, req->body, req->body_len, &body) != 0 ||
        json_object_or_reply(resp, body, "", fields) != 0 ||
        json_string_or_reply(resp, body, "visibility", "", 1, 1, 16, &vis) != 0)
        goto done;
    if (strcmp(vis, "private") != 0 && strcmp(vis, "class") != 0) {
        reply_error(resp, API_ERR_INVALID_FIELD, "visibility",
                    "visibility must be \"private\" or \"class\".");
        goto done;
    }
    st_status s = storage_dataset_set_visibility(a->st, p->id, strcmp(vis, "class") == 0);
    if (s == ST_OK) {
        d.class_visible = strcmp(vis, "class") == 0;
        reply_dataset(resp, 200, &d, 1);
    } else {
        reply_storage_error(resp, s);
    }
done:
    st_dataset_clear(&d);
    cJSON_Delete(body);
}

void h_dataset_delete(app *a, const api_request *req, const route_params *p,
                      api_response *resp)
{
    st_dataset d;
    if (dataset_or_reply(a, req, resp, p->id, 1, &d) != 0)
        return;
    st_dataset_clear(&d);
    st_status s = storage_dataset_delete(a->st, p->id);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        return;
    }
    reply_deleted(resp, p->id);
}

/* GET /v1/datasets/{id}/rows?split=train|test&offset=&limit=: the rows
 * of a side; the test side is the owner's only. */
void h_dataset_rows(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    uint64_t offset = 0, limit = ROWS_PAGE_DEFAULT;
    const char *split = api_query(req, "split");
    if (split && strcmp(split, "train") != 0 && strcmp(split, "test") != 0) {
        reply_error(resp, API_ERR_INVALID_QUERY, "split", "split must be train or test.");
        return;
    }
    int test = split && strcmp(split, "test") == 0;
    if (query_uint_or_reply(req, resp, "offset", 0, (uint64_t)INT64_MAX, &offset) != 0 ||
        query_uint_or_reply(req, resp, "limit", 1, ROWS_PAGE_MAX, &limit) != 0)
        return;
    st_dataset d;
    if (dataset_or_reply(a, req, resp, p->id, test, &d) != 0)
        return;
    double *x = NULL, *y = NULL;
    size_t n = 0, ni = (size_t)d.inputs, no = (size_t)d.outputs;
    st_status s = storage_dataset_read(a->st, p->id, test, 0, ni, no, &x, &y, &n);
    st_dataset_clear(&d);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        return;
    }
    size_t from = offset < n ? (size_t)offset : n;
    size_t to = n - from < limit ? n : from + (size_t)limit;
    sbuf b;
    sbuf_init(&b);
    sbuf_printf(&b, "{\"split\":\"%s\",\"offset\":%llu,\"limit\":%llu,\"total\":%zu,\"rows\":[",
                test ? "test" : "train", (unsigned long long)offset, (unsigned long long)limit,
                n);
    for (size_t i = from; i < to; i++) {
        sbuf_puts(&b, i > from ? ",{\"x\":" : "{\"x\":");
        sbuf_json_array(&b, x + i * ni, ni);
        sbuf_puts(&b, ",\"y\":");
        sbuf_json_array(&b, y + i * no, no);
        sbuf_putc(&b, '}');
    }
    sbuf_puts(&b, "]}");
    free(x);
    free(y);
    reply_sbuf(resp, 200, &b);
}
