/*
 * fastrows.h - a fast path for predict bodies: {"<key>": [[n, ...], ...]}.
 *
 * Recognises only that exact shape (any JSON whitespace, numbers in strict
 * JSON grammar, all finite) and parses it without building a tree or
 * allocating per row. Anything else - another shape, a bad number, a wrong
 * row width, too many rows - returns "not handled", and the caller falls
 * back to the general cJSON path, which gives the precise error.
 */
#ifndef MLPD_SERVER_FASTROWS_H
#define MLPD_SERVER_FASTROWS_H

#include <stddef.h>

typedef struct fast_rows {
    double *x;       /* rows x cols, row-major: stack or heap (see owned) */
    size_t rows;
    int owned;       /* x is malloc'ed: free it */
} fast_rows;

/* 1 if buf is exactly the shape with 1..max_rows rows of cols numbers
 * (out filled; stack of stack_n doubles used when large enough), else 0
 * (nothing to free). */
int fast_rows_parse(const char *buf, size_t len, const char *key, size_t cols,
                    size_t max_rows, double *stack, size_t stack_n, fast_rows *out);

#endif
