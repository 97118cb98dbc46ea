/*
 * v2infer.h - the body of a KServe v2 / Open Inference Protocol infer
 * request (POST /v2/models/{id}/infer), read "...or reply" style
 * (jsonin.h): on bad input the response already holds a 400 naming the
 * field (api.c reshapes errors on /v2/ routes into {"error": "text"}).
 *
 * Accepted:
 *   {"id": string?, "parameters": object?,
 *    "inputs": [{"name": "input", "shape": [N, inputs],
 *                "datatype": "FP64" | "FP32", "parameters": object?,
 *                "data": N*inputs numbers, flat (row-major) or as N rows}],
 *    "outputs": [{"name": "output", "parameters": object?}]?}
 * FP32 data are rounded to float first (what a float32 tensor holds).
 */
#ifndef MLPD_SERVER_V2INFER_H
#define MLPD_SERVER_V2INFER_H

#include <cJSON.h>
#include <stddef.h>

#include "api/api.h"

typedef struct v2_infer {
    size_t rows;        /* N, 1..max_rows */
    double *x;          /* rows x inputs, row-major (malloc'ed) */
    int fp32;           /* the input tensor was FP32 */
    const char *id;     /* the request's id, or NULL; points into root */
    const cJSON *parameters; /* the request's parameters object, or NULL; into root */
    cJSON *root;        /* the parsed body (owned) */
} v2_infer;

/* Parse and check body for a model of `inputs` inputs; 0 with *out
 * filled (release with v2_infer_free), or -1 after replying 400 (413
 * past max_rows) with *out empty. */
int v2_infer_parse_or_reply(api_response *r, const char *body, size_t len, size_t inputs,
                            size_t max_rows, v2_infer *out);

/* Accepts a zeroed or freed struct. */
void v2_infer_free(v2_infer *v);

#endif
