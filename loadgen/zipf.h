/* User-key distributions: which of K users a request is for.
 *
 * uniform: every user alike. zipf:S: user of rank k (k = 1 .. K, user index
 * k - 1) is chosen with probability proportional to 1 / k^S. The zipf table
 * (the cumulative distribution, K entries) is computed once at start;
 * sampling is a binary search in it, with no allocation. */
#ifndef LOADGEN_ZIPF_H
#define LOADGEN_ZIPF_H

#include <stdbool.h>
#include <stdint.h>

#include "rng.h"

enum dist_kind { DIST_UNIFORM, DIST_ZIPF };

struct sampler {
    enum dist_kind kind;
    uint32_t users;
    double s; /* zipf exponent */
    uint64_t *cdf; /* zipf: cdf[k] = P(index <= k) scaled to 2^64 - 1 (saturated) */
};

#define ZIPF_S_MAX 10 /* the largest zipf exponent */

/* Parses "uniform" or "zipf:S" (0 < S <= ZIPF_S_MAX); false if it is neither. */
bool dist_parse(const char *text, enum dist_kind *kind, double *s);

/* Builds the sampler; false if memory runs out. */
bool sampler_init(struct sampler *smp, enum dist_kind kind, double s, uint32_t users);
void sampler_free(struct sampler *smp);

/* The probability of user index i (for tests and reports). */
double sampler_probability(const struct sampler *smp, uint32_t i);

static inline uint32_t sampler_next(const struct sampler *smp, struct rng *r)
{
    if (smp->kind == DIST_UNIFORM)
        return rng_below(r, smp->users);
    uint64_t u = rng_next(r);
    /* The first index whose cdf is above u. */
    uint32_t lo = 0, hi = smp->users - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (smp->cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

#endif
