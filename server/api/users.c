/*
 * users.c - what users see of themselves: PATCH a model's
 * public_predict, GET /v1/me (who, quotas, usage), and the per-user part
 * of /metrics.
 */
#include <stdlib.h>
#include <string.h>

#include "domain/auth.h"
#include "api/handlers.h"
#include "api/jsonin.h"
#include "api/quota_check.h"
#include "domain/ratelimit.h"
#include "api/reply.h"

static const char *const patch_fields[] = {"public_predict", NULL};

void h_model_patch(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    cJSON *body = NULL;
    int pub = 0;
    if (json_parse_or_reply(resp, req->body, req->body_len, &body) != 0 ||
        json_object_or_reply(resp, body, "", patch_fields) != 0 ||
        json_bool_or_reply(resp, body, "public_predict", "", 1, &pub) != 0)
        goto out;
    st_status s = storage_model_set_public(a->st, p->id, pub);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        goto out;
    }
    st_model m;
    mlp_spec spec;
    model_init init;
    if (model_get_or_reply(a, resp, p->id, &m, &spec, &init) != 0)
        goto out;
    reply_json(resp, 200, model_to_json(&m, &spec, &init));
    st_model_clear(&m);
out:
    cJSON_Delete(body);
}

/* The caller's row of the users list (models, samples); 0 if found. */
static int usage_of(app *a, const char *id, st_user *out)
{
    st_user *us = NULL;
    size_t n = 0;
    int found = -1;
    if (storage_users_list(a->st, &us, &n) != ST_OK)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(us[i].id, id) == 0) {
            *out = us[i];
            found = 0;
        }
    }
    free(us);
    return found;
}

static void add_quotas(cJSON *o, const mlpd_config *c)
{
    cJSON *q = cJSON_AddObjectToObject(o, "quotas");
    if (!q)
        return;
    cJSON_AddNumberToObject(q, "models", (double)c->quota_models);
    cJSON_AddNumberToObject(q, "samples", (double)c->quota_samples);
    cJSON_AddNumberToObject(q, "samples_per_model", (double)c->max_samples);
    cJSON_AddNumberToObject(q, "params_per_model", (double)c->max_params);
    cJSON_AddNumberToObject(q, "requests_per_second", (double)c->rate_limit);
    cJSON_AddNumberToObject(q, "request_burst", (double)c->rate_burst);
    cJSON_AddNumberToObject(q, "running_jobs", (double)c->quota_running_jobs);
    cJSON_AddNumberToObject(q, "queued_jobs", (double)c->quota_queued_jobs);
    cJSON_AddNumberToObject(q, "train_seconds_per_job", (double)c->max_train_seconds);
    cJSON_AddNumberToObject(q, "train_seconds_per_day", (double)c->quota_train_seconds_day);
}

void h_me(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    (void)p;
    const auth_user *u = req->user;
    st_user row;
    memset(&row, 0, sizeof row);
    if (!u || usage_of(a, u->id, &row) != 0) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "Your user could not be read.");
        return;
    }
    char day[11];
    double today = 0;
    quota_today(day, NULL);
    storage_usage_get(a->st, u->id, day, &today);
    cJSON *o = cJSON_CreateObject();
    if (o) {
        cJSON_AddStringToObject(o, "name", u->name);
        cJSON_AddStringToObject(o, "role", u->admin ? "admin" : "user");
        cJSON_AddStringToObject(o, "auth", a->auth_token ? "token" : "none");
        cJSON_AddBoolToObject(o, "quotas_apply", !u->admin);
        add_quotas(o, a->cfg);
        cJSON *us = cJSON_AddObjectToObject(o, "usage");
        if (us) {
            cJSON_AddNumberToObject(us, "models", (double)row.models);
            cJSON_AddNumberToObject(us, "samples", (double)row.samples);
            json_add_number(us, "train_seconds_today", today);
        }
    }
    reply_json(resp, 200, o);
}

/* ---- /metrics: per user ------------------------------------------------ */

typedef struct counts_ctx {
    const st_user *users;
    size_t n;
    sbuf *b;
    int limited; /* 0: requests, 1: refusals */
} counts_ctx;

static void write_count(void *ctx, const char *key, uint64_t requests, uint64_t limited)
{
    counts_ctx *c = ctx;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->users[i].id, key) == 0)
            sbuf_printf(c->b, "%s{user=\"%s\"} %llu\n",
                        c->limited ? "mlpd_user_rate_limited_total" : "mlpd_user_requests_total",
                        c->users[i].name,
                        (unsigned long long)(c->limited ? limited : requests));
}

void metrics_users_write(app *a, sbuf *b)
{
    st_user *us = NULL;
    size_t n = 0;
    if (storage_users_list(a->st, &us, &n) != ST_OK)
        return;
    static const struct {
        const char *name, *help, *type;
    } series[] = {
        {"mlpd_user_models", "Models a user owns.", "gauge"},
        {"mlpd_user_samples", "Samples in a user's models and datasets (the quota's count).", "gauge"},
        {"mlpd_user_train_seconds_total", "Seconds a user's jobs trained (all days).", "counter"},
    };
    for (size_t k = 0; k < 3; k++) {
        sbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", series[k].name, series[k].help,
                    series[k].name, series[k].type);
        for (size_t i = 0; i < n; i++) {
            sbuf_printf(b, "%s{user=\"%s\"} ", series[k].name, us[i].name);
            if (k == 0)
                sbuf_printf(b, "%lld\n", (long long)us[i].models);
            else if (k == 1)
                sbuf_printf(b, "%lld\n", (long long)us[i].samples);
            else
                sbuf_printf(b, "%.3f\n", us[i].train_seconds);
        }
    }
    counts_ctx c = {us, n, b, 0};
    sbuf_puts(b, "# HELP mlpd_user_requests_total Requests with a user's valid token.\n"
                 "# TYPE mlpd_user_requests_total counter\n");
    ratelimit_foreach(a->user_rl, write_count, &c);
    c.limited = 1;
    sbuf_puts(b, "# HELP mlpd_user_rate_limited_total A user's requests refused with 429.\n"
                 "# TYPE mlpd_user_rate_limited_total counter\n");
    ratelimit_foreach(a->user_rl, write_count, &c);
    free(us);
    sbuf_printf(b, "# HELP mlpd_anonymous_requests_total Requests without a valid token "
                   "counted against an address (public predict, bad tokens).\n"
                   "# TYPE mlpd_anonymous_requests_total counter\n"
                   "mlpd_anonymous_requests_total %llu\n"
                   "# HELP mlpd_anonymous_rate_limited_total Those refused with 429.\n"
                   "# TYPE mlpd_anonymous_rate_limited_total counter\n"
                   "mlpd_anonymous_rate_limited_total %llu\n"
                   "# HELP mlpd_auth_failures_total Requests with a malformed, unknown or "
                   "wrong token.\n# TYPE mlpd_auth_failures_total counter\n"
                   "mlpd_auth_failures_total %llu\n",
                (unsigned long long)atomic_load(&a->anon_requests),
                (unsigned long long)atomic_load(&a->anon_limited),
                (unsigned long long)atomic_load(&a->auth_failures));
}
