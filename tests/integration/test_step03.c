/* step03_parse: step02 plus JSON parsing and validation of events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define SERVER        "step03_parse"
#define ACCEPTED      "{\"status\":\"accepted\"}"
#define INVALID_JSON  "{\"status\":\"error\",\"reason\":\"invalid_json\"}"
#define INVALID_EVENT "{\"status\":\"error\",\"reason\":\"invalid_event\"}"
#define UNKNOWN_TYPE  "{\"status\":\"error\",\"reason\":\"unknown_type\"}"
#define LINE_TOO_LONG "{\"status\":\"error\",\"reason\":\"line_too_long\"}"
#define T             HARNESS_REPLY_TIMEOUT_MS

#define EVENT(user, action, amount)                                                                \
    "{\"user\":" user ",\"action\":" action ",\"amount\":" amount "}"
#define BUY EVENT("\"alice\"", "\"buy\"", "100")

struct exchange {
    const char *request;
    const char *reply;
};

static const struct exchange conversation[] = {
    /* valid events */
    {BUY, ACCEPTED},
    {EVENT("\"bob\"", "\"sell\"", "5"), ACCEPTED},
    {"{\"amount\":7,\"action\":\"sell\",\"user\":\"carol\"}", ACCEPTED},
    {EVENT("\"a\"", "\"buy\"", "1"), ACCEPTED},
    {EVENT("\"a\"", "\"buy\"", "1000000000"), ACCEPTED},
    {EVENT("\"a\"", "\"buy\"", "100.0"), ACCEPTED},
    {EVENT("\"a\"", "\"buy\"", "1e2"), ACCEPTED},
    {EVENT("\"caf\xc3\xa9 \xe2\x82\xac\"", "\"buy\"", "3"), ACCEPTED},
    {EVENT("\"caf\\u00e9\"", "\"buy\"", "3"), ACCEPTED},
    {EVENT("\"0123456789012345678901234567890123456789012345678901234567890123\"", "\"buy\"", "1"),
     ACCEPTED}, /* 64 bytes */
    {"{\"user\":\"a\",\"action\":\"buy\",\"amount\":1,\"note\":\"extra keys are ignored\"}",
     ACCEPTED},
    {"{\"user\":\"a\",\"action\":\"buy\",\"amount\":1,\"amount\":\"dup\"}", ACCEPTED},
    {"  { \"user\" : \"a\" , \"action\" : \"buy\" , \"amount\" : 1 }  \t", ACCEPTED},

    /* not JSON */
    {"garbage", INVALID_JSON},
    {"{", INVALID_JSON},
    {"{\"user\":\"a\",}", INVALID_JSON},
    {"{\"user\":\"a\",\"action\":\"buy\",\"amount\":1,", INVALID_JSON},
    {BUY " trailing", INVALID_JSON},
    {BUY "}", INVALID_JSON},
    {BUY BUY, INVALID_JSON},
    {"{'user':'a'}", INVALID_JSON},
    {"NaN", INVALID_JSON},
    {EVENT("\"a\"", "\"buy\"", "NaN"), INVALID_JSON},
    {EVENT("\"a\"", "\"buy\"", "Infinity"), INVALID_JSON},

    /* JSON, but not a valid event */
    {"[1]", INVALID_EVENT},
    {"1", INVALID_EVENT},
    {"\"a string\"", INVALID_EVENT},
    {"null", INVALID_EVENT},
    {"{}", INVALID_EVENT},
    {"{\"action\":\"buy\",\"amount\":1}", INVALID_EVENT},
    {"{\"user\":\"a\",\"amount\":1}", INVALID_EVENT},
    {"{\"user\":\"a\",\"action\":\"buy\"}", INVALID_EVENT},
    {"{\"User\":\"a\",\"action\":\"buy\",\"amount\":1}", INVALID_EVENT},
    {EVENT("\"a\"", "\"hold\"", "1"), INVALID_EVENT},
    {EVENT("\"a\"", "\"BUY\"", "1"), INVALID_EVENT},
    {EVENT("\"a\"", "1", "1"), INVALID_EVENT},
    {EVENT("\"a\"", "\"buy\"", "0"), INVALID_EVENT},
    {EVENT("\"a\"", "\"buy\"", "-1"), INVALID_EVENT},
    {EVENT("\"a\"", "\"buy\"", "1.5"), INVALID_EVENT},
    {EVENT("\"a\"", "\"buy\"", "\"5\""), INVALID_EVENT},
    {EVENT("\"a\"", "\"buy\"", "1000000001"), INVALID_EVENT},
    {EVENT("\"a\"", "\"buy\"", "1e400"), INVALID_EVENT},
    {EVENT("\"a\"", "\"buy\"", "null"), INVALID_EVENT},
    {EVENT("\"a\"", "\"buy\"", "true"), INVALID_EVENT},
    {EVENT("\"\"", "\"buy\"", "1"), INVALID_EVENT},
    {EVENT("42", "\"buy\"", "1"), INVALID_EVENT},
    {EVENT("null", "\"buy\"", "1"), INVALID_EVENT},
    {EVENT("\"01234567890123456789012345678901234567890123456789012345678901234\"", "\"buy\"", "1"),
     INVALID_EVENT}, /* 65 bytes */
    {EVENT("\"a\\u0000b\"", "\"buy\"", "1"), INVALID_EVENT},
    {EVENT("\"a\\u001fb\"", "\"buy\"", "1"), INVALID_EVENT},
    {EVENT("\"a\\u007fb\"", "\"buy\"", "1"), INVALID_EVENT},
    {EVENT("\"a\\nb\"", "\"buy\"", "1"), INVALID_EVENT},
    {EVENT("\"a\tb\"", "\"buy\"", "1"), INVALID_JSON}, /* a raw tab in a string */
    {EVENT("\"\xff\xfe\"", "\"buy\"", "1"), INVALID_EVENT},
    {EVENT("\"\xc3\"", "\"buy\"", "1"), INVALID_EVENT},

    /* commands: stage 03 knows none */
    {"{\"type\":\"balance\",\"user\":\"a\"}", UNKNOWN_TYPE},
    {"{\"type\":\"metrics\"}", UNKNOWN_TYPE},
    {"{\"type\":\"health\"}", UNKNOWN_TYPE},
    {"{\"type\":\"x\"}", UNKNOWN_TYPE},
    {"{\"type\":1}", UNKNOWN_TYPE},
    {"{\"type\":null}", UNKNOWN_TYPE},
    {"{\"type\":\"event\",\"user\":\"a\",\"action\":\"buy\",\"amount\":1}", UNKNOWN_TYPE},

    /* and the connection is still fine */
    {BUY, ACCEPTED},
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
    client_expect_reply(&c, deep, INVALID_JSON);
    memset(deep + 2000, '[', 2000);
    client_expect_reply(&c, deep, INVALID_JSON);
    client_expect_reply(&c, BUY, ACCEPTED);

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
    client_expect_line(&c, ACCEPTED, T);

    /* Byte by byte, \r\n split too. */
    static const char line[] = BUY "\r\n";
    for (size_t i = 0; i < sizeof line - 1; i++)
        client_send_all(&c, line + i, 1);
    client_expect_line(&c, ACCEPTED, T);
    client_expect_reply(&c, "{\"type\":\"x\"}", UNKNOWN_TYPE);

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
    client_expect_line(&c, ACCEPTED, T);
    client_expect_line(&c, UNKNOWN_TYPE, T);
    client_expect_line(&c, ACCEPTED, T);
    client_expect_line(&c, INVALID_EVENT, T);

    client_close(&c);
    server_stop(&srv);
}
END_TEST

#define PIPELINED 3000

START_TEST(test_pipelined_lines)
{
    static const struct exchange kinds[] = {
        {BUY, ACCEPTED},
        {"nope", INVALID_JSON},
        {EVENT("\"bob\"", "\"sell\"", "1.5"), INVALID_EVENT},
        {"{\"type\":\"metrics\"}", UNKNOWN_TYPE},
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
    client_expect_reply(&c, "{\"type\":\"health\"}", UNKNOWN_TYPE);

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
    scenario_slow_reader(&srv, BUY "\n", ACCEPTED, "{\"type\":\"x\"}", UNKNOWN_TYPE, 8 * 1024);
    server_stop(&srv);
}
END_TEST

/* At the smallest cap, events too (the shared test sends invalid lines). */
START_TEST(test_tiny_output_cap_events)
{
    struct server srv;
    server_start(&srv, SERVER, "--max-outbuf", "1", NULL);
    scenario_tiny_output_cap(&srv, BUY "\n", ACCEPTED);
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
