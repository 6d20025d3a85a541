/* Response formatting: the exact bytes of every reply, and JSON string escaping. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "response.h"
#include "unit.h"

/* The bytes in b are exactly expected (a NUL-terminated string). */
static void expect_bytes(const struct outbuf *b, const char *expected)
{
    size_t n = strlen(expected);
    ck_assert_msg(outbuf_len(b) == n && memcmp(b->data + b->start, expected, n) == 0,
                  "got \"%.*s\", expected \"%s\"", (int)outbuf_len(b), b->data + b->start,
                  expected);
    ck_assert(!b->failed);
}

static const struct {
    enum reason reason;
    const char *name;
} reasons[] = {
    {REASON_NONE, "none"},
    {REASON_INVALID_JSON, "invalid_json"},
    {REASON_INVALID_EVENT, "invalid_event"},
    {REASON_UNKNOWN_TYPE, "unknown_type"},
    {REASON_LINE_TOO_LONG, "line_too_long"},
    {REASON_OVERFLOW, "overflow"},
    {REASON_SERVER_BUSY, "server_busy"},
    {REASON_SHUTTING_DOWN, "shutting_down"},
    {REASON_TOO_MANY_CONNECTIONS, "too_many_connections"},
};

START_TEST(test_reasons)
{
    char want[128];
    struct outbuf b = {0};
    ck_assert_str_eq(reason_name(reasons[_i].reason), reasons[_i].name);

    respond_error(&b, reasons[_i].reason);
    snprintf(want, sizeof want, "{\"status\":\"error\",\"reason\":\"%s\"}\n", reasons[_i].name);
    expect_bytes(&b, want);
    outbuf_clear(&b);

    respond_rejected(&b, reasons[_i].reason);
    snprintf(want, sizeof want, "{\"status\":\"rejected\",\"reason\":\"%s\"}\n", reasons[_i].name);
    expect_bytes(&b, want);
    outbuf_free(&b);
}
END_TEST

START_TEST(test_fixed_replies)
{
    struct outbuf b = {0};
    respond_accepted(&b);
    expect_bytes(&b, "{\"status\":\"accepted\"}\n");
    outbuf_clear(&b);
    respond_health(&b, 0);
    expect_bytes(&b, "{\"status\":\"ok\"}\n");
    outbuf_clear(&b);
    respond_health(&b, 1);
    expect_bytes(&b, "{\"status\":\"draining\"}\n");
    outbuf_free(&b);

    ck_assert_uint_eq(TOO_MANY_CONNECTIONS_LEN, strlen(TOO_MANY_CONNECTIONS_LINE));
    ck_assert_str_eq(TOO_MANY_CONNECTIONS_LINE,
                     "{\"status\":\"rejected\",\"reason\":\"too_many_connections\"}\n");
}
END_TEST

static const struct {
    int64_t balance;
    const char *text;
} balances[] = {
    {0, "0"},
    {100, "100"},
    {-5, "-5"},
    {INT64_MAX, "9223372036854775807"},
    {INT64_MIN, "-9223372036854775808"},
};

START_TEST(test_new_balance)
{
    char want[128];
    struct outbuf b = {0};
    respond_new_balance(&b, balances[_i].balance);
    snprintf(want, sizeof want, "{\"status\":\"ok\",\"balance\":%s}\n", balances[_i].text);
    expect_bytes(&b, want);
    outbuf_free(&b);
}
END_TEST

START_TEST(test_balance)
{
    char want[128];
    struct outbuf b = {0};
    respond_balance(&b, "alice", 5, balances[_i].balance);
    snprintf(want, sizeof want, "{\"status\":\"ok\",\"user\":\"alice\",\"balance\":%s}\n",
             balances[_i].text);
    expect_bytes(&b, want);
    outbuf_free(&b);
}
END_TEST

/* user_len counts, not a NUL: only the first 3 bytes of "bobby" are the user. */
START_TEST(test_balance_uses_user_len)
{
    struct outbuf b = {0};
    respond_balance(&b, "bobby", 3, 7);
    expect_bytes(&b, "{\"status\":\"ok\",\"user\":\"bob\",\"balance\":7}\n");
    outbuf_free(&b);
}
END_TEST

