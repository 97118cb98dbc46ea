/*
 * test_storage.c - the SQLite storage module on a real database file in a
 * fresh directory under /tmp: migrations, refusing future and damaged
 * files, models and weights versions (with checksum damage made through a
 * second, raw SQLite connection), paged samples across batch boundaries,
 * limits, jobs, history (chunks, the migration from rows, damage), durability across reopen and four threads at once.
 */
#include <check.h>
#include <ftw.h>
#include <math.h>
#include <pthread.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mlp.h"
#include "storage/storage.h"
#include "util_storage.h"
#include "storage/sqlite/sqlite_internal.h"

/* ---- fixture: a temporary directory with one database path ------------ */

/* base is made and removed by the parent runner (an unchecked fixture), so
 * nothing is left in /tmp even when a forked test dies halfway. */
static char base[64];
static char dir[96];
static char db_path[512];
/* MLPD_TEST_PG (make test-pg): the conninfo of a PostgreSQL database;
 * the backend-neutral tests then run on it, each on a fresh schema. */
static const char *pg_conninfo;

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void base_up(void)
{
    snprintf(base, sizeof base, "/tmp/mlpd-storage-XXXXXX");
    if (!mkdtemp(base))
        abort();
}

static void base_down(void)
{
    nftw(base, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void fixture_up(void)
{
    snprintf(dir, sizeof dir, "%s/t-XXXXXX", base);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(db_path, sizeof db_path, "%s/test.db", dir);
    if (pg_conninfo) {
        PGconn *pc = PQconnectdb(pg_conninfo);
        ck_assert_msg(PQstatus(pc) == CONNECTION_OK, "%s", PQerrorMessage(pc));
        PGresult *r = PQexec(pc, "SET client_min_messages = warning; "
                                 "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
        ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "%s", PQerrorMessage(pc));
        PQclear(r);
        PQfinish(pc);
        snprintf(db_path, sizeof db_path, "%s", pg_conninfo);
    }
}

static void fixture_down(void)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[600];
    for (size_t i = 0; !pg_conninfo && i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(p, sizeof p, "%s%s", db_path, suffix[i]);
        unlink(p);
    }
    ck_assert_int_eq(rmdir(dir), 0); /* nothing else was left behind */
}

static storage *open_ok(void)
{
    char err[256] = "";
    storage *s = NULL;
    st_status rc = storage_open(db_path, &s, err, sizeof err);
    ck_assert_msg(rc == ST_OK, "open: %s (%s)", st_status_name(rc), err);
    ck_assert_ptr_nonnull(s);
    return s;
}

/* A raw connection beside the module's, for checks and for damage. */
static sqlite3 *raw_open(void)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

/* One integer from sql with up to one text parameter. */
static int64_t raw_int(sqlite3 *db, const char *sql, const char *param)
{
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (param)
        ck_assert_int_eq(sqlite3_bind_text(st, 1, param, -1, SQLITE_STATIC), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static const unsigned char blob1[] = "first weights";
static const unsigned char blob2[] = "second weights, longer";
static const unsigned char blob3[] = {0, 1, 2, 3, 255, 254, 0, 7};

static void create_model(storage *s, const char *id, const char *name)
{
    ck_assert_int_eq(t_model_create(s, id, name, "{\"inputs\":2}", blob1, sizeof blob1),
                     ST_OK);
}

static void new_job(st_job *j, const char *id, const char *model_id)
{
    memset(j, 0, sizeof *j);
    snprintf(j->id, sizeof j->id, "%s", id);
    snprintf(j->model_id, sizeof j->model_id, "%s", model_id);
    snprintf(j->status, sizeof j->status, "queued");
    j->params_json = "{\"epochs\":10}";
    j->epochs = 10;
    j->loss = NAN;
    j->val_loss = NAN;
}

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

static void assert_weights(storage *s, const char *id, int64_t version,
                           const unsigned char *want, size_t want_len, int64_t want_version)
{
    unsigned char *blob = NULL;
    size_t len = 0;
    int64_t got = 0;
    ck_assert_int_eq(storage_weights_get(s, id, version, &blob, &len, &got), ST_OK);
    ck_assert_uint_eq(len, want_len);
    ck_assert_mem_eq(blob, want, want_len);
    ck_assert_int_eq(got, want_version);
    free(blob);
}

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

/* Sample i of the test set: x = (10 i, 10 i + 1), y = i + 0.5. */
static void make_samples(size_t from, size_t n, double *x, double *y)
{
    for (size_t i = 0; i < n; i++) {
        x[2 * i] = 10.0 * (double)(from + i);
        x[2 * i + 1] = 10.0 * (double)(from + i) + 1;
        y[i] = (double)(from + i) + 0.5;
    }
}

static void add_batch(storage *s, const char *id, size_t from, size_t n, int64_t want_total)
{
    double x[64], y[32];
    ck_assert_uint_le(n, 32);
    make_samples(from, n, x, y);
    int64_t total = -1;
    ck_assert_int_eq(t_samples_add(s, id, n, 2, 1, x, y, 0, &total), ST_OK);
    ck_assert_int_eq(total, want_total);
}

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
    tcase_add_test(tc, jobs_conflict_update_get_list);
    tcase_add_test(tc, history_append_list_order);
    tcase_add_test(tc, data_survives_reopen);
    tcase_add_test(tc, four_threads_write_and_read);
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
    tcase_add_test(tc, jobs_conflict_update_get_list);
    tcase_add_test(tc, history_append_list_order);
    tcase_add_test(tc, history_chunks_split_and_stream);
    tcase_add_test(tc, history_rows_migrate_to_chunks);
    tcase_add_test(tc, damaged_chunk_is_corrupt);
    tcase_add_test(tc, data_survives_reopen);
    tcase_add_test(tc, four_threads_write_and_read);
    tcase_add_test(tc, new_ids_are_random_hex);
    tcase_add_test(tc, status_names_are_distinct);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
