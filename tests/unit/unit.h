/* What every unit test executable shares (loadgen's in tests/loadgen too):
 * small assertion helpers and main(). */
#ifndef TESTS_UNIT_UNIT_H
#define TESTS_UNIT_UNIT_H

#include <check.h>
#include <stdlib.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ck_assert_msg for hot loops: every passing ck_assert costs a write to Check's
 * channel (it records the last location reached); this costs nothing until it fails. */
#define EXPECT(expr, ...)                                                                          \
    do {                                                                                           \
        if (!(expr))                                                                               \
            ck_abort_msg(__VA_ARGS__);                                                             \
    } while (0)

/* Runs one suite (CK_FORK and CK_VERBOSITY are honoured); exits 1 if a test failed. */
#define UNIT_MAIN(make_suite)                                                                      \
    int main(void)                                                                                 \
    {                                                                                              \
        SRunner *runner = srunner_create(make_suite());                                            \
        srunner_run_all(runner, CK_ENV);                                                           \
        int failed = srunner_ntests_failed(runner);                                                \
        srunner_free(runner);                                                                      \
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;                                          \
    }

#endif
