/*
 * test_storage_runner.c - the SQLite statement runner under storage's
 * interface (storage/backend.h), on real statements of the table:
 * each parameter type lands in the column as that SQLite type (checked
 * with SQLite's own typeof() on a separate raw connection) and reads back
 * through the column getters; rows reach the callback in order, a
 * callback's status ends the answer with it and st_row_stop after the
 * row; result codes map to st_status (duplicate key, missing parent,
 * a row where none may come, the table of sq_map); a statement is
 * prepared once per connection and reset with its bindings cleared after
 * each run; a transaction whose body fails leaves nothing behind.
 */
#include <check.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlp.h"
#include "storage/sqlite/sqlite_internal.h"
#include "storage/storage_internal.h"
#include "util_storage.h"

#define MODEL "00000000000000aa"

static char dir[64], path[128];
static storage *s;
static const unsigned char blob1[] = {1, 2, 3, 4};

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/mlpd-run-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/t.db", dir);
    char err[256];
    ck_assert_int_eq(storage_open(path, &s, err, sizeof err), ST_OK);
    ck_assert_int_eq(t_model_create(s, MODEL, "m", "{}", blob1, sizeof blob1), ST_OK);
}

static void teardown(void)
{
    storage_close(s);
    s = NULL;
    static const char *const suffix[] = {"", "-wal", "-shm"};
    char p[160];
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
    rmdir(dir);
}

static st_conn *borrow(void)
{
    st_conn *c = NULL;
    ck_assert_int_eq(s->b->conn_get(s->db, &c), ST_OK);
    ck_assert_ptr_eq(c->b, &st_sqlite_backend);
    return c;
}

static void give_back(st_conn *c)
{
    s->b->conn_put(s->db, c);
}

/* A text answer of one row from a raw connection of our own. */
static void raw_text(const char *sql, char *out, size_t cap)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static int64_t raw_int(const char *sql)
{
    char t[64];
    raw_text(sql, t, sizeof t);
    return strtoll(t, NULL, 10);
}

/* Version 2 with every parameter type: text, int, real, NULL, blob. */
static st_status insert_v2(st_conn *c, const char *model, const void *b, size_t len)
{
    st_val p[] = {st_text(model), st_int(2), st_text("put"), st_real(1234.5),
                  st_real_or_null(NAN), st_blob(b, len), st_int(mlp_crc32(b, len))};
    return st_exec(c, Q_VERSION_INSERT, p, ST_NPARAMS(p), NULL);
}

typedef struct seen {
    int rows;
    int64_t version[4];
    char source[4][16];
    double created[4];
    st_vtype loss_type[4];
    int index[4];
    st_status answer; /* what the callback returns from its second row on */
    int stop_at;      /* 1-based row after which it calls st_row_stop (0: never) */
} seen;

static st_status version_row(st_row *r, void *arg)
{
    seen *v = arg;
    int i = v->rows++;
    ck_assert_int_lt(i, 4);
    v->version[i] = st_col_int(r, 0);
    ck_assert_int_eq(st_col_copy(r, 1, v->source[i], sizeof v->source[i]), ST_OK);
    v->created[i] = st_col_real(r, 2);
    v->loss_type[i] = r->b->col_type(r, 3);
    v->index[i] = r->index;
    if (v->stop_at && v->rows == v->stop_at)
        st_row_stop(r);
    return i == 0 ? ST_OK : v->answer;
}

START_TEST(binds_each_type)
{
    st_conn *c = borrow();
    static const unsigned char b[] = {0, 255, 7, 0, 9};
    ck_assert_int_eq(insert_v2(c, MODEL, b, sizeof b), ST_OK);
    /* SQLite's own view of what landed in each column */
    char t[128];
    raw_text("SELECT typeof(model_id) || ',' || typeof(version) || ',' || typeof(source) || ','"
             " || typeof(created_at) || ',' || typeof(loss) || ',' || typeof(blob) || ','"
             " || typeof(crc) || ',' || length(blob) || ',' || hex(blob) "
             "FROM versions WHERE version = 2", t, sizeof t);
    ck_assert_str_eq(t, "text,integer,text,real,null,blob,integer,5,00FF070009");
    /* and back through the getters */
    seen v = {.answer = ST_OK};
    st_val p[] = {st_text(MODEL)};
    ck_assert_int_eq(st_run(c, Q_VERSION_LIST, p, 1, version_row, &v, NULL), ST_OK);
    ck_assert_int_eq(v.rows, 2);
    ck_assert_int_eq(v.version[1], 2);
    ck_assert_str_eq(v.source[1], "put");
    ck_assert(v.created[1] == 1234.5);
    ck_assert_int_eq(v.loss_type[1], STV_NULL);
    ck_assert_int_eq(v.loss_type[0], STV_NULL); /* "init" has no loss either */
    give_back(c);
    /* the blob, byte for byte, through storage's own read */
    unsigned char *got = NULL;
    size_t len = 0;
    int64_t ver = 0;
    ck_assert_int_eq(storage_weights_get(s, MODEL, 2, &got, &len, &ver), ST_OK);
    ck_assert_uint_eq(len, sizeof b);
    ck_assert_int_eq(memcmp(got, b, sizeof b), 0);
    ck_assert_int_eq(ver, 2);
    free(got);
}
END_TEST

