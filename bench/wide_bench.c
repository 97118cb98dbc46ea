/*
 * wide_bench.c - `make bench-core`, second part: mlpd's wide network
 * (784-256-10, mini-batch 256) against the BLAS's own dgemm and sgemm, in
 * float64 and float32, with the kernel family mlpd runs and, in child
 * processes of the same run, with the best family for this CPU forced
 * (OPENBLAS_CORETYPE=best) and with Prescott (what OpenBLAS 0.3.21 falls
 * back to on CPUs newer than its table, issue 17).
 *
 * Each measurement is the best of REPS rounds; a round trains float64,
 * times a dgemm burst, trains float32, times an sgemm burst, so the four
 * see the same moments of a shared machine. Rates use the thread's CPU
 * time. The bench reports; it exits 1 only on a real error.
 */
#include "bench_data.h"
#include "bench_fann.h"
#include "bench_report.h"
#include "bench_run.h"
#include "mlp.h"
#include "util/blas_select.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPS 7
#define ROWS 4096
#define EPOCHS 3
#define BATCH 256

/* Training flops per sample: forward 2 in*out per layer, weight gradient
 * 2 in*out per layer, deltas for the layer below 2 in*out per layer but
 * the first (inputs need none). Biases and activations not counted. */
static double train_flops_per_sample(const mlp_t *net)
{
    const mlp_spec *spec = mlp_get_spec(net);
    double f = 0.0, in = (double)spec->inputs;
    for (size_t l = 0; l < spec->n_layers; l++) {
        double w = in * (double)spec->layers[l].units;
        f += (l == 0 ? 4.0 : 6.0) * w;
        in = (double)spec->layers[l].units;
    }
    return f;
}

/* C (m x n) = A (m x k) B^T with B n x k: the shape of mlpd's forward
 * product, in double and float, timed in bursts of calls. */
typedef struct gemm_bench {
    int m, n, k, calls;
    double *a, *b, *c;
    float *sa, *sb, *sc;
    double best_d, best_s; /* seconds of the fastest bursts */
} gemm_bench;

static void gemm_free(gemm_bench *g)
{
    free(g->a);
    free(g->b);
    free(g->c);
    free(g->sa);
    free(g->sb);
    free(g->sc);
}

static int gemm_alloc(gemm_bench *g, int m, int n, int k, int calls)
{
    size_t mk = (size_t)m * (size_t)k, nk = (size_t)n * (size_t)k, mn = (size_t)m * (size_t)n;
    *g = (gemm_bench){.m = m, .n = n, .k = k, .calls = calls, .best_d = INFINITY,
                      .best_s = INFINITY};
    g->a = malloc(mk * sizeof(double));
    g->b = malloc(nk * sizeof(double));
    g->c = malloc(mn * sizeof(double));
    g->sa = malloc(mk * sizeof(float));
    g->sb = malloc(nk * sizeof(float));
    g->sc = malloc(mn * sizeof(float));
    if (!g->a || !g->b || !g->c || !g->sa || !g->sb || !g->sc) {
        gemm_free(g);
        return -1;
    }
    for (size_t i = 0; i < mk; i++)
        g->sa[i] = (float)(g->a[i] = (double)(i % 17) / 17.0);
    for (size_t i = 0; i < nk; i++)
        g->sb[i] = (float)(g->b[i] = (double)(i % 13) / 13.0 - 0.5);
    return 0;
}

static void gemm_burst(gemm_bench *g, int single)
{
    double t0 = bench_cpu_now();
    for (int i = 0; i < g->calls; i++)
        if (single)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g->m, g->n, g->k, 1.0f, g->sa,
                        g->k, g->sb, g->k, 0.0f, g->sc, g->n);
        else
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g->m, g->n, g->k, 1.0, g->a,
                        g->k, g->b, g->k, 0.0, g->c, g->n);
    double t = bench_cpu_now() - t0;
    if (single)
        g->best_s = fmin(g->best_s, t);
    else
        g->best_d = fmin(g->best_d, t);
}

static double gemm_gflops(const gemm_bench *g, double secs)
{
    return 2.0 * g->m * g->n * g->k * g->calls / secs * 1e-9;
}

/* What one process measures: GFLOP/s of training and of the BLAS. */
typedef struct wide_figures {
    char kernel[32];
    double t64, t32, dgemm, sgemm; /* GFLOP/s */
    score s64, s32;
} wide_figures;

