/*
 * test_core_cpu.c - the BLAS kernel choice (core/cpu.c) on recorded cpuid
 * registers and the core names OpenBLAS 0.3.21 reports on those CPUs.
 *
 * Recordings: "this machine" is the registers of the project's lab VM
 * (KVM on a Sapphire/Emerald Rapids host: AVX-512 with FP16 and AMX,
 * signature family 6 model 167, where OpenBLAS picks SkylakeX); the
 * Emerald Rapids record is the same registers with the signature of
 * issue 17's machine (family 6 model 207, 0xC06F2), where OpenBLAS 0.3.21
 * falls back to Prescott. Zen 3 is an EPYC 7763 (family 0x19 model 1),
 * the AVX2-only part a Core i7-4770 (Haswell, family 6 model 60), the
 * pre-AVX part a Xeon X5670 (Westmere, family 6 model 44, no leaf 7, no
 * OSXSAVE).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"

static const mlp_cpuid this_machine = {
    .vendor = "GenuineIntel", .leaf1_eax = 0x000a0671, .leaf1_ecx = 0xfffa3203,
    .leaf1_edx = 0x1f8bfbff, .leaf7_ebx = 0xf1bf2ffb, .leaf7_ecx = 0x1a415f46,
    .leaf7_edx = 0x23c14010, .xcr0 = 0x600e7};

static mlp_cpuid emerald_rapids(void)
{
    mlp_cpuid c = this_machine;
    c.leaf1_eax = 0x000c06f2;
    return c;
}

static const mlp_cpuid zen3 = {
    .vendor = "AuthenticAMD", .leaf1_eax = 0x00a00f11, .leaf1_ecx = 0x7ed8320b,
    .leaf1_edx = 0x178bfbff, .leaf7_ebx = 0x219c97a9, .leaf7_ecx = 0x0040069c,
    .leaf7_edx = 0x00000010, .xcr0 = 0x207};

static const mlp_cpuid haswell = {
    .vendor = "GenuineIntel", .leaf1_eax = 0x000306c3, .leaf1_ecx = 0x7ffafbff,
    .leaf1_edx = 0xbfebfbff, .leaf7_ebx = 0x000027ab, .xcr0 = 0x7};

static const mlp_cpuid westmere = {
    .vendor = "GenuineIntel", .leaf1_eax = 0x000206c2, .leaf1_ecx = 0x029ee3ff,
    .leaf1_edx = 0xbfebfbff};

#define ck_choice(cpu, core, want_best, want_fell_back)                                    \
    do {                                                                                   \
        mlp_blas_choice ch_ = mlp_blas_choose(&(cpu), (core));                              \
        ck_assert_ptr_nonnull(ch_.best);                                                   \
        ck_assert_str_eq(ch_.best, (want_best));                                           \
        ck_assert_int_eq(ch_.fell_back, (want_fell_back));                                 \
    } while (0)

START_TEST(signatures_decode)
{
    mlp_cpuid emr = emerald_rapids();
    ck_assert_uint_eq(mlp_cpu_family(&emr), 6);
    ck_assert_uint_eq(mlp_cpu_model(&emr), 207);
    ck_assert_uint_eq(mlp_cpu_model(&this_machine), 167);
    ck_assert_uint_eq(mlp_cpu_family(&zen3), 0x19);
    ck_assert_uint_eq(mlp_cpu_model(&zen3), 1);
    ck_assert_uint_eq(mlp_cpu_family(&haswell), 6);
    ck_assert_uint_eq(mlp_cpu_model(&haswell), 60);
    ck_assert_uint_eq(mlp_cpu_model(&westmere), 44);
}
END_TEST

START_TEST(isa_levels_from_features)
{
    mlp_cpuid emr = emerald_rapids();
    ck_assert_int_eq(mlp_cpu_isa(&emr), MLP_ISA_AVX512);
    ck_assert_int_eq(mlp_cpu_isa(&zen3), MLP_ISA_AVX2);
    ck_assert_int_eq(mlp_cpu_isa(&haswell), MLP_ISA_AVX2);
    ck_assert_int_eq(mlp_cpu_isa(&westmere), MLP_ISA_SSE3);
    ck_assert_str_eq(mlp_isa_name(mlp_cpu_isa(&emr)), "avx512");
}
END_TEST

START_TEST(emerald_rapids_fell_back_to_prescott)
{
    mlp_cpuid emr = emerald_rapids();
    ck_choice(emr, "Prescott", "SkylakeX", 1);
    mlp_blas_choice ch = mlp_blas_choose(&emr, "Prescott");
    ck_assert_int_eq(ch.blas_isa, MLP_ISA_SSE3);
    /* OpenBLAS's feature fall-backs below AVX-512 are fall-backs too */
    ck_choice(emr, "Haswell", "SkylakeX", 1);
    ck_choice(emr, "Sandybridge", "SkylakeX", 1);
    /* what it picks on this machine, and the same family's variants */
    ck_choice(this_machine, "SkylakeX", "SkylakeX", 0);
    ck_choice(emr, "Cooperlake", "SkylakeX", 0);
    ck_choice(emr, "SapphireRapids", "SkylakeX", 0);
}
END_TEST

