/* Balance queries (stages 07-10): what they answer for unknown, invalid
 * and escaped users, and after events. */
#include "harness_internal.h"

#include <stddef.h>

/* Sends request (no '\n') and expects reply, one line each way. */
struct exchange_line {
    const char *request, *reply;
};

static void expect_exchanges(struct client *c, const struct exchange_line *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        client_expect_reply(c, x[i].request, x[i].reply);
}

#define BALANCE_EVENT(user, action, amount)                                                        \
    "{\"user\":" user ",\"action\":\"" action "\",\"amount\":" amount "}"
#define QUOTES16 "\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\""
#define QUOTES64 "\"" QUOTES16 QUOTES16 QUOTES16 QUOTES16 "\"" /* a user of 64 '"' */
#define QUOTES65 "\"" QUOTES16 QUOTES16 QUOTES16 QUOTES16 "\\\"\""
#define BYTES64  "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\""

struct event_tally scenario_balance_queries(struct server *srv)
{
    static const struct exchange_line unknown_and_invalid[] = {
        {BALANCE_QUERY("\"alice\""), BALANCE_REPLY("\"alice\"", "0")},
        {BALANCE_QUERY("\"a\\\"b\\\\c\""), BALANCE_REPLY("\"a\\\"b\\\\c\"", "0")},
        {BALANCE_QUERY("\"caf\\u00e9\""), BALANCE_REPLY("\"caf\xc3\xa9\"", "0")},
        {BALANCE_QUERY("\"\\ud83d\\ude00\""), BALANCE_REPLY("\"\xf0\x9f\x98\x80\"", "0")},
        {BALANCE_QUERY("\"a\\/b\\u0041\""), BALANCE_REPLY("\"a/bA\"", "0")},
        {BALANCE_QUERY(QUOTES64), BALANCE_REPLY(QUOTES64, "0")},
        {BALANCE_QUERY(BYTES64), BALANCE_REPLY(BYTES64, "0")},
        {"{\"user\":\"alice\",\"type\":\"balance\",\"extra\":[1]}",
         BALANCE_REPLY("\"alice\"", "0")},
        {"{\"type\":\"balance\"}", REPLY_INVALID_EVENT},
        {BALANCE_QUERY("\"\""), REPLY_INVALID_EVENT},
        {BALANCE_QUERY(QUOTES65), REPLY_INVALID_EVENT},
        {BALANCE_QUERY("\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefg\""),
         REPLY_INVALID_EVENT}, /* 65 bytes */
        {BALANCE_QUERY("\"a\\u0000b\""), REPLY_INVALID_EVENT},
        {BALANCE_QUERY("\"a\\u001fb\""), REPLY_INVALID_EVENT},
        {BALANCE_QUERY("\"a\\u007fb\""), REPLY_INVALID_EVENT},
        {BALANCE_QUERY("\"\xff\""), REPLY_INVALID_EVENT},
        {BALANCE_QUERY("42"), REPLY_INVALID_EVENT},
        {BALANCE_QUERY("null"), REPLY_INVALID_EVENT},
        {BALANCE_QUERY("[\"alice\"]"), REPLY_INVALID_EVENT},
        {"{\"type\":\"Balance\",\"user\":\"alice\"}", REPLY_UNKNOWN_TYPE},
        {BALANCE_QUERY("\"alice\"") " x", REPLY_INVALID_JSON},
    };
    /* The same users written both ways: escaped, and as raw UTF-8. */
    static const char *const events[] = {
        BALANCE_EVENT("\"alice\"", "buy", "100"),
        BALANCE_EVENT("\"alice\"", "sell", "30"),
        BALANCE_EVENT("\"bob\"", "sell", "5"),
        BALANCE_EVENT("\"a\\\"b\\\\c\"", "buy", "7"),
        BALANCE_EVENT("\"caf\xc3\xa9\"", "buy", "3"),
        BALANCE_EVENT("\"caf\\u00e9\"", "buy", "4"),
        BALANCE_EVENT("\"\\ud83d\\ude00\"", "buy", "1000000000"),
        BALANCE_EVENT("\"\xf0\x9f\x98\x80\"", "buy", "1000000000"),
        BALANCE_EVENT(QUOTES64, "sell", "1"),
        BALANCE_EVENT("\"a\\/bA\"", "buy", "2"),
    };
    static const struct exchange_line balances[] = {
        {BALANCE_QUERY("\"alice\""), BALANCE_REPLY("\"alice\"", "70")},
        {BALANCE_QUERY("\"bob\""), BALANCE_REPLY("\"bob\"", "-5")},
        {BALANCE_QUERY("\"a\\\"b\\\\c\""), BALANCE_REPLY("\"a\\\"b\\\\c\"", "7")},
        {BALANCE_QUERY("\"caf\\u00e9\""), BALANCE_REPLY("\"caf\xc3\xa9\"", "7")},
        {BALANCE_QUERY("\"caf\xc3\xa9\""), BALANCE_REPLY("\"caf\xc3\xa9\"", "7")},
        {BALANCE_QUERY("\"\xf0\x9f\x98\x80\""),
         BALANCE_REPLY("\"\xf0\x9f\x98\x80\"", "2000000000")},
        {BALANCE_QUERY(QUOTES64), BALANCE_REPLY(QUOTES64, "-1")},
        {BALANCE_QUERY("\"a/bA\""), BALANCE_REPLY("\"a/bA\"", "2")},
        {BALANCE_QUERY("\"Alice\""), BALANCE_REPLY("\"Alice\"", "0")},
        {"{\"type\":\"balance\",\"user\":\"alice\",\"user\":\"bob\"}",
         BALANCE_REPLY("\"alice\"", "70")}, /* the first key wins */
    };
    static struct client c;
    client_connect(&c, srv->port);
    expect_exchanges(&c, unknown_and_invalid,
                     sizeof unknown_and_invalid / sizeof *unknown_and_invalid);
    const size_t nevents = sizeof events / sizeof *events;
    for (size_t i = 0; i < nevents; i++)
        client_expect_reply(&c, events[i], REPLY_ACCEPTED);
    server_wait_processed(srv, nevents);
    expect_exchanges(&c, balances, sizeof balances / sizeof *balances);
    client_close(&c);
    return (struct event_tally){.accepted = nevents};
}
