/* step04_single: step03 plus balances in memory, applied inline on the
 * event-loop thread, each event answered with the user's new balance. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

#define SERVER     "step04_single"
#define BALANCE(n) "{\"status\":\"ok\",\"balance\":" #n "}"
#define T          HARNESS_REPLY_TIMEOUT_MS

#define EVENT(user, action, amount)                                                                \
    "{\"user\":" user ",\"action\":" action ",\"amount\":" amount "}"

/*** helpers ***/

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The event line (with '\n') that adds delta to user's balance. */
static int format_event(char *buf, size_t cap, const char *user, long long delta)
{
    return snprintf(buf, cap, "{\"user\":\"%s\",\"action\":\"%s\",\"amount\":%lld}\n", user,
                    delta >= 0 ? "buy" : "sell", delta >= 0 ? delta : -delta);
}

/* Fails the test unless the next reply is the balance want. */
static void expect_balance(struct client *c, long long want)
{
    char line[64];
    snprintf(line, sizeof line, "{\"status\":\"ok\",\"balance\":%lld}", want);
    client_expect_line(c, line, T);
}

/* The balance in the next reply, which must be {"status":"ok","balance":N}. */
static long long read_balance(struct client *c)
{
    char got[256], again[64];
    ck_assert_int_ge(client_read_line(c, got, sizeof got, T), 0);
    long long balance = 0;
    int matched = sscanf(got, "{\"status\":\"ok\",\"balance\":%lld}", &balance);
    snprintf(again, sizeof again, "{\"status\":\"ok\",\"balance\":%lld}", balance);
    ck_assert_msg(matched == 1 && strcmp(got, again) == 0, "not a balance reply: %s", got);
    return balance;
}

/*** a conversation ***/

struct exchange {
    const char *request;
    const char *reply;
};

static const struct exchange conversation[] = {
    /* balances start at 0, buy adds, sell subtracts, below zero is fine */
    {EVENT("\"alice\"", "\"buy\"", "100"), BALANCE(100)},
    {EVENT("\"alice\"", "\"sell\"", "30"), BALANCE(70)},
    {EVENT("\"bob\"", "\"sell\"", "5"), BALANCE(-5)},
    {EVENT("\"alice\"", "\"sell\"", "100"), BALANCE(-30)},
    {"{\"amount\":7,\"action\":\"buy\",\"user\":\"bob\"}", BALANCE(2)},
    {EVENT("\"alice\"", "\"buy\"", "1000000000"), BALANCE(999999970)},
    {EVENT("\"alice\"", "\"buy\"", "100.0"), BALANCE(1000000070)},
    {EVENT("\"alice\"", "\"sell\"", "1e2"), BALANCE(999999970)},
    /* a user is every byte of the name, after unescaping */
    {EVENT("\"al\"", "\"buy\"", "1"), BALANCE(1)},
    {EVENT("\"alice2\"", "\"buy\"", "2"), BALANCE(2)},
    {EVENT("\"Alice\"", "\"buy\"", "3"), BALANCE(3)},
    {EVENT("\"caf\xc3\xa9\"", "\"buy\"", "3"), BALANCE(3)},
    {EVENT("\"caf\\u00e9\"", "\"buy\"", "4"), BALANCE(7)},
    {EVENT("\"0123456789012345678901234567890123456789012345678901234567890123\"", "\"buy\"", "9"),
     BALANCE(9)}, /* 64 bytes */
    /* other keys are ignored; with duplicate keys the first wins */
    {"{\"user\":\"bob\",\"action\":\"buy\",\"amount\":1,\"balance\":1000}", BALANCE(3)},
    {"{\"user\":\"bob\",\"action\":\"buy\",\"amount\":1,\"amount\":50}", BALANCE(4)},
    {"{\"user\":\"bob\",\"user\":\"alice\",\"action\":\"sell\",\"amount\":4}", BALANCE(0)},

    /* errors as in stage 03, and none of them changes a balance */
    {"garbage", REPLY_INVALID_JSON},
    {EVENT("\"alice\"", "\"buy\"", "1") " trailing", REPLY_INVALID_JSON},
    {EVENT("\"alice\"", "\"buy\"", "NaN"), REPLY_INVALID_JSON},
    {"[1]", REPLY_INVALID_EVENT},
    {"{}", REPLY_INVALID_EVENT},
    {EVENT("\"alice\"", "\"hold\"", "1"), REPLY_INVALID_EVENT},
    {EVENT("\"alice\"", "\"buy\"", "0"), REPLY_INVALID_EVENT},
    {EVENT("\"alice\"", "\"sell\"", "-1"), REPLY_INVALID_EVENT},
    {EVENT("\"alice\"", "\"buy\"", "1.5"), REPLY_INVALID_EVENT},
    {EVENT("\"alice\"", "\"buy\"", "1000000001"), REPLY_INVALID_EVENT},
    {EVENT("\"alice\"", "\"buy\"", "\"5\""), REPLY_INVALID_EVENT},
    {EVENT("\"\"", "\"buy\"", "1"), REPLY_INVALID_EVENT},
    {EVENT("\"a\\u0000b\"", "\"buy\"", "1"), REPLY_INVALID_EVENT},
    {EVENT("\"01234567890123456789012345678901234567890123456789012345678901234\"", "\"buy\"", "1"),
     REPLY_INVALID_EVENT}, /* 65 bytes */
    /* no command yet: a balance query is still an unknown type */
    {"{\"type\":\"balance\",\"user\":\"alice\"}", REPLY_UNKNOWN_TYPE},
    {"{\"type\":\"metrics\"}", REPLY_UNKNOWN_TYPE},
    {"{\"type\":\"health\"}", REPLY_UNKNOWN_TYPE},
    {"{\"type\":1,\"user\":\"alice\",\"action\":\"buy\",\"amount\":1}", REPLY_UNKNOWN_TYPE},

    {EVENT("\"alice\"", "\"buy\"", "1"), BALANCE(999999971)},
    {EVENT("\"bob\"", "\"sell\"", "1"), BALANCE(-1)},
    {EVENT("\"al\"", "\"sell\"", "1"), BALANCE(0)},
};

