/*
 * fastrows.c - a hand-written scanner for the one shape predict needs.
 */
#include "util/fastrows.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct scan {
    const char *p, *end;
} scan;

static void skip_ws(scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int expect(scan *s, char c)
{
    skip_ws(s);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return 1;
    }
    return 0;
}

static int is_digit(const scan *s, const char *q)
{
    return q < s->end && *q >= '0' && *q <= '9';
}

/* A JSON number (RFC 8259 grammar), finite. */
static int number(scan *s, double *out)
{
    skip_ws(s);
    const char *q = s->p;
    if (q < s->end && *q == '-')
        q++;
    if (!is_digit(s, q))
        return 0;
    if (*q == '0')
        q++;
    else
        while (is_digit(s, q))
            q++;
    if (q < s->end && *q == '.') {
        q++;
        if (!is_digit(s, q))
            return 0;
        while (is_digit(s, q))
            q++;
    }
    if (q < s->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < s->end && (*q == '+' || *q == '-'))
            q++;
        if (!is_digit(s, q))
            return 0;
        while (is_digit(s, q))
            q++;
    }
    size_t n = (size_t)(q - s->p);
    char tmp[64];
    if (n >= sizeof tmp)
        return 0; /* unusual: let the general path handle it */
    memcpy(tmp, s->p, n);
    tmp[n] = '\0';
    double v = strtod(tmp, NULL);
    if (!isfinite(v))
        return 0;
    *out = v;
    s->p = q;
    return 1;
}

static int grow(fast_rows *o, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 1;
    size_t ncap = *cap * 2 > need ? *cap * 2 : need;
    double *x = malloc(ncap * sizeof *x);
    if (!x)
        return 0;
    if (*cap)
        memcpy(x, o->x, *cap * sizeof *x);
    if (o->owned)
        free(o->x);
    o->x = x;
    o->owned = 1;
    *cap = ncap;
    return 1;
}

static int rows(scan *s, size_t cols, size_t max_rows, size_t *cap, fast_rows *o)
{
    if (!expect(s, '['))
        return 0;
    do {
        if (o->rows == max_rows || !grow(o, cap, (o->rows + 1) * cols) || !expect(s, '['))
            return 0;
        double *row = o->x + o->rows * cols;
        for (size_t c = 0; c < cols; c++)
            if ((c && !expect(s, ',')) || !number(s, &row[c]))
                return 0;
        if (!expect(s, ']'))
            return 0;
        o->rows++;
    } while (expect(s, ','));
    return expect(s, ']');
}

int fast_rows_parse(const char *buf, size_t len, const char *key, size_t cols,
                    size_t max_rows, double *stack, size_t stack_n, fast_rows *out)
{
    size_t klen = strlen(key), cap = stack_n;
    out->x = NULL;
    out->rows = 0;
    out->owned = 0;
    if (!buf) /* an empty body comes as NULL; NULL + 0 is undefined */
        return 0;
    scan s = {buf, buf + len};
    out->x = stack;
    int ok = cols > 0 && expect(&s, '{') && expect(&s, '"') &&
             (size_t)(s.end - s.p) > klen && memcmp(s.p, key, klen) == 0 &&
             s.p[klen] == '"';
    if (ok) {
        s.p += klen + 1;
        ok = expect(&s, ':') && rows(&s, cols, max_rows, &cap, out) && expect(&s, '}');
        skip_ws(&s);
        ok = ok && s.p == s.end;
    }
    if (!ok && out->owned)
        free(out->x);
    if (!ok) {
        out->x = NULL;
        out->owned = 0;
        out->rows = 0;
    }
    return ok;
}
