/*
 * test_storage_jobs.c - the storage module's jobs and history on a real
 * database (the fixture of util_storefix.h): one active job per model,
 * history in order, in chunks, migrated from rows and damaged, what
 * survives a reopen, and four threads writing and reading at once.
 */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "storage/storage.h"
#include "storage/sqlite/sqlite_internal.h"
#include "util_storefix.h"

/* ---- jobs and history ------------------------------------------------- */

START_TEST(jobs_conflict_update_get_list)
{
    fixture_up();
    storage *s = open_ok();
    const char *id = "00000000000000ee";
    create_model(s, id, "j");
    st_job j1, j2, got;
    new_job(&j1, "000000000000j001", id);
    new_job(&j2, "000000000000j002", id);
    ck_assert_int_eq(storage_job_create(s, &j1), ST_OK);
    ck_assert_int_eq(storage_job_create(s, &j2), ST_CONFLICT); /* j1 is queued */
    ck_assert_int_eq(storage_job_get(s, j2.id, &got), ST_NOT_FOUND);
    st_job orphan;
    new_job(&orphan, "000000000000j009", "ffffffffffffffff");
    ck_assert_int_eq(storage_job_create(s, &orphan), ST_NOT_FOUND);

    ck_assert_int_eq(storage_job_get(s, j1.id, &got), ST_OK);
    ck_assert_str_eq(got.status, "queued");
    ck_assert_str_eq(got.model_id, id);
    ck_assert_str_eq(got.params_json, "{\"epochs\":10}");
    ck_assert_ptr_null(got.error);
    ck_assert_int_eq(got.epochs, 10);
    ck_assert(isnan(got.loss) && isnan(got.val_loss));
    ck_assert(got.created_at > 1e9 && got.started_at == 0 && got.finished_at == 0);
    st_job_clear(&got);

    snprintf(j1.status, sizeof j1.status, "running");
    j1.started_at = 1.7e9;
    ck_assert_int_eq(storage_job_update(s, &j1), ST_OK);
    ck_assert_int_eq(storage_job_create(s, &j2), ST_CONFLICT); /* j1 is running */

    snprintf(j1.status, sizeof j1.status, "failed");
    j1.epoch = 7;
    j1.loss = 0.125;
    j1.error = "diverged at epoch 7";
    j1.version = 3;
    j1.finished_at = 1.7e9 + 2;
    ck_assert_int_eq(storage_job_update(s, &j1), ST_OK);
    ck_assert_int_eq(storage_job_get(s, j1.id, &got), ST_OK);
    ck_assert_str_eq(got.status, "failed");
    ck_assert_str_eq(got.error, "diverged at epoch 7");
    ck_assert_int_eq(got.epoch, 7);
    ck_assert_int_eq(got.version, 3);
    ck_assert(got.loss == 0.125 && isnan(got.val_loss));
    ck_assert(got.started_at == 1.7e9 && got.finished_at == 1.7e9 + 2);
    st_job_clear(&got);

    ck_assert_int_eq(storage_job_create(s, &j2), ST_OK); /* j1 has ended */
    snprintf(j2.status, sizeof j2.status, "nonsense");
    ck_assert_int_eq(storage_job_update(s, &j2), ST_ERROR);
    new_job(&orphan, "000000000000j009", id);
    ck_assert_int_eq(storage_job_update(s, &orphan), ST_NOT_FOUND);

    st_job *js = NULL;
    size_t n = 0;
    ck_assert_int_eq(storage_jobs_list(s, id, &js, &n), ST_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(js[0].id, j1.id);
    ck_assert_str_eq(js[1].id, j2.id);
    ck_assert_str_eq(js[1].status, "queued");
    st_jobs_free(js, n);
    ck_assert_int_eq(storage_jobs_list(s, NULL, &js, &n), ST_OK);
    ck_assert_uint_eq(n, 2);
    st_jobs_free(js, n);
    ck_assert_int_eq(storage_jobs_list(s, "ffffffffffffffff", &js, &n), ST_NOT_FOUND);
    storage_close(s);
    fixture_down();
}
END_TEST

START_TEST(history_append_list_order)
{
    fixture_up();
    storage *s = open_ok();
    const char *id = "00000000000000ff";
    create_model(s, id, "h");
    st_job j1, j2;
    new_job(&j1, "000000000000h001", id);
    new_job(&j2, "000000000000h002", id);
    ck_assert_int_eq(storage_job_create(s, &j1), ST_OK);
    snprintf(j1.status, sizeof j1.status, "succeeded");
    ck_assert_int_eq(storage_job_update(s, &j1), ST_OK);
    ck_assert_int_eq(storage_job_create(s, &j2), ST_OK);

    st_epoch first[3] = {
        {.epoch = 1, .loss = 0.9, .val_loss = 1.0, .time = 100},
        {.epoch = 2, .loss = 0.5, .val_loss = NAN, .time = 101},
        {.epoch = 3, .loss = 0.25, .val_loss = 0.3, .time = 102},
    };
    st_epoch second[2] = {
        {.epoch = 1, .loss = 0.2, .val_loss = NAN, .time = 200},
        {.epoch = 2, .loss = 0.1, .val_loss = NAN, .time = 201},
    };
    ck_assert_int_eq(storage_history_append(s, id, j1.id, first, 3), ST_OK);
    ck_assert_int_eq(storage_history_append(s, id, j2.id, second, 2), ST_OK);
    /* an unknown job: nothing of the batch is kept */
    ck_assert_int_eq(storage_history_append(s, id, "000000000000zzzz", second, 2), ST_NOT_FOUND);
    ck_assert_int_eq(storage_history_append(s, "ffffffffffffffff", j1.id, second, 2),
                     ST_NOT_FOUND);

    st_history_row *rows = NULL;
    size_t n = 0;
    ck_assert_int_eq(storage_history_list(s, id, &rows, &n), ST_OK);
    ck_assert_uint_eq(n, 5);
    for (size_t i = 0; i < 5; i++) {
        const st_epoch *want = i < 3 ? &first[i] : &second[i - 3];
        ck_assert_str_eq(rows[i].job_id, i < 3 ? j1.id : j2.id);
        ck_assert_int_eq(rows[i].e.epoch, want->epoch);
        ck_assert(rows[i].e.loss == want->loss);
        ck_assert(rows[i].e.time == want->time);
        if (isnan(want->val_loss))
            ck_assert(isnan(rows[i].e.val_loss));
        else
            ck_assert(rows[i].e.val_loss == want->val_loss);
    }
    free(rows);
    ck_assert_int_eq(storage_history_list(s, "ffffffffffffffff", &rows, &n), ST_NOT_FOUND);
    storage_close(s);
    fixture_down();
}
END_TEST

/* A job with n epochs 1..n of loss 1/epoch stored in one append. */
static void job_with_epochs(storage *s, const char *model_id, const char *job_id, size_t n)
{
    st_job j;
    new_job(&j, job_id, model_id);
    ck_assert_int_eq(storage_job_create(s, &j), ST_OK);
    st_epoch *es = calloc(n, sizeof *es);
    ck_assert_ptr_nonnull(es);
    for (size_t i = 0; i < n; i++)
        es[i] = (st_epoch){(int64_t)i + 1, 1.0 / (double)(i + 1), NAN, 1000.0 + (double)i};
    ck_assert_int_eq(storage_history_append(s, model_id, job_id, es, n), ST_OK);
    free(es);
}

START_TEST(history_chunks_split_and_stream)
{
    fixture_up();
    storage *s = open_ok();
    const char *id = "00000000000000c1";
    create_model(s, id, "chunks");
    job_with_epochs(s, id, "000000000000c001", 5000); /* past one row's 4096 */
    st_epoch more = {5001, 0.5, 0.25, 2000};
    ck_assert_int_eq(storage_history_append(s, id, "000000000000c001", &more, 1), ST_OK);

    sqlite3 *db = raw_open();
    ck_assert_int_eq(raw_int(db, "SELECT count(*) FROM history_chunks WHERE model_id = ?1", id),
                     3);
    sqlite3_close(db);
    st_history_row *rows = NULL;
    size_t n = 0;
    ck_assert_int_eq(storage_history_list(s, id, &rows, &n), ST_OK);
    ck_assert_uint_eq(n, 5001);
    for (size_t i = 0; i < 5000; i++) {
        ck_assert_int_eq(rows[i].e.epoch, (int64_t)i + 1);
        ck_assert(rows[i].e.loss == 1.0 / (double)(i + 1));
        ck_assert(isnan(rows[i].e.val_loss));
        ck_assert(rows[i].e.time == 1000.0 + (double)i);
    }
    ck_assert(rows[5000].e.val_loss == 0.25);
    free(rows);

    /* an event stream's reads cross the chunk boundary and stop at limit */
    st_epoch *es = NULL;
    ck_assert_int_eq(storage_job_epochs(s, "000000000000c001", 4090, 10, &es, &n), ST_OK);
    ck_assert_uint_eq(n, 10);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(es[i].epoch, 4091 + (int64_t)i);
    free(es);
    ck_assert_int_eq(storage_job_epochs(s, "000000000000c001", 4999, 100, &es, &n), ST_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(es[1].epoch, 5001);
    ck_assert(es[1].loss == 0.5);
    free(es);
    ck_assert_int_eq(storage_job_epochs(s, "000000000000c001", 5001, 100, &es, &n), ST_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(es);
    storage_close(s);
    fixture_down();
}
END_TEST

START_TEST(history_rows_migrate_to_chunks)
{
    fixture_up();
    storage *s = open_ok();
    const char *id = "00000000000000c2";
    create_model(s, id, "old");
    st_job j;
    new_job(&j, "000000000000c002", id);
    ck_assert_int_eq(storage_job_create(s, &j), ST_OK);
    storage_close(s);

    /* put the database back to schema 4: history one row per epoch, and
     * none of the tables later migrations add (0006: exercises, 0007: job
     * warnings and history extras) */
    sqlite3 *db = raw_open();
    /* 0009: leases */
    ck_assert_int_eq(sqlite3_exec(db, "DROP TABLE IF EXISTS job_checkpoints;"
                                      "DROP TABLE IF EXISTS job_leases;", NULL, NULL, NULL),
                     SQLITE_OK);
    /* 0008: datasets and their scores */
    ck_assert_int_eq(sqlite3_exec(db, "DROP TABLE IF EXISTS dataset_scores;"
                                      "DROP TABLE IF EXISTS datasets;", NULL, NULL, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db,
        "DROP TABLE history_chunks;"
        "DROP TABLE IF EXISTS exercise_attempts; DROP TABLE IF EXISTS exercises;"
        "DROP TABLE IF EXISTS history_extra; DROP TABLE IF EXISTS job_warnings;"
        "CREATE TABLE history (model_id TEXT NOT NULL REFERENCES models (id) ON DELETE CASCADE,"
        " job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE, epoch INTEGER NOT NULL,"
        " loss REAL, val_loss REAL, time REAL NOT NULL);"
        "INSERT INTO history VALUES ('00000000000000c2', '000000000000c002', 1, 0.75, NULL, 10.5),"
        " ('00000000000000c2', '000000000000c002', 2, NULL, 0.5, 11.5);"
        "PRAGMA user_version = 4;", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    s = open_ok();
    st_history_row *rows = NULL;
    size_t n = 0;
    ck_assert_int_eq(storage_history_list(s, id, &rows, &n), ST_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(rows[0].job_id, j.id);
    ck_assert_int_eq(rows[0].e.epoch, 1);
    ck_assert(rows[0].e.loss == 0.75 && isnan(rows[0].e.val_loss) && rows[0].e.time == 10.5);
    ck_assert_int_eq(rows[1].e.epoch, 2);
    ck_assert(isnan(rows[1].e.loss) && rows[1].e.val_loss == 0.5 && rows[1].e.time == 11.5);
    free(rows);
    storage_close(s);
    db = raw_open();
    ck_assert_int_eq(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'history'",
                             NULL), 0);
    ck_assert_int_eq(raw_int(db, "PRAGMA user_version", NULL), (int64_t)st_migrations_count);
    sqlite3_close(db);
    fixture_down();
}
END_TEST

START_TEST(damaged_chunk_is_corrupt)
{
    fixture_up();
    storage *s = open_ok();
    const char *id = "00000000000000c3";
    create_model(s, id, "damaged");
    job_with_epochs(s, id, "000000000000c003", 3);
    sqlite3 *db = raw_open();
    /* a count that disagrees with the blob (past the CHECK, as damage is) */
    ck_assert_int_eq(sqlite3_exec(db, "PRAGMA ignore_check_constraints = ON;"
                                      "UPDATE history_chunks SET n = 4", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    st_history_row *rows = NULL;
    size_t n = 0;
    ck_assert_int_eq(storage_history_list(s, id, &rows, &n), ST_CORRUPT);
    ck_assert_ptr_null(rows);
    st_epoch *es = NULL;
    ck_assert_int_eq(storage_job_epochs(s, "000000000000c003", 0, 10, &es, &n), ST_CORRUPT);
    ck_assert_ptr_null(es);
    storage_close(s);
    fixture_down();
}
END_TEST

/* ---- durability and threads ------------------------------------------- */

START_TEST(data_survives_reopen)
{
    fixture_up();
    storage *s = open_ok();
    const char *id = "0000000000000abc";
    create_model(s, id, "durable");
    add_batch(s, id, 0, 5, 5);
    int64_t v = 0;
    ck_assert_int_eq(storage_weights_put(s, id, "train", blob3, sizeof blob3, 0.5, &v), ST_OK);
    st_job j;
    new_job(&j, "0000000000000j01", id);
    ck_assert_int_eq(storage_job_create(s, &j), ST_OK);
    st_epoch e = {.epoch = 1, .loss = 0.5, .val_loss = NAN, .time = 3};
    ck_assert_int_eq(storage_history_append(s, id, j.id, &e, 1), ST_OK);
    storage_close(s);

    s = open_ok();
    st_model m;
    ck_assert_int_eq(storage_model_get(s, id, &m), ST_OK);
    ck_assert_str_eq(m.name, "durable");
    ck_assert_int_eq(m.samples, 5);
    ck_assert_int_eq(m.version, 2);
    ck_assert(m.last_loss == 0.5);
    st_model_clear(&m);
    assert_weights(s, id, 0, blob3, sizeof blob3, 2);
    double *x = NULL, *y = NULL;
    size_t n = 0;
    ck_assert_int_eq(storage_samples_read(s, id, 2, 0, 2, 1, &x, &y, &n), ST_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert(x[0] == 20 && y[2] == 4.5);
    free(x);
    free(y);
    st_job got;
    ck_assert_int_eq(storage_job_get(s, j.id, &got), ST_OK);
    st_job_clear(&got);
    st_history_row *rows = NULL;
    ck_assert_int_eq(storage_history_list(s, id, &rows, &n), ST_OK);
    ck_assert_uint_eq(n, 1);
    free(rows);
    storage_close(s);
    fixture_down();
}
END_TEST

#define THREADS 4
#define ROUNDS 25

typedef struct worker {
    storage *s;
    const char *shared;
    char own[17];
    int failures;
    st_status first_failure;
} worker;

static void note(worker *w, st_status rc)
{
    if (rc != ST_OK && w->failures++ == 0)
        w->first_failure = rc;
}

static void *work(void *arg)
{
    worker *w = arg;
    note(w, t_model_create(w->s, w->own, "mine", "{}", blob1, sizeof blob1));
    double x[4] = {1, 2, 3, 4}, y[2] = {5, 6};
    for (int r = 0; r < ROUNDS; r++) {
        int64_t total = 0, v = 0;
        note(w, t_samples_add(w->s, w->shared, 2, 2, 1, x, y, 0, &total));
        note(w, storage_weights_put(w->s, w->own, "step", blob2, sizeof blob2, 0.1 * r, &v));
        double *rx = NULL, *ry = NULL;
        size_t n = 0;
        note(w, storage_samples_read(w->s, w->shared, 0, 0, 2, 1, &rx, &ry, &n));
        if (n % 2)
            note(w, ST_ERROR); /* batches are never seen half-written */
        free(rx);
        free(ry);
        st_model *ms = NULL;
        note(w, storage_model_list(w->s, NULL, &ms, &n));
        st_models_free(ms, n);
    }
    return NULL;
}

START_TEST(four_threads_write_and_read)
{
    fixture_up();
    storage *s = open_ok();
    const char *shared = "5555555555555555";
    create_model(s, shared, "shared");
    pthread_t t[THREADS];
    worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].s = s;
        w[i].shared = shared;
        ck_assert_int_eq(storage_new_id(w[i].own), 0);
        ck_assert_int_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++)
        ck_assert_msg(w[i].failures == 0, "thread %d: %d failures, first %s", i, w[i].failures,
                      st_status_name(w[i].first_failure));
    st_model m;
    ck_assert_int_eq(storage_model_get(s, shared, &m), ST_OK);
    ck_assert_int_eq(m.samples, THREADS * ROUNDS * 2);
    st_model_clear(&m);
    ck_assert_int_eq(storage_model_get(s, w[0].own, &m), ST_OK);
    ck_assert_int_eq(m.version, ROUNDS + 1);
    st_model_clear(&m);
    storage_close(s);
    fixture_down();
}
END_TEST

/* The tests that touch the database only through storage.h, on
 * PostgreSQL (the others read or damage the SQLite file directly). */
static int run_pg(void)
{
    Suite *s = suite_create("storage_jobs_pg");
    TCase *tc = tcase_create("storage_jobs_pg");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, base_up, base_down);
    tcase_add_test(tc, jobs_conflict_update_get_list);
    tcase_add_test(tc, history_append_list_order);
    tcase_add_test(tc, data_survives_reopen);
    tcase_add_test(tc, four_threads_write_and_read);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

int main(void)
{
    pg_conninfo = getenv("MLPD_TEST_PG");
    if (pg_conninfo && !*pg_conninfo)
        pg_conninfo = NULL;
    if (pg_conninfo)
        return run_pg();
    Suite *s = suite_create("storage_jobs");
    TCase *tc = tcase_create("storage_jobs");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, base_up, base_down);
    tcase_add_test(tc, jobs_conflict_update_get_list);
    tcase_add_test(tc, history_append_list_order);
    tcase_add_test(tc, history_chunks_split_and_stream);
    tcase_add_test(tc, history_rows_migrate_to_chunks);
    tcase_add_test(tc, damaged_chunk_is_corrupt);
    tcase_add_test(tc, data_survives_reopen);
    tcase_add_test(tc, four_threads_write_and_read);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
