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
    long workers;           /* training worker threads; default: cores - 1, at least 1 */
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
} mlpd_config;

/* The defaults (threads and workers from the number of online cores). */
void config_defaults(mlpd_config *c);

/* Apply the environment, then argv. Returns 0 to run, 1 if --help was
 * printed to out, -1 on a bad flag or value (message written to err). */
int config_parse(mlpd_config *c, int argc, char **argv, FILE *out, FILE *err);

void config_usage(FILE *out);

#endif
