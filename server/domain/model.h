/*
 * model.h - a model as the service means it: its stored architecture
 * (spec_json), its network at a version (through the cache of snapshots),
 * a new version stored and published, and the per-model write locks.
 * Every call answers a dom_status; api/model_reply.c wraps them as
 * "..._or_reply", the job worker uses them directly.
 */
#ifndef MLPD_DOMAIN_MODEL_H
#define MLPD_DOMAIN_MODEL_H

#include <pthread.h>
#include <stdint.h>

#include "domain/cache.h"
#include "domain/status.h"
#include "mlp.h"
#include "storage/storage.h"
#include "util/states.h"

/* Writers of one model's weights (step, PUT, restore, publishing a
 * training result) are serialised by a lock striped by id hash. */
#define MODEL_LOCKS 64

/* How a model was initialised (kept in its spec_json). */
typedef struct model_init {
    int method;     /* mlp_init_method */
    uint64_t seed;
    double scale;   /* uniform only */
    int dtype;      /* model option kept beside init: mlp_dtype of training and
                       predict (0 or MLP_DTYPE_FLOAT64: the default) */
} model_init;

/* Canonical spec_json text for storage (malloc'ed), NULL if out of memory. */
char *model_spec_json(const mlp_spec *spec, const model_init *init);
/* Parse spec_json back; 0 on success, -1 if it is damaged. */
int model_spec_parse(const char *text, mlp_spec *spec, model_init *init);
/* Weights and biases of the architecture. */
size_t model_param_count(const mlp_spec *spec);

/* The model's row and architecture. On DOM_OK the caller clears *m
 * (st_model_clear); otherwise *m is empty. */
dom_status model_read(storage *st, const char *id, st_model *m, mlp_spec *spec,
                      model_init *init);
/* A model's dtype (MLP_DTYPE_FLOAT64 or FLOAT32) from its stored
 * architecture, fixed at creation; MLP_DTYPE_FLOAT64 when unreadable. */
int model_dtype(storage *st, const char *id);
/* DOM_OK if the model exists. */
dom_status model_exists(storage *st, const char *id);

/* A reference to the model's network at version (0 = current, served from
 * the cache; n > 0 read from storage, not cached) into *out. */
dom_status model_net_get(storage *st, cache *c, const char *id, int64_t version,
                         snapshot **out);

/* Store net with its scalers prep (NULL: none) as a new version
 * (SOURCE_PUT, _STEP, ...) and publish it in the cache. Caller holds the
 * model's write lock; net and prep stay the caller's. */
dom_status model_net_store(storage *st, cache *c, const char *id, const mlp_t *net,
                           const model_prep *prep, version_source source, double loss,
                           int64_t *version);

/* The lock of id among locks[MODEL_LOCKS]. */
pthread_mutex_t *model_lock_of(pthread_mutex_t *locks, const char *id);

#endif
