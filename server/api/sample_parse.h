/*
 * sample_parse.h - samples from a request body, in every shape the API
 * takes (samples.c posts them, evaluate.c scores them):
 *   {"samples": [{"x": [..], "y": [..]} or {"x": [..], "label": "name"}]}
 *   {"inputs": [[..]], "targets": [[..]]} or {"inputs", "labels": [..]}
 *   text/csv: inputs then targets per row, or for a model with classes
 *   inputs then the class name; an optional header names the columns.
 * Labels become target rows (model_meta_class_target); an unknown label
 * is 400 invalid_field naming where it is. All or nothing.
 */
#ifndef MLPD_API_SAMPLE_PARSE_H
#define MLPD_API_SAMPLE_PARSE_H

#include <cJSON.h>
#include <stddef.h>

#include "api/api.h"
#include "domain/model_meta.h"

typedef struct sample_set {
    size_t n, n_in, n_out;
    double *x, *y;      /* malloc'ed, n x n_in and n x n_out */
    char **names;       /* a CSV header's input column names (n_in), or NULL */
} sample_set;

void sample_set_free(sample_set *s);
/* x and y for n rows (n_in, n_out set); -1 after replying 500. */
int sample_set_alloc_or_reply(api_response *resp, sample_set *s, size_t n);

/* The sample keys of a JSON body (for the caller's own field list). */
extern const char *const sample_json_fields[];

/* body (parsed JSON object) has one of the sample shapes: 1, else 0. */
int samples_json_present(const cJSON *body);
/* Read the sample shapes of body into *s (n_in, n_out set by the caller);
 * at most max rows. 0, or -1 after replying. */
int samples_json_or_reply(api_response *resp, const cJSON *body, const model_meta *meta,
                          size_t max, sample_set *s);
/* Read a text/csv body; a header's input names go to s->names and must
 * equal the model's feature_names when it has them (400 naming the first
 * column that differs). 0, or -1 after replying. */
int samples_csv_or_reply(api_response *resp, const api_request *req, const model_meta *meta,
                         size_t max, sample_set *s);
/* Content-Type text/csv. */
int request_is_csv(const api_request *req);

#endif
