/*
 * util_testalloc.c - see util_testalloc.h. Each block carries a small
 * header (a tag and its size) in front of the caller's bytes, so that a
 * release can be checked and the outstanding byte count kept.
 */
#include "util_testalloc.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TESTALLOC_TAG 0x7e57a110c8edb10cull

/* max_align_t keeps the caller's part aligned like malloc's. */
typedef union testalloc_head {
    struct {
        uint64_t tag;
        size_t size;
    } h;
    max_align_t align;
} testalloc_head;

void testalloc_init(testalloc *t)
{
    memset(t, 0, sizeof *t);
}

mlp_allocator testalloc_allocator(testalloc *t)
{
    mlp_allocator a = {testalloc_alloc, testalloc_release, t};
    return a;
}

void testalloc_fail_nth(testalloc *t, size_t k)
{
    t->fail_at = k ? t->calls + k : 0;
    t->fail_after = 0;
}

void testalloc_fail_from(testalloc *t, size_t k)
{
    t->fail_at = k ? t->calls + k : 0;
    t->fail_after = k != 0;
}

static int testalloc_should_fail(const testalloc *t)
{
    if (t->fail_at == 0)
        return 0;
    return t->fail_after ? t->calls >= t->fail_at : t->calls == t->fail_at;
}

void *testalloc_alloc(size_t size, void *ctx)
{
    testalloc *t = ctx;
    testalloc_head *head;
    t->calls++;
    if (testalloc_should_fail(t) || size > SIZE_MAX - sizeof *head) {
        t->failures++;
        return NULL;
    }
    head = malloc(sizeof *head + size);
    if (head == NULL) {
        t->failures++;
        return NULL;
    }
    head->h.tag = TESTALLOC_TAG;
    head->h.size = size;
    t->live++;
    t->live_bytes += size;
    return head + 1;
}

void testalloc_release(void *ptr, void *ctx)
{
    testalloc *t = ctx;
    testalloc_head *head;
    if (ptr == NULL)
        return;
    head = (testalloc_head *)ptr - 1;
    if (head->h.tag != TESTALLOC_TAG || t->live == 0) {
        t->bad_frees++; /* not ours: leak it rather than corrupt the heap */
        return;
    }
    head->h.tag = 0;
    t->live--;
    t->live_bytes -= head->h.size;
    free(head);
}
