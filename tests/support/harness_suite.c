/* A stage's suite: its test cases and their run. */
#include "harness_internal.h"

#include <stdlib.h>

TCase *harness_tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, HARNESS_TEST_TIMEOUT_S);
    tcase_add_checked_fixture(tc, NULL, harness_kill_servers);
    return tc;
}

int harness_run(Suite *suite)
{
    SRunner *sr = srunner_create(suite);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
