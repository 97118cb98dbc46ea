/*
 * test_pg_backend.c - the PostgreSQL backend through storage/backend.h's
 * vtable, as the resource files will drive it: --db recognition, open
 * (migrations), statements by id with st_val parameters, rows through the
 * callback with the column getters, changes, last insert id, writers one
 * at a time, changes from other nodes through pg_on_change, cancels from
 * other nodes through pg_on_cancel.
 *
 * MLPD_TEST_PG is the conninfo of an empty database (`make test-pg`).
 */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/backend.h"
#include "storage/pg/pg_internal.h"

static const char *conninfo;
static const st_backend *B = &st_pg_backend;
static st_db *db;

static void setup(void)
{
    char err[256] = "";
    ck_assert_msg(B->open(conninfo, &db, err, sizeof err) == ST_OK, "open: %s", err);
    st_conn *c;
    ck_assert_int_eq(B->conn_get(db, &c), ST_OK);
    st_val id = st_text("mb");
    ck_assert_int_eq(B->run(c, Q_MODEL_DELETE, &id, 1, NULL, NULL, NULL), ST_OK);
    B->conn_put(db, c);
}

static void teardown(void)
{
    B->close(db);
    db = NULL;
}

START_TEST(accepts_urls_and_conninfo_only)
{
    ck_assert(B->accepts("postgresql://u@h/db"));
    ck_assert(B->accepts("postgres://h/db"));
    ck_assert(B->accepts("host=/tmp/x dbname=mlpd"));
    ck_assert(B->accepts(" dbname = mlpd"));
    ck_assert(!B->accepts("mlpd.db"));
    ck_assert(!B->accepts("./a=b.db"));
    ck_assert(!B->accepts("/var/lib/mlpd/mlpd.db"));
    ck_assert(!B->accepts(""));
    ck_assert(!B->accepts(NULL));
}
END_TEST

START_TEST(open_twice_migrates_once)
{
    st_db *db2 = NULL;
    char err[256] = "";
    ck_assert_msg(B->open(conninfo, &db2, err, sizeof err) == ST_OK, "%s", err);
    B->close(db2);
    ck_assert_int_eq(B->open("host=/nonexistent dbname=x connect_timeout=2", &db2, err,
                             sizeof err),
                     ST_ERROR);
    ck_assert_ptr_null(db2);
    ck_assert(strlen(err) > 0);
}
END_TEST

typedef struct got {
    int rows;
    char id[17], name[32], owner_name[65];
    int64_t version, samples, pub;
    double last_loss, created;
    st_vtype loss_type;
} got;

static st_status model_row(st_row *r, void *arg)
{
    got *g = arg;
    const st_backend *b = r->b;
    size_t len;
    g->rows++;
    snprintf(g->id, sizeof g->id, "%s", b->col_text(r, 0, &len));
    ck_assert_uint_eq(len, strlen(g->id));
    snprintf(g->name, sizeof g->name, "%s", b->col_text(r, 1, NULL));
    g->version = b->col_int(r, 3);
    g->samples = b->col_int(r, 4);
    g->loss_type = b->col_type(r, 5);
    g->last_loss = b->col_real(r, 5);
    g->created = b->col_real(r, 6);
    snprintf(g->owner_name, sizeof g->owner_name, "%s", b->col_text(r, 9, NULL));
    g->pub = b->col_int(r, 10);
    ck_assert_int_eq(b->col_type(r, 0), STV_TEXT);
    ck_assert_int_eq(b->col_type(r, 3), STV_INT);
    ck_assert_int_eq(b->col_type(r, 6), STV_REAL);
    return ST_OK;
}

