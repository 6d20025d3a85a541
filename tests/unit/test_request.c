/* The request parser: a table of lines and what each must parse to, plus the
 * lines too big for a table (deep nesting, a 4096-byte line). */
#include <stdio.h>
#include <string.h>

#include "request.h"
#include "request_internal.h"
#include "unit.h"

struct parse_case {
    const char *line;
    size_t len;
    enum request_kind kind;
    enum reason reason;
    enum command command;
    const char *user; /* NULL: none expected */
    enum action action;
    int64_t amount;
};

/* sizeof, not strlen: some lines hold NUL bytes. */
#define LINE(l) .line = (l), .len = sizeof(l) - 1
#define EVENT(l, u, act, n)                                                                        \
    {                                                                                              \
        LINE(l), .kind = REQUEST_EVENT, .user = (u), .action = ACTION_##act, .amount = (n)         \
    }
#define BAD_JSON(l)                                                                                \
    {                                                                                              \
        LINE(l), .kind = REQUEST_INVALID, .reason = REASON_INVALID_JSON                            \
    }
#define BAD_EVENT(l)                                                                               \
    {                                                                                              \
        LINE(l), .kind = REQUEST_INVALID, .reason = REASON_INVALID_EVENT                           \
    }
#define COMMAND(l, cmd)                                                                            \
    {                                                                                              \
        LINE(l), .kind = REQUEST_COMMAND, .command = COMMAND_##cmd                                 \
    }
#define BALANCE(l, u)                                                                              \
    {                                                                                              \
        LINE(l), .kind = REQUEST_COMMAND, .command = COMMAND_BALANCE, .user = (u)                  \
    }
#define BAD_BALANCE(l)                                                                             \
    {                                                                                              \
        LINE(l), .kind = REQUEST_COMMAND, .command = COMMAND_BALANCE,                              \
                 .reason = REASON_INVALID_EVENT                                                    \
    }

/* Event lines that differ from a valid one in one field, given as JSON text. */
#define WITH_USER(u)   "{\"user\":" u ",\"action\":\"buy\",\"amount\":1}"
#define WITH_ACTION(a) "{\"user\":\"u\",\"action\":" a ",\"amount\":1}"
#define WITH_AMOUNT(n) "{\"user\":\"u\",\"action\":\"sell\",\"amount\":" n "}"
#define VALID          WITH_USER("\"u\"")

#define U16 "0123456789abcdef"
#define U64 U16 U16 U16 U16 /* 64 bytes */
#define E4  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" /* 4 x U+00E9, 8 bytes */
#define E32 E4 E4 E4 E4 E4 E4 E4 E4 /* 64 bytes */
#define X4  "\\u00e9\\u00e9\\u00e9\\u00e9" /* the same, escaped */
#define X32 X4 X4 X4 X4 X4 X4 X4 X4
#define BAL "{\"type\":\"balance\",\"user\":"

