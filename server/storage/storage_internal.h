/*
 * storage_internal.h - what the backend-neutral resource files
 * (storage/storage_*.c) share: the handle, the statement runner's helpers
 * (one row, a list of rows, one write), transactions, column getters and
 * a few encodings. Nothing outside server/storage/ includes this.
 *
 * A resource function is a body over a connection plus one of the drivers:
 *
 *     static st_status body(st_conn *c, void *arg) { ... st_exec(c, Q_X, p, n, NULL) ... }
 *     return st_tx(s, ST_WRITE, body, &args);   // or ST_READ, or st_with_conn
 *
 * and single statements need no body at all (st_get, st_write1). A body
 * may run more than once (a backend may ask for a transaction again), so
 * it sets every output it has from scratch.
 */
#ifndef MLPD_SERVER_STORAGE_INTERNAL_H
#define MLPD_SERVER_STORAGE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "storage/backend.h"
#include "storage/storage.h"

struct storage {
    const st_backend *b;
    st_db *db;
};

/* ---- statements --------------------------------------------------------- */

#define ST_NPARAMS(p) ((int)(sizeof(p) / sizeof((p)[0])))

/* The runner of c's backend (backend.h: st_backend.run). */
static inline st_status st_run(st_conn *c, st_stmt_id q, const st_val *p, int n, st_row_fn fn,
                               void *arg, int64_t *changes)
{
    return c->b->run(c, q, p, n, fn, arg, changes);
}

/* A statement without rows (INSERT, UPDATE, DELETE); changes may be NULL. */
static inline st_status st_exec(st_conn *c, st_stmt_id q, const st_val *p, int n,
                                int64_t *changes)
{
    return c->b->run(c, q, p, n, NULL, NULL, changes);
}

/* The same, ST_NOT_FOUND when it changed no row. */
st_status st_exec_found(st_conn *c, st_stmt_id q, const st_val *p, int n);

/* The first row to fn (the rest are not read); ST_NOT_FOUND when none. */
st_status st_query_one(st_conn *c, st_stmt_id q, const st_val *p, int n, st_row_fn fn,
                       void *arg);
/* Column 0 of the first row as an integer (a count, a sum). */
st_status st_query_int(st_conn *c, st_stmt_id q, const st_val *p, int n, int64_t *out);

/* Every row into a growing array of elem-byte elements: read fills one
 * (on failure it leaves nothing to free), clear (may be NULL) frees one.
 * On failure nothing is returned. */
typedef st_status (*st_read_fn)(const st_row *row, void *elem);
typedef void (*st_clear_fn)(void *elem);
typedef struct st_list_of {
    size_t elem;
    st_read_fn read;
    st_clear_fn clear;
} st_list_of;
st_status st_list(st_conn *c, st_stmt_id q, const st_val *p, int n, const st_list_of *of,
                  void **out, size_t *count);

/* ---- transactions and connections ---------------------------------------- */

enum { ST_READ = 0, ST_WRITE = 1 };

typedef st_status (*st_body_fn)(st_conn *c, void *arg);

/* body inside one transaction (write: the write lock at once; read: one
 * snapshot), committed when it answers ST_OK, rolled back otherwise. */
st_status st_tx(storage *s, int write, st_body_fn body, void *arg);
/* body on a borrowed connection, no transaction (each statement its own). */
st_status st_with_conn(storage *s, st_body_fn body, void *arg);
/* One st_query_one on a borrowed connection. */
st_status st_get(storage *s, st_stmt_id q, const st_val *p, int n, st_row_fn fn, void *arg);
/* One st_list on a borrowed connection. */
st_status st_get_list(storage *s, st_stmt_id q, const st_val *p, int n, const st_list_of *of,
                      void **out, size_t *count);
/* One statement in its own write transaction; ST_NOT_FOUND when it
 * changed nothing and found is set. */
st_status st_write1(storage *s, st_stmt_id q, const st_val *p, int n, int found);
/* The same, *changes getting the rows it changed (0 on failure). */
st_status st_write_count(storage *s, st_stmt_id q, const st_val *p, int n, int64_t *changes);

/* The id the last INSERT on c got (an attempt's id). */
static inline int64_t st_last_insert_id(st_conn *c)
{
    return c->b->last_insert_id(c);
}

/* ---- columns -------------------------------------------------------------- */

static inline int st_col_is_null(const st_row *r, int i)
{
    return r->b->col_type(r, i) == STV_NULL;
}

static inline int64_t st_col_int(const st_row *r, int i)
{
    return r->b->col_int(r, i);
}

static inline double st_col_real(const st_row *r, int i)
{
    return r->b->col_real(r, i);
}

static inline double st_col_real_or_nan(const st_row *r, int i)
{
    return st_col_is_null(r, i) ? NAN : r->b->col_real(r, i);
}

static inline double st_col_time(const st_row *r, int i)
{
    return st_col_is_null(r, i) ? 0 : r->b->col_real(r, i);
}

/* NULL for SQL NULL (and when memory ran out: see st_col_copy). */
static inline const char *st_col_text(const st_row *r, int i, size_t *len)
{
    size_t scratch;
    return r->b->col_text(r, i, len ? len : &scratch);
}

static inline const void *st_col_blob(const st_row *r, int i, size_t *len)
{
    return r->b->col_blob(r, i, len);
}

/* Copy column i as a malloc'ed string into *out (NULL for SQL NULL). */
st_status st_col_strdup(const st_row *r, int i, char **out);
/* Copy column i into a fixed buffer of cap bytes; NULL or longer text is
 * damage (ST_CORRUPT). */
st_status st_col_copy(const st_row *r, int i, char *buf, size_t cap);
/* The same, leaving buf "" for SQL NULL. */
st_status st_col_copy_or_empty(const st_row *r, int i, char *buf, size_t cap);
/* Copy a blob column of exactly n bytes; anything else is damage. */
st_status st_col_blob_exact(const st_row *r, int i, unsigned char *out, size_t n);

/* ---- shared pieces of the resources --------------------------------------- */

/* ST_OK with the model's sample count (samples may be NULL), or
 * ST_NOT_FOUND. Run inside a transaction when the answer must hold. */
st_status st_model_samples(st_conn *c, const char *id, int64_t *samples);

/* Store blob as the model's next version (source, loss) and make it
 * current, inside the caller's write transaction (storage_models.c). */
st_status st_publish_version(st_conn *c, const char *id, const char *source, double loss,
                             const void *blob, size_t blob_len, int64_t *version);

/* count doubles as little-endian bytes: the caller's own array on a
 * little-endian host, otherwise a packed copy in *owned (free it). */
st_status st_to_le(const double *v, size_t count, const unsigned char **bytes,
                   unsigned char **owned);

/* Append n epochs of a job to its history as chunks, inside the
 * caller's write transaction (storage_history.c). */
st_status st_history_write(st_conn *c, const char *model_id, const char *job_id,
                           const st_epoch *epochs, size_t n);
/* One epoch as the 32-byte record of history_chunks.data (for a
 * backend's migration that moves old rows into chunks). */
#define ST_EPOCH_RECORD_BYTES 32
void st_epoch_record(const st_epoch *e, unsigned char rec[ST_EPOCH_RECORD_BYTES]);

/* Wall-clock unix seconds. */
double st_now(void);

/* Double the capacity *cap of arr (elements of elem bytes): the new array,
 * or NULL (arr untouched, still the caller's) when memory runs out. */
void *st_grow(void *arr, size_t *cap, size_t elem);

#endif
