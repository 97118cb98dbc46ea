/*
 * sbuf.c - growing buffer and JSON writers used by every response.
 */
#include "util/sbuf.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decimal digits of v into out (no NUL); returns the length. */
static size_t int_text(char out[24], long long v)
{
    char tmp[24];
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    size_t n = 0, len = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        out[len++] = '-';
    while (n)
        out[len++] = tmp[--n];
    return len;
}

void sbuf_init(sbuf *b)
{
    memset(b, 0, sizeof *b);
}

void sbuf_free(sbuf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

void sbuf_reset(sbuf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

int sbuf_failed(const sbuf *b)
{
    return b->failed;
}

int sbuf_reserve(sbuf *b, size_t n)
{
    if (b->failed)
        return -1;
    if (n < b->cap - b->len && b->data)
        return 0;
    if (n > SIZE_MAX / 2 - b->len - 1) {
        b->failed = 1;
        return -1;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len <= n)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void sbuf_putn(sbuf *b, const char *s, size_t n)
{
    if (sbuf_reserve(b, n) != 0)
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void sbuf_puts(sbuf *b, const char *s)
{
    sbuf_putn(b, s, strlen(s));
}

void sbuf_putc(sbuf *b, char c)
{
    sbuf_putn(b, &c, 1);
}

void sbuf_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || sbuf_reserve(b, (size_t)n) != 0) {
        b->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *sbuf_take(sbuf *b, size_t *len)
{
    char *p = b->data;
    *len = b->len;
    memset(b, 0, sizeof *b);
    return p;
}

/* Lay out k significant digits (value dig[0].dig[1..] x 10^x) the way
 * "%.Pg" does: exponent form when x < -4 or x >= P, else fixed. */
static size_t layout_g(char *out, int neg, const char *dig, int k, int x, int P)
{
    char *o = out;
    if (neg)
        *o++ = '-';
    if (x < -4 || x >= P) {
        *o++ = dig[0];
        if (k > 1) {
            *o++ = '.';
            memcpy(o, dig + 1, (size_t)(k - 1));
            o += k - 1;
        }
        o += sprintf(o, "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
    } else if (x >= 0) {
        for (int i = 0; i <= x; i++)
            *o++ = (char)(i < k ? dig[i] : '0');
        if (k > x + 1) {
            *o++ = '.';
            memcpy(o, dig + x + 1, (size_t)(k - x - 1));
            o += k - x - 1;
        }
    } else {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -x - 1; i++)
            *o++ = '0';
        memcpy(o, dig, (size_t)k);
        o += k;
    }
    *o = '\0';
    return (size_t)(o - out);
}

/* Round the digits in ds (ND of them) to p digits into dig; returns the
 * exponent (x, or x + 1 when rounding carried out of the first digit). */
static int round_digits(const char *ds, int x, int p, char *dig)
{
    memcpy(dig, ds, (size_t)p);
    /* Round half to even on an exact tie, as printf does. */
    int tie = ds[p] == '5' && strspn(ds + p + 1, "0") == strlen(ds + p + 1);
    if (ds[p] > '5' || (ds[p] == '5' && (!tie || (ds[p - 1] - '0') % 2 == 1))) {
        int i = p - 1;
        while (i >= 0 && dig[i] == '9')
            dig[i--] = '0';
        if (i < 0) {
            dig[0] = '1'; /* 999.. -> 1000..: one more power of ten */
            return x + 1;
        }
        dig[i]++;
    }
    return x;
}

#define ND 25 /* digits converted once; far past 17, so that rounding them
                 again to 15-17 digits agrees with rounding the exact value */

size_t fmt_double(char out[32], double v)
{
    /* Small integers are common (versions, counts, hand-set weights). */
    if (fabs(v) < 9007199254740992.0 && v == (double)(int64_t)v && !(v == 0 && signbit(v))) {
        size_t n = int_text(out, (long long)v);
        out[n] = '\0';
        return n;
    }
    /* One conversion to ND significant digits, then the shortest of 15,
     * 16 or 17 digits that reads back to v (each checked with strtod, so
     * the output always round-trips). strfromd, because glibc's snprintf
     * takes a much slower path for %e/%g. */
    char e[48];
    strfromd(e, sizeof e, "%.24e", v); /* [-]d.ddd...e[+-]x */
    int neg = e[0] == '-';
    const char *p = e + neg;
    char ds[ND + 1];
    ds[0] = p[0];
    memcpy(ds + 1, p + 2, ND - 1);
    ds[ND] = '\0';
    int x = (int)strtol(p + ND + 2, NULL, 10); /* our own strfromd output */
    char dig[ND + 1];
    for (int prec = 15; prec <= 17; prec++) {
        int xe = round_digits(ds, x, prec, dig);
        int k = prec;
        while (k > 1 && dig[k - 1] == '0')
            k--;
        size_t n = layout_g(out, neg, dig, k, xe, prec);
        if (prec == 17 || strtod(out, NULL) == v)
            return n;
    }
    return 0; /* not reached */
}

void sbuf_json_number(sbuf *b, double v)
{
    if (!isfinite(v)) {
        sbuf_putn(b, "null", 4);
        return;
    }
    char tmp[32];
    size_t n = fmt_double(tmp, v);
    sbuf_putn(b, tmp, n);
}

void sbuf_json_int(sbuf *b, long long v)
{
    char tmp[24];
    size_t n = int_text(tmp, v);
    sbuf_putn(b, tmp, n);
}

void sbuf_json_string(sbuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    sbuf_putc(b, '"');
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        sbuf_putn(b, run, (size_t)(s - run));
        run = s + 1;
        switch (c) {
        case '"': sbuf_putn(b, "\\\"", 2); break;
        case '\\': sbuf_putn(b, "\\\\", 2); break;
        case '\n': sbuf_putn(b, "\\n", 2); break;
        case '\r': sbuf_putn(b, "\\r", 2); break;
        case '\t': sbuf_putn(b, "\\t", 2); break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            sbuf_putn(b, esc, 6);
        }
        }
    }
    sbuf_putn(b, run, (size_t)(s - run));
    sbuf_putc(b, '"');
}

void sbuf_json_array(sbuf *b, const double *v, size_t n)
{
    sbuf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_putc(b, ',');
        sbuf_json_number(b, v[i]);
    }
    sbuf_putc(b, ']');
}

void sbuf_json_matrix(sbuf *b, const double *v, size_t rows, size_t cols)
{
    sbuf_putc(b, '[');
    for (size_t r = 0; r < rows; r++) {
        if (r)
            sbuf_putc(b, ',');
        sbuf_json_array(b, v + r * cols, cols);
    }
    sbuf_putc(b, ']');
}
