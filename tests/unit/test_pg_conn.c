/*
 * test_pg_conn.c - the PostgreSQL backend's bottom layer against a real
 * server: migrations (once, twice, two pools at once), binary parameters
 * and results round trip bit for bit, the error mapping (unique and
 * foreign-key violations, writers one at a time under the writers' lock,
 * a lock timeout retried until it passes, a lost connection answered ST_BUSY and then reconnected, a
 * COMMIT whose connection dies on it answered ST_OUTCOME_UNKNOWN).
 *
 * MLPD_TEST_PG is the conninfo of an empty database (`make test-pg`
 * starts a throwaway cluster for it). Without it the suite says so and
 * runs nothing.
 */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/pg/pg_internal.h"

/* Run with PQexec (a prepared statement holds one command); each test
 * starts from fresh tables. */
static const char *const create_sql =
    "DROP TABLE IF EXISTS t_child, t_vals, t_counter; "
    "CREATE TABLE IF NOT EXISTS t_vals (k text PRIMARY KEY, i bigint, d double precision, "
    "s text, b bytea); CREATE TABLE IF NOT EXISTS t_child (k text REFERENCES t_vals (k)); "
    "CREATE TABLE IF NOT EXISTS t_counter (n bigint); "
    "INSERT INTO t_counter SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM t_counter)";
/* a deferred trigger that ends its own backend at COMMIT */
static const char *const doom_sql =
    "CREATE OR REPLACE FUNCTION t_die() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN "
    "PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $f$; "
    "CREATE TABLE IF NOT EXISTS t_doomed (x int); DROP TRIGGER IF EXISTS t_die ON t_doomed; "
    "CREATE CONSTRAINT TRIGGER t_die AFTER INSERT ON t_doomed DEFERRABLE INITIALLY DEFERRED "
    "FOR EACH ROW EXECUTE FUNCTION t_die()";

enum {
    T_PUT,
    T_GET,
    T_CHILD,
    T_COUNT,
    T_BUMP,
    T_READ_N,
    T_PID,
    T_DOOM,
    T_N
};

static const pg_stmt test_stmts[T_N] = {
    [T_PUT] = {"INSERT INTO t_vals (k, i, d, s, b) VALUES ($1, $2, $3, $4, $5)", "tidtb"},
    [T_GET] = {"SELECT i, d, s, b FROM t_vals WHERE k = $1", "t"},
    [T_CHILD] = {"INSERT INTO t_child (k) VALUES ($1)", "t"},
    [T_COUNT] = {"SELECT n FROM t_counter", ""},
    [T_BUMP] = {"UPDATE t_counter SET n = $1", "i"},
    [T_READ_N] = {"SELECT count(*), sum(i)::bigint, $1::bigint FROM t_vals", "i"},
    [T_PID] = {"SELECT pg_backend_pid()", ""},
    [T_DOOM] = {"INSERT INTO t_doomed VALUES (1)", ""},
};

static const char *conninfo;
static pg_pool pool;

static void setup(void)
{
    char err[256] = "";
    ck_assert_msg(pg_pool_open(&pool, conninfo, test_stmts, T_N, 8, err, sizeof err) == ST_OK,
                  "open: %s", err);
    pg_conn *c;
    ck_assert_int_eq(pg_conn_get(&pool, &c), ST_OK);
    PGresult *r = PQexec(c->pc, create_sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "%s", PQerrorMessage(c->pc));
    PQclear(r);
    pg_conn_put(&pool, c);
}

static void teardown(void)
{
    pg_pool_close(&pool);
}

static pg_val vint(int64_t i) { return (pg_val){.type = PGV_INT, .i = i}; }
static pg_val vreal(double d) { return (pg_val){.type = PGV_REAL, .d = d}; }
static pg_val vtext(const char *s) { return (pg_val){.type = PGV_TEXT, .p = s}; }
static pg_val vblob(const void *b, size_t n) { return (pg_val){.type = PGV_BLOB, .p = b, .len = n}; }
static pg_val vnull(void) { return (pg_val){.type = PGV_NULL}; }

