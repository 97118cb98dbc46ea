/*
 * sqlite_db.c - the SQLite backend's handle: opening the database (file,
 * pragmas, integrity check, migrations), its connection pool, and the
 * st_backend table that plugs it into storage (storage/backend.h).
 *
 * Design: the handle owns the path and a mutex-protected free list of
 * connections. A call borrows one connection (opening a new one when the
 * list is empty), so every connection is used by one thread at a time and
 * SQLite's own mutexes are off (SQLITE_OPEN_NOMUTEX). Each connection keeps
 * its prepared statements (sq_sql[], prepared on first use, persistent).
 * Writes run in BEGIN IMMEDIATE, so two writers never deadlock on a lock
 * upgrade and busy_timeout is the only wait; reads that must agree with
 * each other run in one BEGIN ... COMMIT snapshot. A connection goes back
 * to the pool only with no transaction open.
 *
 * Open checks, in order: the file (created 0600), the pragmas (WAL,
 * synchronous=FULL, foreign keys, defensive), quick_check, then the schema
 * version: migrations newer than user_version run, each in its own
 * transaction; a version newer than this binary knows is refused.
 */
#include "storage/sqlite/sqlite_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/storage_internal.h"

#define BUSY_TIMEOUT_MS 5000

/* ---- the SQL function migration 0005 uses --------------------------------- */

/* mlpd_epoch_record(epoch, loss, val_loss, time): one history record, for
 * the migration that moved rows of the old history table into chunks. */
static void epoch_record_sql(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    st_epoch e;
    e.epoch = sqlite3_value_int64(argv[0]);
    e.loss = sqlite3_value_type(argv[1]) == SQLITE_NULL ? NAN : sqlite3_value_double(argv[1]);
    e.val_loss = sqlite3_value_type(argv[2]) == SQLITE_NULL ? NAN : sqlite3_value_double(argv[2]);
    e.time = sqlite3_value_double(argv[3]);
    unsigned char rec[ST_EPOCH_RECORD_BYTES];
    st_epoch_record(&e, rec);
    sqlite3_result_blob(ctx, rec, ST_EPOCH_RECORD_BYTES, SQLITE_TRANSIENT);
}

static int history_functions(sqlite3 *db)
{
    return sqlite3_create_function(db, "mlpd_epoch_record", 4,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY,
                                   NULL, epoch_record_sql, NULL, NULL);
}

/* ---- connections ------------------------------------------------------ */

static void conn_close(sq_conn *c)
{
    if (!c)
        return;
    for (int i = 0; i < Q_N_STMTS; i++)
        sqlite3_finalize(c->stmt[i]);
    sqlite3_close(c->db); /* every statement is finalized: cannot be busy */
    free(c);
}

/* Run a pragma that answers one text row and compare it with want. */
static int pragma_expect(sqlite3 *db, const char *sql, const char *want)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *got = sqlite3_column_text(st, 0);
        rc = got && strcmp((const char *)got, want) == 0 ? SQLITE_OK : SQLITE_ERROR;
    }
    sqlite3_finalize(st);
    return rc;
}

