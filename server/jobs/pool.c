/*
 * pool.c - training job workers: the pool, its queue in storage, waits.
 *
 * Design. The queue is the jobs table: a request inserts a "queued" row
 * (storage_job_create, 409 when the model has one) and calls jobs_wake.
 * A fixed pool of workers claims rows one at a time in one transaction
 * (storage_job_claim: the queued job whose owner has the fewest running
 * jobs, then the oldest), so restarts, fairness and "one job per model"
 * need no second copy of the queue in memory. A worker that finds nothing
 * sleeps on a condition variable (woken by jobs_wake, or after a second).
 *
 * A claimed job becomes a `run`: the worker's own clone of the model at
 * its current version (the base), a snapshot of the samples read once, a
 * cancel flag the core polls before every batch, and the live state that
 * GET /v1/jobs/{id} reads under the run's small mutex. The core calls
 * on_epoch after each epoch; it appends the epoch to an in-memory buffer
 * and only touches SQLite when a flush (about once a second) or a
 * checkpoint (every N epochs or S seconds) is due: then the buffered
 * history rows, the job row and (checkpoint) a new weights version go in
 * one transaction, and the version is published to the predict cache
 * under the model's write lock.
 *
 * Ends: every stop writes the remaining history and the final job row in
 * one transaction with the final weights ("train"). A divergence or error
 * publishes the base weights again ("restore") if checkpoints of the job
 * were published, so the model is as before the job. A cancel keeps the
 * published checkpoints and writes no more weights. Shutdown (jobs_shutdown)
 * stops every run, which publishes a checkpoint and is marked failed with
 * stop_reason "interrupted"; queued rows stay queued for the next start.
 * A ticker thread enforces max_seconds within long epochs.
 */
#include "jobs/jobs_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* A CLOCK_MONOTONIC deadline for pthread_cond_timedwait (the conditions
 * are created with that clock). */