START_TEST(rows_through_the_callback)
{
    st_conn *c = borrow();
    ck_assert_int_eq(insert_v2(c, MODEL, blob1, sizeof blob1), ST_OK);
    st_val p[] = {st_text(MODEL)};
    /* every row, in order, with its index */
    seen all = {.answer = ST_OK};
    ck_assert_int_eq(st_run(c, Q_VERSION_LIST, p, 1, version_row, &all, NULL), ST_OK);
    ck_assert_int_eq(all.rows, 2);
    ck_assert_int_eq(all.version[0], 1);
    ck_assert_int_eq(all.version[1], 2);
    ck_assert_int_eq(all.index[0], 0);
    ck_assert_int_eq(all.index[1], 1);
    /* st_row_stop after the first row: one row, ST_OK */
    seen one = {.answer = ST_OK, .stop_at = 1};
    ck_assert_int_eq(st_run(c, Q_VERSION_LIST, p, 1, version_row, &one, NULL), ST_OK);
    ck_assert_int_eq(one.rows, 1);
    /* a callback's status ends the answer with it */
    seen bad = {.answer = ST_CORRUPT};
    ck_assert_int_eq(st_run(c, Q_VERSION_LIST, p, 1, version_row, &bad, NULL), ST_CORRUPT);
    ck_assert_int_eq(bad.rows, 2);
    /* no row: st_query_one says ST_NOT_FOUND, the callback never runs */
    seen none = {.answer = ST_OK};
    st_val q[] = {st_text("ffffffffffffffff")};
    ck_assert_int_eq(st_query_one(c, Q_VERSION_LIST, q, 1, version_row, &none), ST_NOT_FOUND);
    ck_assert_int_eq(none.rows, 0);
    /* rows changed by an UPDATE */
    int64_t changes = -1;
    st_val u[] = {st_text(MODEL), st_int(1), st_real(5.0)};
    ck_assert_int_eq(st_exec(c, Q_MODEL_SET_PUBLIC, u, 3, &changes), ST_OK);
    ck_assert_int_eq(changes, 1);
    u[0] = st_text("ffffffffffffffff");
    ck_assert_int_eq(st_exec(c, Q_MODEL_SET_PUBLIC, u, 3, &changes), ST_OK);
    ck_assert_int_eq(changes, 0);
    ck_assert_int_eq(st_exec_found(c, Q_MODEL_SET_PUBLIC, u, 3), ST_NOT_FOUND);
    give_back(c);
}
END_TEST