static const struct parse_case cases[] = {
    /* Valid events; other keys, key order and whitespace do not matter. */
    EVENT("{\"user\":\"alice\",\"action\":\"buy\",\"amount\":100}", "alice", BUY, 100),
    EVENT("{\"user\":\"bob\",\"action\":\"sell\",\"amount\":5}", "bob", SELL, 5),
    EVENT("{\"amount\":7,\"action\":\"buy\",\"user\":\"carol\"}", "carol", BUY, 7),
    EVENT("{\"user\":\"dave\",\"note\":\"hi\",\"action\":\"sell\",\"x\":[1,{\"y\":null}],"
          "\"amount\":9,\"users\":5}",
          "dave", SELL, 9),
    EVENT("  { \"user\" : \"u\" , \"action\" : \"buy\" , \"amount\" : 1 } \t\r", "u", BUY, 1),

    /* The common shape, which the fast path reads: the three keys in this order, no escapes,
     * space, tab, CR or LF between tokens. */
    EVENT("{\"user\":\"alice\",\"action\":\"buy\",\"amount\":42}", "alice", BUY, 42),
    EVENT("\t{\"user\":\"u\",\r\n\"action\"\t:\"sell\",\n\"amount\":\r999999999\n}\r\n", "u", SELL,
          999999999),
    EVENT("{\"user\":\"a b/c'd\",\"action\":\"buy\",\"amount\":10}", "a b/c'd", BUY, 10),
    BAD_EVENT("{\"user\":\"u\",\"action\":\"buy\",\"amount\":10000000000}"),
    BAD_JSON("{\"user\":\"u\",\"action\":\"buy\",\"amount\":1,}"),
    BAD_JSON("{\"user\":\"u\",\"action\":\"buy\",\"amount\":1 1}"),
    BAD_JSON("{\"user\":\"u\",\"action\":\"buy\",\"amount\":5e}"),

    /* Near misses of that shape, which cJSON would read its own way and RFC 8259 does not
     * accept: only space, tab, LF and CR are whitespace (not 0x0b, 0x01 or a NUL); no
     * byte-order mark; no leading zeros; no point without digits after it. */
    BAD_JSON("{\"user\":\"u\",\x0b\"action\":\"sell\",\"amount\":5}"),
    BAD_JSON("\x01{\"user\":\"u\",\"action\":\"sell\",\"amount\":5}"),
    BAD_JSON("{\"user\":\"u\",\"action\":\"sell\",\"amount\":5\0}"),
    BAD_JSON("{\"user\":\"u\",\"action\":\"sell\",\"amount\":5}\x0b"),
    BAD_JSON("\xef\xbb\xbf{\"user\":\"u\",\"action\":\"sell\",\"amount\":5}"),
    BAD_JSON(WITH_AMOUNT("0123")),
    BAD_JSON(WITH_AMOUNT("5.")),
    BAD_JSON(WITH_AMOUNT("00")),
    EVENT("{\"user\":\"u\",\"amount\":3,\"action\":\"buy\"}", "u", BUY, 3),
    EVENT("{\"user\":\"u\",\"action\":\"buy\",\"amount\":3,\"x\":1}", "u", BUY, 3),
    BAD_JSON("{\"user\":\"a\tb\",\"action\":\"buy\",\"amount\":3}"), /* a raw tab */

    /* Duplicate keys: the first wins, even when it is the bad one. Keys are case-sensitive. */
    EVENT("{\"user\":\"first\",\"user\":\"second\",\"action\":\"buy\",\"amount\":1}", "first", BUY,
          1),
    EVENT("{\"user\":\"u\",\"action\":\"sell\",\"amount\":2,\"action\":\"buy\",\"amount\":3}", "u",
          SELL, 2),
    BAD_EVENT("{\"user\":\"u\",\"action\":\"buy\",\"amount\":0,\"amount\":5}"),
    BAD_EVENT("{\"user\":5,\"user\":\"u\",\"action\":\"buy\",\"amount\":1}"),
    EVENT("{\"User\":\"x\",\"user\":\"y\",\"action\":\"buy\",\"amount\":3}", "y", BUY, 3),
    BAD_EVENT("{\"User\":\"x\",\"action\":\"buy\",\"amount\":3}"),
    BAD_EVENT("{\"user\":\"x\",\"Action\":\"buy\",\"amount\":3}"),
    BAD_EVENT("{\"user\":\"x\",\"action\":\"buy\",\"AMOUNT\":3}"),

    /* Missing or mistyped fields. */
    BAD_EVENT("{}"),
    BAD_EVENT("{\"action\":\"buy\",\"amount\":1}"),
    BAD_EVENT("{\"user\":\"u\",\"amount\":1}"),
    BAD_EVENT("{\"user\":\"u\",\"action\":\"buy\"}"),
    BAD_EVENT(WITH_USER("5")),
    BAD_EVENT(WITH_USER("null")),
    BAD_EVENT(WITH_USER("true")),
    BAD_EVENT(WITH_USER("[\"u\"]")),
    BAD_EVENT(WITH_USER("{}")),

    /* User: 1 to 64 bytes after unescaping, valid UTF-8. */
    BAD_EVENT(WITH_USER("\"\"")),
    EVENT(WITH_USER("\"a\""), "a", BUY, 1),
    EVENT(WITH_USER("\"" U64 "\""), U64, BUY, 1),
    BAD_EVENT(WITH_USER("\"" U64 "x\"")),
    EVENT(WITH_USER("\"h\xc3\xa9llo\""), "h\xc3\xa9llo", BUY, 1),
    EVENT(WITH_USER("\"\xe6\x97\xa5\xe6\x9c\xac\""), "\xe6\x97\xa5\xe6\x9c\xac", BUY, 1),
    EVENT(WITH_USER("\"\xf0\x9f\x98\x80\""), "\xf0\x9f\x98\x80", BUY, 1),
    EVENT(WITH_USER("\"\xed\x9f\xbf\""), "\xed\x9f\xbf", BUY, 1), /* U+D7FF */
    EVENT(WITH_USER("\"\xf4\x8f\xbf\xbf\""), "\xf4\x8f\xbf\xbf", BUY, 1), /* U+10FFFF */
    EVENT(WITH_USER("\"\\u00e9\""), "\xc3\xa9", BUY, 1),
    EVENT(WITH_USER("\"\\ud83d\\ude00\""), "\xf0\x9f\x98\x80", BUY, 1),
    BAD_JSON(WITH_USER("\"u\\ud800\"")), /* cJSON rejects a lone surrogate escape */
    BAD_JSON(WITH_USER("\"u\\udc00\"")),
    EVENT(WITH_USER("\"" E32 "\""), E32, BUY, 1),
    BAD_EVENT(WITH_USER("\"" E32 "a\"")),
    EVENT(WITH_USER("\"" X32 "\""), E32, BUY, 1), /* 192 bytes escaped, 64 unescaped */
    BAD_EVENT(WITH_USER("\"" X32 "a\"")),
    EVENT(WITH_USER("\"a\\\"b\\\\c/\""), "a\"b\\c/", BUY, 1),

    /* Invalid UTF-8: overlong, surrogates, truncated, out of range, not a lead byte. */
    BAD_EVENT(WITH_USER("\"\xc0\xaf\"")),
    BAD_EVENT(WITH_USER("\"\xc1\xbf\"")),
    BAD_EVENT(WITH_USER("\"\xe0\x80\xaf\"")),
    BAD_EVENT(WITH_USER("\"\xf0\x80\x80\xaf\"")),
    BAD_EVENT(WITH_USER("\"\xed\xa0\x80\"")),
    BAD_EVENT(WITH_USER("\"\xed\xbf\xbf\"")),
    BAD_EVENT(WITH_USER("\"ab\xe2\x82\"")),
    BAD_EVENT(WITH_USER("\"\xe2\x82"
                        "x\"")),
    BAD_EVENT(WITH_USER("\"\xf0\x9f\x98\"")),
    BAD_EVENT(WITH_USER("\"\xe2\x82\xe9"
                        "x\"")), /* a third byte that is not a continuation */
    BAD_EVENT(WITH_USER("\"\x80\"")),
    BAD_EVENT(WITH_USER("\"a\xff\"")),
    BAD_EVENT(WITH_USER("\"\xf4\x90\x80\x80\"")),
    BAD_EVENT(WITH_USER("\"\xf5\x80\x80\x80\"")),

    /* Control characters: raw ones are not JSON; escaped ones, NUL included, are not a user. */
    BAD_JSON(WITH_USER("\"a\x01"
                       "b\"")),
    BAD_JSON(WITH_USER("\"a\tb\"")),
    BAD_EVENT(WITH_USER("\"a\x7f"
                        "b\"")),
    BAD_EVENT(WITH_USER("\"a\\nb\"")),
    BAD_EVENT(WITH_USER("\"a\\u001fb\"")),
    BAD_EVENT(WITH_USER("\"a\\u007fb\"")),
    BAD_EVENT(WITH_USER("\"a\\u0000b\"")),
    BAD_EVENT(WITH_USER("\"a\\u0000\"")), /* must not read as "a" */
    BAD_EVENT(WITH_USER("\"\\u0000\"")),
    BAD_JSON(WITH_USER("\"a\0b\"")),
    BAD_JSON(WITH_USER("\"a\0\"")),
    EVENT(WITH_USER("\"\\\\u0000\""), "\\u0000", BUY, 1), /* an escaped backslash, then "u0000" */
    BAD_EVENT(WITH_USER("\"\\\\\\u0000\"")), /* an escaped backslash, then a NUL */
    EVENT(WITH_USER("\"\\\\\""), "\\", BUY, 1),

    /* Action: exactly "buy" or "sell". */
    EVENT(WITH_ACTION("\"sell\""), "u", SELL, 1),
    EVENT(WITH_ACTION("\"b\\u0075y\""), "u", BUY, 1),
    BAD_EVENT(WITH_ACTION("\"Buy\"")),
    BAD_EVENT(WITH_ACTION("\"SELL\"")),
    BAD_EVENT(WITH_ACTION("\"buy \"")),
    BAD_EVENT(WITH_ACTION("\" buy\"")),
    BAD_EVENT(WITH_ACTION("\"\"")),
    BAD_EVENT(WITH_ACTION("\"hold\"")),
    BAD_EVENT(WITH_ACTION("\"buy\\u0000x\"")),
    BAD_EVENT(WITH_ACTION("\"buy\\u0000\"")), /* must not read as "buy" */
    BAD_JSON(WITH_ACTION("\"buy\0\"")),
    BAD_EVENT(WITH_ACTION("1")),
    BAD_EVENT(WITH_ACTION("null")),
    BAD_EVENT(WITH_ACTION("[\"buy\"]")),

    /* Amount: an integer-valued number from 1 to 1,000,000,000. */
    EVENT(WITH_AMOUNT("1"), "u", SELL, 1),
    EVENT(WITH_AMOUNT("1000000000"), "u", SELL, 1000000000),
    EVENT(WITH_AMOUNT("1e3"), "u", SELL, 1000),
    EVENT(WITH_AMOUNT("1E9"), "u", SELL, 1000000000),
    EVENT(WITH_AMOUNT("100.0"), "u", SELL, 100),
    EVENT(WITH_AMOUNT("2.5e1"), "u", SELL, 25),
    /* Judged on the text, exactly: a double would round the next ones to whole numbers. */
    EVENT(WITH_AMOUNT("100.000"), "u", SELL, 100),
    EVENT(WITH_AMOUNT("0.5e1"), "u", SELL, 5),
    EVENT(WITH_AMOUNT("5e-0"), "u", SELL, 5),
    EVENT(WITH_AMOUNT("5E+0"), "u", SELL, 5),
    EVENT(WITH_AMOUNT("100e-2"), "u", SELL, 1),
    EVENT(WITH_AMOUNT("0.000000001e18"), "u", SELL, 1000000000),
    EVENT(WITH_AMOUNT("1000000000.0000000000000000000000"), "u", SELL, 1000000000),
    EVENT(WITH_AMOUNT("1e0000000000000000000000009"), "u", SELL, 1000000000),
    BAD_EVENT(WITH_AMOUNT("1000000000.0000001")),
    BAD_EVENT(WITH_AMOUNT("999999999.99999999")),
    BAD_EVENT(WITH_AMOUNT("1.0000000000000001")),
    BAD_EVENT(WITH_AMOUNT("0.99999999999999999")),
    BAD_EVENT(WITH_AMOUNT("12345678901234567890")),
    EVENT(WITH_AMOUNT("100000000000000000000e-11"), "u", SELL, 1000000000),
    BAD_EVENT(WITH_AMOUNT("100000000000000000001e-11")),
    BAD_EVENT(WITH_AMOUNT("1e-400")),
    BAD_EVENT(WITH_AMOUNT("0e5")),
    BAD_EVENT(WITH_AMOUNT("0.0")),
    BAD_EVENT(WITH_AMOUNT("-1")),
    BAD_EVENT(WITH_AMOUNT("1e99999999999999999999")),
    BAD_JSON(WITH_AMOUNT("-01")),
    BAD_JSON(WITH_AMOUNT("2.e3")),
    BAD_JSON(WITH_AMOUNT("-.123")),
    BAD_JSON(WITH_AMOUNT(".5")),
    BAD_JSON(WITH_AMOUNT("1e")),
    BAD_JSON(WITH_AMOUNT("1e+")),
    BAD_JSON(WITH_AMOUNT("--1")),
    BAD_EVENT(WITH_AMOUNT("0")),
    BAD_EVENT(WITH_AMOUNT("-0")),
    BAD_EVENT(WITH_AMOUNT("-5")),
    BAD_EVENT(WITH_AMOUNT("1000000001")),
    BAD_EVENT(WITH_AMOUNT("1e10")),
    BAD_EVENT(WITH_AMOUNT("1.5")),
    BAD_EVENT(WITH_AMOUNT("0.5")),
    BAD_EVENT(WITH_AMOUNT("999999999.5")),
    BAD_EVENT(WITH_AMOUNT("1e400")),
    BAD_EVENT(WITH_AMOUNT("-1e400")),
    BAD_EVENT(WITH_AMOUNT("\"5\"")),
    BAD_EVENT(WITH_AMOUNT("true")),
    BAD_EVENT(WITH_AMOUNT("null")),
    BAD_EVENT(WITH_AMOUNT("[5]")),
    BAD_EVENT(WITH_AMOUNT("{}")),
    BAD_JSON(WITH_AMOUNT("NaN")),
    BAD_JSON(WITH_AMOUNT("nan")),
    BAD_JSON(WITH_AMOUNT("Infinity")),
    BAD_JSON(WITH_AMOUNT("-Infinity")),
    BAD_JSON(WITH_AMOUNT("+5")),
    BAD_JSON(WITH_AMOUNT("0x10")),

    /* Not JSON, or JSON followed by more than whitespace. */
    BAD_JSON(""),
    BAD_JSON("   "),
    BAD_JSON("hello"),
    BAD_JSON("{"),
    BAD_JSON("{\"user\":"),
    BAD_JSON("{\"user\":\"alice"),
    BAD_JSON("{\"user\":\"alice\","),
    BAD_JSON("[1,"),
    BAD_JSON("{\"user\":\"a\",}"),
    BAD_JSON("{'user':'a'}"),
    BAD_JSON("{user:\"a\"}"),
    BAD_JSON(WITH_USER("\"a\\x\"")),
    BAD_JSON(VALID " x"),
    BAD_JSON(VALID "}"),
    BAD_JSON(VALID "\0"),
    BAD_JSON("{} {}"),
    BAD_JSON("{}x"),
    BAD_JSON("[] []"),

    /* JSON, but not an object. */
    BAD_EVENT("[]"),
    BAD_EVENT("[1,2]"),
    BAD_EVENT("5"),
    BAD_EVENT("\"str\""),
    BAD_EVENT("true"),
    BAD_EVENT("false"),
    BAD_EVENT("null"),
    BAD_EVENT("[" VALID "]"),

    /* Commands: any object with a "type" key. */
    BALANCE(BAL "\"bob\"}", "bob"),
    BALANCE("{\"user\":\"a\\\"b\",\"type\":\"balance\"}", "a\"b"),
    BALANCE(BAL "\"" U64 "\"}", U64),
    BALANCE(BAL "\"" X32 "\"}", E32),
    BAD_BALANCE("{\"type\":\"balance\"}"),
    BAD_BALANCE("{\"type\":\"balance\",\"User\":\"bob\"}"),
    BAD_BALANCE(BAL "\"\"}"),
    BAD_BALANCE(BAL "5}"),
    BAD_BALANCE(BAL "null}"),
    BAD_BALANCE(BAL "\"a\\u0000b\"}"),
    BAD_BALANCE(BAL "\"a\\u0000\"}"),
    BAD_BALANCE(BAL "\"" U64 "x\"}"),
    BAD_BALANCE(BAL "\"\xff\"}"),
    BAD_BALANCE(BAL "\"a\\u001f\"}"),
    COMMAND("{\"type\":\"metrics\"}", METRICS),
    COMMAND("{\"type\":\"health\"}", HEALTH),
    COMMAND("{\"type\":\"metrics\",\"user\":5,\"junk\":[]}", METRICS),
    COMMAND("{\"type\":\"health\",\"type\":\"metrics\"}", HEALTH),
    COMMAND("{\"type\":\"frobnicate\"}", UNKNOWN),
    COMMAND("{\"type\":5}", UNKNOWN),
    COMMAND("{\"type\":null}", UNKNOWN),
    COMMAND("{\"type\":true}", UNKNOWN),
    COMMAND("{\"type\":\"\"}", UNKNOWN),
    COMMAND("{\"type\":[\"health\"]}", UNKNOWN),
    COMMAND("{\"type\":\"Balance\",\"user\":\"bob\"}", UNKNOWN),
    COMMAND("{\"type\":\"health\\u0000\"}", UNKNOWN),
    COMMAND("{\"user\":\"u\",\"action\":\"buy\",\"amount\":1,\"type\":\"x\"}", UNKNOWN),
    BALANCE(BAL "\"bob\",\"action\":\"buy\",\"amount\":1}", "bob"),
    EVENT("{\"Type\":\"health\",\"user\":\"u\",\"action\":\"buy\",\"amount\":1}", "u", BUY, 1),
    BAD_JSON("{\"type\":\"health\"} x"),
    BAD_EVENT("[{\"type\":\"health\"}]"),
};

