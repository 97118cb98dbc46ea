/*
 * import.c - POST /v1/models/import: a new model from a document
 * of GET export (see export.c for its parts).
 *
 * The document is hostile input: checked with the same readers and limits
 * as create, PUT weights and sample posts, and its parts against each
 * other (current weights equal their version, versions increasing, job ids
 * distinct, history rows naming a listed job), then written with new ids
 * in one transaction (storage_model_import). Imports run one at a time:
 * the parsed tree of a --max-import-body document is the largest memory a
 * request can take.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/handlers.h"
#include "domain/prep.h"
#include "api/jsonin.h"
#include "api/reply.h"

#define JOB_ID_MAX 64
#define JOB_ERROR_MAX 1024
#define JOB_PARAMS_MAX 16384
#define INT53 (INT64_C(1) << 53)

static const char *const doc_fields[] = {
    "format", "format_version", "exported_at", "source_id", "model", "conventions",
    "last_loss", "weights", "versions", "versions_omitted", "samples", "jobs", "history",
    NULL};
static const char *const version_fields[] = {"version", "source", "created_at", "loss",
                                             "layers", "preprocessing", "split", NULL};
static const char *const split_fields[] = {"train_rows", "validation_rows", NULL};
static const char *const weights_fields[] = {"version", "layers", "preprocessing", NULL};
static const char *const samples_fields[] = {"inputs", "targets", NULL};
static const char *const conv_fields[] = {"bias", "cost", "activations", NULL};
static const char *const job_fields[] = {
    "id", "status", "epoch", "epochs", "loss", "val_loss", "error", "version",
    "created_at", "started_at", "finished_at", "params", NULL};
static const char *const history_fields[] = {"job_id", "epoch", "loss", "val_loss", "time",
                                             NULL};

/* A job id of the document and the job's index (sorted by id, so that
 * duplicates and history lookups cost log n, not n, per row). */
typedef struct job_ref {
    const char *id;
    size_t index;
} job_ref;

static int job_ref_cmp(const void *a, const void *b)
{
    return strcmp(((const job_ref *)a)->id, ((const job_ref *)b)->id);
}

/* What the import builds before the one storage call; freed by
 * import_free whatever happened. */
typedef struct import_state {
    mlp_spec spec;
    model_init init;
    const char *name;
    char *spec_json;
    char id[17];
    double last_loss;
    st_import_version *versions;
    unsigned char **blobs;
    double **params;      /* each version's parameters, to compare weights */
    size_t n_versions, n_params;
    double *x, *y;
    size_t n_samples;
    st_job *jobs;
    job_ref *old_job_ids; /* the document's job ids, sorted once parsed */
    size_t n_jobs;
    st_history_row *history;
    size_t n_history;
} import_state;

static void import_free(import_state *s)
{
    for (size_t i = 0; i < s->n_versions; i++) {
        free(s->blobs[i]);
        free(s->params[i]);
    }
    free(s->blobs);
    free(s->params);
    free(s->versions);
    free(s->spec_json);
    free(s->x);
    free(s->y);
    st_jobs_free(s->jobs, s->n_jobs);
    free(s->old_job_ids);
    free(s->history);
}

static int oom(api_response *resp)
{
    reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
    return -1;
}

/* "YYYY-MM-DDTHH:MM:SS(.fff)Z" -> unix seconds, as format_time writes it. */
static int parse_time(const char *s, double *out)
{
    int y, mo, d, h, mi, sec, n = 0;
    /* fixed-width digit fields: n == 19 and the ranges below catch any bad one */
    /* NOLINTNEXTLINE(cert-err34-c) */
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
        return -1;
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec > 60 || h < 0 || mi < 0 || sec < 0)
        return -1;
    const char *p = s + 19;
    int ms = 0;
    if (*p == '.') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            if (digits < 3)
                ms = ms * 10 + (*p - '0');
        if (digits == 0 || digits > 9)
            return -1;
        for (; digits < 3; digits++)
            ms *= 10;
    }
    if (p[0] != 'Z' || p[1] != '\0')
        return -1;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return -1;
    /* half a millisecond in, so that format_time prints the same digits */
    *out = (double)t + (ms + 0.5) / 1000.0;
    return 0;
}

