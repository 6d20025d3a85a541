/* step07_mutex: step06 plus the balance query, answered by the event loop
 * under the one mutex the workers take for every update. What it answers
 * is tested as for stages 08-10 (the harness's shared balance tests). */
#include "harness.h"

#define SERVER "step07_mutex"

/* Commands of later stages, unknown here. */
static const char *const later_commands[] = {"{\"type\":\"metrics\"}", "{\"type\":\"health\"}",
                                             NULL};

static const struct harness_balance_stage stage = {
    .server = SERVER,
    .unknown_commands = later_commands,
};

static Suite *step07_suite(void)
{
    Suite *s = suite_create(SERVER);
    TCase *tc = harness_tcase("mutex");
    harness_add_line_tests(tc, SERVER, HARNESS_JSON);
    harness_add_shared_tests(tc, SERVER, HARNESS_JSON);
    harness_add_background_threads_test(tc, SERVER, "worker");
    harness_add_balance_tests(tc, &stage);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return harness_run(step07_suite());
}
