/*
 * evaluate.c - POST /v1/models/{id}/evaluate: score the current (or
 * ?version=n) weights on rows given in the body (any sample shape, JSON
 * or CSV) or on stored rows ({"split": "train"|"validation"|"all"}: the
 * rows the model's last job trained and validated on, or every sample).
 *
 * A body naming a dataset ({"dataset", "split": "test"}) is scored on
 * that dataset's rows instead (api/dataset_use.c).
 *
 * Answers {"version", "n", "loss", "metrics"}: loss is the model's own
 * loss as training reports it (on scaled targets when the model scales
 * them); the metrics are computed on the outputs predict gives (raw
 * units), with scikit-learn's definitions (core/metrics.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/datasets_api.h"
#include "api/handlers.h"
#include "api/jsonin.h"
#include "api/reply.h"
#include "api/sample_parse.h"
#include "core/metrics.h"
#include "domain/prep.h"

/* Which stored rows a split names: [*from, *from + *count). */
static int split_rows_or_reply(app *a, api_response *resp, const char *id, const char *split,
                               int64_t samples, size_t *from, size_t *count)
{
    *from = 0;
    if (strcmp(split, "all") == 0) {
        *count = (size_t)samples;
    } else if (strcmp(split, "train") == 0 || strcmp(split, "validation") == 0) {
        st_job *jobs = NULL;
        size_t n = 0;
        st_status s = storage_jobs_list(a->st, id, &jobs, &n);
        if (s != ST_OK) {
            reply_storage_error(resp, s);
            return -1;
        }
        int64_t version = 0;
        for (size_t i = n; i-- > 0 && version == 0;)
            version = jobs[i].version;
        st_jobs_free(jobs, n);
        snapshot *snap = version > 0 ? model_net_or_reply(a, resp, id, version) : NULL;
        if (version > 0 && !snap)
            return -1;
        const model_prep *prep = snap ? snapshot_prep(snap) : NULL;
        int64_t tr = prep ? prep->train_rows : 0, va = prep ? prep->val_rows : 0;
        snapshot_release(snap);
        int train = split[0] == 't';
        *from = train ? 0 : (size_t)tr;
        *count = (size_t)(train ? tr : va);
        if (tr + va > samples)
            *count = 0; /* the samples were replaced since */
    } else {
        reply_error(resp, API_ERR_INVALID_FIELD, "split",
                    "split must be train, validation or all (test with a dataset: "
                    "{\"dataset\": \"ID\", \"split\": \"test\"}).");
        return -1;
    }
    if (*count == 0) {
        reply_error(resp, API_ERR_INVALID_FIELD, "split",
                    "The split '%s' has no rows (%s).", split,
                    strcmp(split, "all") == 0 ? "the model has no samples"
                    : strcmp(split, "train") == 0
                        ? "no job of the model has trained on the current samples"
                        : "the model's last job held no validation rows");
        return -1;
    }
    return 0;
}

static int stored_rows_or_reply(app *a, api_response *resp, const char *id, const char *split,
                                sample_set *s)
{
    st_model m;
    mlp_spec spec;
    model_init init;
    if (model_get_or_reply(a, resp, id, &m, &spec, &init) != 0)
        return -1;
    int64_t samples = m.samples;
    st_model_clear(&m);
    size_t from = 0, count = 0, got = 0;
    if (split_rows_or_reply(a, resp, id, split, samples, &from, &count) != 0)
        return -1;
    st_status st = storage_samples_read(a->st, id, from, count, s->n_in, s->n_out, &s->x, &s->y,
                                        &got);
    if (st != ST_OK) {
        reply_storage_error(resp, st);
        return -1;
    }
    s->n = got;
    return 0;
}

