/*
 * claims.c - how fast nodes can claim queued jobs from one PostgreSQL
 * queue, and that no job is claimed twice (`make bench-scale`, the claim
 * part). MLPD_TEST_PG names an empty database.
 *
 *   claims [THREADS [JOBS]]
 *
 * Fills a jobs table (schema/pg's, migrated) with JOBS queued jobs, then
 * THREADS threads (each its own connection, as nodes would) claim until
 * the queue is empty, each claim one transaction, in two ways:
 *   skip-locked  UPDATE ... WHERE id = (SELECT id ... ORDER BY created_at
 *                LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id, at READ
 *                COMMITTED (the lease design's claim);
 *   fair-pick    the backend's own pick today: the statement table's
 *                Q_JOB_NEXT (fewest running jobs per owner, then the
 *                oldest, FOR UPDATE SKIP LOCKED) and Q_JOB_CLAIM in one
 *                SERIALIZABLE transaction, retried by pg_tx.
 * Prints claims per second, retries, and the number of jobs claimed
 * twice or never (both must be 0).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "storage/pg/pg_internal.h"

static const char *conninfo;
static int n_jobs;
static unsigned char *claimed; /* per job: times claimed */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pg_pool pool;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void exec_or_die(PGconn *pc, const char *sql)
{
    PGresult *r = PQexec(pc, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "claims: %s: %s", sql, PQerrorMessage(pc));
        exit(1);
    }
    PQclear(r);
}

static void count_claim(const char *id)
{
    int k = atoi(id + 1); /* ids are "jNNNNNN" */
    if (k < 0 || k >= n_jobs)
        return;
    pthread_mutex_lock(&mu);
    if (claimed[k] < 255)
        claimed[k]++;
    pthread_mutex_unlock(&mu);
}

static void *skip_locked_thread(void *arg)
{
    (void)arg;
    PGconn *pc = PQconnectdb(conninfo);
    if (PQstatus(pc) != CONNECTION_OK) {
        fprintf(stderr, "claims: %s", PQerrorMessage(pc));
        exit(1);
    }
    PGresult *pr = PQprepare(pc, "claim",
                             "UPDATE jobs SET status = 'running', started_at = $1 WHERE id = "
                             "(SELECT id FROM jobs WHERE status = 'queued' ORDER BY created_at "
                             "LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id",
                             1, (Oid[]){701});
    PQclear(pr);
    for (;;) {
        char t[32];
        snprintf(t, sizeof t, "%.6f", (double)time(NULL));
        const char *v[1] = {t};
        PGresult *r = PQexecPrepared(pc, "claim", 1, v, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            fprintf(stderr, "claims: %s", PQerrorMessage(pc));
            exit(1);
        }
        int got = PQntuples(r);
        if (got)
            count_claim(PQgetvalue(r, 0, 0));
        PQclear(r);
        if (!got)
            break;
    }
    PQfinish(pc);
    return NULL;
}

typedef struct fair_arg {
    char id[32];
    int found;
} fair_arg;

static st_status fair_body(pg_pool *p, pg_conn *c, void *argp)
{
    fair_arg *a = argp;
    a->found = 0;
    PGresult *r;
    st_status s = pg_run(p, c, Q_JOB_NEXT, NULL, 0, &r);
    if (s != ST_OK)
        return s;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return ST_OK;
    }
    snprintf(a->id, sizeof a->id, "%s", pg_text(r, 0, 0));
    PQclear(r);
    pg_val v[2] = {{.type = PGV_TEXT, .p = a->id}, {.type = PGV_REAL, .d = (double)time(NULL)}};
    r = NULL;
    s = pg_run(p, c, Q_JOB_CLAIM, v, 2, &r);
    if (s == ST_OK)
        a->found = strtol(PQcmdTuples(r), NULL, 10) == 1;
    PQclear(r);
    return s;
}

