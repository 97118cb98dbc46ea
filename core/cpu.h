/*
 * cpu.h - which BLAS kernel family this CPU can run, and whether the BLAS
 * picked one below it.
 *
 * OpenBLAS built with DYNAMIC_ARCH picks its kernels at load time from the
 * CPU's vendor, family and model; a CPU newer than its table (Debian's
 * 0.3.21 on Emerald Rapids, family 6 model 207) gets its oldest x86-64
 * kernels ("Prescott"), a quarter of the speed. The CPU's features tell
 * what is safe instead: mlp_blas_choose compares the two. It is pure (the
 * caller reads cpuid with mlp_cpuid_read and asks the BLAS its core name),
 * so recorded pairs test it.
 */
#ifndef MLPD_CORE_CPU_H
#define MLPD_CORE_CPU_H

#include <stdint.h>

#include "mlp.h"

/* The registers the choice depends on, as cpuid and xgetbv give them. */
typedef struct mlp_cpuid {
    char vendor[13];      /* "GenuineIntel", "AuthenticAMD", ... (NUL-terminated) */
    uint32_t leaf1_eax;   /* signature: stepping, model, family */
    uint32_t leaf1_ecx, leaf1_edx;
    uint32_t leaf7_ebx, leaf7_ecx, leaf7_edx; /* leaf 7 subleaf 0; 0 when absent */
    uint64_t xcr0;        /* state the OS saves (XGETBV 0); 0 without OSXSAVE */
} mlp_cpuid;

/* Instruction-set levels, in the order the kernels need them. */
typedef enum mlp_isa {
    MLP_ISA_UNKNOWN = 0, /* a name this table does not know, or no SSE3 */
    MLP_ISA_SSE3 = 1,    /* x86-64 with SSE3: Prescott and the other pre-AVX kernels */
    MLP_ISA_AVX = 2,     /* AVX with OS support: Sandybridge */
    MLP_ISA_AVX2 = 3,    /* AVX2 + FMA: Haswell, Zen */
    MLP_ISA_AVX512 = 4   /* AVX-512 F, CD, DQ, BW, VL and ZMM state: SkylakeX */
} mlp_isa;

const char *mlp_isa_name(int isa); /* "sse3", "avx", "avx2", "avx512"; "unknown" */

/* Display family and model (the extended fields folded in, as Intel's and
 * AMD's manuals say). */
unsigned mlp_cpu_family(const mlp_cpuid *c);
unsigned mlp_cpu_model(const mlp_cpuid *c);

/* Highest level the CPU and its OS allow. */
int mlp_cpu_isa(const mlp_cpuid *c);

/* Level of an OpenBLAS core name (case-insensitive: "Prescott", "Haswell",
 * "SkylakeX", ...); MLP_ISA_UNKNOWN for a name it does not know. */
int mlp_blas_core_isa(const char *core);

typedef struct mlp_blas_choice {
    int cpu_isa;       /* mlp_cpu_isa */
    int blas_isa;      /* mlp_blas_core_isa of the reported name */
    const char *best;  /* the OpenBLAS core type for cpu_isa: "SkylakeX", "Haswell",
                          "Zen", "Excavator", "Sandybridge", "Prescott"; NULL without SSE3 */
    int fell_back;     /* 1: the BLAS runs a known family below best (force best) */
} mlp_blas_choice;

/* The choice for a CPU and the core name its BLAS reports (NULL or a name
 * it does not know: fell_back 0, the BLAS is left alone). */
mlp_blas_choice mlp_blas_choose(const mlp_cpuid *c, const char *blas_core);

/* Read this CPU's registers (core/cpuid.c). MLP_ERR_INVALID off x86-64;
 * *out is zeroed first either way. */
mlp_status mlp_cpuid_read(mlp_cpuid *out);

#endif
