/* A stage's suite (harness_suite.c), and the tests several stages share,
 * each added to a stage's test case by a harness_add_*() function. Each
 * test program tests one stage: the shared tests remember the stage they
 * were added for, and a forked test inherits it. */
#ifndef TESTS_HARNESS_SUITE_H
#define TESTS_HARNESS_SUITE_H

#include <check.h>
#include <stdbool.h>

#include "harness_events.h"
#include "harness_server.h"

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
 * `server` (harness_shared_event_loop.c): scenario_tiny_output_cap() with a line
 * it answers, for HARNESS_JSON also scenario_amplifying_slow_readers() and
 * the strict JSON parser over the wire; a client the server cannot watch
 * (epoll_ctl fails for it): closed, and the next client served; and a storm
 * of waiting connections: accepted at most 64 per wake-up, every one served. */
void harness_add_shared_tests(TCase *tc, const char *server, enum harness_replies replies);

/* For the threaded stages: a test that their threads named thread_name
 * ("processor", "worker") run as SCHED_BATCH and the event loop does not
 * (harness_background_threads.c). */
void harness_add_background_threads_test(TCase *tc, const char *server, const char *thread_name);

/* For the stages whose debug log shows each applied event (05-06): the
 * overload test (harness_shared_events.c), a queue of 4 overflowed by 200
 * events, the accepted ones applied and no other. extra_args are more of
 * the stage's arguments (NULL-terminated, may be NULL), e.g. its workers. */
void harness_add_overload_test(TCase *tc, const char *server, const char *const *extra_args);

/* A stage with balance queries (07-10), as the tests they share see it. */
struct harness_balance_stage {
    const char *server;
    /* Commands of later stages, each answered unknown_type here
     * (NULL-terminated, may be NULL). */
    const char *const *unknown_commands;
    bool has_metrics; /* 09-10: the metrics at rest must agree with the replies */
    /* Ends each test, the events sent having been answered as t says
     * (NULL: server_stop()). */
    void (*stop)(struct server *srv, struct event_tally t);
};

/* Balance queries as scenario_balance_queries() checks them, then the
 * unknown commands; exact balances with room for every event, and under
 * overload (harness_shared_events.c). */
void harness_add_balance_tests(TCase *tc, const struct harness_balance_stage *stage);

/* For the stages with metrics (09-10): scenario_metrics_under_load() and
 * scenario_wakeups_after_idle() (harness_shared_events.c). */
void harness_add_metrics_tests(TCase *tc, const struct harness_balance_stage *stage);

#endif
