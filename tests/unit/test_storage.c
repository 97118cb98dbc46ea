/*
 * test_storage.c - the SQLite storage module on a real database file in a
 * fresh directory under /tmp: migrations, refusing future and damaged
 * files, models and weights versions (with checksum damage made through a
 * second, raw SQLite connection), paged samples across batch boundaries,
 * limits. Jobs, history, durability and threads: test_storage_jobs.c.
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

/* ---- opening ------------------------------------------------------------ */

START_TEST(migrations_applied_and_idempotent)
{
    fixture_up();
    storage *s = open_ok();
    struct stat sb;
    ck_assert_int_eq(stat(db_path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);
    create_model(s, "00000000000000aa", "kept");
    storage_close(s);

    sqlite3 *db = raw_open();
    ck_assert_int_eq(raw_int(db, "PRAGMA user_version", NULL), (int64_t)st_migrations_count);
    ck_assert_int_ge((int64_t)st_migrations_count, 1);
    ck_assert_int_eq(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                                 "name IN ('models','versions','samples','jobs','history_chunks')",
                             NULL),
                     5);
    sqlite3_close(db);

    /* a second open applies nothing again and keeps the data */
    s = open_ok();
    st_model m;
    ck_assert_int_eq(storage_model_get(s, "00000000000000aa", &m), ST_OK);
    ck_assert_str_eq(m.name, "kept");
    st_model_clear(&m);
    storage_close(s);
    db = raw_open();
    ck_assert_int_eq(raw_int(db, "PRAGMA user_version", NULL), (int64_t)st_migrations_count);
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
    fixture_down();
}
END_TEST

START_TEST(refuses_future_schema)
{
    fixture_up();
    storage_close(open_ok());
    sqlite3 *db = raw_open();
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", (int)st_migrations_count + 1);
    ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    char err[256] = "";
    storage *s = (storage *)1;
    ck_assert_int_ne(storage_open(db_path, &s, err, sizeof err), ST_OK);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err, "newer") != NULL, "message: %s", err);
    fixture_down();
}
END_TEST

START_TEST(refuses_garbage_file)
{
    fixture_up();
    FILE *f = fopen(db_path, "wb");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 8192; i++)
        fputc((i * 131 + 7) & 0xff, f);
    fclose(f);
    char err[256] = "";
    storage *s = NULL;
    ck_assert_int_eq(storage_open(db_path, &s, err, sizeof err), ST_CORRUPT);
    ck_assert_ptr_null(s);
    ck_assert_msg(strlen(err) > 10, "message: %s", err);
    fixture_down();
}
END_TEST

START_TEST(refuses_damaged_database)
{
    fixture_up();
    storage *s = open_ok();
    char id[17];
    /* enough rows for several pages, then scribble over a middle page */
    for (int i = 0; i < 200; i++) {
        ck_assert_int_eq(storage_new_id(id), 0);
        create_model(s, id, "a model name long enough to fill pages faster, padded ......");
    }
    storage_close(s);
    FILE *f = fopen(db_path, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, 4096 * 3 + 100, SEEK_SET), 0);
    for (int i = 0; i < 2000; i++)
        fputc(0x5a, f);
    fclose(f);
    char err[256] = "";
    s = NULL;
    ck_assert_int_eq(storage_open(db_path, &s, err, sizeof err), ST_CORRUPT);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err, "integrity") != NULL, "message: %s", err);
    fixture_down();
}
END_TEST

START_TEST(refuses_memory_database)
{
    char err[256] = "";
    storage *s = NULL;
    ck_assert_int_eq(storage_open(":memory:", &s, err, sizeof err), ST_ERROR);
    ck_assert_ptr_null(s);
    ck_assert(err[0] != '\0');
}
END_TEST

/* ---- models --------------------------------------------------------------- */

