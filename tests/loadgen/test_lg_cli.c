/* loadgen end to end, as a user runs it: the binary against real stages
 * that need no threads (03, 04), against a deliberately wrong server, and
 * against nothing; its exit codes and its --json report. Every run is short
 * (at most 2 s of load) and bounded (--timeout, and LGRUN_TIMEOUT_MS). */
#include <string.h>

#include "harness.h"
#include "lgrun.h"

#define DURATION "2"
#define SHORT    "0.5"
#define TIMEOUT  "5000" /* --timeout: any wait for the server */

START_TEST(test_step03_verify_passes)
{
    struct server srv;
    struct lg_outcome out;
    char target[32];
    server_start(&srv, "step03_parse", NULL);
    LGRUN(&out, "--target", lgrun_target(target, srv.port), "--duration", DURATION, "--conns", "8",
          "--pipeline", "16", "--mix", "event=80,balance=5,metrics=5,invalid=10", "--verify", "3",
          "--timeout", TIMEOUT);
    lgrun_expect_exit(&out, 0);
    ck_assert(lgrun_num(&out, "requests.replies") > 0);
    ck_assert(lgrun_num(&out, "replies.accepted") > 0);
    ck_assert(lgrun_num(&out, "replies.error/invalid_event") > 0);
    ck_assert(lgrun_bool(&out, "verify.passed"));
    ck_assert(lgrun_num(&out, "errors.protocol") == 0);
    lgrun_free(&out);
    server_stop(&srv);
}
END_TEST

/* Stage 04 answers each event with the new balance; at the end one more
 * event per user shows the balance. A second run against the same server
 * has users of its own and verifies as well. */
START_TEST(test_step04_verify_passes_twice)
{
    struct server srv;
    struct lg_outcome out;
    char target[32];
    server_start(&srv, "step04_single", NULL);
    for (int run = 0; run < 2; run++) {
        LGRUN(&out, "--target", lgrun_target(target, srv.port), "--duration", "1", "--conns", "8",
              "--pipeline", "16", "--users", "500", "--mix", "event=90,invalid=5,balance=5",
              "--verify", "4", "--timeout", TIMEOUT);
        lgrun_expect_exit(&out, 0);
        ck_assert(lgrun_num(&out, "replies.ok") > 0);
        ck_assert(lgrun_bool(&out, "verify.end.passed"));
        double checked = lgrun_num(&out, "verify.end.users_checked");
        ck_assert(checked > 0 && checked <= 500);
        ck_assert(lgrun_num(&out, "verify.end.probes") == checked);
        ck_assert(lgrun_num(&out, "verify.end.users_wrong") == 0);
        lgrun_free(&out);
    }
    server_stop(&srv);
}
END_TEST

/* The same user names twice: the second run finds the first run's
 * balances, and says so. */
START_TEST(test_step04_reused_names_fail)
{
    struct server srv;
    struct lg_outcome out;
    char target[32];
    server_start(&srv, "step04_single", NULL);
    for (int run = 0; run < 2; run++) {
        LGRUN(&out, "--target", lgrun_target(target, srv.port), "--duration", SHORT, "--conns", "2",
              "--users", "20", "--user-prefix", "same-", "--verify", "4", "--timeout", TIMEOUT);
        lgrun_expect_exit(&out, run == 0 ? 0 : 1);
        if (run == 1)
            ck_assert(lgrun_num(&out, "verify.end.users_wrong") > 0);
        lgrun_free(&out);
    }
    server_stop(&srv);
}
END_TEST

/* A server that accepts everything, invalid lines included. */
START_TEST(test_wrong_server_accepts_everything)
{
    struct server srv;
    struct lg_outcome out;
    char target[32];
    server_start(&srv, "fake_server", "--mode", "accept", NULL);
    LGRUN(&out, "--target", lgrun_target(target, srv.port), "--duration", SHORT, "--conns", "4",
          "--pipeline", "8", "--mix", "event=50,invalid=50", "--verify", "3", "--timeout", TIMEOUT);
    lgrun_expect_exit(&out, 1);
    ck_assert(lgrun_num(&out, "errors.protocol") > 0);
    ck_assert(!lgrun_bool(&out, "verify.passed"));
    lgrun_free(&out);
    server_stop(&srv);
}
END_TEST

/* An echo server that changes a byte. */
START_TEST(test_wrong_server_flips_echo)
{
    struct server srv;
    struct lg_outcome out;
    char target[32];
    server_start(&srv, "fake_server", "--mode", "flip", NULL);
    LGRUN(&out, "--target", lgrun_target(target, srv.port), "--duration", SHORT, "--conns", "2",
          "--mix", "echo=1", "--verify", "1", "--timeout", TIMEOUT);
    lgrun_expect_exit(&out, 1);
    ck_assert(lgrun_num(&out, "errors.verify") > 0);
    lgrun_free(&out);
    server_stop(&srv);
}
END_TEST

/* A server that accepts events and forgets them: every reply looks right,
 * only the balances at the end show it. */
START_TEST(test_wrong_server_forgets_events)
{
    struct server srv;
    struct lg_outcome out;
    char target[32];
    server_start(&srv, "fake_server", "--mode", "forget", NULL);
    LGRUN(&out, "--target", lgrun_target(target, srv.port), "--duration", SHORT, "--conns", "4",
          "--users", "50", "--mix", "event=90,balance=10", "--verify", "7", "--timeout", TIMEOUT);
    lgrun_expect_exit(&out, 1);
    ck_assert(lgrun_num(&out, "errors.protocol") == 0);
    ck_assert(lgrun_num(&out, "verify.end.users_wrong") > 0);
    lgrun_free(&out);
    /* Its metrics never move either. */
    LGRUN(&out, "--target", target, "--duration", SHORT, "--conns", "2", "--users", "10",
          "--verify", "10", "--timeout", TIMEOUT);
    lgrun_expect_exit(&out, 1);
    ck_assert(lgrun_num(&out, "verify.end.metrics.wrong") > 0);
    lgrun_free(&out);
    server_stop(&srv);
}
END_TEST

