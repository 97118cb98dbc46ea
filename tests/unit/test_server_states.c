/*
 * test_server_states.c - the names tables of util/states.h: every name
 * maps back to its enum, unknown names are refused, the stop reasons the
 * core names carry the core's spelling, and job_ended() holds for exactly
 * the three final states.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "util/states.h"

START_TEST(status_round_trip)
{
    static const char *const want[] = {"queued", "running", "succeeded", "failed", "cancelled"};
    ck_assert_int_eq(JOB_STATUS_COUNT_, 5);
    for (int i = 0; i < JOB_STATUS_COUNT_; i++) {
        job_status s = JOB_STATUS_COUNT_;
        ck_assert_str_eq(job_status_name((job_status)i), want[i]);
        ck_assert_int_eq(job_status_from_name(want[i], &s), 0);
        ck_assert_int_eq(s, i);
        ck_assert(job_status_is(want[i], (job_status)i));
    }
    job_status s = JOB_RUNNING;
    ck_assert_int_eq(job_status_from_name("Running", &s), -1);
    ck_assert_int_eq(job_status_from_name("", &s), -1);
    ck_assert_int_eq(job_status_from_name(NULL, &s), -1);
    ck_assert_int_eq(s, JOB_RUNNING); /* untouched on failure */
    ck_assert_ptr_null(job_status_name(JOB_STATUS_COUNT_));
    ck_assert(!job_status_is(NULL, JOB_QUEUED));
    ck_assert(!job_status_is("queued", JOB_RUNNING));
}
END_TEST

START_TEST(ended_states)
{
    ck_assert(!job_ended(JOB_QUEUED));
    ck_assert(!job_ended(JOB_RUNNING));
    ck_assert(job_ended(JOB_SUCCEEDED));
    ck_assert(job_ended(JOB_FAILED));
    ck_assert(job_ended(JOB_CANCELLED));
    ck_assert(!job_ended_name("queued"));
    ck_assert(!job_ended_name("running"));
    ck_assert(job_ended_name("cancelled"));
    ck_assert(job_ended_name("bogus")); /* nothing will ever run it */
}
END_TEST

START_TEST(stop_reasons_match_the_core)
{
    /* the core's stops, by name, are reasons of ours */
    for (int id = MLP_STOP_EPOCHS; id <= MLP_STOP_DIVERGED; id++) {
        stop_reason r = STOP_NONE;
        const char *name = mlp_stop_name(id);
        ck_assert_ptr_nonnull(name);
        ck_assert_msg(stop_reason_from_name(name, &r) == 0, "core stop %s unknown", name);
        ck_assert_str_eq(stop_reason_name(r), name);
    }
    stop_reason r = STOP_ERROR;
    ck_assert_int_eq(stop_reason_from_name("", &r), 0);
    ck_assert_int_eq(r, STOP_NONE);
    ck_assert_str_eq(stop_reason_name(STOP_INTERRUPTED), "interrupted");
    ck_assert_int_eq(stop_reason_from_name("timeout", &r), 0);
    ck_assert_int_eq(r, STOP_TIMEOUT);
    ck_assert_int_eq(stop_reason_from_name("crashed", &r), -1);
}
END_TEST

START_TEST(sources_round_trip)
{
    static const char *const want[] = {"init", "put", "step", "train", "restore", "checkpoint"};
    ck_assert_int_eq(VERSION_SOURCE_COUNT_, 6);
    for (int i = 0; i < VERSION_SOURCE_COUNT_; i++) {
        version_source s = VERSION_SOURCE_COUNT_;
        ck_assert_str_eq(version_source_name((version_source)i), want[i]);
        ck_assert_int_eq(version_source_from_name(want[i], &s), 0);
        ck_assert_int_eq(s, i);
    }
    version_source s;
    ck_assert_int_eq(version_source_from_name("import", &s), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("states");
    TCase *tc = tcase_create("names");
    tcase_add_test(tc, status_round_trip);
    tcase_add_test(tc, ended_states);
    tcase_add_test(tc, stop_reasons_match_the_core);
    tcase_add_test(tc, sources_round_trip);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
