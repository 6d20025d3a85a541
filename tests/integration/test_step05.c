/* step05_channel: step04 with a bounded queue between the event loop and one
 * processor thread. Events are answered accepted or server_busy at once; the
 * balances are seen through the processor's debug log ("balance of 'U' is
 * now N" per applied event, "queue empty: N events processed" whenever it
 * finds the queue empty). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define SERVER        "step05_channel"
#define ACCEPTED      "{\"status\":\"accepted\"}"
#define SERVER_BUSY   "{\"status\":\"rejected\",\"reason\":\"server_busy\"}"
#define INVALID_JSON  "{\"status\":\"error\",\"reason\":\"invalid_json\"}"
#define INVALID_EVENT "{\"status\":\"error\",\"reason\":\"invalid_event\"}"
#define UNKNOWN_TYPE  "{\"status\":\"error\",\"reason\":\"unknown_type\"}"
#define T             HARNESS_REPLY_TIMEOUT_MS

#define EVENT(user, action, amount)                                                                \
    "{\"user\":" user ",\"action\":" action ",\"amount\":" amount "}"

/*** helpers ***/

/* Appends the event line (with '\n') that adds delta to user's balance. */
static void add_event(char *buf, size_t cap, size_t *len, const char *user, long long delta)
{
    int n =
        snprintf(buf + *len, cap - *len, "{\"user\":\"%s\",\"action\":\"%s\",\"amount\":%lld}\n",
                 user, delta >= 0 ? "buy" : "sell", delta >= 0 ? delta : -delta);
    ck_assert(n > 0 && (size_t)n < cap - *len);
    *len += (size_t)n;
}

/* Reads n replies, each accepted or server_busy; returns how many were accepted. */
static size_t count_accepted(struct client *c, size_t n)
{
    char got[256];
    size_t accepted = 0;
    for (size_t i = 0; i < n; i++) {
        int len = client_read_line(c, got, sizeof got, T);
        ck_assert_msg(len >= 0, "reply %zu of %zu: none", i, n);
        if (strcmp(got, ACCEPTED) == 0)
            accepted++;
        else
            ck_assert_msg(strcmp(got, SERVER_BUSY) == 0, "reply %zu of %zu: %s", i, n, got);
    }
    return accepted;
}

/* Reads the server's log so far: returns the number of lines holding
 * needle, and stores in *last (if not NULL) the number after needle on the
 * last of them (0 if there is none). */
