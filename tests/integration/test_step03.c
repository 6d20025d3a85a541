/* step03_parse: step02 plus JSON parsing and validation of events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define SERVER "step03_parse"
#define T      HARNESS_REPLY_TIMEOUT_MS

#define EVENT(user, action, amount)                                                                \
    "{\"user\":" user ",\"action\":" action ",\"amount\":" amount "}"
#define BUY EVENT("\"alice\"", "\"buy\"", "100")

struct exchange {
    const char *request;
    const char *reply;
};

static const struct exchange conversation[] = {
    /* valid events */
    {BUY, REPLY_ACCEPTED},
    {EVENT("\"bob\"", "\"sell\"", "5"), REPLY_ACCEPTED},
    {"{\"amount\":7,\"action\":\"sell\",\"user\":\"carol\"}", REPLY_ACCEPTED},
    {EVENT("\"a\"", "\"buy\"", "1"), REPLY_ACCEPTED},
    {EVENT("\"a\"", "\"buy\"", "1000000000"), REPLY_ACCEPTED},
    {EVENT("\"a\"", "\"buy\"", "100.0"), REPLY_ACCEPTED},
    {EVENT("\"a\"", "\"buy\"", "1e2"), REPLY_ACCEPTED},
    {EVENT("\"caf\xc3\xa9 \xe2\x82\xac\"", "\"buy\"", "3"), REPLY_ACCEPTED},
    {EVENT("\"caf\\u00e9\"", "\"buy\"", "3"), REPLY_ACCEPTED},
    {EVENT("\"0123456789012345678901234567890123456789012345678901234567890123\"", "\"buy\"", "1"),
     REPLY_ACCEPTED}, /* 64 bytes */
    {"{\"user\":\"a\",\"action\":\"buy\",\"amount\":1,\"note\":\"extra keys are ignored\"}",
     REPLY_ACCEPTED},
    {"{\"user\":\"a\",\"action\":\"buy\",\"amount\":1,\"amount\":\"dup\"}", REPLY_ACCEPTED},
    {"  { \"user\" : \"a\" , \"action\" : \"buy\" , \"amount\" : 1 }  \t", REPLY_ACCEPTED},

    /* not JSON */
    {"garbage", REPLY_INVALID_JSON},
    {"{", REPLY_INVALID_JSON},
    {"{\"user\":\"a\",}", REPLY_INVALID_JSON},
    {"{\"user\":\"a\",\"action\":\"buy\",\"amount\":1,", REPLY_INVALID_JSON},
    {BUY " trailing", REPLY_INVALID_JSON},
    {BUY "}", REPLY_INVALID_JSON},
    {BUY BUY, REPLY_INVALID_JSON},
    {"{'user':'a'}", REPLY_INVALID_JSON},
    {"NaN", REPLY_INVALID_JSON},
    {EVENT("\"a\"", "\"buy\"", "NaN"), REPLY_INVALID_JSON},
    {EVENT("\"a\"", "\"buy\"", "Infinity"), REPLY_INVALID_JSON},

    /* JSON, but not a valid event */
    {"[1]", REPLY_INVALID_EVENT},
    {"1", REPLY_INVALID_EVENT},
    {"\"a string\"", REPLY_INVALID_EVENT},
    {"null", REPLY_INVALID_EVENT},
    {"{}", REPLY_INVALID_EVENT},
    {"{\"action\":\"buy\",\"amount\":1}", REPLY_INVALID_EVENT},
    {"{\"user\":\"a\",\"amount\":1}", REPLY_INVALID_EVENT},
    {"{\"user\":\"a\",\"action\":\"buy\"}", REPLY_INVALID_EVENT},
    {"{\"User\":\"a\",\"action\":\"buy\",\"amount\":1}", REPLY_INVALID_EVENT},
    {EVENT("\"a\"", "\"hold\"", "1"), REPLY_INVALID_EVENT},
    {EVENT("\"a\"", "\"BUY\"", "1"), REPLY_INVALID_EVENT},
    {EVENT("\"a\"", "1", "1"), REPLY_INVALID_EVENT},
    {EVENT("\"a\"", "\"buy\"", "0"), REPLY_INVALID_EVENT},
    {EVENT("\"a\"", "\"buy\"", "-1"), REPLY_INVALID_EVENT},
    {EVENT("\"a\"", "\"buy\"", "1.5"), REPLY_INVALID_EVENT},
    {EVENT("\"a\"", "\"buy\"", "\"5\""), REPLY_INVALID_EVENT},
    {EVENT("\"a\"", "\"buy\"", "1000000001"), REPLY_INVALID_EVENT},
    {EVENT("\"a\"", "\"buy\"", "1e400"), REPLY_INVALID_EVENT},
    {EVENT("\"a\"", "\"buy\"", "null"), REPLY_INVALID_EVENT},
    {EVENT("\"a\"", "\"buy\"", "true"), REPLY_INVALID_EVENT},
    {EVENT("\"\"", "\"buy\"", "1"), REPLY_INVALID_EVENT},
    {EVENT("42", "\"buy\"", "1"), REPLY_INVALID_EVENT},
    {EVENT("null", "\"buy\"", "1"), REPLY_INVALID_EVENT},
    {EVENT("\"01234567890123456789012345678901234567890123456789012345678901234\"", "\"buy\"", "1"),
     REPLY_INVALID_EVENT}, /* 65 bytes */
    {EVENT("\"a\\u0000b\"", "\"buy\"", "1"), REPLY_INVALID_EVENT},
    {EVENT("\"a\\u001fb\"", "\"buy\"", "1"), REPLY_INVALID_EVENT},
    {EVENT("\"a\\u007fb\"", "\"buy\"", "1"), REPLY_INVALID_EVENT},
    {EVENT("\"a\\nb\"", "\"buy\"", "1"), REPLY_INVALID_EVENT},
    {EVENT("\"a\tb\"", "\"buy\"", "1"), REPLY_INVALID_JSON}, /* a raw tab in a string */
    {EVENT("\"\xff\xfe\"", "\"buy\"", "1"), REPLY_INVALID_EVENT},
    {EVENT("\"\xc3\"", "\"buy\"", "1"), REPLY_INVALID_EVENT},

    /* commands: stage 03 knows none */
    {"{\"type\":\"balance\",\"user\":\"a\"}", REPLY_UNKNOWN_TYPE},
    {"{\"type\":\"metrics\"}", REPLY_UNKNOWN_TYPE},
    {"{\"type\":\"health\"}", REPLY_UNKNOWN_TYPE},
    {"{\"type\":\"x\"}", REPLY_UNKNOWN_TYPE},
    {"{\"type\":1}", REPLY_UNKNOWN_TYPE},
    {"{\"type\":null}", REPLY_UNKNOWN_TYPE},
    {"{\"type\":\"event\",\"user\":\"a\",\"action\":\"buy\",\"amount\":1}", REPLY_UNKNOWN_TYPE},

    /* and the connection is still fine */
    {BUY, REPLY_ACCEPTED},
};

