/*
 * storage_events.c - the read that event streams poll: a job's epochs
 * after the last one a client has seen.
 */
#include <stdlib.h>

#include "storage_internal.h"

st_status storage_job_epochs(storage *s, const char *job_id, int64_t after, size_t limit,
                             st_epoch **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s || !job_id || limit == 0 || limit > INT32_MAX)
        return ST_ERROR;
    st_conn *c;
    st_status rc = st_conn_get(s, &c);
    if (rc != ST_OK)
        return rc;
    sqlite3_stmt *st;
    rc = st_stmt(c, Q_HISTORY_JOB_AFTER, &st);
    if (rc != ST_OK) {
        st_conn_put(s, c);
        return rc;
    }
    st_epoch *es = NULL;
    size_t count = 0, cap = 0;
    int r = sqlite3_bind_text(st, 1, job_id, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_bind_int64(st, 2, after);
    if (r == SQLITE_OK)
        r = sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
    while (r == SQLITE_OK) {
        r = sqlite3_step(st);
        if (r != SQLITE_ROW)
            break;
        r = SQLITE_OK;
        if (count == cap) {
            st_epoch *g = st_grow(es, &cap, sizeof *es);
            if (!g) {
                rc = ST_NOMEM;
                break;
            }
            es = g;
        }
        es[count].epoch = sqlite3_column_int64(st, 0);
        es[count].loss = st_col_real_or_nan(st, 1);
        es[count].val_loss = st_col_real_or_nan(st, 2);
        es[count].time = sqlite3_column_double(st, 3);
        count++;
    }
    st_done(st);
    st_conn_put(s, c);
    if (rc == ST_OK && r != SQLITE_DONE)
        rc = st_map(r) == ST_OK ? ST_ERROR : st_map(r);
    if (rc != ST_OK) {
        free(es);
        return rc;
    }
    *out = es;
    *n = count;
    return ST_OK;
}
