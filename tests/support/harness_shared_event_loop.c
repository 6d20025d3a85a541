/* The tests every event-loop stage shares (stages 02-10). */
/* Tests themselves: the harness's calls here name these lines in failures. */
#include "harness.h"
#include "harness_internal.h"

#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>

/* The stage the shared tests run against: set before the tests run (a
 * forked test inherits it). */
static struct {
    const char *server;
    enum harness_replies replies;
} shared_tests_stage;

/* At the smallest output cap every reply fills it: the rest of each read is
 * held back and taken up again, one line at a time, and nothing is lost. */
START_TEST(test_tiny_output_cap)
{
    struct server srv;
    server_start(&srv, shared_tests_stage.server, "--max-outbuf", "1", NULL);
    if (shared_tests_stage.replies == HARNESS_ECHO)
        scenario_tiny_output_cap(&srv, "echo me\n", "echo me");
    else
        scenario_tiny_output_cap(&srv, "x\n", REPLY_INVALID_JSON);
    server_stop(&srv);
}
END_TEST

#define STRICT_EVENT(amount, user)                                                                 \
    "{\"user\":\"" user "\",\"action\":\"buy\",\"amount\":" amount "}"

/* Every parsing stage holds to RFC 8259 where cJSON would not, and judges
 * the amount on its text: a double would round these to whole numbers. */
START_TEST(test_strict_json_over_the_wire)
{
    static const struct {
        const char *request, *reply;
    } lines[] = {
        {STRICT_EVENT("012", "alice"), REPLY_INVALID_JSON},
        {STRICT_EVENT("-01", "alice"), REPLY_INVALID_JSON},
        {STRICT_EVENT("1.", "alice"), REPLY_INVALID_JSON},
        {STRICT_EVENT("2.e3", "alice"), REPLY_INVALID_JSON},
        {STRICT_EVENT("1", "\\uqqqq"), REPLY_INVALID_JSON},
        {STRICT_EVENT("1", "a\tb"), REPLY_INVALID_JSON},
        {"\xef\xbb\xbf" STRICT_EVENT("1", "alice"), REPLY_INVALID_JSON},
        {"{\"type\":\"x\"}\f", REPLY_INVALID_JSON},
        {STRICT_EVENT("999999999.99999999", "alice"), REPLY_INVALID_EVENT},
        {STRICT_EVENT("1.0000000000000001", "alice"), REPLY_INVALID_EVENT},
        {STRICT_EVENT("0.99999999999999999", "alice"), REPLY_INVALID_EVENT},
        {STRICT_EVENT("1e400", "alice"), REPLY_INVALID_EVENT},
    };
    struct server srv;
    struct client c;
    server_start(&srv, shared_tests_stage.server, NULL);
    client_connect(&c, srv.port);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        client_expect_reply(&c, lines[i].request, lines[i].reply);
    client_close(&c);
    server_stop(&srv);
}
END_TEST

/* Tiny invalid lines get replies 20 times their size: each client's unread
 * replies stay near the output cap, not a whole read's worth. */
START_TEST(test_clients_that_never_read_tiny_lines)
{
    struct server srv;
    server_start(&srv, shared_tests_stage.server, NULL);
    scenario_amplifying_slow_readers(&srv);
    server_stop(&srv);
}
END_TEST

/* A line the shared tests' stage answers, and its answer. */
static void expect_served(struct client *c)
{
    const struct answered_line *probe = stage_probes(shared_tests_stage.replies);
    client_expect_reply(c, probe[0].request, probe[0].reply);
}

/* Watching a new client can fail (fs.epoll.max_user_watches reached, made to
 * happen here by fail_epoll_add.c): the server closes that client, pauses
 * accepting for a moment, and serves the next one. */
START_TEST(test_watching_a_client_fails)
{
    struct server srv;
    static const char *const env[] = {"FAIL_CLIENT_ADDS=1", NULL};
    server_start_preloaded(&srv, shared_tests_stage.server, FAIL_EPOLL_ADD_LIB, env, NULL);
    struct client refused, served;
    client_connect(&refused, srv.port);
    client_expect_eof(&refused, HARNESS_REPLY_TIMEOUT_MS);
    server_wait_log(&srv, "pausing accepts", HARNESS_REPLY_TIMEOUT_MS);
    client_connect(&served, srv.port);
    expect_served(&served);
    client_close(&refused);
    client_close(&served);
    server_stop(&srv);
}
END_TEST

/* Connections waiting at once: more than one wake-up may take, fewer than the
 * smallest listen backlog in use (net.core.somaxconn was 128 before Linux 5.4). */
#define ACCEPT_STORM           100
#define ACCEPTS_PER_WAKEUP_MAX 64 /* what the stages accept per wake-up at most */

/* A storm of connections is accepted a bounded batch per wake-up of the
 * event loop (counted by count_accepts.c), so the clients already connected
 * get their turn in between; and every connection of the storm is served. */
