/*
 * quota_check.c - per-user limits on requests (see quota_check.h).
 */
#include "api/quota_check.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "domain/auth.h"
#include "domain/quota.h"
#include "domain/ratelimit.h"
#include "util/clock.h"
#include "api/reply.h"

static int exempt(const api_request *req)
{
    return !req->user || req->user->admin;
}

/* Retry-After in whole seconds, at least 1. */
static void retry_after(api_response *resp, double seconds)
{
    char v[24];
    double s = isfinite(seconds) ? ceil(seconds) : 3600;
    if (s < 1)
        s = 1;
    if (s > 86400)
        s = 86400;
    snprintf(v, sizeof v, "%.0f", s);
    api_response_header(resp, "Retry-After", v);
}

/* Several nodes on one database each keep their own buckets, with 1/N of
 * the rates and bursts (ratelimit_share): N is counted in the database
 * every SHARE_EVERY_MS by the one request that finds it due (on SQLite
 * without a query: 1). A failed count keeps the last share. */
#define SHARE_EVERY_MS 2000

static void share_rates(app *a)
{
    int_fast64_t now = (int_fast64_t)(clock_mono() * 1000);
    int_fast64_t due = atomic_load(&a->rl_share_due);
    if (now < due ||
        !atomic_compare_exchange_strong(&a->rl_share_due, &due, now + SHARE_EVERY_MS))
        return;
    int64_t n = 1;
    if (storage_nodes_live(a->st, &n) != ST_OK)
        return;
    unsigned nodes = n > 1024 ? 1024 : (unsigned)n;
    ratelimit_share(a->user_rl, nodes);
    ratelimit_share(a->ip_rl, nodes);
}

int quota_rate_or_reply(app *a, const api_request *req, api_response *resp)
{
    if (!req->user || !a->user_rl)
        return 0;
    share_rates(a);
    double wait = 0;
    int ok = ratelimit_take(a->user_rl, req->user->id, clock_mono(), &wait);
    if (ok || req->user->admin)
        return 0;
    reply_error(resp, API_ERR_RATE_LIMITED, NULL,
                "At most %ld requests a second (bursts of %ld) per user; retry in %.0f s.",
                a->cfg->rate_limit, a->cfg->rate_burst, ceil(wait));
    retry_after(resp, wait);
    return -1;
}

int quota_anon_rate_or_reply(app *a, const api_request *req, api_response *resp)
{
    if (!a->ip_rl)
        return 0;
    share_rates(a);
    double wait = 0;
    atomic_fetch_add(&a->anon_requests, 1);
    if (ratelimit_take(a->ip_rl, req->client_ip ? req->client_ip : "?", clock_mono(), &wait))
        return 0;
    atomic_fetch_add(&a->anon_limited, 1);
    reply_error(resp, API_ERR_RATE_LIMITED, NULL,
                "At most %ld requests a second (bursts of %ld) per address without a valid "
                "token; retry in %.0f s.",
                a->cfg->anon_rate_limit, a->cfg->anon_burst, ceil(wait));
    retry_after(resp, wait);
    return -1;
}

int64_t quota_models_cap(const app *a, const api_request *req)
{
    return exempt(req) ? 0 : a->cfg->quota_models;
}

int64_t quota_samples_cap(const app *a, const api_request *req)
{
    return exempt(req) ? 0 : a->cfg->quota_samples;
}

void quota_models_reply(const app *a, api_response *resp)
{
    reply_error(resp, API_ERR_QUOTA_EXCEEDED, NULL,
                "A user may have at most %ld models; delete one first.", a->cfg->quota_models);
}

void quota_samples_reply(const app *a, api_response *resp)
{
    reply_error(resp, API_ERR_QUOTA_EXCEEDED, NULL,
                "A user's models and datasets may hold at most %ld samples in all.", a->cfg->quota_samples);
}

int quota_jobs_or_reply(app *a, const api_request *req, api_response *resp,
                        int64_t running, int64_t queued)
{
    if (exempt(req))
        return 0;
    long max_run = a->cfg->quota_running_jobs, max_queue = a->cfg->quota_queued_jobs;
    /* a job is refused only when it could neither run nor wait */
    if (max_run <= 0 || running + queued < (int64_t)max_run + max_queue)
        return 0;
    reply_error(resp, API_ERR_QUOTA_EXCEEDED_LATER, NULL,
                "A user may have %ld running and %ld queued jobs; you have %lld running and "
                "%lld queued. Wait for one to end, or cancel one.",
                max_run, max_queue, (long long)running, (long long)queued);
    retry_after(resp, 5);
    return -1;
}

int quota_train_time_or_reply(app *a, const api_request *req, api_response *resp)
{
    if (exempt(req) || a->cfg->quota_train_seconds_day <= 0)
        return 0;
    double to_midnight = 0;
    double used = quota_used_today(a->st, req->user->id, &to_midnight);
    if (used < (double)a->cfg->quota_train_seconds_day)
        return 0;
    reply_error(resp, API_ERR_QUOTA_EXCEEDED_LATER, NULL,
                "A user may train %ld seconds a day (UTC); today's are used up.",
                a->cfg->quota_train_seconds_day);
    retry_after(resp, to_midnight);
    return -1;
}

double quota_train_seconds_left(app *a, const api_request *req)
{
    double per_job = (double)a->cfg->max_train_seconds;
    if (exempt(req) || a->cfg->quota_train_seconds_day <= 0)
        return per_job;
    double left = (double)a->cfg->quota_train_seconds_day - quota_used_today(a->st, req->user->id, NULL);
    if (left < 0)
        left = 0;
    return left < per_job ? left : per_job;
}

int quota_train_or_reply(app *a, const api_request *req, api_response *resp,
                         double *max_seconds)
{
    if (exempt(req))
        return 0;
    int64_t running = 0, queued = 0;
    st_status s = storage_jobs_active_owned(a->st, req->user->id, &running, &queued);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        return -1;
    }
    if (quota_jobs_or_reply(a, req, resp, running, queued) != 0 ||
        quota_train_time_or_reply(a, req, resp) != 0)
        return -1;
    double left = quota_train_seconds_left(a, req);
    if (*max_seconds <= 0 || *max_seconds > left)
        *max_seconds = left;
    return 0;
}

void quota_charge_caller(app *a, const api_request *req, double seconds)
{
    if (req->user)
        quota_charge_training(a->st, req->user->id, seconds);
}

const char *quota_owner_of(const api_request *req)
{
    return req->user ? req->user->id : "";
}
