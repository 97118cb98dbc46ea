/*
 * csv.c - two passes over the text: count the rows, then fill the arrays.
 */
#include "util/csv.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int blank(char c)
{
    return c == ' ' || c == '\t';
}

int csv_number(const char *s, size_t len, double *out)
{
    char tmp[64];
    while (len && blank(*s)) {
        s++;
        len--;
    }
    while (len && blank(s[len - 1]))
        len--;
    if (len == 0 || len >= sizeof tmp)
        return -1;
    /* Only decimal notation: strtod alone would take "nan", "inf", "0x1p3". */
    int digits = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9')
            digits = 1;
        else if (c != '+' && c != '-' && c != '.' && c != 'e' && c != 'E')
            return -1;
    }
    if (!digits)
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *end;
    double v = strtod(tmp, &end);
    if (*end != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

typedef struct line {
    const char *s;
    size_t len;
} line;

/* Next line from *pos (without LF/CRLF); 0 at the end. */
static int next_line(const char *text, size_t len, size_t *pos, line *l)
{
    if (*pos >= len)
        return 0;
    const char *start = text + *pos;
    const char *nl = memchr(start, '\n', len - *pos);
    size_t n = nl ? (size_t)(nl - start) : len - *pos;
    *pos += n + (nl ? 1 : 0);
    if (n && start[n - 1] == '\r')
        n--;
    l->s = start;
    l->len = n;
    return 1;
}

static int is_blank_line(const line *l)
{
    for (size_t i = 0; i < l->len; i++)
        if (!blank(l->s[i]))
            return 0;
    return 1;
}

/* Split into fields (into out when non-NULL). Returns the field count; stops
 * (returning SIZE_MAX) if out is non-NULL and a field is not a number. */
static size_t fields(const line *l, double *out, size_t max, size_t *numeric)
{
    size_t count = 0, nums = 0;
    const char *p = l->s, *end = l->s + l->len;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *fend = comma ? comma : end;
        double v;
        int ok = csv_number(p, (size_t)(fend - p), &v) == 0;
        nums += ok;
        if (out) {
            if (!ok)
                return SIZE_MAX;
            if (count < max)
                out[count] = v;
        }
        count++;
        if (!comma)
            break;
        p = comma + 1;
    }
    if (numeric)
        *numeric = nums;
    return count;
}

int csv_parse(const char *text, size_t len, size_t n_in, size_t n_out, size_t max_rows,
              double **x, double **y, size_t *rows, csv_error *err)
{
    size_t width = n_in + n_out;
    memset(err, 0, sizeof *err);
    *x = *y = NULL;
    *rows = 0;

    /* Pass 1: header, count and shape. */
    size_t pos = 0, lineno = 0, n = 0, header_line = 0, first = 1;
    line l;
    while (next_line(text, len, &pos, &l)) {
        lineno++;
        if (is_blank_line(&l))
            continue;
        size_t numeric;
        size_t count = fields(&l, NULL, 0, &numeric);
        if (first && numeric == 0) {
            header_line = lineno;
            first = 0;
            continue;
        }
        first = 0;
        if (count != width) {
            err->line = lineno;
            snprintf(err->message, sizeof err->message,
                     "Line %zu has %zu fields; expected %zu (%zu inputs, %zu targets).",
                     lineno, count, width, n_in, n_out);
            return -1;
        }
        if (numeric != count) {
            err->line = lineno;
            snprintf(err->message, sizeof err->message,
                     "Line %zu has a field that is not a finite decimal number.", lineno);
            return -1;
        }
        if (++n > max_rows) {
            err->line = lineno;
            err->too_many = 1;
            snprintf(err->message, sizeof err->message,
                     "The CSV has more than %zu rows.", max_rows);
            return -1;
        }
    }
    if (n == 0) {
        snprintf(err->message, sizeof err->message, "The CSV has no data rows.");
        return -1;
    }

    /* Pass 2: fill. */
    double *xs = malloc(n * n_in * sizeof *xs + 1);
    double *ys = malloc(n * n_out * sizeof *ys + 1);
    double *row = malloc(width * sizeof *row);
    if (!xs || !ys || !row) {
        free(xs);
        free(ys);
        free(row);
        snprintf(err->message, sizeof err->message, "Out of memory.");
        return -1;
    }
    pos = 0;
    lineno = 0;
    size_t r = 0;
    while (next_line(text, len, &pos, &l)) {
        lineno++;
        if (lineno == header_line || is_blank_line(&l))
            continue;
        fields(&l, row, width, NULL);
        memcpy(xs + r * n_in, row, n_in * sizeof *row);
        memcpy(ys + r * n_out, row + n_in, n_out * sizeof *row);
        r++;
    }
    free(row);
    *x = xs;
    *y = ys;
    *rows = n;
    return 0;
}

/* STUB: first commit publishes the API only; the RFC 4180 reader follows. */
int csv_read(const char *text, size_t len, const csv_opts *opts, csv_table *out, csv_error *err)
{
    (void)text;
    (void)len;
    (void)opts;
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    snprintf(err->message, sizeof err->message, "csv_read is not implemented yet.");
    return -1;
}

void csv_table_free(csv_table *t)
{
    if (t == NULL)
        return;
    free(t->x);
    free(t->y);
    free(t->labels);
    free(t->names);
    free(t->pool_);
    memset(t, 0, sizeof *t);
}