START_TEST(test_balance_escapes_user)
{
    struct outbuf b = {0};
    respond_balance(&b, "a\"b\\c", 5, -1);
    expect_bytes(&b, "{\"status\":\"ok\",\"user\":\"a\\\"b\\\\c\",\"balance\":-1}\n");
    outbuf_free(&b);
}
END_TEST

/* The worst case for escaping: 64 bytes that each take 6, and the longest balance. */
START_TEST(test_balance_worst_case)
{
    char user[USER_MAX], want[512] = "{\"status\":\"ok\",\"user\":\"";
    memset(user, '\x01', sizeof user);
    for (size_t i = 0; i < sizeof user; i++)
        strcat(want, "\\u0001");
    strcat(want, "\",\"balance\":-9223372036854775808}\n");
    struct outbuf b = {0};
    respond_balance(&b, user, sizeof user, INT64_MIN);
    expect_bytes(&b, want);
    outbuf_free(&b);
}
END_TEST

/* Whatever the user, the reply is JSON that gives the same user back. */
START_TEST(test_balance_round_trips_through_json)
{
    static const char *const users[] = {
        "alice",     "\"", "\\", "\"\\\"", "tab\there", "\x7f", "h\xc3\xa9llo", "\xf0\x9f\x98\x80",
        "</script>",
    };
    for (size_t i = 0; i < ARRAY_LEN(users); i++) {
        struct outbuf b = {0};
        respond_balance(&b, users[i], strlen(users[i]), 110);
        char *text = strndup(b.data, outbuf_len(&b));
        ck_assert_ptr_nonnull(text);
        ck_assert_int_eq(text[outbuf_len(&b) - 1], '\n');
        cJSON *root = cJSON_Parse(text);
        ck_assert_msg(root != NULL, "not JSON: %s", text);
        const cJSON *user = cJSON_GetObjectItemCaseSensitive(root, "user");
        const cJSON *balance = cJSON_GetObjectItemCaseSensitive(root, "balance");
        ck_assert(cJSON_IsString(user));
        ck_assert_str_eq(user->valuestring, users[i]);
        ck_assert(cJSON_IsNumber(balance));
        ck_assert_int_eq((int64_t)balance->valuedouble, 110);
        cJSON_Delete(root);
        free(text);
        outbuf_free(&b);
    }
}
END_TEST

START_TEST(test_replies_accumulate_in_order)
{
    struct outbuf b = {0};
    respond_accepted(&b);
    respond_error(&b, REASON_INVALID_JSON);
    respond_balance(&b, "bob", 3, 12);
    respond_new_balance(&b, 3);
    respond_rejected(&b, REASON_SERVER_BUSY);
    respond_health(&b, 1);
    expect_bytes(&b, "{\"status\":\"accepted\"}\n"
                     "{\"status\":\"error\",\"reason\":\"invalid_json\"}\n"
                     "{\"status\":\"ok\",\"user\":\"bob\",\"balance\":12}\n"
                     "{\"status\":\"ok\",\"balance\":3}\n"
                     "{\"status\":\"rejected\",\"reason\":\"server_busy\"}\n"
                     "{\"status\":\"draining\"}\n");
    outbuf_free(&b);
}
END_TEST

START_TEST(test_echo)
{
    struct outbuf b = {0};
    respond_echo(&b, "hello world", 11);
    respond_echo(&b, "", 0);
    respond_echo(&b, "a\0b\r", 4); /* bytes as they are, NULs too */
    respond_echo(&b, "abcdef", 3);
    ck_assert_uint_eq(outbuf_len(&b), 12 + 1 + 5 + 4);
    ck_assert_mem_eq(b.data, "hello world\n\na\0b\r\nabc\n", 22);
    outbuf_free(&b);
}
END_TEST