START_TEST(statements_by_id_with_rows)
{
    st_conn *c;
    ck_assert_int_eq(B->conn_get(db, &c), ST_OK);
    ck_assert_int_eq(B->begin(c, 1), ST_OK);
    st_val m[6] = {st_text("mb"), st_text("name ✓"), st_text("{}"), st_real(12.5),
                   st_text("local"), st_int(1)};
    int64_t changes = -1;
    ck_assert_int_eq(B->run(c, Q_MODEL_INSERT_OWNED, m, 6, NULL, NULL, &changes), ST_OK);
    ck_assert_int_eq(changes, 1);
    static const unsigned char blob[] = {1, 0, 2, 0, 255};
    st_val v[7] = {st_text("mb"), st_int(1), st_text("init"), st_real(12.5),
                   st_real_or_null(NAN), st_blob(blob, sizeof blob), st_int(0xdeadbeef)};
    ck_assert_int_eq(B->run(c, Q_VERSION_INSERT, v, 7, NULL, NULL, NULL), ST_OK);
    /* the same key again: a conflict; the transaction is then spoiled */
    ck_assert_int_eq(B->run(c, Q_VERSION_INSERT, v, 7, NULL, NULL, NULL), ST_CONFLICT);
    B->rollback(c);
    /* again, committed this time */
    ck_assert_int_eq(B->begin(c, 1), ST_OK);
    ck_assert_int_eq(B->run(c, Q_MODEL_INSERT_OWNED, m, 6, NULL, NULL, NULL), ST_OK);
    ck_assert_int_eq(B->run(c, Q_VERSION_INSERT, v, 7, NULL, NULL, NULL), ST_OK);
    ck_assert_int_eq(B->commit(c), ST_OK);
    got g = {0};
    st_val id = st_text("mb");
    ck_assert_int_eq(B->run(c, Q_MODEL_GET, &id, 1, model_row, &g, NULL), ST_OK);
    ck_assert_int_eq(g.rows, 1);
    ck_assert_str_eq(g.id, "mb");
    ck_assert_str_eq(g.name, "name ✓");
    ck_assert_int_eq(g.version, 1);
    ck_assert_int_eq(g.samples, 0);
    ck_assert_int_eq(g.loss_type, STV_NULL);
    ck_assert(g.created == 12.5);
    ck_assert_str_eq(g.owner_name, "local");
    ck_assert_int_eq(g.pub, 1);
    /* a missing parent is NOT_FOUND */
    st_val orphan[7] = {st_text("nope"), st_int(1), st_text("init"), st_real(1), st_null(),
                        st_blob(blob, 1), st_int(0)};
    ck_assert_int_eq(B->run(c, Q_VERSION_INSERT, orphan, 7, NULL, NULL, NULL), ST_NOT_FOUND);
    B->conn_put(db, c);
}
END_TEST

static st_status blob_row(st_row *r, void *arg)
{
    size_t len = 0;
    const unsigned char *b = r->b->col_blob(r, 1, &len);
    ck_assert_uint_eq(len, 5);
    ck_assert_int_eq(b[4], 255);
    ck_assert_int_eq(r->b->col_int(r, 2), 0xdeadbeef);
    *(int *)arg += 1;
    return ST_OK;
}

START_TEST(blobs_and_big_ints_round_trip)
{
    st_conn *c;
    ck_assert_int_eq(B->conn_get(db, &c), ST_OK);
    st_val m[6] = {st_text("mb"), st_text("n"), st_text("{}"), st_real(1), st_text("local"),
                   st_int(0)};
    ck_assert_int_eq(B->run(c, Q_MODEL_INSERT_OWNED, m, 6, NULL, NULL, NULL), ST_OK);
    static const unsigned char blob[] = {1, 0, 2, 0, 255};
    st_val v[7] = {st_text("mb"), st_int(1), st_text("init"), st_real(1), st_real(0.25),
                   st_blob(blob, sizeof blob), st_int(0xdeadbeef)};
    ck_assert_int_eq(B->run(c, Q_VERSION_INSERT, v, 7, NULL, NULL, NULL), ST_OK);
    st_val q[2] = {st_text("mb"), st_int(0)};
    int rows = 0;
    ck_assert_int_eq(B->run(c, Q_VERSION_GET, q, 2, blob_row, &rows, NULL), ST_OK);
    ck_assert_int_eq(rows, 1);
    B->conn_put(db, c);
}
END_TEST

START_TEST(last_insert_id_of_an_attempt)
{
    st_conn *c;
    ck_assert_int_eq(B->conn_get(db, &c), ST_OK);
    st_val m[6] = {st_text("mb"), st_text("n"), st_text("{}"), st_real(1), st_text("local"),
                   st_int(0)};
    ck_assert_int_eq(B->run(c, Q_MODEL_INSERT_OWNED, m, 6, NULL, NULL, NULL), ST_OK);
    st_val e[8] = {st_text("exb"), st_text("local"), st_text("t"), st_text("\"x\""), st_int(1),
                   st_int(1), st_real(1e-4), st_real(1)};
    st_val eid = st_text("exb");
    ck_assert_int_eq(B->run(c, Q_EXERCISE_DELETE, &eid, 1, NULL, NULL, NULL), ST_OK);
    ck_assert_int_eq(B->run(c, Q_EXERCISE_INSERT, e, 8, NULL, NULL, NULL), ST_OK);
    int64_t ids[2];
    for (int k = 0; k < 2; k++) {
        st_val a[8] = {st_text("exb"), st_text("local"), st_real(2), st_int(3), st_int(2),
                       st_real(2.0 / 3), st_text(""), st_int(0)};
        ck_assert_int_eq(B->run(c, Q_ATTEMPT_INSERT, a, 8, NULL, NULL, NULL), ST_OK);
        ids[k] = B->last_insert_id(c);
    }
    ck_assert_int_gt(ids[0], 0);
    ck_assert_int_eq(ids[1], ids[0] + 1);
    ck_assert_int_eq(B->run(c, Q_EXERCISE_DELETE, &eid, 1, NULL, NULL, NULL), ST_OK);
    B->conn_put(db, c);
}
END_TEST

