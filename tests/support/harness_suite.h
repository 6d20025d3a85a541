/* A stage's suite (harness_suite.c), and the tests several stages share,
 * each added to a stage's test case by a harness_add_*() function. Each
 * test program tests one stage: the shared tests remember the stage they
 * were added for, and a forked test inherits it. */
#ifndef TESTS_HARNESS_SUITE_H
#define TESTS_HARNESS_SUITE_H

#include <check.h>

/* A test case with HARNESS_TEST_TIMEOUT_S and harness_kill_servers() as a
 * checked teardown. */
TCase *harness_tcase(const char *name);
/* Runs the suite, prints the results; returns the process exit status. */
int harness_run(Suite *suite);

/* How a stage answers the lines the shared tests send: echoes them
 * (HARNESS_ECHO, stages 01-02) or answers in JSON (HARNESS_JSON, 03-10). */
enum harness_replies { HARNESS_ECHO, HARNESS_JSON };

/* The tests every stage shares on how lines are read, added to tc for the
 * stage `server` (harness_shared_lines.c): a line of --max-line bytes is
 * answered, a longer one gets line_too_long as soon as the limit is passed
 * (a \r counting), the default limit is 4096; blank lines get no reply;
 * lines sent before a half-close are all answered, then EOF; an
 * unterminated last line gets none; for HARNESS_ECHO, lines come back as
 * they were. */
void harness_add_line_tests(TCase *tc, const char *server, enum harness_replies replies);

/* The tests every event-loop stage shares, added to tc for the stage
 * `server` (harness_shared_tests.c): scenario_tiny_output_cap() with a line
 * it answers, for HARNESS_JSON also scenario_amplifying_slow_readers() and
 * the strict JSON parser over the wire; a client the server cannot watch
 * (epoll_ctl fails for it): closed, and the next client served; and a storm
 * of waiting connections: accepted at most 64 per wake-up, every one served. */
void harness_add_shared_tests(TCase *tc, const char *server, enum harness_replies replies);

/* For the threaded stages: a test that their threads named thread_name
 * ("processor", "worker") run as SCHED_BATCH and the event loop does not
 * (harness_background_threads.c). */
void harness_add_background_threads_test(TCase *tc, const char *server, const char *thread_name);

#endif
