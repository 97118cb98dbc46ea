/*
 * storage_exercises.c - exercises, their graded attempts, and the results
 * table a teacher reads (one row per student, by name).
 *
 * Variants and expected answers are never stored: they are recomputed
 * from the exercise row and the student's id (domain/exercise.c).
 * Deleting an exercise or a user deletes their attempts (foreign keys).
 */
#include "storage/storage_internal.h"

#include <stdlib.h>
#include <string.h>

void st_exercise_clear(st_exercise *e)
{
    if (!e)
        return;
    free(e->title);
    free(e->network);
    e->title = e->network = NULL;
}

void st_exercises_free(st_exercise *es, size_t n)
{
    for (size_t i = 0; es && i < n; i++)
        st_exercise_clear(&es[i]);
    free(es);
}

/* Fill e from a row of EXERCISE_COLUMNS; on failure e holds nothing. */
static st_status read_exercise(sqlite3_stmt *st, st_exercise *e)
{
    memset(e, 0, sizeof *e);
    st_status rc = st_col_copy(st, 0, e->id, sizeof e->id);
    if (rc == ST_OK)
        rc = st_col_copy(st, 1, e->owner, sizeof e->owner);
    if (rc == ST_OK)
        rc = st_col_strdup(st, 2, &e->title);
    if (rc == ST_OK)
        rc = st_col_strdup(st, 3, &e->network);
    if (rc == ST_OK && (!e->title || !e->network))
        rc = ST_CORRUPT;
    e->seed = sqlite3_column_int64(st, 4);
    e->steps = sqlite3_column_int64(st, 5);
    e->tolerance = sqlite3_column_double(st, 6);
    e->created_at = sqlite3_column_double(st, 7);
    if (rc != ST_OK)
        st_exercise_clear(e);
    return rc;
}