/* Parses a copy of line, exactly sized so that AddressSanitizer sees any read
 * past line[len], into a request filled with junk first. */
static void parse(const char *line, size_t len, struct request *req)
{
    char *buf = malloc(len + 1);
    ck_assert_ptr_nonnull(buf);
    memcpy(buf, line, len);
    buf[len] = '\0';
    memset(req, 0xa5, sizeof *req);
    request_parse(buf, len, req);
    free(buf);
}

START_TEST(test_parse_table)
{
    const struct parse_case *c = &cases[_i];
    struct request req;
    parse(c->line, c->len, &req);
    ck_assert_msg(req.kind == c->kind && req.reason == c->reason,
                  "case %d, %s: kind %d reason %d, expected kind %d reason %d", _i, c->line,
                  req.kind, req.reason, c->kind, c->reason);
    if (c->kind == REQUEST_COMMAND)
        ck_assert_msg(req.command == c->command, "case %d, %s: command %d, expected %d", _i,
                      c->line, req.command, c->command);
    if (c->user) {
        size_t n = strlen(c->user);
        ck_assert_msg(req.user_len == n && memcmp(req.user, c->user, n + 1) == 0,
                      "case %d, %s: user \"%.*s\" (%zu bytes), expected \"%s\"", _i, c->line,
                      (int)(req.user_len <= USER_MAX ? req.user_len : 0), req.user, req.user_len,
                      c->user);
    }
    if (c->kind == REQUEST_EVENT) {
        ck_assert_int_eq(req.action, c->action);
        ck_assert_int_eq(req.amount, c->amount);
    }
}
END_TEST

