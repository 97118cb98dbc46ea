/*
 * misc.c - health, metrics, the OpenAPI document.
 */
#include <stdio.h>

#include "api/handlers.h"
#include "jobs/jobs.h"
#include "api/metrics.h"
#include "api/reply.h"
#include "util/blas_select.h"

/* Generated at build time from openapi.yaml (scripts/embed-file.sh). */
extern const unsigned char openapi_yaml[];
extern const size_t openapi_yaml_len;

void h_health(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    (void)a;
    (void)req;
    (void)p;
    static const char ok[] = "{\"status\":\"ok\"}";
    reply_text(resp, 200, CT_JSON, ok, sizeof ok - 1);
}

void h_metrics(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    (void)req;
    (void)p;
    sbuf b;
    sbuf_init(&b);
    metrics_write(a->metrics, &b);
    int64_t models = 0, samples = 0, n_jobs = 0;
    if (storage_count(a->st, &models, &samples, &n_jobs) == ST_OK) {
        sbuf_printf(&b, "# HELP mlpd_models Models stored.\n# TYPE mlpd_models gauge\n"
                        "mlpd_models %lld\n", (long long)models);
        sbuf_printf(&b, "# HELP mlpd_samples Samples stored, all models.\n"
                        "# TYPE mlpd_samples gauge\nmlpd_samples %lld\n", (long long)samples);
        sbuf_printf(&b, "# HELP mlpd_jobs Training jobs by status (all = every stored job).\n"
                        "# TYPE mlpd_jobs gauge\nmlpd_jobs{status=\"all\"} %lld\n",
                    (long long)n_jobs);
    } else {
        sbuf_puts(&b, "# HELP mlpd_jobs Training jobs by status.\n# TYPE mlpd_jobs gauge\n");
    }
    sbuf_printf(&b, "mlpd_jobs{status=\"running\"} %zu\n", jobs_running(a->jobs));
    metrics_users_write(a, &b);
    blas_report br;
    blas_report_get(&br);
    sbuf_printf(&b, "# HELP mlpd_blas_info The BLAS and the kernel family it runs (chosen_by: "
                    "library, mlpd or user).\n# TYPE mlpd_blas_info gauge\n"
                    "mlpd_blas_info{library=\"%s\",kernel=\"%s\",best=\"%s\",chosen_by=\"%s\","
                    "fell_back=\"%s\",cpu=\"%s\"} 1\n",
                br.library, br.kernel, br.best, br.chosen_by, br.fell_back, br.cpu);
    size_t entries = 0, bytes = 0;
    cache_stats(a->cache, &entries, &bytes);
    sbuf_printf(&b, "# HELP mlpd_cache_models Models held in the predict cache.\n"
                    "# TYPE mlpd_cache_models gauge\nmlpd_cache_models %zu\n"
                    "# HELP mlpd_cache_bytes Bytes of networks in the predict cache.\n"
                    "# TYPE mlpd_cache_bytes gauge\nmlpd_cache_bytes %zu\n", entries, bytes);
    sbuf_printf(&b, "# HELP mlpd_event_streams Open job event streams (GET /v1/jobs/{id}/events).\n"
                    "# TYPE mlpd_event_streams gauge\nmlpd_event_streams %ld\n",
                atomic_load(&a->streams));
    reply_sbuf(resp, 200, &b);
    if (resp->status == 200)
        resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

void h_openapi(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    (void)a;
    (void)req;
    (void)p;
    if (openapi_yaml_len == 0) {
        reply_error(resp, API_ERR_NOT_FOUND, NULL, "This build has no openapi.yaml.");
        return;
    }
    reply_text(resp, 200, "application/yaml", (const char *)openapi_yaml, openapi_yaml_len);
}