START_TEST(bad_conninfo_is_refused)
{
    pg_pool p2;
    char err[256] = "";
    ck_assert_int_eq(pg_pool_open(&p2, "host=/nonexistent/dir dbname=x connect_timeout=2",
                                  test_stmts, T_N, 2, err, sizeof err),
                     ST_ERROR);
    ck_assert_msg(strlen(err) > 10, "a sentence: '%s'", err);
}
END_TEST

/* The session setting of a lent connection, as the server reports it. */
static char *show_idle(pg_conn *c)
{
    PGresult *r = PQexec(c->pc, "SHOW idle_in_transaction_session_timeout");
    ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
    char *v = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

START_TEST(idle_transaction_limit_follows_the_pool)
{
    pg_conn *c;
    ck_assert_int_eq(pg_conn_get(&pool, &c), ST_OK);
    char *v = show_idle(c);
    ck_assert_str_eq(v, "5s"); /* the default */
    free(v);
    pg_conn_put(&pool, c);
    /* lowered below a 2 s lease: pooled and new sessions take it */
    pg_pool_set_idle_tx(&pool, 1000);
    pg_conn *a, *b;
    ck_assert_int_eq(pg_conn_get(&pool, &a), ST_OK);
    ck_assert_int_eq(pg_conn_get(&pool, &b), ST_OK);
    v = show_idle(a);
    ck_assert_str_eq(v, "1s");
    free(v);
    v = show_idle(b);
    ck_assert_str_eq(v, "1s");
    free(v);
    /* and the server ends a transaction left idle past it */
    PQclear(PQexec(a->pc, "BEGIN"));
    usleep(1600 * 1000);
    PGresult *r = PQexec(a->pc, "SELECT 1");
    ck_assert_int_ne(PQresultStatus(r), PGRES_TUPLES_OK);
    PQclear(r);
    a->broken = 1;
    pg_conn_put(&pool, a);
    pg_conn_put(&pool, b);
}
END_TEST

START_TEST(migrations_apply_once)
{
    char err[256] = "";
    pg_conn *c;
    ck_assert_int_eq(pg_conn_get(&pool, &c), ST_OK);
    ck_assert_msg(pg_migrate(c, err, sizeof err) == ST_OK, "%s", err);
    ck_assert_msg(pg_migrate(c, err, sizeof err) == ST_OK, "again: %s", err);
    PGresult *r = PQexec(c->pc, "SELECT count(*), max(version) FROM schema_migrations");
    ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
    ck_assert_int_eq(atoi(PQgetvalue(r, 0, 0)), (int)st_pg_migrations_count);
    ck_assert_int_eq(atoi(PQgetvalue(r, 0, 1)), (int)st_pg_migrations_count);
    PQclear(r);
    /* the tables of every migration are there, the dropped one is not */
    r = PQexec(c->pc, "SELECT count(*) FROM information_schema.tables WHERE table_name IN "
                      "('models','versions','samples','jobs','users','user_usage','idempotency',"
                      "'history_chunks','exercises','exercise_attempts','history','job_warnings',"
                      "'history_extra','datasets','dataset_scores')");
    ck_assert_int_eq(atoi(PQgetvalue(r, 0, 0)), 14);
    PQclear(r);
    pg_conn_put(&pool, c);
}
END_TEST

START_TEST(values_round_trip_in_binary)
{
    static const unsigned char bytes[] = {0, 1, 0xff, 0, '\\', 'x', 0x80};
    const double ds[] = {0.1, -0.0, 1e-308, 4.9e-324, 1.7976931348623157e308, -3.5, NAN};
    const int64_t is[] = {0, -1, INT64_MIN, INT64_MAX, 1LL << 53, 42, 7};
    const char *ss[] = {"", "plain", "ünïcödé ✓", "quote ' and \\ back", "x", "y", "z"};
    pg_conn *c;
    ck_assert_int_eq(pg_conn_get(&pool, &c), ST_OK);
    for (int k = 0; k < 7; k++) {
        char key[16];
        snprintf(key, sizeof key, "rt%d", k);
        pg_val v[5] = {vtext(key), vint(is[k]), vreal(ds[k]), vtext(ss[k]), vblob(bytes, k)};
        ck_assert_int_eq(pg_run(&pool, c, T_PUT, v, 5, NULL), ST_OK);
        PGresult *r;
        ck_assert_int_eq(pg_run(&pool, c, T_GET, v, 1, &r), ST_OK);
        ck_assert_int_eq(PQntuples(r), 1);
        ck_assert_int_eq(pg_check_columns(r, "idtb"), ST_OK);
        ck_assert_int_eq(pg_check_columns(r, "iitb"), ST_ERROR);
        ck_assert(pg_int(r, 0, 0) == is[k]);
        double got = pg_real_or_nan(r, 0, 1);
        if (isnan(ds[k]))
            ck_assert(isnan(got));
        else
            ck_assert(memcmp(&got, &ds[k], sizeof got) == 0); /* bit for bit, -0 too */
        ck_assert_str_eq(pg_text(r, 0, 2), ss[k]);
        size_t n;
        const void *b = pg_blob(r, 0, 3, &n);
        ck_assert_uint_eq(n, (size_t)k);
        ck_assert(k == 0 || memcmp(b, bytes, n) == 0);
        PQclear(r);
    }
    /* NULLs in, NULLs out; an int given for a double is converted */
    pg_val v[5] = {vtext("nul"), vnull(), vint(3), vnull(), vnull()};
    ck_assert_int_eq(pg_run(&pool, c, T_PUT, v, 5, NULL), ST_OK);
    PGresult *r;
    ck_assert_int_eq(pg_run(&pool, c, T_GET, v, 1, &r), ST_OK);
    ck_assert(pg_is_null(r, 0, 0) && pg_is_null(r, 0, 2) && pg_is_null(r, 0, 3));
    ck_assert(pg_real_or_nan(r, 0, 1) == 3.0);
    ck_assert_ptr_null(pg_text(r, 0, 2));
    char *dup = (char *)1;
    ck_assert_int_eq(pg_strdup(r, 0, 2, &dup), ST_OK);
    ck_assert_ptr_null(dup);
    PQclear(r);
    /* a text given where an int is declared is refused before sending */
    pg_val bad[5] = {vtext("bad"), vtext("1"), vreal(1), vtext("s"), vnull()};
    ck_assert_int_eq(pg_run(&pool, c, T_PUT, bad, 5, NULL), ST_ERROR);
    /* a wrong parameter count too */
    ck_assert_int_eq(pg_run(&pool, c, T_PUT, bad, 4, NULL), ST_ERROR);
    pg_conn_put(&pool, c);
}
END_TEST

START_TEST(constraint_errors_map)
{
    pg_conn *c;
    ck_assert_int_eq(pg_conn_get(&pool, &c), ST_OK);
    pg_val v[5] = {vtext("dup"), vint(1), vreal(1), vtext("a"), vnull()};
    ck_assert_int_eq(pg_run(&pool, c, T_PUT, v, 5, NULL), ST_OK);
    ck_assert_int_eq(pg_run(&pool, c, T_PUT, v, 5, NULL), ST_CONFLICT);
    ck_assert_str_eq(c->sqlstate, "23505");
    pg_val child = vtext("no such parent");
    ck_assert_int_eq(pg_run(&pool, c, T_CHILD, &child, 1, NULL), ST_NOT_FOUND);
    ck_assert_int_eq(c->retry, 0);
    pg_conn_put(&pool, c);
}
END_TEST

/* Read the counter, wait, write counter + 1, from two threads at once:
 * the writers' lock runs them one after the other (no lost update, no
 * retry); a writer that cannot get the lock within lock_timeout (another
 * session holds it 3 s) is retried by pg_tx and passes once it is free. */
static st_status bump_body(pg_pool *p, pg_conn *c, void *arg)
{
    (void)arg;
    PGresult *r;
    st_status s = pg_run(p, c, T_COUNT, NULL, 0, &r);
    if (s != ST_OK)
        return s;
    int64_t n = pg_int(r, 0, 0);
    PQclear(r);
    usleep(20000);
    pg_val v = vint(n + 1);
    return pg_run(p, c, T_BUMP, &v, 1, NULL);
}

static void *bump_thread(void *arg)
{
    st_status *out = arg;
    *out = pg_tx(&pool, 1, bump_body, NULL);
    return NULL;
}

static int64_t counter(void)
{
    pg_conn *c;
    ck_assert_int_eq(pg_conn_get(&pool, &c), ST_OK);
    PGresult *r;
    ck_assert_int_eq(pg_run(&pool, c, T_COUNT, NULL, 0, &r), ST_OK);
    int64_t n = pg_int(r, 0, 0);
    PQclear(r);
    pg_conn_put(&pool, c);
    return n;
}

START_TEST(writers_run_one_at_a_time)
{
    char err[256] = "";
    pg_conn *c;
    ck_assert_int_eq(pg_conn_get(&pool, &c), ST_OK);
    ck_assert_msg(pg_migrate(c, err, sizeof err) == ST_OK, "%s", err); /* the lock's table */
    pg_conn_put(&pool, c);
    int64_t before = counter(), retries0 = pool.retries;
    pthread_t t[4];
    st_status s[4];
    for (int k = 0; k < 4; k++)
        pthread_create(&t[k], NULL, bump_thread, &s[k]);
    for (int k = 0; k < 4; k++)
        pthread_join(t[k], NULL);
    for (int k = 0; k < 4; k++)
        ck_assert_int_eq(s[k], ST_OK);
    ck_assert(counter() == before + 4); /* every increment, none lost */
    ck_assert_int_eq(pool.retries, retries0);
}
END_TEST

static void *hold_lock(void *arg)
{
    PGconn *pc = arg;
    PQclear(PQexec(pc, "BEGIN; LOCK TABLE schema_migrations IN SHARE ROW EXCLUSIVE MODE"));
    usleep(3000000);
    PQclear(PQexec(pc, "COMMIT"));
    return NULL;
}

START_TEST(a_lock_timeout_is_retried)
{
    char err[256] = "";
    pg_conn *c;
    ck_assert_int_eq(pg_conn_get(&pool, &c), ST_OK);
    ck_assert_msg(pg_migrate(c, err, sizeof err) == ST_OK, "%s", err);
    pg_conn_put(&pool, c);
    int64_t before = counter(), retries0 = pool.retries;
    PGconn *other = PQconnectdb(conninfo);
    ck_assert_int_eq(PQstatus(other), CONNECTION_OK);
    pthread_t t;
    pthread_create(&t, NULL, hold_lock, other);
    usleep(200000);
    ck_assert_int_eq(pg_tx(&pool, 1, bump_body, NULL), ST_OK);
    pthread_join(t, NULL);
    PQfinish(other);
    ck_assert(counter() == before + 1);
    ck_assert_int_ge(pool.retries, retries0 + 1); /* 55P03 after 2 s, then again */
}
END_TEST

START_TEST(lost_connection_is_busy_then_reconnects)
{
    pg_conn *c;
    ck_assert_int_eq(pg_conn_get(&pool, &c), ST_OK);
    PGresult *r;
    ck_assert_int_eq(pg_run(&pool, c, T_PID, NULL, 0, &r), ST_OK);
    int pid = (int)pg_int(r, 0, 0);
    PQclear(r);
    pg_conn_put(&pool, c);
    /* another session ends the pooled one */
    PGconn *other = PQconnectdb(conninfo);
    ck_assert_int_eq(PQstatus(other), CONNECTION_OK);
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", pid);
    PQclear(PQexec(other, sql));
    PQfinish(other);
    usleep(100000);
    /* whichever pooled connection comes back: the dead one answers BUSY
     * once; then the pool has reconnected */
    int busy = 0, ok = 0;
    for (int k = 0; k < 10 && ok < 3; k++) {
        ck_assert_int_eq(pg_conn_get(&pool, &c), ST_OK);
        st_status s = pg_run(&pool, c, T_PID, NULL, 0, &r);
        if (s == ST_OK) {
            ok++;
            ck_assert_int_ne((int)pg_int(r, 0, 0), pid);
            PQclear(r);
        } else {
            ck_assert_int_eq(s, ST_BUSY);
            ck_assert(c->broken);
            busy++;
        }
        pg_conn_put(&pool, c);
    }
    ck_assert_int_le(busy, 1);
    ck_assert_int_eq(ok, 3);
}
END_TEST

static st_status doomed_body(pg_pool *p, pg_conn *c, void *arg)
{
    (void)arg;
    return pg_run(p, c, T_DOOM, NULL, 0, NULL);
}

START_TEST(commit_without_answer_is_outcome_unknown)
{
    pg_conn *c;
    ck_assert_int_eq(pg_conn_get(&pool, &c), ST_OK);
    PGresult *d = PQexec(c->pc, doom_sql);
    ck_assert_msg(PQresultStatus(d) == PGRES_COMMAND_OK, "%s", PQerrorMessage(c->pc));
    PQclear(d);
    pg_conn_put(&pool, c);
    ck_assert_int_eq(pg_tx(&pool, 1, doomed_body, NULL), ST_OUTCOME_UNKNOWN);
    /* the pool goes on with a new connection */
    ck_assert_int_eq(pg_conn_get(&pool, &c), ST_OK);
    PGresult *r;
    ck_assert_int_eq(pg_run(&pool, c, T_PID, NULL, 0, &r), ST_OK);
    PQclear(r);
    pg_conn_put(&pool, c);
}
END_TEST

/* Every statement of the backend's table prepares against the migrated
 * schema with its declared parameter types (a typo, a wrong column or a
 * type PostgreSQL cannot take fails here, not in a request). */
START_TEST(every_statement_prepares)
{
    char err[256] = "";
    pg_conn *c;
    ck_assert_int_eq(pg_conn_get(&pool, &c), ST_OK);
    ck_assert_msg(pg_migrate(c, err, sizeof err) == ST_OK, "%s", err);
    for (int id = 0; id < Q_N_STMTS; id++) {
        const pg_stmt *st = &pg_sql[id];
        if (id == Q_BEGIN_WRITE || id == Q_BEGIN_READ || id == Q_COMMIT || id == Q_ROLLBACK)
            continue; /* pg_begin and pg_commit's, no text */
        ck_assert_msg(st->sql && st->types, "statement %d has text and types", id);
        Oid oids[32];
        const char *types = st->types + (st->types[0] == 'R');
        int n = (int)strlen(types);
        ck_assert_int_le(n, 24);
        for (int k = 0; k < n; k++)
            oids[k] = types[k] == 'i' ? 20 : types[k] == 'd' ? 701 : types[k] == 't' ? 25 : 17;
        char name[16];
        snprintf(name, sizeof name, "chk%d", id);
        PGresult *r = PQprepare(c->pc, name, st->sql, n, oids);
        ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "statement %d: %s", id,
                      PQerrorMessage(c->pc));
        PQclear(r);
        /* the server agrees on the parameter count and types */
        r = PQdescribePrepared(c->pc, name);
        ck_assert_int_eq(PQnparams(r), n);
        for (int k = 0; k < n; k++)
            ck_assert_msg(PQparamtype(r, k) == oids[k], "statement %d param %d", id, k + 1);
        PQclear(r);
    }
    pg_conn_put(&pool, c);
}
END_TEST