START_TEST(test_conversation)
{
    struct server srv;
    struct client c;
    server_start(&srv, SERVER, NULL);
    client_connect(&c, srv.port);

    for (size_t i = 0; i < sizeof conversation / sizeof conversation[0]; i++)
        client_expect_reply(&c, conversation[i].request, conversation[i].reply);

    client_close(&c);
    server_stop(&srv);
}
END_TEST

/* Nesting deeper than cJSON's limit is invalid JSON, not a crash. */
START_TEST(test_deep_nesting)
{
    struct server srv;
    struct client c;
    server_start(&srv, SERVER, NULL);
    client_connect(&c, srv.port);

    static char deep[4001];
    memset(deep, '[', 2000);
    memset(deep + 2000, ']', 2000);
    client_expect_reply(&c, deep, REPLY_INVALID_JSON);
    memset(deep + 2000, '[', 2000);
    client_expect_reply(&c, deep, REPLY_INVALID_JSON);
    client_expect_reply(&c, BUY, REPLY_ACCEPTED);

    client_close(&c);
    server_stop(&srv);
}
END_TEST

START_TEST(test_fragmented_line)
{
    struct server srv;
    struct client c;
    server_start(&srv, SERVER, NULL);
    client_connect(&c, srv.port);

    /* The pauses are the behaviour under test: nothing is answered until the
     * line is complete. */
    client_send_str(&c, "{\"user\":\"al");
    client_expect_silence(&c, 50);
    client_send_str(&c, "ice\",\"action\":\"bu");
    client_expect_silence(&c, 50);
    client_send_str(&c, "y\",\"amount\":100}\n");
    client_expect_line(&c, REPLY_ACCEPTED, T);

    /* Byte by byte, \r\n split too. */
    static const char line[] = BUY "\r\n";
    for (size_t i = 0; i < sizeof line - 1; i++)
        client_send_all(&c, line + i, 1);
    client_expect_line(&c, REPLY_ACCEPTED, T);
    client_expect_reply(&c, "{\"type\":\"x\"}", REPLY_UNKNOWN_TYPE);

    client_close(&c);
    server_stop(&srv);
}
END_TEST

