/*
 * blas_select.c - the BLAS kernel choice at start (see blas_select.h).
 */
#include "util/blas_select.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu.h"

/* Weak: the same code links against BLIS (bench/), which has none of
 * OpenBLAS's queries, and OpenBLAS has none of BLIS's. */
extern char *openblas_get_corename(void) __attribute__((weak));
extern char *openblas_get_config(void) __attribute__((weak));
extern const char *bli_info_get_version_str(void) __attribute__((weak));
extern int bli_arch_query_id(void) __attribute__((weak));
extern const char *bli_arch_string(int id) __attribute__((weak));

static const char *env_set(const char *name)
{
    const char *v = getenv(name);
    return v && v[0] ? v : NULL;
}

/* OpenBLAS's core name, or NULL under another BLAS. */
static const char *reported_core(void)
{
    const char *pretend = env_set(BLAS_PRETEND_ENV);
    if (pretend)
        return pretend;
    return openblas_get_corename ? openblas_get_corename() : NULL;
}

void blas_select_at_start(char **argv)
{
    mlp_cpuid cpu;
    if (env_set("OPENBLAS_CORETYPE") || !openblas_get_corename ||
        mlp_cpuid_read(&cpu) != MLP_OK)
        return;
    /* A copy: setenv below may move the environment the name points into. */
    char core[64];
    const char *reported = reported_core();
    snprintf(core, sizeof core, "%s", reported ? reported : "");
    mlp_blas_choice ch = mlp_blas_choose(&cpu, reported ? core : NULL);
    if (!ch.fell_back)
        return;
    if (setenv(BLAS_FELL_BACK_ENV, core, 1) != 0 || setenv("OPENBLAS_CORETYPE", ch.best, 1) != 0)
        return;
    fflush(NULL);
    execv("/proc/self/exe", argv);
    /* No re-exec (no /proc?): go on with the library's own kernels. */
    fprintf(stderr, "mlpd: cannot re-execute with OPENBLAS_CORETYPE=%s; the BLAS keeps %s\n",
            ch.best, core);
    unsetenv("OPENBLAS_CORETYPE");
    unsetenv(BLAS_FELL_BACK_ENV);
}

/* dst = src with every character outside [A-Za-z0-9._ -] dropped (they go
 * into Prometheus labels and log lines). */
static void copy_clean(char *dst, size_t cap, const char *src)
{
    size_t n = 0;
    for (const char *p = src ? src : ""; *p && n + 1 < cap; p++) {
        char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '_' || c == ' ' || c == '-')
            dst[n++] = c;
    }
    dst[n] = '\0';
}

/* "OpenBLAS 0.3.21" from "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ...". */
static void library_name(char *dst, size_t cap)
{
    char tmp[96];
    if (openblas_get_config) {
        const char *cfg = openblas_get_config();
        const char *sp = strchr(cfg, ' ');
        sp = sp ? strchr(sp + 1, ' ') : NULL;
        size_t n = sp ? (size_t)(sp - cfg) : strlen(cfg);
        snprintf(tmp, sizeof tmp, "%.*s", (int)(n < 64 ? n : 64), cfg);
    } else if (bli_info_get_version_str) {
        snprintf(tmp, sizeof tmp, "BLIS %s", bli_info_get_version_str());
    } else {
        snprintf(tmp, sizeof tmp, "unknown");
    }
    copy_clean(dst, cap, tmp);
}

void blas_report_get(blas_report *r)
{
    memset(r, 0, sizeof *r);
    library_name(r->library, sizeof r->library);
    if (openblas_get_corename)
        copy_clean(r->kernel, sizeof r->kernel, openblas_get_corename());
    else if (bli_arch_query_id && bli_arch_string)
        copy_clean(r->kernel, sizeof r->kernel, bli_arch_string(bli_arch_query_id()));
    else
        copy_clean(r->kernel, sizeof r->kernel, "unknown");
    mlp_cpuid cpu;
    char tmp[96];
    if (mlp_cpuid_read(&cpu) == MLP_OK) {
        mlp_blas_choice ch = mlp_blas_choose(&cpu, r->kernel);
        copy_clean(r->best, sizeof r->best, ch.best);
        snprintf(tmp, sizeof tmp, "%s family %u model %u %s", cpu.vendor, mlp_cpu_family(&cpu),
                 mlp_cpu_model(&cpu), mlp_isa_name(ch.cpu_isa));
        copy_clean(r->cpu, sizeof r->cpu, tmp);
    } else {
        copy_clean(r->cpu, sizeof r->cpu, "unknown");
    }
    const char *fell_back = env_set(BLAS_FELL_BACK_ENV);
    if (!env_set("OPENBLAS_CORETYPE") || !openblas_get_corename) {
        copy_clean(r->chosen_by, sizeof r->chosen_by, "library");
    } else if (fell_back) {
        copy_clean(r->chosen_by, sizeof r->chosen_by, "mlpd");
        copy_clean(r->fell_back, sizeof r->fell_back, fell_back);
    } else {
        copy_clean(r->chosen_by, sizeof r->chosen_by, "user");
    }
}

void blas_report_line(const blas_report *r, char *buf, size_t cap)
{
    if (strcmp(r->chosen_by, "mlpd") == 0)
        snprintf(buf, cap,
                 "blas %s, kernel %s (set by mlpd: the library chose %s on this CPU, %s%s%s)",
                 r->library, r->kernel, r->fell_back, r->cpu,
                 strcmp(r->kernel, r->best) != 0 ? "; it did not take the asked-for " : "",
                 strcmp(r->kernel, r->best) != 0 ? r->best : "");
    else if (strcmp(r->chosen_by, "user") == 0)
        snprintf(buf, cap, "blas %s, kernel %s (OPENBLAS_CORETYPE set by the user; best for "
                           "this CPU, %s: %s)", r->library, r->kernel, r->cpu, r->best);
    else
        snprintf(buf, cap, "blas %s, kernel %s (chosen by the library; best for this CPU, "
                           "%s: %s)", r->library, r->kernel, r->cpu, r->best);
}
