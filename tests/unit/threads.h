/* Threads in a unit test: start a few together, collect their complaints. */
#ifndef TESTS_UNIT_THREADS_H
#define TESTS_UNIT_THREADS_H

#include <check.h>
#include <stdbool.h>

#define THREADS_TIMEOUT_S 60 /* for threaded tests, sanitizer builds included */

/* A thread other than the test's own may not call ck_assert: it records its
 * first complaint here instead, and threads_run() fails the test on it. */
void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Fails the test if a thread has complained. */
void threads_check_complaints(void);

/* Runs writer((void *)i) for i in [0, writers) and reader((void *)i) for i in
 * [writers, writers + readers), joins the writers, then tells the readers
 * (threads_writers_done()) and joins them. Fails the test on a complaint. */
void threads_run(void *(*writer)(void *), unsigned writers, void *(*reader)(void *),
                 unsigned readers);

/* A test case with the checked fixture setup/teardown and THREADS_TIMEOUT_S. */
TCase *threads_tcase(const char *name, void (*setup)(void), void (*teardown)(void));

/* Waits until every thread of threads_run() has called it. */
void threads_wait_start(void);

/* Whether every writer of threads_run() has returned. */
bool threads_writers_done(void);

#endif
