/*
 * util_storage.h - the storage calls the unit tests make most, in the
 * short positional form they were written in, on top of the argument
 * structs of storage.h (st_model_new, st_samples_new).
 */
#ifndef MLPD_TESTS_UTIL_STORAGE_H
#define MLPD_TESTS_UTIL_STORAGE_H

#include "storage/storage.h"

/* A model of the local user, no quota. */
static inline st_status t_model_create(storage *s, const char *id, const char *name,
                                       const char *spec_json, const unsigned char *blob,
                                       size_t blob_len)
{
    st_model_new m = {.id = id, .name = name, .spec_json = spec_json, .blob = blob,
                      .blob_len = blob_len};
    return storage_model_create(s, &m);
}

/* key NULL: no Idempotency-Key. added, total, replayed may be NULL. */
static inline st_status t_samples_add_keyed(storage *s, const char *id, const char *key,
                                            const char *hash, size_t n, size_t n_in,
                                            size_t n_out, const double *x, const double *y,
                                            int64_t max_total, int64_t *added, int64_t *total,
                                            int *replayed)
{
    st_samples_new req = {.id = id, .n = n, .n_in = n_in, .n_out = n_out, .x = x, .y = y,
                          .max_total = max_total, .key = key, .hash = hash};
    st_samples_added res;
    st_status rc = storage_samples_add(s, &req, &res);
    if (rc != ST_OK)
        return rc; /* nothing is returned on failure */
    if (added)
        *added = res.added;
    if (total)
        *total = res.total;
    if (replayed)
        *replayed = res.replayed;
    return rc;
}

static inline st_status t_samples_add(storage *s, const char *id, size_t n, size_t n_in,
                                      size_t n_out, const double *x, const double *y,
                                      int64_t max_total, int64_t *total)
{
    return t_samples_add_keyed(s, id, NULL, NULL, n, n_in, n_out, x, y, max_total, NULL,
                               total, NULL);
}

#endif
