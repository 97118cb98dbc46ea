/*
 * dataset_csv.c - a dataset's rows from text/csv into a ds_table
 * (dataset_def.h). util/csv.h's csv_read parses (RFC 4180, header names,
 * a class label column); what it needs to know first, the width and
 * whether the rows end in a label, comes from the first one or two
 * records, read here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/dataset_def.h"
#include "domain/dataset_internal.h"
#include "util/csv.h"

typedef struct first_rec {
    size_t count;   /* fields */
    int numeric;    /* some field is a number (so not a header) */
    int last_num;   /* the last field is a number */
    size_t line;
} first_rec;

/* One field at *p: its text is a number? Moves *p past it (and its
 * comma: *end set at the record's end). -1 for a malformed quote. */
static int scan_field(const char *t, size_t len, size_t *p, size_t *line, int *num, int *end)
{
    size_t i = *p;
    while (i < len && (t[i] == ' ' || t[i] == '\t'))
        i++;
    const char *start = t + i;
    size_t flen = 0;
    int plain = 1;
    if (i < len && t[i] == '"') {
        start = t + ++i;
        for (;; i++) {
            if (i >= len)
                return -1;
            if (t[i] == '\n')
                ++*line;
            if (t[i] == '"' && i + 1 < len && t[i + 1] == '"') {
                plain = 0; /* an escaped quote: not a number */
                i++;
            } else if (t[i] == '"') {
                break;
            }
        }
        flen = (size_t)(t + i - start);
        i++;
        while (i < len && (t[i] == ' ' || t[i] == '\t'))
            i++;
        if (i < len && t[i] != ',' && t[i] != '\n' && !(t[i] == '\r' && i + 1 < len && t[i + 1] == '\n'))
            return -1;
    } else {
        while (i < len && t[i] != ',' && t[i] != '\n') {
            if (t[i] == '"')
                return -1;
            i++;
        }
        flen = (size_t)(t + i - start);
        while (flen && (start[flen - 1] == ' ' || start[flen - 1] == '\t' || start[flen - 1] == '\r'))
            flen--;
    }
    double v;
    *num = plain && csv_number(start, flen, &v) == 0;
    *end = i >= len || t[i] != ',';
    if (i < len && t[i] == '\r')
        i++;
    if (i < len && t[i] == '\n')
        ++*line;
    *p = i < len ? i + 1 : i;
    return 0;
}

/* The next non-blank record from *p: 1, 0 at the end, -1 malformed. */
static int scan_record(const char *t, size_t len, size_t *p, size_t *line, first_rec *r)
{
    for (;;) {
        size_t i = *p;
        while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r'))
            i++;
        if (i >= len)
            return 0;
        if (t[i] != '\n')
            break;
        *p = i + 1;
        ++*line;
    }
    memset(r, 0, sizeof *r);
    r->line = *line;
    for (int end = 0; !end;) {
        int num;
        if (scan_field(t, len, p, line, &num, &end) != 0)
            return -1;
        r->count++;
        r->numeric |= num;
        r->last_num = num;
    }
    return 1;
}

static int csv_fail(ds_error *err, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int csv_fail(ds_error *err, size_t line, const char *fmt, ...)
{
    err->csv = 1;
    err->e.code = JSON_ERR_INVALID_FIELD;
    err->e.has_field = line > 0;
    if (line)
        snprintf(err->e.field, sizeof err->e.field, "line %zu", line);
    else
        err->e.field[0] = '\0';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->e.message, sizeof err->e.message, fmt, ap);
    va_end(ap);
    return -1;
}

/* The given classes of a CSV upload ("a,b,c") as spans into classes. */
static int csv_classes(const char *classes, span **out, size_t *n, ds_error *err)
{
    *out = NULL;
    *n = 0;
    if (!classes)
        return 0;
    span *v = malloc((DS_MAX_CLASSES + 1) * sizeof *v);
    if (!v)
        return ds_nomem(err);
    size_t k = 0;
    int ok = 1;
    for (const char *c = classes; ok; k++) {
        const char *comma = strchr(c, ',');
        size_t len = comma ? (size_t)(comma - c) : strlen(c);
        ok = k < DS_MAX_CLASSES && ds_name_ok(c, len);
        if (ok) {
            v[k].s = c;
            v[k].len = len;
            for (size_t j = 0; ok && j < k; j++)
                ok = ds_span_cmp(&v[j], &v[k]) != 0;
        }
        if (!comma)
            break;
        c = comma + 1;
    }
    if (!ok || k + 1 < 2) {
        free(v);
        json_fail(&err->e, JSON_ERR_INVALID_FIELD, "classes",
                  "classes must be 2 to %d distinct names, comma-separated.", DS_MAX_CLASSES);
        return -1;
    }
    *out = v;
    *n = k + 1;
    return 0;
}

/* The shape: csv_read's options from the first (and, after a header,
 * the second) record. */