static struct timespec abs_mono(double t)
{
    struct timespec ts;
    ts.tv_sec = (time_t)t;
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static int cond_init_mono(pthread_cond_t *cv)
{
    pthread_condattr_t at;
    if (pthread_condattr_init(&at) != 0)
        return -1;
    int rc = pthread_condattr_setclock(&at, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(cv, &at);
    pthread_condattr_destroy(&at);
    return rc == 0 ? 0 : -1;
}

/* ---- the run list ------------------------------------------------------ */

static run *find_run(jobs *j, const char *job_id)
{
    for (run *r = j->runs; r; r = r->next)
        if (strcmp(r->job.id, job_id) == 0)
            return r;
    return NULL;
}

/* Drop a reference taken under j->mu (the caller holds j->mu). */
static void run_unref_locked(run *r)
{
    if (--r->refs == 0)
        run_free(r);
}

/* ---- workers ----------------------------------------------------------- */

/* List the run (or put the job back in the queue when stopping). */
static int publish_start(jobs *j, run *r)
{
    pthread_mutex_lock(&j->mu);
    int stopping = j->stopping;
    if (!stopping) {
        r->refs = 1;
        r->next = j->runs;
        j->runs = r;
        j->state_seq++;
        pthread_cond_broadcast(&j->state_cv);
    }
    pthread_mutex_unlock(&j->mu);
    return stopping ? -1 : 0;
}

static void publish_end(jobs *j, run *r)
{
    pthread_mutex_lock(&j->mu);
    pthread_mutex_lock(&r->mu);
    r->live.ended = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    run **pp = &j->runs;
    while (*pp && *pp != r)
        pp = &(*pp)->next;
    if (*pp)
        *pp = r->next;
    j->state_seq++;
    pthread_cond_broadcast(&j->state_cv);
    run_unref_locked(r);
    pthread_mutex_unlock(&j->mu);
}

/* Claim and run one job: 1 if one ran, 0 if the queue was empty, -1 on a
 * storage error. */
static int work_once(jobs *j)
{
    st_job job;
    double now = clock_unix(), lease = j->cfg.lease_seconds;
    st_claim claim = {now, j->cfg.node_id ? j->cfg.node_id : "local", lease > 0 ? now + lease : 0,
                      j->cfg.max_attempts > 0 ? j->cfg.max_attempts : 3};
    st_status s = storage_job_claim(j->env.st, &claim, &job);
    if (s != ST_OK)
        return s == ST_NOT_FOUND ? 0 : -1;
    jobs_notify(j, JOBS_EVENT_STATE); /* its streams show "running" at once */
    run *r = run_new(j, &job);
    if (!r) {
        snprintf(job.status, sizeof job.status, "%s", job_status_name(JOB_FAILED));
        snprintf(job.stop_reason, sizeof job.stop_reason, "%s", stop_reason_name(STOP_ERROR));
        job.error = strdup("out of memory");
        job.finished_at = clock_unix();
        storage_job_update(j->env.st, &job);
        st_job_clear(&job);
        return 1;
    }
    if (publish_start(j, r) != 0) {
        /* stopping: run it next time; a job claimed again after its lease
         * passed keeps its attempt and checkpoint, its lease ends now
         * (another node takes it at once) */
        if (r->job.attempt > 1) {
            storage_job_renew(j->env.st, r->job.id, r->job.attempt, clock_unix());
            run_free(r);
            return 0;
        }
        snprintf(r->job.status, sizeof r->job.status, "%s", job_status_name(JOB_QUEUED));
        r->job.started_at = 0;
        storage_job_update(j->env.st, &r->job);
        run_free(r);
        return 0;
    }
    train_job(r);
    publish_end(j, r);
    jobs_notify(j, JOBS_EVENT_STATE); /* waiting replies and streams see the end at once */
    return 1;
}

static void *worker_main(void *arg)
{
    jobs *j = arg;
    /* Linux: a nice value set on a thread id applies to that thread only;
     * the HTTP threads keep the daemon's, so a woken request preempts
     * training. Relative to the daemon's own nice, capped at 19. */
    if (j->cfg.worker_nice > 0) {
        errno = 0;
        int base = getpriority(PRIO_PROCESS, 0);
        int nice = (errno ? 0 : base) + (int)j->cfg.worker_nice;
        if (setpriority(PRIO_PROCESS, (id_t)gettid(), nice > 19 ? 19 : nice) != 0)
            fprintf(stderr, "mlpd: cannot lower the priority of a job worker (%s)\n",
                    strerror(errno));
    }
    pthread_mutex_lock(&j->mu);
    while (!j->stopping) {
        uint64_t seq = j->queued_seq;
        pthread_mutex_unlock(&j->mu);
        int got = work_once(j);
        pthread_mutex_lock(&j->mu);
        if (got == 1)
            continue;
        /* Nothing queued (or storage busy): sleep until woken, or a second
         * (a safety net; jobs_wake is what normally wakes us). Under leases
         * no wake comes when another node's lease passes: look again at
         * least 4 times per lease, so a dead node's job is claimed again
         * within lease + a quarter. */
        double idle = got < 0 ? 0.5 : 1.0;
        if (j->cfg.lease_seconds > 0 && j->cfg.lease_seconds / 4 < idle)
            idle = j->cfg.lease_seconds / 4;
        struct timespec until = abs_mono(clock_mono() + idle);
        while (!j->stopping && j->queued_seq == seq)
            if (pthread_cond_timedwait(&j->work_cv, &j->mu, &until) == ETIMEDOUT)
                break;
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

/* Renew the leases of runs inside long epochs (each flush renews its
 * own); a run whose lease passed to another attempt stops. Called with
 * j->mu held; drops it around the database writes. */
static void renew_leases(jobs *j)
{
    enum { MAX_RENEW = 64 }; /* the rest on the next tick */
    run *due[MAX_RENEW];
    size_t n = 0;
    double now = clock_mono();
    for (run *r = j->runs; r && n < MAX_RENEW; r = r->next) {
        pthread_mutex_lock(&r->mu);
        int stale = now - r->last_renew >= j->cfg.heartbeat_seconds;
        pthread_mutex_unlock(&r->mu);
        if (stale) {
            r->refs++;
            due[n++] = r;
        }
    }
    if (n == 0)
        return;
    pthread_mutex_unlock(&j->mu);
    for (size_t i = 0; i < n; i++) {
        run *r = due[i]; /* id and attempt stay as claimed: no lock needed */
        st_status s = storage_job_renew(j->env.st, r->job.id, r->job.attempt,
                                        clock_unix() + j->cfg.lease_seconds);
        if (s == ST_OK) {
            pthread_mutex_lock(&r->mu);
            r->last_renew = clock_mono();
            pthread_mutex_unlock(&r->mu);
        } else if (s == ST_FENCED) {
            stop_run(r, WHY_LOST);
        }
    }
    pthread_mutex_lock(&j->mu);
    for (size_t i = 0; i < n; i++)
        run_unref_locked(due[i]);
}

/* Enforce max_seconds within long epochs (on_epoch does it between), and
 * keep the leases. */
static void *ticker_main(void *arg)
{
    jobs *j = arg;
    pthread_mutex_lock(&j->mu);
    while (!j->stopping) {
        double now = clock_mono();
        for (run *r = j->runs; r; r = r->next)
            if (r->deadline > 0 && now >= r->deadline)
                stop_run(r, WHY_TIMEOUT);
        if (j->cfg.lease_seconds > 0)
            renew_leases(j);
        struct timespec until = abs_mono(now + j->cfg.tick_seconds);
        pthread_cond_timedwait(&j->tick_cv, &j->mu, &until);
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

/* ---- the pool ----------------------------------------------------------- */

static int pool_sync_init(jobs *j)
{
    if (pthread_mutex_init(&j->mu, NULL) != 0)
        return -1;
    if (cond_init_mono(&j->work_cv) != 0)
        goto fail_mu;
    if (cond_init_mono(&j->state_cv) != 0)
        goto fail_work;
    if (cond_init_mono(&j->tick_cv) != 0)
        goto fail_state;
    return 0;
fail_state:
    pthread_cond_destroy(&j->state_cv);
fail_work:
    pthread_cond_destroy(&j->work_cv);
fail_mu:
    pthread_mutex_destroy(&j->mu);
    return -1;
}

jobs *jobs_start(const jobs_env *env, const jobs_config *cfg, char *err, size_t errlen)
{
    int64_t interrupted = 0;
    st_status s = storage_jobs_recover(env->st, clock_unix(), &interrupted);
    if (s != ST_OK) {
        snprintf(err, errlen, "cannot mark interrupted jobs: %s", st_status_name(s));
        return NULL;
    }
    if (interrupted > 0)
        fprintf(stderr, "mlpd: %lld job(s) were running when the daemon stopped; marked "
                "failed (interrupted)\n", (long long)interrupted);
    jobs *j = calloc(1, sizeof *j);
    size_t n = cfg->workers > 0 ? (size_t)cfg->workers : 1;
    if (!j || !(j->threads = calloc(n, sizeof *j->threads)) || pool_sync_init(j) != 0) {
        if (j)
            free(j->threads);
        free(j);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    j->env = *env;
    j->cfg = *cfg;
    if (j->cfg.flush_seconds <= 0)
        j->cfg.flush_seconds = 1.0;
    if (j->cfg.tick_seconds <= 0)
        j->cfg.tick_seconds = 0.2;
    if (j->cfg.lease_seconds > 0 && j->cfg.heartbeat_seconds <= 0)
        j->cfg.heartbeat_seconds = j->cfg.lease_seconds / 4;
    for (; j->n_threads < n; j->n_threads++)
        if (pthread_create(&j->threads[j->n_threads], NULL, worker_main, j) != 0)
            break;
    if (j->n_threads > 0 && pthread_create(&j->ticker, NULL, ticker_main, j) == 0)
        j->ticker_started = 1;
    if (!j->ticker_started) {
        snprintf(err, errlen, "cannot start the job worker threads");
        jobs_free(j);
        return NULL;
    }
    return j;
}

void jobs_shutdown(jobs *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->mu);
    if (j->stopped) {
        pthread_mutex_unlock(&j->mu);
        return;
    }
    j->stopping = 1;
    for (run *r = j->runs; r; r = r->next)
        stop_run(r, WHY_SHUTDOWN);
    pthread_cond_broadcast(&j->work_cv);
    pthread_cond_broadcast(&j->tick_cv);
    pthread_cond_broadcast(&j->state_cv);
    pthread_mutex_unlock(&j->mu);
    for (size_t i = 0; i < j->n_threads; i++)
        pthread_join(j->threads[i], NULL);
    if (j->ticker_started)
        pthread_join(j->ticker, NULL);
    pthread_mutex_lock(&j->mu);
    j->stopped = 1;
    pthread_cond_broadcast(&j->state_cv);
    pthread_mutex_unlock(&j->mu);
}

void jobs_free(jobs *j)
{
    if (!j)
        return;
    jobs_shutdown(j);
    pthread_cond_destroy(&j->work_cv);
    pthread_cond_destroy(&j->state_cv);
    pthread_cond_destroy(&j->tick_cv);
    pthread_mutex_destroy(&j->mu);
    free(j->threads);
    free(j);
}

void jobs_wake(jobs *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->mu);
    j->queued_seq++;
    pthread_cond_signal(&j->work_cv);
    pthread_mutex_unlock(&j->mu);
}

void jobs_poke(jobs *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->mu);
    j->state_seq++;
    pthread_cond_broadcast(&j->state_cv);
    pthread_mutex_unlock(&j->mu);
}

int jobs_cancel(jobs *j, const char *job_id)
{
    if (!j)
        return 0;
    pthread_mutex_lock(&j->mu);
    run *r = find_run(j, job_id);
    if (r)
        stop_run(r, WHY_CANCEL);
    pthread_mutex_unlock(&j->mu);
    return r != NULL;
}

void jobs_cancel_model(jobs *j, const char *model_id)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->mu);
    for (run *r = j->runs; r; r = r->next)
        if (strcmp(r->job.model_id, model_id) == 0)
            stop_run(r, WHY_GONE);
    pthread_mutex_unlock(&j->mu);
}

/* Copy the live state, with elapsed time and the estimate (r->mu held). */
static void live_copy(const run *r, job_live *out)
{
    *out = r->live;
    out->elapsed = clock_mono() - r->mono0;
    out->eta = NAN;
    if (out->epoch > 0 && out->epochs >= out->epoch) {
        double per = out->elapsed / (double)out->epoch;
        out->eta = per * (double)(out->epochs - out->epoch);
        double left = r->max_seconds - out->elapsed;
        if (r->max_seconds > 0 && out->eta > left)
            out->eta = left > 0 ? left : 0;
    }
}

size_t jobs_running(jobs *j)
{
    size_t n = 0;
    if (!j)
        return 0;
    pthread_mutex_lock(&j->mu);
    for (run *r = j->runs; r; r = r->next)
        n++;
    pthread_mutex_unlock(&j->mu);
    return n;
}

int jobs_live(jobs *j, const char *job_id, job_live *out)
{
    if (!j)
        return 0;
    pthread_mutex_lock(&j->mu);
    run *r = find_run(j, job_id);
    if (r) {
        pthread_mutex_lock(&r->mu);
        live_copy(r, out);
        pthread_mutex_unlock(&r->mu);
    }
    pthread_mutex_unlock(&j->mu);
    return r != NULL;
}

/* Has the job's stored row ended (or is it gone)? */
static int row_ended(storage *st, const char *job_id)
{
    st_job row;
    st_status s = storage_job_get(st, job_id, &row);
    int ended = s == ST_NOT_FOUND || (s == ST_OK && job_ended_name(row.status));
    st_job_clear(&row);
    return ended;
}

int jobs_wait_end(jobs *j, const char *job_id, double deadline)
{
    if (!j)
        return 0;
    int ended = 0;
    pthread_mutex_lock(&j->mu);
    for (;;) {
        uint64_t seq = j->state_seq;
        pthread_mutex_unlock(&j->mu);
        ended = row_ended(j->env.st, job_id); /* no lock held while reading */
        pthread_mutex_lock(&j->mu);
        if (ended || j->stopped || clock_mono() >= deadline)
            break;
        struct timespec until = abs_mono(deadline);
        while (j->state_seq == seq && !j->stopped)
            if (pthread_cond_timedwait(&j->state_cv, &j->mu, &until) == ETIMEDOUT)
                break;
    }
    pthread_mutex_unlock(&j->mu);
    return ended;
}

int jobs_wait_epoch(jobs *j, const char *job_id, int64_t since, double timeout,
                    job_live *out)
{
    if (!j)
        return 0;
    pthread_mutex_lock(&j->mu);
    run *r = find_run(j, job_id);
    if (!r) {
        pthread_mutex_unlock(&j->mu);
        return 0;
    }
    r->refs++;
    pthread_mutex_lock(&r->mu);
    pthread_mutex_unlock(&j->mu);
    struct timespec until;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now); /* r->cv uses the default clock */
    double t = (double)now.tv_sec + (double)now.tv_nsec / 1e9 + timeout;
    until.tv_sec = (time_t)t;
    until.tv_nsec = (long)((t - (double)until.tv_sec) * 1e9);
    r->waiters++;
    while (r->live.epoch <= since && !r->live.ended)
        if (pthread_cond_timedwait(&r->cv, &r->mu, &until) == ETIMEDOUT)
            break;
    r->waiters--;
    live_copy(r, out);
    pthread_mutex_unlock(&r->mu);
    pthread_mutex_lock(&j->mu);
    run_unref_locked(r);
    pthread_mutex_unlock(&j->mu);
    return 1;
}
