/* step06_workers: step05 with --workers threads sharing the queue and the
 * balances. The balances are seen through the workers' debug log: "balance
 * of 'U' is now N" is written under the balances mutex, so the log shows the
 * updates in the order they happened, and "queue empty: N events processed"
 * whenever a worker finds the queue empty. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define SERVER       "step06_workers"
#define ACCEPTED     "{\"status\":\"accepted\"}"
#define SERVER_BUSY  "{\"status\":\"rejected\",\"reason\":\"server_busy\"}"
#define UNKNOWN_TYPE "{\"status\":\"error\",\"reason\":\"unknown_type\"}"
#define T            HARNESS_REPLY_TIMEOUT_MS

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

/*** exact balances under concurrency ***/

#define CONNS         8
#define PER_CONN      2000
#define CHUNK         100 /* events per write; the connections take turns */
#define EVENT_MAX_LEN 80 /* bytes of one event line, at most */

static const char *const users[] = {"ann", "ben", "cat", "dan"};
#define USERS (sizeof users / sizeof users[0])

/* Event i of connection c: mostly buys, every third a sell, over all users. */
static const char *user_of(int c, size_t i)
{
    return users[((size_t)c + i) % USERS];
}

static long long delta_of(int c, size_t i)
{
    long long amount = 1 + (long long)(((size_t)c * 7919 + i * 104729) % 1000000);
    return i % 3 == 2 ? -amount : amount;
}

/* Four workers, eight connections, 16000 events on four users: every event
 * is accepted, processed once, and the final balances are exact. Without
 * the balances mutex, updates are lost (or the table breaks). */
START_TEST(test_exact_balances_under_concurrency)
{
    struct server srv;
    static struct client conns[CONNS];
    server_start(&srv, SERVER, "--workers", "4", "--queue-cap", "100000", "--log-level", "debug",
                 NULL);
    for (int c = 0; c < CONNS; c++)
        client_connect(&conns[c], srv.port);

    long long want[USERS] = {0};
    static char lines[CHUNK * EVENT_MAX_LEN];
    for (size_t from = 0; from < PER_CONN; from += CHUNK) {
        for (int c = 0; c < CONNS; c++) {
            size_t len = 0;
            for (size_t i = from; i < from + CHUNK; i++) {
                add_event(lines, sizeof lines, &len, user_of(c, i), delta_of(c, i));
                want[((size_t)c + i) % USERS] += delta_of(c, i);
            }
            client_send_all(&conns[c], lines, len);
        }
    }
    for (int c = 0; c < CONNS; c++)
        ck_assert_uint_eq(count_accepted(&conns[c], PER_CONN), PER_CONN);

    server_wait_processed(&srv, CONNS * PER_CONN);
    ck_assert_uint_eq(logged_updates(&srv), CONNS * PER_CONN);
    for (size_t u = 0; u < USERS; u++) {
        long long got = logged_balance(&srv, users[u]);
        ck_assert_msg(got == want[u], "%s: %lld, not %lld", users[u], got, want[u]);
    }

    for (int c = 0; c < CONNS; c++)
        client_close(&conns[c]);
    server_stop(&srv);
}
END_TEST

/*** overload ***/

#define OVERLOAD 200

/* With two workers, a queue of 4 and 2 ms of work per event, 200 pipelined
 * events overflow the queue: every reply is accepted or server_busy, and the
 * workers apply the accepted ones and nothing else. */
START_TEST(test_overload_is_rejected)
{
    struct server srv;
    struct client c;
    server_start(&srv, SERVER, "--workers", "2", "--queue-cap", "4", "--work-us", "2000",
                 "--log-level", "debug", NULL);
    client_connect(&c, srv.port);

    static char lines[OVERLOAD * 64];
    size_t len = 0;
    for (int i = 0; i < OVERLOAD; i++)
        add_event(lines, sizeof lines, &len, "bulk", 1);
    client_send_all(&c, lines, len); /* one write */
    size_t accepted = count_accepted(&c, OVERLOAD);
    fprintf(stderr, "step06: %zu of %d accepted, %zu server_busy\n", accepted, OVERLOAD,
            OVERLOAD - accepted);
    ck_assert_uint_ge(accepted, 4);
    ck_assert_uint_lt(accepted, OVERLOAD);

    /* processed == accepted once the queue drains, and the balance says so. */
    server_wait_processed(&srv, accepted);
    ck_assert_uint_eq(logged_updates(&srv), accepted);
    ck_assert_int_eq(logged_balance(&srv, "bulk"), (long long)accepted);
    client_expect_reply(&c, "{\"type\":\"balance\",\"user\":\"bulk\"}", UNKNOWN_TYPE);

    client_close(&c);
    server_stop(&srv);
}
END_TEST

static Suite *step06_suite(void)
{
    Suite *s = suite_create("step06_workers");
    TCase *tc = harness_tcase("workers");
    tcase_add_test(tc, test_exact_balances_under_concurrency);
    tcase_add_test(tc, test_overload_is_rejected);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return harness_run(step06_suite());
}
