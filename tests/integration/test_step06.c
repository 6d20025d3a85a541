/* step06_workers: step05 with --workers threads sharing the queue and the
 * balances. The balances are seen through the workers' debug log: "balance
 * of 'U' is now N" is written under the balances mutex, so the log shows the
 * updates in the order they happened, and "queue empty: N events processed"
 * whenever a worker finds the queue empty. */
#include "harness.h"

#define SERVER "step06_workers"

/*** exact balances under concurrency ***/

#define CONNS         8
#define PER_CONN      2000
#define CHUNK         100 /* events per write; the connections take turns */
#define EVENT_MAX_LEN 80 /* bytes of one event line, at most */

static const char *const users[] = {"ann", "ben", "cat", "dan"};
#define USERS (sizeof users / sizeof users[0])

/* Event i of connection c: mostly buys, every third a sell, over all users. */
static const char *user_of(int c, size_t i)
{
    return users[((size_t)c + i) % USERS];
}

static long long delta_of(int c, size_t i)
{
    long long amount = 1 + (long long)(((size_t)c * 7919 + i * 104729) % 1000000);
    return i % 3 == 2 ? -amount : amount;
}

/* Four workers, eight connections, 16000 events on four users: every event
 * is accepted, processed once, and the final balances are exact. Without
 * the balances mutex, updates are lost (or the table breaks). */
START_TEST(test_exact_balances_under_concurrency)
{
    struct server srv;
    static struct client conns[CONNS];
    server_start(&srv, SERVER, "--workers", "4", "--queue-cap", "100000", "--log-level", "debug",
                 NULL);
    for (int c = 0; c < CONNS; c++)
        client_connect(&conns[c], srv.port);

    long long want[USERS] = {0};
    static char lines[CHUNK * EVENT_MAX_LEN];
    for (size_t from = 0; from < PER_CONN; from += CHUNK) {
        for (int c = 0; c < CONNS; c++) {
            size_t len = 0;
            for (size_t i = from; i < from + CHUNK; i++) {
                event_append(lines, sizeof lines, &len, user_of(c, i), delta_of(c, i));
                want[((size_t)c + i) % USERS] += delta_of(c, i);
            }
            client_send_all(&conns[c], lines, len);
        }
    }
    for (int c = 0; c < CONNS; c++)
        ck_assert_uint_eq(client_read_tally(&conns[c], PER_CONN).accepted, PER_CONN);

    server_wait_processed(&srv, CONNS * PER_CONN);
    ck_assert_uint_eq(server_logged_updates(&srv), CONNS * PER_CONN);
    for (size_t u = 0; u < USERS; u++) {
        long long got = server_logged_balance(&srv, users[u]);
        ck_assert_msg(got == want[u], "%s: %lld, not %lld", users[u], got, want[u]);
    }

    for (int c = 0; c < CONNS; c++)
        client_close(&conns[c]);
    server_stop(&srv);
}
END_TEST

/* No balance query yet (stage 07 adds one), nor metrics. */
START_TEST(test_no_commands_yet)
{
    struct server srv;
    struct client c;
    server_start(&srv, SERVER, NULL);
    client_connect(&c, srv.port);
    client_expect_reply(&c, BALANCE_QUERY("\"bulk\""), REPLY_UNKNOWN_TYPE);
    client_expect_reply(&c, "{\"type\":\"metrics\"}", REPLY_UNKNOWN_TYPE);
    client_close(&c);
    server_stop(&srv);
}
END_TEST

/* The overload test with two workers sharing the queue. */
static const char *const two_workers[] = {"--workers", "2", NULL};

static Suite *step06_suite(void)
{
    Suite *s = suite_create("step06_workers");
    TCase *tc = harness_tcase("workers");
    harness_add_line_tests(tc, SERVER, HARNESS_JSON);
    harness_add_shared_tests(tc, SERVER, HARNESS_JSON);
    harness_add_background_threads_test(tc, SERVER, "worker");
    harness_add_overload_test(tc, SERVER, two_workers);
    tcase_add_test(tc, test_exact_balances_under_concurrency);
    tcase_add_test(tc, test_no_commands_yet);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return harness_run(step06_suite());
}
