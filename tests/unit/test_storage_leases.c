/*
 * test_storage_leases.c - jobs under a lease through storage.h (schema
 * 0009): a claim holds a job until its lease passes, then another node
 * claims it again (attempt + 1) on the same sample snapshot and start
 * time; every write of the old attempt is fenced off (nothing of it is
 * stored); the trainer's state goes with the history and is dropped when
 * the job ends; a job out of attempts fails "interrupted"; without a
 * lease (SQLite's claims) a running job is never taken over.
 * SQLite by default; PostgreSQL when MLPD_TEST_PG names a database
 * (make test-pg), whose public schema it empties.
 */
#include <check.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/storage.h"
#include "util_storage.h"

static const char *pg_conninfo;
static char db_path[512];

static void fixture_up(void)
{
    if (!pg_conninfo) {
        snprintf(db_path, sizeof db_path, "/tmp/mlpd-leases-%ld.db", (long)getpid());
        unlink(db_path);
        return;
    }
    PGconn *pc = PQconnectdb(pg_conninfo);
    ck_assert_msg(PQstatus(pc) == CONNECTION_OK, "%s", PQerrorMessage(pc));
    PGresult *r = PQexec(pc, "SET client_min_messages = warning; "
                             "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
    ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "%s", PQerrorMessage(pc));
    PQclear(r);
    PQfinish(pc);
    snprintf(db_path, sizeof db_path, "%s", pg_conninfo);
}

static void fixture_down(void)
{
    static const char *const suffix[] = {"", "-wal", "-shm"};
    char p[600];
    for (size_t i = 0; !pg_conninfo && i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", db_path, suffix[i]);
        unlink(p);
    }
}

static storage *open_db(void)
{
    storage *s = NULL;
    char err[256] = "";
    ck_assert_msg(storage_open(db_path, &s, err, sizeof err) == ST_OK, "%s", err);
    return s;
}

static const unsigned char blob[] = "weights";

/* Model m1 with n samples (2 inputs, 1 output) and job j1 queued on it. */
static void model_with_job(storage *s, size_t n)
{
    ck_assert_int_eq(t_model_create(s, "m1", "m", "{\"inputs\":2}", blob, sizeof blob), ST_OK);
    double x[2 * 8], y[8];
    for (size_t i = 0; i < 2 * n; i++)
        x[i] = (double)i;
    for (size_t i = 0; i < n; i++)
        y[i] = (double)i / 2;
    ck_assert_int_eq(t_samples_add(s, "m1", n, 2, 1, x, y, 0, NULL), ST_OK);
    st_job j;
    memset(&j, 0, sizeof j);
    strcpy(j.id, "j1");
    strcpy(j.model_id, "m1");
    strcpy(j.status, "queued");
    j.params_json = "{\"epochs\":10}";
    j.epochs = 10;
    j.loss = j.val_loss = NAN;
    j.created_at = 900;
    ck_assert_int_eq(storage_job_create(s, &j), ST_OK);
}

static st_status claim(storage *s, const char *node, double now, double lease_until,
                       st_job *out)
{
    st_claim c = {now, node, lease_until, 3};
    return storage_job_claim(s, &c, out);
}

static size_t history_len(storage *s)
{
    st_history_row *h = NULL;
    size_t n = 0;
    ck_assert_int_eq(storage_history_list(s, "m1", &h, &n), ST_OK);
    free(h);
    return n;
}

