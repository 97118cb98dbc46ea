/*
 * test_storage_faults.c - the storage module under injected faults:
 * SQLite allocation failure, I/O error and disk full at the N-th call, for
 * N = 1, 2, ... until a script of storage operations runs without meeting
 * the fault, once (transient) and from N on (persistent).
 *
 * For every N: each call answers a status (ST_OK or a clean error, never a
 * crash; ASan checks leaks in `make unit-asan`); then, with the fault
 * lifted, the file passes PRAGMA integrity_check and holds exactly the
 * acknowledged writes: every count lies between "what was acknowledged"
 * and "that plus what answered outcome_unknown", the per-model sample
 * counts match their batches, and a keyed sample post retried after its
 * acknowledgement adds nothing. After an outcome_unknown the storage takes
 * no more writes (ST_READ_ONLY), which the accounting treats as a clean
 * refusal.
 *
 * The databases live under /dev/shm when it exists (fsync is cheap there;
 * the faults are injected above the file system anyway).
 */
#include <check.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mlp.h"
#include "storage/storage.h"
#include "util_faultvfs.h"
#include "util_storage.h"

#define MAX_N 20000 /* a bound for the loops; the script needs far fewer */

/* The malloc loops open a fresh database per N (about 4000 allocations
 * for the whole script): every N once; every 3rd N when failing from N on
 * (neighbouring N fail the same statement). Under ASan, four times as
 * sparse, to keep `make test` within its time. */
#if defined(__SANITIZE_ADDRESS__)
#define MEM_STEP_ONCE 4
#define MEM_STEP_PERSISTENT 12
#else
#define MEM_STEP_ONCE 1
#define MEM_STEP_PERSISTENT 3
#endif

static char dir[128];
static char db_path[192];

static void remove_db(void)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[256];
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(p, sizeof p, "%s%s", db_path, suffix[i]);
        unlink(p);
    }
}

static void setup(void)
{
    struct stat sb;
    const char *base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) &&
                               access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/mlpd-faults-XXXXXX", base);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(db_path, sizeof db_path, "%s/f.db", dir);
    ck_assert_int_eq(faultmem_install(), 0);
    ck_assert_int_eq(faultvfs_install(), 0);
}

static void teardown(void)
{
    faultmem_disarm();
    faultvfs_disarm();
    remove_db();
    rmdir(dir);
    faultmem_uninstall();
}

/* ---- what the script writes, and what it expects ----------------------- */

typedef struct range {
    int64_t lo, hi;
} range;

typedef struct expect {
    range models, versions, samples, jobs, history, keys;
    int job_done;      /* 1 acked, 0 not, -1 maybe */
    int key_acked;     /* the first keyed post: 1 acked, 0 not, -1 maybe */
} expect;

/* Account for one write of k rows into r by its status. */
static void account(range *r, st_status s, int64_t k)
{
    ck_assert_msg(s >= ST_OK && s <= ST_ERROR, "status %d is not a st_status", (int)s);
    if (s == ST_OK) {
        r->lo += k;
        r->hi += k;
    } else if (s == ST_OUTCOME_UNKNOWN) {
        r->hi += k;
    }
}

static int ack(st_status s) { return s == ST_OK ? 1 : s == ST_OUTCOME_UNKNOWN ? -1 : 0; }

static unsigned char *model_blob(size_t *len)
{
    mlp_spec spec = {2, 2, {{3, MLP_ACT_SIGMOID}, {1, MLP_ACT_LINEAR}}, MLP_LOSS_MSE};
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_new(&spec, NULL, NULL, &net), MLP_OK);
    ck_assert_int_eq(mlp_init(net, MLP_INIT_XAVIER_UNIFORM, 7, 0), MLP_OK);
    size_t cap = mlp_saved_size(net);
    unsigned char *b = malloc(cap);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(mlp_save(net, b, cap, len), MLP_OK);
    mlp_free(net);
    return b;
}

static const char SPEC[] = "{\"inputs\":2,\"layers\":[{\"units\":3,\"activation\":\"sigmoid\"},"
                           "{\"units\":1,\"activation\":\"linear\"}],\"loss\":\"mse\","
                           "\"init\":{\"method\":\"xavier_uniform\",\"seed\":7}}";

/* The script: every storage write the daemon makes, in the order a client
 * would, on model A, then an import of model B, then a keyed retry. */
