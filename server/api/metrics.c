/*
 * metrics.c - counters indexed by (route, status class slot), histograms
 * by route. The route label is the route's pattern, the method label the
 * route's method ("other" for requests that matched no route).
 */
#include "api/metrics.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/routes.h"

static const int status_slots[] = {200, 201, 202, 204, 400, 401, 403, 404, 405, 409,
                                   411, 413, 414, 415, 429, 431, 500, 503, 507};
#define N_STATUS (sizeof status_slots / sizeof status_slots[0])
#define N_SLOTS (N_STATUS + 1) /* + "other" status */

static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define N_BOUNDS (sizeof bounds / sizeof bounds[0])

typedef struct route_metrics {
    atomic_uint_fast64_t count[N_SLOTS];
    atomic_uint_fast64_t bucket[N_BOUNDS + 1];  /* last = +Inf */
    atomic_uint_fast64_t sum_us;
} route_metrics;

struct metrics {
    size_t n; /* routes + 1 (unmatched, last) */
    route_metrics *r;
};

metrics *metrics_new(size_t n_routes_)
{
    metrics *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->n = n_routes_ + 1;
    m->r = calloc(m->n, sizeof *m->r);
    if (!m->r) {
        free(m);
        return NULL;
    }
    return m;
}

void metrics_free(metrics *m)
{
    if (!m)
        return;
    free(m->r);
    free(m);
}

static size_t slot_of(int status)
{
    for (size_t i = 0; i < N_STATUS; i++)
        if (status_slots[i] == status)
            return i;
    return N_STATUS;
}

void metrics_observe(metrics *m, int route_index, const char *method, int status, double seconds)
{
    (void)method; /* the route fixes the method */
    size_t ri = (route_index >= 0 && (size_t)route_index < m->n - 1) ? (size_t)route_index : m->n - 1;
    route_metrics *rm = &m->r[ri];
    atomic_fetch_add(&rm->count[slot_of(status)], 1);
    size_t b = 0;
    while (b < N_BOUNDS && seconds > bounds[b])
        b++;
    atomic_fetch_add(&rm->bucket[b], 1);
    if (seconds < 0)
        seconds = 0;
    atomic_fetch_add(&rm->sum_us, (uint_fast64_t)(seconds * 1e6));
}

static void labels(sbuf *out, size_t ri, size_t n)
{
    if (ri < n - 1)
        sbuf_printf(out, "route=\"%s\",method=\"%s\"", routes[ri].pattern, routes[ri].method);
    else
        sbuf_puts(out, "route=\"unmatched\",method=\"other\"");
}

void metrics_write(metrics *m, sbuf *out)
{
    sbuf_puts(out, "# HELP mlpd_http_requests_total HTTP requests answered.\n"
                   "# TYPE mlpd_http_requests_total counter\n");
    for (size_t ri = 0; ri < m->n; ri++) {
        for (size_t s = 0; s < N_SLOTS; s++) {
            uint_fast64_t v = atomic_load(&m->r[ri].count[s]);
            if (!v)
                continue;
            sbuf_puts(out, "mlpd_http_requests_total{");
            labels(out, ri, m->n);
            if (s < N_STATUS)
                sbuf_printf(out, ",status=\"%d\"} %llu\n", status_slots[s], (unsigned long long)v);
            else
                sbuf_printf(out, ",status=\"other\"} %llu\n", (unsigned long long)v);
        }
    }
    sbuf_puts(out, "# HELP mlpd_http_request_duration_seconds Time to answer a request.\n"
                   "# TYPE mlpd_http_request_duration_seconds histogram\n");
    for (size_t ri = 0; ri < m->n; ri++) {
        route_metrics *rm = &m->r[ri];
        uint_fast64_t cum = 0;
        uint_fast64_t b[N_BOUNDS + 1];
        for (size_t i = 0; i <= N_BOUNDS; i++)
            b[i] = atomic_load(&rm->bucket[i]);
        uint_fast64_t total = 0;
        for (size_t i = 0; i <= N_BOUNDS; i++)
            total += b[i];
        if (!total)
            continue;
        for (size_t i = 0; i <= N_BOUNDS; i++) {
            cum += b[i];
            sbuf_puts(out, "mlpd_http_request_duration_seconds_bucket{");
            labels(out, ri, m->n);
            if (i < N_BOUNDS)
                sbuf_printf(out, ",le=\"%g\"} %llu\n", bounds[i], (unsigned long long)cum);
            else
                sbuf_printf(out, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
        }
        sbuf_puts(out, "mlpd_http_request_duration_seconds_sum{");
        labels(out, ri, m->n);
        sbuf_printf(out, "} %.6f\n", (double)atomic_load(&rm->sum_us) / 1e6);
        sbuf_puts(out, "mlpd_http_request_duration_seconds_count{");
        labels(out, ri, m->n);
        sbuf_printf(out, "} %llu\n", (unsigned long long)total);
    }
}
