/* step01_echo: a blocking echo server, one client at a time. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define SERVER        "step01_echo"
#define LINE_TOO_LONG "{\"status\":\"error\",\"reason\":\"line_too_long\"}"
#define T             HARNESS_REPLY_TIMEOUT_MS

START_TEST(test_echoes_lines)
{
    struct server srv;
    struct client c;
    server_start(&srv, SERVER, NULL);
    client_connect(&c, srv.port);

    client_expect_reply(&c, "hello", "hello");
    client_expect_reply(&c, "  spaces inside and around  ", "  spaces inside and around  ");
    client_expect_reply(&c, "{\"user\":\"alice\",\"action\":\"buy\",\"amount\":100}",
                        "{\"user\":\"alice\",\"action\":\"buy\",\"amount\":100}");
    client_expect_reply(&c, "caf\xc3\xa9 \xff bytes", "caf\xc3\xa9 \xff bytes");

    /* \r\n: the \r is stripped. */
    client_send_str(&c, "windows\r\n");
    client_expect_line(&c, "windows", T);

    /* Several lines in one write: one reply each, in order. */
    client_send_str(&c, "one\ntwo\r\nthree\n");
    client_expect_line(&c, "one", T);
    client_expect_line(&c, "two", T);
    client_expect_line(&c, "three", T);

    client_close(&c);
    server_stop(&srv);
}
END_TEST

START_TEST(test_blank_lines_get_no_reply)
{
    struct server srv;
    struct client c;
    server_start(&srv, SERVER, NULL);
    client_connect(&c, srv.port);

    client_send_str(&c, "\n   \n\t\r\n\r\n \t \r\nafter\n");
    client_expect_line(&c, "after", T); /* the very next reply */
    client_expect_reply(&c, "next", "next");

    client_close(&c);
    server_stop(&srv);
}
END_TEST

START_TEST(test_line_too_long)
{
    struct server srv;
    struct client c;
    server_start(&srv, SERVER, "--max-line", "16", NULL);
    client_connect(&c, srv.port);

    client_expect_reply(&c, "sixteen-bytes-ok", "sixteen-bytes-ok");
    client_expect_reply(&c, "seventeen-bytes-x", LINE_TOO_LONG);
    client_expect_reply(&c, "served", "served");

    /* The \r counts towards the limit. */
    client_send_str(&c, "fifteen-bytes-x\r\n");
    client_expect_line(&c, "fifteen-bytes-x", T);
    client_send_str(&c, "sixteen-bytes-ok\r\n");
    client_expect_line(&c, LINE_TOO_LONG, T);

    /* The error comes as soon as the limit is passed, once per line; the rest
     * of the line is dropped. */
    client_send_str(&c, "0123456789abcdefg");
    client_expect_line(&c, LINE_TOO_LONG, T);
    client_send_str(&c, "more of the same over-long line\n");
    client_send_str(&c, "next\n");
    client_expect_line(&c, "next", T);

    client_close(&c);
    server_stop(&srv);
}
END_TEST

START_TEST(test_default_max_line)
{
    struct server srv;
    struct client c;
    server_start(&srv, SERVER, NULL);
    client_connect(&c, srv.port);

    /* 4096 bytes is allowed, 4097 is not; both sent in pieces. */
    static char line[4098];
    memset(line, 'x', 4096);
    line[4096] = '\n';
    for (size_t off = 0; off < 4097; off += 1000)
        client_send_all(&c, line + off, 4097 - off < 1000 ? 4097 - off : 1000);
    line[4096] = '\0';
    client_expect_line(&c, line, T);

    line[4096] = 'x';
    line[4097] = '\n';
    client_send_all(&c, line, 4098);
    client_expect_line(&c, LINE_TOO_LONG, T);
    client_expect_reply(&c, "short", "short");

    client_close(&c);
    server_stop(&srv);
}
END_TEST

START_TEST(test_second_client_waits_for_first)
{
    struct server srv;
    struct client first, second;
    server_start(&srv, SERVER, NULL);
    client_connect(&first, srv.port);
    client_expect_reply(&first, "first here", "first here");

    /* The kernel completes the second connection, but the server is busy. */
    client_connect(&second, srv.port);
    client_send_str(&second, "second here\n");
    client_expect_silence(&second, 300);
    client_expect_reply(&first, "first still served", "first still served");
    client_expect_silence(&second, 100);

    /* Once the first client leaves, the second one is served. */
    client_close(&first);
    client_expect_line(&second, "second here", T);
    client_expect_reply(&second, "and again", "and again");

    client_close(&second);
    server_stop(&srv);
}
END_TEST

START_TEST(test_half_close_gets_all_replies)
{
    struct server srv;
    struct client c;
    server_start(&srv, SERVER, NULL);
    client_connect(&c, srv.port);

    client_send_str(&c, "a\nb\nc\n");
    client_shutdown_write(&c);
    client_expect_line(&c, "a", T);
    client_expect_line(&c, "b", T);
    client_expect_line(&c, "c", T);
    client_expect_eof(&c, T);

    client_close(&c);
    server_stop(&srv);
}
END_TEST

START_TEST(test_unterminated_last_line_gets_no_reply)
{
    struct server srv;
    struct client c;
    server_start(&srv, SERVER, NULL);
    scenario_unterminated_last_line(&srv);

    /* The server goes on to the next client. */
    client_connect(&c, srv.port);
    client_expect_reply(&c, "next client", "next client");
    client_close(&c);
    server_stop(&srv);
}
END_TEST

static Suite *step01_suite(void)
{
    Suite *s = suite_create("step01_echo");
    TCase *tc = harness_tcase("echo");
    tcase_add_test(tc, test_echoes_lines);
    tcase_add_test(tc, test_blank_lines_get_no_reply);
    tcase_add_test(tc, test_line_too_long);
    tcase_add_test(tc, test_default_max_line);
    tcase_add_test(tc, test_second_client_waits_for_first);
    tcase_add_test(tc, test_half_close_gets_all_replies);
    tcase_add_test(tc, test_unterminated_last_line_gets_no_reply);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return harness_run(step01_suite());
}
