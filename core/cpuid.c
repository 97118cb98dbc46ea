/*
 * cpuid.c - this CPU's feature registers for mlp_blas_choose (cpu.h).
 * cpuid and xgetbv are instructions, not I/O: core/ stays pure.
 */
#include "cpu.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>

/* XGETBV 0: the state components the OS saves (only with OSXSAVE). */
static uint64_t read_xcr0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

mlp_status mlp_cpuid_read(mlp_cpuid *out)
{
    unsigned a, b, c, d;
    memset(out, 0, sizeof *out);
    if (!__get_cpuid(0, &a, &b, &c, &d))
        return MLP_ERR_INVALID;
    unsigned max_leaf = a;
    memcpy(out->vendor, &b, 4);
    memcpy(out->vendor + 4, &d, 4);
    memcpy(out->vendor + 8, &c, 4);
    __cpuid(1, a, b, c, d);
    out->leaf1_eax = a;
    out->leaf1_ecx = c;
    out->leaf1_edx = d;
    if (max_leaf >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        out->leaf7_ebx = b;
        out->leaf7_ecx = c;
        out->leaf7_edx = d;
    }
    if (out->leaf1_ecx & (1u << 27)) /* OSXSAVE: xgetbv is allowed */
        out->xcr0 = read_xcr0();
    return MLP_OK;
}
#else
mlp_status mlp_cpuid_read(mlp_cpuid *out)
{
    memset(out, 0, sizeof *out);
    return MLP_ERR_INVALID;
}
#endif
