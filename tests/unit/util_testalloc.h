/*
 * util_testalloc.h - a counting allocator for mlp_allocator that can fail
 * the k-th allocation (SQLite's malloc-failure loops in small).
 *
 * Linked into every unit test binary: no main(), every name starts with
 * testalloc_. Not thread-safe: one test, one testalloc.
 */
#ifndef MLPD_TESTS_UTIL_TESTALLOC_H
#define MLPD_TESTS_UTIL_TESTALLOC_H

#include <stddef.h>

#include "mlp.h"

typedef struct testalloc {
    size_t fail_at;    /* 1-based index (of calls) that fails; 0 = never */
    int fail_after;    /* nonzero: every call from fail_at on fails too */
    size_t calls;      /* allocations attempted so far */
    size_t failures;   /* allocations refused so far */
    size_t live;       /* allocations not yet released */
    size_t live_bytes; /* their total size */
    size_t bad_frees;  /* releases of pointers this allocator never gave out */
} testalloc;

/* Start counting from zero; nothing fails. */
void testalloc_init(testalloc *t);

/* The hooks for t (t must outlive every allocation made through them). */
mlp_allocator testalloc_allocator(testalloc *t);

/* Fail the k-th allocation from now (k >= 1); k == 0 disarms. */
void testalloc_fail_nth(testalloc *t, size_t k);

/* Fail every allocation from the k-th from now on (k >= 1). */
void testalloc_fail_from(testalloc *t, size_t k);

/* Raw hooks, for tests that build an mlp_allocator themselves. */
void *testalloc_alloc(size_t size, void *ctx);
void testalloc_release(void *ptr, void *ctx);

#endif
