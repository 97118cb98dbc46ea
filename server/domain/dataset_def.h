/*
 * dataset_def.h - a class's shared data set (DESIGN.md "A class"): the
 * rows as a teacher uploads them, checked; the seeded, stratified split
 * that holds back the test rows; the statistics a student may see.
 *
 * (domain/datasets.h is another thing: the lab's generated sets.)
 *
 * Pure functions: no I/O, no globals written. A body is parsed into a
 * ds_table (JSON in the sample shapes, or text/csv), ds_split marks the
 * test rows, ds_describe writes the JSON a reader sees: the columns,
 * counts and the statistics of the training rows (public), and apart
 * from it those of the test rows (the owner's only), so that nothing
 * computed from a test row's target is ever in what a student reads.
 *
 * Targets: a regression set has n_out numeric columns; a classification
 * set (classes, 2..DS_MAX_CLASSES names) keeps each row's class index in
 * label[] and its targets one-hot (n_out = n_classes), and for two
 * classes also as one column (the probability of the second class), the
 * shape of a one-sigmoid-output model.
 */
#ifndef MLPD_DOMAIN_DATASET_DEF_H
#define MLPD_DOMAIN_DATASET_DEF_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "util/jsonread.h"
#include "util/sbuf.h"

#define DS_MAX_CLASSES 1024
#define DS_MAX_NAME 128     /* bytes of a dataset's name */
#define DS_MAX_LABEL 256    /* bytes of a class or column name (CSV_MAX_NAME) */
#define DS_MAX_COLUMNS 1024 /* inputs, and numeric targets */
#define DS_SEED_MAX (INT64_C(1) << 53)

typedef struct ds_table {
    size_t n, n_in, n_out;
    double *x, *y;       /* n x n_in, n x n_out (one-hot for classes) */
    size_t n_classes;    /* 0: regression */
    char **classes;      /* n_classes names, in the order of the outputs */
    uint32_t *label;     /* n class indices (classes only) */
    char **feature_names;/* n_in names, or NULL */
    char **target_names; /* n_out names (regression only), or NULL */
} ds_table;

/* What a dataset is made with, besides its rows. */
typedef struct ds_options {
    const char *name;     /* points into the body (JSON) or the query */
    double test_fraction; /* 0..0.5, default DS_TEST_FRACTION_DEFAULT */
    int64_t seed;         /* 0..2^53, default 1 */
    int class_visible;    /* visibility "class" (default private) */
} ds_options;
#define DS_TEST_FRACTION_DEFAULT 0.2

/* Why a body was refused: a util/jsonread.h refusal (its code, the field
 * and a sentence; JSON_ERR_TOO_MANY for more rows than allowed), and
 * whether it is a CSV problem (the field is then "line N"). */
typedef struct ds_error {
    json_err e;
    int csv;
} ds_error;

void ds_table_free(ds_table *t); /* accepts a zeroed table */

/* A JSON body: {"name", "test_fraction"?, "seed"?, "visibility"?,
 * "classes"?, "feature_names"?, "target_names"?, and the rows as
 * "samples": [{"x", "y"} | {"x", "label"}] or "inputs" with "targets"
 * or "labels"}. opt->name points into body. 0, or -1 with *err. */
int ds_parse_json(const cJSON *body, size_t max_rows, size_t max_inputs, ds_table *t,
                  ds_options *opt, ds_error *err);

/* A text/csv body (len bytes): a header row (no field a number) names
 * the columns; then per row the inputs and the targets: `targets`
 * numeric columns (1..), or with labels (classes given, or the last
 * field of the first row not a number) one class name. classes may be
 * NULL (then: the sorted distinct labels) or a comma list. */
int ds_parse_csv(const char *text, size_t len, size_t targets, int labels,
                 const char *classes, size_t max_rows, size_t max_inputs, ds_table *t,
                 ds_error *err);

/* The options of a CSV upload from query values (each may be NULL). */
int ds_options_parse(const char *name, const char *test_fraction, const char *seed,
                     const char *visibility, ds_options *opt, ds_error *err);

/* Mark the test rows (is_test[i] = 1): ceil(f n) of them (none for f
 * 0), drawn with a seeded shuffle; for classes per class in proportion
 * (floors, then the largest remainders, ties to the first class), so
 * the same table, fraction and seed give the same rows. At least one
 * row stays for training: -1 (with err) when f > 0 leaves none. */
int ds_split(const ds_table *t, double test_fraction, uint64_t seed, unsigned char *is_test,
             size_t *n_test, ds_error *err);

/* Copy the rows of one side (test 0/1) into malloc'ed arrays: x (rows x
 * n_in), y (rows x n_out) and, for two classes, y1 (rows x 1, else
 * NULL). -1 when out of memory. */
int ds_take(const ds_table *t, const unsigned char *is_test, int test, double **x,
            double **y, double **y1, size_t *rows);

/* The description of a table split by is_test: into pub {"inputs",
 * "outputs", "rows", "train_rows", "test_rows", "columns": [{"name",
 * "mean", "std", "min", "max"}] of the inputs, "classes" and
 * "class_counts" (training rows) or "targets" (the target columns'
 * statistics on training rows)}, and into owner {"test": the same
 * statistics and class counts of the test rows}: JSON object members
 * without the braces, to be put inside an object. */
void ds_describe(const ds_table *t, const unsigned char *is_test, sbuf *pub, sbuf *owner);

/* ---- scoring (dataset_score.c) ---------------------------------------- */

/* How well outputs (n x n_out) match targets: mean loss as the model
 * computes it (given per row by the caller), and for classes accuracy
 * (a row's class: the largest output, ties to the first; one output:
 * >= 0.5 is the second class), else mse, rmse, mae and r2 (uniform
 * average over the outputs, scikit-learn's: a constant target column
 * scores 1 when predicted exactly, else 0). */
typedef struct ds_score {
    size_t n;
    double accuracy;        /* classes only */
    double mse, rmse, mae, r2; /* regression only */
} ds_score;

void ds_score_rows(const double *out, const double *target, size_t n, size_t n_out,
                   size_t n_classes, ds_score *s);

#endif