static int measure_wide(const mlp_t *init, const bench_set *data, wide_figures *w)
{
    mlp_train_opts o64 = sgd_opts(EPOCHS, (double)0.25f, BATCH), o32 = o64;
    o32.dtype = MLP_DTYPE_FLOAT32;
    gemm_bench g;
    mlp_t *n64 = NULL, *n32 = NULL;
    int rc = -1;
    /* 64 calls: about 6.6 GFLOP, a burst as long as an mlpd run. */
    if (gemm_alloc(&g, 256, 256, 784, 64) != 0)
        return -1;
    score *s[2] = {&w->s64, &w->s32};
    for (int c = 0; c < 2; c++)
        *s[c] = (score){.seconds = INFINITY, .wall = INFINITY, .test_loss = NAN, .acc = NAN};
    for (int rep = 0; rep < REPS; rep++) {
        double secs, wall;
        if (mlpd_once(init, data, &o64, &secs, &wall, &w->s64.epochs, &n64) != 0)
            goto out;
        w->s64.seconds = fmin(w->s64.seconds, secs);
        w->s64.wall = fmin(w->s64.wall, wall);
        gemm_burst(&g, 0);
        if (mlpd_once(init, data, &o32, &secs, &wall, &w->s32.epochs, &n32) != 0)
            goto out;
        w->s32.seconds = fmin(w->s32.seconds, secs);
        w->s32.wall = fmin(w->s32.wall, wall);
        gemm_burst(&g, 1);
    }
    double fps = train_flops_per_sample(init);
    w->t64 = fps * (double)w->s64.epochs * (double)data->n / w->s64.seconds * 1e-9;
    w->t32 = fps * (double)w->s32.epochs * (double)data->n / w->s32.seconds * 1e-9;
    w->dgemm = gemm_gflops(&g, g.best_d);
    w->sgemm = gemm_gflops(&g, g.best_s);
    for (int c = 0; c < 2; c++)
        s[c]->rate = (double)s[c]->epochs * (double)data->n / s[c]->seconds;
    if (score_outputs(data, NULL, n64, NULL, &w->s64) == 0 &&
        score_outputs(data, NULL, n32, NULL, &w->s32) == 0)
        rc = 0;
out:
    mlp_free(n64);
    mlp_free(n32);
    gemm_free(&g);
    return rc;
}

/* The same measurement in a child process with OPENBLAS_CORETYPE=core
 * (the library picks its kernels once, at load). */
static int measure_child(const char *core, wide_figures *w)
{
    char self[512], cmd[700], line[256];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0 || strchr(core, '\'') != NULL)
        return -1;
    self[n] = '\0';
    snprintf(cmd, sizeof cmd, "env -u %s OPENBLAS_CORETYPE='%s' '%s' --child", BLAS_FELL_BACK_ENV,
             core, self);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    int got = 0;
    while (fgets(line, sizeof line, p))
        if (sscanf(line, "WIDE kernel=%31s t64=%lf t32=%lf dgemm=%lf sgemm=%lf", w->kernel,
                   &w->t64, &w->t32, &w->dgemm, &w->sgemm) == 5)
            got = 1;
    return pclose(p) == 0 && got ? 0 : -1;
}

/* FANN online on a slice of the rows, one epoch, one timing: context only. */
static double fann_rate_slice(const mlp_t *init, const bench_set *data, size_t rows, double lr)
{
    bench_set slice = *data;
    slice.n = rows < data->n ? rows : data->n;
    struct fann *ann = bench_fann_twin(init, lr);
    struct fann_train_data *fd = ann ? bench_fann_data(&slice) : NULL;
    double rate = -1.0, secs, wall, diff = -1.0;
    struct fann *trained = NULL;
    if (fd && (diff = bench_twin_max_diff(init, ann, &slice)) >= 0.0 && diff < 1e-9 &&
        fann_once(ann, fd, 1, &secs, &wall, &trained) == 0)
        rate = (double)slice.n / secs;
    printf("  FANN twin start check: max |mlpd - FANN| = %.3g\n", diff);
    if (trained)
        fann_destroy(trained);
    if (fd)
        fann_destroy_train(fd);
    if (ann)
        fann_destroy(ann);
    return rate;
}

static void print_figures(const char *what, const wide_figures *w)
{
    printf("  %-26s %-10s %8.2f %8.2f %8.2f %8.2f   %5.2fx   %5.2fx\n", what, w->kernel, w->t64,
           w->dgemm, w->t32, w->sgemm, w->t64 / w->dgemm, w->t32 / w->t64);
}

