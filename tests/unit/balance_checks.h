/* Single-thread checks of a table of balances by user (stage 08's striped
 * map, stage 09's accounts), reached through the two functions given to
 * balance_checks_use(). */
#ifndef TESTS_UNIT_BALANCE_CHECKS_H
#define TESTS_UNIT_BALANCE_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "update.h"

typedef int64_t balance_get_fn(const char *user, size_t len);
typedef enum apply_result balance_apply_fn(const char *user, size_t len, int64_t delta,
                                           int64_t *balance);

/* Names the table the checks below work on. */
void balance_checks_use(balance_get_fn *get, balance_apply_fn *apply);

/* Defines use_balance_checks(), which points the checks at table through
 * module##_get(table, user, len) and module##_apply(table, user, len, delta,
 * &balance). */
#define DEFINE_USE_BALANCE_CHECKS(module, table)                                                   \
    static int64_t module##_checked_get(const char *user, size_t len)                              \
    {                                                                                              \
        return module##_get(table, user, len);                                                     \
    }                                                                                              \
    static enum apply_result module##_checked_apply(const char *user, size_t len, int64_t delta,   \
                                                    int64_t *balance)                              \
    {                                                                                              \
        return module##_apply(table, user, len, delta, balance);                                   \
    }                                                                                              \
    static void use_balance_checks(void)                                                           \
    {                                                                                              \
        balance_checks_use(module##_checked_get, module##_checked_apply);                          \
    }

/* The balance of user (a NUL-terminated name). */
int64_t balance_get(const char *user);
/* Applies delta to user and expects want, returned and read back. */
void expect_apply(const char *user, int64_t delta, int64_t want);
/* Expects delta to be refused for user, leaving the balance as it was. */
void expect_refused(const char *user, int64_t delta);
/* Sums past INT64_MAX or INT64_MIN are refused; the way back is not. */
void expect_overflow_refused(void);

#endif