static void expect_reason(const char *line, enum reason reason)
{
    struct request req;
    parse(line, strlen(line), &req);
    ck_assert_int_eq(req.kind, REQUEST_INVALID);
    ck_assert_int_eq(req.reason, reason);
}

/* open[0] repeated depth times, then close[0] repeated depth times. */
static char *nested(const char *open, const char *inner, const char *close, size_t depth)
{
    size_t no = strlen(open), ni = strlen(inner), nc = strlen(close);
    char *s = malloc(depth * (no + nc) + ni + 1), *p = s;
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < depth; i++, p += no)
        memcpy(p, open, no);
    memcpy(p, inner, ni);
    p += ni;
    for (size_t i = 0; i < depth; i++, p += nc)
        memcpy(p, close, nc);
    *p = '\0';
    return s;
}

START_TEST(test_deep_nesting_is_invalid_json)
{
    static const struct {
        const char *open, *inner, *close;
        size_t depth;
    } deep[] = {
        {"[", "", "]", 3000}, {"{\"a\":", "1", "}", 3000}, {"[", "", "", 100000}, /* never closed */
    };
    for (size_t i = 0; i < ARRAY_LEN(deep); i++) {
        char *line = nested(deep[i].open, deep[i].inner, deep[i].close, deep[i].depth);
        expect_reason(line, REASON_INVALID_JSON);
        free(line);
    }
}
END_TEST