START_TEST(models_create_get_list_delete_cascade)
{
    fixture_up();
    storage *s = open_ok();
    const char *a = "000000000000000a", *b = "000000000000000b";
    create_model(s, a, "first");
    create_model(s, b, "second");
    ck_assert_int_eq(t_model_create(s, a, "again", "{}", blob1, sizeof blob1), ST_CONFLICT);

    st_model m;
    ck_assert_int_eq(storage_model_get(s, a, &m), ST_OK);
    ck_assert_str_eq(m.id, a);
    ck_assert_str_eq(m.name, "first");
    ck_assert_str_eq(m.spec_json, "{\"inputs\":2}");
    ck_assert_int_eq(m.version, 1);
    ck_assert_int_eq(m.samples, 0);
    ck_assert(isnan(m.last_loss));
    ck_assert(m.created_at > 1e9 && m.updated_at >= m.created_at);
    st_model_clear(&m);
    ck_assert_int_eq(storage_model_get(s, "ffffffffffffffff", &m), ST_NOT_FOUND);

    st_model *ms = NULL;
    size_t n = 0;
    ck_assert_int_eq(storage_model_list(s, NULL, &ms, &n), ST_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(ms[0].name, "first"); /* oldest first */
    ck_assert_str_eq(ms[1].name, "second");
    st_models_free(ms, n);

    /* give a everything that hangs off a model */
    double x[2] = {1, 2}, y[1] = {3};
    int64_t total = 0, version = 0;
    ck_assert_int_eq(t_samples_add(s, a, 1, 2, 1, x, y, 0, &total), ST_OK);
    ck_assert_int_eq(storage_weights_put(s, a, "put", blob2, sizeof blob2, NAN, &version), ST_OK);
    st_job j;
    new_job(&j, "00000000000000j1", a);
    ck_assert_int_eq(storage_job_create(s, &j), ST_OK);
    st_epoch e = {.epoch = 1, .loss = 0.5, .val_loss = NAN, .time = 1.5e9};
    ck_assert_int_eq(storage_history_append(s, a, j.id, &e, 1), ST_OK);
    ck_assert_int_eq(t_samples_add(s, b, 1, 2, 1, x, y, 0, &total), ST_OK);

    int64_t models = 0, samples = 0, jobs = 0;
    ck_assert_int_eq(storage_count(s, &models, &samples, &jobs), ST_OK);
    ck_assert_int_eq(models, 2);
    ck_assert_int_eq(samples, 2);
    ck_assert_int_eq(jobs, 1);

    ck_assert_int_eq(storage_model_delete(s, a), ST_OK);
    ck_assert_int_eq(storage_model_delete(s, a), ST_NOT_FOUND);
    ck_assert_int_eq(storage_model_get(s, a, &m), ST_NOT_FOUND);
    sqlite3 *db = raw_open();
    static const char *const tables[] = {
        "SELECT count(*) FROM versions WHERE model_id = ?1",
        "SELECT count(*) FROM samples WHERE model_id = ?1",
        "SELECT count(*) FROM jobs WHERE model_id = ?1",
        "SELECT count(*) FROM history_chunks WHERE model_id = ?1",
    };
    for (size_t i = 0; i < 4; i++)
        ck_assert_int_eq(raw_int(db, tables[i], a), 0);
    ck_assert_int_eq(raw_int(db, tables[0], b), 1); /* b untouched */
    ck_assert_int_eq(raw_int(db, tables[1], b), 1);
    sqlite3_close(db);
    ck_assert_int_eq(storage_count(s, &models, &samples, &jobs), ST_OK);
    ck_assert_int_eq(models, 1);
    ck_assert_int_eq(samples, 1);
    ck_assert_int_eq(jobs, 0);
    storage_close(s);
    fixture_down();
}
END_TEST

/* ---- weights and versions --------------------------------------------- */

START_TEST(weights_versions_put_get_restore_list)
{
    fixture_up();
    storage *s = open_ok();
    const char *id = "0123456789abcdef";
    create_model(s, id, "w");
    int64_t v = 0;
    ck_assert_int_eq(storage_weights_put(s, id, "put", blob2, sizeof blob2, NAN, &v), ST_OK);
    ck_assert_int_eq(v, 2);
    ck_assert_int_eq(storage_weights_put(s, id, "train", blob3, sizeof blob3, 0.25, &v), ST_OK);
    ck_assert_int_eq(v, 3);
    ck_assert_int_eq(storage_weights_put(s, "ffffffffffffffff", "put", blob2, sizeof blob2, NAN,
                                         &v),
                     ST_NOT_FOUND);
    ck_assert_int_eq(storage_weights_put(s, id, "bogus", blob2, sizeof blob2, NAN, &v), ST_ERROR);

    assert_weights(s, id, 0, blob3, sizeof blob3, 3);
    assert_weights(s, id, 1, blob1, sizeof blob1, 1);
    assert_weights(s, id, 2, blob2, sizeof blob2, 2);
    unsigned char *blob = NULL;
    size_t len = 0;
    ck_assert_int_eq(storage_weights_get(s, id, 9, &blob, &len, &v), ST_NOT_FOUND);
    ck_assert_ptr_null(blob);

    st_model m;
    ck_assert_int_eq(storage_model_get(s, id, &m), ST_OK);
    ck_assert_int_eq(m.version, 3);
    ck_assert(m.last_loss == 0.25);
    st_model_clear(&m);

    ck_assert_int_eq(storage_version_restore(s, id, 1, &v), ST_OK);
    ck_assert_int_eq(v, 4);
    assert_weights(s, id, 0, blob1, sizeof blob1, 4);
    ck_assert_int_eq(storage_version_restore(s, id, 7, &v), ST_NOT_FOUND);

    st_version *vs = NULL;
    size_t n = 0;
    ck_assert_int_eq(storage_versions_list(s, id, &vs, &n), ST_OK);
    ck_assert_uint_eq(n, 4);
    static const char *const sources[] = {"init", "put", "train", "restore"};
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(vs[i].version, (int64_t)i + 1);
        ck_assert_str_eq(vs[i].source, sources[i]);
        ck_assert(vs[i].created_at > 1e9);
        if (i == 2)
            ck_assert(vs[i].loss == 0.25);
        else
            ck_assert(isnan(vs[i].loss));
    }
    free(vs);
    ck_assert_int_eq(storage_versions_list(s, "ffffffffffffffff", &vs, &n), ST_NOT_FOUND);
    ck_assert_ptr_null(vs);
    storage_close(s);
    fixture_down();
}
END_TEST

