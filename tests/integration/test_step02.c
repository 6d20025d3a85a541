/* step02_async: an epoll echo server serving many clients at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "harness.h"

#define SERVER "step02_async"
#define T      HARNESS_REPLY_TIMEOUT_MS

#define CLIENTS 100
#define ROUNDS  20

/* Every client sends one line per round; replies are read a round late, so
 * each client always has a line in flight while the others send. */
START_TEST(test_many_concurrent_clients)
{
    struct server srv;
    server_start(&srv, SERVER, NULL);
    struct client *clients = calloc(CLIENTS, sizeof *clients);
    ck_assert_ptr_nonnull(clients);
    for (int i = 0; i < CLIENTS; i++)
        client_connect(&clients[i], srv.port);

    char line[64];
    for (int round = 0; round <= ROUNDS; round++) {
        for (int i = 0; i < CLIENTS && round < ROUNDS; i++) {
            snprintf(line, sizeof line, "client %d line %d\n", i, round);
            client_send_str(&clients[i], line);
        }
        for (int i = 0; i < CLIENTS && round > 0; i++) {
            snprintf(line, sizeof line, "client %d line %d", i, round - 1);
            client_expect_line(&clients[i], line, T);
        }
    }
    /* Nothing extra: the next reply of each client is its last line. */
    for (int i = 0; i < CLIENTS; i++) {
        snprintf(line, sizeof line, "client %d done", i);
        client_expect_reply(&clients[i], line, line);
    }

    for (int i = 0; i < CLIENTS; i++)
        client_close(&clients[i]);
    free(clients);
    server_stop(&srv);
}
END_TEST

#define FLOOD_TEXT "a client that never reads its replies: 0123456789 abcdefghijklm"
#define FLOOD_LINE FLOOD_TEXT "\n"
#define FLOOD_MAX  ((size_t)100 << 20)
#define MAX_GROWTH (8 * 1024) /* KiB */
#define BLOCKED_MS 300

/* A client that writes and never reads: the server caps its unread output and
 * stops reading it, so its writes block, memory stays bounded, and others are
 * still served. */
START_TEST(test_client_that_never_reads)
{
    struct server srv;
    server_start(&srv, SERVER, "--max-outbuf", "65536", NULL);
    scenario_slow_reader(&srv, FLOOD_LINE, FLOOD_TEXT, "probe", "probe", MAX_GROWTH);
    server_stop(&srv);
}
END_TEST

/* A flooder that leaves with unread replies (the server gets a reset). */
START_TEST(test_flooder_leaves_abruptly)
{
    struct server srv;
    struct client other, flooder;
    server_start(&srv, SERVER, NULL);
    client_connect(&other, srv.port);
    client_connect(&flooder, srv.port);

    size_t sent = 0;
    bool blocked = client_flood(&flooder, FLOOD_LINE, &sent, FLOOD_MAX, BLOCKED_MS);
    ck_assert_msg(blocked, "the server read all %zu bytes of a client that never reads", sent);
    client_close(&flooder);
    client_expect_reply(&other, "still here", "still here");

    client_close(&other);
    server_stop(&srv);
}
END_TEST

/* Connects and sends a line; true if it was echoed, false if the connection
 * was refused with too_many_connections. */
static bool try_connection(struct client *c, int port)
{
    char got[256];
    client_connect(c, port);
    client_send_str(c, "anyone there?\n");
    int n = client_read_line(c, got, sizeof got, T);
    ck_assert_msg(n >= 0, "no reply to a new connection");
    if (strcmp(got, REPLY_TOO_MANY_CONNS) == 0) {
        client_close(c);
        return false;
    }
    ck_assert_str_eq(got, "anyone there?");
    return true;
}

START_TEST(test_max_conns)
{
    struct server srv;
    struct client a, b, c;
    server_start(&srv, SERVER, "--max-conns", "2", NULL);
    client_connect(&a, srv.port);
    client_connect(&b, srv.port);
    client_expect_reply(&a, "a", "a");
    client_expect_reply(&b, "b", "b");

    /* The third one is told why, then closed. */
    client_connect(&c, srv.port);
    client_expect_line(&c, REPLY_TOO_MANY_CONNS, T);
    client_expect_eof(&c, T);
    client_close(&c);
    client_expect_reply(&a, "a again", "a again");

    /* Once one leaves, a new connection is served (the server notices the
     * departure asynchronously: retry, bounded). */
    client_close(&a);
    bool served = false;
    for (int attempt = 0; attempt < 200 && !served; attempt++)
        served = try_connection(&c, srv.port);
    ck_assert_msg(served, "no connection served after one of two left");
    client_expect_reply(&b, "b again", "b again");
    client_expect_reply(&c, "c again", "c again");

    client_close(&b);
    client_close(&c);
    server_stop(&srv);
}
END_TEST

/* A 4 MiB line with the default limit: one error, bounded memory, and the
 * connection goes on. */
START_TEST(test_huge_line)
{
    struct server srv;
    struct client c;
    server_start(&srv, SERVER, NULL);
    client_connect(&c, srv.port);
    long rss_before = server_rss_kib(&srv);

    static char piece[64 * 1024];
    memset(piece, 'y', sizeof piece);
    for (int i = 0; i < 64; i++)
        client_send_all(&c, piece, sizeof piece);
    client_send_str(&c, "\nafter\n");
    client_expect_line(&c, REPLY_LINE_TOO_LONG, T);
    client_expect_line(&c, "after", T);
    server_check_rss_growth(&srv, rss_before, MAX_GROWTH);

    client_close(&c);
    server_stop(&srv);
}
END_TEST

/* Clients that vanish mid-line, or with replies unread, do not disturb
 * the server. */
START_TEST(test_abrupt_disconnects)
{
    struct server srv;
    struct client c, other;
    server_start(&srv, SERVER, NULL);
    client_connect(&other, srv.port);

    for (int i = 0; i < 20; i++) {
        client_connect(&c, srv.port);
        client_send_str(&c, i % 2 ? "half a li" : "unread reply\nunread reply\n");
        client_close(&c);
    }
    client_expect_reply(&other, "still served", "still served");

    client_close(&other);
    server_stop(&srv);
}
END_TEST

static Suite *step02_suite(void)
{
    Suite *s = suite_create("step02_async");
    TCase *tc = harness_tcase("async");
    harness_add_line_tests(tc, SERVER, HARNESS_ECHO);
    harness_add_shared_tests(tc, SERVER, HARNESS_ECHO);
    tcase_add_test(tc, test_many_concurrent_clients);
    tcase_add_test(tc, test_client_that_never_reads);
    tcase_add_test(tc, test_flooder_leaves_abruptly);
    tcase_add_test(tc, test_max_conns);
    tcase_add_test(tc, test_huge_line);
    tcase_add_test(tc, test_abrupt_disconnects);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return harness_run(step02_suite());
}
