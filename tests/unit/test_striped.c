/* Stage 08's striped balances (step08_rwlock/striped.c): a user always maps
 * to the same stripe, users spread over all of them, and concurrent readers
 * and writers neither lose an update nor see a value that no sequence of the
 * updates could have produced. */
#include <inttypes.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "balance_checks.h"
#include "striped.h"
#include "threads.h"
#include "unit.h"

/* Writes fmt with i into buf; returns the name's length. */
static size_t user_name(char *buf, size_t cap, const char *fmt, unsigned i)
{
    int n = snprintf(buf, cap, fmt, i);
    ck_assert(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

/*** stripe selection ***/

START_TEST(test_index_is_deterministic_and_in_range)
{
    char a[32], b[32];
    for (unsigned i = 0; i < 10000; i++) {
        size_t len = user_name(a, sizeof a, "user%u", i);
        memcpy(b, a, len + 1); /* the same name at another address */
        size_t index = striped_index(a, len);
        EXPECT(index < STRIPES, "'%s' maps to stripe %zu of %d", a, index, STRIPES);
        EXPECT(striped_index(b, len) == index, "'%s' maps to two stripes", a);
    }
    /* Only the user's bytes count, not what follows them. */
    ck_assert_uint_eq(striped_index("alice-and-more", 5), striped_index("alice", 5));
    ck_assert_uint_lt(striped_index("", 0), STRIPES);
}
END_TEST

/* 10,000 users of each shape land in all 64 stripes, none of them crowded. */
START_TEST(test_index_spreads_users)
{
    static const char *const shapes[] = {"user%u", "u%05u", "%u", "customer-%u@example.com"};
    const unsigned users = 10000;
    const double mean = (double)users / STRIPES;
    for (size_t s = 0; s < ARRAY_LEN(shapes); s++) {
        unsigned count[STRIPES] = {0};
        char name[64];
        for (unsigned i = 0; i < users; i++)
            count[striped_index(name, user_name(name, sizeof name, shapes[s], i))]++;
        double chi2 = 0;
        for (size_t k = 0; k < STRIPES; k++) {
            ck_assert_msg(count[k] >= mean / 2 && count[k] <= mean * 3 / 2,
                          "%s: stripe %zu has %u of %u users (mean %.0f)", shapes[s], k, count[k],
                          users, mean);
            chi2 += (count[k] - mean) * (count[k] - mean) / mean;
        }
        /* 63 degrees of freedom: a uniform hash exceeds 120 once in ~100,000. */
        ck_assert_msg(chi2 < 120, "%s: chi-square %.1f over %d stripes", shapes[s], chi2, STRIPES);
    }
}
END_TEST

/*** one thread ***/

static struct striped_balances sb;

DEFINE_USE_BALANCE_CHECKS(striped, &sb)

static void setup(void)
{
    ck_assert(striped_init(&sb));
    use_balance_checks();
}

static void teardown(void)
{
    striped_destroy(&sb);
}

/* Two names in one stripe, found by search: the stripe must tell them apart. */
static void same_stripe_pair(char *a, char *b, size_t cap)
{
    size_t la = user_name(a, cap, "pair%u", 0);
    for (unsigned i = 1; i < 100000; i++) {
        size_t lb = user_name(b, cap, "pair%u", i);
        if (striped_index(b, lb) == striped_index(a, la))
            return;
    }
    ck_abort_msg("no two names share a stripe");
}

START_TEST(test_unknown_user_is_zero)
{
    ck_assert_int_eq(balance_get("nobody"), 0);
    ck_assert_int_eq(balance_get("nobody"), 0); /* reading does not create anything odd */
    expect_apply("alice", 100, 100);
    ck_assert_int_eq(balance_get("alicE"), 0);
    ck_assert_int_eq(balance_get("alic"), 0);
    ck_assert_int_eq(striped_get(&sb, "alice\0", 6), 0); /* the length is part of the name */
}
END_TEST

START_TEST(test_apply_and_get)
{
    expect_apply("alice", 100, 100);
    expect_apply("alice", -250, -150);
    expect_apply("bob", -7, -7);
    expect_apply("alice", 150, 0);
    ck_assert_int_eq(balance_get("bob"), -7);

    char a[32], b[32];
    same_stripe_pair(a, b, sizeof a);
    expect_apply(a, 5, 5);
    expect_apply(b, 9, 9);
    expect_apply(a, 1, 6);
    ck_assert_int_eq(balance_get(b), 9);
}
END_TEST

START_TEST(test_overflow_refused)
{
    expect_overflow_refused();
}
END_TEST

/*** many threads ***/

#define WRITERS      4
#define READERS      2
#define HOT_USERS    4
#define WRITES_EACH  20000
#define TOGGLES_EACH 20000
#define TOGGLE_SHIFT 40 /* the writers' deltas are 2^40, 2^41, ... */

/* The hot users: two share a stripe, the others have their own. */
static char hot[HOT_USERS][32];
static size_t hot_len[HOT_USERS];

static void pick_hot_users(void)
{
    same_stripe_pair(hot[0], hot[1], sizeof hot[0]);
    snprintf(hot[2], sizeof hot[2], "carol");
    snprintf(hot[3], sizeof hot[3], "dave");
    for (size_t u = 0; u < HOT_USERS; u++)
        hot_len[u] = strlen(hot[u]);
}

/* What readers check of every balance they read: NULL if now may follow
 * last (the user's balance they read before), else what is wrong. */
typedef const char *read_check(int64_t now, int64_t last);
static read_check *check;

/* A reader: reads the hot users over and over until the writers are done. */
static void *watch(void *arg)
{
    (void)arg;
    int64_t last[HOT_USERS] = {0};
    threads_wait_start();
    while (!threads_writers_done()) {
        for (size_t u = 0; u < HOT_USERS; u++) {
            int64_t now = striped_get(&sb, hot[u], hot_len[u]);
            const char *wrong = check(now, last[u]);
            if (wrong)
                complain("'%s' read %#" PRIx64 " after %#" PRIx64 ": %s", hot[u], (uint64_t)now,
                         (uint64_t)last[u], wrong);
            last[u] = now;
        }
        sched_yield(); /* readers share a stripe's lock: without a pause they starve writers */
    }
    return NULL;
}

/* Runs WRITERS writers and READERS readers checking with reader_check. */
static void run_threads(void *(*writer)(void *), read_check *reader_check)
{
    check = reader_check;
    threads_run(writer, WRITERS, watch, READERS);
}

/* Buys of 1 only: every balance only grows. */
static void *buy_ones(void *arg)
{
    (void)arg;
    threads_wait_start();
    for (unsigned i = 0; i < WRITES_EACH; i++) {
        size_t u = i % HOT_USERS;
        int64_t balance;
        if (striped_apply(&sb, hot[u], hot_len[u], 1, &balance) != APPLY_DONE)
            complain("a buy of 1 was refused for '%s'", hot[u]);
    }
    return NULL;
}

#define BUYS_TOTAL ((int64_t)WRITERS * WRITES_EACH / HOT_USERS) /* per hot user */

static const char *never_down(int64_t now, int64_t last)
{
    return now < last ? "it went down" : now > BUYS_TOTAL ? "more than every buy" : NULL;
}

START_TEST(test_concurrent_buys)
{
    pick_hot_users();
    run_threads(buy_ones, never_down);
    for (size_t u = 0; u < HOT_USERS; u++)
        ck_assert_msg(balance_get(hot[u]) == BUYS_TOTAL, "'%s' ends at %" PRId64 ", not %" PRId64,
                      hot[u], balance_get(hot[u]), BUYS_TOTAL);
}
END_TEST

/* Writer i adds 2^(40+i) and takes it away again, over and over, on every
 * hot user. Any moment's balance is a sum of distinct such powers: a
 * multiple of 2^40 below 2^(40+WRITERS). Anything else was never a balance. */
static void *toggle(void *arg)
{
    const int64_t delta = (int64_t)1 << (TOGGLE_SHIFT + (uintptr_t)arg);
    threads_wait_start();
    for (unsigned i = 0; i < TOGGLES_EACH; i++) {
        size_t u = i % HOT_USERS;
        int64_t balance;
        if (striped_apply(&sb, hot[u], hot_len[u], delta, &balance) != APPLY_DONE ||
            striped_apply(&sb, hot[u], hot_len[u], -delta, &balance) != APPLY_DONE)
            complain("a delta of %" PRId64 " was refused for '%s'", delta, hot[u]);
    }
    return NULL;
}

static const char *subset_sum(int64_t now, int64_t last)
{
    (void)last;
    const int64_t low_bits = ((int64_t)1 << TOGGLE_SHIFT) - 1;
    const int64_t end = (int64_t)1 << (TOGGLE_SHIFT + WRITERS);
    return now < 0 || now >= end || (now & low_bits) != 0 ? "no order of the deltas gives it"
                                                          : NULL;
}

START_TEST(test_concurrent_deltas)
{
    pick_hot_users();
    run_threads(toggle, subset_sum);
    for (size_t u = 0; u < HOT_USERS; u++)
        ck_assert_msg(balance_get(hot[u]) == 0, "'%s' ends at %#" PRIx64 ", not 0", hot[u],
                      (uint64_t)balance_get(hot[u]));
}
END_TEST

static Suite *striped_suite(void)
{
    Suite *s = suite_create("striped");
    TCase *index = tcase_create("index");
    tcase_add_test(index, test_index_is_deterministic_and_in_range);
    tcase_add_test(index, test_index_spreads_users);
    suite_add_tcase(s, index);

    TCase *single = tcase_create("single thread");
    tcase_add_checked_fixture(single, setup, teardown);
    tcase_add_test(single, test_unknown_user_is_zero);
    tcase_add_test(single, test_apply_and_get);
    tcase_add_test(single, test_overflow_refused);
    suite_add_tcase(s, single);

    TCase *threads = threads_tcase("threads", setup, teardown);
    tcase_add_test(threads, test_concurrent_buys);
    tcase_add_test(threads, test_concurrent_deltas);
    suite_add_tcase(s, threads);
    return s;
}

UNIT_MAIN(striped_suite)
