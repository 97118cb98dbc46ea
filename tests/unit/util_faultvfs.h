/*
 * util_faultvfs.h - storage fault injection for unit tests (SQLite's own
 * malloc and I/O loops in small). Test-only: nothing here is linked into
 * the daemon, and nothing happens until a test calls an *_install.
 *
 * faultvfs: a VFS shim over the default VFS, registered as the new
 * default, that fails xWrite / xSync / xTruncate with an I/O error
 * (SQLITE_IOERR_WRITE, _FSYNC, _TRUNCATE) or disk full (SQLITE_FULL) at
 * the n-th such call after arming, once or from then on.
 *
 * faultmem: SQLite's allocator wrapped through SQLITE_CONFIG_MALLOC
 * (installed with sqlite3_shutdown/initialize, so no connection may be
 * open), failing the n-th allocation after arming, once or from then on.
 *
 * Not thread-safe: one test thread drives storage while armed.
 */
#ifndef MLPD_TESTS_UTIL_FAULTVFS_H
#define MLPD_TESTS_UTIL_FAULTVFS_H

#include <stddef.h>

typedef enum fault_kind {
    FAULT_IOERR, /* SQLITE_IOERR_WRITE / _FSYNC / _TRUNCATE */
    FAULT_FULL   /* SQLITE_FULL */
} fault_kind;

/* 0 on success. Call again after faultmem_install/uninstall (they
 * reinitialise SQLite, which makes its own VFS the default again). */
int faultvfs_install(void);
/* Fail the n-th (n >= 1) write/sync/truncate from now; persistent: every
 * one from the n-th on. */
void faultvfs_arm(size_t n, fault_kind kind, int persistent);
void faultvfs_disarm(void);
/* Calls counted and failures injected since the last arm. */
size_t faultvfs_calls(void);
size_t faultvfs_failures(void);

/* 0 on success (SQLite must have no open connection). Idempotent. */
int faultmem_install(void);
/* Back to SQLite's own allocator (no open connection). */
void faultmem_uninstall(void);
void faultmem_arm(size_t n, int persistent);
void faultmem_disarm(void);
size_t faultmem_calls(void);
size_t faultmem_failures(void);

#endif
