/*
 * pg_migrate.c - schema/pg/NNNN_*.sql (embedded into st_pg_migrations by
 * scripts/embed-schema.sh) applied at start, against the table
 * schema_migrations (version, name, applied_at).
 *
 * Every migration not yet applied runs in one transaction, under a
 * transaction-level advisory lock, so nodes starting together apply each
 * file once: the second waits for the first, then reads its versions and
 * finds nothing left to do. PostgreSQL's DDL is transactional: a failing
 * file leaves the schema as it was. A database with a version this mlpd
 * does not know is refused (use a newer mlpd).
 *
 * Under the same lock the backend's notification triggers are (re)made:
 * they are the backend's machinery, like the SQL functions SQLite's
 * backend registers, not part of the schema's history. A model whose
 * current version changes, or that is deleted, sends its id on
 * PG_CHANNEL_MODELS (at COMMIT), and every node's listener drops its cached
 * snapshot (pg_listen.c); a job whose epoch or status changes sends its
 * id on PG_CHANNEL_JOBS, which wakes the event streams and waiting
 * replies of every node.
 */
#include "storage/pg/pg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* pg_advisory_xact_lock's key: "mlpd" as a number, any constant will do. */
#define MIGRATE_LOCK "7182635124"

static int exec_ok(PGconn *pc, const char *sql, char *err, size_t errlen, const char *what)
{
    PGresult *r = PQexec(pc, sql);
    ExecStatusType es = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    int ok = es == PGRES_COMMAND_OK || es == PGRES_TUPLES_OK;
    if (!ok) {
        snprintf(err, errlen, "%s: %s", what, PQerrorMessage(pc));
        err[strcspn(err, "\n")] = '\0';
    }
    PQclear(r);
    return ok;
}

/* The highest version applied, or -1 (err says why). */
static long long applied(PGconn *pc, char *err, size_t errlen)
{
    PGresult *r = PQexec(pc, "SELECT coalesce(max(version), 0) FROM schema_migrations");
    long long v = -1;
    if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    else
        snprintf(err, errlen, "cannot read schema_migrations: %s", PQerrorMessage(pc));
    PQclear(r);
    return v;
}

static int record(PGconn *pc, const st_pg_migration *m, char *err, size_t errlen)
{
    char version[16], at[32];
    snprintf(version, sizeof version, "%d", m->version);
    snprintf(at, sizeof at, "%.6f", (double)time(NULL));
    const char *vals[3] = {version, m->name, at};
    PGresult *r = PQexecParams(pc,
                               "INSERT INTO schema_migrations (version, name, applied_at) "
                               "VALUES ($1::integer, $2::text, $3::double precision)",
                               3, NULL, vals, NULL, NULL, 0);
    int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        snprintf(err, errlen, "cannot record migration %s: %s", m->name, PQerrorMessage(pc));
    PQclear(r);
    return ok;
}

static const char *const notify_sql =
    "CREATE OR REPLACE FUNCTION mlpd_notify_model() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN PERFORM pg_notify('" PG_CHANNEL_MODELS "', "
    "CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END); RETURN NULL; END $$; "
    "CREATE OR REPLACE TRIGGER mlpd_models_notify AFTER UPDATE OF version OR DELETE "
    "ON models FOR EACH ROW EXECUTE FUNCTION mlpd_notify_model(); "
    /* a job's epoch or status changed: streams and waiting replies on
     * other nodes look again (not for lease renewals) */
    "CREATE OR REPLACE FUNCTION mlpd_notify_job() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN PERFORM pg_notify('" PG_CHANNEL_JOBS "', NEW.id); RETURN NULL; END $$; "
    "CREATE OR REPLACE TRIGGER mlpd_jobs_notify AFTER UPDATE OF epoch, status ON jobs "
    "FOR EACH ROW WHEN (OLD.epoch IS DISTINCT FROM NEW.epoch OR "
    "OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION mlpd_notify_job()";

static st_status migrate_locked(PGconn *pc, char *err, size_t errlen)
{
    if (!exec_ok(pc, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")", err, errlen,
                 "cannot take the migration lock") ||
        !exec_ok(pc,
                 "CREATE TABLE IF NOT EXISTS schema_migrations ("
                 "version integer PRIMARY KEY, name text NOT NULL, "
                 "applied_at double precision NOT NULL)",
                 err, errlen, "cannot create schema_migrations"))
        return ST_ERROR;
    long long have = applied(pc, err, errlen);
    if (have < 0)
        return ST_ERROR;
    long long known = (long long)st_pg_migrations_count;
    if (have > known) {
        snprintf(err, errlen, "the database has schema version %lld but this mlpd knows "
                 "versions up to %lld; use a newer mlpd", have, known);
        return ST_ERROR;
    }
    for (size_t i = 0; i < st_pg_migrations_count; i++) {
        const st_pg_migration *m = &st_pg_migrations[i];
        if (m->version != (int)i + 1) {
            snprintf(err, errlen, "embedded migrations are out of order at %s", m->name);
            return ST_ERROR;
        }
        if (m->version <= have)
            continue;
        char what[160];
        snprintf(what, sizeof what, "schema migration %s failed", m->name);
        if (!exec_ok(pc, m->sql, err, errlen, what) || !record(pc, m, err, errlen))
            return ST_ERROR;
    }
    if (!exec_ok(pc, notify_sql, err, errlen, "cannot install the notification triggers"))
        return ST_ERROR;
    return ST_OK;
}

st_status pg_migrate(pg_conn *c, char *err, size_t errlen)
{
    if (!exec_ok(c->pc, "BEGIN", err, errlen, "cannot begin the migrations"))
        return ST_ERROR;
    c->in_tx = 1;
    st_status s = migrate_locked(c->pc, err, errlen);
    if (s == ST_OK && !exec_ok(c->pc, "COMMIT", err, errlen, "cannot commit the migrations"))
        s = ST_ERROR;
    c->in_tx = 0;
    if (s != ST_OK)
        pg_rollback(c);
    return s;
}
