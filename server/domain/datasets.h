/*
 * datasets.h - the lab's built-in data sets, generated on the server so
 * that curl users get the same points as the page:
 *   POST /v1/models/{id}/samples?generate=spiral&n=400&noise=0.1&seed=1
 *
 * Pure functions (no I/O, no globals written): a name and its query
 * parameters are checked into a dataset_params, then dataset_generate
 * fills caller-owned arrays. The same parameters give the same points, bit
 * for bit (core/mlp.h's seeded xoshiro256**).
 *
 * Every set has two inputs. Classification sets (xor, circle, gaussians,
 * spiral) alternate the two classes row by row, so that a validation split
 * (the last rows) holds both; their targets are 0/1 for a model with one
 * output, or one-hot [class 0, class 1] for a model with two. sine is a
 * regression, y = sin(x1) cos(x2) with x in [-pi, pi]^2, one output.
 * noise is the standard deviation of Gaussian noise added to the inputs
 * (classification) or to the target (sine).
 */
#ifndef MLPD_SERVER_DATASETS_H
#define MLPD_SERVER_DATASETS_H

#include <stddef.h>
#include <stdint.h>

#define DATASET_INPUTS 2
#define DATASET_NOISE_MAX 10.0
#define DATASET_N_DEFAULT 200
#define DATASET_SEED_MAX (UINT64_C(1) << 53)

typedef enum dataset_kind {
    DATASET_XOR,
    DATASET_CIRCLE,
    DATASET_GAUSSIANS,
    DATASET_SPIRAL,
    DATASET_SINE
} dataset_kind;

typedef struct dataset_params {
    dataset_kind kind;
    size_t n;      /* rows, 1..max_n */
    double noise;  /* finite, 0..DATASET_NOISE_MAX */
    uint64_t seed; /* 0..2^53 */
} dataset_params;

/* What is wrong with a request: the query parameter and a sentence. */
typedef struct dataset_error {
    const char *field; /* static: "generate", "n", "noise", "seed" */
    char message[192];
} dataset_error;

/* "xor, circle, gaussians, spiral, sine" (for messages and docs). */
const char *dataset_names(void);

/* Check the query values (each may be NULL = absent: n defaults to
 * DATASET_N_DEFAULT capped at max_n, noise to 0, seed to 1) and that a
 * model with n_in inputs and n_out outputs can take the set. 0, or -1 with
 * *err filled. */
int dataset_params_parse(const char *name, const char *n, const char *noise,
                         const char *seed, size_t max_n, size_t n_in, size_t n_out,
                         dataset_params *out, dataset_error *err);

/* Fill x (p->n rows of 2) and y (p->n rows of n_out; n_out as accepted
 * by dataset_params_parse). Never fails; every value is finite. */
void dataset_generate(const dataset_params *p, size_t n_out, double *x, double *y);

#endif
