#include "histogram.h"

#include <math.h>
#include <string.h>

void hist_init(struct histogram *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

uint64_t hist_bucket_low(unsigned i)
{
    if (i < 2 * HIST_SUB_COUNT)
        return i;
    unsigned shift = (i >> HIST_SUB_BITS) - 1;
    uint64_t mantissa = (i & (HIST_SUB_COUNT - 1)) | HIST_SUB_COUNT;
    return mantissa << shift;
}

uint64_t hist_bucket_width(unsigned i)
{
    if (i < 2 * HIST_SUB_COUNT)
        return 1;
    return UINT64_C(1) << ((i >> HIST_SUB_BITS) - 1);
}

void hist_merge(struct histogram *dst, const struct histogram *src)
{
    if (src->count == 0)
        return;
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
        dst->buckets[i] += src->buckets[i];
    dst->count += src->count;
    dst->clamped += src->clamped;
    dst->sum += src->sum;
    dst->sum_sq += src->sum_sq;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t hist_percentile(const struct histogram *h, double p)
{
    if (h->count == 0)
        return 0;
    if (p >= 100)
        return h->max;
    double want = ceil(p / 100.0 * (double)h->count);
    uint64_t rank = want < 1 ? 1 : (uint64_t)want;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank) {
            uint64_t v = hist_bucket_low(i) + hist_bucket_width(i) / 2;
            if (v < h->min)
                v = h->min;
            if (v > h->max)
                v = h->max;
            return v;
        }
    }
    return h->max;
}

double hist_mean(const struct histogram *h)
{
    return h->count ? h->sum / (double)h->count : 0;
}

double hist_stddev(const struct histogram *h)
{
    if (h->count < 2)
        return 0;
    double mean = hist_mean(h);
    double var = h->sum_sq / (double)h->count - mean * mean;
    return var > 0 ? sqrt(var) : 0;
}
