/*
 * cache.c - a hash map (chained, fixed bucket count) plus an LRU list,
 * both under one mutex held only for pointer updates.
 */
#include "domain/cache.h"

#include "domain/model_meta.h"
#include "domain/prep.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_BUCKETS 1024

struct snapshot {
    atomic_int refs;
    mlp_t *net;
    model_prep *prep;            /* the version's scalers, NULL for the identity */
    atomic_int dtype;            /* the model's mlp_dtype once known, else 0 */
    _Atomic(mlp_f32_t *) f32;    /* float copy of net for float32 predict, made on first use */
    _Atomic(model_meta *) meta;  /* the model's classes, read by the first reader that asks */
    int64_t version;
    size_t bytes;
    char id[17];
    int cached;                  /* in the map (under the cache mutex) */
    struct snapshot *hnext;      /* bucket chain */
    struct snapshot *prev, *next; /* LRU list, most recent first */
};

struct cache {
    pthread_mutex_t mu;
    size_t max_bytes, bytes, entries;
    uint64_t generation;
    snapshot *buckets[CACHE_BUCKETS];
    snapshot *head, *tail;
};

static size_t bucket_of(const char *id)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 1099511628211ULL;
    return (size_t)(h % CACHE_BUCKETS);
}

cache *cache_new(size_t max_bytes)
{
    cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c);
        return NULL;
    }
    c->max_bytes = max_bytes;
    return c;
}

void snapshot_release(snapshot *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1) {
        mlp_f32_free(atomic_load(&s->f32));
        mlp_free(s->net);
        prep_free(s->prep);
        model_meta *m = atomic_load(&s->meta);
        if (m)
            model_meta_clear(m);
        free(m);
        free(s);
    }
}

static void lru_unlink(cache *c, snapshot *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        c->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        c->tail = s->prev;
    s->prev = s->next = NULL;
}

static void lru_push_front(cache *c, snapshot *s)
{
    s->prev = NULL;
    s->next = c->head;
    if (c->head)
        c->head->prev = s;
    c->head = s;
    if (!c->tail)
        c->tail = s;
}

static snapshot *find(cache *c, const char *id)
{
    for (snapshot *s = c->buckets[bucket_of(id)]; s; s = s->hnext)
        if (strcmp(s->id, id) == 0)
            return s;
    return NULL;
}

/* Take s out of the map and the list; drops the map's reference. */
static void unmap(cache *c, snapshot *s)
{
    snapshot **pp = &c->buckets[bucket_of(s->id)];
    while (*pp != s)
        pp = &(*pp)->hnext;
    *pp = s->hnext;
    lru_unlink(c, s);
    c->bytes -= s->bytes;
    c->entries--;
    s->cached = 0;
    snapshot_release(s);
}

void cache_free(cache *c)
{
    if (!c)
        return;
    while (c->head)
        unmap(c, c->head);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

snapshot *cache_get(cache *c, const char *id)
{
    pthread_mutex_lock(&c->mu);
    snapshot *s = find(c, id);
    if (s) {
        atomic_fetch_add(&s->refs, 1);
        lru_unlink(c, s);
        lru_push_front(c, s);
    }
    pthread_mutex_unlock(&c->mu);
    return s;
}

uint64_t cache_generation(cache *c)
{
    pthread_mutex_lock(&c->mu);
    uint64_t g = c->generation;
    pthread_mutex_unlock(&c->mu);
    return g;
}

snapshot *snapshot_new(mlp_t *net, int64_t version)
{
    return snapshot_new_prep(net, NULL, version);
}

snapshot *snapshot_new_prep(mlp_t *net, model_prep *prep, int64_t version)
{
    snapshot *s = calloc(1, sizeof *s);
    if (!s) {
        mlp_free(net);
        prep_free(prep);
        return NULL;
    }
    atomic_init(&s->refs, 1); /* the caller's */
    s->net = net;
    s->prep = prep;
    s->version = version;
    s->bytes = mlp_memory_size(net);
    return s;
}

snapshot *cache_put(cache *c, const char *id, mlp_t *net, int64_t version, uint64_t gen)
{
    return cache_put_prep(c, id, net, NULL, version, gen);
}

snapshot *cache_put_prep(cache *c, const char *id, mlp_t *net, model_prep *prep,
                         int64_t version, uint64_t gen)
{
    snapshot *s = snapshot_new_prep(net, prep, version);
    if (!s)
        return NULL;
    strncpy(s->id, id, sizeof s->id - 1);

    pthread_mutex_lock(&c->mu);
    snapshot *old = find(c, id);
    int stale = (gen != UINT64_MAX && gen != c->generation) ||
                (old && old->version > version) || s->bytes > c->max_bytes;
    if (!stale) {
        if (old)
            unmap(c, old);
        while (c->tail && c->bytes + s->bytes > c->max_bytes)
            unmap(c, c->tail);
        atomic_fetch_add(&s->refs, 1); /* the map's */
        s->cached = 1;
        size_t b = bucket_of(id);
        s->hnext = c->buckets[b];
        c->buckets[b] = s;
        lru_push_front(c, s);
        c->bytes += s->bytes;
        c->entries++;
    } else if (old && gen == UINT64_MAX) {
        unmap(c, old); /* a writer's version that does not fit: forget the old one */
        c->generation++;
    }
    pthread_mutex_unlock(&c->mu);
    return s;
}

void cache_remove(cache *c, const char *id)
{
    pthread_mutex_lock(&c->mu);
    snapshot *s = find(c, id);
    if (s)
        unmap(c, s);
    c->generation++;
    pthread_mutex_unlock(&c->mu);
}

void cache_clear(cache *c)
{
    pthread_mutex_lock(&c->mu);
    /* the next entry taken before unmap may release this one */
    for (snapshot *s = c->head, *next; s; s = next) {
        next = s->next;
        unmap(c, s);
    }
    c->generation++;
    pthread_mutex_unlock(&c->mu);
}

const mlp_t *snapshot_net(const snapshot *s) { return s->net; }
int64_t snapshot_version(const snapshot *s) { return s->version; }
const model_prep *snapshot_prep(const snapshot *s) { return s->prep; }

int snapshot_dtype(snapshot *s) { return atomic_load(&s->dtype); }
void snapshot_set_dtype(snapshot *s, int dtype) { atomic_store(&s->dtype, dtype); }

const mlp_f32_t *snapshot_f32(snapshot *s)
{
    mlp_f32_t *f = atomic_load_explicit(&s->f32, memory_order_acquire), *mine = NULL;
    if (f)
        return f;
    if (mlp_f32_new(s->net, NULL, &mine) != MLP_OK)
        return NULL;
    /* Two readers may race to make it: the first one's copy stays. */
    if (atomic_compare_exchange_strong_explicit(&s->f32, &f, mine, memory_order_acq_rel,
                                                memory_order_acquire))
        return mine;
    mlp_f32_free(mine);
    return f;
}

const model_meta *snapshot_meta(snapshot *s)
{
    return atomic_load_explicit(&s->meta, memory_order_acquire);
}

const model_meta *snapshot_set_meta(snapshot *s, model_meta *m)
{
    model_meta *none = NULL;
    if (atomic_compare_exchange_strong_explicit(&s->meta, &none, m, memory_order_acq_rel,
                                                memory_order_acquire))
        return m;
    model_meta_clear(m); /* another reader was first: its copy stays */
    free(m);
    return none;
}

void cache_stats(cache *c, size_t *entries, size_t *bytes)
{
    pthread_mutex_lock(&c->mu);
    *entries = c->entries;
    *bytes = c->bytes;
    pthread_mutex_unlock(&c->mu);
}
