/*
 * train_params.c - reading and writing a job's training parameters (see
 * train_params.h).
 */
#include "domain/train_params.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* A number, or null when it is not finite (JSON has no NaN). */
static void add_finite(cJSON *obj, const char *key, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(obj, key, v);
    else
        cJSON_AddNullToObject(obj, key);
}

static const char *const train_fields[] = {
    "epochs", "learning_rate", "batch_size", "optimizer", "momentum", "beta1", "beta2",
    "epsilon", "weight_decay", "shuffle", "seed", "validation_split", "target_loss",
    "max_seconds", "patience", "schedule", NULL};

/* "schedule": a method name, or {"method", and the method's parameters}
 * (core/schedule.h); absent means constant. */
static int read_schedule(json_err *e, const cJSON *b, double eta0, mlp_schedule *s)
{
    static const char *const fields[] = {"method", "step_size", "gamma", "power_t", "eta_min",
                                         "tol", "patience", "divisor", "min_rate", NULL};
    *s = mlp_default_schedule(MLP_SCHED_CONSTANT);
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(b, "schedule");
    if (!sc || cJSON_IsNull(sc))
        return 0;
    const char *name = cJSON_IsString(sc) ? sc->valuestring : NULL;
    if (!name && (json_read_object(e, sc, "schedule", fields) != 0 ||
                  json_read_string(e, sc, "method", "schedule", 1, 1, 32, &name) != 0))
        return -1;
    int method = name ? mlp_schedule_from_name(name) : 0;
    if (!method) {
        json_fail(e, JSON_ERR_INVALID_FIELD, cJSON_IsString(sc) ? "schedule" : "schedule.method",
                  "Unknown schedule '%s' (constant, step, invscaling, cosine, "
                  "reduce_on_plateau).", name ? name : "");
        return -1;
    }
    *s = mlp_default_schedule(method);
    if (cJSON_IsObject(sc)) {
        int64_t step = (int64_t)s->step_size, pat = (int64_t)s->patience;
        if (json_read_int(e, sc, "step_size", "schedule", 0, 1, INT64_C(1) << 30, &step) != 0 ||
            json_read_int(e, sc, "patience", "schedule", 0, 1, INT64_C(1) << 30, &pat) != 0 ||
            json_read_number(e, sc, "gamma", "schedule", 0, &s->gamma) != 0 ||
            json_read_number(e, sc, "power_t", "schedule", 0, &s->power_t) != 0 ||
            json_read_number(e, sc, "eta_min", "schedule", 0, &s->eta_min) != 0 ||
            json_read_number(e, sc, "tol", "schedule", 0, &s->tol) != 0 ||
            json_read_number(e, sc, "divisor", "schedule", 0, &s->divisor) != 0 ||
            json_read_number(e, sc, "min_rate", "schedule", 0, &s->min_rate) != 0)
            return -1;
        s->step_size = (size_t)step;
        s->patience = (size_t)pat;
    }
    mlp_spec_error err = {"", ""};
    if (mlp_schedule_check(s, eta0, &err) != MLP_OK) {
        json_fail(e, JSON_ERR_INVALID_FIELD, err.field[0] ? err.field : "schedule", "%s",
                  err.message[0] ? err.message : "Invalid schedule.");
        return -1;
    }
    return 0;
}

/* The schedule as the job shows it: the method and the parameters it
 * uses; nothing for the constant rate (jobs read as before schedules). */
static void add_schedule(cJSON *p, const mlp_schedule *s)
{
    int m = s->method ? s->method : MLP_SCHED_CONSTANT;
    cJSON *o = m == MLP_SCHED_CONSTANT ? NULL : cJSON_AddObjectToObject(p, "schedule");
    if (!o)
        return;
    cJSON_AddStringToObject(o, "method", mlp_schedule_name(m));
    if (m == MLP_SCHED_STEP) {
        cJSON_AddNumberToObject(o, "step_size", (double)s->step_size);
        add_finite(o, "gamma", s->gamma);
    } else if (m == MLP_SCHED_INVSCALING) {
        add_finite(o, "power_t", s->power_t);
    } else if (m == MLP_SCHED_COSINE) {
        add_finite(o, "eta_min", s->eta_min);
    } else if (m == MLP_SCHED_PLATEAU) {
        add_finite(o, "tol", s->tol);
        cJSON_AddNumberToObject(o, "patience", (double)s->patience);
        add_finite(o, "divisor", s->divisor);
        add_finite(o, "min_rate", s->min_rate);
    }
}

static int read_numbers(json_err *e, const cJSON *b, train_params *t)
{
    mlp_train_opts *o = &t->opts;
    return json_read_number(e, b, "learning_rate", "", 0, &o->learning_rate) ||
           json_read_number(e, b, "momentum", "", 0, &o->momentum) ||
           json_read_number(e, b, "beta1", "", 0, &o->beta1) ||
           json_read_number(e, b, "beta2", "", 0, &o->beta2) ||
           json_read_number(e, b, "epsilon", "", 0, &o->epsilon) ||
           json_read_number(e, b, "weight_decay", "", 0, &o->weight_decay) ||
           json_read_number(e, b, "validation_split", "", 0, &o->validation_split) ||
           json_read_number(e, b, "target_loss", "", 0, &o->target_loss) ||
           json_read_number(e, b, "max_seconds", "", 0, &t->max_seconds)
               ? -1 : 0;
}

