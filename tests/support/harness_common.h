/* What every part of the harness uses: its timeouts, and the call sites that
 * failures name. */
#ifndef TESTS_HARNESS_COMMON_H
#define TESTS_HARNESS_COMMON_H

/*** timeouts ***/

/* Generous enough for a sanitizer build on a busy machine. */
#define HARNESS_START_TIMEOUT_MS 10000 /* for the listening line */
#define HARNESS_STOP_TIMEOUT_MS  5000 /* from SIGTERM to exit, before SIGKILL */
#define HARNESS_REPLY_TIMEOUT_MS 5000 /* default wait for one reply line */
#define HARNESS_TEST_TIMEOUT_S   60 /* Check's per-test timeout in harness_tcase() */

/*** call sites ***/

/* Failure messages name the test's line that called the harness: each
 * header wraps its functions in HARNESS_AT() for the tests (not for the
 * harness's own files, which define HARNESS_IMPLEMENTATION). */
void harness_set_site(const char *file, int line);
#define HARNESS_AT(call) (harness_set_site(__FILE__, __LINE__), call)

#endif