static void run_script(storage *s, expect *e)
{
    static const double x3[] = {0, 0, 1, 0, 0.5, -1}, y3[] = {0, 1, 0.25};
    static const double x2[] = {2, 2, 3, 3}, y2[] = {2, 3};
    const char *A = "00000000000000aa", *B = "00000000000000bb";
    size_t len = 0;
    unsigned char *blob = model_blob(&len);

    st_status r = t_model_create(s, A, "a", SPEC, blob, len);
    account(&e->models, r, 1);
    account(&e->versions, r, 1);
    account(&e->samples, t_samples_add(s, A, 3, 2, 1, x3, y3, 0, NULL), 3);
    int64_t added = -1, total = -1;
    int replayed = -1;
    r = t_samples_add_keyed(s, A, "key-1", "h1", 2, 2, 1, x2, y2, 0, &added, &total,
                                  &replayed);
    account(&e->samples, r, 2);
    account(&e->keys, r, 1);
    e->key_acked = ack(r);
    if (r == ST_OK)
        ck_assert_msg(added == 2 && replayed == 0, "first keyed post: added %lld replayed %d",
                      (long long)added, replayed);
    int64_t v = 0;
    account(&e->versions, storage_weights_put(s, A, "put", blob, len, 0.5, &v), 1);

    st_job job;
    memset(&job, 0, sizeof job);
    memcpy(job.id, "00000000000000j1", 17);
    memcpy(job.model_id, A, 17);
    strcpy(job.status, "queued");
    job.params_json = (char *)"{\"epochs\":3}";
    job.epochs = 3;
    job.loss = job.val_loss = NAN;
    job.created_at = 1e9;
    account(&e->jobs, storage_job_create(s, &job), 1);
    strcpy(job.status, "succeeded");
    job.epoch = 3;
    job.loss = 0.125;
    job.started_at = 1e9 + 1;
    job.finished_at = 1e9 + 2;
    e->job_done = ack(storage_job_update(s, &job));
    st_epoch ep[3] = {{1, 0.5, NAN, 1e9}, {2, 0.25, NAN, 1e9}, {3, 0.125, NAN, 1e9}};
    account(&e->history, storage_history_append(s, A, job.id, ep, 3), 3);

    st_import_version vs[2] = {{1, "init", 1e9, NAN, blob, len}, {4, "train", 1e9, 0.1, blob, len}};
    st_job ij;
    memset(&ij, 0, sizeof ij);
    memcpy(ij.id, "00000000000000j2", 17);
    strcpy(ij.status, "succeeded");
    ij.params_json = (char *)"{}";
    ij.loss = ij.val_loss = NAN;
    st_history_row ih[2] = {{"00000000000000j2", {1, 0.5, NAN, 1e9}},
                            {"00000000000000j2", {2, 0.4, NAN, 1e9}}};
    st_import im = {B, "b", SPEC, 4, 0.1, vs, 2, 2, 2, 1, x2, y2, &ij, 1, ih, 2};
    r = storage_model_import(s, &im);
    account(&e->models, r, 1);
    account(&e->versions, r, 2);
    account(&e->samples, r, 2);
    account(&e->jobs, r, 1);
    account(&e->history, r, 2);

    /* the client retries its keyed post (its answer may have been lost) */
    r = t_samples_add_keyed(s, A, "key-1", "h1", 2, 2, 1, x2, y2, 0, &added, &total,
                                  &replayed);
    ck_assert(r >= ST_OK && r <= ST_ERROR);
    if (r == ST_OK && e->key_acked == 1)
        ck_assert_msg(replayed == 1 && added == 2, "retry after an ack replays");
    if (r == ST_OK && replayed == 0) {
        account(&e->samples, r, 2);
        account(&e->keys, r, 1);
    } else if (r == ST_OUTCOME_UNKNOWN && e->key_acked != 1) {
        account(&e->samples, r, 2);
        account(&e->keys, r, 1);
    }
    free(blob);
}

static int64_t count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void in_range(const char *what, int64_t got, range r, size_t n, const char *mode)
{
    ck_assert_msg(got >= r.lo && got <= r.hi, "%s N=%zu: %s = %lld, expected %lld..%lld",
                  mode, n, what, (long long)got, (long long)r.lo, (long long)r.hi);
}