START_TEST(test_crlf_line_endings)
{
    struct server srv;
    struct client c;
    server_start(&srv, SERVER, NULL);
    client_connect(&c, srv.port);

    client_send_str(&c, BUY "\r\n{\"type\":\"x\"}\r\n" BUY "\n"
                            "[1]\r\n");
    client_expect_line(&c, REPLY_ACCEPTED, T);
    client_expect_line(&c, REPLY_UNKNOWN_TYPE, T);
    client_expect_line(&c, REPLY_ACCEPTED, T);
    client_expect_line(&c, REPLY_INVALID_EVENT, T);

    client_close(&c);
    server_stop(&srv);
}
END_TEST

#define PIPELINED 3000

START_TEST(test_pipelined_lines)
{
    static const struct exchange kinds[] = {
        {BUY, REPLY_ACCEPTED},
        {"nope", REPLY_INVALID_JSON},
        {EVENT("\"bob\"", "\"sell\"", "1.5"), REPLY_INVALID_EVENT},
        {"{\"type\":\"metrics\"}", REPLY_UNKNOWN_TYPE},
        {"", NULL}, /* blank: no reply */
    };
    const size_t nkinds = sizeof kinds / sizeof kinds[0];
    struct server srv;
    struct client c;
    server_start(&srv, SERVER, NULL);
    client_connect(&c, srv.port);

    size_t cap = PIPELINED * 64, len = 0;
    char *all = malloc(cap);
    ck_assert_ptr_nonnull(all);
    for (size_t i = 0; i < PIPELINED; i++)
        len += (size_t)snprintf(all + len, cap - len, "%s\n", kinds[(i * 7) % nkinds].request);
    client_send_all(&c, all, len); /* one write */
    for (size_t i = 0; i < PIPELINED; i++)
        if (kinds[(i * 7) % nkinds].reply)
            client_expect_line(&c, kinds[(i * 7) % nkinds].reply, T);
    client_expect_reply(&c, "{\"type\":\"health\"}", REPLY_UNKNOWN_TYPE);

    free(all);
    client_close(&c);
    server_stop(&srv);
}
END_TEST

/* A client that writes and never reads; replies are smaller than requests
 * here, but unread output is still capped. */
START_TEST(test_client_that_never_reads)
{
    struct server srv;
    server_start(&srv, SERVER, NULL);
    scenario_slow_reader(&srv, BUY "\n", REPLY_ACCEPTED, "{\"type\":\"x\"}", REPLY_UNKNOWN_TYPE,
                         8 * 1024);
    server_stop(&srv);
}
END_TEST

/* At the smallest cap, events too (the shared test sends invalid lines). */
START_TEST(test_tiny_output_cap_events)
{
    struct server srv;
    server_start(&srv, SERVER, "--max-outbuf", "1", NULL);
    scenario_tiny_output_cap(&srv, BUY "\n", REPLY_ACCEPTED);
    server_stop(&srv);
}
END_TEST

static Suite *step03_suite(void)
{
    Suite *s = suite_create("step03_parse");
    TCase *tc = harness_tcase("parse");
    tcase_add_test(tc, test_conversation);
    tcase_add_test(tc, test_deep_nesting);
    tcase_add_test(tc, test_fragmented_line);
    tcase_add_test(tc, test_crlf_line_endings);
    tcase_add_test(tc, test_pipelined_lines);
    tcase_add_test(tc, test_client_that_never_reads);
    tcase_add_test(tc, test_tiny_output_cap_events);
    harness_add_line_tests(tc, SERVER, HARNESS_JSON);
    harness_add_shared_tests(tc, SERVER, HARNESS_JSON);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return harness_run(step03_suite());
}
