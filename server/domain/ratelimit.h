/*
 * ratelimit.h - token buckets, one per key (a user id or a client
 * address), in a fixed-size table under one mutex.
 *
 * A bucket holds up to `burst` tokens and gains `rate` tokens a second;
 * a request takes one, or is refused with the time until the next token.
 * The table never grows: a key probes a few slots from its hash and takes
 * an empty one, or one whose bucket has refilled completely (it is then
 * the same as a fresh bucket, so nothing is lost), or else the one
 * touched least recently. Under a flood of distinct keys (an attacker
 * with many addresses) that last rule hands out fresh buckets; per-IP
 * limits are a brake for anonymous traffic, not a wall.
 */
#ifndef MLPD_SERVER_RATELIMIT_H
#define MLPD_SERVER_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

/* One bucket; the math, apart from the table, for tests. */
typedef struct tbucket {
    double tokens;
    double last; /* seconds (any clock that only moves forward) */
} tbucket;

/* Start full at time now. */
void tbucket_init(tbucket *b, double burst, double now);
/* Take one token at time now: 1 if there was one; else 0 and *retry_after
 * (may be NULL) gets the seconds until there will be one. A clock that
 * goes back is treated as standing still. */
int tbucket_take(tbucket *b, double rate, double burst, double now, double *retry_after);

typedef struct ratelimit ratelimit;

#define RATELIMIT_KEY_MAX 47 /* an IPv6 address in text is at most 45 */

/* slots is rounded up to a power of two. rate <= 0 means unlimited.
 * NULL if memory ran out. */
ratelimit *ratelimit_new(size_t slots, double rate, double burst);
void ratelimit_free(ratelimit *rl); /* accepts NULL */

/* Take a token for key (longer keys are cut) at now; as tbucket_take.
 * Also counts requests and refusals per key, for metrics. */
int ratelimit_take(ratelimit *rl, const char *key, double now, double *retry_after);

/* Several nodes behind one balancer, each with its own table: give this
 * node 1/nodes of the rate and of the burst (the burst at least 1), so
 * that a client whose requests the balancer spreads evenly gets about the
 * whole rate in all. Buckets holding more than the new burst keep it
 * only until their next take. nodes 0 counts as 1. */
void ratelimit_share(ratelimit *rl, unsigned nodes);

/* Call fn for every key in the table with its counts. */
void ratelimit_foreach(ratelimit *rl,
                       void (*fn)(void *ctx, const char *key, uint64_t requests,
                                  uint64_t limited),
                       void *ctx);

#endif