/* With the fault lifted: integrity, then exactly the acknowledged writes. */
static void verify(const expect *e, size_t n, const char *mode, int opened)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_msg(strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0,
                  "%s N=%zu: integrity_check: %s", mode, n, sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (opened) {
        in_range("models", count(db, "SELECT count(*) FROM models"), e->models, n, mode);
        in_range("versions", count(db, "SELECT count(*) FROM versions"), e->versions, n, mode);
        in_range("samples", count(db, "SELECT coalesce(sum(samples), 0) FROM models"),
                 e->samples, n, mode);
        in_range("jobs", count(db, "SELECT count(*) FROM jobs"), e->jobs, n, mode);
        in_range("history", count(db, "SELECT coalesce(sum(n), 0) FROM history_chunks"), e->history, n, mode);
        in_range("keys", count(db, "SELECT count(*) FROM idempotency"), e->keys, n, mode);
        /* each model's count is its batches' (no torn write) and its
         * current version is stored */
        ck_assert_int_eq(count(db, "SELECT count(*) FROM models m WHERE samples != "
                                   "(SELECT coalesce(sum(n), 0) FROM samples WHERE model_id = m.id)"),
                         0);
        ck_assert_int_eq(count(db, "SELECT count(*) FROM models m WHERE NOT EXISTS (SELECT 1 "
                                   "FROM versions v WHERE v.model_id = m.id AND v.version = m.version)"),
                         0);
        int64_t done = count(db, "SELECT count(*) FROM jobs WHERE id = '00000000000000j1' AND "
                                 "status = 'succeeded'");
        if (e->job_done == 1)
            ck_assert_msg(done == 1, "%s N=%zu: an acknowledged job update is missing", mode, n);
        if (e->job_done == 0)
            ck_assert_msg(done == 0, "%s N=%zu: a failed job update is there", mode, n);
    }
    sqlite3_close(db);
}

typedef enum injector { INJ_MEM, INJ_IO } injector;

/* One loop: N = 1, 2, ... until the script no longer meets the fault.
 * The fault is armed before storage_open, so opening and migrating are
 * part of the script. Returns the last N. */
static size_t fault_loop(injector inj, fault_kind kind, int persistent, size_t step,
                         const char *mode)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t n;
    for (n = 1; n <= MAX_N; n += step) {
        remove_db();
        expect e;
        memset(&e, 0, sizeof e);
        if (inj == INJ_MEM)
            faultmem_arm(n, persistent);
        else
            faultvfs_arm(n, kind, persistent);
        storage *s = NULL;
        char err[256];
        st_status r = storage_open(db_path, &s, err, sizeof err);
        ck_assert(r >= ST_OK && r <= ST_ERROR);
        if (r == ST_OK) {
            run_script(s, &e);
            storage_close(s);
        }
        size_t hit = inj == INJ_MEM ? faultmem_failures() : faultvfs_failures();
        faultmem_disarm();
        faultvfs_disarm();
        if (r != ST_OK) {
            ck_assert_msg(hit > 0, "%s N=%zu: open failed without a fault: %s", mode, n, err);
            /* a refused open leaves a usable file behind: it opens now */
            storage *again = NULL;
            ck_assert_msg(storage_open(db_path, &again, err, sizeof err) == ST_OK,
                          "%s N=%zu: reopen after a failed open: %s", mode, n, err);
            storage_close(again);
        }
        verify(&e, n, mode, r == ST_OK);
        if (hit == 0)
            break;
    }
    ck_assert_msg(n <= MAX_N, "%s: the script met the fault at every N up to %d", mode, MAX_N);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fprintf(stderr, "storage faults: %-22s N = 1..%zu step %zu, every run clean (%.1f s)\n",
            mode, n, step,
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return n;
}

START_TEST(malloc_failure_once)
{
    ck_assert_uint_gt(fault_loop(INJ_MEM, FAULT_IOERR, 0, MEM_STEP_ONCE, "malloc fails once"), 100);
}
END_TEST

START_TEST(malloc_failure_from_n)
{
    ck_assert_uint_gt(fault_loop(INJ_MEM, FAULT_IOERR, 1, MEM_STEP_PERSISTENT, "malloc fails from N"), 100);
}
END_TEST

START_TEST(io_error_once)
{
    ck_assert_uint_gt(fault_loop(INJ_IO, FAULT_IOERR, 0, 1, "I/O error once"), 10);
}
END_TEST