/* An optional time field: string or null (-> 0, "now" for storage). */
static int time_or_reply(api_response *resp, const cJSON *obj, const char *key,
                         const char *path, double *out)
{
    const char *text = NULL;
    *out = 0;
    if (json_string_or_reply(resp, obj, key, path, 0, 1, 40, &text) != 0)
        return -1;
    if (text && parse_time(text, out) != 0) {
        char full[256];
        json_path_key(full, sizeof full, path, key);
        reply_error(resp, API_ERR_INVALID_FIELD, full,
                    "%s must be an RFC 3339 UTC time like 2026-01-31T12:00:00.000Z.", full);
        return -1;
    }
    return 0;
}

/* An optional number that may be null (-> NaN). */
static int loss_or_reply(api_response *resp, const cJSON *obj, const char *key,
                         const char *path, double *out)
{
    *out = NAN;
    return json_number_or_reply(resp, obj, key, path, 0, out);
}

/* An array field (required or not); NULL item when absent. */
static int array_or_reply(api_response *resp, const cJSON *obj, const char *key, int required,
                          const cJSON **out, size_t *n)
{
    *out = cJSON_GetObjectItemCaseSensitive(obj, key);
    *n = 0;
    if (!*out || cJSON_IsNull(*out)) {
        *out = NULL;
        if (required)
            reply_error(resp, API_ERR_MISSING_FIELD, key, "The field %s is required.", key);
        return required ? -1 : 0;
    }
    if (!cJSON_IsArray(*out)) {
        reply_error(resp, API_ERR_INVALID_FIELD, key, "%s must be an array.", key);
        return -1;
    }
    *n = (size_t)cJSON_GetArraySize(*out);
    return 0;
}

static int header_or_reply(api_response *resp, const cJSON *doc)
{
    const char *format = NULL;
    int64_t fv = 0;
    if (json_string_or_reply(resp, doc, "format", "", 1, 1, 64, &format) != 0 ||
        json_int_or_reply(resp, doc, "format_version", "", 1, 1, INT53, &fv) != 0)
        return -1;
    if (strcmp(format, EXPORT_FORMAT) != 0) {
        reply_error(resp, API_ERR_INVALID_FIELD, "format",
                    "format must be \"" EXPORT_FORMAT "\" (a document from GET export).");
        return -1;
    }
    if (fv != EXPORT_FORMAT_VERSION) {
        reply_error(resp, API_ERR_INVALID_FIELD, "format_version",
                    "This mlpd reads format_version %d; the document has %lld.",
                    EXPORT_FORMAT_VERSION, (long long)fv);
        return -1;
    }
    const cJSON *conv = cJSON_GetObjectItemCaseSensitive(doc, "conventions");
    if (!conv || cJSON_IsNull(conv))
        return 0;
    if (json_object_or_reply(resp, conv, "conventions", conv_fields) != 0)
        return -1;
    static const char *const want[][2] = {
        {"bias", "+b"}, {"cost", "1/2 e^2 per sample"}, {"activations", "exact"}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *got = NULL;
        if (json_string_or_reply(resp, conv, want[i][0], "conventions", 0, 0, 64, &got) != 0)
            return -1;
        if (got && strcmp(got, want[i][1]) != 0) {
            char full[64];
            json_path_key(full, sizeof full, "conventions", want[i][0]);
            reply_error(resp, API_ERR_INVALID_FIELD, full,
                        "mlpd models use %s \"%s\"; this document says \"%s\".", full,
                        want[i][1], got);
            return -1;
        }
    }
    return 0;
}

/* The sources the versions table accepts ("checkpoint": a training job's
 * checkpoint, schema 0002). */
static int valid_source(const char *s)
{
    version_source v;
    return version_source_from_name(s, &v) == 0;
}

/* A version's optional "split" {"train_rows", "validation_rows"}: the
 * rows its job used (evaluate's train and validation splits), kept with
 * its scalers (identity ones when it has none). -1 after replying. */