START_TEST(zen3_is_zen)
{
    ck_choice(zen3, "Zen", "Zen", 0);
    ck_choice(zen3, "zen", "Zen", 0); /* names compare without case */
    ck_choice(zen3, "Prescott", "Zen", 1);
    /* never above the CPU: AVX-512 kernels would fault on Zen 3 */
    ck_choice(zen3, "SkylakeX", "Zen", 0);
    /* Zen 4 adds AVX-512 (F, DQ, CD, BW, VL) and its ZMM state */
    mlp_cpuid zen4 = zen3;
    zen4.leaf1_eax = 0x00a10f11;
    zen4.leaf7_ebx |= (1u << 16) | (1u << 17) | (1u << 28) | (1u << 30) | (1u << 31);
    zen4.xcr0 = 0x2e7;
    ck_choice(zen4, "Zen", "SkylakeX", 1);
    /* pre-Zen AMD with AVX2 (Excavator, family 0x15) keeps its own kernels */
    mlp_cpuid excavator = zen3;
    excavator.leaf1_eax = 0x00660f01;
    ck_choice(excavator, "Excavator", "Excavator", 0);
}
END_TEST

START_TEST(avx2_part)
{
    ck_choice(haswell, "Haswell", "Haswell", 0);
    ck_choice(haswell, "Prescott", "Haswell", 1);
    ck_choice(haswell, "Nehalem", "Haswell", 1);
    /* AVX-512 hardware whose OS saves no ZMM state runs AVX2 at most */
    mlp_cpuid emr = emerald_rapids();
    emr.xcr0 = 0x7;
    ck_assert_int_eq(mlp_cpu_isa(&emr), MLP_ISA_AVX2);
    ck_choice(emr, "Haswell", "Haswell", 0);
    ck_choice(emr, "Prescott", "Haswell", 1);
    /* AVX without its OS state (OSXSAVE off) is unusable */
    emr.leaf1_ecx &= ~(1u << 27);
    emr.xcr0 = 0;
    ck_assert_int_eq(mlp_cpu_isa(&emr), MLP_ISA_SSE3);
    ck_choice(emr, "Prescott", "Prescott", 0);
}
END_TEST

START_TEST(pre_avx_part)
{
    ck_choice(westmere, "Nehalem", "Prescott", 0);
    ck_choice(westmere, "Prescott", "Prescott", 0);
    ck_choice(westmere, "Core2", "Prescott", 0);
    mlp_cpuid sandy = westmere; /* AVX without AVX2: Sandybridge */
    sandy.leaf1_ecx |= (1u << 27) | (1u << 28);
    sandy.xcr0 = 0x7;
    ck_choice(sandy, "Prescott", "Sandybridge", 1);
    ck_choice(sandy, "Sandybridge", "Sandybridge", 0);
    mlp_cpuid k8 = westmere; /* no SSE3: nothing to choose */
    k8.leaf1_ecx = 0;
    mlp_blas_choice ch = mlp_blas_choose(&k8, "Prescott");
    ck_assert_ptr_null(ch.best);
    ck_assert_int_eq(ch.fell_back, 0);
}
END_TEST

START_TEST(unknown_names_are_left_alone)
{
    mlp_cpuid emr = emerald_rapids();
    const char *names[] = {NULL, "", "Zen4", "BLIS", "SkylakeX2", "Prescott "};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        mlp_blas_choice ch = mlp_blas_choose(&emr, names[i]);
        ck_assert_int_eq(ch.blas_isa, MLP_ISA_UNKNOWN);
        ck_assert_int_eq(ch.fell_back, 0);
        ck_assert_str_eq(ch.best, "SkylakeX");
    }
}
END_TEST

/* The reader agrees with itself and, on x86-64, sees a CPU the choice
 * knows (every x86-64 CPU this runs on has SSE3). */
START_TEST(reads_this_cpu)
{
    mlp_cpuid a, b;
    mlp_status s = mlp_cpuid_read(&a);
#if defined(__x86_64__)
    ck_assert_int_eq(s, MLP_OK);
    ck_assert_uint_eq(strlen(a.vendor), 12);
    ck_assert_int_ge(mlp_cpu_isa(&a), MLP_ISA_SSE3);
    ck_assert_int_eq(mlp_cpuid_read(&b), MLP_OK);
    ck_assert_int_eq(memcmp(&a, &b, sizeof a), 0);
#else
    ck_assert_int_eq(s, MLP_ERR_INVALID);
    (void)b;
#endif
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core_cpu");
    TCase *tc = tcase_create("choice");
    tcase_add_test(tc, signatures_decode);
    tcase_add_test(tc, isa_levels_from_features);
    tcase_add_test(tc, emerald_rapids_fell_back_to_prescott);
    tcase_add_test(tc, zen3_is_zen);
    tcase_add_test(tc, avx2_part);
    tcase_add_test(tc, pre_avx_part);
    tcase_add_test(tc, unknown_names_are_left_alone);
    tcase_add_test(tc, reads_this_cpu);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
