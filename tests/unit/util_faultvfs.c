/*
 * util_faultvfs.c - see util_faultvfs.h. The shim keeps the real file
 * right after its own header in the same allocation (szOsFile grows by
 * the header), and forwards every method but the three it can fail.
 */
#include "util_faultvfs.h"

#include <sqlite3.h>
#include <string.h>

/* ---- the countdown shared by both injectors --------------------------- */

typedef struct countdown {
    size_t n;        /* fail the n-th call; 0 = disarmed */
    int persistent;
    size_t calls, failures;
} countdown;

static int countdown_hit(countdown *c)
{
    if (!c->n)
        return 0;
    c->calls++;
    if (c->calls == c->n || (c->persistent && c->calls > c->n)) {
        c->failures++;
        return 1;
    }
    return 0;
}

static void countdown_arm(countdown *c, size_t n, int persistent)
{
    c->n = n;
    c->persistent = persistent;
    c->calls = c->failures = 0;
}

/* ---- VFS shim ----------------------------------------------------------- */

static countdown io;
static fault_kind io_kind;
static sqlite3_vfs *real_vfs;
static sqlite3_vfs fault_vfs;

typedef struct ffile {
    sqlite3_file base;
    sqlite3_file *real; /* points just past this struct */
} ffile;

#define REAL(f) (((ffile *)(f))->real)
#define RM(f) (REAL(f)->pMethods)

static int f_close(sqlite3_file *f) { return RM(f)->xClose(REAL(f)); }
static int f_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
    return RM(f)->xRead(REAL(f), buf, amt, off);
}
static int f_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
    if (countdown_hit(&io))
        return io_kind == FAULT_FULL ? SQLITE_FULL : SQLITE_IOERR_WRITE;
    return RM(f)->xWrite(REAL(f), buf, amt, off);
}
static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    if (countdown_hit(&io))
        return io_kind == FAULT_FULL ? SQLITE_FULL : SQLITE_IOERR_TRUNCATE;
    return RM(f)->xTruncate(REAL(f), size);
}
static int f_sync(sqlite3_file *f, int flags)
{
    if (countdown_hit(&io))
        return io_kind == FAULT_FULL ? SQLITE_FULL : SQLITE_IOERR_FSYNC;
    return RM(f)->xSync(REAL(f), flags);
}
static int f_size(sqlite3_file *f, sqlite3_int64 *size) { return RM(f)->xFileSize(REAL(f), size); }
static int f_lock(sqlite3_file *f, int l) { return RM(f)->xLock(REAL(f), l); }
static int f_unlock(sqlite3_file *f, int l) { return RM(f)->xUnlock(REAL(f), l); }
static int f_reserved(sqlite3_file *f, int *out) { return RM(f)->xCheckReservedLock(REAL(f), out); }
static int f_control(sqlite3_file *f, int op, void *arg)
{
    return RM(f)->xFileControl(REAL(f), op, arg);
}
static int f_sector(sqlite3_file *f) { return RM(f)->xSectorSize(REAL(f)); }
static int f_device(sqlite3_file *f) { return RM(f)->xDeviceCharacteristics(REAL(f)); }
static int f_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **out)
{
    return RM(f)->xShmMap(REAL(f), pg, sz, extend, out);
}
static int f_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
    return RM(f)->xShmLock(REAL(f), off, n, flags);
}
static void f_shm_barrier(sqlite3_file *f) { RM(f)->xShmBarrier(REAL(f)); }
static int f_shm_unmap(sqlite3_file *f, int del) { return RM(f)->xShmUnmap(REAL(f), del); }
static int f_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
    return RM(f)->xFetch(REAL(f), off, amt, pp);
}
static int f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return RM(f)->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods fault_io = {
    3, f_close, f_read, f_write, f_truncate, f_sync, f_size, f_lock, f_unlock, f_reserved,
    f_control, f_sector, f_device, f_shm_map, f_shm_lock, f_shm_barrier, f_shm_unmap,
    f_fetch, f_unfetch,
};

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
    (void)vfs;
    ffile *p = (ffile *)f;
    p->real = (sqlite3_file *)&p[1];
    memset(p->real, 0, (size_t)real_vfs->szOsFile);
    int rc = real_vfs->xOpen(real_vfs, name, p->real, flags, out);
    /* SQLite calls xClose only when pMethods is set */
    p->base.pMethods = p->real->pMethods ? &fault_io : NULL;
    return rc;
}
static int v_delete(sqlite3_vfs *v, const char *n, int sync)
{
    (void)v;
    return real_vfs->xDelete(real_vfs, n, sync);
}
static int v_access(sqlite3_vfs *v, const char *n, int flags, int *out)
{
    (void)v;
    return real_vfs->xAccess(real_vfs, n, flags, out);
}
static int v_full(sqlite3_vfs *v, const char *n, int len, char *out)
{
    (void)v;
    return real_vfs->xFullPathname(real_vfs, n, len, out);
}
static void *v_dlopen(sqlite3_vfs *v, const char *n)
{
    (void)v;
    return real_vfs->xDlOpen(real_vfs, n);
}
static void v_dlerror(sqlite3_vfs *v, int n, char *msg)
{
    (void)v;
    real_vfs->xDlError(real_vfs, n, msg);
}
static void (*v_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
    (void)v;
    return real_vfs->xDlSym(real_vfs, h, sym);
}
static void v_dlclose(sqlite3_vfs *v, void *h)
{
    (void)v;
    real_vfs->xDlClose(real_vfs, h);
}
static int v_random(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return real_vfs->xRandomness(real_vfs, n, out);
}
static int v_sleep(sqlite3_vfs *v, int us)
{
    (void)v;
    return real_vfs->xSleep(real_vfs, us);
}
static int v_time(sqlite3_vfs *v, double *out)
{
    (void)v;
    return real_vfs->xCurrentTime(real_vfs, out);
}
static int v_lasterr(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return real_vfs->xGetLastError(real_vfs, n, out);
}
static int v_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
    (void)v;
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