static int split_or_reply(api_response *resp, const cJSON *vo, const char *path,
                          const mlp_t *net, model_prep **prep)
{
    const cJSON *sp = cJSON_GetObjectItemCaseSensitive(vo, "split");
    if (!sp || cJSON_IsNull(sp))
        return 0;
    char spath[64];
    json_path_key(spath, sizeof spath, path, "split");
    int64_t tr = 0, va = 0;
    if (json_object_or_reply(resp, sp, spath, split_fields) != 0 ||
        json_int_or_reply(resp, sp, "train_rows", spath, 1, 0, INT53, &tr) != 0 ||
        json_int_or_reply(resp, sp, "validation_rows", spath, 1, 0, INT53, &va) != 0)
        return -1;
    if (!*prep && !(*prep = prep_new(MLP_SCALE_NONE, mlp_inputs(net), MLP_SCALE_NONE,
                                     mlp_outputs(net))))
        return oom(resp);
    (*prep)->train_rows = tr;
    (*prep)->val_rows = va;
    return 0;
}

/* One versions[i] entry into st->versions[i], its blob and parameters. */
static int version_or_reply(api_response *resp, const cJSON *vo, size_t i, import_state *st,
                            mlp_t *net)
{
    char path[48];
    json_path_index(path, sizeof path, "versions", i);
    st_import_version *v = &st->versions[i];
    int64_t number = 0;
    const char *source = NULL;
    if (json_object_or_reply(resp, vo, path, version_fields) != 0 ||
        json_int_or_reply(resp, vo, "version", path, 1, 1, INT53, &number) != 0 ||
        json_string_or_reply(resp, vo, "source", path, 1, 1, 16, &source) != 0 ||
        time_or_reply(resp, vo, "created_at", path, &v->created_at) != 0 ||
        loss_or_reply(resp, vo, "loss", path, &v->loss) != 0)
        return -1;
    if (!valid_source(source)) {
        reply_error(resp, API_ERR_INVALID_FIELD, path,
                    "%s.source must be init, put, step, train, restore or checkpoint.", path);
        return -1;
    }
    if (i > 0 && number <= st->versions[i - 1].version) {
        reply_error(resp, API_ERR_INVALID_FIELD, path,
                    "%s.version must be larger than the version before it.", path);
        return -1;
    }
    v->version = number;
    v->source = source;
    model_prep *prep = NULL;
    if (weights_layers_or_reply(resp, vo, path, net) != 0 ||
        weights_prep_or_reply(resp, vo, path, net, &prep) != 0)
        return -1;
    if (split_or_reply(resp, vo, path, net, &prep) != 0) {
        prep_free(prep);
        return -1;
    }
    size_t len = 0;
    int enc = prep_blob_encode(net, prep, &st->blobs[i], &len);
    prep_free(prep);
    st->params[i] = malloc(st->n_params * sizeof(double) + 1);
    if (enc != 0 || !st->params[i])
        return oom(resp);
    memcpy(st->params[i], mlp_params_const(net), st->n_params * sizeof(double));
    v->blob = st->blobs[i];
    v->blob_len = len;
    return 0;
}

static int versions_or_reply(app *a, api_response *resp, const cJSON *doc, import_state *st)
{
    const cJSON *arr;
    size_t n;
    if (array_or_reply(resp, doc, "versions", 1, &arr, &n) != 0)
        return -1;
    if (n == 0) {
        reply_error(resp, API_ERR_INVALID_DIMENSIONS, "versions",
                    "versions must hold at least the current version.");
        return -1;
    }
    mlp_t *net = NULL;
    if (mlp_new(&st->spec, &a->limits, NULL, &net) != MLP_OK)
        return oom(resp);
    st->n_params = mlp_param_count(net);
    st->versions = calloc(n, sizeof *st->versions);
    st->blobs = calloc(n, sizeof *st->blobs);
    st->params = calloc(n, sizeof *st->params);
    int rc = st->versions && st->blobs && st->params ? 0 : oom(resp);
    size_t i = 0;
    for (const cJSON *vo = arr->child; rc == 0 && vo; vo = vo->next, i++) {
        st->n_versions = i + 1; /* import_free frees what version_or_reply took */
        rc = version_or_reply(resp, vo, i, st, net);
    }
    mlp_free(net);
    return rc;
}