START_TEST(test_conversation)
{
    struct server srv;
    struct client c, other;
    server_start(&srv, SERVER, NULL);
    client_connect(&c, srv.port);

    for (size_t i = 0; i < sizeof conversation / sizeof conversation[0]; i++)
        client_expect_reply(&c, conversation[i].request, conversation[i].reply);

    /* The balances belong to the server, not to the connection. */
    client_connect(&other, srv.port);
    client_expect_reply(&other, EVENT("\"alice\"", "\"buy\"", "29"), BALANCE(1000000000));
    client_close(&c);
    client_close(&other);
    server_stop(&srv);
}
END_TEST

START_TEST(test_line_too_long_changes_nothing)
{
    struct server srv;
    struct client c;
    server_start(&srv, SERVER, "--max-line", "64", NULL);
    client_connect(&c, srv.port);

    /* 65 bytes twice, then 64: only the last one counts. */
    client_send_str(
        &c, "{\"user\":\"ann\",\"action\":\"buy\",\"amount\":1,\"pad\":\"0123456789abcdef\"}\n"
            "{\"user\":\"ann\",\"action\":\"buy\",\"amount\":2,\"pad\":\"0123456789abcdef\"}\n"
            "{\"user\":\"ann\",\"action\":\"buy\",\"amount\":4,\"pad\":\"0123456789abcde\"}\n");
    client_expect_line(&c, REPLY_LINE_TOO_LONG, T);
    client_expect_line(&c, REPLY_LINE_TOO_LONG, T);
    client_expect_line(&c, BALANCE(4), T);

    client_close(&c);
    server_stop(&srv);
}
END_TEST

/*** two clients, one user ***/

#define PER_CLIENT 300
#define CHUNK      10 /* events per write; the clients take turns */

/* Client a buys 1, 3, 5, ...; client b sells 2, 5, 8, ... */
static long long delta_a(size_t i)
{
    return 2 * (long long)i + 1;
}

static long long delta_b(size_t i)
{
    return -(3 * (long long)i + 2);
}

static void send_chunk(struct client *c, size_t from, long long (*delta)(size_t))
{
    char buf[CHUNK * 80];
    size_t len = 0;
    for (size_t i = from; i < from + CHUNK; i++)
        len += (size_t)format_event(buf + len, sizeof buf - len, "shared", delta(i));
    client_send_all(c, buf, len);
}

/* Both clients pipeline events on one user, interleaved in the server in an
 * order the test does not know. Each reply must be the running balance in
 * some order of application that keeps each client's own order: the
 * replies a[], b[] must be explained by an interleaving where, after i of
 * a's and j of b's events, the balance is sum_a(i) + sum_b(j). */
