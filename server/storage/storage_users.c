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

/* Fill u from a row of USER_COLUMNS. */
static st_status read_user(const st_row *r, void *elem)
{
    st_user *u = elem;
    memset(u, 0, sizeof *u);
    st_status s = st_col_copy(r, 0, u->id, sizeof u->id);
    if (s == ST_OK)
        s = st_col_copy(r, 1, u->name, sizeof u->name);
    if (s != ST_OK)
        return s;
    const char *role = st_col_text(r, 2, NULL);
    u->admin = role && strcmp(role, "admin") == 0;
    if (!st_col_is_null(r, 3)) {
        u->has_token = 1;
        s = st_col_copy(r, 3, u->token_id, sizeof u->token_id);
        if (s == ST_OK)
            s = st_col_blob_exact(r, 4, u->salt, sizeof u->salt);
        if (s == ST_OK)
            s = st_col_blob_exact(r, 5, u->hash, sizeof u->hash);
    }
    u->created_at = st_col_real(r, 6);
    u->token_at = st_col_time(r, 7);
    return s;
}

static st_status user_cb(st_row *r, void *arg)
{
    return read_user(r, arg);
}

/* A one-row lookup by a text key (Q_USER_BY_NAME, Q_USER_BY_TOKEN). */
static st_status user_lookup(storage *s, st_stmt_id q, const char *key, st_user *out)
{
    memset(out, 0, sizeof *out);
    if (!s || !key)
        return ST_ERROR;
    st_val p[] = {st_text(key)};
    st_status rc = st_get(s, q, p, ST_NPARAMS(p), user_cb, out);
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
    st_val p[] = {st_text(u->id), st_text(u->name), st_text(u->admin ? "admin" : "user"),
                  st_text(u->token_id), st_blob(u->salt, sizeof u->salt),
                  st_blob(u->hash, sizeof u->hash), st_real(st_now())};
    return st_write1(s, Q_USER_INSERT, p, ST_NPARAMS(p), 0);
}

st_status storage_user_set_token(storage *s, const char *name, const char *token_id,
                                 const unsigned char salt[ST_SALT_BYTES],
                                 const unsigned char hash[ST_HASH_BYTES])
{
    if (!s || !name || !token_id || !salt || !hash)
        return ST_ERROR;
    st_val p[] = {st_text(name), st_text(token_id), st_blob(salt, ST_SALT_BYTES),
                  st_blob(hash, ST_HASH_BYTES), st_real(st_now())};
    return st_write1(s, Q_USER_SET_TOKEN, p, ST_NPARAMS(p), 1);
}

typedef struct delete_args {
    const char *id;
    int64_t models;
} delete_args;

static st_status delete_body(st_conn *c, void *arg)
{
    delete_args *a = arg;
    st_val p[] = {st_text(a->id)};
    int64_t users = 0;
    a->models = 0;
    st_status rc = st_exec(c, Q_USER_MODELS_DELETE, p, ST_NPARAMS(p), &a->models);
    if (rc == ST_OK)
        rc = st_exec(c, Q_USER_DELETE, p, ST_NPARAMS(p), &users);
    if (rc == ST_OK && users == 0)
        rc = ST_NOT_FOUND; /* removed meanwhile by someone else */
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
    delete_args a = {u.id, 0};
    rc = st_tx(s, ST_WRITE, delete_body, &a);
    if (rc == ST_OK && models)
        *models = a.models;
    return rc;
}

static st_status read_user_row(const st_row *r, void *elem)
{
    st_user *u = elem;
    st_status rc = read_user(r, u);
    if (rc != ST_OK)
        return rc;
    u->models = st_col_int(r, 8);
    u->samples = st_col_int(r, 9);
    u->train_seconds = st_col_real(r, 10);
    return ST_OK;
}

static const st_list_of user_list = {sizeof(st_user), read_user_row, NULL};

st_status storage_users_list(storage *s, st_user **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s)
        return ST_ERROR;
    return st_get_list(s, Q_USER_LIST, NULL, 0, &user_list, (void **)out, n);
}

st_status storage_usage_add(storage *s, const char *user_id, const char *day, double seconds)
{
    if (!s || !user_id || !day || !(seconds >= 0))
        return ST_ERROR;
    st_val p[] = {st_text(user_id), st_text(day), st_real(seconds)};
    return st_write1(s, Q_USAGE_ADD, p, ST_NPARAMS(p), 0);
}

static st_status real_cb(st_row *r, void *arg)
{
    *(double *)arg = st_col_real(r, 0);
    return ST_OK;
}

st_status storage_usage_get(storage *s, const char *user_id, const char *day, double *seconds)
{
    *seconds = 0;
    if (!s || !user_id || !day)
        return ST_ERROR;
    st_val p[] = {st_text(user_id), st_text(day)};
    st_status rc = st_get(s, Q_USAGE_GET, p, ST_NPARAMS(p), real_cb, seconds);
    return rc == ST_NOT_FOUND ? ST_OK : rc; /* no row: no training that day */
}

typedef struct active_out {
    int64_t *running, *queued;
} active_out;

static st_status active_cb(st_row *r, void *arg)
{
    active_out *a = arg;
    *a->running = st_col_int(r, 0);
    *a->queued = st_col_int(r, 1);
    return ST_OK;
}

st_status storage_jobs_active_owned(storage *s, const char *owner, int64_t *running,
                                    int64_t *queued)
{
    *running = *queued = 0;
    if (!s || !owner)
        return ST_ERROR;
    active_out a = {running, queued};
    st_val p[] = {st_text(owner)};
    st_status rc = st_get(s, Q_JOBS_ACTIVE_OWNED, p, ST_NPARAMS(p), active_cb, &a);
    return rc == ST_NOT_FOUND ? ST_ERROR : rc;
}
