/* Stage 09's accounts (step09_atomics/accounts.c): an RCU hash table of
 * atomic balances. Balances add up and refuse to overflow; threads racing to
 * add the same new users end with one entry per user holding every update;
 * readers never see a balance go backwards under buys; and accounts_destroy
 * frees every entry (the AddressSanitizer build's LeakSanitizer checks that
 * when each test's process exits). */
#include <inttypes.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <urcu/urcu-memb.h>
#include <urcu/rculfhash.h>

#include "accounts.h"
#include "balance_checks.h"
#include "failing_malloc.h"
#include "threads.h"
#include "unit.h"

/* Every test runs on a fresh table, in a thread registered with RCU. */
static struct accounts acc;

DEFINE_USE_BALANCE_CHECKS(accounts, &acc)

static void setup(void)
{
    urcu_memb_register_thread();
    use_balance_checks();
    ck_assert(accounts_init(&acc));
    ck_assert_ptr_nonnull(acc.table);
}

static void teardown(void)
{
    accounts_destroy(&acc);
    ck_assert_ptr_null(acc.table);
    urcu_memb_unregister_thread();
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
    ck_assert_int_eq(balance_get("nobody"), 0);
    ck_assert_uint_eq(entries(), 0); /* reading adds no entry */
    expect_apply("alice", 100, 100);
    ck_assert_int_eq(balance_get("alicE"), 0);
    ck_assert_int_eq(balance_get("alic"), 0);
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
    ck_assert_int_eq(balance_get("bob"), -7);
    ck_assert_int_eq(balance_get("alice"), 0);
    ck_assert_uint_eq(entries(), 3);
}
END_TEST

START_TEST(test_overflow_refused)
{
    expect_overflow_refused();
}
END_TEST

/* Out of memory for a new user's entry, the update is refused and
 * reported, and nothing changes; a user already known needs no memory. */
START_TEST(test_no_memory_is_reported_and_changes_nothing)
{
    expect_apply("alice", 10, 10);
    int64_t got = 12345;
    fail_mallocs_after(0); /* Check allocates too: no assertion while armed */
    enum apply_result r_new = accounts_apply(&acc, "bob", 3, 1, &got);
    enum apply_result r = accounts_apply(&acc, "alice", 5, 1, &got);
    fail_mallocs_after(-1);
    ck_assert_int_eq(r_new, APPLY_NO_MEMORY);
    ck_assert_int_eq(r, APPLY_DONE);
    ck_assert_int_eq(got, 11);
    ck_assert_int_eq(balance_get("bob"), 0);
    ck_assert_uint_eq(entries(), 1);
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
        EXPECT(accounts_apply(&acc, name, len, (int64_t)i - 100, &balance) == APPLY_DONE,
               "%s refused", name);
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
        if (accounts_apply(&acc, name, (size_t)n, delta, &balance) != APPLY_DONE)
            complain("%s: delta %" PRId64 " refused", name, delta);
        else if (balance < delta || balance > THREADS * (THREADS + 1) / 2)
            complain("%s: %" PRId64 " after adding %" PRId64, name, balance, delta);
    }
    urcu_memb_unregister_thread();
    return NULL;
}

START_TEST(test_insert_race)
{
    threads_run(add_everywhere, THREADS, NULL, 0);
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
    threads_wait_start();
    for (unsigned i = 0; writer ? i < WRITES_EACH : !threads_writers_done(); i++) {
        size_t u = i % HOT_USERS;
        int64_t now;
        if (writer) {
            if (accounts_apply(&acc, hot[u], strlen(hot[u]), 1, &now) != APPLY_DONE)
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
    threads_run(buy_or_watch, WRITERS, buy_or_watch, THREADS - WRITERS);
    for (size_t u = 0; u < HOT_USERS; u++)
        ck_assert_msg(balance_get(hot[u]) == HOT_TOTAL, "%s ends at %" PRId64 ", not %" PRId64,
                      hot[u], balance_get(hot[u]), HOT_TOTAL);
    ck_assert_uint_eq(entries(), HOT_USERS);
}
END_TEST

static Suite *accounts_suite(void)
{
    Suite *s = suite_create("accounts");
    TCase *single = threads_tcase("single thread", setup, teardown);
    tcase_add_test(single, test_unknown_user_is_zero);
    tcase_add_test(single, test_apply_and_get);
    tcase_add_test(single, test_overflow_refused);
    tcase_add_test(single, test_no_memory_is_reported_and_changes_nothing);
    tcase_add_test(single, test_many_users);
    suite_add_tcase(s, single);

    TCase *threads = threads_tcase("threads", setup, teardown);
    tcase_add_test(threads, test_insert_race);
    tcase_add_test(threads, test_concurrent_readers_and_writers);
    suite_add_tcase(s, threads);
    return s;
}

UNIT_MAIN(accounts_suite)
