/*
 * main.c - mlpd: parse flags, open storage, serve HTTP until SIGINT or
 * SIGTERM, then stop cleanly (HTTP first, so no request still uses the
 * app or the storage when they are freed).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "cli_user.h"
#include "config.h"
#include "http.h"
#include "storage.h"

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
    if (storage_open(cfg.db, &st, err, sizeof err) != ST_OK) {
        fprintf(stderr, "mlpd: cannot open database %s: %s\n", cfg.db, err);
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
    fprintf(stderr, "mlpd: listening on %s:%ld (db %s, auth %s%s%s)\n", cfg.bind, cfg.port,
            cfg.db, cfg.auth, cfg.cors_origin[0] ? ", CORS " : "", cfg.cors_origin);

    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "mlpd: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    app_cancel_jobs(&a); /* a request training synchronously ends now */
    http_stop(h);
    app_free(&a);
    storage_close(st);
    return 0;
}
