/*
 * fuzz_csv.c - the text/csv sample reader (csv_read, and csv_parse on top
 * of it) on a body with no NUL after it.
 *
 * Byte 0: inputs per row (1-8, low 3 bits + 1); bits 3-4 the header mode
 * (0 auto, 1 yes, 2 no, 3 auto); bit 5 label mode (the last column is a
 * class name). Byte 1: targets per row (1-4, low 2 bits + 1; ignored in
 * label mode). The rest is the body.
 *
 * On success: 1..max_rows rows, every value finite, labels and names
 * non-NULL NUL-terminated UTF-8 of at most CSV_MAX_NAME bytes (labels not
 * empty), and writing the table back as RFC 4180 text (every string
 * quoted, quotes doubled, numbers as %.17g) reads back to the same table.
 * csv_parse agrees with csv_read in its mode. On failure nothing is
 * returned and the error has a message (and a line unless it is about
 * the row count or no rows).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/csv.h"
#include "fuzz_common.h"

#define MAX_ROWS 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_string(const char *s, int label)
{
    if (s == NULL)
        abort();
    size_t n = strlen(s);
    if (n > CSV_MAX_NAME || (label && n == 0))
        abort();
}

/* A growing buffer (aborts when out of memory). */
typedef struct out {
    char *b;
    size_t n, cap;
} out;

static void put(out *o, const char *s, size_t n)
{
    if (o->n + n + 1 > o->cap) {
        size_t cap = (o->n + n + 1) * 2;
        char *b = realloc(o->b, cap);
        if (b == NULL)
            abort();
        o->b = b;
        o->cap = cap;
    }
    memcpy(o->b + o->n, s, n);
    o->n += n;
}

static void put_quoted(out *o, const char *s)
{
    put(o, "\"", 1);
    for (; *s; s++) {
        put(o, s, 1);
        if (*s == '"')
            put(o, "\"", 1); /* doubled */
    }
    put(o, "\"", 1);
}

static void put_number(out *o, double v)
{
    char num[40];
    int n = snprintf(num, sizeof num, "%.17g", v);
    put(o, num, (size_t)n);
}

/* The table as text: header (if any) and rows, CRLF and LF alternating. */
static out write_back(const csv_table *t, size_t width)
{
    out o = {0};
    if (t->names) {
        for (size_t i = 0; i < width; i++) {
            if (i)
                put(&o, ",", 1);
            put_quoted(&o, t->names[i]);
        }
        put(&o, "\r\n", 2);
    }
    for (size_t r = 0; r < t->rows; r++) {
        for (size_t i = 0; i < t->n_in; i++) {
            if (i)
                put(&o, ",", 1);
            put_number(&o, t->x[r * t->n_in + i]);
        }
        for (size_t j = 0; j < t->n_out; j++) {
            put(&o, ",", 1);
            put_number(&o, t->y[r * t->n_out + j]);
        }
        if (t->labels) {
            put(&o, ",", 1);
            put_quoted(&o, t->labels[r]);
        }
        put(&o, r % 2 ? "\n" : "\r\n", r % 2 ? 1 : 2);
    }
    return o;
}

static void same_table(const csv_table *a, const csv_table *b, size_t width)
{
    if (a->rows != b->rows || a->n_names != b->n_names)
        abort();
    if (memcmp(a->x, b->x, a->rows * a->n_in * sizeof(double)) != 0)
        abort();
    if (a->n_out && memcmp(a->y, b->y, a->rows * a->n_out * sizeof(double)) != 0)
        abort();
    for (size_t r = 0; a->labels && r < a->rows; r++)
        if (strcmp(a->labels[r], b->labels[r]) != 0)
            abort();
    for (size_t i = 0; a->names && i < width; i++)
        if (strcmp(a->names[i], b->names[i]) != 0)
            abort();
}

static void check_success(const csv_table *t, const csv_opts *o, size_t width)
{
    if (!t->x || t->rows == 0 || t->rows > MAX_ROWS || t->n_in != o->n_in)
        abort();
    if (o->labels ? (t->y || !t->labels || t->n_out) : (!t->y || t->labels))
        abort();
    for (size_t i = 0; i < t->rows * t->n_in; i++)
        if (!isfinite(t->x[i]))
            abort();
    for (size_t i = 0; i < t->rows * t->n_out; i++)
        if (!isfinite(t->y[i]))
            abort();
    for (size_t r = 0; t->labels && r < t->rows; r++)
        check_string(t->labels[r], 1);
    if ((t->names != NULL) != (t->n_names == width) || (t->names == NULL && t->n_names))
        abort();
    for (size_t i = 0; t->names && i < width; i++)
        check_string(t->names[i], 0);
    if (o->header == CSV_HEADER_YES && !t->names)
        abort();
    if (o->header == CSV_HEADER_NO && t->names)
        abort();
    /* round trip through RFC 4180 text */
    out text = write_back(t, width);
    csv_opts o2 = *o;
    o2.header = t->names ? CSV_HEADER_YES : CSV_HEADER_NO;
    csv_table back;
    csv_error err;
    if (csv_read(text.b ? text.b : "", text.n, &o2, &back, &err) != 0)
        abort();
    same_table(t, &back, width);
    csv_table_free(&back);
    free(text.b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > FUZZ_MAX_INPUT)
        return 0;
    int hm = (data[0] >> 3) & 3;
    csv_opts o = {
        .n_in = (size_t)(data[0] & 7) + 1,
        .n_out = (size_t)(data[1] & 3) + 1,
        .labels = (data[0] >> 5) & 1,
        .header = hm == 3 ? CSV_HEADER_AUTO : hm,
        .max_rows = MAX_ROWS,
    };
    size_t width = o.n_in + (o.labels ? 1 : o.n_out);
    size_t len = size - 2;
    const char *text = guarded_copy(data + 2, len);
    csv_table t;
    csv_error err;
    int rc = csv_read(text, len, &o, &t, &err);
    if (rc != 0) {
        if (t.x || t.y || t.labels || t.names || t.rows || !err.message[0])
            abort();
        if (err.line == 0 && !err.too_many && strstr(err.message, "no data rows") == NULL)
            abort();
    } else {
        check_success(&t, &o, width);
    }
    if (!o.labels && o.header == CSV_HEADER_AUTO) { /* the old interface agrees */
        double *x = NULL, *y = NULL;
        size_t rows = 0;
        csv_error e2;
        int rc2 = csv_parse(text, len, o.n_in, o.n_out, MAX_ROWS, &x, &y, &rows, &e2);
        if (rc2 != rc || (rc2 == 0 && (rows != t.rows ||
                                       memcmp(x, t.x, rows * o.n_in * sizeof *x) != 0 ||
                                       memcmp(y, t.y, rows * o.n_out * sizeof *y) != 0)))
            abort();
        if (rc2 != 0 && (x || y || e2.line != err.line))
            abort();
        free(x);
        free(y);
    }
    csv_table_free(&t);
    return 0;
}
