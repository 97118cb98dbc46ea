/*
 * rng.c - explicit, seeded randomness: xoshiro256** seeded through
 * splitmix64 (Vigna's recommended pairing). The state lives in the caller's
 * struct; nothing here is shared.
 */
#include "mlp.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void mlp_rng_seed(mlp_rng *rng, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t mlp_rng_next(mlp_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double mlp_rng_uniform(mlp_rng *rng)
{
    return (double)(mlp_rng_next(rng) >> 11) * 0x1.0p-53;
}

double mlp_rng_normal(mlp_rng *rng)
{
    /* 1 - u is in (0, 1], so the log is finite. */
    double u1 = 1.0 - mlp_rng_uniform(rng);
    double u2 = mlp_rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