/* "weights" must be one of the versions, with the same numbers bit for bit. */
static int weights_or_reply(app *a, api_response *resp, const cJSON *doc, import_state *st)
{
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(doc, "weights");
    if (!w) {
        reply_error(resp, API_ERR_MISSING_FIELD, "weights", "The field weights is required.");
        return -1;
    }
    int64_t number = 0;
    if (json_object_or_reply(resp, w, "weights", weights_fields) != 0 ||
        json_int_or_reply(resp, w, "version", "weights", 1, 1, INT53, &number) != 0)
        return -1;
    size_t k = 0;
    while (k < st->n_versions && st->versions[k].version != number)
        k++;
    if (k == st->n_versions) {
        reply_error(resp, API_ERR_INVALID_FIELD, "weights.version",
                    "weights.version %lld is not among versions.", (long long)number);
        return -1;
    }
    mlp_t *net = NULL;
    if (mlp_new(&st->spec, &a->limits, NULL, &net) != MLP_OK)
        return oom(resp);
    int rc = weights_layers_or_reply(resp, w, "weights", net);
    if (rc == 0 && memcmp(mlp_params_const(net), st->params[k],
                          st->n_params * sizeof(double)) != 0) {
        reply_error(resp, API_ERR_INVALID_FIELD, "weights",
                    "weights differ from versions entry %lld of the same number.",
                    (long long)number);
        rc = -1;
    }
    mlp_free(net);
    return rc;
}

static int samples_or_reply(app *a, api_response *resp, const cJSON *doc, import_state *st)
{
    const cJSON *so = cJSON_GetObjectItemCaseSensitive(doc, "samples");
    if (!so || cJSON_IsNull(so))
        return 0;
    if (json_object_or_reply(resp, so, "samples", samples_fields) != 0)
        return -1;
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(so, "inputs");
    const cJSON *tg = cJSON_GetObjectItemCaseSensitive(so, "targets");
    if (!in || !tg) {
        const char *missing = in ? "samples.targets" : "samples.inputs";
        reply_error(resp, API_ERR_MISSING_FIELD, missing, "The field %s is required.", missing);
        return -1;
    }
    size_t n_in = st->spec.inputs, n_out = st->spec.layers[st->spec.n_layers - 1].units;
    if (cJSON_IsArray(in) && cJSON_IsArray(tg) && !in->child && !tg->child)
        return 0; /* no samples */
    size_t n = 0, nt = 0, max = (size_t)a->cfg->max_samples;
    if (json_rows_or_reply(resp, in, "samples.inputs", max, &n) != 0 ||
        json_rows_or_reply(resp, tg, "samples.targets", max, &nt) != 0)
        return -1;
    if (n != nt) {
        reply_error(resp, API_ERR_INVALID_DIMENSIONS, "samples.targets",
                    "samples.targets has %zu rows but samples.inputs has %zu.", nt, n);
        return -1;
    }
    st->x = malloc(n * n_in * sizeof(double) + 1);
    st->y = malloc(n * n_out * sizeof(double) + 1);
    if (!st->x || !st->y)
        return oom(resp);
    if (json_matrix_or_reply(resp, in, "samples.inputs", n, n_in, st->x) != 0 ||
        json_matrix_or_reply(resp, tg, "samples.targets", n, n_out, st->y) != 0)
        return -1;
    st->n_samples = n;
    return 0;
}

/* A job's params: an object, stored as compact JSON text. */
static int params_or_reply(api_response *resp, const cJSON *jo, const char *path,
                           char **out)
{
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(jo, "params");
    char full[96];
    json_path_key(full, sizeof full, path, "params");
    if (params && !cJSON_IsNull(params) && !cJSON_IsObject(params)) {
        reply_error(resp, API_ERR_INVALID_FIELD, full, "%s must be an object.", full);
        return -1;
    }
    *out = params && cJSON_IsObject(params) ? cJSON_PrintUnformatted(params) : strdup("{}");
    if (!*out)
        return oom(resp);
    if (strlen(*out) > JOB_PARAMS_MAX) {
        reply_error(resp, API_ERR_LIMIT_EXCEEDED_SIZE, full, "%s is longer than %d bytes.",
                    full, JOB_PARAMS_MAX);
        return -1;
    }
    return 0;
}

