/*
 * datasets.h - a class's shared datasets in storage (schema
 * 0008_datasets.sql): the rows split once into training and test rows,
 * the description, copies into models, each user's best test score.
 * Same rules as storage.h: every write one transaction, results owned
 * by the caller (free them with the function named).
 */
#ifndef MLPD_STORAGE_DATASETS_H
#define MLPD_STORAGE_DATASETS_H

#include <stddef.h>
#include <stdint.h>

#include "storage/storage.h"

typedef struct st_dataset {
    char id[17];
    char owner[17];
    char owner_name[65];  /* "" when the user is gone */
    char *name;
    int class_visible;    /* visibility "class" (else "private") */
    int64_t inputs, outputs;
    char *classes;        /* JSON array text; NULL for regression */
    double test_fraction;
    int64_t seed;
    int64_t n_rows, n_train, n_test;
    char *public_json;    /* members of the description every reader sees */
    char *owner_json;     /* members only the owner sees */
    double created_at;
} st_dataset;

void st_dataset_clear(st_dataset *d); /* accepts zeroed */
void st_datasets_free(st_dataset *ds, size_t n);

/* The rows, each packed as in samples: x rows x inputs, y rows x outputs,
 * y1 (two classes only, else NULL) rows x 1. */
typedef struct st_dataset_rows {
    const double *x_train, *y_train, *y1_train;
    const double *x_test, *y_test, *y1_test;
} st_dataset_rows;

/* Create with created_at now. max_owner_total > 0 refuses (ST_QUOTA,
 * nothing written) when the owner's models and datasets would hold more
 * rows than that in all. ST_CONFLICT if the id exists. */
st_status storage_dataset_create(storage *s, const st_dataset *d, const st_dataset_rows *r,
                                 int64_t max_owner_total);
/* One dataset with both descriptions; ST_NOT_FOUND if none. */
st_status storage_dataset_get(storage *s, const char *id, st_dataset *out);
/* The datasets viewer owns and every "class" one (viewer NULL: all),
 * oldest first; owner_json is not read (NULL). */
st_status storage_dataset_list(storage *s, const char *viewer, st_dataset **out, size_t *n);
st_status storage_dataset_set_visibility(storage *s, const char *id, int class_visible);
/* The dataset with its scores; models that copied its rows keep them. */
st_status storage_dataset_delete(storage *s, const char *id);

/* The rows of one side (test 1, training 0): x (n x n_in) and y (n x
 * n_out; one_column: the y1 column, n_out must be 1), malloc'ed. */
st_status storage_dataset_read(storage *s, const char *id, int test, int one_column,
                               size_t n_in, size_t n_out, double **x, double **y, size_t *n);

/* Copy the training rows into model_id as one batch, by one INSERT ...
 * SELECT in a transaction (one_column: the y1 targets). max_total > 0:
 * ST_LIMIT when the model would hold more samples; max_owner_total > 0:
 * ST_QUOTA when owner's models and datasets would hold more rows.
 * ST_NOT_FOUND when the model or dataset is gone. */
st_status storage_dataset_copy(storage *s, const char *dataset_id, int one_column,
                               const char *model_id, const char *owner,
                               int64_t max_owner_total, int64_t max_total, int64_t *added,
                               int64_t *total);

typedef struct st_score {
    char user_id[17];
    char name[65];
    char metric[16];   /* "accuracy" or "r2" */
    double score;      /* higher is better */
    double loss;       /* NaN when unknown */
    char model_id[17];
    int64_t version, evaluations;
    double best_at, last_at;
} st_score;

/* Count one evaluation of user_id on the dataset's test rows; the
 * score, loss, model and version are kept when score is higher than the
 * user's best so far (or it is the first). *best (may be NULL) gets the
 * row afterwards. */
st_status storage_score_record(storage *s, const char *dataset_id, const char *user_id,
                               const char *metric, double score, double loss,
                               const char *model_id, int64_t version, st_score *best);
/* Every user's best, best first (then the earliest), with names. */
st_status storage_scores_list(storage *s, const char *dataset_id, st_score **out, size_t *n);

#endif
