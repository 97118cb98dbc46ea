/*
 * storage_users.c - users, their token hashes, and per-user training time.
 *
 * Only hashes and salts of tokens are stored (see auth.c); a token id is
 * the non-secret part of a token that finds its row. Removing a user
 * removes their models in the same transaction (the models' own foreign
 * keys take samples, versions, jobs and history with them).
 */
#include "storage/storage_internal.h"

#include <stdlib.h>
#include <string.h>

/* Copy a blob column of exactly n bytes; anything else is damage. */
static st_status col_blob(sqlite3_stmt *st, int i, unsigned char *out, size_t n)
{
    const void *b = sqlite3_column_blob(st, i);
    if (!b || (size_t)sqlite3_column_bytes(st, i) != n)
        return ST_CORRUPT;
    memcpy(out, b, n);
    return ST_OK;
}

/* Fill u from a row of USER_COLUMNS. */
static st_status read_user(sqlite3_stmt *st, st_user *u)
{
    memset(u, 0, sizeof *u);
    st_status s = st_col_copy(st, 0, u->id, sizeof u->id);
    if (s == ST_OK)
        s = st_col_copy(st, 1, u->name, sizeof u->name);
    if (s != ST_OK)
        return s;
    const unsigned char *role = sqlite3_column_text(st, 2);
    u->admin = role && strcmp((const char *)role, "admin") == 0;
    if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
        u->has_token = 1;
        s = st_col_copy(st, 3, u->token_id, sizeof u->token_id);
        if (s == ST_OK)
            s = col_blob(st, 4, u->salt, sizeof u->salt);
        if (s == ST_OK)
            s = col_blob(st, 5, u->hash, sizeof u->hash);
    }
    u->created_at = sqlite3_column_double(st, 6);
    u->token_at = st_col_time(st, 7);
    return s;
}

/* Run a one-row lookup by a text key (Q_USER_BY_NAME, Q_USER_BY_TOKEN). */
static st_status user_lookup(storage *s, st_stmt_id q, const char *key, st_user *out)
{
    memset(out, 0, sizeof *out);
    if (!s || !key)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st;
    rc = st_stmt(c, q, &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_step(st);
        if (r == SQLITE_ROW)
            rc = read_user(st, out);
        else
            rc = r == SQLITE_DONE ? ST_NOT_FOUND : st_map(r);
        st_done(st);
    }
    st_conn_put(s, c);
    if (rc != ST_OK)
        memset(out, 0, sizeof *out);
    return rc;
}

st_status storage_user_by_name(storage *s, const char *name, st_user *out)
{
    return user_lookup(s, Q_USER_BY_NAME, name, out);
}

st_status storage_user_by_token(storage *s, const char *token_id, st_user *out)
{
    return user_lookup(s, Q_USER_BY_TOKEN, token_id, out);
}

