/*
 * test_server_cache.c - the snapshot cache: references outlive
 * replacement, a stale load never replaces a newer version or revives a
 * removed model, and the byte budget evicts the least recently used.
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "domain/cache.h"

static mlp_t *net_with(double first_weight)
{
    mlp_spec spec = {.inputs = 2, .n_layers = 1, .loss = MLP_LOSS_MSE};
    spec.layers[0].units = 1;
    spec.layers[0].activation = MLP_ACT_LINEAR;
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_new(&spec, NULL, NULL, &net), MLP_OK);
    mlp_params(net)[0] = first_weight;
    return net;
}

static double first_weight(const snapshot *s)
{
    return mlp_params_const(snapshot_net(s))[0];
}

START_TEST(references_outlive_replacement)
{
    cache *c = cache_new(1 << 20);
    snapshot_release(cache_put(c, "m", net_with(1), 1, UINT64_MAX));
    snapshot *old = cache_get(c, "m");
    ck_assert_ptr_nonnull(old);
    snapshot_release(cache_put(c, "m", net_with(2), 2, UINT64_MAX));
    ck_assert(first_weight(old) == 1); /* still readable */
    snapshot *now = cache_get(c, "m");
    ck_assert_int_eq(snapshot_version(now), 2);
    ck_assert(first_weight(now) == 2);
    snapshot_release(old);
    snapshot_release(now);
    cache_remove(c, "m");
    ck_assert_ptr_null(cache_get(c, "m"));
    cache_free(c);
}
END_TEST

/* A float32 model's float copy: made once per snapshot (every reader gets
 * the same one, also from threads racing for it), freed with it; the
 * dtype a reader records stays with the snapshot, a new version starts
 * unknown again. */
typedef struct f32_race {
    snapshot *s;
    const mlp_f32_t *got;
} f32_race;

static void *take_f32(void *arg)
{
    f32_race *r = arg;
    r->got = snapshot_f32(r->s);
    return NULL;
}

START_TEST(float_copy_once_per_snapshot)
{
    cache *c = cache_new(1 << 20);
    snapshot_release(cache_put(c, "m", net_with(0.5), 1, UINT64_MAX));
    snapshot *s = cache_get(c, "m");
    ck_assert_int_eq(snapshot_dtype(s), 0);
    snapshot_set_dtype(s, MLP_DTYPE_FLOAT32);
    f32_race r[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        r[i] = (f32_race){s, NULL};
        ck_assert_int_eq(pthread_create(&th[i], NULL, take_f32, &r[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    const mlp_f32_t *f = snapshot_f32(s);
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 4; i++)
        ck_assert_ptr_eq(r[i].got, f);
    double x[2] = {2.0, 4.0}, y = 0.0;
    float work[8];
    ck_assert_uint_le(mlp_f32_work_size(f, 1), 8);
    ck_assert_int_eq(mlp_f32_predict(f, 1, x, &y, work, 1), MLP_OK);
    ck_assert(y == 1.0); /* 0.5 * 2 + 0 * 4 + 0 */
    snapshot *again = cache_get(c, "m");
    ck_assert_int_eq(snapshot_dtype(again), MLP_DTYPE_FLOAT32);
    ck_assert_ptr_eq(snapshot_f32(again), f);
    snapshot_release(again);
    snapshot_release(cache_put(c, "m", net_with(1), 2, UINT64_MAX));
    snapshot *next = cache_get(c, "m");
    ck_assert_int_eq(snapshot_dtype(next), 0);
    snapshot_release(next);
    snapshot_release(s); /* the last reference: frees the float copy too */
    cache_free(c);
}
END_TEST

START_TEST(stale_loads_do_not_win)
{
    cache *c = cache_new(1 << 20);
    snapshot_release(cache_put(c, "m", net_with(5), 5, UINT64_MAX));
    /* a reader that loaded version 4 before the writer published 5 */
    snapshot *mine = cache_put(c, "m", net_with(4), 4, cache_generation(c));
    ck_assert_int_eq(snapshot_version(mine), 4); /* the reader still gets its copy */
    snapshot_release(mine);
    snapshot *s = cache_get(c, "m");
    ck_assert_int_eq(snapshot_version(s), 5);
    snapshot_release(s);
    /* a reader that started before a delete */
    uint64_t gen = cache_generation(c);
    cache_remove(c, "m");
    snapshot_release(cache_put(c, "m", net_with(5), 5, gen));
    ck_assert_ptr_null(cache_get(c, "m"));
    cache_free(c);
}
END_TEST

/* cache_clear (another node changed something this one did not hear):
 * every entry goes, held references stay readable, and a load that
 * started before the clear does not put its possibly old copy back. */
START_TEST(clear_drops_everything)
{
    cache *c = cache_new(1 << 20);
    snapshot_release(cache_put(c, "a", net_with(1), 1, UINT64_MAX));
    snapshot_release(cache_put(c, "b", net_with(2), 3, UINT64_MAX));
    snapshot *held = cache_get(c, "a");
    uint64_t gen = cache_generation(c);
    cache_clear(c);
    ck_assert_ptr_null(cache_get(c, "a"));
    ck_assert_ptr_null(cache_get(c, "b"));
    size_t entries = 9, bytes = 9;
    cache_stats(c, &entries, &bytes);
    ck_assert_uint_eq(entries, 0);
    ck_assert_uint_eq(bytes, 0);
    ck_assert(first_weight(held) == 1);
    snapshot_release(held);
    snapshot_release(cache_put(c, "b", net_with(2), 3, gen));
    ck_assert_ptr_null(cache_get(c, "b"));
    cache_free(c);
}
END_TEST

START_TEST(budget_evicts_least_recently_used)
{
    mlp_t *probe = net_with(0);
    size_t one = mlp_memory_size(probe);
    mlp_free(probe);
    cache *c = cache_new(2 * one);
    snapshot_release(cache_put(c, "a", net_with(1), 1, UINT64_MAX));
    snapshot_release(cache_put(c, "b", net_with(2), 1, UINT64_MAX));
    snapshot_release(cache_get(c, "a")); /* a is now the most recent */
    snapshot_release(cache_put(c, "c", net_with(3), 1, UINT64_MAX));
    size_t entries, bytes;
    cache_stats(c, &entries, &bytes);
    ck_assert_uint_eq(entries, 2);
    ck_assert_uint_le(bytes, 2 * one);
    snapshot *a = cache_get(c, "a"), *b = cache_get(c, "b"), *cc = cache_get(c, "c");
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_null(b);
    ck_assert_ptr_nonnull(cc);
    snapshot_release(a);
    snapshot_release(cc);
    cache_free(c);
    /* a budget of 0 caches nothing but still hands out snapshots */
    c = cache_new(0);
    snapshot *s = cache_put(c, "z", net_with(9), 1, UINT64_MAX);
    ck_assert(first_weight(s) == 9);
    snapshot_release(s);
    ck_assert_ptr_null(cache_get(c, "z"));
    cache_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("server_cache");
    TCase *tc = tcase_create("cache");
    tcase_add_test(tc, references_outlive_replacement);
    tcase_add_test(tc, stale_loads_do_not_win);
    tcase_add_test(tc, float_copy_once_per_snapshot);
    tcase_add_test(tc, budget_evicts_least_recently_used);
    tcase_add_test(tc, clear_drops_everything);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