st_status storage_exercise_create(storage *s, const st_exercise *e)
{
    if (!s || !e || !e->id[0] || !e->owner[0] || !e->title || !e->network)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = st_begin(c, 1);
    if (rc == ST_OK)
        rc = st_stmt(c, Q_EXERCISE_INSERT, &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, e->id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_text(st, 2, e->owner, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_text(st, 3, e->title, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_text(st, 4, e->network, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_int64(st, 5, e->seed);
        if (r == SQLITE_OK)
            r = sqlite3_bind_int64(st, 6, e->steps);
        if (r == SQLITE_OK)
            r = sqlite3_bind_double(st, 7, e->tolerance);
        if (r == SQLITE_OK)
            r = sqlite3_bind_double(st, 8, st_now());
        rc = r == SQLITE_OK ? st_exec(st) : st_map(r);
    }
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    return rc;
}

st_status storage_exercise_get(storage *s, const char *id, st_exercise *out)
{
    memset(out, 0, sizeof *out);
    if (!s || !id)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st;
    rc = st_stmt(c, Q_EXERCISE_GET, &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_step(st);
        if (r == SQLITE_ROW)
            rc = read_exercise(st, out);
        else
            rc = r == SQLITE_DONE ? ST_NOT_FOUND : st_map(r);
        st_done(st);
    }
    st_conn_put(s, c);
    return rc;
}

st_status storage_exercise_list(storage *s, st_exercise **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    st_exercise *es = NULL;
    size_t count = 0, cap = 0;
    sqlite3_stmt *st;
    rc = st_stmt(c, Q_EXERCISE_LIST, &st);
    while (rc == ST_OK) {
        int r = sqlite3_step(st);
        if (r != SQLITE_ROW) {
            rc = r == SQLITE_DONE ? ST_OK : st_map(r);
            break;
        }
        if (count == cap) {
            st_exercise *g = st_grow(es, &cap, sizeof *es);
            if (!g) {
                rc = ST_NOMEM;
                break;
            }
            es = g;
        }
        rc = read_exercise(st, &es[count]);
        if (rc == ST_OK)
            count++;
    }
    st_done(st);
    st_conn_put(s, c);
    if (rc != ST_OK) {
        st_exercises_free(es, count);
        return rc;
    }
    *out = es;
    *n = count;
    return ST_OK;
}

st_status storage_exercise_delete(storage *s, const char *id)
{
    if (!s || !id)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = st_begin(c, 1);
    if (rc == ST_OK)
        rc = st_stmt(c, Q_EXERCISE_DELETE, &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        rc = r == SQLITE_OK ? st_exec(st) : st_map(r);
        if (rc == ST_OK && sqlite3_changes(c->db) == 0)
            rc = ST_NOT_FOUND;
    }
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    return rc;
}

/* ST_QUOTA when the user has max (> 0) attempts on the exercise already. */
static st_status attempts_below(st_conn *c, const st_attempt *a, int64_t max)
{
    if (max <= 0)
        return ST_OK;
    sqlite3_stmt *st;
    st_status rc = st_stmt(c, Q_ATTEMPT_COUNT, &st);
    if (rc != ST_OK)
        return rc;
    int r = sqlite3_bind_text(st, 1, a->exercise_id, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_text(st, 2, a->user_id, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        rc = sqlite3_column_int64(st, 0) >= max ? ST_QUOTA : ST_OK;
    else
        rc = st_map(r) == ST_OK ? ST_ERROR : st_map(r);
    st_done(st);
    return rc;
}

st_status storage_attempt_add(storage *s, st_attempt *a, int64_t max)
{
    if (!s || !a || !a->exercise_id[0] || !a->user_id[0])
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st = NULL;
    a->created_at = st_now();
    rc = st_begin(c, 1);
    if (rc == ST_OK)
        rc = attempts_below(c, a, max);
    if (rc == ST_OK)
        rc = st_stmt(c, Q_ATTEMPT_INSERT, &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, a->exercise_id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_text(st, 2, a->user_id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_double(st, 3, a->created_at);
        if (r == SQLITE_OK)
            r = sqlite3_bind_int64(st, 4, a->given);
        if (r == SQLITE_OK)
            r = sqlite3_bind_int64(st, 5, a->correct);
        if (r == SQLITE_OK)
            r = sqlite3_bind_double(st, 6, a->score);
        if (r == SQLITE_OK)
            r = sqlite3_bind_text(st, 7, a->mistakes, -1, SQLITE_STATIC);
        if (r == SQLITE_OK)
            r = sqlite3_bind_int(st, 8, a->revealed ? 1 : 0);
        rc = r == SQLITE_OK ? st_exec(st) : st_map(r);
        if (rc == ST_OK)
            a->id = sqlite3_last_insert_rowid(c->db);
    }
    rc = st_finish(c, rc);
    st_conn_put(s, c);
    return rc;
}

static st_status read_attempt(sqlite3_stmt *st, st_attempt *a)
{
    memset(a, 0, sizeof *a);
    a->id = sqlite3_column_int64(st, 0);
    st_status rc = st_col_copy(st, 1, a->exercise_id, sizeof a->exercise_id);
    if (rc == ST_OK)
        rc = st_col_copy(st, 2, a->user_id, sizeof a->user_id);
    a->created_at = sqlite3_column_double(st, 3);
    a->given = sqlite3_column_int64(st, 4);
    a->correct = sqlite3_column_int64(st, 5);
    a->score = sqlite3_column_double(st, 6);
    if (rc == ST_OK)
        rc = st_col_copy(st, 7, a->mistakes, sizeof a->mistakes);
    a->revealed = sqlite3_column_int(st, 8) != 0;
    return rc;
}

/* Run a prepared list statement, growing *out by one element per row. */
typedef st_status (*row_reader)(sqlite3_stmt *st, void *elem);

static st_status read_rows(sqlite3_stmt *st, size_t elem, row_reader read, void **out, size_t *n)
{
    char *arr = NULL;
    size_t count = 0, cap = 0;
    st_status rc = ST_OK;
    for (;;) {
        int r = sqlite3_step(st);
        if (r != SQLITE_ROW) {
            rc = r == SQLITE_DONE ? ST_OK : st_map(r);
            break;
        }
        if (count == cap) {
            char *g = st_grow(arr, &cap, elem);
            if (!g) {
                rc = ST_NOMEM;
                break;
            }
            arr = g;
        }
        rc = read(st, arr + count * elem);
        if (rc != ST_OK)
            break;
        count++;
    }
    if (rc != ST_OK) {
        free(arr);
        return rc;
    }
    *out = arr;
    *n = count;
    return ST_OK;
}

static st_status attempt_reader(sqlite3_stmt *st, void *elem)
{
    return read_attempt(st, elem);
}

st_status storage_attempts_list(storage *s, const char *exercise_id, const char *user_id,
                                st_attempt **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s || !exercise_id)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st;
    rc = st_stmt(c, user_id ? Q_ATTEMPT_LIST_USER : Q_ATTEMPT_LIST_ALL, &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, exercise_id, -1, SQLITE_STATIC);
        if (r == SQLITE_OK && user_id)
            r = sqlite3_bind_text(st, 2, user_id, -1, SQLITE_STATIC);
        void *arr = NULL;
        rc = r == SQLITE_OK ? read_rows(st, sizeof(st_attempt), attempt_reader, &arr, n) : st_map(r);
        *out = arr;
        st_done(st);
    }
    st_conn_put(s, c);
    return rc;
}

static st_status result_reader(sqlite3_stmt *st, void *elem)
{
    st_result *r = elem;
    memset(r, 0, sizeof *r);
    st_status rc = st_col_copy(st, 0, r->user_id, sizeof r->user_id);
    if (rc == ST_OK)
        rc = st_col_copy(st, 1, r->name, sizeof r->name);
    const unsigned char *role = sqlite3_column_text(st, 2);
    r->admin = role && strcmp((const char *)role, "admin") == 0;
    r->attempts = sqlite3_column_int64(st, 3);
    r->best = st_col_real_or_nan(st, 4);
    r->last_at = st_col_time(st, 5);
    return rc;
}

st_status storage_exercise_results(storage *s, const char *exercise_id, st_result **out,
                                   size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s || !exercise_id)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st;
    rc = st_stmt(c, Q_EXERCISE_RESULTS, &st);
    if (rc == ST_OK) {
        int r = sqlite3_bind_text(st, 1, exercise_id, -1, SQLITE_STATIC);
        void *arr = NULL;
        rc = r == SQLITE_OK ? read_rows(st, sizeof(st_result), result_reader, &arr, n) : st_map(r);
        *out = arr;
        st_done(st);
    }
    st_conn_put(s, c);
    return rc;
}
