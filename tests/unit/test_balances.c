/* Stage 04's balances (step04_single/balances.c): users start at 0, deltas
 * add up, users are told apart by every byte of their name, and a sum that
 * would leave the signed 64-bit range is refused without changing anything. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "balances.h"
#include "failing_malloc.h"
#include "unit.h"

/* Applies delta to user (a NUL-terminated name) and expects the new balance. */
static void expect_apply(struct balances *b, const char *user, int64_t delta, int64_t want)
{
    int64_t got = 0;
    ck_assert_msg(balances_apply(b, user, strlen(user), delta, &got) == APPLY_DONE,
                  "delta %lld refused for '%s'", (long long)delta, user);
    ck_assert_msg(got == want, "'%s' has %lld after delta %lld, not %lld", user, (long long)got,
                  (long long)delta, (long long)want);
}

/* The balance of user, read by applying nothing. */
static int64_t balance_of(struct balances *b, const char *user)
{
    int64_t got = 0;
    ck_assert(balances_apply(b, user, strlen(user), 0, &got) == APPLY_DONE);
    return got;
}

/* Expects delta to be refused for user and the balance to stay at want. */
static void expect_overflow(struct balances *b, const char *user, int64_t delta, int64_t want)
{
    int64_t got;
    ck_assert_msg(balances_apply(b, user, strlen(user), delta, &got) == APPLY_OVERFLOW,
                  "delta %lld accepted for '%s'", (long long)delta, user);
    ck_assert_msg(balance_of(b, user) == want, "'%s' changed to %lld by a refused delta", user,
                  (long long)balance_of(b, user));
}

START_TEST(test_new_user_starts_at_zero)
{
    struct balances *b = balances_new();
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(balance_of(b, "nobody"), 0);
    expect_apply(b, "alice", 100, 100);
    expect_apply(b, "bob", -30, -30);
    ck_assert_int_eq(balance_of(b, "carol"), 0);
    balances_free(b);
}
END_TEST

START_TEST(test_buys_and_sells_add_up)
{
    struct balances *b = balances_new();
    expect_apply(b, "alice", 100, 100); /* buy 100 */
    expect_apply(b, "alice", -30, 70); /* sell 30 */
    expect_apply(b, "alice", -70, 0);
    expect_apply(b, "alice", -1, -1); /* below zero is fine */
    expect_apply(b, "alice", -1000000000, -1000000001);
    expect_apply(b, "alice", 1000000000, -1);
    expect_apply(b, "bob", 7, 7);
    ck_assert_int_eq(balance_of(b, "alice"), -1);
    balances_free(b);
}
END_TEST

#define MANY_USERS 20000

/* Enough users to make the table grow many times; each keeps its own sum. */
START_TEST(test_many_users)
{
    struct balances *b = balances_new();
    char user[32];
    for (int round = 1; round <= 3; round++) {
        for (int i = 0; i < MANY_USERS; i++) {
            snprintf(user, sizeof user, "user%d", i);
            int64_t got;
            EXPECT(balances_apply(b, user, strlen(user), (int64_t)i - 5000, &got) == APPLY_DONE,
                   "user%d refused", i);
            EXPECT(got == round * ((int64_t)i - 5000), "user%d has %lld after round %d", i,
                   (long long)got, round);
        }
    }
    balances_free(b);
}
END_TEST

/* A user is its user_len bytes: no more (no strlen), no fewer. */
START_TEST(test_names_sharing_a_prefix_are_different_users)
{
    struct balances *b = balances_new();
    expect_apply(b, "al", 1, 1);
    expect_apply(b, "alice", 10, 10);
    expect_apply(b, "alice2", 100, 100);
    expect_apply(b, "a", 1000, 1000);
    expect_apply(b, "Alice", 10000, 10000);
    ck_assert_int_eq(balance_of(b, "al"), 1);
    ck_assert_int_eq(balance_of(b, "alice"), 10);

    /* The first two bytes of "alice" are the user "al". */
    int64_t got;
    ck_assert(balances_apply(b, "alice", 2, 5, &got) == APPLY_DONE);
    ck_assert_int_eq(got, 6);
    ck_assert_int_eq(balance_of(b, "alice"), 10);
    balances_free(b);
}
END_TEST

