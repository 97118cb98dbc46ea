/*
 * storage.c - opening the database, migrations, the connection pool,
 * transactions and the small helpers the other storage_*.c files share.
 *
 * Design: a storage handle owns the path and a mutex-protected free list of
 * connections. A call borrows one connection (opening a new one when the
 * list is empty), so every connection is used by one thread at a time and
 * SQLite's own mutexes are off (SQLITE_OPEN_NOMUTEX). Each connection keeps
 * its prepared statements (st_sql[], prepared on first use, persistent).
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
#include "storage/storage_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 5000

struct storage {
    char *path;
    pthread_mutex_t mu;
    st_conn *free_list; /* idle connections */
    atomic_int read_only; /* set by a failed flush at COMMIT, never cleared */
};

const char *st_status_name(st_status s)
{
    switch (s) {
    case ST_OK: return "ok";
    case ST_NOT_FOUND: return "not_found";
    case ST_CONFLICT: return "conflict";
    case ST_LIMIT: return "limit";
    case ST_BUSY: return "busy";
    case ST_FULL: return "full";
    case ST_OUTCOME_UNKNOWN: return "outcome_unknown";
    case ST_READ_ONLY: return "read_only";
    case ST_NOMEM: return "nomem";
    case ST_CORRUPT: return "corrupt";
    case ST_ERROR: return "error";
    case ST_QUOTA: return "quota";
    }
    return "unknown";
}

st_status st_map(int rc)
{
    switch (rc) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW: return ST_OK;
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE: return ST_CONFLICT;
    case SQLITE_CONSTRAINT_FOREIGNKEY: return ST_NOT_FOUND;
    default: break;
    }
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ST_BUSY;
    case SQLITE_FULL: return ST_FULL;
    case SQLITE_NOMEM: return ST_NOMEM;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return ST_CORRUPT;
    default: return ST_ERROR;
    }
}

/* ---- connections ------------------------------------------------------ */

