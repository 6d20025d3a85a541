/* step09_atomics: step08 with an RCU hash table of atomic balances, atomic
 * counters, and the metrics command. The balances are tested as in stages
 * 07-08 and the counters at rest, under load, and against the replies the
 * clients saw, all through the harness's shared tests; here, the metrics
 * replies themselves. */
#include "harness.h"

#define SERVER "step09_atomics"
#define T      HARNESS_REPLY_TIMEOUT_MS

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

/* Commands of stage 10, unknown here. */
static const char *const later_commands[] = {"{\"type\":\"health\"}", NULL};

static const struct harness_balance_stage stage = {
    .server = SERVER,
    .unknown_commands = later_commands,
    .has_metrics = true,
};

static Suite *step09_suite(void)
{
    Suite *s = suite_create(SERVER);
    TCase *tc = harness_tcase("atomics");
    harness_add_line_tests(tc, SERVER, HARNESS_JSON);
    harness_add_shared_tests(tc, SERVER, HARNESS_JSON);
    harness_add_background_threads_test(tc, SERVER, "worker");
    harness_add_balance_tests(tc, &stage);
    harness_add_metrics_tests(tc, &stage);
    tcase_add_test(tc, test_metrics_replies);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return harness_run(step09_suite());
}