START_TEST(test_moderate_nesting_is_json)
{
    char *line = nested("[", "", "]", 500);
    expect_reason(line, REASON_INVALID_EVENT);
    free(line);

    char *deep = nested("[", "", "]", 500), buf[2048];
    snprintf(buf, sizeof buf, "{\"user\":\"u\",\"x\":%s,\"action\":\"buy\",\"amount\":2}", deep);
    free(deep);
    struct request req;
    parse(buf, strlen(buf), &req);
    ck_assert_int_eq(req.kind, REQUEST_EVENT);
    ck_assert_int_eq(req.amount, 2);
}
END_TEST

/* A valid event padded to exactly len bytes with an ignored key. */
static char *padded_event(size_t len)
{
    static const char head[] = "{\"user\":\"alice\",\"action\":\"buy\",\"amount\":42,\"pad\":\"";
    static const char tail[] = "\"}";
    char *s = malloc(len + 1);
    ck_assert_ptr_nonnull(s);
    memset(s, 'p', len);
    memcpy(s, head, sizeof head - 1);
    memcpy(s + len - (sizeof tail - 1), tail, sizeof tail - 1);
    s[len] = '\0';
    return s;
}

START_TEST(test_line_of_4096_bytes)
{
    char *line = padded_event(4096);
    struct request req;
    parse(line, 4096, &req);
    ck_assert_int_eq(req.kind, REQUEST_EVENT);
    ck_assert_str_eq(req.user, "alice");
    ck_assert_int_eq(req.amount, 42);

    line[4095] = '!'; /* the closing brace gone: not JSON */
    expect_reason(line, REASON_INVALID_JSON);
    free(line);
}
END_TEST

