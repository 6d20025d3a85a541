/* Events on a few users from several connections at once (stages 07-10):
 * the balances are exact, the metrics consistent, no wake-up is lost. */
#include "harness_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The load: events on a few users from LOAD_CONNS connections at once. */
#define LOAD_CONNS        8
#define EXACT_EVENTS      400 /* per connection */
#define METRICS_ROUNDS    20
#define METRICS_PER_ROUND 50 /* events per connection per round */

/* As they appear between the quotes of a JSON string, in requests and replies. */
static const char *const load_users[] = {"alice", "bob", "a\\\"b\\\\c", "caf\xc3\xa9"};
#define LOAD_USERS (sizeof load_users / sizeof *load_users)

struct load {
    struct client conns[LOAD_CONNS];
    long long sums[LOAD_USERS]; /* of the accepted events */
    struct event_tally tally;
};

/* Appends event k of connection c to buf; returns its delta, and its user's index in *user. */
static long long load_event(unsigned c, unsigned k, char *buf, size_t cap, size_t *len,
                            size_t *user)
{
    *user = (c + k) % LOAD_USERS;
    long long amount = 1 + (long long)((k * 7919u + c * 104729u) % 1000000u);
    long long delta = k % 4 == 3 ? -amount : amount;
    event_append(buf, cap, len, load_users[*user], delta);
    return delta;
}

static void load_start(struct load *l, int port)
{
    memset(l->sums, 0, sizeof l->sums);
    l->tally = (struct event_tally){0};
    for (unsigned c = 0; c < LOAD_CONNS; c++)
        client_connect(&l->conns[c], port);
}

static void load_close(struct load *l)
{
    for (unsigned c = 0; c < LOAD_CONNS; c++)
        client_close(&l->conns[c]);
}

/* Sends events [from, to) of every connection, one write per connection. */
static void load_send(struct load *l, unsigned from, unsigned to)
{
    size_t cap = (to - from) * 128;
    char *buf = malloc(cap);
    require(buf != NULL, "out of memory");
    for (unsigned c = 0; c < LOAD_CONNS; c++) {
        size_t len = 0, user;
        for (unsigned k = from; k < to; k++)
            load_event(c, k, buf, cap, &len, &user);
        client_send_all(&l->conns[c], buf, len);
    }
    free(buf);
}

/* Reads the replies to events [from, to) of every connection. */
static void load_read(struct load *l, unsigned from, unsigned to)
{
    char line[256], shown[256];
    for (unsigned c = 0; c < LOAD_CONNS; c++) {
        for (unsigned k = from; k < to; k++) {
            size_t len = 0, user;
            long long delta = load_event(c, k, line, sizeof line, &len, &user);
            int n = client_read_line(&l->conns[c], line, sizeof line, HARNESS_REPLY_TIMEOUT_MS);
            require(n >= 0, "load: connection %u, event %u: got %s", c, k, result_name(n));
            if (strcmp(line, REPLY_ACCEPTED) == 0) {
                l->tally.accepted++;
                l->sums[user] += delta;
            } else {
                require(strcmp(line, REPLY_SERVER_BUSY) == 0,
                        "load: connection %u, event %u: got %s", c, k,
                        quoted(line, (size_t)n, shown, sizeof shown));
                l->tally.busy++;
            }
        }
    }
}

struct event_tally scenario_exact_balances(struct server *srv)
{
    static struct load l;
    load_start(&l, srv->port);
    load_send(&l, 0, EXACT_EVENTS);
    load_read(&l, 0, EXACT_EVENTS);
    server_wait_processed(srv, l.tally.accepted);
    for (size_t u = 0; u < LOAD_USERS; u++) {
        char query[128], reply[160];
        snprintf(query, sizeof query, BALANCE_QUERY("\"%s\""), load_users[u]);
        snprintf(reply, sizeof reply, BALANCE_REPLY("\"%s\"", "%lld"), load_users[u], l.sums[u]);
        client_expect_reply(&l.conns[u % LOAD_CONNS], query, reply);
    }
    load_close(&l);
    return l.tally;
}

struct event_tally scenario_exact_balances_roomy(struct server *srv, const char *name)
{
    server_start(srv, name, "--log-level", "debug", "--workers", "4", "--queue-cap", "100000",
                 NULL);
    struct event_tally t = scenario_exact_balances(srv);
    require(t.busy == 0, "%s: %lu events rejected with room for all", name, t.busy);
    return t;
}

struct event_tally scenario_exact_balances_overloaded(struct server *srv, const char *name)
{
    server_start(srv, name, "--log-level", "debug", "--queue-cap", "4", "--work-us", "2000", NULL);
    struct event_tally t = scenario_exact_balances(srv);
    require(t.accepted > 0 && t.busy > 0, "%s overloaded: %lu accepted, %lu server_busy", name,
            t.accepted, t.busy);
    return t;
}

struct event_tally scenario_metrics_under_load(struct server *srv)
{
    static struct load l;
    static struct client probe;
    load_start(&l, srv->port);
    client_connect(&probe, srv->port);
    struct metrics_reply last = client_metrics(&probe);
    require(last.received == 0 && last.processed == 0 && last.dropped == 0,
            "metrics of a fresh %s: received %llu, processed %llu, dropped %llu", srv->name,
            last.received, last.processed, last.dropped);
    unsigned long long sent = 0;
    for (unsigned r = 0; r < METRICS_ROUNDS; r++) {
        load_send(&l, r * METRICS_PER_ROUND, (r + 1) * METRICS_PER_ROUND);
        sent += LOAD_CONNS * METRICS_PER_ROUND;
        struct metrics_reply m = client_metrics(&probe);
        unsigned long long seen = l.tally.accepted + l.tally.busy;
        require(m.received >= m.processed + m.dropped && m.received <= sent && m.received >= seen &&
                    m.received >= last.received && m.processed >= last.processed &&
                    m.dropped >= last.dropped,
                "metrics under load, round %u: received %llu, processed %llu, dropped %llu; "
                "before: %llu, %llu, %llu; events sent %llu, answered %llu",
                r, m.received, m.processed, m.dropped, last.received, last.processed, last.dropped,
                sent, seen);
        last = m;
        load_read(&l, r * METRICS_PER_ROUND, (r + 1) * METRICS_PER_ROUND);
    }
    client_close(&probe);
    load_close(&l);
    server_expect_metrics_at_rest(srv, l.tally);
    return l.tally;
}

#define IDLE_ROUNDS 40

/* One event after each idle pause, long enough sometimes for every worker
 * to fall asleep: each is processed with no further traffic (the server's
 * debug log says so), or the wake-up was lost and the test times out. */
unsigned scenario_wakeups_after_idle(struct server *srv)
{
    static const long pauses_us[] = {0, 10, 100, 1000, 5000, 20000};
    static struct client c;
    client_connect(&c, srv->port);
    for (unsigned i = 0; i < IDLE_ROUNDS; i++) {
        long us = pauses_us[i % (sizeof pauses_us / sizeof *pauses_us)];
        struct timespec pause = {us / 1000000, us % 1000000 * 1000};
        nanosleep(&pause, NULL); /* the idle time is the scenario, not a wait */
        client_expect_reply(&c, "{\"user\":\"idle\",\"action\":\"buy\",\"amount\":1}",
                            REPLY_ACCEPTED);
        server_wait_processed(srv, i + 1);
    }
    client_close(&c);
    return IDLE_ROUNDS;
}
