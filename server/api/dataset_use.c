/*
 * dataset_use.c - what a student does with a class dataset: copy its
 * training rows into a model, score a model on its held-back test rows
 * (keeping each user's best), and the owner's scoreboard.
 *
 * The test rows are read inside the server only: an evaluation answers
 * aggregates (loss, accuracy or the regression metrics), never a row,
 * an output or a target, and no error message names a value.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "domain/auth.h"
#include "domain/dataset_def.h"
#include "api/datasets_api.h"
#include "api/handlers.h"
#include "api/jsonin.h"
#include "api/quota_check.h"
#include "api/reply.h"
#include "domain/model_meta.h"
#include "domain/prep.h"

int body_names_dataset(const api_request *req)
{
    const char *ct = api_header(req, "Content-Type");
    while (ct && (*ct == ' ' || *ct == '\t'))
        ct++;
    if (api_query(req, "generate") || !req->body || (ct && strncasecmp(ct, "text/csv", 8) == 0))
        return 0;
    return memmem(req->body, req->body_len, "\"dataset\"", 9) != NULL;
}

/* 1 if the dataset's classes (JSON text) are the model's, in order. */
static int same_classes(const st_dataset *d, const model_meta *meta)
{
    cJSON *c = d->classes ? cJSON_Parse(d->classes) : NULL;
    int same = cJSON_IsArray(c) && (size_t)cJSON_GetArraySize(c) == meta->n_classes;
    size_t i = 0;
    for (const cJSON *e = c ? c->child : NULL; same && e; e = e->next, i++)
        same = cJSON_IsString(e) && strcmp(e->valuestring, meta->classes[i]) == 0;
    cJSON_Delete(c);
    return same;
}

/* How the dataset's targets go into a model with n_out outputs: 0 as
 * they are, 1 as the one y1 column (two classes, one output); -1 after
 * replying 400 when they do not fit. A classifier (meta with classes)
 * takes a dataset of the same classes only. */
static int fit_or_reply(api_response *resp, const st_dataset *d, const mlp_spec *spec,
                        const model_meta *meta)
{
    size_t n_out = spec->layers[spec->n_layers - 1].units;
    if (meta && meta->n_classes && !same_classes(d, meta)) {
        reply_error(resp, API_ERR_INVALID_FIELD, "dataset",
                    "The model's classes are not the dataset's (%s), in the same order.",
                    d->classes ? d->classes : "it has none: a regression");
        return -1;
    }
    if ((uint64_t)d->inputs != spec->inputs) {
        reply_error(resp, API_ERR_INVALID_FIELD, "dataset",
                    "The dataset has %lld inputs; the model takes %zu.", (long long)d->inputs,
                    spec->inputs);
        return -1;
    }
    if ((uint64_t)d->outputs == n_out)
        return 0;
    if (d->classes && d->outputs == 2 && n_out == 1)
        return 1;
    reply_error(resp, API_ERR_INVALID_FIELD, "dataset",
                "The dataset has %lld %s; the model has %zu outputs%s.", (long long)d->outputs,
                d->classes ? "classes" : "target columns", n_out,
                d->classes && d->outputs == 2 ? " (two classes also fit one sigmoid output)"
                                              : "");
    return -1;
}

/* {"dataset": "ID"} -> the id (points into body); -1 after replying. */
static int dataset_field_or_reply(api_response *resp, const cJSON *body, const char *const *fields,
                                  const char **id)
{
    if (json_object_or_reply(resp, body, "", fields) != 0 ||
        json_string_or_reply(resp, body, "dataset", "", 1, 1, 64, id) != 0)
        return -1;
    return 0;
}

