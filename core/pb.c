/*
 * pb.c - the protobuf wire-format writer (see pb.h).
 */
#include "pb.h"

#include <string.h>

pb_writer pb_counter(void)
{
    pb_writer w = {NULL, 0, 0, 0};
    return w;
}

pb_writer pb_into(unsigned char *buf, size_t cap)
{
    pb_writer w = {buf, buf ? cap : 0, 0, 0};
    return w;
}

int pb_ok(const pb_writer *w)
{
    return !w->overflow && (!w->buf || w->pos <= w->cap);
}

/* Advance by n; *dst gets where the n bytes go, or NULL when counting or
 * past the end. */
static unsigned char *reserve(pb_writer *w, size_t n)
{
    if (w->pos > SIZE_MAX - n) {
        w->overflow = 1;
        return NULL;
    }
    unsigned char *dst = NULL;
    if (w->buf && w->pos <= w->cap && n <= w->cap - w->pos)
        dst = w->buf + w->pos;
    else if (w->buf)
        w->cap = 0; /* dropped once: drop everything after it too */
    w->pos += n;
    return dst;
}

void pb_raw(pb_writer *w, const void *p, size_t n)
{
    unsigned char *dst = reserve(w, n);
    if (dst && n)
        memcpy(dst, p, n);
}

void pb_varint(pb_writer *w, uint64_t v)
{
    unsigned char b[10];
    size_t n = 0;
    do {
        b[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v)
            b[n] |= 0x80;
        n++;
    } while (v);
    pb_raw(w, b, n);
}

void pb_tag(pb_writer *w, uint32_t field, int wire_type)
{
    pb_varint(w, ((uint64_t)field << 3) | (uint64_t)wire_type);
}

void pb_int(pb_writer *w, uint32_t field, int64_t v)
{
    pb_tag(w, field, PB_VARINT);
    pb_varint(w, (uint64_t)v);
}

void pb_bytes(pb_writer *w, uint32_t field, const void *p, size_t n)
{
    pb_tag(w, field, PB_LEN);
    pb_varint(w, n);
    pb_raw(w, p, n);
}

void pb_string(pb_writer *w, uint32_t field, const char *s)
{
    pb_bytes(w, field, s, strlen(s));
}

/* n values of width bytes each, little endian whatever the host's order. */
static void put_le(pb_writer *w, uint32_t field, const double *v, size_t n, size_t width)
{
    pb_tag(w, field, PB_LEN);
    if (n > SIZE_MAX / width) {
        w->overflow = 1;
        return;
    }
    pb_varint(w, n * width);
    unsigned char *dst = reserve(w, n * width);
    if (!dst)
        return; /* counting: O(1) */
    for (size_t i = 0; i < n; i++, dst += width) {
        uint64_t bits;
        if (width == 4) {
            float f = (float)v[i];
            uint32_t b32;
            memcpy(&b32, &f, sizeof b32);
            bits = b32;
        } else {
            memcpy(&bits, &v[i], sizeof bits);
        }
        for (size_t k = 0; k < width; k++)
            dst[k] = (unsigned char)(bits >> (8 * k));
    }
}

void pb_floats(pb_writer *w, uint32_t field, const double *v, size_t n)
{
    put_le(w, field, v, n, 4);
}

void pb_doubles(pb_writer *w, uint32_t field, const double *v, size_t n)
{
    put_le(w, field, v, n, 8);
}

void pb_message(pb_writer *w, uint32_t field, pb_body_fn body, const void *arg)
{
    pb_writer count = pb_counter();
    body(&count, arg);
    if (count.overflow) {
        w->overflow = 1;
        return;
    }
    pb_tag(w, field, PB_LEN);
    pb_varint(w, count.pos);
    if (!w->buf) {
        /* counting: the body's size is known, no need to run it again */
        reserve(w, count.pos);
        return;
    }
    body(w, arg);
}
