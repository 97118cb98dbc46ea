/*
 * main.c - mlpd: parse flags, open storage, start the job workers (in
 * app_init), serve HTTP until SIGINT or SIGTERM, then stop cleanly: stop
 * accepting connections, stop the jobs (each writes a checkpoint and is
 * marked interrupted), let the requests in flight end, close the database.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "cli_user.h"
#include "util/config.h"
#include "http/http.h"
#include "storage/storage.h"
#include "util/blas_select.h"

/* Block the stop signals in every thread (the HTTP threads inherit the
 * mask) so that main alone receives them through sigwait. */
static void block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
    blas_select_at_start(argv); /* may re-execute: before anything else */
    mlpd_config cfg;
    config_defaults(&cfg);
    int rc = config_parse(&cfg, argc, argv, stdout, stderr);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    if (cfg.command > 0)
        return cli_user_main(&cfg, argc - cfg.command, argv + cfg.command, stdout, stderr);

    sigset_t set;
    block_signals(&set);

    char err[256] = "";
    storage *st = NULL;
    char shown[1024];
    config_db_display(cfg.db, shown, sizeof shown);
    if (storage_open(cfg.db, &st, err, sizeof err) != ST_OK) {
        fprintf(stderr, "mlpd: cannot open database %s: %s\n", shown, err);
        return 1;
    }
    app a;
    if (app_init(&a, &cfg, st) != 0) {
        fprintf(stderr, "mlpd: out of memory\n");
        storage_close(st);
        return 1;
    }
    http_server *h = http_start(&a, &cfg, err, sizeof err);
    if (!h) {
        fprintf(stderr, "mlpd: %s\n", err);
        app_free(&a);
        storage_close(st);
        return 1;
    }
    blas_report br;
    char line[256];
    blas_report_get(&br);
    blas_report_line(&br, line, sizeof line);
    fprintf(stderr, "mlpd: %s\n", line);
    fprintf(stderr, "mlpd: listening on %s:%ld (db %s, auth %s%s%s)\n", cfg.bind, cfg.port,
            shown, cfg.auth, cfg.cors_origin[0] ? ", CORS " : "", cfg.cors_origin);

    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "mlpd: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    http_quiesce(h);   /* no new connections */
    app_stop_jobs(&a); /* jobs checkpoint and are marked interrupted; waiters return */
    http_stop(h);      /* requests in flight end */
    app_free(&a);
    storage_close(st);
    return 0;
}