int train_params_read(json_err *e, const cJSON *b, const train_limits *lim, train_params *t)
{
    mlp_train_opts *o = &t->opts;
    *o = mlp_default_train_opts();
    if ((int64_t)o->epochs > lim->max_epochs)
        o->epochs = (size_t)lim->max_epochs;
    const char *optimizer = "sgd";
    t->max_seconds = 0;
    int64_t epochs = (int64_t)o->epochs, batch = (int64_t)o->batch_size;
    int64_t seed = (int64_t)o->seed, patience = 0;
    if (json_read_object(e, b, "", train_fields) != 0 ||
        json_read_int(e, b, "epochs", "", 0, 1, lim->max_epochs, &epochs) != 0 ||
        json_read_int(e, b, "batch_size", "", 0, 1, INT64_C(1) << 30, &batch) != 0 ||
        json_read_int(e, b, "seed", "", 0, 0, INT64_C(1) << 53, &seed) != 0 ||
        json_read_int(e, b, "patience", "", 0, 0, lim->max_epochs, &patience) != 0 ||
        json_read_bool(e, b, "shuffle", "", 0, &o->shuffle) != 0 ||
        json_read_string(e, b, "optimizer", "", 0, 1, 32, &optimizer) != 0 ||
        read_numbers(e, b, t) != 0 || read_schedule(e, b, o->learning_rate, &t->schedule) != 0)
        return -1;
    o->epochs = (size_t)epochs;
    o->batch_size = (size_t)batch;
    o->seed = (uint64_t)seed;
    o->patience = (size_t)patience;
    if (!(o->optimizer = mlp_optimizer_from_name(optimizer))) {
        json_fail(e, JSON_ERR_INVALID_FIELD, "optimizer",
                  "Unknown optimizer '%s' (sgd, momentum, nesterov, adam).", optimizer);
        return -1;
    }
    snprintf(t->optimizer, sizeof t->optimizer, "%s", optimizer);
    /* "momentum"/"nesterov" without a momentum value mean the usual 0.9. */
    if (!cJSON_GetObjectItemCaseSensitive(b, "momentum") &&
        (strcmp(optimizer, "momentum") == 0 || o->optimizer == MLP_OPT_NESTEROV))
        o->momentum = 0.9;
    if (t->max_seconds < 0 || t->max_seconds > (double)lim->max_train_seconds) {
        json_fail(e, JSON_ERR_INVALID_FIELD, "max_seconds",
                  "max_seconds must be from 0 (the server's limit) to %ld.",
                  lim->max_train_seconds);
        return -1;
    }
    if (t->max_seconds == 0)
        t->max_seconds = (double)lim->max_train_seconds;
    mlp_spec_error err = {"", ""};
    if (mlp_train_opts_check(o, &err) != MLP_OK) {
        json_fail(e, JSON_ERR_INVALID_FIELD, err.field[0] ? err.field : NULL, "%s",
                  err.message[0] ? err.message : "Invalid training options.");
        return -1;
    }
    return 0;
}

char *train_params_json(const train_params *t)
{
    const mlp_train_opts *o = &t->opts;
    cJSON *p = cJSON_CreateObject();
    if (!p)
        return NULL;
    cJSON_AddNumberToObject(p, "epochs", (double)o->epochs);
    add_finite(p, "learning_rate", o->learning_rate);
    cJSON_AddNumberToObject(p, "batch_size", (double)o->batch_size);
    cJSON_AddStringToObject(p, "optimizer", t->optimizer);
    add_finite(p, "momentum", o->momentum);
    add_finite(p, "beta1", o->beta1);
    add_finite(p, "beta2", o->beta2);
    add_finite(p, "epsilon", o->epsilon);
    add_finite(p, "weight_decay", o->weight_decay);
    cJSON_AddBoolToObject(p, "shuffle", o->shuffle);
    cJSON_AddNumberToObject(p, "seed", (double)o->seed);
    add_finite(p, "validation_split", o->validation_split);
    add_finite(p, "target_loss", o->target_loss);
    add_finite(p, "max_seconds", t->max_seconds);
    cJSON_AddNumberToObject(p, "patience", (double)o->patience);
    add_schedule(p, &t->schedule);
    char *text = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    return text;
}

int train_params_parse(json_err *e, const char *params_json, const train_limits *lim,
                       train_params *t)
{
    cJSON *body = NULL;
    if (!params_json) {
        json_fail(e, JSON_ERR_INVALID_JSON, NULL, "The parameters are missing.");
        return -1;
    }
    if (json_read_parse(e, params_json, strlen(params_json), &body) != 0)
        return -1;
    int rc = train_params_read(e, body, lim, t);
    cJSON_Delete(body);
    return rc;
}