/* ---- the LISTEN thread ---------------------------------------------- */

static pthread_mutex_t heard_mu = PTHREAD_MUTEX_INITIALIZER;
static char heard[8][32];
static int n_heard, n_resets;

static void on_notify(void *arg, const char *channel, const char *payload)
{
    (void)arg;
    pthread_mutex_lock(&heard_mu);
    if (!channel)
        n_resets++;
    else if (n_heard < 8 && !strcmp(channel, PG_CHANNEL_MODELS))
        snprintf(heard[n_heard++], sizeof heard[0], "%s", payload);
    pthread_mutex_unlock(&heard_mu);
}

/* Wait up to 3 s for cond; the milliseconds it took, or -1. */
#define WAIT_FOR(cond)                                                          \
    ({                                                                          \
        int ms_ = -1;                                                           \
        for (int k_ = 0; k_ < 3000; k_++) {                                     \
            pthread_mutex_lock(&heard_mu);                                      \
            int ok_ = (cond);                                                   \
            pthread_mutex_unlock(&heard_mu);                                    \
            if (ok_) {                                                          \
                ms_ = k_;                                                       \
                break;                                                          \
            }                                                                   \
            usleep(1000);                                                       \
        }                                                                       \
        ms_;                                                                    \
    })

static void sql_ok(PGconn *pc, const char *sql);
static void sql_ok(PGconn *pc, const char *sql)
{
    PGresult *r = PQexec(pc, sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
                  "%s: %s", sql, PQerrorMessage(pc));
    PQclear(r);
}