/* Four writers read the sample count, wait, write count + 1, at once: the
 * writers' lock runs them one after the other, each on its first try. */
static void *bump(void *arg)
{
    int *ok = arg;
    st_conn *c;
    ck_assert_int_eq(B->conn_get(db, &c), ST_OK);
    for (int tries = 1;; tries++) {
        st_status s = B->begin(c, 1);
        int64_t n = -1;
        st_val id = st_text("mb");
        if (s == ST_OK) {
            got g = {0};
            s = B->run(c, Q_MODEL_GET, &id, 1, model_row, &g, NULL);
            n = g.samples;
        }
        usleep(10000);
        if (s == ST_OK) {
            st_val v[3] = {st_text("mb"), st_int(n + 1), st_real(3)};
            s = B->run(c, Q_SAMPLES_SET_TOTAL, v, 3, NULL, NULL, NULL);
        }
        if (s == ST_OK)
            s = B->commit(c);
        else
            B->rollback(c);
        if (s == ST_OK) {
            *ok = tries;
            break;
        }
        if (!B->retry(c, tries)) {
            *ok = -1;
            break;
        }
    }
    B->conn_put(db, c);
    return NULL;
}

START_TEST(writers_run_one_at_a_time)
{
    st_conn *c;
    ck_assert_int_eq(B->conn_get(db, &c), ST_OK);
    st_val m[6] = {st_text("mb"), st_text("n"), st_text("{}"), st_real(1), st_text("local"),
                   st_int(0)};
    ck_assert_int_eq(B->run(c, Q_MODEL_INSERT_OWNED, m, 6, NULL, NULL, NULL), ST_OK);
    B->conn_put(db, c);
    pthread_t t[4];
    int ok[4] = {0, 0, 0, 0};
    for (int k = 0; k < 4; k++)
        pthread_create(&t[k], NULL, bump, &ok[k]);
    for (int k = 0; k < 4; k++)
        pthread_join(t[k], NULL);
    for (int k = 0; k < 4; k++)
        ck_assert_int_eq(ok[k], 1);
    ck_assert_int_eq(B->conn_get(db, &c), ST_OK);
    got g = {0};
    st_val id = st_text("mb");
    ck_assert_int_eq(B->run(c, Q_MODEL_GET, &id, 1, model_row, &g, NULL), ST_OK);
    ck_assert_int_eq(g.samples, 4);
    B->conn_put(db, c);
}
END_TEST

/* pg_on_change: a version another connection commits reaches fn with the
 * model's id; after pg_on_change(db, NULL, NULL) nothing more arrives. */
static pthread_mutex_t ch_mu = PTHREAD_MUTEX_INITIALIZER;
static int ch_resets, ch_hits;
static char ch_last[32];

static void on_change(void *arg, const char *id)
{
    (void)arg;
    pthread_mutex_lock(&ch_mu);
    if (!id)
        ch_resets++;
    else {
        ch_hits++;
        snprintf(ch_last, sizeof ch_last, "%s", id);
    }
    pthread_mutex_unlock(&ch_mu);
}

static int wait_hits(int n)
{
    for (int k = 0; k < 3000; k++) {
        pthread_mutex_lock(&ch_mu);
        int reached = ch_hits >= n;
        pthread_mutex_unlock(&ch_mu);
        if (reached)
            return k;
        usleep(1000);
    }
    return -1;
}

