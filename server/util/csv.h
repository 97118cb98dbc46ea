/*
 * csv.h - samples as text/csv (RFC 4180): per row the inputs, then the
 * targets, or then one class name.
 *
 * Records end with LF or CRLF; blank lines are skipped. A field may be
 * quoted ("..."): inside quotes "" is one quote and commas, CR and LF are
 * part of the field; spaces or tabs around a field (outside its quotes)
 * are ignored. A quote inside an unquoted field, text after a closing
 * quote, or a quote left open is an error. Number fields (quoted or not)
 * must be finite decimal numbers (no NaN, Inf or hex). Names and class
 * labels are kept as they are inside the quotes (unquoted: without the
 * blanks around them); they must be valid UTF-8, without NUL bytes, and at
 * most CSV_MAX_NAME bytes.
 *
 * The first non-blank record is a header when none of its fields is a
 * number (CSV_HEADER_AUTO, the default), always (CSV_HEADER_YES), or never
 * (CSV_HEADER_NO). A header must have as many fields as a data row; its
 * fields become column names. Every data row must have exactly n_in +
 * n_out fields, or n_in + 1 in label mode. All or nothing: on any error
 * nothing is returned.
 */
#ifndef MLPD_SERVER_CSV_H
#define MLPD_SERVER_CSV_H

#include <stddef.h>

#define CSV_MAX_NAME 256 /* bytes of one header name or class label */

typedef struct csv_error {
    size_t line;     /* 1-based line where the bad record starts, 0 if none */
    size_t column;   /* 1-based field of the problem, 0 if not about one */
    int too_many;    /* more than max_rows rows */
    char message[160];
} csv_error;

enum { CSV_HEADER_AUTO = 0, CSV_HEADER_YES = 1, CSV_HEADER_NO = 2 };

typedef struct csv_opts {
    size_t n_in;     /* input columns, >= 1 */
    size_t n_out;    /* target columns (ignored in label mode), >= 1 */
    int labels;      /* nonzero: the last column is a class name, one field */
    int header;      /* CSV_HEADER_* */
    size_t max_rows; /* more data rows is an error with too_many set */
} csv_opts;

/* What csv_read returns; every pointer is malloc'ed (csv_table_free). */
typedef struct csv_table {
    size_t rows;     /* > 0 */
    size_t n_in, n_out; /* n_out is 0 in label mode */
    double *x;       /* rows x n_in */
    double *y;       /* rows x n_out; NULL in label mode */
    char **labels;   /* label mode: rows NUL-terminated class names; else NULL */
    char **names;    /* with a header: n_in + n_out (or n_in + 1) column
                        names, NUL-terminated, in order; else NULL */
    size_t n_names;  /* entries in names, 0 without a header */
    void *pool_;     /* private: the storage behind labels and names */
} csv_table;

/* Parse text (len bytes, not NUL-terminated, may hold any bytes) into *out.
 * 0 on success; -1 on failure, with err saying why (line, column) and *out
 * left empty (every pointer NULL, rows 0). */
int csv_read(const char *text, size_t len, const csv_opts *opts, csv_table *out,
             csv_error *err);

/* Free what csv_read returned and zero *t; accepts NULL and an empty table. */
void csv_table_free(csv_table *t);

/* The original interface (numeric targets, header auto-detected, names
 * dropped): on success (0) *x (rows x n_in) and *y (rows x n_out) are
 * malloc'ed for the caller and *rows > 0. On failure (-1) err says why. */
int csv_parse(const char *text, size_t len, size_t n_in, size_t n_out, size_t max_rows,
              double **x, double **y, size_t *rows, csv_error *err);

/* Parse one decimal number field [s, s+len) strictly (blanks around it
 * allowed); 0 on success. */
int csv_number(const char *s, size_t len, double *out);

#endif
