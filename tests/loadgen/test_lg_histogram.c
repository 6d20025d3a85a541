/* The latency histogram: bucket layout, percentiles against a sorted
 * reference for several distributions (within the stated 1%), merging. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "rng.h"
#include "unit.h"

#define N 200000

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The reference: the smallest value with at least p% of values at or below it. */
static uint64_t reference(const uint64_t *sorted, size_t n, double p)
{
    double want = ceil(p / 100.0 * (double)n);
    size_t rank = want < 1 ? 1 : (size_t)want;
    return sorted[rank - 1];
}

static struct histogram *new_hist(void)
{
    struct histogram *h = malloc(sizeof *h);
    ck_assert_ptr_nonnull(h);
    hist_init(h);
    return h;
}

START_TEST(test_buckets_cover_every_value_tightly)
{
    struct rng r;
    rng_seed(&r, 7);
    unsigned last = 0;
    for (uint64_t v = 0; v < 5000; v++) { /* every small value, in order */
        unsigned i = hist_index(v);
        EXPECT(i >= last && i < HIST_BUCKETS, "index %u for %lu", i, (unsigned long)v);
        EXPECT(hist_bucket_low(i) <= v && v < hist_bucket_low(i) + hist_bucket_width(i),
               "value %lu outside its bucket %u", (unsigned long)v, i);
        last = i;
    }
    for (int k = 0; k < 1000000; k++) {
        uint64_t v = rng_next(&r) >> (rng_next(&r) % 64);
        if (v > HIST_MAX_VALUE)
            v %= HIST_MAX_VALUE;
        unsigned i = hist_index(v);
        uint64_t low = hist_bucket_low(i), width = hist_bucket_width(i);
        EXPECT(low <= v && v < low + width, "value %lu outside bucket %u", (unsigned long)v, i);
        EXPECT(width == 1 || (double)width / (double)low <= 1.0 / 128,
               "bucket %u too wide: %lu at %lu", i, (unsigned long)width, (unsigned long)low);
    }
    ck_assert_uint_eq(hist_index(HIST_MAX_VALUE), HIST_BUCKETS - 1);
    ck_assert_uint_eq(hist_index(UINT64_MAX), HIST_BUCKETS - 1);
    ck_assert_uint_ge(HIST_MAX_VALUE, UINT64_C(100000000000)); /* 100 s */
}
END_TEST

enum dist { D_UNIFORM, D_EXPONENTIAL, D_LOGNORMAL, D_PARETO, D_BIMODAL, D_CONSTANT, D_COUNT };

/* A latency in ns between 1 us and 100 s, in the shape asked for. */
static uint64_t draw(struct rng *r, enum dist d)
{
    double u = rng_unit(r);
    double v;
    switch (d) {
    case D_UNIFORM: v = 1e3 + u * 1e8; break;
    case D_EXPONENTIAL: v = 1e3 - 2e5 * log1p(-u); break;
    case D_LOGNORMAL: {
        double u2 = rng_unit(r);
        double z = sqrt(-2 * log1p(-u)) * cos(2 * M_PI * u2);
        v = exp(log(1e5) + 1.5 * z);
        break;
    }
    case D_PARETO: v = 1e3 * pow(1 - u, -1.0 / 1.1); break;
    case D_BIMODAL: v = u < 0.97 ? 5e4 + u * 1e4 : 2e9 + u * 1e9; break;
    case D_CONSTANT:
    default: v = 123456; break;
    }
    if (v < 1e3)
        v = 1e3;
    if (v > 1e11)
        v = 1e11;
    return (uint64_t)v;
}

