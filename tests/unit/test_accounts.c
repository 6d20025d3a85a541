/* Stage 09's accounts (step09_atomics/accounts.c): an RCU hash table of
 * atomic balances. Balances add up and refuse to overflow; threads racing to
 * add the same new users end with one entry per user holding every update;
 * readers never see a balance go backwards under buys; and accounts_destroy
 * frees every entry (the AddressSanitizer build's LeakSanitizer checks that
 * when each test's process exits). */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <urcu/urcu-memb.h>
#include <urcu/rculfhash.h>

#include "accounts.h"
#include "unit.h"

#define CONCURRENT_TIMEOUT_S 60 /* the threaded tests, sanitizer builds included */

/* Every test runs on a fresh table, in a thread registered with RCU. */
static struct accounts acc;

static void setup(void)
{
    urcu_memb_register_thread();
    ck_assert(accounts_init(&acc));
    ck_assert_ptr_nonnull(acc.table);
}

static void teardown(void)
{
    accounts_destroy(&acc);
    ck_assert_ptr_null(acc.table);
    urcu_memb_unregister_thread();
}

static int64_t get(const char *user)
{
    return accounts_get(&acc, user, strlen(user));
}

static void expect_apply(const char *user, int64_t delta, int64_t want)
{
    int64_t got = 0;
    ck_assert_msg(accounts_apply(&acc, user, strlen(user), delta, &got),
                  "delta %" PRId64 " refused for '%s'", delta, user);
    ck_assert_msg(got == want, "'%s' is %" PRId64 " after %" PRId64 ", not %" PRId64, user, got,
                  delta, want);
    ck_assert_int_eq(get(user), want);
}

static void expect_refused(const char *user, int64_t delta)
{
    int64_t before = get(user), got = 12345;
    ck_assert_msg(!accounts_apply(&acc, user, strlen(user), delta, &got),
                  "delta %" PRId64 " accepted for '%s' at %" PRId64, delta, user, before);
    ck_assert_int_eq(got, 12345); /* untouched */
    ck_assert_int_eq(get(user), before);
}

/* The entries in the table, counted by walking it (no thread is changing it). */
static unsigned long entries(void)
{
    long before, after;
    unsigned long count;
    urcu_memb_read_lock();
    cds_lfht_count_nodes(acc.table, &before, &count, &after);
    urcu_memb_read_unlock();
    return count;
}

