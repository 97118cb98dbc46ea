/*
 * metrics.h - request counters and latency histograms for /metrics
 * (Prometheus text format 0.0.4). Lock-free: atomics only.
 */
#ifndef MLPD_SERVER_METRICS_H
#define MLPD_SERVER_METRICS_H

#include <stddef.h>

#include "util/sbuf.h"

typedef struct metrics metrics;

/* n_routes: size of the route table; unmatched requests count separately. */
metrics *metrics_new(size_t n_routes);
void metrics_free(metrics *m); /* accepts NULL */

/* route: index into the route table or -1; method: the request's. */
void metrics_observe(metrics *m, int route, const char *method, int status, double seconds);

/* Append the request counters and histograms. */
void metrics_write(metrics *m, sbuf *out);

#endif