void samples_from_dataset(app *a, const api_request *req, const route_params *p,
                          api_response *resp)
{
    static const char *const fields[] = {"dataset", NULL};
    cJSON *body = NULL;
    const char *id = NULL;
    st_model m;
    mlp_spec spec;
    model_init init;
    st_dataset d;
    snapshot *snap = NULL;
    memset(&d, 0, sizeof d);
    if (json_parse_or_reply(resp, req->body, req->body_len, &body) != 0)
        return;
    if (dataset_field_or_reply(resp, body, fields, &id) != 0 ||
        model_get_or_reply(a, resp, p->id, &m, &spec, &init) != 0)
        goto out;
    char owner[17];
    memcpy(owner, m.owner, sizeof owner); /* whose quota the copy counts against */
    st_model_clear(&m);
    int one_column;
    const model_meta *meta = NULL;
    snap = model_net_or_reply(a, resp, p->id, 0);
    if (!snap || predict_meta_or_reply(a, resp, p->id, snap, &meta) != 0 ||
        dataset_or_reply(a, req, resp, id, 0, &d) != 0 ||
        (one_column = fit_or_reply(resp, &d, &spec, meta)) < 0)
        goto out;
    int64_t added = 0, total = 0, max = a->cfg->max_samples;
    st_status s = storage_dataset_copy(a->st, d.id, one_column, p->id, owner,
                                       quota_samples_cap(a, req), max, &added, &total);
    if (s == ST_QUOTA) {
        quota_samples_reply(a, resp);
    } else if (s == ST_LIMIT) {
        reply_error(resp, API_ERR_LIMIT_EXCEEDED_SIZE, "dataset",
                    "A model holds at most %lld samples; the dataset's %lld training rows do not fit.",
                    (long long)max, (long long)d.n_train);
    } else if (s != ST_OK) {
        reply_storage_error(resp, s);
    } else {
        sbuf b;
        sbuf_init(&b);
        sbuf_printf(&b, "{\"added\":%lld,\"total\":%lld,\"dataset\":", (long long)added,
                    (long long)total);
        sbuf_json_string(&b, d.id);
        sbuf_putc(&b, '}');
        reply_sbuf(resp, 201, &b);
    }
out:
    if (snap)
        snapshot_release(snap);
    st_dataset_clear(&d);
    cJSON_Delete(body);
}

/* The model's mean loss on the rows in the units it trains in (scaled
 * inputs and targets when the version scales them), as evaluate and
 * training report it. */
static mlp_status scaled_loss(const mlp_t *net, const model_prep *prep, const double *x,
                              const double *y, size_t n, double *loss)
{
    size_t nx = n * mlp_inputs(net), ny = n * mlp_outputs(net);
    double *xs = malloc((nx + ny) * sizeof *xs + 1);
    if (!xs)
        return MLP_ERR_NOMEM;
    double *ys = xs + nx;
    memcpy(xs, x, nx * sizeof *xs);
    memcpy(ys, y, ny * sizeof *ys);
    mlp_data data = {n, xs, ys};
    mlp_status s = prep_inputs(prep, n, xs, xs);
    if (s == MLP_OK)
        s = prep_targets(prep, n, ys, ys);
    if (s == MLP_OK)
        s = mlp_data_loss(net, &data, NULL, loss);
    free(xs);
    return s;
}

/* Outputs (raw units, as predict gives them) and the mean loss of the
 * model on n rows; -1 after replying. */
static int forward_or_reply(app *a, api_response *resp, const char *model_id, snapshot *snap,
                            const double *x, const double *y, size_t n, double *out,
                            double *loss)
{
    const mlp_t *net = snapshot_net(snap);
    const mlp_f32_t *f32 = NULL;
    if (predict_f32_or_reply(a, resp, model_id, snap, &f32) != 0)
        return -1;
    const model_prep *prep = snapshot_prep(snap);
    double *work = malloc(mlp_work_size(net) * sizeof *work + 1);
    mlp_status s = work ? predict_forward_rows(net, f32, prep, n, x, out, work) : MLP_ERR_NOMEM;
    free(work);
    if (s == MLP_OK)
        s = scaled_loss(net, prep, x, y, n, loss);
    if (s == MLP_ERR_NONFINITE) {
        reply_error(resp, API_ERR_INVALID_FIELD, "dataset",
                    "The model's outputs on these rows overflow to a non-finite value.");
        return -1;
    }
    if (s != MLP_OK) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "Evaluation failed (%s).",
                    mlp_status_name(s));
        return -1;
    }
    return 0;
}