START_TEST(test_metrics)
{
    struct outbuf b = {0};
    respond_metrics(&b, &(struct metrics){0});
    expect_bytes(&b,
                 "{\"received\":0,\"processed\":0,\"dropped\":0,\"queued\":0,\"connections\":0}\n");
    outbuf_clear(&b);
    respond_metrics(
        &b, &(struct metrics){
                .received = 10, .processed = 7, .dropped = 3, .queued = 2, .connections = 1});
    expect_bytes(
        &b, "{\"received\":10,\"processed\":7,\"dropped\":3,\"queued\":2,\"connections\":1}\n");
    outbuf_free(&b);
}
END_TEST

/* The longest metrics line there can be comes out whole. */
START_TEST(test_metrics_largest)
{
    struct outbuf b = {0};
    respond_metrics(&b,
                    &(struct metrics){UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX});
#define MAX "18446744073709551615"
    expect_bytes(&b, "{\"received\":" MAX ",\"processed\":" MAX ",\"dropped\":" MAX
                     ",\"queued\":" MAX ",\"connections\":" MAX "}\n");
#undef MAX
    ck_assert_uint_le(b.end, b.cap);
    outbuf_free(&b);
}
END_TEST

static const struct {
    const char *in;
    size_t len;
    const char *out;
} escapes[] = {
#define ESC(in, out)                                                                               \
    {                                                                                              \
        in, sizeof(in) - 1, out                                                                    \
    }
    ESC("", "\"\""),
    ESC("abc", "\"abc\""),
    ESC("\"", "\"\\\"\""),
    ESC("\\", "\"\\\\\""),
    ESC("a\"b\\c", "\"a\\\"b\\\\c\""),
    ESC("/", "\"/\""),
    ESC("\0", "\"\\u0000\""),
    ESC("\x01", "\"\\u0001\""),
    ESC("\n\r\t", "\"\\u000a\\u000d\\u0009\""),
    ESC("\x1b", "\"\\u001b\""),
    ESC("\x1f", "\"\\u001f\""),
    ESC(" ", "\" \""),
    ESC("~", "\"~\""),
    ESC("\x7f", "\"\\u007f\""),
    ESC("h\xc3\xa9llo", "\"h\xc3\xa9llo\""),
    ESC("\xe6\x97\xa5\xf0\x9f\x98\x80", "\"\xe6\x97\xa5\xf0\x9f\x98\x80\""),
#undef ESC
};

START_TEST(test_json_escape)
{
    size_t n = escapes[_i].len, max = json_escaped_max(n);
    char dst[64];
    ck_assert_uint_le(max + 8, sizeof dst);
    memset(dst, '#', sizeof dst);
    size_t w = json_escape(dst, escapes[_i].in, n);
    ck_assert_uint_le(w, max);
    ck_assert_uint_eq(w, strlen(escapes[_i].out));
    ck_assert_mem_eq(dst, escapes[_i].out, w);
    for (size_t i = w; i < sizeof dst; i++)
        ck_assert_int_eq(dst[i], '#'); /* nothing written past the returned length */
}
END_TEST

static Suite *response_suite(void)
{
    Suite *s = suite_create("response");
    TCase *tc = tcase_create("response");
    tcase_add_loop_test(tc, test_reasons, 0, (int)ARRAY_LEN(reasons));
    tcase_add_test(tc, test_fixed_replies);
    tcase_add_loop_test(tc, test_new_balance, 0, (int)ARRAY_LEN(balances));
    tcase_add_loop_test(tc, test_balance, 0, (int)ARRAY_LEN(balances));
    tcase_add_test(tc, test_balance_uses_user_len);
    tcase_add_test(tc, test_balance_escapes_user);
    tcase_add_test(tc, test_balance_worst_case);
    tcase_add_test(tc, test_balance_round_trips_through_json);
    tcase_add_test(tc, test_replies_accumulate_in_order);
    tcase_add_test(tc, test_echo);
    tcase_add_test(tc, test_metrics);
    tcase_add_test(tc, test_metrics_largest);
    tcase_add_loop_test(tc, test_json_escape, 0, (int)ARRAY_LEN(escapes));
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(response_suite)
