/*
 * util_storefix.h - the fixture of the storage tests on a real database
 * (test_storage.c, test_storage_jobs.c): a temporary directory with one
 * database path (or, with MLPD_TEST_PG, an emptied PostgreSQL schema),
 * open and raw-open helpers, and a few rows to start from. Definitions,
 * not declarations: each test file includes it once.
 */
#ifndef MLPD_TESTS_UTIL_STOREFIX_H
#define MLPD_TESTS_UTIL_STOREFIX_H

#include <check.h>
#include <ftw.h>
#include <libpq-fe.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/storage.h"
#include "util_storage.h"

/* ---- fixture: a temporary directory with one database path ------------ */

/* base is made and removed by the parent runner (an unchecked fixture), so
 * nothing is left in /tmp even when a forked test dies halfway. */
__attribute__((unused)) static char base[64];
static char dir[96];
static char db_path[512];
/* MLPD_TEST_PG (make test-pg): the conninfo of a PostgreSQL database;
 * the backend-neutral tests then run on it, each on a fresh schema. */
__attribute__((unused)) static const char *pg_conninfo;

static inline int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void base_up(void)
{
    snprintf(base, sizeof base, "/tmp/mlpd-storage-XXXXXX");
    if (!mkdtemp(base))
        abort();
}

static inline void base_down(void)
{
    nftw(base, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static inline void fixture_up(void)
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

static inline void fixture_down(void)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[600];
    for (size_t i = 0; !pg_conninfo && i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(p, sizeof p, "%s%s", db_path, suffix[i]);
        unlink(p);
    }
    ck_assert_int_eq(rmdir(dir), 0); /* nothing else was left behind */
}

static inline storage *open_ok(void)
{
    char err[256] = "";
    storage *s = NULL;
    st_status rc = storage_open(db_path, &s, err, sizeof err);
    ck_assert_msg(rc == ST_OK, "open: %s (%s)", st_status_name(rc), err);
    ck_assert_ptr_nonnull(s);
    return s;
}

/* A raw connection beside the module's, for checks and for damage. */
static inline sqlite3 *raw_open(void)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

/* One integer from sql with up to one text parameter. */
static inline int64_t raw_int(sqlite3 *db, const char *sql, const char *param)
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

__attribute__((unused)) static const unsigned char blob1[] = "first weights";
__attribute__((unused)) static const unsigned char blob2[] = "second weights, longer";
__attribute__((unused)) static const unsigned char blob3[] = {0, 1, 2, 3, 255, 254, 0, 7};

static inline void create_model(storage *s, const char *id, const char *name)
{
    ck_assert_int_eq(t_model_create(s, id, name, "{\"inputs\":2}", blob1, sizeof blob1),
                     ST_OK);
}

static inline void new_job(st_job *j, const char *id, const char *model_id)
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


static inline void assert_weights(storage *s, const char *id, int64_t version,
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

/* Sample i of the test set: x = (10 i, 10 i + 1), y = i + 0.5. */
static inline void make_samples(size_t from, size_t n, double *x, double *y)
{
    for (size_t i = 0; i < n; i++) {
        x[2 * i] = 10.0 * (double)(from + i);
        x[2 * i + 1] = 10.0 * (double)(from + i) + 1;
        y[i] = (double)(from + i) + 0.5;
    }
}

static inline void add_batch(storage *s, const char *id, size_t from, size_t n, int64_t want_total)
{
    double x[64], y[32];
    ck_assert_uint_le(n, 32);
    make_samples(from, n, x, y);
    int64_t total = -1;
    ck_assert_int_eq(t_samples_add(s, id, n, 2, 1, x, y, 0, &total), ST_OK);
    ck_assert_int_eq(total, want_total);
}

#endif