START_TEST(a_new_version_reaches_the_listener)
{
    char err[256] = "";
    pg_conn *c;
    ck_assert_int_eq(pg_conn_get(&pool, &c), ST_OK);
    ck_assert_msg(pg_migrate(c, err, sizeof err) == ST_OK, "%s", err);
    pg_conn_put(&pool, c);
    n_heard = n_resets = 0;
    static const char *const channels[] = {PG_CHANNEL_MODELS};
    pg_listener l;
    ck_assert_int_eq(pg_listener_start(&l, conninfo, channels, 1, on_notify, NULL), 0);
    ck_assert_int_ge(WAIT_FOR(n_resets == 1), 0);
    PGconn *w = PQconnectdb(conninfo);
    ck_assert_int_eq(PQstatus(w), CONNECTION_OK);
    sql_ok(w, "DELETE FROM models WHERE id IN ('m1', 'm2')");
    ck_assert_int_ge(WAIT_FOR(n_heard == 0), 0);
    n_heard = 0;
    sql_ok(w, "INSERT INTO models (id, name, spec_json, created_at, updated_at, owner) "
              "VALUES ('m1', 'a', '{}', 0, 0, 'local'), ('m2', 'b', '{}', 0, 0, 'local')");
    /* nothing until COMMIT; then the one model whose version moved */
    sql_ok(w, "BEGIN");
    sql_ok(w, "UPDATE models SET version = 2 WHERE id = 'm1'");
    usleep(50000);
    pthread_mutex_lock(&heard_mu);
    ck_assert_int_eq(n_heard, 0);
    pthread_mutex_unlock(&heard_mu);
    sql_ok(w, "COMMIT");
    int ms = WAIT_FOR(n_heard == 1);
    ck_assert_msg(ms >= 0 && ms < 200, "heard within 200 ms (%d)", ms);
    ck_assert_str_eq(heard[0], "m1");
    /* a rolled-back change sends nothing; a delete does */
    sql_ok(w, "BEGIN");
    sql_ok(w, "UPDATE models SET version = 3 WHERE id = 'm2'");
    sql_ok(w, "ROLLBACK");
    sql_ok(w, "DELETE FROM models WHERE id = 'm2'");
    ck_assert_int_ge(WAIT_FOR(n_heard == 2), 0);
    ck_assert_str_eq(heard[1], "m2");
    /* the listener's connection dies: it comes back, says "re-read",
     * and hears the next change */
    sql_ok(w, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
              "WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()");
    ck_assert_int_ge(WAIT_FOR(n_resets == 2), 0);
    sql_ok(w, "UPDATE models SET version = 4 WHERE id = 'm1'");
    ck_assert_int_ge(WAIT_FOR(n_heard == 3), 0);
    ck_assert_str_eq(heard[2], "m1");
    PQfinish(w);
    pg_listener_stop(&l);
    ck_assert_int_eq((int)l.connects, 2);
}
END_TEST