static void say(char *err, size_t errlen, const char *what, sqlite3 *db, int rc)
{
    if (err && errlen)
        snprintf(err, errlen, "%s: %s", what,
                 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

/* Open one connection with the settings every connection needs. */
static st_status conn_open(const char *path, sq_conn **out, char *err, size_t errlen)
{
    *out = NULL;
    sq_conn *c = calloc(1, sizeof *c);
    if (!c)
        return ST_NOMEM;
    c->base.b = &st_sqlite_backend;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                SQLITE_OPEN_EXRESCODE;
    int rc = sqlite3_open_v2(path, &c->db, flags, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_db_config(c->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
    if (rc == SQLITE_OK)
        rc = history_functions(c->db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(c->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    /* the first statement that reads the file: a junk file fails here */
    if (rc == SQLITE_OK)
        rc = pragma_expect(c->db, "PRAGMA journal_mode = WAL", "wal");
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(c->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
    /* transaction control is prepared up front so a rollback never needs
     * memory it may not get */
    for (int i = Q_BEGIN_WRITE; rc == SQLITE_OK && i <= Q_ROLLBACK; i++)
        rc = sqlite3_prepare_v3(c->db, sq_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                &c->stmt[i], NULL);
    if (rc != SQLITE_OK) {
        st_status s = sq_map(rc);
        if (s == ST_CORRUPT)
            say(err, errlen, "the file is not an SQLite database or is damaged", c->db, rc);
        else
            say(err, errlen, "cannot set up the database connection", c->db, rc);
        conn_close(c);
        return s == ST_OK ? ST_ERROR : s;
    }
    *out = c;
    return ST_OK;
}

static st_status conn_get(st_db *s, st_conn **out)
{
    pthread_mutex_lock(&s->mu);
    sq_conn *c = s->free_list;
    if (c)
        s->free_list = c->next;
    pthread_mutex_unlock(&s->mu);
    if (c) {
        c->next = NULL;
        *out = &c->base;
        return ST_OK;
    }
    st_status rc = conn_open(s->path, &c, NULL, 0);
    if (rc == ST_OK) {
        c->owner = s;
        *out = &c->base;
    }
    return rc;
}

static int db_read_only(st_db *s)
{
    return atomic_load(&s->read_only);
}

static void conn_put(st_db *s, st_conn *base)
{
    if (!base)
        return;
    sq_conn *c = sq_of(base);
    sq_rollback(base);
    if (!sqlite3_get_autocommit(c->db)) {
        conn_close(c); /* could not roll back: never hand it out again */
        return;
    }
    pthread_mutex_lock(&s->mu);
    c->next = s->free_list;
    s->free_list = c;
    pthread_mutex_unlock(&s->mu);
}

/* ---- open, migrate, close --------------------------------------------- */

static st_status quick_check(sq_conn *c, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(c->db, "PRAGMA quick_check", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    st_status s = ST_OK;
    if (rc == SQLITE_ROW) {
        const unsigned char *got = sqlite3_column_text(st, 0);
        if (!got || strcmp((const char *)got, "ok") != 0) {
            snprintf(err, errlen, "the database failed its integrity check (%s); "
                     "restore it from a backup", got ? (const char *)got : "no answer");
            s = ST_CORRUPT;
        }
    } else {
        s = sq_map(rc);
        say(err, errlen, "the database integrity check could not run", c->db, rc);
        if (s == ST_OK)
            s = ST_ERROR;
    }
    sqlite3_finalize(st);
    return s;
}

static int user_version(sqlite3 *db, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Apply one migration in its own write transaction, unless another process
 * got there first (user_version is read again under the lock). */
static st_status migrate_one(sq_conn *c, const st_migration *m, char *err, size_t errlen)
{
    char set_version[64];
    /* PRAGMA takes no parameters; the number is our own table's */
    snprintf(set_version, sizeof set_version, "PRAGMA user_version = %d", m->version);
    int64_t have = 0;
    int rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = user_version(c->db, &have);
    if (rc == SQLITE_OK && have < m->version) {
        rc = sqlite3_exec(c->db, m->sql, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(c->db, set_version, NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return ST_OK;
    char what[160];
    snprintf(what, sizeof what, "schema migration %s failed", m->name);
    say(err, errlen, what, c->db, rc);
    st_status s = sq_map(sqlite3_extended_errcode(c->db));
    sq_rollback(&c->base);
    return s == ST_OK ? ST_ERROR : s;
}

static st_status migrate(sq_conn *c, char *err, size_t errlen)
{
    int64_t have = 0;
    int rc = user_version(c->db, &have);
    if (rc != SQLITE_OK) {
        say(err, errlen, "cannot read the schema version", c->db, rc);
        return sq_map(rc) == ST_OK ? ST_ERROR : sq_map(rc);
    }
    int64_t known = (int64_t)st_migrations_count;
    if (have > known || have < 0) {
        snprintf(err, errlen, "the database has schema version %lld but this mlpd knows "
                 "versions up to %lld; use a newer mlpd", (long long)have, (long long)known);
        return ST_ERROR;
    }
    for (size_t i = 0; i < st_migrations_count; i++) {
        const st_migration *m = &st_migrations[i];
        if (m->version != (int)i + 1) {
            snprintf(err, errlen, "embedded migrations are out of order at %s", m->name);
            return ST_ERROR;
        }
        if (m->version <= have)
            continue;
        st_status s = migrate_one(c, m, err, errlen);
        if (s != ST_OK)
            return s;
    }
    return ST_OK;
}

/* Create the file readable by its owner only; SQLite gives the -wal and
 * -shm files the database file's permissions. An existing file is kept. */
static st_status create_private(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open the file: %s", strerror(errno));
        return ST_ERROR;
    }
    close(fd);
    return ST_OK;
}

static int db_accepts(const char *where)
{
    (void)where;
    return 1; /* the default: anything another backend does not take is a path */
}

static void db_close(st_db *s);

static st_status db_open(const char *path, st_db **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!path || !path[0] || strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0) {
        snprintf(err, errlen, "the database must be a file path (each pooled connection "
                 "would see its own in-memory database)");
        return ST_ERROR;
    }
    st_db *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        snprintf(err, errlen, "out of memory");
        return ST_NOMEM;
    }
    pthread_mutex_init(&s->mu, NULL);
    sq_conn *c = NULL;
    st_status rc = create_private(path, err, errlen);
    if (rc == ST_OK)
        rc = conn_open(path, &c, err, errlen);
    if (rc == ST_OK)
        rc = quick_check(c, err, errlen);
    if (rc == ST_OK)
        rc = migrate(c, err, errlen);
    if (rc != ST_OK) {
        conn_close(c);
        db_close(s);
        return rc;
    }
    c->owner = s;
    conn_put(s, &c->base);
    *out = s;
    return ST_OK;
}

static void db_close(st_db *s)
{
    if (!s)
        return;
    sq_conn *c = s->free_list;
    while (c) {
        sq_conn *next = c->next;
        conn_close(c);
        c = next;
    }
    pthread_mutex_destroy(&s->mu);
    free(s->path);
    free(s);
}

static int db_retry(st_conn *c, int tries)
{
    (void)c;
    (void)tries;
    return 0; /* BEGIN IMMEDIATE and busy_timeout: nothing to run again */
}

const st_backend st_sqlite_backend = {
    .name = "sqlite",
    .accepts = db_accepts,
    .open = db_open,
    .close = db_close,
    .read_only = db_read_only,
    .conn_get = conn_get,
    .conn_put = conn_put,
    .run = sq_run,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .last_insert_id = sq_last_insert_id,
    .retry = db_retry,
    .col_type = sq_col_type,
    .col_int = sq_col_int,
    .col_real = sq_col_real,
    .col_text = sq_col_text,
    .col_blob = sq_col_blob,
};