START_TEST(test_percentiles_within_one_percent)
{
    static const double ps[] = {1, 10, 50, 75, 90, 99, 99.9, 99.99, 100};
    enum dist d = (enum dist)_i;
    uint64_t *values = malloc(sizeof *values * N);
    ck_assert_ptr_nonnull(values);
    struct histogram *h = new_hist();
    struct rng r;
    rng_seed(&r, 1000 + (uint64_t)d);
    for (size_t i = 0; i < N; i++) {
        values[i] = draw(&r, d);
        hist_record(h, values[i]);
    }
    qsort(values, N, sizeof *values, cmp_u64);
    ck_assert_uint_eq(h->count, N);
    ck_assert_uint_eq(h->min, values[0]);
    ck_assert_uint_eq(h->max, values[N - 1]);
    for (size_t k = 0; k < ARRAY_LEN(ps); k++) {
        uint64_t want = reference(values, N, ps[k]);
        uint64_t got = hist_percentile(h, ps[k]);
        double err = fabs((double)got - (double)want) / (double)want;
        EXPECT(err <= 0.01, "distribution %d p%g: %lu, reference %lu (%.3f%% off)", d, ps[k],
               (unsigned long)got, (unsigned long)want, err * 100);
    }
    double mean = 0;
    for (size_t i = 0; i < N; i++)
        mean += (double)values[i];
    mean /= N;
    EXPECT(fabs(hist_mean(h) - mean) <= 1e-9 * mean, "mean %f, reference %f", hist_mean(h), mean);
    free(h);
    free(values);
}
END_TEST

START_TEST(test_merge_equals_one_histogram)
{
    struct histogram *all = new_hist(), *parts[4], *merged = new_hist();
    for (int p = 0; p < 4; p++)
        parts[p] = new_hist();
    struct rng r;
    rng_seed(&r, 99);
    for (size_t i = 0; i < N; i++) {
        uint64_t v = draw(&r, (enum dist)(i % D_COUNT));
        hist_record(all, v);
        hist_record(parts[i % 3], v); /* parts[3] stays empty */
    }
    for (int p = 0; p < 4; p++)
        hist_merge(merged, parts[p]);
    ck_assert_uint_eq(merged->count, all->count);
    ck_assert_uint_eq(merged->min, all->min);
    ck_assert_uint_eq(merged->max, all->max);
    ck_assert_int_eq(memcmp(merged->buckets, all->buckets, sizeof all->buckets), 0);
    for (double p = 1; p <= 100; p += 0.5)
        ck_assert_uint_eq(hist_percentile(merged, p), hist_percentile(all, p));
    EXPECT(fabs(merged->sum - all->sum) <= 1e-9 * all->sum, "sums differ");
    for (int p = 0; p < 4; p++)
        free(parts[p]);
    free(all);
    free(merged);
}
END_TEST

START_TEST(test_edges)
{
    struct histogram *h = new_hist();
    ck_assert_uint_eq(hist_percentile(h, 50), 0);
    ck_assert(hist_mean(h) == 0);
    hist_record(h, 0);
    ck_assert_uint_eq(hist_percentile(h, 50), 0);
    hist_record(h, UINT64_C(500000000000)); /* 500 s: above the range */
    ck_assert_uint_eq(h->clamped, 1);
    ck_assert_uint_eq(h->max, UINT64_C(500000000000));
    ck_assert_uint_eq(hist_percentile(h, 100), UINT64_C(500000000000));
    /* 1 us and 100 s land in buckets that keep them within 1%. */
    hist_init(h);
    hist_record(h, 1000);
    ck_assert_uint_eq(hist_percentile(h, 50), 1000); /* clamped to the exact min and max */
    hist_init(h);
    for (int i = 0; i < 10; i++)
        hist_record(h, UINT64_C(100000000000));
    ck_assert_uint_eq(hist_percentile(h, 99), UINT64_C(100000000000));
    free(h);
}
END_TEST

static Suite *histogram_suite(void)
{
    Suite *s = suite_create("loadgen histogram");
    TCase *tc = tcase_create("histogram");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_buckets_cover_every_value_tightly);
    tcase_add_loop_test(tc, test_percentiles_within_one_percent, 0, D_COUNT);
    tcase_add_test(tc, test_merge_equals_one_histogram);
    tcase_add_test(tc, test_edges);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(histogram_suite)
