/*
 * cache.h - models in use, as immutable reference-counted snapshots.
 *
 * A snapshot is one network at one version; nobody writes to it after it
 * is published. Readers (predict) take a reference under a short mutex and
 * compute without any lock; a new version replaces the snapshot in the map
 * and the old one is freed when its last reader drops it. The cache holds
 * at most max_bytes of networks (mlp_memory_size), evicting the least
 * recently used.
 *
 * Stale loads: a reader that misses loads from storage without the lock.
 * Meanwhile a writer may publish a newer version or delete the model.
 * cache_put therefore never replaces a newer version, and refuses to
 * insert when a removal happened since the reader's cache_generation().
 */
#ifndef MLPD_SERVER_CACHE_H
#define MLPD_SERVER_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "mlp.h"

typedef struct snapshot snapshot;
typedef struct model_prep model_prep; /* domain/prep.h */
struct model_meta;                    /* domain/model_meta.h */
typedef struct cache cache;

/* NULL if memory ran out. */
cache *cache_new(size_t max_bytes);
/* Accepts NULL. Snapshots still referenced stay valid until released. */
void cache_free(cache *c);

/* A reference to the model's snapshot, or NULL if not cached. */
snapshot *cache_get(cache *c, const char *id);
/* A counter that changes whenever an entry is removed. */
uint64_t cache_generation(cache *c);
/* Publish net (ownership passes to the snapshot, even on failure) as the
 * model's version. Returns a reference for the caller (release it), or
 * NULL if memory ran out (net freed). When a newer version is cached the
 * newer one is kept and the returned snapshot is the caller's own,
 * uncached. gen: cache_generation() read before loading net from storage,
 * or UINT64_MAX for a writer that holds the model's write lock. */
snapshot *cache_put(cache *c, const char *id, mlp_t *net, int64_t version, uint64_t gen);
/* The same with the version's scalers (ownership passes too; NULL: the
 * identity). */
snapshot *cache_put_prep(cache *c, const char *id, mlp_t *net, model_prep *prep,
                         int64_t version, uint64_t gen);
/* A snapshot that is not in any cache (an old version read on demand);
 * owns net (freed on failure too). NULL if memory ran out. */
snapshot *snapshot_new(mlp_t *net, int64_t version);
snapshot *snapshot_new_prep(mlp_t *net, model_prep *prep, int64_t version);
/* Forget the model (deleted). */
void cache_remove(cache *c, const char *id);
/* Drop every entry (another node may have changed any model while this
 * one could not hear of it); references held stay valid. */
void cache_clear(cache *c);
/* Drop a reference (accepts NULL). */
void snapshot_release(snapshot *s);

const mlp_t *snapshot_net(const snapshot *s);
int64_t snapshot_version(const snapshot *s);
/* The scalers stored with the version, NULL for the identity. */
const model_prep *snapshot_prep(const snapshot *s);

/* The model's dtype as a reader learnt it (0: not yet; a model's dtype is
 * fixed at creation, so any reader may record it once for all). */
int snapshot_dtype(snapshot *s);
void snapshot_set_dtype(snapshot *s, int dtype);
/* A float copy of the snapshot's network (float32 models' predict), made
 * by the first reader that asks and kept with the snapshot; NULL if out
 * of memory. Not counted in the cache's bytes (half the network's). */
const mlp_f32_t *snapshot_f32(snapshot *s);

/* The model's meta (classes; fixed at creation) as a reader learnt it, or
 * NULL: not yet. set_meta hands m (malloc'ed, ownership passes) to the
 * snapshot unless another reader was first; returns the one kept. */
const struct model_meta *snapshot_meta(snapshot *s);
const struct model_meta *snapshot_set_meta(snapshot *s, struct model_meta *m);

/* Entries and bytes held (for tests and metrics). */
void cache_stats(cache *c, size_t *entries, size_t *bytes);

#endif
