/*
 * storage_cancel.c - a cancel told to every node (see storage.h).
 */
#include "storage/storage_internal.h"

void storage_on_cancel(storage *s, st_cancel_fn fn, void *arg)
{
    if (s && s->b->on_cancel)
        s->b->on_cancel(s->db, fn, arg);
}

static st_status spread(st_conn *c, void *arg)
{
    const char *job_id = arg;
    st_val p[] = {st_text(job_id)};
    int64_t one = 0;
    return st_query_int(c, Q_CANCEL_SPREAD, p, 1, &one);
}

st_status storage_job_cancel_spread(storage *s, const char *job_id)
{
    if (!s->b->on_cancel)
        return ST_OK; /* one process: nobody else runs its jobs */
    return st_tx(s, ST_WRITE, spread, (void *)job_id);
}