START_TEST(maps_result_codes)
{
    st_conn *c = borrow();
    /* a duplicate primary key */
    ck_assert_int_eq(insert_v2(c, MODEL, blob1, sizeof blob1), ST_OK);
    ck_assert_int_eq(insert_v2(c, MODEL, blob1, sizeof blob1), ST_CONFLICT);
    /* a missing parent row (the foreign key to models) */
    ck_assert_int_eq(insert_v2(c, "ffffffffffffffff", blob1, sizeof blob1), ST_NOT_FOUND);
    /* a row where none may come (no callback for a SELECT) */
    st_val p[] = {st_text(MODEL)};
    ck_assert_int_eq(st_exec(c, Q_VERSION_LIST, p, 1, NULL), ST_ERROR);
    /* the statement was reset: it runs again at once */
    seen v = {.answer = ST_OK};
    ck_assert_int_eq(st_run(c, Q_VERSION_LIST, p, 1, version_row, &v, NULL), ST_OK);
    ck_assert_int_eq(v.rows, 2);
    /* an id outside the table */
    ck_assert_int_eq(st_exec(c, Q_N_STMTS, NULL, 0, NULL), ST_ERROR);
    give_back(c);
    /* the rest of the table, by code */
    static const struct {
        int rc;
        st_status want;
    } map[] = {
        {SQLITE_OK, ST_OK},
        {SQLITE_DONE, ST_OK},
        {SQLITE_CONSTRAINT_UNIQUE, ST_CONFLICT},
        {SQLITE_CONSTRAINT_PRIMARYKEY, ST_CONFLICT},
        {SQLITE_CONSTRAINT_FOREIGNKEY, ST_NOT_FOUND},
        {SQLITE_CONSTRAINT_CHECK, ST_ERROR},
        {SQLITE_BUSY, ST_BUSY},
        {SQLITE_BUSY_SNAPSHOT, ST_BUSY},
        {SQLITE_LOCKED, ST_BUSY},
        {SQLITE_FULL, ST_FULL},
        {SQLITE_NOMEM, ST_NOMEM},
        {SQLITE_CORRUPT, ST_CORRUPT},
        {SQLITE_NOTADB, ST_CORRUPT},
        {SQLITE_IOERR_WRITE, ST_ERROR},
        {SQLITE_MISUSE, ST_ERROR},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        ck_assert_msg(sq_map(map[i].rc) == map[i].want, "code %d: %s, want %s", map[i].rc,
                      st_status_name(sq_map(map[i].rc)), st_status_name(map[i].want));
}
END_TEST

static st_status model_row(st_row *r, void *arg)
{
    return st_col_copy(r, 0, arg, 17);
}

START_TEST(prepares_once_per_connection)
{
    st_conn *a = borrow();
    st_conn *b = borrow(); /* the first is lent: a second connection */
    ck_assert_ptr_ne(a, b);
    sq_conn *ka = sq_of(a), *kb = sq_of(b);
    ck_assert_ptr_null(ka->stmt[Q_MODEL_GET]);
    char id[17] = "";
    st_val p[] = {st_text(MODEL)};
    ck_assert_int_eq(st_query_one(a, Q_MODEL_GET, p, 1, model_row, id), ST_OK);
    ck_assert_str_eq(id, MODEL);
    sqlite3_stmt *first = ka->stmt[Q_MODEL_GET];
    ck_assert_ptr_nonnull(first);
    /* reset, with its parameter cleared, after the run */
    ck_assert_int_eq(sqlite3_stmt_busy(first), 0);
    char *sql = sqlite3_expanded_sql(first);
    ck_assert_ptr_nonnull(strstr(sql, "m.id = NULL"));
    sqlite3_free(sql);
    ck_assert_int_eq(st_query_one(a, Q_MODEL_GET, p, 1, model_row, id), ST_OK);
    ck_assert_ptr_eq(ka->stmt[Q_MODEL_GET], first); /* the same statement again */
    /* the other connection prepares its own */
    ck_assert_ptr_null(kb->stmt[Q_MODEL_GET]);
    ck_assert_int_eq(st_query_one(b, Q_MODEL_GET, p, 1, model_row, id), ST_OK);
    ck_assert_ptr_nonnull(kb->stmt[Q_MODEL_GET]);
    ck_assert_ptr_ne(kb->stmt[Q_MODEL_GET], first);
    give_back(b);
    give_back(a);
    /* a pooled connection keeps its statements */
    st_conn *again = borrow();
    ck_assert(sq_of(again)->stmt[Q_MODEL_GET] == first ||
              sq_of(again)->stmt[Q_MODEL_GET] == kb->stmt[Q_MODEL_GET]);
    give_back(again);
}
END_TEST

typedef struct body_args {
    st_status answer;
    int64_t usage_id;
} body_args;

/* Two writes, then the answer. */
static st_status two_writes(st_conn *c, void *arg)
{
    body_args *a = arg;
    st_val u[] = {st_text(ST_USER_LOCAL), st_text("2026-12-02"), st_real(3.5)};
    st_status rc = st_exec(c, Q_USAGE_ADD, u, ST_NPARAMS(u), NULL);
    if (rc == ST_OK)
        a->usage_id = st_last_insert_id(c);
    if (rc == ST_OK)
        rc = insert_v2(c, MODEL, blob1, sizeof blob1);
    return rc == ST_OK ? a->answer : rc;
}

START_TEST(rolls_back_a_failed_body)
{
    body_args fail = {.answer = ST_QUOTA};
    ck_assert_int_eq(st_tx(s, ST_WRITE, two_writes, &fail), ST_QUOTA);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM user_usage"), 0);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM versions WHERE version = 2"), 0);
    /* the connection went back without a transaction open */
    st_conn *c = borrow();
    ck_assert_int_ne(sqlite3_get_autocommit(sq_of(c)->db), 0);
    give_back(c);
    /* a failing statement inside the body: the first write goes too */
    ck_assert_int_eq(storage_model_delete(s, MODEL), ST_OK);
    body_args orphan = {.answer = ST_OK};
    ck_assert_int_eq(st_tx(s, ST_WRITE, two_writes, &orphan), ST_NOT_FOUND);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM user_usage"), 0);
    /* and a body that succeeds commits both, with the row's id */
    ck_assert_int_eq(t_model_create(s, MODEL, "m", "{}", blob1, sizeof blob1), ST_OK);
    body_args ok = {.answer = ST_OK};
    ck_assert_int_eq(st_tx(s, ST_WRITE, two_writes, &ok), ST_OK);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM versions WHERE version = 2"), 1);
    ck_assert_int_eq(raw_int("SELECT rowid FROM user_usage"), ok.usage_id);
    double sec = 0;
    ck_assert_int_eq(storage_usage_get(s, ST_USER_LOCAL, "2026-12-02", &sec), ST_OK);
    ck_assert(sec == 3.5);
}
END_TEST

static Suite *suite(void)
{
    Suite *su = suite_create("storage_runner");
    TCase *tc = tcase_create("runner");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, binds_each_type);
    tcase_add_test(tc, rows_through_the_callback);
    tcase_add_test(tc, maps_result_codes);
    tcase_add_test(tc, prepares_once_per_connection);
    tcase_add_test(tc, rolls_back_a_failed_body);
    suite_add_tcase(su, tc);
    return su;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
