/*
 * cpu.c - the BLAS kernel family a CPU can run (see cpu.h). Pure: the
 * registers come from the caller.
 */
#include "cpu.h"

#include <stddef.h>
#include <strings.h>

/* Leaf 1 ECX */
#define ECX_SSE3 (1u << 0)
#define ECX_FMA (1u << 12)
#define ECX_OSXSAVE (1u << 27)
#define ECX_AVX (1u << 28)
/* Leaf 7 EBX */
#define EBX_AVX2 (1u << 5)
#define EBX_AVX512F (1u << 16)
#define EBX_AVX512DQ (1u << 17)
#define EBX_AVX512CD (1u << 28)
#define EBX_AVX512BW (1u << 30)
#define EBX_AVX512VL (1u << 31)
/* XCR0: SSE and AVX state; opmask, ZMM upper halves and ZMM16-31 */
#define XCR0_YMM 0x6u
#define XCR0_ZMM 0xe6u

const char *mlp_isa_name(int isa)
{
    switch (isa) {
    case MLP_ISA_SSE3:
        return "sse3";
    case MLP_ISA_AVX:
        return "avx";
    case MLP_ISA_AVX2:
        return "avx2";
    case MLP_ISA_AVX512:
        return "avx512";
    default:
        return "unknown";
    }
}

unsigned mlp_cpu_family(const mlp_cpuid *c)
{
    unsigned base = (c->leaf1_eax >> 8) & 0xfu;
    return base == 0xfu ? base + ((c->leaf1_eax >> 20) & 0xffu) : base;
}

unsigned mlp_cpu_model(const mlp_cpuid *c)
{
    unsigned base = (c->leaf1_eax >> 4) & 0xfu, family = (c->leaf1_eax >> 8) & 0xfu;
    if (family == 0x6u || family == 0xfu)
        return base | (((c->leaf1_eax >> 16) & 0xfu) << 4);
    return base;
}

static int all(uint64_t have, uint64_t want)
{
    return (have & want) == want;
}

int mlp_cpu_isa(const mlp_cpuid *c)
{
    /* A vector unit the OS does not save on a context switch is unusable:
     * XCR0 must carry its state (hypervisors may turn AVX-512 off there). */
    int os_ymm = all(c->leaf1_ecx, ECX_OSXSAVE) && all(c->xcr0, XCR0_YMM);
    int os_zmm = os_ymm && all(c->xcr0, XCR0_ZMM);
    int avx = os_ymm && all(c->leaf1_ecx, ECX_AVX);
    int avx2 = avx && all(c->leaf1_ecx, ECX_FMA) && all(c->leaf7_ebx, EBX_AVX2);
    int avx512 = avx2 && os_zmm &&
                 all(c->leaf7_ebx, EBX_AVX512F | EBX_AVX512DQ | EBX_AVX512CD | EBX_AVX512BW |
                                       EBX_AVX512VL);
    if (avx512)
        return MLP_ISA_AVX512;
    if (avx2)
        return MLP_ISA_AVX2;
    if (avx)
        return MLP_ISA_AVX;
    return all(c->leaf1_ecx, ECX_SSE3) ? MLP_ISA_SSE3 : MLP_ISA_UNKNOWN;
}

typedef struct core_level {
    const char *name;
    int isa;
} core_level;

/* OpenBLAS 0.3.21's x86-64 core names (driver/others/dynamic.c) by the
 * instructions their kernels need. Piledriver and Steamroller have FMA
 * but no AVX2; Excavator has AVX2. */
static const core_level core_levels[] = {
    {"Prescott", MLP_ISA_SSE3},       {"Core2", MLP_ISA_SSE3},
    {"Penryn", MLP_ISA_SSE3},         {"Dunnington", MLP_ISA_SSE3},
    {"Nehalem", MLP_ISA_SSE3},        {"Atom", MLP_ISA_SSE3},
    {"Opteron", MLP_ISA_SSE3},        {"Opteron_SSE3", MLP_ISA_SSE3},
    {"Barcelona", MLP_ISA_SSE3},      {"Nano", MLP_ISA_SSE3},
    {"Bobcat", MLP_ISA_SSE3},         {"Sandybridge", MLP_ISA_AVX},
    {"Bulldozer", MLP_ISA_AVX},       {"Piledriver", MLP_ISA_AVX},
    {"Steamroller", MLP_ISA_AVX},     {"Haswell", MLP_ISA_AVX2},
    {"Zen", MLP_ISA_AVX2},            {"Excavator", MLP_ISA_AVX2},
    {"SkylakeX", MLP_ISA_AVX512},     {"Cooperlake", MLP_ISA_AVX512},
    {"SapphireRapids", MLP_ISA_AVX512},
};

int mlp_blas_core_isa(const char *core)
{
    if (core == NULL)
        return MLP_ISA_UNKNOWN;
    for (size_t i = 0; i < sizeof core_levels / sizeof core_levels[0]; i++)
        if (strcasecmp(core, core_levels[i].name) == 0)
            return core_levels[i].isa;
    return MLP_ISA_UNKNOWN;
}

static int is_amd(const mlp_cpuid *c)
{
    return strcasecmp(c->vendor, "AuthenticAMD") == 0 ||
           strcasecmp(c->vendor, "HygonGenuine") == 0;
}

/* The kernels written for each level; on AMD's AVX2 parts, those for its
 * own cores (Zen from family 0x17, Excavator before). */
static const char *best_core(const mlp_cpuid *c, int isa)
{
    switch (isa) {
    case MLP_ISA_AVX512:
        return "SkylakeX";
    case MLP_ISA_AVX2:
        if (is_amd(c))
            return mlp_cpu_family(c) >= 0x17u ? "Zen" : "Excavator";
        return "Haswell";
    case MLP_ISA_AVX:
        return "Sandybridge";
    case MLP_ISA_SSE3:
        return "Prescott";
    default:
        return NULL;
    }
}

mlp_blas_choice mlp_blas_choose(const mlp_cpuid *c, const char *blas_core)
{
    mlp_blas_choice r = {.cpu_isa = mlp_cpu_isa(c), .blas_isa = mlp_blas_core_isa(blas_core)};
    r.best = best_core(c, r.cpu_isa);
    /* Only a known family below what the CPU runs is a fall-back; another
     * name (a newer library, another BLAS) is its own choice. */
    r.fell_back = r.best != NULL && r.blas_isa != MLP_ISA_UNKNOWN && r.blas_isa < r.cpu_isa;
    return r;
}
