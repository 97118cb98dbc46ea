/*
 * storage_nodes.c - what the nodes sharing one database tell each other
 * or count of each other: cancels, how many nodes run (see storage.h).
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

static st_status count_nodes(st_conn *c, void *arg)
{
    return st_query_int(c, Q_NODES_LIVE, NULL, 0, arg);
}

st_status storage_nodes_live(storage *s, int64_t *n)
{
    *n = 1;
    if (!s->b->on_cancel)
        return ST_OK; /* one process */
    int64_t got = 0;
    st_status rc = st_tx(s, ST_READ, count_nodes, &got);
    if (rc == ST_OK)
        *n = got < 1 ? 1 : got;
    return rc;
}

int storage_shared(storage *s)
{
    return s && s->b->on_cancel != NULL;
}

void storage_set_idle_tx_limit(storage *s, long ms)
{
    if (s && s->b->set_idle_tx_limit && ms > 0)
        s->b->set_idle_tx_limit(s->db, ms);
}

void storage_on_job_change(storage *s, st_job_change_fn fn, void *arg)
{
    if (s && s->b->on_job_change)
        s->b->on_job_change(s->db, fn, arg);
}
