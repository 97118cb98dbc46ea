/*
 * prep.h - the scalers a weight version was trained with (DESIGN.md
 * "Real data"): inputs and targets, each a core mlp_scaler, plus the split
 * of the job that fitted them (which rows it trained and validated on, for
 * evaluate's "split").
 *
 * Stored inside the version's blob, after the core's mlp_save bytes, so
 * that a version and its scalers are one row, written in the same
 * transaction by every path that stores weights (a job's checkpoint and
 * result, PUT, step, restore, import) and read by one call:
 *
 *   [mlp_save bytes][record][record length: u32 LE]["MLPDPRE1"]
 *   record: u32 inputs method, u32 targets method, u64 inputs, u64 outputs,
 *           i64 train_rows, i64 val_rows, then binary64 LE: inputs offset,
 *           inputs scale, targets offset, targets scale
 *
 * A version without scalers is the plain mlp_save bytes (every version
 * written before this file, and every version of a model that never
 * scales), so the lecture's blobs are unchanged.
 */
#ifndef MLPD_DOMAIN_PREP_H
#define MLPD_DOMAIN_PREP_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "mlp.h"
#include "scaler.h"
#include "util/jsonread.h"
#include "util/sbuf.h"

struct model_prep {
    mlp_scaler inputs;  /* dims = the model's inputs */
    mlp_scaler targets; /* dims = the model's outputs */
    int64_t train_rows; /* the fitting job's rows [0, train_rows) trained, */
    int64_t val_rows;   /* the next val_rows validated; 0 and 0 when not from a job */
};
typedef struct model_prep model_prep;

/* Identity scalers of the methods (MLP_SCALE_*), or NULL if out of memory
 * or a method is unknown. */
model_prep *prep_new(int in_method, size_t n_in, int out_method, size_t n_out);
model_prep *prep_clone(const model_prep *p);
void prep_free(model_prep *p); /* accepts NULL */
/* 1 if p is NULL or both scalers change nothing. */
int prep_is_identity(const model_prep *p);

/* The version blob of net with p (NULL: plain mlp_save bytes), malloc'ed
 * into *blob. 0, or -1 if out of memory. */
int prep_blob_encode(const mlp_t *net, const model_prep *p, unsigned char **blob,
                     size_t *len);
/* Split a stored blob: *net_len gets the mlp_save part's length, *p the
 * scalers (NULL when there are none). 0, or -1 if the trailer is damaged
 * or does not fit n_in / n_out (checked again by the caller's mlp_load). */
int prep_blob_decode(const unsigned char *blob, size_t len, size_t *net_len, model_prep **p);

/* {"inputs": {"method", "mean"|"min", "scale"}, "targets": {...}} (method
 * none shows the method only); numbers printed to read back bit for bit. */
void prep_write_json(sbuf *b, const model_prep *p);
/* Read that object (PUT weights, import) into a new prep for n_in / n_out;
 * prefix names it in messages. 0, or -1 with *e naming the field. */
int prep_read_json(json_err *e, const cJSON *pre, const char *prefix, size_t n_in,
                   size_t n_out, model_prep **out);

/* x_scaled = inputs' transform (n rows); y raw = targets' inverse.
 * p NULL does nothing (out untouched: use the rows as they are). MLP_OK
 * or MLP_ERR_NONFINITE. */
mlp_status prep_inputs(const model_prep *p, size_t n, const double *x, double *out);
mlp_status prep_targets(const model_prep *p, size_t n, const double *y, double *out);
mlp_status prep_targets_inverse(const model_prep *p, size_t n, const double *y, double *out);

#endif
