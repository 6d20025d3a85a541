/* User-key distributions: parsing, and the sampled frequencies against the
 * theory, with fixed seeds. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "rng.h"
#include "zipf.h"
#include "unit.h"

#define SAMPLES 2000000

START_TEST(test_parse)
{
    enum dist_kind k;
    double s;
    ck_assert(dist_parse("uniform", &k, &s) && k == DIST_UNIFORM);
    ck_assert(dist_parse("zipf:0.99", &k, &s) && k == DIST_ZIPF && s == 0.99);
    ck_assert(dist_parse("zipf:1.2", &k, &s) && k == DIST_ZIPF && s == 1.2);
    static const char *const bad[] = {"",        "zipf",    "zipf:",   "zipf:0",   "zipf:-1",
                                      "zipf:1x", "zipf:11", "Uniform", "zipf:nan", "normal"};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        ck_assert_msg(!dist_parse(bad[i], &k, &s), "'%s' accepted", bad[i]);
}
END_TEST

/* Samples, checks every index is in range, returns the counts. */
static uint64_t *sample(const struct sampler *smp, uint64_t seed)
{
    uint64_t *counts = calloc(smp->users, sizeof *counts);
    ck_assert_ptr_nonnull(counts);
    struct rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < SAMPLES; i++) {
        uint32_t u = sampler_next(smp, &r);
        EXPECT(u < smp->users, "index %u of %u users", u, smp->users);
        counts[u]++;
    }
    return counts;
}

/* Observed frequency of index i within `sigmas` standard deviations of theory. */
static void expect_frequency(const struct sampler *smp, const uint64_t *counts, uint32_t i,
                             double sigmas)
{
    double p = sampler_probability(smp, i);
    double got = (double)counts[i] / SAMPLES;
    double sd = sqrt(p * (1 - p) / SAMPLES);
    EXPECT(fabs(got - p) <= sigmas * sd, "index %u: frequency %.6f, theory %.6f (sd %.6f)", i, got,
           p, sd);
}

START_TEST(test_uniform)
{
    struct sampler smp;
    ck_assert(sampler_init(&smp, DIST_UNIFORM, 0, 10));
    uint64_t *counts = sample(&smp, 1);
    for (uint32_t i = 0; i < 10; i++)
        expect_frequency(&smp, counts, i, 5);
    free(counts);
    sampler_free(&smp);
}
END_TEST

START_TEST(test_zipf_099)
{
    struct sampler smp;
    ck_assert(sampler_init(&smp, DIST_ZIPF, 0.99, 1000));
    /* Theory: P(rank 1) = 1 / sum_{k=1}^{1000} k^-0.99, about 0.1337. */
    double h = 0;
    for (int k = 1; k <= 1000; k++)
        h += pow(k, -0.99);
    ck_assert(fabs(sampler_probability(&smp, 0) - 1 / h) < 1e-12);
    uint64_t *counts = sample(&smp, 42);
    double f1 = (double)counts[0] / SAMPLES;
    EXPECT(fabs(f1 - 1 / h) / (1 / h) < 0.01, "rank 1: %.5f, theory %.5f", f1, 1 / h);
    for (uint32_t i = 0; i < 1000; i += (i < 10 ? 1 : 97))
        expect_frequency(&smp, counts, i, 5);
    /* Rank 1 over rank 2 is 2^0.99. */
    double ratio = (double)counts[0] / (double)counts[1];
    EXPECT(fabs(ratio - pow(2, 0.99)) < 0.03, "rank1/rank2 = %.4f, theory %.4f", ratio,
           pow(2, 0.99));
    free(counts);
    sampler_free(&smp);
}
END_TEST

START_TEST(test_zipf_many_users)
{
    struct sampler smp;
    ck_assert(sampler_init(&smp, DIST_ZIPF, 1.2, 100000));
    uint64_t *counts = sample(&smp, 7);
    expect_frequency(&smp, counts, 0, 5);
    expect_frequency(&smp, counts, 1, 5);
    expect_frequency(&smp, counts, 99, 5);
    /* The tail is reached. */
    uint64_t tail = 0;
    for (uint32_t i = 50000; i < 100000; i++)
        tail += counts[i];
    ck_assert_uint_gt(tail, 0);
    free(counts);
    sampler_free(&smp);
}
END_TEST

START_TEST(test_one_user)
{
    struct sampler smp;
    ck_assert(sampler_init(&smp, DIST_ZIPF, 0.99, 1));
    struct rng r;
    rng_seed(&r, 3);
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq(sampler_next(&smp, &r), 0);
    sampler_free(&smp);
}
END_TEST

static Suite *zipf_suite(void)
{
    Suite *s = suite_create("loadgen zipf");
    TCase *tc = tcase_create("zipf");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_parse);
    tcase_add_test(tc, test_uniform);
    tcase_add_test(tc, test_zipf_099);
    tcase_add_test(tc, test_zipf_many_users);
    tcase_add_test(tc, test_one_user);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(zipf_suite)