START_TEST(test_event_delta)
{
    struct request req;
    parse(WITH_AMOUNT("1000000000"), sizeof WITH_AMOUNT("1000000000") - 1, &req);
    ck_assert_int_eq(event_delta(&req), -1000000000);
    parse(VALID, sizeof VALID - 1, &req);
    ck_assert_int_eq(event_delta(&req), 1);
}
END_TEST

/* Wherever the fast path accepts a line of the table, the cJSON path gives the same request. */
START_TEST(test_fast_path_agrees_on_table)
{
    const struct parse_case *c = &cases[_i];
    char *buf = malloc(c->len + 1);
    ck_assert_ptr_nonnull(buf);
    memcpy(buf, c->line, c->len);
    buf[c->len] = '\0';
    struct request fast, slow;
    memset(&fast, 0xa5, sizeof fast);
    bool accepted = request_parse_fast(buf, c->len, &fast);
    memset(&slow, 0x5a, sizeof slow);
    request_parse_cjson(buf, c->len, &slow);
    free(buf);
    if (!accepted)
        return;
    ck_assert_msg(c->kind == REQUEST_EVENT, "case %d, %s: fast path took a non-event", _i, c->line);
    ck_assert_int_eq(fast.kind, slow.kind);
    ck_assert_int_eq(fast.reason, slow.reason);
    ck_assert_int_eq(fast.command, slow.command);
    ck_assert_int_eq(fast.action, slow.action);
    ck_assert_int_eq(fast.amount, slow.amount);
    ck_assert_uint_eq(fast.user_len, slow.user_len);
    ck_assert(memcmp(fast.user, slow.user, sizeof fast.user) == 0);
}
END_TEST

