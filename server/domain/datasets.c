/*
 * datasets.c - xor, circle, two gaussians, spiral (classification) and
 * sin(x1) cos(x2) (regression), generated from a seed. See datasets.h for
 * the conventions; the shapes follow TensorFlow Playground's, scaled to
 * [-1, 1] (sine: [-pi, pi]).
 */
#include "domain/datasets.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"

#define PI 3.14159265358979323846

typedef struct dataset_info {
    const char *name;
    dataset_kind kind;
    int regression;
} dataset_info;

static const dataset_info sets[] = {
    {"xor", DATASET_XOR, 0},
    {"circle", DATASET_CIRCLE, 0},
    {"gaussians", DATASET_GAUSSIANS, 0},
    {"spiral", DATASET_SPIRAL, 0},
    {"sine", DATASET_SINE, 1},
};
#define N_SETS (sizeof sets / sizeof sets[0])

const char *dataset_names(void) { return "xor, circle, gaussians, spiral, sine"; }

static int fail(dataset_error *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(dataset_error *err, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err->field = field;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

/* Decimal digits only (no sign, no spaces), at most 16 of them. */
static int parse_count(const char *s, uint64_t *out)
{
    size_t len = strlen(s);
    if (len == 0 || len > 16 || strspn(s, "0123456789") != len)
        return -1;
    *out = strtoull(s, NULL, 10);
    return 0;
}

/* A plain decimal number: no leading space, no hex, nothing after it. */
static int parse_number(const char *s, double *out)
{
    if (!*s || strlen(s) > 64 || strpbrk(s, "xXpP") || !strchr("+-.0123456789", s[0]))
        return -1;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static const dataset_info *find(const char *name)
{
    for (size_t i = 0; i < N_SETS; i++)
        if (strcmp(sets[i].name, name) == 0)
            return &sets[i];
    return NULL;
}

static int check_shape(const dataset_info *d, size_t n_in, size_t n_out, dataset_error *err)
{
    if (n_in != DATASET_INPUTS)
        return fail(err, "generate",
                    "The %s data set has 2 inputs; this model has %zu. Create a model "
                    "with \"inputs\": 2.", d->name, n_in);
    if (d->regression && n_out != 1)
        return fail(err, "generate",
                    "The %s data set has 1 output (a regression); this model has %zu.",
                    d->name, n_out);
    if (!d->regression && n_out != 1 && n_out != 2)
        return fail(err, "generate",
                    "The %s data set has two classes: the model needs 1 output (target "
                    "0 or 1) or 2 (one-hot); it has %zu.", d->name, n_out);
    return 0;
}

int dataset_params_parse(const char *name, const char *n, const char *noise,
                         const char *seed, size_t max_n, size_t n_in, size_t n_out,
                         dataset_params *out, dataset_error *err)
{
    const dataset_info *d = name ? find(name) : NULL;
    if (!d)
        return fail(err, "generate", "Unknown data set '%.32s'; choose one of %s.",
                    name ? name : "", dataset_names());
    if (check_shape(d, n_in, n_out, err) != 0)
        return -1;
    uint64_t rows = max_n < DATASET_N_DEFAULT ? max_n : DATASET_N_DEFAULT;
    if (n && (parse_count(n, &rows) != 0 || rows < 1 || rows > max_n))
        return fail(err, "n", "n must be an integer from 1 to %zu (the model's sample limit).",
                    max_n);
    if (rows < 1)
        return fail(err, "n", "This model cannot hold any more samples.");
    double sd = 0;
    if (noise && (parse_number(noise, &sd) != 0 || !(sd >= 0) || sd > DATASET_NOISE_MAX))
        return fail(err, "noise", "noise must be a decimal number from 0 to %g.",
                    DATASET_NOISE_MAX);
    uint64_t s = 1;
    if (seed && (parse_count(seed, &s) != 0 || s > DATASET_SEED_MAX))
        return fail(err, "seed", "seed must be an integer from 0 to 2^53.");
    out->kind = d->kind;
    out->n = (size_t)rows;
    out->noise = sd;
    out->seed = s;
    return 0;
}

/* ---- the generators: one point of class c (or of the surface) -------- */

static double uniform(mlp_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * mlp_rng_uniform(r);
}

/* Quadrants: class 1 where the signs of x1 and x2 differ (x1 XOR x2). */
static void xor_point(mlp_rng *r, int c, double *x)
{
    double a = uniform(r, 0.05, 1.0), b = uniform(r, 0.05, 1.0);
    int flip = mlp_rng_uniform(r) < 0.5;
    double s1 = flip ? 1.0 : -1.0;
    double s2 = c ? -s1 : s1;
    x[0] = s1 * a;
    x[1] = s2 * b;
}

/* Class 1 inside radius 0.5, class 0 in the ring from 0.7 to 1. */
static void circle_point(mlp_rng *r, int c, double *x)
{
    double radius = c ? uniform(r, 0.0, 0.5) : uniform(r, 0.7, 1.0);
    double angle = uniform(r, 0.0, 2 * PI);
    x[0] = radius * cos(angle);
    x[1] = radius * sin(angle);
}

/* Class 1 around (0.5, 0.5), class 0 around (-0.5, -0.5), sd 0.25. */
static void gaussian_point(mlp_rng *r, int c, double *x)
{
    double centre = c ? 0.5 : -0.5;
    x[0] = centre + 0.25 * mlp_rng_normal(r);
    x[1] = centre + 0.25 * mlp_rng_normal(r);
}

/* Two arms, 1.75 turns each, the second turned by pi; radius 0..1. */
static void spiral_point(mlp_rng *r, int c, double *x)
{
    double t = uniform(r, 0.0, 1.0);
    double angle = 1.75 * 2 * PI * t + (c ? PI : 0.0);
    x[0] = t * sin(angle);
    x[1] = t * cos(angle);
}

static void set_class(double *y, size_t n_out, int c)
{
    if (n_out == 1) {
        y[0] = c;
    } else {
        y[0] = c ? 0.0 : 1.0;
        y[1] = c ? 1.0 : 0.0;
    }
}

void dataset_generate(const dataset_params *p, size_t n_out, double *x, double *y)
{
    mlp_rng r;
    mlp_rng_seed(&r, p->seed);
    for (size_t i = 0; i < p->n; i++) {
        double *xi = x + i * DATASET_INPUTS, *yi = y + i * n_out;
        int c = (int)(i % 2 == 0); /* rows alternate class 1, class 0 */
        switch (p->kind) {
        case DATASET_XOR: xor_point(&r, c, xi); break;
        case DATASET_CIRCLE: circle_point(&r, c, xi); break;
        case DATASET_GAUSSIANS: gaussian_point(&r, c, xi); break;
        case DATASET_SPIRAL: spiral_point(&r, c, xi); break;
        case DATASET_SINE:
            xi[0] = uniform(&r, -PI, PI);
            xi[1] = uniform(&r, -PI, PI);
            yi[0] = sin(xi[0]) * cos(xi[1]) + p->noise * mlp_rng_normal(&r);
            continue;
        }
        xi[0] += p->noise * mlp_rng_normal(&r);
        xi[1] += p->noise * mlp_rng_normal(&r);
        set_class(yi, n_out, c);
    }
}