/* The table keeps its own copy of a name: the caller's buffer is reused. */
START_TEST(test_name_is_copied)
{
    struct balances *b = balances_new();
    char name[16];
    strcpy(name, "dave");
    expect_apply(b, name, 5, 5);
    strcpy(name, "erin");
    expect_apply(b, name, 7, 7);
    memset(name, 'x', sizeof name);
    ck_assert_int_eq(balance_of(b, "dave"), 5);
    ck_assert_int_eq(balance_of(b, "erin"), 7);
    balances_free(b);
}
END_TEST

/* Out of memory for a new user (its entry, the table's first memory or its
 * buckets), the update is refused and reported, nothing changes, and nothing
 * leaks (LeakSanitizer checks); a user already known needs no memory. */
START_TEST(test_no_memory_is_reported_and_changes_nothing)
{
    struct balances *b = balances_new();
    enum apply_result r;
    int64_t got = 12345;
    for (int succeeding = 0; succeeding <= 2; succeeding++) {
        fail_mallocs_after(succeeding); /* Check allocates too: no assertion while armed */
        r = balances_apply(b, "alice", 5, 10, &got);
        fail_mallocs_after(-1);
        ck_assert_msg(r == APPLY_NO_MEMORY, "allocation %d failed: result %d", succeeding, r);
        ck_assert_int_eq(got, 12345);
    }
    expect_apply(b, "alice", 10, 10);
    fail_mallocs_after(0);
    r = balances_apply(b, "alice", 5, 1, &got);
    enum apply_result r_new = balances_apply(b, "bob", 3, 1, &got);
    fail_mallocs_after(-1);
    ck_assert_int_eq(r, APPLY_DONE);
    ck_assert_int_eq(got, 11);
    ck_assert_int_eq(r_new, APPLY_NO_MEMORY);
    ck_assert_int_eq(balance_of(b, "bob"), 0);
    ck_assert_int_eq(balance_of(b, "alice"), 11);
    balances_free(b);
}
END_TEST

START_TEST(test_overflow_is_refused)
{
    struct balances *b = balances_new();
    expect_apply(b, "rich", INT64_MAX - 5, INT64_MAX - 5);
    expect_overflow(b, "rich", 6, INT64_MAX - 5);
    expect_overflow(b, "rich", INT64_MAX, INT64_MAX - 5);
    expect_apply(b, "rich", 5, INT64_MAX); /* up to the limit exactly */
    expect_overflow(b, "rich", 1, INT64_MAX);
    expect_apply(b, "rich", -1, INT64_MAX - 1); /* and back */
    expect_apply(b, "rich", INT64_MIN, -2); /* the whole range in one delta */

    expect_apply(b, "poor", INT64_MIN + 5, INT64_MIN + 5);
    expect_overflow(b, "poor", -6, INT64_MIN + 5);
    expect_overflow(b, "poor", INT64_MIN, INT64_MIN + 5);
    expect_apply(b, "poor", -5, INT64_MIN);
    expect_overflow(b, "poor", -1, INT64_MIN);
    expect_apply(b, "poor", INT64_MAX, -1);

    /* Neither extreme is out of reach from 0, and others are untouched. */
    expect_apply(b, "min", INT64_MIN, INT64_MIN);
    expect_apply(b, "max", INT64_MAX, INT64_MAX);
    ck_assert_int_eq(balance_of(b, "rich"), -2);
    ck_assert_int_eq(balance_of(b, "poor"), -1);
    balances_free(b);
}
END_TEST

static Suite *balances_suite(void)
{
    Suite *s = suite_create("balances");
    TCase *tc = tcase_create("balances");
    tcase_add_test(tc, test_new_user_starts_at_zero);
    tcase_add_test(tc, test_buys_and_sells_add_up);
    tcase_add_test(tc, test_many_users);
    tcase_add_test(tc, test_names_sharing_a_prefix_are_different_users);
    tcase_add_test(tc, test_name_is_copied);
    tcase_add_test(tc, test_overflow_is_refused);
    tcase_add_test(tc, test_no_memory_is_reported_and_changes_nothing);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(balances_suite)
