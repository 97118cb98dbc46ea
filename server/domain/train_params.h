/*
 * train_params.h - what a training job trains with: read from a train
 * request's body or from a queued job's stored params_json with the same
 * checks (the limits may have changed since the job was queued), and
 * written back as canonical JSON.
 */
#ifndef MLPD_DOMAIN_TRAIN_PARAMS_H
#define MLPD_DOMAIN_TRAIN_PARAMS_H

#include <cJSON.h>

#include "mlp.h"
#include "schedule.h"
#include "util/jsonread.h"

typedef struct train_params {
    mlp_train_opts opts;   /* opts.schedule is NULL here: point it at schedule
                              when training (the struct may be copied) */
    char optimizer[16];
    double max_seconds;
    mlp_schedule schedule; /* method 0 or MLP_SCHED_CONSTANT: constant */
} train_params;

/* The server's limits the parameters are checked against. */
typedef struct train_limits {
    long max_epochs;
    long max_train_seconds;
} train_limits;

/* body (a JSON object: epochs, learning_rate, ...) into *t, defaults for
 * what is absent; 0, or -1 with *e naming the refused field. */
int train_params_read(json_err *e, const cJSON *body, const train_limits *lim,
                      train_params *t);
/* The same from JSON text (a job's params_json). */
int train_params_parse(json_err *e, const char *params_json, const train_limits *lim,
                       train_params *t);
/* The accepted parameters as canonical JSON text (malloc'ed) or NULL. */
char *train_params_json(const train_params *t);

#endif