static size_t user_name(char *buf, size_t cap, unsigned i)
{
    int n = snprintf(buf, cap, "user-%u", i);
    ck_assert(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

/*** one thread ***/

START_TEST(test_unknown_user_is_zero)
{
    ck_assert_int_eq(get("nobody"), 0);
    ck_assert_uint_eq(entries(), 0); /* reading adds no entry */
    expect_apply("alice", 100, 100);
    ck_assert_int_eq(get("alicE"), 0);
    ck_assert_int_eq(get("alic"), 0);
    ck_assert_int_eq(accounts_get(&acc, "alice\0", 6), 0); /* the length is part of the name */
    ck_assert_uint_eq(entries(), 1);
}
END_TEST

START_TEST(test_apply_and_get)
{
    expect_apply("alice", 100, 100);
    expect_apply("alice", -250, -150);
    expect_apply("bob", -7, -7);
    expect_apply("alice", 150, 0);
    expect_apply("caf\xc3\xa9", 3, 3);
    ck_assert_int_eq(get("bob"), -7);
    ck_assert_int_eq(get("alice"), 0);
    ck_assert_uint_eq(entries(), 3);
}
END_TEST

START_TEST(test_overflow_refused)
{
    expect_apply("rich", INT64_MAX, INT64_MAX);
    expect_refused("rich", 1);
    expect_refused("rich", INT64_MAX);
    expect_apply("rich", -1, INT64_MAX - 1);
    expect_apply("poor", INT64_MIN, INT64_MIN);
    expect_refused("poor", -1);
    expect_refused("poor", INT64_MIN);
    expect_apply("poor", 1, INT64_MIN + 1);
}
END_TEST

/* Far past the initial size: the table grows, and every entry is freed. */
START_TEST(test_many_users)
{
    enum { USERS = 20000 };
    char name[32];
    for (unsigned i = 0; i < USERS; i++) {
        int64_t balance;
        size_t len = user_name(name, sizeof name, i);
        EXPECT(accounts_apply(&acc, name, len, (int64_t)i - 100, &balance), "%s refused", name);
    }
    for (unsigned i = 0; i < USERS; i++) {
        size_t len = user_name(name, sizeof name, i);
        int64_t got = accounts_get(&acc, name, len);
        EXPECT(got == (int64_t)i - 100, "%s has %" PRId64 ", not %d", name, got, (int)i - 100);
    }
    ck_assert_uint_eq(entries(), USERS);
}
END_TEST

/*** many threads ***/

#define THREADS 8

/* A thread other than the test's own may not call ck_assert: it records its
 * first complaint here instead, and the test fails on it after the join. */
static pthread_mutex_t complaint_lock = PTHREAD_MUTEX_INITIALIZER;
static char complaint[256];

static void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void complain(const char *fmt, ...)
{
    pthread_mutex_lock(&complaint_lock);
    if (complaint[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(complaint, sizeof complaint, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&complaint_lock);
}

static pthread_barrier_t start;
static atomic_bool writers_done;

/* Runs body(i) in THREADS threads registered with RCU, started together;
 * the first writers of them count as writers. Fails on a complaint. */
static void run_threads(void *(*body)(void *), unsigned writers)
{
    pthread_t t[THREADS];
    complaint[0] = '\0';
    atomic_store(&writers_done, false);
    ck_assert_int_eq(pthread_barrier_init(&start, NULL, THREADS), 0);
    for (uintptr_t i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, body, (void *)i), 0);
    for (unsigned i = 0; i < writers; i++)
        pthread_join(t[i], NULL);
    atomic_store(&writers_done, true);
    for (unsigned i = writers; i < THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
    ck_assert_msg(complaint[0] == '\0', "%s", complaint);
}

/* Every thread adds its own delta (index + 1) to the same new users, in the
 * same order, one user per round: the threads leave a spinning barrier
 * together (the ones not running yield), so that the running ones look up
 * the round's new user at the same moment, both miss, and one of them loses
 * the insert. */
#define RACE_USERS 2000

static atomic_uint arrived, round_number;

static void next_round(void)
{
    unsigned round = atomic_load(&round_number);
    if (atomic_fetch_add(&arrived, 1) + 1 == THREADS) {
        atomic_store(&arrived, 0);
        atomic_store(&round_number, round + 1);
        return;
    }
    while (atomic_load(&round_number) == round)
        sched_yield();
}

static void *add_everywhere(void *arg)
{
    const int64_t delta = (int64_t)(uintptr_t)arg + 1;
    char name[32];
    urcu_memb_register_thread();
    for (unsigned i = 0; i < RACE_USERS; i++) {
        int64_t balance;
        next_round();
        int n = snprintf(name, sizeof name, "user-%u", i);
        if (!accounts_apply(&acc, name, (size_t)n, delta, &balance))
            complain("%s: delta %" PRId64 " refused", name, delta);
        else if (balance < delta || balance > THREADS * (THREADS + 1) / 2)
            complain("%s: %" PRId64 " after adding %" PRId64, name, balance, delta);
    }
    urcu_memb_unregister_thread();
    return NULL;
}

START_TEST(test_insert_race)
{
    run_threads(add_everywhere, THREADS);
    char name[32];
    for (unsigned i = 0; i < RACE_USERS; i++) {
        size_t len = user_name(name, sizeof name, i);
        int64_t got = accounts_get(&acc, name, len);
        EXPECT(got == THREADS * (THREADS + 1) / 2, "%s ends at %" PRId64 ", not %d", name, got,
               THREADS * (THREADS + 1) / 2);
    }
    ck_assert_uint_eq(entries(), RACE_USERS); /* one entry per user */
}
END_TEST

/* Writers buy 1 for a few hot users while readers watch: a balance never
 * goes down, never passes the total, and ends exactly at it. */
#define WRITERS     4
#define HOT_USERS   4
#define WRITES_EACH 20000

static const char *const hot[HOT_USERS] = {"alice", "bob", "carol", "dave"};
#define HOT_TOTAL ((int64_t)WRITERS * WRITES_EACH / HOT_USERS)

static void *buy_or_watch(void *arg)
{
    const bool writer = (uintptr_t)arg < WRITERS;
    int64_t last[HOT_USERS] = {0};
    urcu_memb_register_thread();
    pthread_barrier_wait(&start);
    for (unsigned i = 0; writer ? i < WRITES_EACH : !atomic_load(&writers_done); i++) {
        size_t u = i % HOT_USERS;
        int64_t now;
        if (writer) {
            if (!accounts_apply(&acc, hot[u], strlen(hot[u]), 1, &now))
                complain("a buy of 1 was refused for %s", hot[u]);
            continue;
        }
        now = accounts_get(&acc, hot[u], strlen(hot[u]));
        if (now < last[u] || now > HOT_TOTAL)
            complain("%s read %" PRId64 " after %" PRId64, hot[u], now, last[u]);
        last[u] = now;
    }
    urcu_memb_unregister_thread();
    return NULL;
}

START_TEST(test_concurrent_readers_and_writers)
{
    run_threads(buy_or_watch, WRITERS);
    for (size_t u = 0; u < HOT_USERS; u++)
        ck_assert_msg(get(hot[u]) == HOT_TOTAL, "%s ends at %" PRId64 ", not %" PRId64, hot[u],
                      get(hot[u]), HOT_TOTAL);
    ck_assert_uint_eq(entries(), HOT_USERS);
}
END_TEST

static Suite *accounts_suite(void)
{
    Suite *s = suite_create("accounts");
    TCase *single = tcase_create("single thread");
    tcase_add_checked_fixture(single, setup, teardown);
    tcase_set_timeout(single, CONCURRENT_TIMEOUT_S);
    tcase_add_test(single, test_unknown_user_is_zero);
    tcase_add_test(single, test_apply_and_get);
    tcase_add_test(single, test_overflow_refused);
    tcase_add_test(single, test_many_users);
    suite_add_tcase(s, single);

    TCase *threads = tcase_create("threads");
    tcase_add_checked_fixture(threads, setup, teardown);
    tcase_set_timeout(threads, CONCURRENT_TIMEOUT_S);
    tcase_add_test(threads, test_insert_race);
    tcase_add_test(threads, test_concurrent_readers_and_writers);
    suite_add_tcase(s, threads);
    return s;
}

UNIT_MAIN(accounts_suite)