/* Connections the server closes are reopened; the run goes on. */
START_TEST(test_closed_connections_reopen)
{
    struct server srv;
    struct lg_outcome out;
    char target[32];
    server_start(&srv, "fake_server", "--mode", "accept", "--close-after", "200", NULL);
    LGRUN(&out, "--target", lgrun_target(target, srv.port), "--duration", "1", "--conns", "4",
          "--pipeline", "4", "--timeout", TIMEOUT);
    lgrun_expect_exit(&out, 0);
    ck_assert(lgrun_num(&out, "connections.reopened") > 0);
    ck_assert(
        lgrun_num(&out, "connections.closed_by_server") + lgrun_num(&out, "connections.reset") > 0);
    ck_assert(lgrun_num(&out, "requests.replies") > 800);
    lgrun_free(&out);
    /* Open loop: the slots that pass while a connection is closed are never
     * sent, and counted so; every slot of the window is accounted for. */
    LGRUN(&out, "--target", target, "--duration", "1", "--conns", "4", "--pipeline", "8", "--rate",
          "4000", "--timeout", TIMEOUT);
    lgrun_expect_exit(&out, 0);
    ck_assert(lgrun_num(&out, "connections.reopened") > 0);
    ck_assert(lgrun_num(&out, "requests.unsent_closed") > 0);
    ck_assert(lgrun_num(&out, "requests.measured_sent") +
                  lgrun_num(&out, "requests.backlog_at_end") +
                  lgrun_num(&out, "requests.unsent_closed") ==
              lgrun_num(&out, "requests.scheduled"));
    lgrun_free(&out);
    server_stop(&srv);
}
END_TEST

/* Refused connections are counted and tried again; only when none is ever
 * served is it exit 3. A stage's own refusal passes verification. */
START_TEST(test_refused_connections)
{
    struct server srv;
    struct lg_outcome out;
    char target[32];
    server_start(&srv, "step03_parse", "--max-conns", "2", NULL);
    LGRUN(&out, "--target", lgrun_target(target, srv.port), "--duration", "1", "--conns", "4",
          "--verify", "3", "--timeout", TIMEOUT);
    lgrun_expect_exit(&out, 0);
    ck_assert(lgrun_num(&out, "connections.refused") >= 2);
    ck_assert(lgrun_num(&out, "connections.reopened") > 0);
    ck_assert(lgrun_num(&out, "connections.served") >= 2);
    lgrun_free(&out);
    server_stop(&srv);

    server_start(&srv, "fake_server", "--max-conns", "0", NULL);
    LGRUN(&out, "--target", lgrun_target(target, srv.port), "--duration", SHORT, "--conns", "2",
          "--timeout", TIMEOUT);
    lgrun_expect_exit(&out, 3);
    ck_assert(lgrun_num(&out, "connections.served") == 0);
    lgrun_free(&out);
    server_stop(&srv);
}
END_TEST

START_TEST(test_nothing_listening)
{
    struct lg_outcome out;
    char target[32];
    LGRUN(&out, "--target", lgrun_target(target, lgrun_closed_port()), "--duration", SHORT,
          "--verify", "10", "--timeout", TIMEOUT, "--connect-timeout", TIMEOUT);
    lgrun_expect_exit(&out, 3);
    ck_assert(lgrun_num(&out, "connections.opened") == 0);
    lgrun_free(&out);
}
END_TEST

START_TEST(test_bad_options)
{
    static const char *const bad[][4] = {
        {"--target", "127.0.0.1:1", "--conns", "0"},
        {"--target", "127.0.0.1:1", "--verify", "11"},
        {"--target", "127.0.0.1:1", "--user-prefix", "0123456789abcdef0123456789abcdef!"},
        {"--target", "127.0.0.1:1", "--bogus", "1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct lg_outcome out;
        LGRUN(&out, bad[i][0], bad[i][1], bad[i][2], bad[i][3]);
        lgrun_expect_exit(&out, 2);
        ck_assert_ptr_null(out.json); /* nothing ran */
        char text[1024]; /* one line that says what is wrong */
        size_t n = lgrun_output(&out, text, sizeof text);
        ck_assert_msg(n > 0 && strncmp(text, "loadgen: ", 9) == 0 &&
                          strchr(text, '\n') == text + n - 1,
                      "not one line: '%s'", text);
        lgrun_free(&out);
    }
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("loadgen cli");
    TCase *tc = harness_tcase("cli");
    tcase_add_test(tc, test_step03_verify_passes);
    tcase_add_test(tc, test_step04_verify_passes_twice);
    tcase_add_test(tc, test_step04_reused_names_fail);
    tcase_add_test(tc, test_wrong_server_accepts_everything);
    tcase_add_test(tc, test_wrong_server_flips_echo);
    tcase_add_test(tc, test_wrong_server_forgets_events);
    tcase_add_test(tc, test_closed_connections_reopen);
    tcase_add_test(tc, test_refused_connections);
    tcase_add_test(tc, test_nothing_listening);
    tcase_add_test(tc, test_bad_options);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return harness_run(cli_suite());
}
