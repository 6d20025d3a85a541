/* The stages with balance queries but no metrics yet: step07_mutex (one
 * mutex) and step08_rwlock (striped read/write locks) must answer exactly
 * alike. Built once per stage, with SERVER naming it. The workers apply
 * events in the background: the scenarios learn they are done from the debug
 * log. */
#include "harness.h"

#ifndef SERVER
#error "SERVER must name the stage under test"
#endif

START_TEST(test_balance_queries)
{
    struct server srv;
    struct client c;
    server_start(&srv, SERVER, "--log-level", "debug", NULL);
    scenario_balance_queries(&srv);

    /* Commands of later stages are still unknown; events are still events. */
    client_connect(&c, srv.port);
    client_expect_reply(&c, "{\"type\":\"metrics\"}", REPLY_UNKNOWN_TYPE);
    client_expect_reply(&c, "{\"type\":\"health\"}", REPLY_UNKNOWN_TYPE);
    client_expect_reply(&c, "{\"user\":\"zoe\",\"action\":\"buy\",\"amount\":1}", REPLY_ACCEPTED);
    client_close(&c);
    server_stop(&srv);
}
END_TEST

START_TEST(test_exact_balances)
{
    struct server srv;
    scenario_exact_balances_roomy(&srv, SERVER);
    server_stop(&srv);
}
END_TEST

/* Rejected events are not applied: the balances are the accepted ones' sum. */
START_TEST(test_exact_balances_under_overload)
{
    struct server srv;
    scenario_exact_balances_overloaded(&srv, SERVER);
    server_stop(&srv);
}
END_TEST

static Suite *stage_suite(void)
{
    Suite *s = suite_create(SERVER);
    TCase *tc = harness_tcase("balances");
    harness_add_line_tests(tc, SERVER, HARNESS_JSON);
    harness_add_shared_tests(tc, SERVER, HARNESS_JSON);
    harness_add_background_threads_test(tc, SERVER, "worker");
    tcase_add_test(tc, test_balance_queries);
    tcase_add_test(tc, test_exact_balances);
    tcase_add_test(tc, test_exact_balances_under_overload);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return harness_run(stage_suite());
}