START_TEST(test_two_clients_one_user)
{
    struct server srv;
    struct client a, b, c;
    server_start(&srv, SERVER, NULL);
    client_connect(&a, srv.port);
    client_connect(&b, srv.port);

    /* Each client keeps a chunk in flight while the other sends: replies
     * are read a chunk late. */
    static long long got_a[PER_CLIENT], got_b[PER_CLIENT];
    for (size_t from = 0; from <= PER_CLIENT; from += CHUNK) {
        if (from < PER_CLIENT) {
            send_chunk(&a, from, delta_a);
            send_chunk(&b, from, delta_b);
        }
        for (size_t i = from >= CHUNK ? from - CHUNK : from; i < from; i++) {
            got_a[i] = read_balance(&a);
            got_b[i] = read_balance(&b);
        }
    }
    static long long sum_a[PER_CLIENT + 1], sum_b[PER_CLIENT + 1];
    for (size_t i = 0; i < PER_CLIENT; i++) {
        sum_a[i + 1] = sum_a[i] + delta_a(i);
        sum_b[i + 1] = sum_b[i] + delta_b(i);
    }

    /* reached[i][j]: the first i replies of a and j of b fit one interleaving. */
    static bool reached[PER_CLIENT + 1][PER_CLIENT + 1];
    memset(reached, 0, sizeof reached);
    reached[0][0] = true;
    for (size_t i = 0; i <= PER_CLIENT; i++) {
        for (size_t j = 0; j <= PER_CLIENT; j++) {
            long long balance = sum_a[i] + sum_b[j];
            if (i > 0 && reached[i - 1][j] && got_a[i - 1] == balance)
                reached[i][j] = true;
            if (j > 0 && reached[i][j - 1] && got_b[j - 1] == balance)
                reached[i][j] = true;
        }
    }
    ck_assert_msg(reached[PER_CLIENT][PER_CLIENT],
                  "the replies are not the running balances of any interleaving");
    /* How interleaved a fitting order is: its switches between a and b. */
    size_t switches = 0;
    int last = -1;
    for (size_t i = PER_CLIENT, j = PER_CLIENT; i + j > 0;) {
        int from_a = i > 0 && reached[i - 1][j] && got_a[i - 1] == sum_a[i] + sum_b[j];
        if (last >= 0 && from_a != last)
            switches++;
        last = from_a;
        if (from_a)
            i--;
        else
            j--;
    }
    fprintf(stderr, "step04: two clients' %d events each, applied with %zu switches between them\n",
            PER_CLIENT, switches);

    /* The final balance is the sum of both, for anyone. */
    client_connect(&c, srv.port);
    char line[128];
    format_event(line, sizeof line, "shared", 1);
    client_send_str(&c, line);
    expect_balance(&c, sum_a[PER_CLIENT] + sum_b[PER_CLIENT] + 1);

    client_close(&a);
    client_close(&b);
    client_close(&c);
    server_stop(&srv);
}
END_TEST

/*** the pain: one stream delays every client ***/

#define WORK_US      2000
#define BACKLOG      200
#define ALONE_PROBES 5

/* Sends one event from c and returns how long its reply took, in us. */
static long long probe_us(struct client *c, long long want)
{
    char line[128];
    format_event(line, sizeof line, "probe", 1);
    long long start = now_us();
    client_send_str(c, line);
    expect_balance(c, want);
    return now_us() - start;
}

/* With --work-us 2000, a single event waits behind another client's 200
 * pipelined events (400 ms of work on the one thread), measured against the
 * same event on the idle server. */
