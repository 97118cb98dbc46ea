/*
 * storage_ops.c - a storage-heavy loop through storage.h only, for
 * measuring what the storage layer costs (make bench-storage runs it under
 * callgrind and prints the instruction count).
 *
 * storage_ops DB_PATH [ROUNDS]: per round one model with 40 sample posts
 * (10 rows each, every 4th with an Idempotency-Key and its replay), 20
 * weights versions written and read, a job that claims, reports 20
 * batches of 10 epochs (with weights every 5th) and ends, then the reads
 * an API would make (model, list, samples pages, versions, history, job
 * epochs, a user by token). Exits 1 on any status but the expected one.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/storage.h"

static int failures;

static void want(st_status got, st_status expect, const char *what)
{
    if (got != expect) {
        fprintf(stderr, "storage_ops: %s: %s (want %s)\n", what, st_status_name(got),
                st_status_name(expect));
        failures++;
    }
}

static void one_round(storage *s, int round)
{
    char id[17], job_id[17], key[32];
    snprintf(id, sizeof id, "%016x", round + 1);
    snprintf(job_id, sizeof job_id, "%016x", 0x100000 + round);
    unsigned char blob[256];
    for (size_t i = 0; i < sizeof blob; i++)
        blob[i] = (unsigned char)(i * 7 + (size_t)round);
    st_model_new m = {.id = id, .name = "bench", .spec_json = "{\"inputs\":3}",
                      .blob = blob, .blob_len = sizeof blob};
    want(storage_model_create(s, &m), ST_OK, "create");
    double x[30], y[10];
    for (int i = 0; i < 30; i++)
        x[i] = i * 0.5;
    for (int i = 0; i < 10; i++)
        y[i] = i;
    for (int k = 0; k < 40; k++) {
        snprintf(key, sizeof key, "key-%d", k);
        st_samples_new req = {.id = id, .n = 10, .n_in = 3, .n_out = 1, .x = x, .y = y,
                              .key = k % 4 == 0 ? key : NULL, .hash = "h"};
        st_samples_added res;
        want(storage_samples_add(s, &req, &res), ST_OK, "samples");
        if (req.key)
            want(storage_samples_add(s, &req, &res), ST_OK, "replay");
    }
    for (int v = 0; v < 20; v++) {
        int64_t got = 0;
        want(storage_weights_put(s, id, "put", blob, sizeof blob, 0.5, &got), ST_OK, "put");
        unsigned char *b = NULL;
        size_t len = 0;
        want(storage_weights_get(s, id, 0, &b, &len, &got), ST_OK, "get");
        free(b);
    }
    st_job j;
    memset(&j, 0, sizeof j);
    snprintf(j.id, sizeof j.id, "%s", job_id);
    snprintf(j.model_id, sizeof j.model_id, "%s", id);
    snprintf(j.status, sizeof j.status, "queued");
    snprintf(j.owner, sizeof j.owner, "local");
    j.params_json = "{}";
    j.epochs = 200;
    j.loss = j.val_loss = NAN;
    want(storage_job_create(s, &j), ST_OK, "job");
    st_job run;
    want(storage_job_claim(s, 1.0, &run), ST_OK, "claim");
    for (int b = 0; b < 20; b++) {
        st_epoch e[10];
        for (int i = 0; i < 10; i++)
            e[i] = (st_epoch){.epoch = b * 10 + i + 1, .loss = 1.0 / (b + 1), .val_loss = NAN,
                              .time = 2.0};
        st_publish pub = {.source = "checkpoint", .blob = blob, .blob_len = sizeof blob,
                          .loss = 0.25};
        run.epoch = b * 10 + 10;
        int64_t v = 0;
        want(storage_job_progress(s, &run, e, 10, b % 5 == 4 ? &pub : NULL, &v), ST_OK,
             "progress");
        st_epoch *got = NULL;
        size_t n = 0;
        want(storage_job_epochs(s, job_id, b * 10, 100, &got, &n), ST_OK, "epochs");
        free(got);
    }
    snprintf(run.status, sizeof run.status, "succeeded");
    snprintf(run.stop_reason, sizeof run.stop_reason, "epochs");
    run.finished_at = 3.0;
    want(storage_job_update(s, &run), ST_OK, "finish");
    st_job_clear(&run);
    for (int r = 0; r < 20; r++) {
        st_model got;
        want(storage_model_get(s, id, &got), ST_OK, "model_get");
        st_model_clear(&got);
        char owner[17];
        int pub = 0;
        want(storage_model_access(s, id, owner, &pub), ST_OK, "access");
        double *sx = NULL, *sy = NULL;
        size_t n = 0;
        want(storage_samples_read(s, id, (size_t)r * 10, 50, 3, 1, &sx, &sy, &n), ST_OK,
             "samples_read");
        free(sx);
        free(sy);
    }
    st_model *ms = NULL;
    size_t nm = 0;
    want(storage_model_list(s, NULL, &ms, &nm), ST_OK, "list");
    st_models_free(ms, nm);
    st_version *vs = NULL;
    size_t nv = 0;
    want(storage_versions_list(s, id, &vs, &nv), ST_OK, "versions");
    free(vs);
    st_history_row *hs = NULL;
    size_t nh = 0;
    want(storage_history_list(s, id, &hs, &nh), ST_OK, "history");
    free(hs);
    st_job *js = NULL;
    size_t nj = 0;
    want(storage_jobs_list(s, id, &js, &nj), ST_OK, "jobs");
    st_jobs_free(js, nj);
    st_user u;
    want(storage_user_by_name(s, "local", &u), ST_OK, "user");
    int64_t models = 0, samples = 0, jobs = 0;
    want(storage_count(s, &models, &samples, &jobs), ST_OK, "count");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: storage_ops DB_PATH [ROUNDS]\n");
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 10;
    unlink(argv[1]);
    storage *s = NULL;
    char err[256];
    if (storage_open(argv[1], &s, err, sizeof err) != ST_OK) {
        fprintf(stderr, "storage_ops: %s\n", err);
        return 1;
    }
    for (int r = 0; r < rounds; r++)
        one_round(s, r);
    storage_close(s);
    printf("storage_ops: %d rounds, %d failures\n", rounds, failures);
    return failures ? 1 : 0;
}
