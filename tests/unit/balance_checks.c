#include "balance_checks.h"

#include <check.h>
#include <inttypes.h>
#include <string.h>

static balance_get_fn *table_get;
static balance_apply_fn *table_apply;

void balance_checks_use(balance_get_fn *get, balance_apply_fn *apply)
{
    table_get = get;
    table_apply = apply;
}

int64_t balance_get(const char *user)
{
    return table_get(user, strlen(user));
}

void expect_apply(const char *user, int64_t delta, int64_t want)
{
    int64_t got = 0;
    ck_assert_msg(table_apply(user, strlen(user), delta, &got) == APPLY_DONE,
                  "delta %" PRId64 " refused for '%s'", delta, user);
    ck_assert_msg(got == want, "'%s' is %" PRId64 " after %" PRId64 ", not %" PRId64, user, got,
                  delta, want);
    ck_assert_int_eq(balance_get(user), want);
}

void expect_refused(const char *user, int64_t delta)
{
    int64_t before = balance_get(user), got = 12345;
    ck_assert_msg(table_apply(user, strlen(user), delta, &got) == APPLY_OVERFLOW,
                  "delta %" PRId64 " accepted for '%s' at %" PRId64, delta, user, before);
    ck_assert_int_eq(got, 12345); /* untouched */
    ck_assert_int_eq(balance_get(user), before);
}

void expect_overflow_refused(void)
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
