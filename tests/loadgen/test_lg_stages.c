/* loadgen end to end against the threaded stages whose state it verifies:
 * 07 (balances, found at rest when they stop changing) and 10 (balances and
 * metrics). Every run is short (at most 2 s of load) and bounded. */
#include <sys/wait.h>

#include "harness.h"
#include "lgrun.h"

#define TIMEOUT "5000" /* --timeout: any wait for the server */

START_TEST(test_step07_verify_passes)
{
    struct server srv;
    struct lg_outcome out;
    char target[32];
    server_start(&srv, "step07_mutex", "--workers", "2", NULL);
    LGRUN(&out, "--target", lgrun_target(target, srv.port), "--duration", "2", "--conns", "8",
          "--pipeline", "16", "--threads", "2", "--mix", "event=80,balance=15,invalid=5", "--dist",
          "zipf:0.99", "--verify", "7", "--timeout", TIMEOUT);
    lgrun_expect_exit(&out, 0);
    ck_assert(lgrun_num(&out, "replies.accepted") > 0);
    ck_assert(lgrun_num(&out, "replies.ok/balance") > 0);
    ck_assert(lgrun_bool(&out, "verify.end.passed"));
    ck_assert(lgrun_num(&out, "verify.end.users_checked") > 0);
    lgrun_free(&out);
    server_stop(&srv);
}
END_TEST

/* A small queue and slow workers: many events are rejected, the queue is
 * still full when the load stops, and the check waits for it to drain. */
START_TEST(test_step10_verify_waits_for_the_queue)
{
    struct server srv;
    struct lg_outcome out;
    char target[32];
    server_start(&srv, "step10_shutdown", "--workers", "2", "--queue-cap", "64", "--work-us", "200",
                 NULL);
    LGRUN(&out, "--target", lgrun_target(target, srv.port), "--duration", "1", "--conns", "4",
          "--pipeline", "32", "--users", "100", "--verify", "10", "--timeout", TIMEOUT);
    lgrun_expect_exit(&out, 0);
    ck_assert(lgrun_num(&out, "replies_whole_run.rejected/server_busy") > 0);
    ck_assert(lgrun_num(&out, "verify.end.metrics.seen_dropped") ==
              lgrun_num(&out, "replies_whole_run.rejected/server_busy"));
    lgrun_free(&out);
    server_stop(&srv);
}
END_TEST

/* Events, balance queries, metrics and health, twice against the same
 * server: each run's users are its own, and the metrics' growth is each
 * run's. The server then drains and exits 0. */
START_TEST(test_step10_verify_passes)
{
    struct server srv;
    struct lg_outcome out;
    char target[32];
    server_start(&srv, "step10_shutdown", "--workers", "2", NULL);
    for (int run = 0; run < 2; run++) {
        LGRUN(&out, "--target", lgrun_target(target, srv.port), "--duration", run ? "1" : "2",
              "--conns", "8", "--pipeline", "16", "--threads", "2", "--mix",
              "event=70,balance=20,metrics=5,health=5", "--verify", "10", "--timeout", TIMEOUT);
        lgrun_expect_exit(&out, 0);
        ck_assert(lgrun_num(&out, "requests.replies") > 0);
        ck_assert(lgrun_num(&out, "replies.ok/balance") > 0);
        ck_assert(lgrun_num(&out, "replies.metrics") > 0);
        ck_assert(lgrun_bool(&out, "verify.end.passed"));
        double seen = lgrun_num(&out, "verify.end.metrics.seen_received");
        ck_assert(seen > 0);
        ck_assert(lgrun_num(&out, "verify.end.metrics.after.received") -
                      lgrun_num(&out, "verify.end.metrics.before.received") ==
                  seen);
        lgrun_free(&out);
    }
    int status = server_stop(&srv);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
END_TEST

static Suite *stages_suite(void)
{
    Suite *s = suite_create("loadgen against threaded stages");
    TCase *tc = harness_tcase("stages");
    tcase_add_test(tc, test_step07_verify_passes);
    tcase_add_test(tc, test_step10_verify_waits_for_the_queue);
    tcase_add_test(tc, test_step10_verify_passes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return harness_run(stages_suite());
}