int faultvfs_install(void)
{
    if (sqlite3_initialize() != SQLITE_OK)
        return -1;
    /* sqlite3_initialize after a shutdown makes "unix" the default again */
    if (real_vfs)
        return sqlite3_vfs_register(&fault_vfs, 1) == SQLITE_OK ? 0 : -1;
    sqlite3_vfs *r = sqlite3_vfs_find(NULL);
    if (!r || r->iVersion < 2)
        return -1;
    memset(&fault_vfs, 0, sizeof fault_vfs);
    fault_vfs.iVersion = 2;
    fault_vfs.szOsFile = (int)sizeof(ffile) + r->szOsFile;
    fault_vfs.mxPathname = r->mxPathname;
    fault_vfs.zName = "faultvfs";
    fault_vfs.xOpen = v_open;
    fault_vfs.xDelete = v_delete;
    fault_vfs.xAccess = v_access;
    fault_vfs.xFullPathname = v_full;
    fault_vfs.xDlOpen = v_dlopen;
    fault_vfs.xDlError = v_dlerror;
    fault_vfs.xDlSym = v_dlsym;
    fault_vfs.xDlClose = v_dlclose;
    fault_vfs.xRandomness = v_random;
    fault_vfs.xSleep = v_sleep;
    fault_vfs.xCurrentTime = v_time;
    fault_vfs.xGetLastError = v_lasterr;
    fault_vfs.xCurrentTimeInt64 = v_time64;
    real_vfs = r;
    if (sqlite3_vfs_register(&fault_vfs, 1) != SQLITE_OK) {
        real_vfs = NULL;
        return -1;
    }
    return 0;
}

void faultvfs_arm(size_t n, fault_kind kind, int persistent)
{
    io_kind = kind;
    countdown_arm(&io, n, persistent);
}
void faultvfs_disarm(void) { io.n = 0; }
size_t faultvfs_calls(void) { return io.calls; }
size_t faultvfs_failures(void) { return io.failures; }

/* ---- allocator wrapper -------------------------------------------------- */

static countdown mem;
static sqlite3_mem_methods real_mem;
static int mem_installed;

static void *m_malloc(int n) { return countdown_hit(&mem) ? NULL : real_mem.xMalloc(n); }
static void m_free(void *p) { real_mem.xFree(p); }
static void *m_realloc(void *p, int n) { return countdown_hit(&mem) ? NULL : real_mem.xRealloc(p, n); }
static int m_size(void *p) { return real_mem.xSize(p); }
static int m_roundup(int n) { return real_mem.xRoundup(n); }
static int m_init(void *app) { (void)app; return real_mem.xInit(real_mem.pAppData); }
static void m_shutdown(void *app) { (void)app; real_mem.xShutdown(real_mem.pAppData); }

int faultmem_install(void)
{
    if (mem_installed)
        return 0;
    if (sqlite3_shutdown() != SQLITE_OK ||
        sqlite3_config(SQLITE_CONFIG_GETMALLOC, &real_mem) != SQLITE_OK)
        return -1;
    sqlite3_mem_methods m = {m_malloc, m_free, m_realloc, m_size, m_roundup,
                             m_init, m_shutdown, NULL};
    if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK ||
        sqlite3_initialize() != SQLITE_OK)
        return -1;
    mem_installed = 1;
    return 0;
}

void faultmem_uninstall(void)
{
    if (!mem_installed)
        return;
    mem.n = 0;
    if (sqlite3_shutdown() == SQLITE_OK &&
        sqlite3_config(SQLITE_CONFIG_MALLOC, &real_mem) == SQLITE_OK) {
        sqlite3_initialize();
        mem_installed = 0;
    }
}

void faultmem_arm(size_t n, int persistent) { countdown_arm(&mem, n, persistent); }
void faultmem_disarm(void) { mem.n = 0; }
size_t faultmem_calls(void) { return mem.calls; }
size_t faultmem_failures(void) { return mem.failures; }
