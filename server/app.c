/*
 * app.c - the app's lifetime: the cache, metrics, rate limits and model
 * locks the handlers share, and the job workers, wired to tell the
 * API's parked streams about every job change.
 */
#include "app.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api/metrics.h"
#include "api/routes.h"
#include "domain/auth.h"
#include "domain/cache.h"
#include "domain/ratelimit.h"
#include "jobs/jobs.h"

/* --node-id, or HOST:PORT:PID: unique among the nodes of one database. */
static void name_node(app *a, const mlpd_config *cfg)
{
    char host[64] = "";
    if (cfg->node_id[0]) {
        snprintf(a->node_id, sizeof a->node_id, "%s", cfg->node_id);
        return;
    }
    if (gethostname(host, sizeof host - 1) != 0)
        snprintf(host, sizeof host, "?");
    host[sizeof host - 1] = '\0';
    snprintf(a->node_id, sizeof a->node_id, "%s:%ld:%ld", host, cfg->port, (long)getpid());
}

/* The workers stored epochs or a job started or ended: event streams and
 * waiting replies look again now instead of at their next tick. */
static void on_jobs_change(void *ctx, jobs_event ev)
{
    (void)ev;
    app_wake_streams(ctx);
}

/* Buckets: one per user (a class fits many times over) and one per
 * client address (see ratelimit.h for what happens when it is full). */
#define USER_BUCKETS 4096
#define IP_BUCKETS 8192

/* Another node changed a model (or, id NULL, anything may have changed):
 * its cached snapshot goes, the next request reads the database. */
static void on_model_changed(void *arg, const char *id)
{
    cache *c = arg;
    if (id)
        cache_remove(c, id);
    else
        cache_clear(c);
}

/* A node asked every node to stop a running job: ours, if one of our
 * workers runs it (jobs_cancel does nothing otherwise). */
static void on_cancel_spread(void *arg, const char *job_id)
{
    jobs_cancel(arg, job_id);
}

/* A job changed on some node (or, id NULL, anything may have): waiting
 * replies and event streams here look again now. */
static void on_job_changed(void *arg, const char *job_id)
{
    app *a = arg;
    (void)job_id;
    jobs_poke(a->jobs);
    app_wake_streams(a);
}

int app_init(app *a, const mlpd_config *cfg, storage *st)
{
    memset(a, 0, sizeof *a);
    if (pthread_mutex_init(&a->wake_mu, NULL) != 0)
        return -1;
    atomic_init(&a->streams, 0);
    atomic_init(&a->rl_share_due, 0);
    a->st = st;
    a->cfg = cfg;
    a->limits.max_inputs = (size_t)cfg->max_inputs;
    a->limits.max_layers = (size_t)cfg->max_layers;
    a->limits.max_units = (size_t)cfg->max_units;
    a->limits.max_params = (size_t)cfg->max_params;
    a->cache = cache_new((size_t)cfg->cache_mb << 20);
    a->metrics = metrics_new(n_routes);
    a->auth_token = strcmp(cfg->auth, "token") == 0;
    a->user_rl = ratelimit_new(USER_BUCKETS, (double)cfg->rate_limit, (double)cfg->rate_burst);
    a->ip_rl = ratelimit_new(IP_BUCKETS, (double)cfg->anon_rate_limit, (double)cfg->anon_burst);
    if (!a->cache || !a->metrics || !a->user_rl || !a->ip_rl || auth_init() != 0)
        goto fail;
    for (size_t i = 0; i < MODEL_LOCKS; i++)
        pthread_mutex_init(&a->model_locks[i], NULL);
    name_node(a, cfg);
    /* leases only where other nodes may take a job over */
    double lease = storage_shared(st) ? (double)cfg->lease_ms / 1000.0 : 0;
    /* a node frozen inside a transaction must not hold the job's row (and
     * the writers' lock) past the lease: half of it, 5 s at most */
    if (lease > 0)
        storage_set_idle_tx_limit(st, cfg->lease_ms / 2 < 5000 ? cfg->lease_ms / 2 : 5000);
    jobs_config jc = {cfg->workers, cfg->checkpoint_epochs, (double)cfg->checkpoint_seconds,
                      1.0, 0.2, cfg->worker_nice, lease,
                      lease > 0 ? (double)cfg->heartbeat_ms / 1000.0 : 0, 3, a->node_id};
    jobs_env env = {st, a->cache, a->model_locks, {cfg->max_epochs, cfg->max_train_seconds},
                    on_jobs_change, a};
    char err[160];
    a->jobs = jobs_start(&env, &jc, err, sizeof err);
    if (!a->jobs) {
        fprintf(stderr, "mlpd: %s\n", err);
        for (size_t i = 0; i < MODEL_LOCKS; i++)
            pthread_mutex_destroy(&a->model_locks[i]);
        goto fail;
    }
    /* After the workers exist (the cancel callback stops theirs). The
     * listener's first connect clears the cache: nothing cached before
     * it is kept. */
    storage_on_cancel(st, on_cancel_spread, a->jobs);
    storage_on_job_change(st, on_job_changed, a);
    storage_on_change(st, on_model_changed, a->cache);
    return 0;
fail:
    cache_free(a->cache);
    metrics_free(a->metrics);
    ratelimit_free(a->user_rl);
    ratelimit_free(a->ip_rl);
    pthread_mutex_destroy(&a->wake_mu);
    memset(a, 0, sizeof *a);
    return -1;
}

void app_free(app *a)
{
    if (!a->cache)
        return;
    storage_on_change(a->st, NULL, NULL); /* no more calls into the cache */
    jobs_free(a->jobs);
    cache_free(a->cache);
    metrics_free(a->metrics);
    ratelimit_free(a->user_rl);
    ratelimit_free(a->ip_rl);
    for (size_t i = 0; i < MODEL_LOCKS; i++)
        pthread_mutex_destroy(&a->model_locks[i]);
    pthread_mutex_destroy(&a->wake_mu);
    memset(a, 0, sizeof *a);
}

void app_stop_jobs(app *a)
{
    jobs_shutdown(a->jobs);
}
