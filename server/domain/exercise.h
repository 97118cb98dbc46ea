/*
 * exercise.h - graded step exercises: what the lecture's online step
 * means as homework. Pure: no HTTP, no SQL, no globals; every function is
 * reentrant and allocates nothing but what core's mlp_step takes.
 *
 * An exercise (ex_def) is a network, a seed, a number of steps (1..3, the
 * same sample each step) and a relative tolerance. Each student's variant
 * (ex_variant) is drawn from (seed, user id): weights, biases, x, d and
 * the learning rate, each rounded to 2 decimals, re-drawn until no unit
 * saturates in any step (f'(v) at least a fifth of its largest value:
 * |v| <= 2.94 for sigmoid, |v| <= 1.44 for tanh; relu units active with
 * v >= 0.05; linear |v| <= 5), every error |e| >= 0.02, and every known
 * slip changes some number of step 1 by at least 1% (and twice the
 * tolerance), so that it shows.
 *
 * The expected answer (ex_solution) is core's mlp_step trace, the one
 * POST /v1/models/{id}/step answers. An attempt (ex_attempt) is any
 * subset of its quantities under the trace's names; grading compares each
 * number by relative error and names the known slips (ex_slip) whose
 * recomputed trace the wrong numbers match.
 *
 * Refusals are an ex_error rather than domain/status.h's dom_status: the
 * field here is a path built per request ("steps[1].layers[0].dw[2][1]"),
 * and the API needs four kinds of refusal (unknown field, missing, wrong
 * length, invalid) to answer with the matching code.
 */
#ifndef MLPD_DOMAIN_EXERCISE_H
#define MLPD_DOMAIN_EXERCISE_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "mlp.h"

#define EX_LECTURE "lecture-2-3-1"
#define EX_MAX_INPUTS 8
#define EX_MAX_LAYERS 4
#define EX_MAX_UNITS 8
#define EX_MAX_STEPS 3
#define EX_MAX_W (EX_MAX_UNITS * EX_MAX_UNITS)
#define EX_MAX_PARAMS (EX_MAX_LAYERS * (EX_MAX_W + EX_MAX_UNITS))
#define EX_TOLERANCE_DEFAULT 1e-4
#define EX_TOLERANCE_MIN 1e-12
#define EX_TOLERANCE_MAX 0.01 /* slips change numbers by 1% or more */
#define EX_MAX_DRAWS 10000 /* candidate variants tried per user (about 10 us each) */

typedef enum ex_err {
    EX_OK = 0,
    EX_ERR_INVALID,       /* a value is wrong (type, range, name) */
    EX_ERR_UNKNOWN_FIELD, /* a key the attempt or network does not take */
    EX_ERR_MISSING,       /* a required field, or an attempt with no number */
    EX_ERR_DIMENSIONS,    /* an array of the wrong length */
    EX_ERR_LIMIT,         /* a network past the EX_MAX_* bounds */
    EX_ERR_NO_VARIANT,    /* no draw keeps every unit unsaturated */
    EX_ERR_INTERNAL       /* the core failed (out of memory) */
} ex_err;

/* Why something was refused: the path in the body ("layers[0].dw[1][0]",
 * "" for the whole) and a sentence. */
typedef struct ex_error {
    ex_err code;
    char path[96];
    char message[224];
} ex_error;

typedef struct ex_def {
    mlp_spec spec;      /* mse loss; sigmoid, tanh, linear or relu layers */
    int lecture;        /* 1: the network was given as "lecture-2-3-1" */
    uint64_t seed;
    size_t steps;       /* 1..EX_MAX_STEPS */
    double tolerance;   /* relative, EX_TOLERANCE_MIN..EX_TOLERANCE_MAX */
} ex_def;

/* def->spec and def->lecture from "lecture-2-3-1" or
 * {"inputs", "layers": [{"units", "activation"}], "loss"?: "mse"}.
 * path names network in messages. */
ex_err ex_network_parse(const cJSON *network, const char *path, ex_def *def, ex_error *err);
/* The network as ex_network_parse reads it back: a new cJSON string
 * ("lecture-2-3-1") or object; NULL when out of memory. */
cJSON *ex_network_json(const ex_def *def);
/* Steps and tolerance in range, and a variant exists for eight probe
 * users within EX_MAX_DRAWS / 8 draws each (else EX_ERR_NO_VARIANT naming
 * "network"), so that any user's EX_MAX_DRAWS draws find one. */
ex_err ex_def_check(const ex_def *def, ex_error *err);

typedef struct ex_variant {
    mlp_spec spec;
    size_t steps;
    double params[EX_MAX_PARAMS]; /* core's flat layout (mlp.h) */
    double x[EX_MAX_INPUTS];
    double d[EX_MAX_UNITS];
    double eta;
} ex_variant;

/* The user's variant: the same (def, user_id) always gives the same one.
 * EX_ERR_NO_VARIANT when EX_MAX_DRAWS draws all saturate. */
ex_err ex_variant_make(const ex_def *def, const char *user_id, ex_variant *out, ex_error *err);
/* Layer l's weights (units x fan_in, row-major) and biases inside v->params. */
void ex_variant_layer(const ex_variant *v, size_t l, const double **w, const double **b,
                      size_t *units, size_t *fan_in);

