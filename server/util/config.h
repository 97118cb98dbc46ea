/*
 * config.h - daemon settings: command-line flags, each also readable from
 * the environment as MLPD_<NAME> (upper case, '-' -> '_'). Flags win over
 * the environment, which wins over the defaults.
 */
#ifndef MLPD_SERVER_CONFIG_H
#define MLPD_SERVER_CONFIG_H

#include <stddef.h>
#include <stdio.h>

typedef struct mlpd_config {
    long port;
    char bind[64];
    char db[1024];
    long workers;           /* training worker threads; default: cores */
    long worker_nice;       /* worker threads' nice above the daemon's (0..19) */
    long checkpoint_epochs; /* a running job publishes its weights every N epochs */
    long checkpoint_seconds;/* ... or every S seconds, whichever comes first */
    long threads;           /* HTTP thread pool; default 2 x cores */
    long max_body;          /* bytes */
    long max_import_body;   /* bytes, POST /v1/models/import only */
    long max_inputs;
    long max_layers;
    long max_units;
    long max_params;
    long max_samples;       /* per model */
    long max_batch;         /* predict rows per request */
    long max_epochs;
    long max_train_seconds;
    long cache_mb;
    long conn_timeout;      /* seconds */
    long max_conns;
    long per_ip_conns;
    long max_streams;       /* open GET /v1/jobs/{id}/events streams */
    /* users, CORS, quotas (see the README's "A class server") */
    char auth[8];           /* "none" or "token" */
    long insecure_no_auth;  /* 1: allow --auth none on a non-loopback --bind */
    char cors_origin[1024]; /* "" (no CORS), "*", or a comma list of origins */
    char trust_proxy[1024]; /* "" (none), or proxies whose X-Forwarded-For counts (util/netaddr.h) */
    long quota_models;      /* models per user; 0 = no cap (same below) */
    long quota_samples;     /* samples per user, all models together */
    long rate_limit;        /* requests per second per user */
    long rate_burst;
    long anon_rate_limit;   /* per client address, requests without a token */
    long anon_burst;
    long quota_running_jobs;  /* running jobs per user */
    long quota_queued_jobs;   /* queued jobs per user */
    long quota_train_seconds_day; /* training seconds per user and UTC day */
    /* jobs under a lease when the database is shared (PostgreSQL) */
    long lease_ms;          /* a claimed job is this node's for this long, renewed */
    long heartbeat_ms;      /* renewed (with the trainer's state) this often; 0: lease / 4 */
    char node_id[96];       /* who holds a job (its "node"); "": HOST:PORT:PID */
    /* set by config_parse: argv index of a subcommand ("user"), else 0 */
    int command;
} mlpd_config;

/* The defaults (threads and workers from the number of online cores). */
void config_defaults(mlpd_config *c);

/* Apply the environment, then argv. Returns 0 to run, 1 if --help was
 * printed to out, -1 on a bad flag or value (message written to err). */
int config_parse(mlpd_config *c, int argc, char **argv, FILE *out, FILE *err);

void config_usage(FILE *out);

/* 1 if addr (an IPv4/IPv6 literal) is a loopback address. */
int config_is_loopback(const char *addr);

/* db as it may be logged: a PostgreSQL password (in a URL or a
 * conninfo's password=) replaced by ***. Always NUL-terminates (n >= 1). */
void config_db_display(const char *db, char *out, size_t n);

#endif
