/*
 * realdata.c - what a job does for real data (DESIGN.md "Real data"):
 * fit the model's scalers on the job's training rows only (the rows
 * mlp_train trains on: the validation split is the last fraction of rows,
 * core/train.c's rule), scale every row with them, warn about inputs far
 * from unit scale when the model does not scale them, and measure a
 * classifier's accuracy after each epoch.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "domain/model.h"
#include "domain/model_meta.h"
#include "jobs/jobs_internal.h"
#include "core/metrics.h"
#include "util/sbuf.h"

#define FAR_FROM_UNIT 10.0 /* |mean| or standard deviation above it */

/* core/train.c: n_val = n - floor(n (1 - split)), at least 1 with a split. */
static size_t train_rows(size_t n, double split)
{
    size_t n_val = n - (size_t)floor((double)n * (1.0 - split));
    if (split > 0.0 && n_val == 0)
        n_val = 1;
    return n_val < n ? n - n_val : n;
}

/* The warning's sentence for the worst columns; NULL if none is far. */
static char *far_columns(const mlp_scaler *st, const model_meta *meta)
{
    size_t worst = 0, far = 0;
    double worst_v = 0;
    for (size_t j = 0; j < st->dims; j++) {
        double v = fmax(fabs(st->offset[j]), st->scale[j]);
        if (v > FAR_FROM_UNIT) {
            far++;
            if (v > worst_v) {
                worst_v = v;
                worst = j;
            }
        }
    }
    if (!far)
        return NULL;
    sbuf b;
    sbuf_init(&b);
    sbuf_printf(&b, "%zu of %zu input columns are far from unit scale (column %zu", far,
                st->dims, worst + 1);
    if (meta->n_features == st->dims)
        sbuf_printf(&b, " '%s'", meta->feature_names[worst]);
    sbuf_printf(&b, ": mean %.4g, standard deviation %.4g) and the model does not scale its "
                    "inputs, so sigmoid and tanh units saturate and training may stall. Create "
                    "the model with \"preprocessing\": {\"inputs\": \"standard\"} (or minmax).",
                st->offset[worst], st->scale[worst]);
    size_t len;
    return sbuf_failed(&b) ? (sbuf_free(&b), NULL) : sbuf_take(&b, &len);
}

/* Note the job's warnings in storage (best effort: a warning is advice). */
static void warn_if_far(run *r, const double *x, size_t n_in, const model_meta *meta)
{
    if (meta->pre_inputs != MLP_SCALE_NONE || r->n_train == 0)
        return;
    double *mem = malloc(2 * n_in * sizeof *mem);
    mlp_scaler st;
    char *msg = NULL;
    if (mem && mlp_scaler_init(&st, MLP_SCALE_STANDARD, n_in, mem, mem + n_in) == MLP_OK &&
        mlp_scaler_fit(&st, r->n_train, x) == MLP_OK)
        msg = far_columns(&st, meta);
    free(mem);
    if (!msg)
        return;
    cJSON *arr = cJSON_CreateArray();
    cJSON *s = arr ? cJSON_CreateString(msg) : NULL;
    char *text = NULL;
    if (s) {
        cJSON_AddItemToArray(arr, s);
        text = cJSON_PrintUnformatted(arr);
    }
    if (text)
        storage_job_warnings_set(r->pool->env.st, r->job.id, text);
    free(text);
    cJSON_Delete(arr);
    free(msg);
}

static int fit_and_scale(run *r, double *x, double *y, size_t n, const model_meta *meta,
                         const char **err)
{
    size_t n_in = mlp_inputs(r->net), n_out = mlp_outputs(r->net);
    r->prep = prep_new(meta->pre_inputs, n_in, meta->pre_targets, n_out);
    if (!r->prep) {
        *err = "out of memory";
        return -1;
    }
    r->prep->train_rows = (int64_t)r->n_train;
    r->prep->val_rows = (int64_t)(n - r->n_train);
    if (mlp_scaler_fit(&r->prep->inputs, r->n_train, x) != MLP_OK ||
        mlp_scaler_fit(&r->prep->targets, r->n_train, y) != MLP_OK) {
        *err = "the scalers could not be fitted (a value overflows)";
        return -1;
    }
    if (prep_inputs(r->prep, n, x, x) != MLP_OK || prep_targets(r->prep, n, y, y) != MLP_OK) {
        *err = "a scaled value is not finite";
        return -1;
    }
    return 0;
}

int realdata_prepare(run *r, double *x, double *y, size_t n, const char **err)
{
    jobs_env *env = &r->pool->env;
    st_model m;
    mlp_spec spec;
    model_init init;
    model_meta meta;
    model_meta_init(&meta);
    *err = "the model's description could not be read";
    if (model_read(env->st, r->job.model_id, &m, &spec, &init).code != DOM_OK)
        return -1;
    int ok = model_meta_parse(m.spec_json, &spec, &meta) == 0;
    st_model_clear(&m);
    if (!ok)
        return -1;
    r->n_rows = n;
    r->n_train = train_rows(n, r->tp.opts.validation_split);
    r->x = x;
    r->y = y;
    r->n_classes = meta.n_classes;
    int sched = r->tp.schedule.method && r->tp.schedule.method != MLP_SCHED_CONSTANT;
    r->extras = sched || meta.n_classes > 0;
    warn_if_far(r, x, mlp_inputs(r->net), &meta);
    int rc = fit_and_scale(r, x, y, n, &meta, err);
    model_meta_clear(&meta);
    if (rc != 0)
        return -1;
    if (r->n_classes) {
        size_t need = n * mlp_outputs(r->net) + mlp_work_size(r->net);
        if (!(r->pred = malloc(need * sizeof *r->pred))) {
            *err = "out of memory";
            return -1;
        }
    }
    return 0;
}

/* Share of rows [from, to) whose most probable class is the target's. */
static double accuracy(const run *r, size_t width, size_t from, size_t to)
{
    if (to <= from)
        return NAN;
    size_t right = 0;
    for (size_t i = from; i < to; i++)
        right += mlp_argmax(r->pred + i * width, width) == mlp_argmax(r->y + i * width, width);
    return (double)right / (double)(to - from);
}

void realdata_epoch(run *r, const mlp_t *net, const mlp_progress *p, st_epoch_extra *out)
{
    memset(out, 0, sizeof *out);
    out->epoch = (int64_t)p->epoch;
    out->learning_rate = p->learning_rate;
    out->accuracy = out->val_accuracy = NAN;
    if (!r->n_classes || !r->pred)
        return;
    size_t width = mlp_outputs(net);
    double *work = r->pred + r->n_rows * width;
    if (mlp_predict(net, r->n_rows, r->x, r->pred, work) != MLP_OK)
        return;
    out->accuracy = accuracy(r, width, 0, r->n_train);
    out->val_accuracy = accuracy(r, width, r->n_train, r->n_rows);
}

void realdata_free(run *r)
{
    prep_free(r->prep);
    prep_free(r->base_prep);
    free(r->pred);
    free(r->pending_x);
    r->prep = r->base_prep = NULL;
    r->pred = NULL;
    r->pending_x = NULL;
}