st_status storage_user_create(storage *s, const st_user *u)
{
    if (!s || !u || !u->id[0] || !u->name[0] || !u->token_id[0])
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = st_begin(c, 1);
    if (rc == ST_OK)
        rc = st_stmt(c, Q_USER_INSERT, &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, u->id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_text(st, 2, u->name, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_text(st, 3, u->admin ? "admin" : "user", -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_text(st, 4, u->token_id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_blob(st, 5, u->salt, (int)sizeof u->salt, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_blob(st, 6, u->hash, (int)sizeof u->hash, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_double(st, 7, st_now());
        rc = r == SQLITE_OK ? st_exec(st) : st_map(r);
    }
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    return rc;
}

st_status storage_user_set_token(storage *s, const char *name, const char *token_id,
                                 const unsigned char salt[ST_SALT_BYTES],
                                 const unsigned char hash[ST_HASH_BYTES])
{
    if (!s || !name || !token_id || !salt || !hash)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = st_begin(c, 1);
    if (rc == ST_OK)
        rc = st_stmt(c, Q_USER_SET_TOKEN, &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_text(st, 2, token_id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_blob(st, 3, salt, ST_SALT_BYTES, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_blob(st, 4, hash, ST_HASH_BYTES, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_double(st, 5, st_now());
        rc = r == SQLITE_OK ? st_exec(st) : st_map(r);
        if (rc == ST_OK && sqlite3_changes(c->db) == 0)
            rc = ST_NOT_FOUND;
    }
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    return rc;
}

/* Run a statement bound to one text parameter; *changes gets the rows. */
static st_status exec_text(st_conn *c, st_stmt_id q, const char *text, int64_t *changes)
{
    sqlite3_stmt *st;
    st_status rc = st_stmt(c, q, &st);
    if (rc != ST_OK)
        return rc;
    int r = sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    rc = r == SQLITE_OK ? st_exec(st) : st_map(r);
    st_done(st);
    if (rc == ST_OK && changes)
        *changes = sqlite3_changes(c->db);
    return rc;
}

st_status storage_user_delete(storage *s, const char *name, int64_t *models)
{
    if (models)
        *models = 0;
    if (!s || !name)
        return ST_ERROR;
    st_user u;
    st_status rc = storage_user_by_name(s, name, &u);
    if (rc != ST_OK)
        return rc;
    if (strcmp(u.id, ST_USER_LOCAL) == 0)
        return ST_CONFLICT;
    st_conn *c;
    rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    int64_t n_models = 0, n_users = 0;
    rc = st_begin(c, 1);
    if (rc == ST_OK)
        rc = exec_text(c, Q_USER_MODELS_DELETE, u.id, &n_models);
    if (rc == ST_OK)
        rc = exec_text(c, Q_USER_DELETE, u.id, &n_users);
    if (rc == ST_OK && n_users == 0)
        rc = ST_NOT_FOUND; /* removed meanwhile by someone else */
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    if (rc == ST_OK && models)
        *models = n_models;
    return rc;
}

st_status storage_users_list(storage *s, st_user **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    st_user *us = NULL;
    size_t count = 0, cap = 0;
    sqlite3_stmt *st;
    rc = st_stmt(c, Q_USER_LIST, &st);
    while (rc == ST_OK) {
        int r = sqlite3_step(st);
        if (r != SQLITE_ROW) {
            rc = r == SQLITE_DONE ? ST_OK : st_map(r);
            break;
        }
        if (count == cap) {
            st_user *g = st_grow(us, &cap, sizeof *us);
            if (!g) {
                rc = ST_NOMEM;
                break;
            }
            us = g;
        }
        rc = read_user(st, &us[count]);
        if (rc != ST_OK)
            break;
        us[count].models = sqlite3_column_int64(st, 8);
        us[count].samples = sqlite3_column_int64(st, 9);
        us[count].train_seconds = sqlite3_column_double(st, 10);
        count++;
    }
    st_done(st);
    st_conn_put(s, c);
    if (rc != ST_OK) {
        free(us);
        return rc;
    }
    *out = us;
    *n = count;
    return ST_OK;
}

st_status storage_usage_add(storage *s, const char *user_id, const char *day, double seconds)
{
    if (!s || !user_id || !day || !(seconds >= 0))
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = st_begin(c, 1);
    if (rc == ST_OK)
        rc = st_stmt(c, Q_USAGE_ADD, &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_text(st, 2, day, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_double(st, 3, seconds);
        rc = r == SQLITE_OK ? st_exec(st) : st_map(r);
    }
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    return rc;
}

st_status storage_usage_get(storage *s, const char *user_id, const char *day, double *seconds)
{
    *seconds = 0;
    if (!s || !user_id || !day)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st;
    rc = st_stmt(c, Q_USAGE_GET, &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_text(st, 2, day, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_step(st);
        if (r == SQLITE_ROW)
            *seconds = sqlite3_column_double(st, 0);
        else if (r != SQLITE_DONE)
            rc = st_map(r) == ST_OK ? ST_ERROR : st_map(r);
        st_done(st);
    }
    st_conn_put(s, c);
    return rc;
}

st_status storage_jobs_active_owned(storage *s, const char *owner, int64_t *running,
                                    int64_t *queued)
{
    *running = *queued = 0;
    if (!s || !owner)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st;
    rc = st_stmt(c, Q_JOBS_ACTIVE_OWNED, &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            *running = sqlite3_column_int64(st, 0);
            *queued = sqlite3_column_int64(st, 1);
        } else {
            rc = st_map(r) == ST_OK ? ST_ERROR : st_map(r);
        }
        st_done(st);
    }
    st_conn_put(s, c);
    return rc;
}