static int csv_shape(const char *text, size_t len, size_t targets, int labels, size_t max_in,
                     size_t max_rows, csv_opts *o, ds_error *err)
{
    size_t p = 0, line = 1;
    first_rec r, d;
    int got = scan_record(text, len, &p, &line, &r);
    if (got <= 0)
        return csv_fail(err, got < 0 ? r.line : 0, got < 0 ? "A quote is malformed in the first row."
                                                         : "The CSV body has no rows.");
    d = r;
    if (!r.numeric && (got = scan_record(text, len, &p, &line, &d)) <= 0)
        return csv_fail(err, got < 0 ? d.line : r.line, "%s",
                        got < 0 ? "A quote is malformed." : "The CSV body has a header but no rows.");
    memset(o, 0, sizeof *o);
    o->labels = labels || !d.last_num;
    o->n_out = o->labels ? 1 : targets;
    o->header = CSV_HEADER_AUTO;
    o->max_rows = max_rows;
    if (d.count <= o->n_out || d.count - o->n_out > max_in)
        return csv_fail(err, d.line,
                        "A row needs 1 to %zu inputs and then %s (this one has %zu fields).",
                        max_in, o->labels ? "a class name" : "the targets", d.count);
    o->n_in = d.count - o->n_out;
    return 0;
}

static const char *csv_row_name(size_t i, char *buf, size_t n)
{
    snprintf(buf, n, "row %zu", i + 1);
    return buf;
}

/* The header's names: the inputs', and the targets' (not a label's). */
static int csv_names(ds_table *t, const csv_table *ct, ds_error *err)
{
    size_t n = ct->n_names;
    if (n != t->n_in + (ct->labels ? 1 : t->n_out))
        return csv_fail(err, 1, "The header has %zu names for %zu columns.", n,
                        t->n_in + (ct->labels ? 1 : t->n_out));
    span *v = calloc(n + 1, sizeof *v);
    if (!v)
        return ds_nomem(err);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        v[i].s = ct->names[i];
        v[i].len = strlen(ct->names[i]);
        if (!ds_name_ok(v[i].s, v[i].len))
            rc = csv_fail(err, 1, "Header field %zu must be a name of 1 to %d bytes.", i + 1,
                          DS_MAX_LABEL);
    }
    if (rc == 0)
        rc = ds_copy_names(&t->feature_names, v, t->n_in, err);
    if (rc == 0 && !ct->labels)
        rc = ds_copy_names(&t->target_names, v + t->n_in, t->n_out, err);
    free(v);
    return rc;
}

int ds_parse_csv(const char *text, size_t len, size_t targets, int labels, const char *classes,
                 size_t max_rows, size_t max_inputs, ds_table *t, ds_error *err)
{
    memset(t, 0, sizeof *t);
    memset(err, 0, sizeof *err);
    if (max_inputs > DS_MAX_COLUMNS)
        max_inputs = DS_MAX_COLUMNS;
    span *given = NULL, *lab = NULL;
    size_t n_given = 0;
    csv_opts o;
    csv_table ct;
    csv_error ce;
    memset(&o, 0, sizeof o);
    memset(&ct, 0, sizeof ct);
    int rc = csv_classes(classes, &given, &n_given, err);
    if (rc == 0)
        rc = csv_shape(text, len, targets ? targets : 1, labels || given, max_inputs, max_rows,
                       &o, err);
    if (rc == 0 && csv_read(text, len, &o, &ct, &ce) != 0) {
        if (ce.too_many)
            json_fail(&err->e, JSON_ERR_TOO_MANY, NULL, "A dataset holds at most %zu rows.",
                      max_rows);
        else
            csv_fail(err, ce.line, "%s", ce.message);
        rc = -1;
    }
    if (rc == 0) {
        t->n = ct.rows;
        t->n_in = ct.n_in;
        t->n_out = ct.n_out;
        t->x = ct.x;
        t->y = ct.y;
        ct.x = ct.y = NULL;
        if (ct.names)
            rc = csv_names(t, &ct, err);
    }
    if (rc == 0 && o.labels) {
        if (!ct.labels || !(lab = malloc(ct.rows * sizeof *lab + 1))) {
            ds_nomem(err);
            rc = -1;
        }
        for (size_t i = 0; lab && rc == 0 && i < ct.rows; i++) {
            lab[i].s = ct.labels[i];
            lab[i].len = strlen(ct.labels[i]);
            if (!ds_name_ok(lab[i].s, lab[i].len)) {
                char where[32];
                rc = csv_fail(err, 0, "The class name of %s must be 1 to %d bytes of text.",
                              csv_row_name(i, where, sizeof where), DS_MAX_LABEL);
            }
        }
        if (rc == 0)
            rc = ds_index_labels(t, given, n_given, lab, csv_row_name, err);
    }
    csv_table_free(&ct);
    free(given);
    free(lab);
    if (rc != 0)
        ds_table_free(t);
    return rc;
}