START_TEST(damaged_blob_is_corrupt)
{
    fixture_up();
    storage *s = open_ok();
    const char *id = "0123456789abcdef";
    create_model(s, id, "w");
    sqlite3 *db = raw_open();
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "UPDATE versions SET blob = ?2 "
                                            "WHERE model_id = ?1 AND version = 1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    unsigned char flipped[sizeof blob1];
    memcpy(flipped, blob1, sizeof blob1);
    flipped[3] ^= 0x10; /* one bit */
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, flipped, sizeof flipped, SQLITE_STATIC);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
    ck_assert_int_eq(sqlite3_changes(db), 1);
    sqlite3_finalize(st);
    sqlite3_close(db);

    unsigned char *blob = NULL;
    size_t len = 0;
    int64_t v = 0;
    ck_assert_int_eq(storage_weights_get(s, id, 0, &blob, &len, &v), ST_CORRUPT);
    ck_assert_ptr_null(blob);
    ck_assert_int_eq(storage_version_restore(s, id, 1, &v), ST_CORRUPT);
    st_model m;
    ck_assert_int_eq(storage_model_get(s, id, &m), ST_OK);
    ck_assert_int_eq(m.version, 1); /* the failed restore wrote nothing */
    st_model_clear(&m);
    storage_close(s);
    fixture_down();
}
END_TEST

/* ---- samples -------------------------------------------------------------- */

START_TEST(samples_pages_cross_batches)
{
    fixture_up();
    storage *s = open_ok();
    const char *id = "00000000000000cc";
    create_model(s, id, "s");
    /* batches of 3, 1 and 4: boundaries at 3 and 4 */
    add_batch(s, id, 0, 3, 3);
    add_batch(s, id, 3, 1, 4);
    add_batch(s, id, 4, 4, 8);
    const size_t total = 8;
    for (size_t offset = 0; offset <= total + 1; offset++) {
        for (size_t limit = 0; limit <= total + 1; limit++) {
            double *x = NULL, *y = NULL;
            size_t n = 99;
            ck_assert_int_eq(storage_samples_read(s, id, offset, limit, 2, 1, &x, &y, &n), ST_OK);
            size_t left = offset < total ? total - offset : 0;
            size_t want = limit && limit < left ? limit : left;
            ck_assert_msg(n == want, "offset %zu limit %zu: n %zu", offset, limit, n);
            double ex[64], ey[32];
            make_samples(offset, want, ex, ey);
            for (size_t i = 0; i < want; i++) {
                ck_assert(x[2 * i] == ex[2 * i] && x[2 * i + 1] == ex[2 * i + 1]);
                ck_assert(y[i] == ey[i]);
            }
            free(x);
            free(y);
        }
    }
    st_model m;
    ck_assert_int_eq(storage_model_get(s, id, &m), ST_OK);
    ck_assert_int_eq(m.samples, 8);
    st_model_clear(&m);

    /* the stored batches are compact: one row per post */
    sqlite3 *db = raw_open();
    ck_assert_int_eq(raw_int(db, "SELECT count(*) FROM samples WHERE model_id = ?1", id), 3);
    sqlite3_close(db);

    double *x = NULL, *y = NULL;
    size_t n = 0;
    ck_assert_int_eq(storage_samples_read(s, "ffffffffffffffff", 0, 0, 2, 1, &x, &y, &n),
                     ST_NOT_FOUND);
    /* reading with the wrong shape is damage, not garbage numbers */
    ck_assert_int_eq(storage_samples_read(s, id, 0, 0, 3, 1, &x, &y, &n), ST_CORRUPT);
    ck_assert_ptr_null(x);
    storage_close(s);
    fixture_down();
}
END_TEST