/* Lines of the common shape take the fast path; near misses do not. */
START_TEST(test_fast_path_taken)
{
    static const char *const taken[] = {
        VALID,
        WITH_ACTION("\"sell\""),
        WITH_AMOUNT("1000000000"),
        WITH_USER("\"" U64 "\""),
        WITH_USER("\"" E32 "\""),
        WITH_USER("\"\xf0\x9f\x98\x80\""),
        "{\"user\":\"alice\",\"action\":\"buy\",\"amount\":42}",
        "  { \"user\" : \"u\" , \"action\" : \"buy\" , \"amount\" : 1 } \t\r",
        "\t{\"user\":\"u\",\r\n\"action\"\t:\"sell\",\n\"amount\":\r999999999\n}\r\n",
    };
    static const char *const declined[] = {
        WITH_USER("\"\""),
        WITH_USER("\"" U64 "x\""),
        WITH_USER("\"\\u00e9\""),
        WITH_USER("\"a\\\"b\""),
        WITH_USER("\"\xc0\xaf\""),
        WITH_USER("\"a\x7f\""),
        WITH_USER("\"a\tb\""),
        WITH_USER("5"),
        WITH_ACTION("\"b\\u0075y\""),
        WITH_ACTION("\"hold\""),
        WITH_AMOUNT("0"),
        WITH_AMOUNT("0123"),
        WITH_AMOUNT("1000000001"),
        WITH_AMOUNT("10000000000"),
        WITH_AMOUNT("1e3"),
        WITH_AMOUNT("100.0"),
        WITH_AMOUNT("5."),
        WITH_AMOUNT("-5"),
        WITH_AMOUNT("+5"),
        WITH_AMOUNT("\"5\""),
        "{\"amount\":7,\"action\":\"buy\",\"user\":\"carol\"}",
        "{\"user\":\"a\",\"user\":\"b\",\"action\":\"buy\",\"amount\":1}",
        "{\"user\":\"u\",\"action\":\"buy\",\"amount\":1,\"type\":\"x\"}",
        "{\"user\":\"u\",\x0b\"action\":\"sell\",\"amount\":5}",
        "\xef\xbb\xbf" VALID,
        VALID " x",
        VALID "\x0b",
        "{\"user\":\"u\",\"action\":\"buy\",\"amount\":1",
        "{\"user\":\"u\",\"action\":\"buy\",",
        "",
    };
    struct request req;
    for (size_t i = 0; i < ARRAY_LEN(taken); i++) {
        size_t len = strlen(taken[i]);
        ck_assert_msg(request_parse_fast(taken[i], len, &req), "not taken: %s", taken[i]);
        ck_assert_int_eq(req.kind, REQUEST_EVENT);
    }
    for (size_t i = 0; i < ARRAY_LEN(declined); i++) {
        size_t len = strlen(declined[i]);
        ck_assert_msg(!request_parse_fast(declined[i], len, &req), "taken: %s", declined[i]);
    }
}
END_TEST

static Suite *request_suite(void)
{
    Suite *s = suite_create("request");
    TCase *tc = tcase_create("request");
    tcase_add_loop_test(tc, test_parse_table, 0, (int)ARRAY_LEN(cases));
    tcase_add_test(tc, test_deep_nesting_is_invalid_json);
    tcase_add_test(tc, test_moderate_nesting_is_json);
    tcase_add_test(tc, test_line_of_4096_bytes);
    tcase_add_test(tc, test_event_delta);
    tcase_add_loop_test(tc, test_fast_path_agrees_on_table, 0, (int)ARRAY_LEN(cases));
    tcase_add_test(tc, test_fast_path_taken);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(request_suite)
