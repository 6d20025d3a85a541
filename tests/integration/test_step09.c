/* step09_atomics: step08 with an RCU hash table of atomic balances, atomic
 * counters, and the metrics command. The balances are checked as in step07;
 * the counters at rest, under load, and against the replies the clients saw. */
#include "harness.h"

#define SERVER "step09_atomics"
#define T      HARNESS_REPLY_TIMEOUT_MS

START_TEST(test_balance_queries)
{
    struct server srv;
    struct client c;
    server_start(&srv, SERVER, "--log-level", "debug", NULL);
    scenario_balance_queries(&srv);

    client_connect(&c, srv.port);
    client_expect_reply(&c, "{\"type\":\"health\"}", REPLY_UNKNOWN_TYPE); /* a step10 command */
    client_close(&c);
    server_stop(&srv);
}
END_TEST

START_TEST(test_metrics_replies)
{
    struct server srv;
    struct client c;
    server_start(&srv, SERVER, NULL);
    client_connect(&c, srv.port);

    /* Exactly these three counters first, in this order. */
    struct metrics_reply m = client_metrics(&c);
    ck_assert(m.received == 0 && m.processed == 0 && m.dropped == 0);
    client_send_str(&c, "{\"type\":\"metrics\",\"extra\":1}\n"
                        "{\"type\":\"metrics\"} x\n"
                        "{\"type\":\"Metrics\"}\n");
    char line[512];
    ck_assert_int_gt(client_read_line(&c, line, sizeof line, T), 0);
    ck_assert_msg(metrics_parse(line, &m), "not a metrics reply: %s", line);
    client_expect_line(&c, REPLY_INVALID_JSON, T);
    client_expect_line(&c, REPLY_UNKNOWN_TYPE, T);

    /* Invalid events are not counted. */
    client_expect_reply(&c, "{\"user\":\"a\",\"action\":\"buy\",\"amount\":0}",
                        REPLY_INVALID_EVENT);
    m = client_metrics(&c);
    ck_assert(m.received == 0 && m.processed == 0 && m.dropped == 0);

    client_close(&c);
    server_stop(&srv);
}
END_TEST

START_TEST(test_exact_balances_and_metrics)
{
    struct server srv;
    struct event_tally t = scenario_exact_balances_roomy(&srv, SERVER);
    server_expect_metrics_at_rest(&srv, t);
    server_stop(&srv);
}
END_TEST

/* Every server_busy reply is one dropped event, and no accepted one is lost. */
START_TEST(test_dropped_counts_busy_replies)
{
    struct server srv;
    struct event_tally t = scenario_exact_balances_overloaded(&srv, SERVER);
    server_expect_metrics_at_rest(&srv, t);
    server_stop(&srv);
}
END_TEST

/* Work per event and a small queue keep events queued while metrics are
 * read, and some are dropped. */
START_TEST(test_metrics_under_load)
{
    struct server srv;
    server_start(&srv, SERVER, "--log-level", "debug", "--work-us", "50", "--queue-cap", "64",
                 NULL);
    scenario_metrics_under_load(&srv);
    server_stop(&srv);
}
END_TEST

/* A sleeping worker is woken for one event after an idle pause. */
START_TEST(test_wakeups_after_idle)
{
    struct server srv;
    server_start(&srv, SERVER, "--log-level", "debug", "--workers", "2", NULL);
    scenario_wakeups_after_idle(&srv);
    server_stop(&srv);
}
END_TEST

static Suite *step09_suite(void)
{
    Suite *s = suite_create(SERVER);
    TCase *tc = harness_tcase("atomics");
    harness_add_line_tests(tc, SERVER, HARNESS_JSON);
    harness_add_shared_tests(tc, SERVER, HARNESS_JSON);
    harness_add_background_threads_test(tc, SERVER, "worker");
    tcase_add_test(tc, test_balance_queries);
    tcase_add_test(tc, test_metrics_replies);
    tcase_add_test(tc, test_exact_balances_and_metrics);
    tcase_add_test(tc, test_dropped_counts_busy_replies);
    tcase_add_test(tc, test_metrics_under_load);
    tcase_add_test(tc, test_wakeups_after_idle);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return harness_run(step09_suite());
}
