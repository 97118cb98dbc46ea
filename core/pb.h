/*
 * pb.h - private to core/: a protobuf wire-format writer (varints,
 * length-delimited fields, fixed 32/64) for onnx.c.
 *
 * A writer either counts (buf NULL) or writes into a caller's buffer;
 * pos grows in both cases, so one function serves for the size and for
 * the bytes. A write that does not fit is dropped and every later one
 * too; pb_ok() then tells the caller to ask for pos bytes.
 *
 * Nested messages: pb_message() runs the body once counting (to learn the
 * length prefix) and once writing; a counting writer runs it once. A body
 * at depth d thus runs d + 1 times, and bulk payloads (pb_floats,
 * pb_doubles) cost O(1) when counting: the bytes are converted once.
 */
#ifndef MLPD_CORE_PB_H
#define MLPD_CORE_PB_H

#include <stddef.h>
#include <stdint.h>

typedef struct pb_writer {
    unsigned char *buf; /* NULL: count only */
    size_t cap;
    size_t pos;         /* bytes written (or counted) so far */
    int overflow;       /* pos would have passed SIZE_MAX */
} pb_writer;

/* A counting writer, or one into buf[0..cap). */
pb_writer pb_counter(void);
pb_writer pb_into(unsigned char *buf, size_t cap);
/* 1 when every byte landed in the buffer (or, counting, pos is valid). */
int pb_ok(const pb_writer *w);

/* Wire types. */
enum { PB_VARINT = 0, PB_FIXED64 = 1, PB_LEN = 2, PB_FIXED32 = 5 };

void pb_varint(pb_writer *w, uint64_t v);
void pb_tag(pb_writer *w, uint32_t field, int wire_type);
/* field = v (int64 as two's complement, ten bytes when negative) */
void pb_int(pb_writer *w, uint32_t field, int64_t v);
/* field = bytes / string (NUL-terminated) */
void pb_bytes(pb_writer *w, uint32_t field, const void *p, size_t n);
void pb_string(pb_writer *w, uint32_t field, const char *s);
/* field = n doubles as float32 / float64, little endian, as one bytes
 * field (TensorProto.raw_data). */
void pb_floats(pb_writer *w, uint32_t field, const double *v, size_t n);
void pb_doubles(pb_writer *w, uint32_t field, const double *v, size_t n);

/* Raw bytes with no tag (inside a length-delimited body). */
void pb_raw(pb_writer *w, const void *p, size_t n);

/* field = the message (or bytes) body() writes. */
typedef void (*pb_body_fn)(pb_writer *w, const void *arg);
void pb_message(pb_writer *w, uint32_t field, pb_body_fn body, const void *arg);

#endif
