/*
 * realdata.h - what real data adds to storage (schema 0007_realdata.sql):
 * a model's spec replaced (feature names learnt from a CSV header), a
 * job's warnings, and per-epoch extras of history (learning rate,
 * accuracy, validation accuracy). Same rules as storage.h: every write one
 * transaction, results owned by the caller.
 */
#ifndef MLPD_STORAGE_REALDATA_H
#define MLPD_STORAGE_REALDATA_H

#include <stddef.h>
#include <stdint.h>

#include "storage/storage.h"

/* Replace the model's spec_json by new_spec if it is still old_spec
 * (ST_CONFLICT otherwise, nothing written; ST_NOT_FOUND for no model). */
st_status storage_model_replace_spec(storage *s, const char *id, const char *old_spec,
                                     const char *new_spec);

/* The job's warnings as JSON text (an array of strings). */
st_status storage_job_warnings_set(storage *s, const char *job_id, const char *json);
/* *json malloc'ed, or NULL when the job has none (ST_OK either way). */
st_status storage_job_warnings_get(storage *s, const char *job_id, char **json);

typedef struct st_epoch_extra {
    char job_id[17];
    int64_t epoch;
    double learning_rate, accuracy, val_accuracy; /* NaN for none */
} st_epoch_extra;

/* Append n rows (job_id of each row is ignored: job_id given) in one
 * transaction. */
st_status storage_history_extra_append(storage *s, const char *model_id, const char *job_id,
                                       const st_epoch_extra *rows, size_t n);
/* Every row of the model's jobs, in insertion order (*out malloc'ed). */
st_status storage_history_extra_list(storage *s, const char *model_id, st_epoch_extra **out,
                                     size_t *n);

#endif
