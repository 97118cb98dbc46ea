/*
 * pg_listen.c - one LISTEN connection per node: a thread that waits on
 * the connection's socket and hands each notification (channel, payload)
 * to a callback, so that what another node changed reaches this one
 * (a model's new version: drop the cached snapshot).
 *
 * The connection is its own, outside the pool (a pooled connection runs
 * transactions; a notification arrives between them). When it breaks the
 * thread reconnects (every 250 ms until it can), LISTENs again and calls
 * the callback with channel NULL: "anything may have changed meanwhile,
 * forget what you cache". Notifications are sent by triggers installed
 * with the migrations (pg_migrate.c), inside the writing transaction, so
 * they arrive only once it has committed.
 */
#include "storage/pg/pg_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static PGconn *listen_connect(pg_listener *l)
{
    PGconn *pc = pg_connect_named(l->conninfo);
    if (!pc || PQstatus(pc) != CONNECTION_OK) {
        PQfinish(pc);
        return NULL;
    }
    for (size_t i = 0; i < l->n_channels; i++) {
        /* channel names are the backend's own constants, not input */
        char sql[96];
        snprintf(sql, sizeof sql, "LISTEN %s", l->channels[i]);
        PGresult *r = PQexec(pc, sql);
        int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok) {
            PQfinish(pc);
            return NULL;
        }
    }
    return pc;
}

/* Wait up to ms for the socket (or the stop pipe); 1 when stop was asked. */
static int wait_input(pg_listener *l, int sock, int ms)
{
    struct pollfd fds[2] = {{.fd = l->stop_pipe[0], .events = POLLIN},
                            {.fd = sock, .events = POLLIN}};
    int n = poll(fds, sock >= 0 ? 2 : 1, ms);
    return n > 0 && (fds[0].revents & POLLIN);
}

static void *listen_main(void *arg)
{
    pg_listener *l = arg;
    PGconn *pc = NULL;
    for (;;) {
        if (!pc) {
            pc = listen_connect(l);
            if (!pc) {
                if (wait_input(l, -1, 250))
                    break;
                continue;
            }
            __atomic_add_fetch(&l->connects, 1, __ATOMIC_RELAXED);
            __atomic_store_n(&l->listening, 1, __ATOMIC_RELEASE);
            l->fn(l->arg, NULL, NULL); /* missed while away: re-read */
        }
        if (wait_input(l, PQsocket(pc), 1000))
            break;
        if (!PQconsumeInput(pc) || PQstatus(pc) != CONNECTION_OK) {
            __atomic_store_n(&l->listening, 0, __ATOMIC_RELEASE);
            PQfinish(pc);
            pc = NULL;
            continue;
        }
        PGnotify *n;
        while ((n = PQnotifies(pc)) != NULL) {
            __atomic_add_fetch(&l->received, 1, __ATOMIC_RELAXED);
            l->fn(l->arg, n->relname, n->extra);
            PQfreemem(n);
        }
    }
    PQfinish(pc);
    return NULL;
}

int pg_listener_start(pg_listener *l, const char *conninfo, const char *const *channels,
                      size_t n_channels, pg_notify_fn fn, void *arg)
{
    memset(l, 0, sizeof *l);
    l->conninfo = strdup(conninfo);
    if (!l->conninfo || pipe(l->stop_pipe) != 0) {
        free(l->conninfo);
        l->conninfo = NULL;
        return -1;
    }
    l->channels = channels;
    l->n_channels = n_channels;
    l->fn = fn;
    l->arg = arg;
    if (pthread_create(&l->thread, NULL, listen_main, l) != 0) {
        close(l->stop_pipe[0]);
        close(l->stop_pipe[1]);
        free(l->conninfo);
        l->conninfo = NULL;
        return -1;
    }
    l->started = 1;
    return 0;
}

void pg_listener_stop(pg_listener *l)
{
    if (!l->started)
        return;
    ssize_t w;
    do
        w = write(l->stop_pipe[1], "x", 1);
    while (w < 0 && errno == EINTR);
    pthread_join(l->thread, NULL);
    close(l->stop_pipe[0]);
    close(l->stop_pipe[1]);
    free(l->conninfo);
    l->conninfo = NULL;
    l->started = 0;
}
