/* step01_echo: a blocking echo server, one client at a time. How it reads
 * lines and echoes them is tested as for every stage (the harness's line
 * tests); here, what only a blocking server does. */
#include "harness.h"

#define SERVER "step01_echo"
#define T      HARNESS_REPLY_TIMEOUT_MS

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

static Suite *step01_suite(void)
{
    Suite *s = suite_create("step01_echo");
    TCase *tc = harness_tcase("echo");
    harness_add_line_tests(tc, SERVER, HARNESS_ECHO);
    tcase_add_test(tc, test_second_client_waits_for_first);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return harness_run(step01_suite());
}
