/*
 * csv.c - RFC 4180 records in two passes over the text: the first checks
 * every record and counts rows and string bytes, the second fills arrays
 * allocated once. A field is read by next_field, a small state machine:
 *   blanks -> '"' quoted (until a lone '"'; '""' is a quote; LF counts
 *             lines) -> blanks -> ',' | LF | CRLF | end
 *   blanks -> unquoted (until ',' | LF | end; a '"' is an error; a CR
 *             before LF or the end and the blanks before it are dropped)
 */
#include "util/csv.h"

#include <math.h>
#include <stdarg.h>
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

/* ------------------------------------------------------------------ */
/* Fields and records                                                  */

typedef struct field {
    const char *s;  /* the text inside the quotes, or trimmed */
    size_t len;
    size_t escapes; /* quoted: "" pairs in [s, s+len) */
    int quoted;
} field;

typedef struct reader {
    const char *t;
    size_t n, pos;
    size_t line;       /* 1-based line at pos */
    size_t rec_line;   /* line where the current record started */
} reader;

static int fail(csv_error *err, size_t line, size_t column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(csv_error *err, size_t line, size_t column, const char *fmt, ...)
{
    va_list ap;
    err->line = line;
    err->column = column;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

/* A record ends here: LF, CRLF or the end of the text. */
static int at_record_end(const reader *r, size_t p)
{
    return p >= r->n || r->t[p] == '\n' || (r->t[p] == '\r' && (p + 1 == r->n || r->t[p + 1] == '\n'));
}

/* Step over the separator at p (',' or a record end); *last = record ended. */
static void take_separator(reader *r, size_t p, int *last)
{
    if (p < r->n && r->t[p] == ',') {
        *last = 0;
        r->pos = p + 1;
        return;
    }
    *last = 1;
    if (p < r->n && r->t[p] == '\r')
        p++;
    if (p < r->n && r->t[p] == '\n') {
        p++;
        r->line++;
    }
    r->pos = p;
}

static int quoted_field(reader *r, size_t p, field *f, int *last, size_t col, csv_error *err)
{
    const char *t = r->t;
    size_t start = ++p;
    f->quoted = 1;
    f->escapes = 0;
    for (;;) {
        if (p >= r->n)
            return fail(err, r->rec_line, col,
                        "Line %zu, column %zu: a quoted field is not closed.", r->rec_line, col);
        if (t[p] == '"') {
            if (p + 1 < r->n && t[p + 1] == '"') {
                f->escapes++;
                p += 2;
                continue;
            }
            break;
        }
        if (t[p] == '\n')
            r->line++;
        p++;
    }
    f->s = t + start;
    f->len = p - start;
    p++; /* the closing quote */
    while (p < r->n && blank(t[p]))
        p++;
    if (!(p < r->n && t[p] == ',') && !at_record_end(r, p))
        return fail(err, r->rec_line, col,
                    "Line %zu, column %zu: text after the closing quote of a field.",
                    r->rec_line, col);
    take_separator(r, p, last);
    return 0;
}

/* The next field of the record at r->pos. 0, or -1 with err filled. */
static int next_field(reader *r, field *f, int *last, size_t col, csv_error *err)
{
    const char *t = r->t;
    size_t p = r->pos;
    while (p < r->n && blank(t[p]))
        p++;
    if (p < r->n && t[p] == '"')
        return quoted_field(r, p, f, last, col, err);
    size_t start = p;
    while (p < r->n && t[p] != ',' && t[p] != '\n') {
        if (t[p] == '"')
            return fail(err, r->rec_line, col,
                        "Line %zu, column %zu: a quote inside an unquoted field (quote the "
                        "whole field and double the quote).", r->rec_line, col);
        p++;
    }
    size_t end = p;
    if (end > start && t[end - 1] == '\r' && (end == r->n || t[end] == '\n'))
        end--;
    while (end > start && blank(t[end - 1]))
        end--;
    f->s = t + start;
    f->len = end - start;
    f->escapes = 0;
    f->quoted = 0;
    take_separator(r, p, last);
    return 0;
}

/* Read one record into fields[0, cap); *count gets how many it has (it
 * may be more than cap: the extra ones are only counted). 1 if a record
 * was read, 0 at the end of the text, -1 on a malformed field. */
static int next_record(reader *r, field *fields, size_t cap, size_t *count, csv_error *err)
{
    if (r->pos >= r->n)
        return 0;
    r->rec_line = r->line;
    size_t c = 0;
    int last = 0;
    while (!last) {
        field f;
        if (next_field(r, &f, &last, c + 1, err) != 0)
            return -1;
        if (c < cap)
            fields[c] = f;
        c++;
    }
    *count = c;
    return 1;
}

static int blank_record(const field *fields, size_t count)
{
    return count == 1 && !fields[0].quoted && fields[0].len == 0;
}

/* ------------------------------------------------------------------ */
/* Strings                                                             */

/* Length of the UTF-8 sequence at p (RFC 3629), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
    unsigned c = p[0], min, cp;
    size_t n;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (left < n)
        return 0;
    cp = c & (0x3Fu >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    return (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) ? 0 : n;
}

/* Bytes of f once "" pairs are one quote (without a NUL). */
static size_t text_len(const field *f)
{
    return f->len - f->escapes;
}

/* A name or label: valid UTF-8, no NUL, at most CSV_MAX_NAME bytes;
 * labels must not be empty. 0 or -1 with err filled. */
static int check_text(const field *f, int label, size_t line, size_t col, csv_error *err)
{
    const unsigned char *p = (const unsigned char *)f->s;
    if (label && text_len(f) == 0)
        return fail(err, line, col, "Line %zu, column %zu: the class label is empty.", line, col);
    if (text_len(f) > CSV_MAX_NAME)
        return fail(err, line, col, "Line %zu, column %zu: a name or label is longer than 256 "
                    "bytes.", line, col);
    for (size_t i = 0; i < f->len;) {
        size_t k = p[i] ? utf8_seq(p + i, f->len - i) : 0;
        if (k == 0)
            return fail(err, line, col, "Line %zu, column %zu: a name or label is not valid "
                        "UTF-8 text (or holds a NUL byte).", line, col);
        i += k;
    }
    return 0;
}

/* Copy f's text (quotes undoubled) to dst with a NUL; returns the bytes used. */
static size_t copy_text(char *dst, const field *f)
{
    size_t o = 0;
    for (size_t i = 0; i < f->len; i++) {
        dst[o++] = f->s[i];
        if (f->quoted && f->s[i] == '"')
            i++; /* the second quote of a pair */
    }
    dst[o] = '\0';
    return o + 1;
}

/* ------------------------------------------------------------------ */
/* Tables                                                              */

typedef struct shape {
    const csv_opts *o;
    size_t width;   /* fields per record */
    size_t rows;    /* data rows */
    size_t header;  /* line of the header record, 0 if none */
    size_t pool;    /* bytes of label and name strings, NULs included */
} shape;

static int is_header(const shape *sh, const field *fields, size_t count)
{
    if (sh->o->header != CSV_HEADER_AUTO)
        return sh->o->header == CSV_HEADER_YES;
    for (size_t i = 0; i < count; i++) {
        double v;
        if (csv_number(fields[i].s, fields[i].len, &v) == 0)
            return 0;
    }
    return 1;
}

/* Check a data row (and, with out, store it as row r). */
static int data_row(const shape *sh, const field *fields, size_t line, csv_error *err)
{
    size_t n_num = sh->o->labels ? sh->o->n_in : sh->width;
    for (size_t i = 0; i < n_num; i++) {
        double v;
        if (csv_number(fields[i].s, fields[i].len, &v) != 0)
            return fail(err, line, i + 1,
                        "Line %zu, column %zu is not a finite decimal number.", line, i + 1);
    }
    if (sh->o->labels)
        return check_text(&fields[sh->o->n_in], 1, line, sh->o->n_in + 1, err);
    return 0;
}

static int width_error(const shape *sh, size_t line, size_t count, csv_error *err)
{
    err->line = line;
    err->column = 0;
    if (sh->o->labels)
        snprintf(err->message, sizeof err->message,
                 "Line %zu has %zu fields; expected %zu (%zu inputs, then the class label).",
                 line, count, sh->width, sh->o->n_in);
    else
        snprintf(err->message, sizeof err->message,
                 "Line %zu has %zu fields; expected %zu (%zu inputs, %zu targets).", line, count,
                 sh->width, sh->o->n_in, sh->o->n_out);
    return -1;
}

/* Pass 1: every record checked; rows, header line and string bytes. */
static int measure(const char *text, size_t len, shape *sh, field *fields, csv_error *err)
{
    reader r = {.t = text, .n = len, .line = 1};
    size_t count;
    int first = 1, rc;
    while ((rc = next_record(&r, fields, sh->width, &count, err)) == 1) {
        if (blank_record(fields, count))
            continue;
        if (count != sh->width)
            return width_error(sh, r.rec_line, count, err);
        if (first && is_header(sh, fields, count)) {
            first = 0;
            sh->header = r.rec_line;
            for (size_t i = 0; i < count; i++) {
                if (check_text(&fields[i], 0, r.rec_line, i + 1, err) != 0)
                    return -1;
                sh->pool += text_len(&fields[i]) + 1;
            }
            continue;
        }
        first = 0;
        if (data_row(sh, fields, r.rec_line, err) != 0)
            return -1;
        if (++sh->rows > sh->o->max_rows) {
            fail(err, r.rec_line, 0, "The CSV has more than %zu rows.", sh->o->max_rows);
            err->too_many = 1;
            return -1;
        }
        if (sh->o->labels)
            sh->pool += text_len(&fields[sh->o->n_in]) + 1;
    }
    if (rc < 0)
        return -1;
    if (sh->rows == 0)
        return fail(err, 0, 0, "The CSV has no data rows.");
    return 0;
}

static int allocate(const shape *sh, csv_table *t)
{
    size_t n_out = sh->o->labels ? 0 : sh->o->n_out;
    if (sh->rows > SIZE_MAX / sizeof(double) / sh->o->n_in ||
        (n_out && sh->rows > SIZE_MAX / sizeof(double) / n_out))
        return -1;
    /* + 1: never a zero-byte request (the pool may hold no string) */
    t->x = malloc(sh->rows * sh->o->n_in * sizeof *t->x + 1);
    t->y = n_out ? malloc(sh->rows * n_out * sizeof *t->y + 1) : NULL;
    t->labels = sh->o->labels ? malloc(sh->rows * sizeof *t->labels) : NULL;
    t->names = sh->header ? malloc(sh->width * sizeof *t->names) : NULL;
    t->pool_ = malloc(sh->pool + 1);
    if (!t->x || (n_out && !t->y) || (sh->o->labels && !t->labels) ||
        (sh->header && !t->names) || !t->pool_)
        return -1;
    return 0;
}

/* Pass 2: the text is known good; fill t. */
static void fill(const char *text, size_t len, const shape *sh, field *fields, csv_table *t)
{
    reader r = {.t = text, .n = len, .line = 1};
    size_t count, row = 0, ni = sh->o->n_in, n_out = t->n_out;
    char *pool = t->pool_;
    csv_error ignored;
    while (next_record(&r, fields, sh->width, &count, &ignored) == 1) {
        if (blank_record(fields, count))
            continue;
        if (t->names && r.rec_line == sh->header) {
            for (size_t i = 0; i < count; i++) {
                t->names[i] = pool;
                pool += copy_text(pool, &fields[i]);
            }
            continue;
        }
        for (size_t i = 0; i < ni; i++)
            csv_number(fields[i].s, fields[i].len, &t->x[row * ni + i]);
        for (size_t j = 0; j < n_out; j++)
            csv_number(fields[ni + j].s, fields[ni + j].len, &t->y[row * n_out + j]);
        if (t->labels) {
            t->labels[row] = pool;
            pool += copy_text(pool, &fields[ni]);
        }
        row++;
    }
}

int csv_read(const char *text, size_t len, const csv_opts *opts, csv_table *out,
             csv_error *err)
{
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    if (opts->n_in == 0 || (!opts->labels && opts->n_out == 0) ||
        opts->n_in > SIZE_MAX / 2 - opts->n_out)
        return fail(err, 0, 0, "The CSV shape is invalid.");
    shape sh = {.o = opts, .width = opts->n_in + (opts->labels ? 1 : opts->n_out)};
    field *fields = malloc(sh.width * sizeof *fields);
    if (fields == NULL)
        return fail(err, 0, 0, "Out of memory.");
    if (measure(text, len, &sh, fields, err) != 0) {
        free(fields);
        return -1;
    }
    csv_table t = {.rows = sh.rows, .n_in = opts->n_in, .n_out = opts->labels ? 0 : opts->n_out,
                   .n_names = sh.header ? sh.width : 0};
    if (allocate(&sh, &t) != 0) {
        free(fields);
        csv_table_free(&t);
        return fail(err, 0, 0, "Out of memory.");
    }
    fill(text, len, &sh, fields, &t);
    free(fields);
    *out = t;
    return 0;
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

int csv_parse(const char *text, size_t len, size_t n_in, size_t n_out, size_t max_rows,
              double **x, double **y, size_t *rows, csv_error *err)
{
    csv_opts o = {.n_in = n_in, .n_out = n_out, .header = CSV_HEADER_AUTO, .max_rows = max_rows};
    csv_table t;
    *x = *y = NULL;
    *rows = 0;
    if (csv_read(text, len, &o, &t, err) != 0)
        return -1;
    *x = t.x;
    *y = t.y;
    *rows = t.rows;
    t.x = t.y = NULL;
    csv_table_free(&t);
    return 0;
}
