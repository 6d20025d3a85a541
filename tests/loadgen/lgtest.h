/* What loadgen's unit tests share: an assertion for hot loops, and main(). */
#ifndef TESTS_LOADGEN_LGTEST_H
#define TESTS_LOADGEN_LGTEST_H

#include <check.h>
#include <stdlib.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Costs nothing until it fails (a passing ck_assert writes to Check's channel). */
#define EXPECT(expr, ...)                                                                          \
    do {                                                                                           \
        if (!(expr))                                                                               \
            ck_abort_msg(__VA_ARGS__);                                                             \
    } while (0)

/* Runs one suite (CK_FORK and CK_VERBOSITY are honoured); exits 1 if a test failed. */
#define LGTEST_MAIN(make_suite)                                                                    \
    int main(void)                                                                                 \
    {                                                                                              \
        SRunner *runner = srunner_create(make_suite());                                            \
        srunner_run_all(runner, CK_ENV);                                                           \
        int failed = srunner_ntests_failed(runner);                                                \
        srunner_free(runner);                                                                      \
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;                                          \
    }

#endif