static int run_parent(const mlp_t *init, const bench_set *data, const blas_report *br)
{
    wide_figures mine = {0}, best = {0}, old = {0};
    score s0 = {.test_loss = NAN, .acc = NAN};
    snprintf(mine.kernel, sizeof mine.kernel, "%s", br->kernel);
    printf("\nT3  784-256-10 on %d synthetic rows (U[0,1) inputs, targets from a random\n"
           "    784-256-10 teacher), mlpd mini-batch %d, %d epochs, lr %g, float64 and float32\n",
           ROWS, BATCH, EPOCHS, (double)0.25f);
    if (score_outputs(data, NULL, init, NULL, &s0) != 0 || measure_wide(init, data, &mine) != 0)
        return -1;
    int have_best = br->best[0] && measure_child(br->best, &best) == 0;
    int have_old = measure_child("Prescott", &old) == 0;
    double fann = fann_rate_slice(init, data, 512, (double)0.25f);
    print_head();
    print_score("mlpd   float64, batch 256", &mine.s64);
    print_score("mlpd   float32, batch 256", &mine.s32);
    printf("  %-30s %11.0f   (one epoch of 512 rows, rate only)\n", "FANN   incremental", fann);
    printf("  loss before training %.5e; after: float64 %.9e, float32 %.9e\n", s0.loss,
           mine.s64.loss, mine.s32.loss);
    printf("  flops/sample %.0f (2*sum(in*out) forward + 2*sum(in*out) weight gradients\n"
           "  + 2*sum(in*out) deltas below, layers 2.. only; the per-epoch loss pass is timed,\n"
           "  not counted); gemm: 256x256x784 (A B^T), serial, timed between mlpd's runs\n",
           train_flops_per_sample(init));
    printf("\n  GFLOP/s                    kernel      mlpd64    dgemm   mlpd32    sgemm  "
           "64/dgemm  32/64\n");
    print_figures("chosen (as mlpd runs)", &mine);
    if (have_best)
        print_figures("best family, forced", &best);
    if (have_old)
        print_figures("Prescott, forced (context)", &old);
    printf("  ratio mlpd float64 / FANN (rate): %.1fx\n", mine.s64.rate / fann);
    int learns = mine.s64.loss < s0.loss;
    char note[40];
    if (have_best) {
        add_target("T3 float64, chosen kernel >= 0.9x best", mine.t64 / best.t64, 0.9, learns,
                   learns ? "learns (loss falls)" : "loss did not fall");
        add_target("T3 float64 >= 0.5x best family's dgemm", mine.t64 / best.dgemm, 0.5, learns,
                   learns ? "learns (loss falls)" : "loss did not fall");
    } else {
        add_target("T3 float64 >= 0.5x dgemm (no best family)", mine.t64 / mine.dgemm, 0.5,
                   learns, learns ? "learns (loss falls)" : "loss did not fall");
    }
    /* float32's loss judged against float64's, with the same 1% margin */
    int ok = mine.s32.loss <= mine.s64.loss * LOSS_TOL;
    snprintf(note, sizeof note, "%+.4f%% vs float64",
             100.0 * (mine.s32.loss - mine.s64.loss) / mine.s64.loss);
    add_target("T3 float32 >= 1.6x float64", mine.t32 / mine.t64, 1.6, ok, note);
    if (have_old)
        add_target("T3 float64, chosen / Prescott (context)", mine.t64 / old.t64, 0.0, learns,
                   "");
    return 0;
}

int main(int argc, char **argv)
{
    blas_select_at_start(argv); /* as the daemon does: may re-execute */
    int child = argc == 2 && strcmp(argv[1], "--child") == 0;
    if (argc > 1 && !child) {
        fprintf(stderr, "usage: wide_bench\n");
        return 2;
    }
    const size_t units[2] = {256, 10};
    bench_set data = {0};
    mlp_t *init = NULL;
    blas_report br;
    char line[256];
    int rc = 1;
    blas_report_get(&br);
    if (bench_teacher_set(&data, ROWS, 784, 256, 10, 7) != 0 ||
        (init = make_net(784, units, 2, 8)) == NULL)
        goto out;
    if (child) {
        wide_figures w = {0};
        if (measure_wide(init, &data, &w) == 0) {
            printf("WIDE kernel=%s t64=%.17g t32=%.17g dgemm=%.17g sgemm=%.17g best=%s "
                   "library=%s\n", br.kernel, w.t64, w.t32, w.dgemm, w.sgemm,
                   br.best[0] ? br.best : "-", br.library);
            rc = 0;
        }
        goto out;
    }
    double t0 = bench_now();
    printf("mlpd wide benchmark: 784-256-10 training vs the BLAS's dgemm/sgemm, by kernel\n");
    print_cpu();
    blas_report_line(&br, line, sizeof line);
    printf("%s; one thread\n", line);
    print_load("load average at start");
    if (run_parent(init, &data, &br) == 0) {
        print_targets();
        printf("\ntotal bench time %.1f s; ", bench_now() - t0);
        print_load("load average at end");
        rc = 0;
    } else {
        fprintf(stderr, "wide_bench: failed\n");
    }
out:
    mlp_free(init);
    bench_set_free(&data);
    return rc;
}
