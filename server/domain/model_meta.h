/*
 * model_meta.h - what a model knows about its data beside the network
 * (DESIGN.md "Real data"): the scaling methods its jobs fit
 * ("preprocessing"), its class names ("classes") and its input column
 * names ("feature_names"). Kept in the model's spec_json next to the
 * architecture, absent fields meaning none, so that rows written before
 * these fields read as they did.
 *
 * A classifier's targets are coded from labels: softmax with k units gets
 * one-hot rows, one sigmoid unit (k = 2) gets 0 or 1 (the probability of
 * the second class).
 */
#ifndef MLPD_DOMAIN_MODEL_META_H
#define MLPD_DOMAIN_MODEL_META_H

#include <cJSON.h>
#include <stddef.h>

#include "mlp.h"
#include "util/jsonread.h"

#define META_MAX_CLASSES 1024
#define META_NAME_MAX 128 /* bytes of a class or feature name */

typedef struct model_meta {
    int pre_inputs;     /* mlp_scale_method (MLP_SCALE_NONE when absent) */
    int pre_targets;
    size_t n_classes;   /* 0: not a classifier */
    char **classes;
    size_t n_features;  /* 0: no names yet */
    char **feature_names;
} model_meta;

/* Empty meta: none, none, no classes, no names. */
void model_meta_init(model_meta *m);
/* Frees the names; accepts an initialised or zeroed meta. */
void model_meta_clear(model_meta *m);

/* Read "preprocessing", "classes", "feature_names" of obj (a create body
 * or a stored spec_json) against the architecture, into *m (initialised
 * first; cleared on failure). 0, or -1 with *e naming the field:
 * duplicates, empty names, the wrong output size for classes, scaling
 * that does not fit the output layer. */
int model_meta_read(json_err *e, const cJSON *obj, const mlp_spec *spec, model_meta *m);
/* The same from spec_json text; -1 if it is damaged. */
int model_meta_parse(const char *spec_json, const mlp_spec *spec, model_meta *m);

/* Add the fields that are not the defaults to obj (JSON of the model,
 * stored spec). 0, or -1 if out of memory. */
int model_meta_add_json(cJSON *obj, const model_meta *m);

/* spec_json text for the architecture with its meta (malloc'ed) or NULL. */
char *model_meta_spec_json(const char *arch_json, const model_meta *m);

/* Index of label among the classes, or -1. */
long model_meta_class(const model_meta *m, const char *label);
/* The target row of class c (outputs doubles: one-hot, or 0/1 for one
 * sigmoid unit). */
void model_meta_class_target(const model_meta *m, size_t outputs, size_t c, double *y);
/* Copy names (n strings) as the feature names; -1 (nothing changed) if
 * one is empty, longer than META_NAME_MAX or repeated, or out of memory. */
int model_meta_set_features(model_meta *m, const char *const *names, size_t n);

#endif