static void *fair_thread(void *arg)
{
    (void)arg;
    for (;;) {
        fair_arg a;
        st_status s = pg_tx(&pool, 1, fair_body, &a);
        if (s == ST_BUSY)
            continue; /* conflicted past the retries: try again */
        if (s != ST_OK) {
            fprintf(stderr, "claims: fair pick: %s\n", st_status_name(s));
            exit(1);
        }
        if (!a.found)
            break;
        count_claim(a.id);
    }
    return NULL;
}

static void fill(PGconn *pc)
{
    exec_or_die(pc, "DELETE FROM models WHERE id = 'bench'");
    exec_or_die(pc, "INSERT INTO models (id, name, spec_json, created_at, updated_at, owner) "
                    "VALUES ('bench', 'b', '{}', 0, 0, 'local')");
    /* jobs_one_active allows one active job per model: one model each */
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO models (id, name, spec_json, created_at, updated_at, owner) "
             "SELECT 'm' || k, 'b', '{}', 0, 0, 'u' || (k %% 7) FROM generate_series(0, %d) k "
             "ON CONFLICT DO NOTHING",
             n_jobs - 1);
    exec_or_die(pc, sql);
    exec_or_die(pc, "DELETE FROM jobs");
    snprintf(sql, sizeof sql,
             "INSERT INTO jobs (id, model_id, status, params_json, created_at, owner) "
             "SELECT 'j' || lpad(k::text, 6, '0'), 'm' || k, 'queued', '{}', k, 'u' || (k %% 7) "
             "FROM generate_series(0, %d) k",
             n_jobs - 1);
    exec_or_die(pc, sql);
    exec_or_die(pc, "ANALYZE jobs");
    memset(claimed, 0, (size_t)n_jobs);
}

static void report(const char *how, int threads, double secs, int64_t retries)
{
    int twice = 0, never = 0;
    for (int k = 0; k < n_jobs; k++) {
        twice += claimed[k] > 1;
        never += claimed[k] == 0;
    }
    printf("%-12s %2d threads: %6d claims in %.2f s = %7.0f claims/s, %lld retries, "
           "%d claimed twice, %d never\n",
           how, threads, n_jobs, secs, n_jobs / secs, (long long)retries, twice, never);
}

int main(int argc, char **argv)
{
    conninfo = getenv("MLPD_TEST_PG");
    int threads = argc > 1 ? atoi(argv[1]) : 6;
    n_jobs = argc > 2 ? atoi(argv[2]) : 5000;
    if (!conninfo || threads < 1 || threads > 64 || n_jobs < 1 || n_jobs > 999999) {
        fprintf(stderr, "usage: MLPD_TEST_PG=CONNINFO claims [THREADS [JOBS]]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    claimed = calloc((size_t)n_jobs, 1);
    char err[256] = "";
    if (pg_pool_open(&pool, conninfo, pg_sql, Q_N_STMTS, threads, err, sizeof err) != ST_OK) {
        fprintf(stderr, "claims: %s\n", err);
        return 1;
    }
    pg_conn *c;
    if (pg_conn_get(&pool, &c) != ST_OK || pg_migrate(c, err, sizeof err) != ST_OK) {
        fprintf(stderr, "claims: migrate: %s\n", err);
        return 1;
    }
    pthread_t th[64];
    int bad = 0;
    for (int way = 0; way < 2; way++) {
        fill(c->pc);
        int64_t r0 = pool.retries;
        double t0 = now_s();
        for (int k = 0; k < threads; k++)
            pthread_create(&th[k], NULL, way ? fair_thread : skip_locked_thread, NULL);
        for (int k = 0; k < threads; k++)
            pthread_join(th[k], NULL);
        report(way ? "fair-pick" : "skip-locked", threads, now_s() - t0, pool.retries - r0);
        for (int k = 0; k < n_jobs; k++)
            bad |= claimed[k] != 1;
    }
    exec_or_die(c->pc, "DELETE FROM models");
    pg_conn_put(&pool, c);
    pg_pool_close(&pool);
    free(claimed);
    return bad;
}