static void write_metrics(sbuf *b, const ds_score *sc, int classes)
{
    if (classes) {
        sbuf_puts(b, "{\"accuracy\":");
        sbuf_json_number(b, sc->accuracy);
    } else {
        sbuf_puts(b, "{\"mse\":");
        sbuf_json_number(b, sc->mse);
        sbuf_puts(b, ",\"rmse\":");
        sbuf_json_number(b, sc->rmse);
        sbuf_puts(b, ",\"mae\":");
        sbuf_json_number(b, sc->mae);
        sbuf_puts(b, ",\"r2\":");
        sbuf_json_number(b, sc->r2);
    }
    sbuf_putc(b, '}');
}

static void write_best(sbuf *b, const st_score *best)
{
    char at[32];
    format_time(at, best->best_at);
    sbuf_puts(b, ",\"best\":{\"metric\":");
    sbuf_json_string(b, best->metric);
    sbuf_puts(b, ",\"score\":");
    sbuf_json_number(b, best->score);
    sbuf_puts(b, ",\"model\":");
    sbuf_json_string(b, best->model_id);
    sbuf_puts(b, ",\"version\":");
    sbuf_json_int(b, best->version);
    sbuf_puts(b, ",\"evaluations\":");
    sbuf_json_int(b, best->evaluations);
    sbuf_puts(b, ",\"at\":");
    sbuf_json_string(b, at);
    sbuf_putc(b, '}');
}

/* Score, record the caller's best (test side), answer. */
static void score_and_reply(app *a, const api_request *req, api_response *resp,
                            const st_dataset *d, const char *model_id, int64_t version,
                            int test, const double *out, const double *y, size_t n,
                            size_t n_out, double loss)
{
    ds_score sc;
    ds_score_rows(out, y, n, n_out, d->classes ? (size_t)d->outputs : 0, &sc);
    const char *metric = d->classes ? "accuracy" : "r2";
    double value = d->classes ? sc.accuracy : sc.r2;
    st_score best;
    int recorded = 0;
    if (test && req->user) {
        st_status s = storage_score_record(a->st, d->id, req->user->id, metric, value, loss,
                                           model_id, version, &best);
        if (s != ST_OK) {
            reply_storage_error(resp, s);
            return;
        }
        recorded = 1;
    }
    sbuf b;
    sbuf_init(&b);
    sbuf_puts(&b, "{\"version\":");
    sbuf_json_int(&b, version);
    sbuf_printf(&b, ",\"n\":%zu,\"loss\":", n);
    sbuf_json_number(&b, loss);
    sbuf_puts(&b, ",\"metrics\":");
    write_metrics(&b, &sc, d->classes != NULL);
    sbuf_puts(&b, ",\"dataset\":");
    sbuf_json_string(&b, d->id);
    sbuf_printf(&b, ",\"split\":\"%s\",\"score\":{\"metric\":\"%s\",\"value\":",
                test ? "test" : "train", metric);
    sbuf_json_number(&b, value);
    sbuf_putc(&b, '}');
    if (recorded)
        write_best(&b, &best);
    sbuf_putc(&b, '}');
    reply_sbuf(resp, 200, &b);
}

void dataset_evaluate_reply(app *a, const api_request *req, api_response *resp,
                            const char *model_id, const char *dataset_id, int test,
                            int64_t version)
{
    st_dataset d;
    if (dataset_or_reply(a, req, resp, dataset_id, 0, &d) != 0)
        return;
    double *x = NULL, *y = NULL, *out = NULL;
    size_t n = 0;
    snapshot *snap = model_net_or_reply(a, resp, model_id, version);
    if (!snap)
        goto out;
    const mlp_t *net = snapshot_net(snap);
    const model_meta *meta = NULL;
    if (predict_meta_or_reply(a, resp, model_id, snap, &meta) != 0)
        goto out;
    int one_column = fit_or_reply(resp, &d, mlp_get_spec(net), meta);
    if (one_column < 0)
        goto out;
    size_t n_out = mlp_outputs(net);
    st_status s = storage_dataset_read(a->st, d.id, test, one_column, mlp_inputs(net), n_out,
                                       &x, &y, &n);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        goto out;
    }
    if (n == 0) {
        reply_error(resp, API_ERR_INVALID_FIELD, "split",
                    "The dataset holds no %s rows (its test_fraction is 0).",
                    test ? "test" : "training");
        goto out;
    }
    double loss = 0;
    if (!(out = malloc(n * n_out * sizeof *out + 1))) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
        goto out;
    }
    if (forward_or_reply(a, resp, model_id, snap, x, y, n, out, &loss) == 0)
        score_and_reply(a, req, resp, &d, model_id, snapshot_version(snap), test, out, y, n,
                        n_out, loss);