static int job_or_reply(api_response *resp, const cJSON *jo, size_t i, import_state *st)
{
    char path[48];
    json_path_index(path, sizeof path, "jobs", i);
    st_job *j = &st->jobs[i];
    const char *old_id = NULL, *status = NULL, *error = NULL;
    int64_t epoch = 0, epochs = 0, version = 0;
    if (json_object_or_reply(resp, jo, path, job_fields) != 0 ||
        json_string_or_reply(resp, jo, "id", path, 1, 1, JOB_ID_MAX, &old_id) != 0 ||
        json_string_or_reply(resp, jo, "status", path, 1, 1, 16, &status) != 0 ||
        json_int_or_reply(resp, jo, "epoch", path, 0, 0, INT53, &epoch) != 0 ||
        json_int_or_reply(resp, jo, "epochs", path, 0, 0, INT53, &epochs) != 0 ||
        json_int_or_reply(resp, jo, "version", path, 0, 0, INT53, &version) != 0 ||
        json_string_or_reply(resp, jo, "error", path, 0, 1, JOB_ERROR_MAX, &error) != 0 ||
        loss_or_reply(resp, jo, "loss", path, &j->loss) != 0 ||
        loss_or_reply(resp, jo, "val_loss", path, &j->val_loss) != 0 ||
        time_or_reply(resp, jo, "created_at", path, &j->created_at) != 0 ||
        time_or_reply(resp, jo, "started_at", path, &j->started_at) != 0 ||
        time_or_reply(resp, jo, "finished_at", path, &j->finished_at) != 0 ||
        params_or_reply(resp, jo, path, &j->params_json) != 0)
        return -1;
    st->old_job_ids[i] = (job_ref){old_id, i};
    /* a job still active at export time never finishes here */
    job_status js;
    if (job_status_from_name(status, &js) != 0) {
        reply_error(resp, API_ERR_INVALID_FIELD, path,
                    "%s.status must be queued, running, succeeded, failed or cancelled.", path);
        return -1;
    }
    int active = !job_ended(js);
    snprintf(j->status, sizeof j->status, "%s", job_status_name(active ? JOB_FAILED : js));
    if (active)
        error = "interrupted: the job was still active when the model was exported";
    if (error && !(j->error = strdup(error)))
        return oom(resp);
    j->epoch = epoch;
    j->epochs = epochs;
    j->version = version;
    if (storage_new_id(j->id) != 0)
        return oom(resp);
    return 0;
}

static int jobs_or_reply(api_response *resp, const cJSON *doc, import_state *st)
{
    const cJSON *arr;
    size_t n;
    if (array_or_reply(resp, doc, "jobs", 0, &arr, &n) != 0)
        return -1;
    if (n == 0)
        return 0;
    st->jobs = calloc(n, sizeof *st->jobs);
    st->old_job_ids = calloc(n, sizeof *st->old_job_ids);
    if (!st->jobs || !st->old_job_ids)
        return oom(resp);
    st->n_jobs = n;
    size_t i = 0;
    for (const cJSON *jo = arr->child; jo; jo = jo->next, i++)
        if (job_or_reply(resp, jo, i, st) != 0)
            return -1;
    qsort(st->old_job_ids, n, sizeof *st->old_job_ids, job_ref_cmp);
    for (i = 1; i < n; i++)
        if (strcmp(st->old_job_ids[i - 1].id, st->old_job_ids[i].id) == 0) {
            size_t a = st->old_job_ids[i - 1].index, b = st->old_job_ids[i].index;
            char path[48];
            json_path_index(path, sizeof path, "jobs", a > b ? a : b);
            reply_error(resp, API_ERR_INVALID_FIELD, path, "%s.id repeats jobs[%zu].id.", path,
                        a < b ? a : b);
            return -1;
        }
    return 0;
}

static int history_or_reply(api_response *resp, const cJSON *doc, import_state *st)
{
    const cJSON *arr;
    size_t n;
    if (array_or_reply(resp, doc, "history", 0, &arr, &n) != 0)
        return -1;
    if (n == 0)
        return 0;
    if (!(st->history = calloc(n, sizeof *st->history)))
        return oom(resp);
    size_t i = 0;
    for (const cJSON *ho = arr->child; ho; ho = ho->next, i++) {
        char path[48];
        json_path_index(path, sizeof path, "history", i);
        st_history_row *h = &st->history[i];
        const char *job = NULL;
        int64_t epoch = 0;
        if (json_object_or_reply(resp, ho, path, history_fields) != 0 ||
            json_string_or_reply(resp, ho, "job_id", path, 1, 1, JOB_ID_MAX, &job) != 0 ||
            json_int_or_reply(resp, ho, "epoch", path, 1, 0, INT53, &epoch) != 0 ||
            loss_or_reply(resp, ho, "loss", path, &h->e.loss) != 0 ||
            loss_or_reply(resp, ho, "val_loss", path, &h->e.val_loss) != 0 ||
            time_or_reply(resp, ho, "time", path, &h->e.time) != 0)
            return -1;
        job_ref key = {job, 0};
        const job_ref *found = st->n_jobs ? bsearch(&key, st->old_job_ids, st->n_jobs,
                                                    sizeof key, job_ref_cmp)
                                          : NULL;
        if (!found) {
            reply_error(resp, API_ERR_INVALID_FIELD, path,
                        "%s.job_id names no job of jobs.", path);
            return -1;
        }
        memcpy(h->job_id, st->jobs[found->index].id, sizeof h->job_id);
        h->e.epoch = epoch;
        st->n_history = i + 1;
    }
    return 0;
}

