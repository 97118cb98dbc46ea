/*
 * app.h - start and stop what the handlers share (the app struct itself
 * is in api/api.h, where the handlers see it).
 */
#ifndef MLPD_APP_H
#define MLPD_APP_H

#include "api/api.h"

/* 0 on success; -1 if memory ran out or the job workers could not start
 * (nothing to free then). Starts the training workers (jobs_start: jobs
 * left running by a stopped daemon are marked interrupted first). */
int app_init(app *a, const mlpd_config *cfg, storage *st);
/* Stops the workers (if app_stop_jobs did not) and frees everything. */
void app_free(app *a);
/* Shutdown, before the HTTP server stops: running jobs checkpoint and are
 * marked interrupted, waiting requests return, workers are joined. */
void app_stop_jobs(app *a);

#endif