static size_t scan_log(struct server *srv, const char *needle, long long *last)
{
    FILE *f = fopen(srv->log_path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", srv->log_path);
    char line[1024];
    size_t count = 0;
    if (last)
        *last = 0;
    while (fgets(line, sizeof line, f)) {
        const char *found = strstr(line, needle);
        if (!found)
            continue;
        count++;
        if (last) {
            char *end;
            *last = strtoll(found + strlen(needle), &end, 10);
            ck_assert_msg(*end == '\n', "unexpected log line: %s", line);
        }
    }
    fclose(f);
    return count;
}

/* Events applied so far, as the log shows them. */
static size_t logged_updates(struct server *srv)
{
    return scan_log(srv, "balance of '", NULL);
}

/* The balance of user after the last update the log shows (0 if none). */
static long long logged_balance(struct server *srv, const char *user)
{
    char needle[128];
    snprintf(needle, sizeof needle, "balance of '%s' is now ", user);
    long long balance;
    scan_log(srv, needle, &balance);
    return balance;
}

/*** a conversation ***/

struct exchange {
    const char *request;
    const char *reply;
};

static const struct exchange conversation[] = {
    {EVENT("\"alice\"", "\"buy\"", "100"), ACCEPTED},
    {EVENT("\"alice\"", "\"sell\"", "30"), ACCEPTED},
    {EVENT("\"bob\"", "\"sell\"", "5"), ACCEPTED},
    {EVENT("\"al\"", "\"buy\"", "1000000000"), ACCEPTED},
    {EVENT("\"alice\"", "\"sell\"", "1e2"), ACCEPTED},
    {"{\"user\":\"bob\",\"user\":\"alice\",\"action\":\"buy\",\"amount\":2}", ACCEPTED},
    {"garbage", INVALID_JSON},
    {EVENT("\"alice\"", "\"buy\"", "1") "x", INVALID_JSON},
    {"{}", INVALID_EVENT},
    {EVENT("\"alice\"", "\"buy\"", "0"), INVALID_EVENT},
    {EVENT("\"alice\"", "\"buy\"", "1000000001"), INVALID_EVENT},
    {EVENT("\"a\\u0000b\"", "\"buy\"", "1"), INVALID_EVENT},
    {"{\"type\":\"balance\",\"user\":\"alice\"}", UNKNOWN_TYPE},
    {"{\"type\":\"metrics\"}", UNKNOWN_TYPE},
    {EVENT("\"carol\"", "\"sell\"", "7"), ACCEPTED},
};

/* Errors as in stage 03, events accepted, and the processor applies exactly
 * the accepted ones. */
START_TEST(test_conversation)
{
    struct server srv;
    struct client c;
    server_start(&srv, SERVER, "--log-level", "debug", NULL);
    client_connect(&c, srv.port);

    size_t accepted = 0;
    for (size_t i = 0; i < sizeof conversation / sizeof conversation[0]; i++) {
        client_expect_reply(&c, conversation[i].request, conversation[i].reply);
        accepted += strcmp(conversation[i].reply, ACCEPTED) == 0;
    }
    server_wait_processed(&srv, accepted);

    ck_assert_uint_eq(logged_updates(&srv), accepted);
    ck_assert_int_eq(logged_balance(&srv, "alice"), -30);
    ck_assert_int_eq(logged_balance(&srv, "bob"), -3);
    ck_assert_int_eq(logged_balance(&srv, "al"), 1000000000);
    ck_assert_int_eq(logged_balance(&srv, "carol"), -7);

    client_close(&c);
    server_stop(&srv);
}
END_TEST

/*** overload ***/

#define OVERLOAD 200

/* A queue of 4 and 2 ms of work per event: 200 pipelined events overflow it.
 * Every reply is accepted or server_busy, some of each; the processor
 * applies the accepted ones and nothing else. */
START_TEST(test_overload_is_rejected)
{
    struct server srv;
    struct client c;
    server_start(&srv, SERVER, "--queue-cap", "4", "--work-us", "2000", "--log-level", "debug",
                 NULL);
    client_connect(&c, srv.port);

    static char lines[OVERLOAD * 64];
    size_t len = 0;
    for (int i = 0; i < OVERLOAD; i++)
        add_event(lines, sizeof lines, &len, "bulk", 1);
    client_send_all(&c, lines, len); /* one write */
    size_t accepted = count_accepted(&c, OVERLOAD);
    fprintf(stderr, "step05: %zu of %d accepted, %zu server_busy\n", accepted, OVERLOAD,
            OVERLOAD - accepted);
    ck_assert_uint_ge(accepted, 4); /* the queue's room, at least */
    ck_assert_uint_lt(accepted, OVERLOAD);

    /* processed == accepted once the queue drains; then one more event, and
     * once that one is processed too, everything before it is in the log. */
    server_wait_processed(&srv, accepted);
    client_expect_reply(&c, EVENT("\"last\"", "\"buy\"", "1"), ACCEPTED);
    server_wait_processed(&srv, accepted + 1);
    ck_assert_uint_eq(scan_log(&srv, "balance of 'bulk'", NULL), accepted);
    ck_assert_int_eq(logged_balance(&srv, "bulk"), (long long)accepted);
    ck_assert_int_eq(logged_balance(&srv, "last"), 1);

    client_close(&c);
    server_stop(&srv);
}
END_TEST

#define MANY_EVENTS 5000

static const char *const users[] = {"ann", "ben", "cat", "dan", "eve"};
#define USERS (sizeof users / sizeof users[0])

/* The delta of event i: mixed buys and sells over a few users. */
static long long delta_of(size_t i)
{
    long long amount = 1 + (long long)(i * 7919 % 1000);
    return i % 3 == 2 ? -amount : amount;
}

/* With room in the queue and no work, every event is accepted and applied. */
START_TEST(test_big_queue_accepts_everything)
{
    struct server srv;
    struct client c;
    server_start(&srv, SERVER, "--queue-cap", "100000", "--log-level", "debug", NULL);
    client_connect(&c, srv.port);

    static char lines[MANY_EVENTS * 64];
    long long want[USERS] = {0};
    size_t len = 0;
    for (size_t i = 0; i < MANY_EVENTS; i++) {
        add_event(lines, sizeof lines, &len, users[i % USERS], delta_of(i));
        want[i % USERS] += delta_of(i);
    }
    client_send_all(&c, lines, len); /* one write */
    ck_assert_uint_eq(count_accepted(&c, MANY_EVENTS), MANY_EVENTS);

    server_wait_processed(&srv, MANY_EVENTS);
    ck_assert_uint_eq(logged_updates(&srv), MANY_EVENTS);
    for (size_t u = 0; u < USERS; u++)
        ck_assert_int_eq(logged_balance(&srv, users[u]), want[u]);

    client_close(&c);
    server_stop(&srv);
}
END_TEST

/*** the event loop never waits for the work ***/

#define SLOW_WORK_US "20000"
#define SLOW_CAP     256
#define SLOW_EVENTS  600

/* A queue of 256 events of 20 ms each: over 5 s of work, and 344 more events
 * that do not fit. While the processor grinds through it, the event loop
 * answers the whole backlog and another client at once: when the other
 * client has its replies, the processor has done at most a quarter of the
 * queue. An event loop that waited for room, or for the work, would answer
 * only after hundreds of events were processed. */
START_TEST(test_event_loop_never_waits)
{
    struct server srv;
    struct client bulk, other;
    char cap[16];
    snprintf(cap, sizeof cap, "%d", SLOW_CAP);
    server_start(&srv, SERVER, "--queue-cap", cap, "--work-us", SLOW_WORK_US, "--log-level",
                 "debug", NULL);
    client_connect(&bulk, srv.port);
    client_connect(&other, srv.port);
    client_expect_reply(&other, "garbage", INVALID_JSON); /* accepted and served */

    static char lines[SLOW_EVENTS * 64];
    size_t len = 0;
    for (int i = 0; i < SLOW_EVENTS; i++)
        add_event(lines, sizeof lines, &len, "bulk", 1);
    client_send_all(&bulk, lines, len);
    size_t accepted = count_accepted(&bulk, SLOW_EVENTS);

    client_expect_reply(&other, "garbage", INVALID_JSON);
    client_expect_reply(&other, "{\"type\":\"balance\",\"user\":\"bulk\"}", UNKNOWN_TYPE);
    size_t processed = logged_updates(&srv);
    fprintf(stderr, "step05: %zu of %d accepted; %zu processed when the other client was served\n",
            accepted, SLOW_EVENTS, processed);
    ck_assert_uint_ge(accepted, SLOW_CAP);
    ck_assert_uint_lt(accepted, SLOW_EVENTS);
    ck_assert_msg(processed <= accepted / 4,
                  "the other client was served after %zu of %zu events were processed", processed,
                  accepted);

    client_close(&bulk);
    client_close(&other);
    server_stop(&srv);
}
END_TEST

static Suite *step05_suite(void)
{
    Suite *s = suite_create("step05_channel");
    TCase *tc = harness_tcase("channel");
    tcase_add_test(tc, test_conversation);
    tcase_add_test(tc, test_overload_is_rejected);
    tcase_add_test(tc, test_big_queue_accepts_everything);
    tcase_add_test(tc, test_event_loop_never_waits);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return harness_run(step05_suite());
}
