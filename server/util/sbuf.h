/*
 * sbuf.h - a growing byte buffer for response bodies.
 *
 * Allocation failure is sticky: after it, every append is a no-op and
 * sbuf_failed() says so, so that builders check once at the end.
 * The bytes are always NUL-terminated (len does not count the NUL).
 */
#ifndef MLPD_SERVER_SBUF_H
#define MLPD_SERVER_SBUF_H

#include <stddef.h>

typedef struct sbuf {
    char *data; /* malloc'ed; owned by the sbuf until sbuf_take */
    size_t len, cap;
    int failed;
} sbuf;

void sbuf_init(sbuf *b);
void sbuf_free(sbuf *b);           /* accepts a zeroed or freed sbuf */
void sbuf_reset(sbuf *b);          /* len = 0, keeps the memory */
int sbuf_failed(const sbuf *b);
/* Make room for n more bytes; 0 on success, -1 (and failed set) otherwise. */
int sbuf_reserve(sbuf *b, size_t n);
void sbuf_putn(sbuf *b, const char *s, size_t n);
void sbuf_puts(sbuf *b, const char *s);
void sbuf_putc(sbuf *b, char c);
void sbuf_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The data (malloc'ed, caller frees) and its length; the sbuf is emptied. */
char *sbuf_take(sbuf *b, size_t *len);

/* JSON pieces. Numbers must be finite (callers check); a non-finite value
 * is written as null so that output stays valid JSON. */
void sbuf_json_number(sbuf *b, double v);
void sbuf_json_int(sbuf *b, long long v);
void sbuf_json_string(sbuf *b, const char *s);
void sbuf_json_array(sbuf *b, const double *v, size_t n);
void sbuf_json_matrix(sbuf *b, const double *v, size_t rows, size_t cols);

/* Shortest "%.{15,16,17}g" text that reads back to v, C locale; writes at
 * most 32 bytes into out and returns the length. v must be finite. */
size_t fmt_double(char out[32], double v);

#endif