START_TEST(samples_limit_and_clear)
{
    fixture_up();
    storage *s = open_ok();
    const char *id = "00000000000000dd";
    create_model(s, id, "s");
    double x[16], y[8];
    make_samples(0, 8, x, y);
    int64_t total = -1;
    ck_assert_int_eq(t_samples_add(s, id, 3, 2, 1, x, y, 5, &total), ST_OK);
    ck_assert_int_eq(total, 3);
    total = -1;
    ck_assert_int_eq(t_samples_add(s, id, 3, 2, 1, x + 6, y + 3, 5, &total), ST_LIMIT);
    ck_assert_int_eq(total, -1);
    ck_assert_int_eq(t_samples_add(s, id, 2, 2, 1, x + 6, y + 3, 5, &total), ST_OK);
    ck_assert_int_eq(total, 5);
    ck_assert_int_eq(t_samples_add(s, "ffffffffffffffff", 1, 2, 1, x, y, 0, &total),
                     ST_NOT_FOUND);

    double *rx = NULL, *ry = NULL;
    size_t n = 0;
    ck_assert_int_eq(storage_samples_read(s, id, 0, 0, 2, 1, &rx, &ry, &n), ST_OK);
    ck_assert_uint_eq(n, 5); /* nothing of the refused batch */
    ck_assert(ry[4] == 4.5);
    free(rx);
    free(ry);

    ck_assert_int_eq(storage_samples_clear(s, id), ST_OK);
    ck_assert_int_eq(storage_samples_clear(s, "ffffffffffffffff"), ST_NOT_FOUND);
    st_model m;
    ck_assert_int_eq(storage_model_get(s, id, &m), ST_OK);
    ck_assert_int_eq(m.samples, 0);
    st_model_clear(&m);
    ck_assert_int_eq(storage_samples_read(s, id, 0, 0, 2, 1, &rx, &ry, &n), ST_OK);
    ck_assert_uint_eq(n, 0);
    free(rx);
    free(ry);
    /* after a clear, numbering starts again at 0 */
    ck_assert_int_eq(t_samples_add(s, id, 2, 2, 1, x + 10, y + 5, 5, &total), ST_OK);
    ck_assert_int_eq(total, 2);
    ck_assert_int_eq(storage_samples_read(s, id, 1, 1, 2, 1, &rx, &ry, &n), ST_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert(rx[0] == 60 && rx[1] == 61 && ry[0] == 6.5);
    free(rx);
    free(ry);
    storage_close(s);
    fixture_down();
}
END_TEST

/* ---- small things ----------------------------------------------------- */

START_TEST(new_ids_are_random_hex)
{
    char a[17], b[17];
    ck_assert_int_eq(storage_new_id(a), 0);
    ck_assert_int_eq(storage_new_id(b), 0);
    ck_assert_uint_eq(strlen(a), 16);
    ck_assert_uint_eq(strspn(a, "0123456789abcdef"), 16);
    ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(status_names_are_distinct)
{
    for (int i = ST_OK; i <= ST_ERROR; i++)
        for (int k = i + 1; k <= ST_ERROR; k++)
            ck_assert_str_ne(st_status_name((st_status)i), st_status_name((st_status)k));
}
END_TEST

/* The tests that touch the database only through storage.h, on
 * PostgreSQL (the others read or damage the SQLite file directly). */
static int run_pg(void)
{
    Suite *s = suite_create("storage_pg");
    TCase *tc = tcase_create("storage_pg");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, base_up, base_down);
    tcase_add_test(tc, weights_versions_put_get_restore_list);
    tcase_add_test(tc, samples_limit_and_clear);
    tcase_add_test(tc, new_ids_are_random_hex);
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
    Suite *s = suite_create("storage");
    TCase *tc = tcase_create("storage");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, base_up, base_down);
    tcase_add_test(tc, migrations_applied_and_idempotent);
    tcase_add_test(tc, refuses_future_schema);
    tcase_add_test(tc, refuses_garbage_file);
    tcase_add_test(tc, refuses_damaged_database);
    tcase_add_test(tc, refuses_memory_database);
    tcase_add_test(tc, models_create_get_list_delete_cascade);
    tcase_add_test(tc, weights_versions_put_get_restore_list);
    tcase_add_test(tc, damaged_blob_is_corrupt);
    tcase_add_test(tc, samples_pages_cross_batches);
    tcase_add_test(tc, samples_limit_and_clear);
    tcase_add_test(tc, new_ids_are_random_hex);
    tcase_add_test(tc, status_names_are_distinct);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
