/* step08_rwlock: step07 with the balances in 64 stripes, each behind a
 * read/write lock. What it answers is tested as for stages 07, 09 and 10
 * (the harness's shared balance tests). */
#include "harness.h"

#define SERVER "step08_rwlock"

/* Commands of later stages, unknown here. */
static const char *const later_commands[] = {"{\"type\":\"metrics\"}", "{\"type\":\"health\"}",
                                             NULL};

static const struct harness_balance_stage stage = {
    .server = SERVER,
    .unknown_commands = later_commands,
};

static Suite *step08_suite(void)
{
    Suite *s = suite_create(SERVER);
    TCase *tc = harness_tcase("rwlock");
    harness_add_line_tests(tc, SERVER, HARNESS_JSON);
    harness_add_shared_tests(tc, SERVER, HARNESS_JSON);
    harness_add_background_threads_test(tc, SERVER, "worker");
    harness_add_balance_tests(tc, &stage);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return harness_run(step08_suite());
}