START_TEST(io_error_from_n)
{
    ck_assert_uint_gt(fault_loop(INJ_IO, FAULT_IOERR, 1, 1, "I/O error from N"), 10);
}
END_TEST

START_TEST(disk_full_once)
{
    ck_assert_uint_gt(fault_loop(INJ_IO, FAULT_FULL, 0, 1, "disk full once"), 10);
}
END_TEST

START_TEST(disk_full_from_n)
{
    ck_assert_uint_gt(fault_loop(INJ_IO, FAULT_FULL, 1, 1, "disk full from N"), 10);
}
END_TEST

/* A failed flush at COMMIT is "outcome unknown" and makes the storage
 * read-only; after a reopen (a restart) a keyed retry adds the samples
 * exactly once. */
START_TEST(failed_commit_flush_then_keyed_retry)
{
    storage *s = NULL;
    char err[256];
    ck_assert_int_eq(storage_open(db_path, &s, err, sizeof err), ST_OK);
    size_t len = 0;
    unsigned char *blob = model_blob(&len);
    const char *A = "00000000000000aa";
    ck_assert_int_eq(t_model_create(s, A, "a", SPEC, blob, len), ST_OK);
    free(blob);
    static const double x[] = {1, 2}, y[] = {3};
    /* count the write and sync calls of one keyed post, then fail its last
     * sync: the flush at COMMIT */
    faultvfs_arm(SIZE_MAX, FAULT_IOERR, 0);
    int64_t added, total;
    int replayed;
    ck_assert_int_eq(t_samples_add_keyed(s, A, "probe", "p", 1, 2, 1, x, y, 0, &added,
                                               &total, &replayed), ST_OK);
    size_t calls = faultvfs_calls();
    faultvfs_disarm();
    ck_assert_uint_ge(calls, 2);
    faultvfs_arm(calls, FAULT_IOERR, 0);
    st_status r = t_samples_add_keyed(s, A, "k", "h", 1, 2, 1, x, y, 0, &added, &total,
                                            &replayed);
    ck_assert_uint_eq(faultvfs_failures(), 1);
    faultvfs_disarm();
    ck_assert_msg(r == ST_OUTCOME_UNKNOWN, "a failed flush at COMMIT answers %s",
                  st_status_name(r));
    /* then no more writes (PostgreSQL's rule), but reads go on */
    ck_assert_int_eq(storage_read_only(s), 1);
    ck_assert_int_eq(t_samples_add_keyed(s, A, "k", "h", 1, 2, 1, x, y, 0, &added,
                                               &total, &replayed), ST_READ_ONLY);
    ck_assert_int_eq(storage_weights_put(s, A, "put", (const unsigned char *)"x", 1, NAN, NULL),
                     ST_READ_ONLY);
    st_model m;
    ck_assert_int_eq(storage_model_get(s, A, &m), ST_OK);
    st_model_clear(&m);
    /* a restart reopens from what is on disk; the keyed retry adds once */
    storage_close(s);
    s = NULL;
    ck_assert_int_eq(storage_open(db_path, &s, err, sizeof err), ST_OK);
    ck_assert_int_eq(storage_read_only(s), 0);
    r = t_samples_add_keyed(s, A, "k", "h", 1, 2, 1, x, y, 0, &added, &total, &replayed);
    ck_assert_int_eq(r, ST_OK);
    ck_assert_int_eq(added, 1);
    ck_assert_int_eq(total, 2); /* probe + this one, exactly once */
    ck_assert_int_eq(storage_model_get(s, A, &m), ST_OK);
    ck_assert_int_eq(m.samples, 2);
    st_model_clear(&m);
    fprintf(stderr, "storage faults: failed flush at COMMIT -> outcome_unknown; keyed retry %s\n",
            replayed ? "replayed (the write had landed)" : "wrote it (the write had not landed)");
    storage_close(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("storage_faults");
    TCase *tc = tcase_create("faults");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, failed_commit_flush_then_keyed_retry);
    tcase_add_test(tc, io_error_once);
    tcase_add_test(tc, io_error_from_n);
    tcase_add_test(tc, disk_full_once);
    tcase_add_test(tc, disk_full_from_n);
    tcase_add_test(tc, malloc_failure_once);
    tcase_add_test(tc, malloc_failure_from_n);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