/* The rows to score: CSV, the JSON sample shapes, or a stored split. */
static int rows_or_reply(app *a, const api_request *req, api_response *resp, const char *id,
                         const model_meta *meta, sample_set *s)
{
    size_t max = (size_t)a->cfg->max_samples;
    if (request_is_csv(req))
        return samples_csv_or_reply(resp, req, meta, max, s);
    static const char *const fields[] = {"samples", "inputs", "targets", "labels", "split", NULL};
    cJSON *body = NULL;
    int rc = -1;
    const char *split = NULL;
    if (json_parse_or_reply(resp, req->body, req->body_len, &body) != 0 ||
        json_object_or_reply(resp, body, "", fields) != 0 ||
        json_string_or_reply(resp, body, "split", "", 0, 1, 16, &split) != 0)
        goto out;
    if (split && samples_json_present(body))
        reply_error(resp, API_ERR_INVALID_FIELD, "split",
                    "Give rows or a split, not both.");
    else if (split)
        rc = stored_rows_or_reply(a, resp, id, split, s);
    else
        rc = samples_json_or_reply(resp, body, meta, max, s);
out:
    cJSON_Delete(body);
    return rc;
}

/* The model's loss on the rows, in the units it trains in. */
static int loss_of(const mlp_t *net, const model_prep *prep, const sample_set *s, double *loss)
{
    size_t nx = s->n * s->n_in, ny = s->n * s->n_out;
    double *xs = malloc((nx + ny) * sizeof *xs + 1);
    if (!xs)
        return -1;
    double *ys = xs + nx;
    memcpy(xs, s->x, nx * sizeof *xs);
    memcpy(ys, s->y, ny * sizeof *ys);
    mlp_data d = {s->n, xs, ys};
    int rc = prep_inputs(prep, s->n, xs, xs) == MLP_OK && prep_targets(prep, s->n, ys, ys) == MLP_OK &&
                     mlp_data_loss(net, &d, NULL, loss) == MLP_OK
                 ? 0 : -1;
    free(xs);
    return rc;
}

static void add_regression(cJSON *m, const sample_set *s, const double *out)
{
    mlp_regression_scores r;
    if (mlp_regression_metrics(s->n, s->n_out, s->y, out, &r) != MLP_OK)
        return;
    json_add_number(m, "mse", r.mse);
    json_add_number(m, "rmse", r.rmse);
    json_add_number(m, "mae", r.mae);
    json_add_number(m, "r2", r.r2);
}

static cJSON *number_array(const double *v, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateNumber(v[i]));
    return arr;
}

/* accuracy, confusion_matrix, per class and macro precision, recall, f1,
 * log_loss, roc_auc (two classes). */
static int add_classification(cJSON *m, const model_meta *meta, const sample_set *s,
                              const double *out)
{
    size_t n = s->n, k = meta->n_classes, w = s->n_out;
    size_t *truth = malloc((2 * n + k * k) * sizeof *truth);
    double *per = malloc((3 * k + mlp_roc_auc_work_size(n) + n) * sizeof *per);
    int rc = -1;
    if (!truth || !per)
        goto out;
    size_t *pred = truth + n, *cm = pred + n;
    for (size_t i = 0; i < n; i++)
        truth[i] = mlp_argmax(s->y + i * w, w);
    mlp_class_scores cs;
    double ll = NAN, auc = NAN;
    if (mlp_predict_classes(n, w, out, pred) != MLP_OK ||
        mlp_confusion_matrix(n, k, truth, pred, cm) != MLP_OK ||
        mlp_class_metrics(k, cm, per, per + k, per + 2 * k, &cs) != MLP_OK)
        goto out;
    if (mlp_log_loss(n, w, truth, out, &ll) != MLP_OK)
        ll = NAN;
    if (k == 2) {
        double *score = per + 3 * k + mlp_roc_auc_work_size(n);
        for (size_t i = 0; i < n; i++)
            score[i] = out[i * w + (w == 1 ? 0 : 1)];
        if (mlp_roc_auc(n, truth, score, per + 3 * k, &auc) != MLP_OK)
            auc = NAN; /* one class only: undefined */
    }
    json_add_number(m, "accuracy", cs.accuracy);
    cJSON *cmj = cJSON_AddArrayToObject(m, "confusion_matrix");
    for (size_t i = 0; cmj && i < k; i++) {
        double row[META_MAX_CLASSES] = {0}; /* {0}: cppcheck 2.17 (Debian 13) cannot see k > 0 */
        for (size_t j = 0; j < k; j++)
            row[j] = (double)cm[i * k + j];
        cJSON_AddItemToArray(cmj, number_array(row, k));
    }
    cJSON_AddItemToObject(m, "precision", number_array(per, k));
    cJSON_AddItemToObject(m, "recall", number_array(per + k, k));
    cJSON_AddItemToObject(m, "f1", number_array(per + 2 * k, k));
    json_add_number(m, "macro_precision", cs.macro_precision);
    json_add_number(m, "macro_recall", cs.macro_recall);
    json_add_number(m, "macro_f1", cs.macro_f1);
    json_add_number(m, "log_loss", ll);
    if (k == 2)
        json_add_number(m, "roc_auc", auc);
    rc = 0;
out:
    free(truth);
    free(per);
    return rc;
}

