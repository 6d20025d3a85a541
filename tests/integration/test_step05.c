/* step05_channel: step04 with a bounded queue between the event loop and one
 * processor thread. Events are answered accepted or server_busy at once; the
 * balances are seen through the processor's debug log ("balance of 'U' is
 * now N" per applied event, "queue empty: N events processed" whenever it
 * finds the queue empty). */
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define SERVER "step05_channel"

#define EVENT(user, action, amount)                                                                \
    "{\"user\":" user ",\"action\":" action ",\"amount\":" amount "}"

/*** a conversation ***/

struct exchange {
    const char *request;
    const char *reply;
};

static const struct exchange conversation[] = {
    {EVENT("\"alice\"", "\"buy\"", "100"), REPLY_ACCEPTED},
    {EVENT("\"alice\"", "\"sell\"", "30"), REPLY_ACCEPTED},
    {EVENT("\"bob\"", "\"sell\"", "5"), REPLY_ACCEPTED},
    {EVENT("\"al\"", "\"buy\"", "1000000000"), REPLY_ACCEPTED},
    {EVENT("\"alice\"", "\"sell\"", "1e2"), REPLY_ACCEPTED},
    {"{\"user\":\"bob\",\"user\":\"alice\",\"action\":\"buy\",\"amount\":2}", REPLY_ACCEPTED},
    {"garbage", REPLY_INVALID_JSON},
    {EVENT("\"alice\"", "\"buy\"", "1") "x", REPLY_INVALID_JSON},
    {"{}", REPLY_INVALID_EVENT},
    {EVENT("\"alice\"", "\"buy\"", "0"), REPLY_INVALID_EVENT},
    {EVENT("\"alice\"", "\"buy\"", "1000000001"), REPLY_INVALID_EVENT},
    {EVENT("\"a\\u0000b\"", "\"buy\"", "1"), REPLY_INVALID_EVENT},
    {"{\"type\":\"balance\",\"user\":\"alice\"}", REPLY_UNKNOWN_TYPE},
    {"{\"type\":\"metrics\"}", REPLY_UNKNOWN_TYPE},
    {EVENT("\"carol\"", "\"sell\"", "7"), REPLY_ACCEPTED},
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
        accepted += strcmp(conversation[i].reply, REPLY_ACCEPTED) == 0;
    }
    server_wait_processed(&srv, accepted);

    ck_assert_uint_eq(server_logged_updates(&srv), accepted);
    ck_assert_int_eq(server_logged_balance(&srv, "alice"), -30);
    ck_assert_int_eq(server_logged_balance(&srv, "bob"), -3);
    ck_assert_int_eq(server_logged_balance(&srv, "al"), 1000000000);
    ck_assert_int_eq(server_logged_balance(&srv, "carol"), -7);

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
        event_append(lines, sizeof lines, &len, users[i % USERS], delta_of(i));
        want[i % USERS] += delta_of(i);
    }
    client_send_all(&c, lines, len); /* one write */
    ck_assert_uint_eq(client_read_tally(&c, MANY_EVENTS).accepted, MANY_EVENTS);

    server_wait_processed(&srv, MANY_EVENTS);
    ck_assert_uint_eq(server_logged_updates(&srv), MANY_EVENTS);
    for (size_t u = 0; u < USERS; u++)
        ck_assert_int_eq(server_logged_balance(&srv, users[u]), want[u]);

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
    client_expect_reply(&other, "garbage", REPLY_INVALID_JSON); /* accepted and served */

    size_t accepted = client_send_bulk(&bulk, "bulk", SLOW_EVENTS).accepted;

    client_expect_reply(&other, "garbage", REPLY_INVALID_JSON);
    client_expect_reply(&other, "{\"type\":\"balance\",\"user\":\"bulk\"}", REPLY_UNKNOWN_TYPE);
    size_t processed = server_logged_updates(&srv);
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
    harness_add_line_tests(tc, SERVER, HARNESS_JSON);
    harness_add_shared_tests(tc, SERVER, HARNESS_JSON);
    harness_add_background_threads_test(tc, SERVER, "processor");
    harness_add_overload_test(tc, SERVER, NULL);
    tcase_add_test(tc, test_conversation);
    tcase_add_test(tc, test_big_queue_accepts_everything);
    tcase_add_test(tc, test_event_loop_never_waits);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return harness_run(step05_suite());
}
