/* step07_mutex: step06 plus the balance query, answered by the event loop
 * under the one mutex the workers take for every update. What it answers
 * is tested as for stages 08-10 (the harness's shared balance tests); here,
 * the one lock. */
#include "harness.h"

#define SERVER  "step07_mutex"
#define T       HARNESS_REPLY_TIMEOUT_MS
#define HELD_MS 300 /* how long the test looks for a reply that must not come */

/* A worker stops in the middle of an update of 'held' (hold_lock.c pauses
 * it at its log line, which it writes under the balances' mutex). A balance
 * query for any other user waits for that mutex, and the event loop with
 * it: no client is served, not even with a line that never touches the
 * balances. Once the worker goes on, everything is answered. */
START_TEST(test_a_query_waits_for_any_update)
{
    static const char *const args[] = {"--log-level", "debug", NULL};
    struct server srv;
    struct lock_hold hold;
    struct client c, other;
    server_start_holding(&srv, &hold, SERVER, "HOLD_AT_LOG_LINE=balance of 'held' is now", args);
    client_connect(&c, srv.port);
    client_connect(&other, srv.port);
    client_expect_reply(&other, REQUEST_UNKNOWN_TYPE, REPLY_UNKNOWN_TYPE);

    client_expect_reply(&c, "{\"user\":\"held\",\"action\":\"buy\",\"amount\":5}", REPLY_ACCEPTED);
    lock_hold_wait(&srv);
    client_send_str(&c, BALANCE_QUERY("\"someone-else\"") "\n");
    client_expect_silence(&c, HELD_MS);
    client_send_str(&other, REQUEST_UNKNOWN_TYPE "\n");
    client_expect_silence(&other, HELD_MS);

    lock_hold_release(&hold);
    client_expect_line(&c, BALANCE_REPLY("\"someone-else\"", "0"), T);
    client_expect_line(&other, REPLY_UNKNOWN_TYPE, T);
    client_expect_reply(&c, BALANCE_QUERY("\"held\""), BALANCE_REPLY("\"held\"", "5"));

    client_close(&c);
    client_close(&other);
    server_stop(&srv);
}
END_TEST

/* Commands of later stages, unknown here. */
static const char *const later_commands[] = {"{\"type\":\"metrics\"}", "{\"type\":\"health\"}",
                                             NULL};

static const struct harness_balance_stage stage = {
    .server = SERVER,
    .unknown_commands = later_commands,
};

static Suite *step07_suite(void)
{
    Suite *s = suite_create(SERVER);
    TCase *tc = harness_tcase("mutex");
    harness_add_line_tests(tc, SERVER, HARNESS_JSON);
    harness_add_shared_tests(tc, SERVER, HARNESS_JSON);
    harness_add_background_threads_test(tc, SERVER, "worker");
    harness_add_balance_tests(tc, &stage);
    tcase_add_test(tc, test_a_query_waits_for_any_update);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return harness_run(step07_suite());
}