static void score_and_reply(api_response *resp, snapshot *snap, const mlp_f32_t *f32,
                            const model_meta *meta, const sample_set *s)
{
    const mlp_t *net = snapshot_net(snap);
    double *out = malloc((s->n * s->n_out + mlp_work_size(net)) * sizeof *out + 1);
    double loss = NAN;
    if (!out) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
        return;
    }
    mlp_status ms = predict_forward_rows(net, f32, snapshot_prep(snap), s->n, s->x, out,
                                         out + s->n * s->n_out);
    if (ms != MLP_OK || loss_of(net, snapshot_prep(snap), s, &loss) != 0) {
        free(out);
        reply_error(resp, ms == MLP_ERR_NONFINITE ? API_ERR_INVALID_FIELD : API_ERR_INTERNAL,
                    NULL, ms == MLP_ERR_NONFINITE ? "These rows make an output non-finite."
                                                  : "The rows could not be scored.");
        return;
    }
    cJSON *root = cJSON_CreateObject();
    cJSON *m = root ? cJSON_CreateObject() : NULL;
    if (m) {
        cJSON_AddNumberToObject(root, "version", (double)snapshot_version(snap));
        cJSON_AddNumberToObject(root, "n", (double)s->n);
        json_add_number(root, "loss", loss);
        cJSON_AddItemToObject(root, "metrics", m);
        if (meta->n_classes)
            add_classification(m, meta, s, out);
        else
            add_regression(m, s, out);
    }
    free(out);
    reply_json(resp, 200, m ? root : (cJSON_Delete(root), NULL));
}

void h_evaluate(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    if (body_names_dataset(req)) { /* {"dataset", "split"}: a dataset's rows (dataset_use.c) */
        evaluate_on_dataset(a, req, p, resp);
        return;
    }
    int64_t version = 0;
    if (query_version_or_reply(req, resp, &version) != 0)
        return;
    snapshot *snap = model_net_or_reply(a, resp, p->id, version);
    if (!snap)
        return;
    const mlp_t *net = snapshot_net(snap);
    const model_meta *meta = NULL;
    const mlp_f32_t *f32 = NULL;
    sample_set s = {0, mlp_inputs(net), mlp_outputs(net), NULL, NULL, NULL};
    if (predict_f32_or_reply(a, resp, p->id, snap, &f32) == 0 &&
        predict_meta_or_reply(a, resp, p->id, snap, &meta) == 0 &&
        rows_or_reply(a, req, resp, p->id, meta, &s) == 0)
        score_and_reply(resp, snap, f32, meta, &s);
    sample_set_free(&s);
    snapshot_release(snap);
}