START_TEST(changes_of_other_nodes_arrive)
{
    st_conn *c;
    ck_assert_int_eq(B->conn_get(db, &c), ST_OK);
    st_val m[6] = {st_text("mb"), st_text("n"), st_text("{}"), st_real(1), st_text("local"),
                   st_int(0)};
    ck_assert_int_eq(B->run(c, Q_MODEL_INSERT_OWNED, m, 6, NULL, NULL, NULL), ST_OK);
    ch_resets = ch_hits = 0;
    ck_assert_int_eq(pg_on_change(db, on_change, NULL), 0);
    for (int k = 0; k < 3000 && !ch_resets; k++)
        usleep(1000);
    ck_assert_int_eq(ch_resets, 1); /* listening: "re-read everything" once */
    st_val v[4] = {st_text("mb"), st_int(2), st_real(2), st_null()};
    ck_assert_int_eq(B->run(c, Q_MODEL_SET_VERSION, v, 4, NULL, NULL, NULL), ST_OK);
    int ms = wait_hits(1);
    ck_assert_msg(ms >= 0 && ms < 200, "heard within 200 ms (%d)", ms);
    ck_assert_str_eq(ch_last, "mb");
    ck_assert_int_eq(pg_on_change(db, NULL, NULL), 0);
    st_val id = st_text("mb");
    ck_assert_int_eq(B->run(c, Q_MODEL_DELETE, &id, 1, NULL, NULL, NULL), ST_OK);
    usleep(100000);
    ck_assert_int_eq(ch_hits, 1);
    B->conn_put(db, c);
}
END_TEST

/* pg_on_cancel: Q_CANCEL_SPREAD sent by another node (another st_db on
 * the same database) reaches fn with the job's id; after pg_on_change(db,
 * NULL, NULL) stops the listener nothing more arrives. */
static int cn_hits;
static char cn_last[32];

static void on_cancel(void *arg, const char *job_id)
{
    (void)arg;
    pthread_mutex_lock(&ch_mu);
    cn_hits++;
    snprintf(cn_last, sizeof cn_last, "%s", job_id);
    pthread_mutex_unlock(&ch_mu);
}

static int cancels(void)
{
    pthread_mutex_lock(&ch_mu);
    int n = cn_hits;
    pthread_mutex_unlock(&ch_mu);
    return n;
}

START_TEST(cancels_of_other_nodes_arrive)
{
    st_db *other = NULL;
    char err[256] = "";
    ck_assert_msg(B->open(conninfo, &other, err, sizeof err) == ST_OK, "%s", err);
    ck_assert_ptr_nonnull(B->on_cancel);
    cn_hits = ch_resets = 0;
    B->on_cancel(db, on_cancel, NULL);
    ck_assert_int_eq(pg_on_change(db, on_change, NULL), 0);
    for (int k = 0; k < 3000 && !ch_resets; k++)
        usleep(1000);
    ck_assert_int_eq(ch_resets, 1);
    st_conn *c;
    ck_assert_int_eq(B->conn_get(other, &c), ST_OK);
    st_val id = st_text("0123456789abcdef");
    ck_assert_int_eq(B->begin(c, 1), ST_OK);
    ck_assert_int_eq(B->run(c, Q_CANCEL_SPREAD, &id, 1, NULL, NULL, NULL), ST_OK);
    usleep(50000);
    ck_assert_int_eq(cancels(), 0); /* sent at COMMIT, not before */
    ck_assert_int_eq(B->commit(c), ST_OK);
    int ms = -1;
    for (int k = 0; k < 3000; k++) {
        if (cancels() >= 1) {
            ms = k;
            break;
        }
        usleep(1000);
    }
    ck_assert_msg(ms >= 0 && ms < 200, "heard within 200 ms (%d)", ms);
    ck_assert_str_eq(cn_last, "0123456789abcdef");
    ck_assert_int_eq(pg_on_change(db, NULL, NULL), 0);
    ck_assert_int_eq(B->run(c, Q_CANCEL_SPREAD, &id, 1, NULL, NULL, NULL), ST_OK);
    usleep(100000);
    ck_assert_int_eq(cancels(), 1);
    B->conn_put(other, c);
    B->close(other);
}
END_TEST

int main(void)
{
    conninfo = getenv("MLPD_TEST_PG");
    if (!conninfo || !*conninfo) {
        printf("test_pg_backend: MLPD_TEST_PG is not set (make test-pg starts a cluster): "
               "nothing run\n");
        return EXIT_SUCCESS;
    }
    Suite *s = suite_create("pg_backend");
    TCase *tc = tcase_create("vtable");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, accepts_urls_and_conninfo_only);
    tcase_add_test(tc, open_twice_migrates_once);
    tcase_add_test(tc, statements_by_id_with_rows);
    tcase_add_test(tc, blobs_and_big_ints_round_trip);
    tcase_add_test(tc, last_insert_id_of_an_attempt);
    tcase_add_test(tc, writers_run_one_at_a_time);
    tcase_add_test(tc, changes_of_other_nodes_arrive);
    tcase_add_test(tc, cancels_of_other_nodes_arrive);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