START_TEST(lease_passes_to_a_second_node_which_alone_may_write)
{
    storage *s = open_db();
    model_with_job(s, 3);
    st_job a, b, row;
    ck_assert_int_eq(claim(s, "node-a", 1000, 1010, &a), ST_OK);
    ck_assert_str_eq(a.id, "j1");
    ck_assert_str_eq(a.status, "running");
    ck_assert_str_eq(a.node, "node-a");
    ck_assert_int_eq(a.attempt, 1);
    ck_assert_int_eq(a.n_samples, 3);
    ck_assert(a.started_at == 1000 && a.lease_until == 1010);

    /* more samples later: not in the job's snapshot */
    double x[4] = {1, 2, 3, 4}, y[2] = {5, 6};
    ck_assert_int_eq(t_samples_add(s, "m1", 2, 2, 1, x, y, 0, NULL), ST_OK);
    ck_assert_int_eq(claim(s, "node-b", 1009, 1019, &b), ST_NOT_FOUND); /* lease alive */
    ck_assert_int_eq(storage_job_renew(s, "j1", 1, 1020), ST_OK);
    ck_assert_int_eq(claim(s, "node-b", 1015, 1025, &b), ST_NOT_FOUND); /* renewed */

    /* node-a falls silent: at 1021 node-b takes over */
    ck_assert_int_eq(claim(s, "node-b", 1021, 1031, &b), ST_OK);
    ck_assert_str_eq(b.id, "j1");
    ck_assert_str_eq(b.node, "node-b");
    ck_assert_int_eq(b.attempt, 2);
    ck_assert_int_eq(b.n_samples, 3);
    ck_assert(b.started_at == 1000);

    /* node-a wakes: its renewal, progress and row update are refused,
     * and none of it is stored */
    ck_assert_int_eq(storage_job_renew(s, "j1", 1, 1040), ST_FENCED);
    st_epoch e[2] = {{1, 0.5, NAN, 10}, {2, 0.25, NAN, 11}};
    st_publish pub = {"checkpoint", blob, sizeof blob, 0.25, 1};
    unsigned char state_a[] = {1, 2, 3};
    st_checkpoint ck_a = {state_a, sizeof state_a, 2};
    int64_t v = 0;
    a.epoch = 2;
    ck_assert_int_eq(storage_job_progress(s, &a, e, 2, &pub, &ck_a, &v), ST_FENCED);
    strcpy(a.status, "succeeded");
    ck_assert_int_eq(storage_job_update(s, &a), ST_NOT_FOUND);
    ck_assert_uint_eq(history_len(s), 0);
    int64_t ep = 0;
    unsigned char *st = NULL;
    size_t len = 0;
    ck_assert_int_eq(storage_job_checkpoint_get(s, "j1", &ep, &st, &len), ST_NOT_FOUND);
    ck_assert_int_eq(storage_job_get(s, "j1", &row), ST_OK);
    ck_assert_str_eq(row.status, "running");
    ck_assert_str_eq(row.node, "node-b");
    ck_assert_int_eq(row.version, 0);
    st_job_clear(&row);

    /* node-b's heartbeat: history, state and lease in one write */
    unsigned char state_b[] = {9, 8, 7, 6};
    st_checkpoint ck_b = {state_b, sizeof state_b, 2};
    b.lease_until = 1041;
    b.epoch = 2;
    ck_assert_int_eq(storage_job_progress(s, &b, e, 2, NULL, &ck_b, &v), ST_OK);
    ck_assert_uint_eq(history_len(s), 2);
    ck_assert_int_eq(storage_job_checkpoint_get(s, "j1", &ep, &st, &len), ST_OK);
    ck_assert_int_eq(ep, 2);
    ck_assert_uint_eq(len, sizeof state_b);
    ck_assert_mem_eq(st, state_b, sizeof state_b);
    free(st);
    ck_assert_int_eq(claim(s, "node-c", 1035, 1045, &row), ST_NOT_FOUND); /* renewed to 1041 */

    /* it ends: the state row goes with it */
    strcpy(b.status, "succeeded");
    strcpy(b.stop_reason, "epochs");
    b.finished_at = 1050;
    ck_assert_int_eq(storage_job_progress(s, &b, NULL, 0, &pub, NULL, &v), ST_OK);
    ck_assert_int_eq(storage_job_checkpoint_get(s, "j1", &ep, &st, &len), ST_NOT_FOUND);
    ck_assert_int_eq(storage_job_renew(s, "j1", 2, 1060), ST_FENCED); /* ended */
    ck_assert_int_eq(claim(s, "node-c", 5000, 5010, &row), ST_NOT_FOUND);
    st_job_clear(&a);
    st_job_clear(&b);
    storage_close(s);
}
END_TEST

START_TEST(a_job_out_of_attempts_fails_interrupted)
{
    storage *s = open_db();
    model_with_job(s, 2);
    st_job j, row;
    for (int k = 1; k <= 3; k++) {
        ck_assert_int_eq(claim(s, "n", 1000.0 + 20 * k, 1010.0 + 20 * k, &j), ST_OK);
        ck_assert_int_eq(j.attempt, k);
        st_job_clear(&j);
    }
    /* the third lease passes too: no fourth attempt */
    ck_assert_int_eq(claim(s, "n", 1100, 1110, &j), ST_NOT_FOUND);
    ck_assert_int_eq(storage_job_get(s, "j1", &row), ST_OK);
    ck_assert_str_eq(row.status, "failed");
    ck_assert_str_eq(row.stop_reason, "interrupted");
    ck_assert_ptr_nonnull(strstr(row.error, "lease"));
    ck_assert(row.finished_at == 1100);
    ck_assert_int_eq(row.attempt, 3);
    st_job_clear(&row);
    storage_close(s);
}
END_TEST

START_TEST(without_a_lease_a_running_job_stays_its_workers)
{
    storage *s = open_db();
    model_with_job(s, 2);
    st_job j, other;
    ck_assert_int_eq(claim(s, "solo", 1000, 0, &j), ST_OK);
    ck_assert(j.lease_until == 0);
    ck_assert_int_eq(claim(s, "solo", 1e12, 0, &other), ST_NOT_FOUND);
    ck_assert_int_eq(claim(s, "other", 1e12, 1e12 + 10, &other), ST_NOT_FOUND);
    st_epoch e[1] = {{1, 0.5, NAN, 10}};
    int64_t v = 0;
    ck_assert_int_eq(storage_job_progress(s, &j, e, 1, NULL, NULL, &v), ST_OK);
    ck_assert_uint_eq(history_len(s), 1);
    st_job_clear(&j);
    storage_close(s);
}
END_TEST

int main(void)
{
    pg_conninfo = getenv("MLPD_TEST_PG");
    if (pg_conninfo && !*pg_conninfo)
        pg_conninfo = NULL;
    Suite *s = suite_create(pg_conninfo ? "storage_leases_pg" : "storage_leases");
    TCase *tc = tcase_create("leases");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, fixture_up, fixture_down);
    tcase_add_test(tc, lease_passes_to_a_second_node_which_alone_may_write);
    tcase_add_test(tc, a_job_out_of_attempts_fails_interrupted);
    tcase_add_test(tc, without_a_lease_a_running_job_stays_its_workers);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
