/*
 * storage_realdata.c - spec replacement, job warnings and history extras
 * (see storage/realdata.h; tables of schema/0007_realdata.sql).
 *
 * These statements run a few times per job (a flush of epochs, the end)
 * or per CSV post, so each call prepares its statement on the borrowed
 * connection and finalises it, instead of a slot in the shared statement
 * table.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "storage/realdata.h"
#include "storage/storage_internal.h"

/* Prepare sql on c into *out. */
static st_status prep(st_conn *c, const char *sql, sqlite3_stmt **out)
{
    int r = sqlite3_prepare_v2(c->db, sql, -1, out, NULL);
    return r == SQLITE_OK ? ST_OK : st_map(r);
}

st_status storage_model_replace_spec(storage *s, const char *id, const char *old_spec,
                                     const char *new_spec)
{
    if (!s || !id || !old_spec || !new_spec)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = st_begin(c, 1);
    if (rc == ST_OK)
        rc = prep(c, "UPDATE models SET spec_json = ?3 WHERE id = ?1 AND spec_json = ?2", &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_text(st, 2, old_spec, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_text(st, 3, new_spec, -1, SQLITE_STATIC);
        rc = r == SQLITE_OK ? st_exec(st) : st_map(r);
        if (rc == ST_OK && sqlite3_changes(c->db) == 0)
            rc = ST_CONFLICT;
    }
    sqlite3_finalize(st);
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    return rc;
}

st_status storage_job_warnings_set(storage *s, const char *job_id, const char *json)
{
    if (!s || !job_id || !json)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = st_begin(c, 1);
    if (rc == ST_OK)
        rc = prep(c, "INSERT OR REPLACE INTO job_warnings (job_id, warnings) VALUES (?1, ?2)",
                  &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, job_id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_text(st, 2, json, -1, SQLITE_STATIC);
        rc = r == SQLITE_OK ? st_exec(st) : st_map(r);
    }
    sqlite3_finalize(st);
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    return rc;
}

st_status storage_job_warnings_get(storage *s, const char *job_id, char **json)
{
    *json = NULL;
    if (!s || !job_id)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = prep(c, "SELECT warnings FROM job_warnings WHERE job_id = ?1", &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, job_id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            const char *t = (const char *)sqlite3_column_text(st, 0);
            if (t && !(*json = strdup(t)))
                rc = ST_NOMEM;
        } else if (r != SQLITE_DONE) {
            rc = st_map(r);
        }
    }
    sqlite3_finalize(st);
    st_conn_put(s, c);
    return rc;
}

static int bind_extra(sqlite3_stmt *st, const char *model_id, const char *job_id,
                      const st_epoch_extra *e)
{
    int r = sqlite3_bind_text(st, 1, model_id, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_text(st, 2, job_id, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_int64(st, 3, e->epoch);
    if (r == SQLITE_OK)
        r = st_bind_real_or_null(st, 4, e->learning_rate);
    if (r == SQLITE_OK)
        r = st_bind_real_or_null(st, 5, e->accuracy);
    if (r == SQLITE_OK)
        r = st_bind_real_or_null(st, 6, e->val_accuracy);
    return r;
}

st_status storage_history_extra_append(storage *s, const char *model_id, const char *job_id,
                                       const st_epoch_extra *rows, size_t n)
{
    if (!s || !model_id || !job_id || (n && !rows))
        return ST_ERROR;
    if (n == 0)
        return ST_OK;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = st_begin(c, 1);
    if (rc == ST_OK)
        rc = prep(c, "INSERT OR REPLACE INTO history_extra (model_id, job_id, epoch, "
                     "learning_rate, accuracy, val_accuracy) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                  &st);
    for (size_t i = 0; rc == ST_OK && i < n; i++) {
        int r = bind_extra(st, model_id, job_id, &rows[i]);
        rc = r == SQLITE_OK ? st_exec(st) : st_map(r);
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    sqlite3_finalize(st);
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    return rc;
}

static double column_real(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

/* Append one row to *out (doubling). */
static st_status push_extra(st_epoch_extra **out, size_t *n, size_t *cap, sqlite3_stmt *st)
{
    if (*n == *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        st_epoch_extra *g = realloc(*out, nc * sizeof *g);
        if (!g)
            return ST_NOMEM;
        *out = g;
        *cap = nc;
    }
    st_epoch_extra *e = &(*out)[(*n)++];
    memset(e, 0, sizeof *e);
    const char *job = (const char *)sqlite3_column_text(st, 0);
    if (job)
        strncpy(e->job_id, job, sizeof e->job_id - 1);
    e->epoch = sqlite3_column_int64(st, 1);
    e->learning_rate = column_real(st, 2);
    e->accuracy = column_real(st, 3);
    e->val_accuracy = column_real(st, 4);
    return ST_OK;
}

st_status storage_history_extra_list(storage *s, const char *model_id, st_epoch_extra **out,
                                     size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s || !model_id)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    rc = prep(c, "SELECT job_id, epoch, learning_rate, accuracy, val_accuracy FROM "
                 "history_extra WHERE model_id = ?1 ORDER BY rowid", &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, model_id, -1, SQLITE_STATIC);
        while (rc == ST_OK && r == SQLITE_OK && (r = sqlite3_step(st)) == SQLITE_ROW) {
            rc = push_extra(out, n, &cap, st);
            r = SQLITE_OK;
        }
        if (rc == ST_OK && r != SQLITE_DONE)
            rc = st_map(r);
    }
    sqlite3_finalize(st);
    st_conn_put(s, c);
    if (rc != ST_OK) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}