/* Every quantity of one step, in fixed storage. */
typedef struct ex_layer_q {
    size_t units, fan_in;
    int activation;
    double input[EX_MAX_UNITS], v[EX_MAX_UNITS], y[EX_MAX_UNITS], fprime[EX_MAX_UNITS];
    double delta[EX_MAX_UNITS], db[EX_MAX_UNITS], b_before[EX_MAX_UNITS], b_after[EX_MAX_UNITS];
    double dw[EX_MAX_W], w_before[EX_MAX_W], w_after[EX_MAX_W];
} ex_layer_q;

typedef struct ex_step {
    size_t n_layers, outputs;
    double e[EX_MAX_UNITS];
    double E, E_after; /* 1/2 sum e^2 before and after the step */
    ex_layer_q layers[EX_MAX_LAYERS];
} ex_step;

typedef struct ex_solution {
    size_t steps;
    double d[EX_MAX_UNITS];
    double eta;
    ex_step step[EX_MAX_STEPS];
} ex_solution;

/* Run core's mlp_step steps times from the variant (each step from the
 * weights the last one left). */
ex_err ex_solve(const ex_variant *v, ex_solution *out, ex_error *err);

/* The known slips, in the order mistakes are listed. */
typedef enum ex_slip {
    EX_SLIP_UPDATED_WEIGHTS = 0, /* hidden deltas with w(n+1) of the layer above */
    EX_SLIP_ERROR_SIGN,          /* e = y - d */
    EX_SLIP_MISSING_FPRIME,      /* delta without f'(v) */
    EX_SLIP_BIAS_WITHOUT_ETA,    /* db = delta */
    EX_N_SLIPS
} ex_slip;

const char *ex_slip_code(ex_slip s);
/* A sentence pointing at the lecture's rule. */
const char *ex_slip_message(ex_slip s);
/* 1 if the slip can change a number of this network (missing_fprime
 * needs a layer whose f' is not 1; updated weights a hidden layer). */
int ex_slip_applies(const ex_step *st, ex_slip s);
/* The step as a student with the slip in the layers of mask (bit l =
 * layer l; error_sign ignores it) computes it: the forward half of
 * correct, the backward half redone. E_after is left as correct's. */
void ex_step_slipped(const ex_step *correct, const double *d, double eta, ex_slip slip,
                     unsigned mask, ex_step *out);

/* ---- attempts (exercise_attempt.c) ---------------------------------- */

typedef enum ex_qty {
    EX_Q_E = 0,   /* e[j] */
    EX_Q_COST,    /* E */
    EX_Q_COST_AFTER,
    EX_Q_V,       /* layers[l].v[j] ... */
    EX_Q_Y,
    EX_Q_FPRIME,
    EX_Q_DELTA,
    EX_Q_DB,
    EX_Q_B_AFTER, /* biases_after[j] */
    EX_Q_DW,      /* dw[j][i] */
    EX_Q_W_AFTER, /* weights_after[j][i] */
    EX_N_QTY
} ex_qty;

/* One number of an attempt, with its grade once graded. */
typedef struct ex_given {
    unsigned char step;     /* 0-based */
    unsigned char qty;      /* ex_qty */
    unsigned char layer;
    unsigned char in_steps; /* given as steps[k]... (else at the top level) */
    unsigned short index;   /* j, or j * fan_in + i for matrices */
    double value;
    /* set by ex_grade */
    double expected, rel_error;
    int correct;
    unsigned slips;         /* bit s: matches ex_slip s */
} ex_given;

#define EX_STEP_NUMBERS ((size_t)EX_MAX_UNITS + 2 + (size_t)EX_MAX_LAYERS * (6 * EX_MAX_UNITS + 2 * EX_MAX_W))
#define EX_MAX_GIVEN ((size_t)EX_MAX_STEPS * EX_STEP_NUMBERS)

typedef struct ex_attempt {
    size_t n;
    int reveal;
    ex_given given[EX_MAX_GIVEN];
} ex_attempt;

/* Read an attempt body (an object) for a network of this spec and steps:
 * {"e", "E", "E_after", "layers": [{"v", "y", "fprime", "delta", "dw",
 * "db", "weights_after", "biases_after"}], "steps": [{...}], "reveal"}.
 * Top-level quantities are step 1, steps[k] step k+1; a null number is
 * not given. Unknown keys, wrong lengths, non-numbers and an attempt
 * without numbers are refused, naming the path. */
ex_err ex_attempt_parse(const cJSON *body, const mlp_spec *spec, size_t steps, ex_attempt *out,
                        ex_error *err);
/* "layers[0].delta[1]", "steps[1].e[0]" ... of g into out. */
void ex_given_path(const ex_given *g, const mlp_spec *spec, char *out, size_t n);
/* The expected value of quantity (qty, layer, index) in st. */
double ex_step_value(const ex_step *st, int qty, size_t layer, size_t index);

typedef struct ex_summary {
    size_t n_given, n_correct;
    double score;   /* n_correct / n_given */
    unsigned slips; /* bit s: some wrong number matches slip s */
} ex_summary;

/* Grade every number of a against sol with relative tolerance tol:
 * rel_error = |given - expected| / max(|expected|, 1e-12). */
void ex_grade(const ex_solution *sol, double tol, ex_attempt *a, ex_summary *out);

#endif
