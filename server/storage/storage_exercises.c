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
static st_status read_exercise(const st_row *r, void *elem)
{
    st_exercise *e = elem;
    memset(e, 0, sizeof *e);
    st_status rc = st_col_copy(r, 0, e->id, sizeof e->id);
    if (rc == ST_OK)
        rc = st_col_copy(r, 1, e->owner, sizeof e->owner);
    if (rc == ST_OK)
        rc = st_col_strdup(r, 2, &e->title);
    if (rc == ST_OK)
        rc = st_col_strdup(r, 3, &e->network);
    if (rc == ST_OK && (!e->title || !e->network))
        rc = ST_CORRUPT;
    e->seed = st_col_int(r, 4);
    e->steps = st_col_int(r, 5);
    e->tolerance = st_col_real(r, 6);
    e->created_at = st_col_real(r, 7);
    if (rc != ST_OK)
        st_exercise_clear(e);
    return rc;
}

static st_status exercise_cb(st_row *r, void *arg)
{
    return read_exercise(r, arg);
}

static void clear_exercise(void *elem)
{
    st_exercise_clear(elem);
}

static const st_list_of exercise_list = {sizeof(st_exercise), read_exercise, clear_exercise};

st_status storage_exercise_create(storage *s, const st_exercise *e)
{
    if (!s || !e || !e->id[0] || !e->owner[0] || !e->title || !e->network)
        return ST_ERROR;
    st_val p[] = {st_text(e->id), st_text(e->owner), st_text(e->title), st_text(e->network),
                  st_int(e->seed), st_int(e->steps), st_real(e->tolerance), st_real(st_now())};
    return st_write1(s, Q_EXERCISE_INSERT, p, ST_NPARAMS(p), 0);
}

st_status storage_exercise_get(storage *s, const char *id, st_exercise *out)
{
    memset(out, 0, sizeof *out);
    if (!s || !id)
        return ST_ERROR;
    st_val p[] = {st_text(id)};
    return st_get(s, Q_EXERCISE_GET, p, ST_NPARAMS(p), exercise_cb, out);
}

st_status storage_exercise_list(storage *s, st_exercise **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s)
        return ST_ERROR;
    return st_get_list(s, Q_EXERCISE_LIST, NULL, 0, &exercise_list, (void **)out, n);
}

st_status storage_exercise_delete(storage *s, const char *id)
{
    if (!s || !id)
        return ST_ERROR;
    st_val p[] = {st_text(id)};
    return st_write1(s, Q_EXERCISE_DELETE, p, ST_NPARAMS(p), 1);
}

typedef struct attempt_args {
    st_attempt *a;
    int64_t max;
} attempt_args;

static st_status attempt_body(st_conn *c, void *arg)
{
    attempt_args *x = arg;
    st_attempt *a = x->a;
    st_status rc = ST_OK;
    /* ST_QUOTA when the user has max (> 0) attempts on the exercise already */
    if (x->max > 0) {
        int64_t have = 0;
        st_val q[] = {st_text(a->exercise_id), st_text(a->user_id)};
        rc = st_query_int(c, Q_ATTEMPT_COUNT, q, ST_NPARAMS(q), &have);
        if (rc == ST_OK && have >= x->max)
            rc = ST_QUOTA;
    }
    st_val p[] = {st_text(a->exercise_id), st_text(a->user_id), st_real(a->created_at),
                  st_int(a->given), st_int(a->correct), st_real(a->score),
                  st_text(a->mistakes), st_int(a->revealed ? 1 : 0)};
    if (rc == ST_OK)
        rc = st_exec(c, Q_ATTEMPT_INSERT, p, ST_NPARAMS(p), NULL);
    if (rc == ST_OK)
        a->id = st_last_insert_id(c);
    return rc;
}

st_status storage_attempt_add(storage *s, st_attempt *a, int64_t max)
{
    if (!s || !a || !a->exercise_id[0] || !a->user_id[0])
        return ST_ERROR;
    a->created_at = st_now();
    attempt_args x = {a, max};
    return st_tx(s, ST_WRITE, attempt_body, &x);
}

static st_status read_attempt(const st_row *r, void *elem)
{
    st_attempt *a = elem;
    memset(a, 0, sizeof *a);
    a->id = st_col_int(r, 0);
    st_status rc = st_col_copy(r, 1, a->exercise_id, sizeof a->exercise_id);
    if (rc == ST_OK)
        rc = st_col_copy(r, 2, a->user_id, sizeof a->user_id);
    a->created_at = st_col_real(r, 3);
    a->given = st_col_int(r, 4);
    a->correct = st_col_int(r, 5);
    a->score = st_col_real(r, 6);
    if (rc == ST_OK)
        rc = st_col_copy(r, 7, a->mistakes, sizeof a->mistakes);
    a->revealed = st_col_int(r, 8) != 0;
    return rc;
}

static const st_list_of attempt_list = {sizeof(st_attempt), read_attempt, NULL};

st_status storage_attempts_list(storage *s, const char *exercise_id, const char *user_id,
                                st_attempt **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s || !exercise_id)
        return ST_ERROR;
    st_val p[] = {st_text(exercise_id), st_text(user_id)};
    return st_get_list(s, user_id ? Q_ATTEMPT_LIST_USER : Q_ATTEMPT_LIST_ALL, p,
                       user_id ? 2 : 1, &attempt_list, (void **)out, n);
}

static st_status read_result(const st_row *row, void *elem)
{
    st_result *r = elem;
    memset(r, 0, sizeof *r);
    st_status rc = st_col_copy(row, 0, r->user_id, sizeof r->user_id);
    if (rc == ST_OK)
        rc = st_col_copy(row, 1, r->name, sizeof r->name);
    const char *role = st_col_text(row, 2, NULL);
    r->admin = role && strcmp(role, "admin") == 0;
    r->attempts = st_col_int(row, 3);
    r->best = st_col_real_or_nan(row, 4);
    r->last_at = st_col_time(row, 5);
    return rc;
}

static const st_list_of result_list = {sizeof(st_result), read_result, NULL};

st_status storage_exercise_results(storage *s, const char *exercise_id, st_result **out,
                                   size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s || !exercise_id)
        return ST_ERROR;
    st_val p[] = {st_text(exercise_id)};
    return st_get_list(s, Q_EXERCISE_RESULTS, p, ST_NPARAMS(p), &result_list, (void **)out, n);
}
