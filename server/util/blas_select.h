/*
 * blas_select.h - make the BLAS run the best kernels this CPU allows.
 *
 * OpenBLAS picks its kernels once, when it is loaded, from a table of CPU
 * models; a CPU newer than the table gets its oldest x86-64 kernels. At
 * start, before any thread exists, blas_select_at_start asks core/cpu.h
 * whether that happened and, unless the user set OPENBLAS_CORETYPE,
 * sets it to the best safe family and re-executes the program
 * (/proc/self/exe, same argv and environment), so that the library
 * initialises again with it. A re-exec rather than loading the library
 * with dlopen after setenv: the core calls cblas_* directly (no table of
 * function pointers, no globals in core/), and the re-exec costs a few
 * milliseconds only on machines that need it.
 */
#ifndef MLPD_SERVER_UTIL_BLAS_SELECT_H
#define MLPD_SERVER_UTIL_BLAS_SELECT_H

#include <stddef.h>

/* Set when mlpd chose the kernel: the core name the library had picked. */
#define BLAS_FELL_BACK_ENV "MLPD_BLAS_FELL_BACK"
/* Tests only: act as if the library had reported this core name. */
#define BLAS_PRETEND_ENV "MLPD_TEST_BLAS_CORE"

/* Returns when nothing needs changing (or the re-exec failed: the library
 * keeps its own choice); otherwise does not return. Call first in main. */
void blas_select_at_start(char **argv);

typedef struct blas_report {
    char library[48];   /* "OpenBLAS 0.3.21", "BLIS 0.9.0", "unknown" */
    char kernel[32];    /* the kernel family in use ("SkylakeX", BLIS: "skx") */
    char best[32];      /* the best OpenBLAS family for this CPU, "" if none */
    char chosen_by[16]; /* "library", "mlpd" (it set OPENBLAS_CORETYPE) or "user" */
    char fell_back[32]; /* chosen_by mlpd: what the library had picked */
    char cpu[64];       /* "GenuineIntel family 6 model 207, avx512" */
} blas_report;

/* What runs now (every field NUL-terminated, label-safe characters only). */
void blas_report_get(blas_report *r);

/* One line for the start-up log (no newline). */
void blas_report_line(const blas_report *r, char *buf, size_t cap);

#endif