/* Check the whole document into st; -1 after replying. */
static int document_or_reply(app *a, api_response *resp, const cJSON *doc, import_state *st)
{
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(doc, "model");
    int64_t omitted = 0;
    st->last_loss = NAN;
    if (json_object_or_reply(resp, doc, "", doc_fields) != 0 ||
        header_or_reply(resp, doc) != 0 ||
        json_int_or_reply(resp, doc, "versions_omitted", "", 0, 0, INT53, &omitted) != 0 ||
        loss_or_reply(resp, doc, "last_loss", "", &st->last_loss) != 0)
        return -1;
    if (!model) {
        reply_error(resp, API_ERR_MISSING_FIELD, "model", "The field model is required.");
        return -1;
    }
    if (model_create_body_or_reply(a, resp, model, &st->name, &st->spec, &st->init) != 0)
        return -1;
    model_meta meta;
    model_meta_init(&meta);
    if (model_meta_or_reply(resp, model, &st->spec, &meta) != 0) {
        model_meta_clear(&meta);
        return -1;
    }
    char *arch = model_spec_json(&st->spec, &st->init);
    st->spec_json = arch ? model_meta_spec_json(arch, &meta) : NULL;
    free(arch);
    model_meta_clear(&meta);
    if (!st->spec_json)
        return oom(resp);
    return versions_or_reply(a, resp, doc, st) != 0 || weights_or_reply(a, resp, doc, st) != 0 ||
                   samples_or_reply(a, resp, doc, st) != 0 || jobs_or_reply(resp, doc, st) != 0 ||
                   history_or_reply(resp, doc, st) != 0
               ? -1
               : 0;
}

static pthread_mutex_t import_mu = PTHREAD_MUTEX_INITIALIZER;

void h_model_import(app *a, const api_request *req, const route_params *p,
                    api_response *resp)
{
    (void)p;
    import_state st;
    memset(&st, 0, sizeof st);
    cJSON *doc = NULL;
    pthread_mutex_lock(&import_mu);
    if (json_parse_or_reply(resp, req->body, req->body_len, &doc) != 0 ||
        document_or_reply(a, resp, doc, &st) != 0)
        goto out;
    /* checked by weights_or_reply: an integer naming one of the versions */
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(doc, "weights");
    int64_t current = (int64_t)cJSON_GetObjectItemCaseSensitive(w, "version")->valuedouble;
    if (storage_new_id(st.id) != 0) {
        reply_error(resp, API_ERR_INTERNAL, NULL, NULL);
        goto out;
    }
    st_import im = {
        .id = st.id, .name = st.name, .spec_json = st.spec_json, .version = current,
        .last_loss = st.last_loss, .versions = st.versions, .n_versions = st.n_versions,
        .n_samples = st.n_samples, .n_in = st.spec.inputs,
        .n_out = st.spec.layers[st.spec.n_layers - 1].units, .x = st.x, .y = st.y,
        .jobs = st.jobs, .n_jobs = st.n_jobs, .history = st.history,
        .n_history = st.n_history};
    st_status s = storage_model_import(a->st, &im);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        goto out;
    }
    st_model m;
    mlp_spec spec;
    model_init init;
    if (model_get_or_reply(a, resp, st.id, &m, &spec, &init) != 0)
        goto out;
    char location[64];
    snprintf(location, sizeof location, "/v1/models/%s", st.id);
    reply_json(resp, 201, model_to_json(&m, &spec, &init));
    if (resp->status == 201)
        api_response_header(resp, "Location", location);
    st_model_clear(&m);
out:
    pthread_mutex_unlock(&import_mu);
    import_free(&st);
    cJSON_Delete(doc);
}