START_TEST(test_backlog_delays_other_clients)
{
    struct server srv;
    struct client probe, bulk;
    char work[16];
    snprintf(work, sizeof work, "%d", WORK_US);
    server_start(&srv, SERVER, "--work-us", work, NULL);
    client_connect(&probe, srv.port);
    client_connect(&bulk, srv.port);

    /* Both connections are accepted and served before anything is measured. */
    char line[128];
    format_event(line, sizeof line, "bulk", 1);
    client_send_str(&bulk, line);
    expect_balance(&bulk, 1);

    long long alone = -1, probes = 0;
    for (int i = 0; i < ALONE_PROBES; i++) {
        long long us = probe_us(&probe, ++probes);
        if (alone < 0 || us < alone)
            alone = us;
    }

    /* The backlog in one write, then probes one after another until the
     * backlog is answered. Which of two clients that are ready together the
     * server serves first is up to epoll, so a probe may slip in before the
     * backlog; the next one cannot, and waits. The longest probe counts. */
    static char backlog[BACKLOG * 64];
    size_t len = 0;
    for (int i = 0; i < BACKLOG; i++)
        len += (size_t)format_event(backlog + len, sizeof backlog - len, "bulk", 1);
    client_send_all(&bulk, backlog, len);
    long long behind = 0;
    int answered = 0; /* of the backlog */
    while (answered < BACKLOG) {
        ck_assert_msg(probes < ALONE_PROBES + BACKLOG, "%lld probes, %d of %d backlog replies",
                      probes, answered, BACKLOG);
        long long us = probe_us(&probe, ++probes);
        if (us > behind)
            behind = us;
        char got[128], want[64];
        while (answered < BACKLOG && client_read_line(&bulk, got, sizeof got, 0) >= 0) {
            snprintf(want, sizeof want, "{\"status\":\"ok\",\"balance\":%d}", 2 + answered++);
            ck_assert_str_eq(got, want);
        }
    }

    fprintf(stderr,
            "step04: one event took %lld us alone, up to %lld us (%lld probes) behind %d events "
            "of %d us\n",
            alone, behind, probes - ALONE_PROBES, BACKLOG, WORK_US);
    ck_assert_msg(behind > alone, "behind a backlog: %lld us, alone: %lld us", behind, alone);
    /* Behind 200 events, each as much work as the probe's own, a probe
     * waits for far more than one event's time: a tenth of the backlog is
     * a margin for a machine that is busy with other things too. */
    ck_assert_msg(behind >= BACKLOG / 20 * alone,
                  "behind a backlog of %d events: %lld us, alone: %lld us", BACKLOG, behind, alone);

    client_close(&probe);
    client_close(&bulk);
    server_stop(&srv);
}
END_TEST

/*** a client that never reads ***/

#define FLOOD_LINE     EVENT("\"flood\"", "\"buy\"", "1") "\n"
#define FLOOD_MAX      ((size_t)100 << 20)
#define MAX_GROWTH_KIB (8 * 1024)

/* scenario_slow_reader() with the flooder's replies being its running
 * balance (1, 2, 3, ...) rather than one fixed line: the server caps the
 * unread output and stops reading the flooder, others are served meanwhile,
 * memory stays bounded, and once the flooder reads, every line it sent is
 * answered. */
START_TEST(test_client_that_never_reads)
{
    struct server srv;
    struct client other, flooder;
    server_start(&srv, SERVER, NULL);
    client_connect(&other, srv.port);
    client_connect(&flooder, srv.port);
    client_expect_reply(&other, REQUEST_UNKNOWN_TYPE, REPLY_UNKNOWN_TYPE);
    long rss_before = server_rss_kib(&srv);

    size_t sent = client_flood_until_stopped(&flooder, FLOOD_LINE, FLOOD_MAX);

    client_expect_reply(&other, REQUEST_UNKNOWN_TYPE, REPLY_UNKNOWN_TYPE);
    long growth = server_check_rss_growth(&srv, rss_before, MAX_GROWTH_KIB);
    fprintf(stderr, "step04: a client that never reads sent %zu bytes; RSS grew by %ld KiB\n", sent,
            growth);

    /* Every complete line is answered once the flooder reads; then the rest
     * of the last line, cut anywhere, completes it. */
    const size_t line_len = strlen(FLOOD_LINE);
    size_t lines = sent / line_len, rest = (line_len - sent % line_len) % line_len;
    for (size_t i = 1; i <= lines; i++)
        expect_balance(&flooder, (long long)i);
    if (rest > 0) {
        client_send_all(&flooder, FLOOD_LINE + line_len - rest, rest);
        expect_balance(&flooder, (long long)++lines);
    }
    client_expect_reply(&other, REQUEST_UNKNOWN_TYPE, REPLY_UNKNOWN_TYPE);
    client_close(&flooder);
    client_send_str(&other, EVENT("\"flood\"", "\"sell\"", "1") "\n");
    expect_balance(&other, (long long)lines - 1);

    client_close(&other);
    server_stop(&srv);
}
END_TEST

static Suite *step04_suite(void)
{
    Suite *s = suite_create("step04_single");
    TCase *tc = harness_tcase("single");
    harness_add_line_tests(tc, SERVER, HARNESS_JSON);
    harness_add_shared_tests(tc, SERVER, HARNESS_JSON);
    tcase_add_test(tc, test_conversation);
    tcase_add_test(tc, test_line_too_long_changes_nothing);
    tcase_add_test(tc, test_two_clients_one_user);
    tcase_add_test(tc, test_backlog_delays_other_clients);
    tcase_add_test(tc, test_client_that_never_reads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return harness_run(step04_suite());
}
