/* Latency histogram: log-linear buckets in the style of HdrHistogram.
 *
 * Values are nanoseconds. Below 256 ns every value has its own bucket; above,
 * each power of two is split into 128 equal buckets, so a bucket is never
 * wider than 1/128 of its lower bound. A percentile is reported as the middle
 * of its bucket: at most 0.4% from the true value (the stated bound is 1%).
 * The range ends at 2^37 ns (137 s); larger values count in the last bucket
 * and in `clamped`. Fixed memory (about 32 KiB), no allocation, and two
 * histograms merge by adding their buckets. */
#ifndef LOADGEN_HISTOGRAM_H
#define LOADGEN_HISTOGRAM_H

#include <stdint.h>

#define HIST_SUB_BITS  7 /* 128 buckets per power of two */
#define HIST_SUB_COUNT (1u << HIST_SUB_BITS)
#define HIST_MAX_BITS  37 /* values up to 2^37 - 1 ns */
#define HIST_MAX_VALUE ((UINT64_C(1) << HIST_MAX_BITS) - 1)
#define HIST_BUCKETS   ((HIST_MAX_BITS - HIST_SUB_BITS + 1) * HIST_SUB_COUNT)

struct histogram {
    uint64_t count;
    uint64_t clamped; /* values above HIST_MAX_VALUE, counted as that value */
    uint64_t min; /* exact; UINT64_MAX while empty */
    uint64_t max; /* exact (before clamping) */
    double sum; /* for the mean */
    double sum_sq; /* for the standard deviation */
    uint64_t buckets[HIST_BUCKETS];
};

void hist_init(struct histogram *h);

static inline unsigned hist_index(uint64_t v)
{
    if (v > HIST_MAX_VALUE)
        v = HIST_MAX_VALUE;
    if (v < 2 * HIST_SUB_COUNT)
        return (unsigned)v;
    unsigned top = 63u - (unsigned)__builtin_clzll(v); /* >= HIST_SUB_BITS + 1 */
    unsigned shift = top - HIST_SUB_BITS;
    return (shift << HIST_SUB_BITS) + (unsigned)(v >> shift);
}

/* The smallest value and the width of bucket i. */
uint64_t hist_bucket_low(unsigned i);
uint64_t hist_bucket_width(unsigned i);

static inline void hist_record(struct histogram *h, uint64_t v)
{
    h->buckets[hist_index(v)]++;
    h->count++;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
    if (v > HIST_MAX_VALUE)
        h->clamped++;
    double d = (double)v;
    h->sum += d;
    h->sum_sq += d * d;
}

/* Adds every value of src to dst. */
void hist_merge(struct histogram *dst, const struct histogram *src);

/* The value at percentile p (0 < p <= 100): the smallest recorded value such
 * that at least p% of the values are at or below it, within the bucket error.
 * 0 if the histogram is empty. */
uint64_t hist_percentile(const struct histogram *h, double p);
double hist_mean(const struct histogram *h);
double hist_stddev(const struct histogram *h);

#endif