/* The start-up recovery fails a running job only when no other node is
 * connected: a live node's jobs are left alone. */
START_TEST(recovery_leaves_other_nodes_jobs_alone)
{
    char err[256] = "";
    pg_pool sp; /* a pool running the backend's own table */
    ck_assert_msg(pg_pool_open(&sp, conninfo, pg_sql, Q_N_STMTS, 2, err, sizeof err) == ST_OK, "%s",
                  err);
    pg_conn *c;
    ck_assert_int_eq(pg_conn_get(&sp, &c), ST_OK);
    ck_assert_msg(pg_migrate(c, err, sizeof err) == ST_OK, "%s", err);
    sql_ok(c->pc, "DELETE FROM models WHERE id = 'rj'");
    sql_ok(c->pc, "INSERT INTO models (id, name, spec_json, created_at, updated_at, owner) "
                  "VALUES ('rj', 'r', '{}', 0, 0, 'local')");
    sql_ok(c->pc, "INSERT INTO jobs (id, model_id, status, params_json, created_at) "
                  "VALUES ('rjob', 'rj', 'running', '{}', 0)");
    char ci[512];
    snprintf(ci, sizeof ci, "%s application_name='mlpd otherhost:1'", conninfo);
    PGconn *other = PQconnectdb(ci);
    ck_assert_int_eq(PQstatus(other), CONNECTION_OK);
    pg_val now = vreal(5);
    int64_t changed = -1;
    PGresult *r;
    ck_assert_int_eq(pg_run(&sp, c, Q_JOB_RECOVER, &now, 1, &r), ST_OK);
    changed = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    ck_assert_int_eq(changed, 0); /* the other node lives */
    PQfinish(other);
    usleep(200000); /* its session ends on the server */
    ck_assert_int_eq(pg_run(&sp, c, Q_JOB_RECOVER, &now, 1, &r), ST_OK);
    changed = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    ck_assert_int_eq(changed, 1);
    r = PQexec(c->pc, "SELECT status, stop_reason FROM jobs WHERE id = 'rjob'");
    ck_assert_str_eq(PQgetvalue(r, 0, 0), "failed");
    ck_assert_str_eq(PQgetvalue(r, 0, 1), "interrupted");
    PQclear(r);
    sql_ok(c->pc, "DELETE FROM models WHERE id = 'rj'");
    pg_conn_put(&sp, c);
    pg_pool_close(&sp);
}
END_TEST

int main(void)
{
    conninfo = getenv("MLPD_TEST_PG");
    if (!conninfo || !*conninfo) {
        printf("test_pg_conn: MLPD_TEST_PG is not set (make test-pg starts a cluster): "
               "nothing run\n");
        return EXIT_SUCCESS;
    }
    Suite *s = suite_create("pg_conn");
    TCase *tc = tcase_create("pg");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, bad_conninfo_is_refused);
    tcase_add_test(tc, migrations_apply_once);
    tcase_add_test(tc, every_statement_prepares);
    tcase_add_test(tc, values_round_trip_in_binary);
    tcase_add_test(tc, constraint_errors_map);
    tcase_add_test(tc, writers_run_one_at_a_time);
    tcase_add_test(tc, a_lock_timeout_is_retried);
    tcase_add_test(tc, lost_connection_is_busy_then_reconnects);
    tcase_add_test(tc, commit_without_answer_is_outcome_unknown);
    tcase_add_test(tc, a_new_version_reaches_the_listener);
    tcase_add_test(tc, recovery_leaves_other_nodes_jobs_alone);
    tcase_add_test(tc, idle_transaction_limit_follows_the_pool);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