static void conn_close(st_conn *c)
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
static st_status conn_open(const char *path, st_conn **out, char *err, size_t errlen)
{
    *out = NULL;
    st_conn *c = calloc(1, sizeof *c);
    if (!c)
        return ST_NOMEM;
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
        rc = st_history_functions(c->db);
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
        rc = sqlite3_prepare_v3(c->db, st_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                &c->stmt[i], NULL);
    if (rc != SQLITE_OK) {
        st_status s = st_map(rc);
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

st_status st_conn_get(storage *s, st_conn **out)
{
    pthread_mutex_lock(&s->mu);
    st_conn *c = s->free_list;
    if (c)
        s->free_list = c->next;
    pthread_mutex_unlock(&s->mu);
    if (c) {
        c->next = NULL;
        *out = c;
        return ST_OK;
    }
    st_status rc = conn_open(s->path, out, NULL, 0);
    if (rc == ST_OK)
        (*out)->owner = s;
    return rc;
}

int storage_read_only(storage *s)
{
    return s && atomic_load(&s->read_only);
}

void st_conn_put(storage *s, st_conn *c)
{
    if (!c)
        return;
    st_rollback(c);
    if (!sqlite3_get_autocommit(c->db)) {
        conn_close(c); /* could not roll back: never hand it out again */
        return;
    }
    pthread_mutex_lock(&s->mu);
    c->next = s->free_list;
    s->free_list = c;
    pthread_mutex_unlock(&s->mu);
}

/* ---- statements and transactions -------------------------------------- */

st_status st_stmt(st_conn *c, st_stmt_id id, sqlite3_stmt **out)
{
    *out = NULL;
    if (!c->stmt[id]) {
        int rc = sqlite3_prepare_v3(c->db, st_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                    &c->stmt[id], NULL);
        if (rc != SQLITE_OK)
            return st_map(rc);
    }
    *out = c->stmt[id];
    return ST_OK;
}

void st_done(sqlite3_stmt *st)
{
    if (!st)
        return;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

st_status st_exec(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    st_done(st);
    return rc == SQLITE_DONE ? ST_OK : st_map(rc == SQLITE_ROW ? SQLITE_MISUSE : rc);
}

st_status st_begin(st_conn *c, int write)
{
    if (write && c->owner && atomic_load(&c->owner->read_only))
        return ST_READ_ONLY;
    sqlite3_stmt *st = c->stmt[write ? Q_BEGIN_WRITE : Q_BEGIN_READ];
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? ST_OK : st_map(rc);
}

void st_rollback(st_conn *c)
{
    if (sqlite3_get_autocommit(c->db))
        return;
    sqlite3_stmt *st = c->stmt[Q_ROLLBACK];
    sqlite3_step(st);
    sqlite3_reset(st);
}

st_status st_commit(st_conn *c)
{
    sqlite3_stmt *st = c->stmt[Q_COMMIT];
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return ST_OK;
    /* a failed write or flush at COMMIT may still have reached the disk
     * (measured: a sync failing with SQLITE_FULL left the transaction in
     * the file): nobody can tell, so neither "done" nor "not done" */
    int kind = rc & 0xff;
    st_status s = kind == SQLITE_IOERR || kind == SQLITE_FULL ? ST_OUTCOME_UNKNOWN : st_map(rc);
    if (s == ST_OUTCOME_UNKNOWN && c->owner)
        atomic_store(&c->owner->read_only, 1);
    st_rollback(c);
    return s == ST_OK ? ST_ERROR : s;
}

st_status st_finish(st_conn *c, st_status rc)
{
    if (rc == ST_OK)
        return st_commit(c);
    st_rollback(c);
    return rc;
}

/* ---- binding and reading columns -------------------------------------- */

int st_bind_real_or_null(sqlite3_stmt *st, int i, double v)
{
    return isnan(v) ? sqlite3_bind_null(st, i) : sqlite3_bind_double(st, i, v);
}

int st_bind_time(sqlite3_stmt *st, int i, double t)
{
    return t == 0 ? sqlite3_bind_null(st, i) : sqlite3_bind_double(st, i, t);
}

int st_bind_text(sqlite3_stmt *st, int i, const char *text)
{
    return text ? sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

double st_col_real_or_nan(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

double st_col_time(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : sqlite3_column_double(st, i);
}

st_status st_col_strdup(sqlite3_stmt *st, int i, char **out)
{
    *out = NULL;
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return ST_OK;
    const unsigned char *text = sqlite3_column_text(st, i);
    if (!text)
        return ST_NOMEM; /* the conversion to text failed */
    size_t len = (size_t)sqlite3_column_bytes(st, i);
    char *copy = malloc(len + 1);
    if (!copy)
        return ST_NOMEM;
    memcpy(copy, text, len);
    copy[len] = '\0';
    *out = copy;
    return ST_OK;
}

st_status st_col_copy(sqlite3_stmt *st, int i, char *buf, size_t cap)
{
    buf[0] = '\0';
    const unsigned char *text = sqlite3_column_text(st, i);
    if (!text)
        return sqlite3_column_type(st, i) == SQLITE_NULL ? ST_CORRUPT : ST_NOMEM;
    size_t len = (size_t)sqlite3_column_bytes(st, i);
    if (len >= cap)
        return ST_CORRUPT; /* our own columns are never this long */
    memcpy(buf, text, len + 1);
    return ST_OK;
}

st_status st_model_samples(st_conn *c, const char *id, int64_t *samples)
{
    sqlite3_stmt *st;
    st_status s = st_stmt(c, Q_MODEL_EXISTS, &st);
    if (s != ST_OK)
        return s;
    int rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (samples)
            *samples = sqlite3_column_int64(st, 0);
        s = ST_OK;
    } else {
        s = rc == SQLITE_DONE ? ST_NOT_FOUND : st_map(rc);
    }
    st_done(st);
    return s;
}

double st_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void *st_grow(void *arr, size_t *cap, size_t elem)
{
    size_t n = *cap ? *cap * 2 : 16;
    if (n < *cap || n > SIZE_MAX / elem)
        return NULL;
    void *p = realloc(arr, n * elem);
    if (p)
        *cap = n;
    return p;
}

/* ---- open, migrate, close --------------------------------------------- */

static st_status quick_check(st_conn *c, char *err, size_t errlen)
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
        s = st_map(rc);
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
static st_status migrate_one(st_conn *c, const st_migration *m, char *err, size_t errlen)
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
    st_status s = st_map(sqlite3_extended_errcode(c->db));
    st_rollback(c);
    return s == ST_OK ? ST_ERROR : s;
}

static st_status migrate(st_conn *c, char *err, size_t errlen)
{
    int64_t have = 0;
    int rc = user_version(c->db, &have);
    if (rc != SQLITE_OK) {
        say(err, errlen, "cannot read the schema version", c->db, rc);
        return st_map(rc) == ST_OK ? ST_ERROR : st_map(rc);
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

st_status storage_open(const char *path, storage **out, char *err, size_t errlen)
{
    char scratch[2];
    if (!err || !errlen) {
        err = scratch;
        errlen = sizeof scratch;
    }
    err[0] = '\0';
    *out = NULL;
    if (!path || !path[0] || strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0) {
        snprintf(err, errlen, "the database must be a file path (each pooled connection "
                 "would see its own in-memory database)");
        return ST_ERROR;
    }
    storage *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        snprintf(err, errlen, "out of memory");
        return ST_NOMEM;
    }
    pthread_mutex_init(&s->mu, NULL);
    st_conn *c = NULL;
    st_status rc = create_private(path, err, errlen);
    if (rc == ST_OK)
        rc = conn_open(path, &c, err, errlen);
    if (rc == ST_OK)
        rc = quick_check(c, err, errlen);
    if (rc == ST_OK)
        rc = migrate(c, err, errlen);
    if (rc != ST_OK) {
        conn_close(c);
        storage_close(s);
        return rc;
    }
    c->owner = s;
    st_conn_put(s, c);
    *out = s;
    return ST_OK;
}

void storage_close(storage *s)
{
    if (!s)
        return;
    st_conn *c = s->free_list;
    while (c) {
        st_conn *next = c->next;
        conn_close(c);
        c = next;
    }
    pthread_mutex_destroy(&s->mu);
    free(s->path);
    free(s);
}

/* ---- ids -------------------------------------------------------------- */

int storage_new_id(char buf[17])
{
    unsigned char raw[8];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            buf[0] = '\0';
            return -1;
        }
        got += (size_t)n;
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof raw; i++) {
        buf[2 * i] = hex[raw[i] >> 4];
        buf[2 * i + 1] = hex[raw[i] & 15];
    }
    buf[16] = '\0';
    return 0;
}