out:
    if (snap)
        snapshot_release(snap);
    free(x);
    free(y);
    free(out);
    st_dataset_clear(&d);
}

/* POST /v1/models/{id}/evaluate {"dataset": "ID", "split": "test"|"train"}
 * (evaluate.c hands such a body over). */
void evaluate_on_dataset(app *a, const api_request *req, const route_params *p,
                         api_response *resp)
{
    static const char *const fields[] = {"dataset", "split", NULL};
    int64_t version;
    if (query_version_or_reply(req, resp, &version) != 0)
        return;
    cJSON *body = NULL;
    const char *id = NULL, *split = "test";
    if (json_parse_or_reply(resp, req->body, req->body_len, &body) != 0)
        return;
    if (dataset_field_or_reply(resp, body, fields, &id) == 0 &&
        json_string_or_reply(resp, body, "split", "", 0, 1, 16, &split) == 0) {
        if (strcmp(split, "test") != 0 && strcmp(split, "train") != 0)
            reply_error(resp, API_ERR_INVALID_FIELD, "split",
                        "With a dataset, split is \"test\" (its held-back rows) or \"train\".");
        else
            dataset_evaluate_reply(a, req, resp, p->id, id, strcmp(split, "test") == 0, version);
    }
    cJSON_Delete(body);
}

/* GET /v1/datasets/{id}/scores: each user's best on the test rows, best
 * first (the owner's). */
void h_dataset_scores(app *a, const api_request *req, const route_params *p,
                      api_response *resp)
{
    st_dataset d;
    if (dataset_or_reply(a, req, resp, p->id, 1, &d) != 0)
        return;
    st_score *v = NULL;
    size_t n = 0;
    st_status s = storage_scores_list(a->st, p->id, &v, &n);
    if (s != ST_OK) {
        st_dataset_clear(&d);
        reply_storage_error(resp, s);
        return;
    }
    sbuf b;
    sbuf_init(&b);
    sbuf_puts(&b, "{\"dataset\":");
    sbuf_json_string(&b, d.id);
    sbuf_printf(&b, ",\"metric\":\"%s\",\"scores\":[", d.classes ? "accuracy" : "r2");
    for (size_t i = 0; i < n; i++) {
        char best_at[32], last_at[32];
        format_time(best_at, v[i].best_at);
        format_time(last_at, v[i].last_at);
        sbuf_printf(&b, "%s{\"rank\":%zu,\"user\":", i ? "," : "", i + 1);
        sbuf_json_string(&b, v[i].name);
        sbuf_puts(&b, ",\"score\":");
        sbuf_json_number(&b, v[i].score);
        sbuf_puts(&b, ",\"loss\":");
        if (isfinite(v[i].loss))
            sbuf_json_number(&b, v[i].loss);
        else
            sbuf_puts(&b, "null");
        sbuf_puts(&b, ",\"model\":");
        sbuf_json_string(&b, v[i].model_id);
        sbuf_printf(&b, ",\"version\":%lld,\"evaluations\":%lld,\"best_at\":",
                    (long long)v[i].version, (long long)v[i].evaluations);
        sbuf_json_string(&b, best_at);
        sbuf_puts(&b, ",\"last_at\":");
        sbuf_json_string(&b, last_at);
        sbuf_putc(&b, '}');
    }
    sbuf_puts(&b, "]}");
    free(v);
    st_dataset_clear(&d);
    reply_sbuf(resp, 200, &b);
}