START_TEST(test_accepts_per_wakeup_are_bounded)
{
    struct server srv;
    server_start_preloaded(&srv, shared_tests_stage.server, COUNT_ACCEPTS_LIB, NULL, NULL);
    struct client *storm = calloc(ACCEPT_STORM, sizeof *storm);
    require(storm != NULL, "out of memory");
    server_signal(&srv, SIGSTOP); /* the kernel completes the connections meanwhile */
    for (int i = 0; i < ACCEPT_STORM; i++)
        client_connect(&storm[i], srv.port);
    server_signal(&srv, SIGCONT);
    for (int i = 0; i < ACCEPT_STORM; i++)
        expect_served(&storm[i]);
    long long longest;
    require(server_log_count(&srv, "accept burst ", &longest) > 0, "no accept counted");
    ck_assert_msg(longest <= ACCEPTS_PER_WAKEUP_MAX && longest > 1,
                  "%s accepted %lld connections in one wake-up", srv.name, longest);
    for (int i = 0; i < ACCEPT_STORM; i++)
        client_close(&storm[i]);
    free(storm);
    server_stop(&srv);
}
END_TEST

#define RESUMED "accepting again, after this many pauses: "

/* The number after needle on the first line of the server's log holding it. */
static long first_count_logged(struct server *srv, const char *needle)
{
    FILE *f = fopen(srv->log_path, "r");
    require(f != NULL, "cannot open %s", srv->log_path);
    char line[1024];
    long count = -1;
    while (count < 0 && fgets(line, sizeof line, f)) {
        const char *found = strstr(line, needle);
        if (found)
            count = strtol(found + strlen(needle), NULL, 10);
    }
    fclose(f);
    return count;
}

/* More clients than the server has file descriptors for: accept() fails with
 * EMFILE while the listener stays readable, so a server that just retried
 * would spin. It pauses accepting instead, and says so once, however many pauses the
 * episode takes; once descriptors are free it serves the client that waited,
 * and says how many pauses there were. */
START_TEST(test_out_of_file_descriptors)
{
    enum { FD_CLIENTS = 40, WINDOW_MS = 500 }; /* the window spans several 100 ms pauses */
    struct rlimit normal, small;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &normal), 0);
    small = (struct rlimit){.rlim_cur = 24, .rlim_max = normal.rlim_max};
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &small), 0); /* inherited by the server */
    struct server srv;
    server_start(&srv, shared_tests_stage.server, NULL);
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &normal), 0);

    /* The kernel completes every connection (the listen backlog); the server
     * can accept about 15. */
    struct client *c = calloc(FD_CLIENTS, sizeof *c);
    require(c != NULL, "out of memory");
    for (int i = 0; i < FD_CLIENTS; i++)
        client_connect(&c[i], srv.port);
    expect_served(&c[0]);
    const struct answered_line *probe = stage_probes(shared_tests_stage.replies);
    client_send_str(&c[FD_CLIENTS - 1], probe[0].request);
    client_send_str(&c[FD_CLIENTS - 1], "\n");

    long cpu_before = server_cpu_ms(&srv);
    client_expect_silence(&c[FD_CLIENTS - 1], WINDOW_MS); /* not accepted yet */
    long cpu = server_cpu_ms(&srv) - cpu_before;
    ck_assert_msg(cpu < WINDOW_MS / 2, "%s used %ld ms of CPU in %d ms while out of fds", srv.name,
                  cpu, WINDOW_MS);
    server_wait_log(&srv, "pausing accepts", HARNESS_REPLY_TIMEOUT_MS);
    ck_assert_uint_eq(server_log_count(&srv, "pausing accepts", NULL), 1);

    for (int i = 0; i < FD_CLIENTS - 1; i++)
        client_close(&c[i]);
    client_expect_line(&c[FD_CLIENTS - 1], probe[0].reply, HARNESS_REPLY_TIMEOUT_MS);
    /* Freeing descriptors may start a second, shorter episode: the first one
     * is the one this test made last. */
    server_wait_log(&srv, RESUMED, HARNESS_REPLY_TIMEOUT_MS);
    long pauses = first_count_logged(&srv, RESUMED);
    ck_assert_msg(pauses > 1, "%s counted %ld pauses in %d ms", srv.name, pauses, WINDOW_MS);
    client_close(&c[FD_CLIENTS - 1]);
    free(c);
    server_stop(&srv);
}
END_TEST

void harness_add_shared_tests(TCase *tc, const char *server, enum harness_replies replies)
{
    shared_tests_stage.server = server;
    shared_tests_stage.replies = replies;
    tcase_add_test(tc, test_tiny_output_cap);
    if (replies == HARNESS_JSON) {
        tcase_add_test(tc, test_clients_that_never_read_tiny_lines);
        tcase_add_test(tc, test_strict_json_over_the_wire);
    }
    tcase_add_test(tc, test_watching_a_client_fails);
    tcase_add_test(tc, test_accepts_per_wakeup_are_bounded);
    tcase_add_test(tc, test_out_of_file_descriptors);
}
