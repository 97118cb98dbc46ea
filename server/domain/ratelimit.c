/*
 * ratelimit.c - token buckets in a fixed open-addressing table (see
 * ratelimit.h for the eviction rule).
 */
#include "domain/ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PROBES 16

typedef struct slot {
    char key[RATELIMIT_KEY_MAX + 1]; /* "" = empty */
    tbucket b;
    uint64_t requests, limited;
} slot;

struct ratelimit {
    pthread_mutex_t mu;
    size_t mask;
    double rate, burst;         /* this node's share (ratelimit_share) */
    double all_rate, all_burst; /* what ratelimit_new was given */
    slot *slots;
};

void tbucket_init(tbucket *b, double burst, double now)
{
    b->tokens = burst;
    b->last = now;
}

/* Tokens at time now (not stored). */
static double refilled(const tbucket *b, double rate, double burst, double now)
{
    double dt = now > b->last ? now - b->last : 0;
    double t = b->tokens + dt * rate;
    return t > burst ? burst : t;
}

int tbucket_take(tbucket *b, double rate, double burst, double now, double *retry_after)
{
    b->tokens = refilled(b, rate, burst, now);
    if (now > b->last)
        b->last = now;
    if (b->tokens >= 1) {
        b->tokens -= 1;
        if (retry_after)
            *retry_after = 0;
        return 1;
    }
    if (retry_after)
        *retry_after = rate > 0 ? (1 - b->tokens) / rate : INFINITY;
    return 0;
}

ratelimit *ratelimit_new(size_t slots, double rate, double burst)
{
    size_t n = 16;
    while (n < slots && n < ((size_t)1 << 24))
        n *= 2;
    ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl)
        return NULL;
    rl->slots = calloc(n, sizeof *rl->slots);
    if (!rl->slots) {
        free(rl);
        return NULL;
    }
    rl->mask = n - 1;
    rl->rate = rl->all_rate = rate;
    rl->burst = rl->all_burst = burst < 1 ? 1 : burst;
    pthread_mutex_init(&rl->mu, NULL);
    return rl;
}

void ratelimit_free(ratelimit *rl)
{
    if (!rl)
        return;
    pthread_mutex_destroy(&rl->mu);
    free(rl->slots);
    free(rl);
}

static uint64_t hash_key(const char *k)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211ULL;
    return h;
}

/* The slot for key (found, or claimed and reset). Under rl->mu. An empty
 * slot is preferred to a refilled one, so that counts survive while the
 * table has room. */
static slot *find_slot(ratelimit *rl, const char *key, double now)
{
    size_t start = (size_t)hash_key(key) & rl->mask;
    slot *empty = NULL, *full = NULL, *oldest = NULL;
    for (size_t i = 0; i < PROBES && i <= rl->mask; i++) {
        slot *s = &rl->slots[(start + i) & rl->mask];
        if (strcmp(s->key, key) == 0)
            return s;
        if (!s->key[0]) {
            if (!empty)
                empty = s;
            continue;
        }
        if (!full && rl->rate > 0 && refilled(&s->b, rl->rate, rl->burst, now) >= rl->burst)
            full = s;
        if (!oldest || s->b.last < oldest->b.last)
            oldest = s;
    }
    slot *s = empty ? empty : full ? full : oldest;
    memset(s, 0, sizeof *s);
    memcpy(s->key, key, strlen(key) + 1);
    tbucket_init(&s->b, rl->burst, now);
    return s;
}

int ratelimit_take(ratelimit *rl, const char *key, double now, double *retry_after)
{
    char k[RATELIMIT_KEY_MAX + 1];
    size_t n = strlen(key);
    if (n > RATELIMIT_KEY_MAX)
        n = RATELIMIT_KEY_MAX;
    memcpy(k, key, n);
    k[n] = '\0';
    if (!k[0])
        k[0] = '?', k[1] = '\0';
    pthread_mutex_lock(&rl->mu);
    slot *s = find_slot(rl, k, now);
    s->requests++;
    int ok = rl->rate <= 0 ? 1 : tbucket_take(&s->b, rl->rate, rl->burst, now, retry_after);
    if (!ok)
        s->limited++;
    else if (rl->rate <= 0 && retry_after)
        *retry_after = 0;
    pthread_mutex_unlock(&rl->mu);
    return ok;
}

void ratelimit_share(ratelimit *rl, unsigned nodes)
{
    if (!rl)
        return;
    if (nodes < 1)
        nodes = 1;
    pthread_mutex_lock(&rl->mu);
    rl->rate = rl->all_rate / nodes;
    rl->burst = rl->all_burst / nodes;
    if (rl->burst < 1)
        rl->burst = 1;
    pthread_mutex_unlock(&rl->mu);
}

void ratelimit_foreach(ratelimit *rl,
                       void (*fn)(void *ctx, const char *key, uint64_t requests,
                                  uint64_t limited),
                       void *ctx)
{
    pthread_mutex_lock(&rl->mu);
    for (size_t i = 0; i <= rl->mask; i++)
        if (rl->slots[i].key[0])
            fn(ctx, rl->slots[i].key, rl->slots[i].requests, rl->slots[i].limited);
    pthread_mutex_unlock(&rl->mu);
}
