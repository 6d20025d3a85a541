/* The tests the stages with a queue share: overload where the log shows the
 * applied events (05-06), balance queries and exact balances (07-10),
 * metrics under load and wake-ups after idle (09-10). */

/* Tests themselves: the harness's calls here name these lines in failures. */
#include "harness.h"
#include "harness_internal.h"

#define MAX_ARGS 32

/*** overload (05-06) ***/

/* The stage the overload test runs against, and its own arguments: set
 * before the tests run (a forked test inherits them). */
static struct {
    const char *server;
    const char *const *extra_args;
} overload_stage;

#define OVERLOAD           200
#define OVERLOAD_QUEUE_CAP 4

/* A queue of 4 and 2 ms of work per event: 200 pipelined events overflow it.
 * Every reply is accepted or server_busy, some of each; the workers apply
 * the accepted ones and nothing else, and once the queue has drained there
 * is room again. */
START_TEST(test_overload_is_rejected)
{
    const char *args[MAX_ARGS] = {"--queue-cap", "4", "--work-us", "2000", "--log-level", "debug"};
    size_t n = 6;
    for (const char *const *a = overload_stage.extra_args; a && *a; a++) {
        require(n < MAX_ARGS - 1, "too many server arguments");
        args[n++] = *a;
    }
    struct server srv;
    struct client c;
    server_startv(&srv, overload_stage.server, args);
    client_connect(&c, srv.port);

    size_t accepted = scenario_overload(&srv, &c, OVERLOAD, OVERLOAD_QUEUE_CAP).accepted;
    ck_assert_uint_eq(server_log_count(&srv, "balance of 'bulk'", NULL), accepted);
    ck_assert_int_eq(server_logged_balance(&srv, "bulk"), (long long)accepted);

    client_expect_reply(&c, "{\"user\":\"last\",\"action\":\"buy\",\"amount\":1}", REPLY_ACCEPTED);
    server_wait_processed(&srv, accepted + 1);
    ck_assert_int_eq(server_logged_balance(&srv, "last"), 1);
    ck_assert_uint_eq(server_logged_updates(&srv), accepted + 1);

    client_close(&c);
    server_stop(&srv);
}
END_TEST

void harness_add_overload_test(TCase *tc, const char *server, const char *const *extra_args)
{
    overload_stage.server = server;
    overload_stage.extra_args = extra_args;
    tcase_add_test(tc, test_overload_is_rejected);
}

/*** balances (07-10) and metrics (09-10) ***/

/* The stage the balance and metrics tests run against: set before the
 * tests run (a forked test inherits it). */
static struct harness_balance_stage balance_stage;

/* Ends a test: the stage's own way, or server_stop(). */
static void stop_stage(struct server *srv, struct event_tally t)
{
    if (balance_stage.stop)
        balance_stage.stop(srv, t);
    else
        server_stop(srv);
}

/* Balance queries as scenario_balance_queries() checks them; commands of
 * later stages are still unknown, and events are still events. */
START_TEST(test_balance_queries)
{
    struct server srv;
    struct client c;
    server_start(&srv, balance_stage.server, "--log-level", "debug", NULL);
    struct event_tally t = scenario_balance_queries(&srv);

    client_connect(&c, srv.port);
    for (const char *const *cmd = balance_stage.unknown_commands; cmd && *cmd; cmd++)
        client_expect_reply(&c, *cmd, REPLY_UNKNOWN_TYPE);
    client_expect_reply(&c, "{\"user\":\"zoe\",\"action\":\"buy\",\"amount\":1}", REPLY_ACCEPTED);
    t.accepted++;
    client_close(&c);
    stop_stage(&srv, t);
}
END_TEST

/* Every event accepted and applied exactly: the balances are the sums; with
 * metrics, the counters at rest agree with the replies. */
START_TEST(test_exact_balances)
{
    struct server srv;
    struct event_tally t = scenario_exact_balances_roomy(&srv, balance_stage.server);
    if (balance_stage.has_metrics)
        server_expect_metrics_at_rest(&srv, t);
    stop_stage(&srv, t);
}
END_TEST

/* Rejected events are not applied: the balances are the accepted ones' sum;
 * with metrics, every server_busy reply is one dropped event, and no
 * accepted one is lost. */
START_TEST(test_exact_balances_under_overload)
{
    struct server srv;
    struct event_tally t = scenario_exact_balances_overloaded(&srv, balance_stage.server);
    if (balance_stage.has_metrics)
        server_expect_metrics_at_rest(&srv, t);
    stop_stage(&srv, t);
}
END_TEST

void harness_add_balance_tests(TCase *tc, const struct harness_balance_stage *stage)
{
    balance_stage = *stage;
    tcase_add_test(tc, test_balance_queries);
    tcase_add_test(tc, test_exact_balances);
    tcase_add_test(tc, test_exact_balances_under_overload);
}

/* Work per event and a small queue keep events queued while metrics are
 * read, and some are dropped. */
START_TEST(test_metrics_under_load)
{
    struct server srv;
    server_start(&srv, balance_stage.server, "--log-level", "debug", "--work-us", "50",
                 "--queue-cap", "64", NULL);
    struct event_tally t = scenario_metrics_under_load(&srv);
    stop_stage(&srv, t);
}
END_TEST

/* A sleeping worker is woken for one event after an idle pause. */
START_TEST(test_wakeups_after_idle)
{
    struct server srv;
    server_start(&srv, balance_stage.server, "--log-level", "debug", "--workers", "2", NULL);
    unsigned accepted = scenario_wakeups_after_idle(&srv);
    stop_stage(&srv, (struct event_tally){.accepted = accepted});
}
END_TEST

void harness_add_metrics_tests(TCase *tc, const struct harness_balance_stage *stage)
{
    balance_stage = *stage;
    tcase_add_test(tc, test_metrics_under_load);
    tcase_add_test(tc, test_wakeups_after_idle);
}
