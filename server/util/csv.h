/*
 * csv.h - samples as text/csv: per row the inputs, then the targets.
 *
 * Fields are separated by commas and may be surrounded by spaces or tabs;
 * rows end with LF or CRLF; blank lines are skipped. The first non-blank
 * row is a header (and skipped) when none of its fields is a number. Every
 * other field must be a finite decimal number (no NaN, Inf or hex), and
 * every row must have exactly n_in + n_out fields. All or nothing: on any
 * error nothing is returned.
 */
#ifndef MLPD_SERVER_CSV_H
#define MLPD_SERVER_CSV_H

#include <stddef.h>

typedef struct csv_error {
    size_t line;     /* 1-based line of the problem, 0 if none */
    int too_many;    /* more than max_rows rows */
    char message[160];
} csv_error;

/* Parse text (len bytes, not NUL-terminated). On success (0) *x (rows x
 * n_in) and *y (rows x n_out) are malloc'ed for the caller and *rows > 0.
 * On failure (-1) err says why. */
int csv_parse(const char *text, size_t len, size_t n_in, size_t n_out, size_t max_rows,
              double **x, double **y, size_t *rows, csv_error *err);

/* Parse one decimal number field [s, s+len) strictly; 0 on success. */
int csv_number(const char *s, size_t len, double *out);

#endif
