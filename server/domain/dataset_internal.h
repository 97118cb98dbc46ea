/*
 * dataset_internal.h - what dataset_parse.c and dataset_csv.c share:
 * labels as spans into the body, their check, and turning them into
 * classes and one-hot targets. Nothing else includes this.
 */
#ifndef MLPD_DOMAIN_DATASET_INTERNAL_H
#define MLPD_DOMAIN_DATASET_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "domain/dataset_def.h"

typedef struct span {
    const char *s;
    size_t len;
    uint32_t index; /* in a sorted class list: the class's output number */
} span;

/* Byte order, then length (a qsort / bsearch comparator of spans). */
int ds_span_cmp(const void *a, const void *b);
/* 1 if [s, s+len) is 1..DS_MAX_LABEL bytes of UTF-8 without a control
 * character. */
int ds_name_ok(const char *s, size_t len);
/* "Out of memory." into err; -1. */
int ds_nomem(ds_error *err);
/* n names (v NULL: nothing) as malloc'ed strings into *dst; 0 or -1. */
int ds_copy_names(char ***dst, const span *v, size_t n, ds_error *err);
/* The classes (given, or the sorted distinct labels), each row's index
 * and its one-hot targets into t (t->n rows of labels); where(i) names
 * row i in an error. 0 or -1. */
int ds_index_labels(ds_table *t, const span *given, size_t n_given, span *labels,
                    const char *(*where)(size_t, char *, size_t), ds_error *err);

#endif
