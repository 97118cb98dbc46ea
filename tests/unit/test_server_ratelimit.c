/*
 * test_server_ratelimit.c - token bucket arithmetic with a hand-driven
 * clock, and the table: keys are independent, counts add up, a full table
 * still answers.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/ratelimit.h"

static void close_to(double got, double want)
{
    ck_assert_msg(fabs(got - want) < 1e-9, "got %.17g want %.17g", got, want);
}

START_TEST(bucket_burst_then_rate)
{
    tbucket b;
    double wait = -1;
    tbucket_init(&b, 3, 100.0);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(tbucket_take(&b, 2, 3, 100.0, &wait), 1);
    ck_assert_int_eq(tbucket_take(&b, 2, 3, 100.0, &wait), 0);
    close_to(wait, 0.5); /* 2 tokens a second: one in 0.5 s */
    ck_assert_int_eq(tbucket_take(&b, 2, 3, 100.25, &wait), 0);
    close_to(wait, 0.25);
    ck_assert_int_eq(tbucket_take(&b, 2, 3, 100.5, &wait), 1);
    ck_assert_int_eq(tbucket_take(&b, 2, 3, 100.5, &wait), 0);
    /* a long pause refills to the burst, not beyond */
    int got = 0;
    while (tbucket_take(&b, 2, 3, 1000.0, NULL))
        got++;
    ck_assert_int_eq(got, 3);
    /* a clock that goes back gives nothing */
    ck_assert_int_eq(tbucket_take(&b, 2, 3, 10.0, &wait), 0);
    ck_assert_int_eq(tbucket_take(&b, 2, 3, 1000.4, &wait), 0);
    ck_assert_int_eq(tbucket_take(&b, 2, 3, 1000.5, &wait), 1);
}
END_TEST

START_TEST(bucket_long_run_rate)
{
    /* over 10 s of a request every millisecond, rate 5/s burst 10 lets
     * through 10 + 5 * 10 = 60 */
    tbucket b;
    tbucket_init(&b, 10, 0);
    int ok = 0;
    for (int ms = 0; ms <= 10000; ms++)
        ok += tbucket_take(&b, 5, 10, ms / 1000.0, NULL);
    ck_assert_int_eq(ok, 60);
}
END_TEST

typedef struct sums {
    uint64_t requests, limited;
    int keys;
} sums;

static void add(void *ctx, const char *key, uint64_t requests, uint64_t limited)
{
    (void)key;
    sums *s = ctx;
    s->requests += requests;
    s->limited += limited;
    s->keys++;
}

START_TEST(table_keys_independent)
{
    ratelimit *rl = ratelimit_new(64, 1, 2);
    ck_assert_ptr_nonnull(rl);
    double wait;
    ck_assert_int_eq(ratelimit_take(rl, "alice", 0, &wait), 1);
    ck_assert_int_eq(ratelimit_take(rl, "alice", 0, &wait), 1);
    ck_assert_int_eq(ratelimit_take(rl, "alice", 0, &wait), 0);
    close_to(wait, 1);
    ck_assert_int_eq(ratelimit_take(rl, "bob", 0, &wait), 1); /* bob has his own */
    ck_assert_int_eq(ratelimit_take(rl, "alice", 1.0, &wait), 1);
    sums s = {0, 0, 0};
    ratelimit_foreach(rl, add, &s);
    ck_assert_int_eq(s.keys, 2);
    ck_assert_uint_eq(s.requests, 5);
    ck_assert_uint_eq(s.limited, 1);
    ratelimit_free(rl);

    ratelimit *unlimited = ratelimit_new(16, 0, 1);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(ratelimit_take(unlimited, "x", 0, &wait), 1);
    ratelimit_free(unlimited);
}
END_TEST

START_TEST(table_full_still_answers)
{
    /* 16 slots, 1000 keys: each first request is a fresh bucket; an
     * emptied bucket that is still in the table stays empty */
    ratelimit *rl = ratelimit_new(16, 1, 1);
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "10.0.%d.%d", i / 256, i % 256);
        ck_assert_int_eq(ratelimit_take(rl, key, 0, NULL), 1);
    }
    ck_assert_int_eq(ratelimit_take(rl, "10.0.3.231", 0, NULL), 0); /* the last one */
    sums s = {0, 0, 0};
    ratelimit_foreach(rl, add, &s);
    ck_assert_int_le(s.keys, 16);
    /* a long key is cut, not overflowed */
    char long_key[200];
    memset(long_key, 'k', sizeof long_key - 1);
    long_key[sizeof long_key - 1] = '\0';
    ck_assert_int_eq(ratelimit_take(rl, long_key, 5, NULL), 1);
    ck_assert_int_eq(ratelimit_take(rl, long_key, 5, NULL), 0);
    ratelimit_free(rl);
}
END_TEST

/* ratelimit_share: a node's part of the rate and burst when N nodes each
 * keep a table; back to the whole with 1 (or 0). */
START_TEST(share_among_nodes)
{
    ratelimit *rl = ratelimit_new(64, 6, 6);
    ck_assert_ptr_nonnull(rl);
    double wait = -1;
    ratelimit_share(rl, 3);
    ck_assert_int_eq(ratelimit_take(rl, "a", 10.0, &wait), 1);
    ck_assert_int_eq(ratelimit_take(rl, "a", 10.0, &wait), 1);
    ck_assert_int_eq(ratelimit_take(rl, "a", 10.0, &wait), 0);
    close_to(wait, 0.5); /* 2 tokens a second */
    ck_assert_int_eq(ratelimit_take(rl, "a", 10.5, &wait), 1);
    /* a share below one token still lets one through */
    ratelimit_share(rl, 100);
    ck_assert_int_eq(ratelimit_take(rl, "b", 20.0, &wait), 1);
    ck_assert_int_eq(ratelimit_take(rl, "b", 20.0, &wait), 0);
    close_to(wait, 1 / 0.06);
    /* one node (or 0): the whole again, for new keys at once */
    ratelimit_share(rl, 0);
    int got = 0;
    while (ratelimit_take(rl, "c", 30.0, NULL))
        got++;
    ck_assert_int_eq(got, 6);
    /* a bucket filled under a smaller burst refills to the whole */
    ck_assert_int_eq(ratelimit_take(rl, "b", 1000.0, &wait), 1);
    got = 1;
    while (ratelimit_take(rl, "b", 1000.0, NULL))
        got++;
    ck_assert_int_eq(got, 6);
    ratelimit_share(NULL, 2); /* accepted */
    ratelimit_free(rl);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ratelimit");
    TCase *tc = tcase_create("buckets");
    tcase_add_test(tc, bucket_burst_then_rate);
    tcase_add_test(tc, bucket_long_run_rate);
    tcase_add_test(tc, table_keys_independent);
    tcase_add_test(tc, table_full_still_answers);
    tcase_add_test(tc, share_among_nodes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
