/*
 * test_storage_exercises.c - exercises and attempts in SQLite: create,
 * read back, list; attempts per user in order and the cap per user; the
 * results table (every student by name, attempted or not, and an admin
 * only once they attempted); deleting an exercise, or a user, takes the
 * attempts with it; and it all survives a reopen.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/storage.h"

static char dir[64], path[128];

static storage *open_db(void)
{
    storage *st = NULL;
    char err[256];
    ck_assert_int_eq(storage_open(path, &st, err, sizeof err), ST_OK);
    return st;
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/mlpd-exst-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/t.db", dir);
}

static void teardown(void)
{
    static const char *const suffix[] = {"", "-wal", "-shm"};
    char p[160];
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
    rmdir(dir);
}

static void add_user(storage *st, const char *id, const char *name, int admin)
{
    st_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.id, sizeof u.id, "%s", id);
    snprintf(u.name, sizeof u.name, "%s", name);
    snprintf(u.token_id, sizeof u.token_id, "%.16s", id);
    u.admin = admin;
    ck_assert_int_eq(storage_user_create(st, &u), ST_OK);
}

static void add_attempt(storage *st, const char *ex, const char *user, double score,
                        const char *mistakes, int64_t max, st_status want)
{
    st_attempt a;
    memset(&a, 0, sizeof a);
    snprintf(a.exercise_id, sizeof a.exercise_id, "%s", ex);
    snprintf(a.user_id, sizeof a.user_id, "%s", user);
    a.given = 10;
    a.correct = (int64_t)(score * 10);
    a.score = score;
    snprintf(a.mistakes, sizeof a.mistakes, "%s", mistakes);
    ck_assert_int_eq(storage_attempt_add(st, &a, max), want);
    if (want == ST_OK)
        ck_assert_int_gt(a.id, 0);
}

START_TEST(exercises_attempts_results)
{
    storage *st = open_db();
    add_user(st, "aaaaaaaaaaaaaaaa", "teacher", 1);
    add_user(st, "bbbbbbbbbbbbbbbb", "ben", 0);
    add_user(st, "cccccccccccccccc", "ana", 0);
    add_user(st, "dddddddddddddddd", "zoe", 0);
    st_exercise e;
    memset(&e, 0, sizeof e);
    snprintf(e.id, sizeof e.id, "0123456789abcdef");
    snprintf(e.owner, sizeof e.owner, "aaaaaaaaaaaaaaaa");
    e.title = "step";
    e.network = "\"lecture-2-3-1\"";
    e.seed = INT64_C(1) << 53;
    e.steps = 2;
    e.tolerance = 1e-4;
    ck_assert_int_eq(storage_exercise_create(st, &e), ST_OK);
    ck_assert_int_eq(storage_exercise_create(st, &e), ST_CONFLICT);
    add_attempt(st, e.id, "cccccccccccccccc", 0.5, "error_sign", 3, ST_OK);
    add_attempt(st, e.id, "cccccccccccccccc", 1.0, "", 3, ST_OK);
    add_attempt(st, e.id, "bbbbbbbbbbbbbbbb", 0.25, "missing_fprime,bias_without_eta", 3, ST_OK);
    add_attempt(st, e.id, "cccccccccccccccc", 0.75, "", 3, ST_OK);
    add_attempt(st, e.id, "cccccccccccccccc", 0.75, "", 3, ST_QUOTA); /* the cap */
    add_attempt(st, e.id, "eeeeeeeeeeeeeeee", 0.75, "", 0, ST_NOT_FOUND); /* no such user */
    add_attempt(st, "ffffffffffffffff", "cccccccccccccccc", 0.75, "", 0, ST_NOT_FOUND);
    storage_close(st);

    st = open_db(); /* all of it durable */
    st_exercise g;
    ck_assert_int_eq(storage_exercise_get(st, e.id, &g), ST_OK);
    ck_assert_str_eq(g.title, "step");
    ck_assert_str_eq(g.network, "\"lecture-2-3-1\"");
    ck_assert(g.seed == INT64_C(1) << 53 && g.steps == 2 && g.tolerance == 1e-4);
    st_exercise_clear(&g);
    st_attempt *ts = NULL;
    size_t n = 0;
    ck_assert_int_eq(storage_attempts_list(st, e.id, "cccccccccccccccc", &ts, &n), ST_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert(ts[0].score == 0.5 && ts[1].score == 1.0 && ts[2].score == 0.75);
    ck_assert_str_eq(ts[0].mistakes, "error_sign");
    ck_assert(ts[0].id < ts[1].id && ts[1].id < ts[2].id);
    free(ts);
    ck_assert_int_eq(storage_attempts_list(st, e.id, NULL, &ts, &n), ST_OK);
    ck_assert_uint_eq(n, 4);
    free(ts);
    st_result *rs = NULL;
    ck_assert_int_eq(storage_exercise_results(st, e.id, &rs, &n), ST_OK);
    ck_assert_uint_eq(n, 3); /* the students by name; the teacher never attempted */
    ck_assert_str_eq(rs[0].name, "ana");
    ck_assert(rs[0].attempts == 3 && rs[0].best == 1.0 && rs[0].last_at > 0);
    ck_assert_str_eq(rs[1].name, "ben");
    ck_assert(rs[1].attempts == 1 && rs[1].best == 0.25);
    ck_assert_str_eq(rs[2].name, "zoe");
    ck_assert(rs[2].attempts == 0 && isnan(rs[2].best) && rs[2].last_at == 0);
    free(rs);
    add_attempt(st, e.id, "aaaaaaaaaaaaaaaa", 1.0, "", 0, ST_OK);
    ck_assert_int_eq(storage_exercise_results(st, e.id, &rs, &n), ST_OK);
    ck_assert_uint_eq(n, 4);
    ck_assert(rs[2].admin && strcmp(rs[2].name, "teacher") == 0 && rs[2].attempts == 1); /* by name */
    free(rs);

    /* removing a student takes their attempts */
    int64_t models = -1;
    ck_assert_int_eq(storage_user_delete(st, "ana", &models), ST_OK);
    ck_assert_int_eq(storage_attempts_list(st, e.id, "cccccccccccccccc", &ts, &n), ST_OK);
    ck_assert_uint_eq(n, 0);
    free(ts);
    st_exercise *es = NULL;
    ck_assert_int_eq(storage_exercise_list(st, &es, &n), ST_OK);
    ck_assert_uint_eq(n, 1);
    st_exercises_free(es, n);
    /* deleting the exercise takes every attempt */
    ck_assert_int_eq(storage_exercise_delete(st, e.id), ST_OK);
    ck_assert_int_eq(storage_exercise_delete(st, e.id), ST_NOT_FOUND);
    ck_assert_int_eq(storage_exercise_get(st, e.id, &g), ST_NOT_FOUND);
    ck_assert_int_eq(storage_attempts_list(st, e.id, NULL, &ts, &n), ST_OK);
    ck_assert_uint_eq(n, 0);
    free(ts);
    storage_close(st);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("storage_exercises");
    TCase *tc = tcase_create("exercises");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, exercises_attempts_results);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
