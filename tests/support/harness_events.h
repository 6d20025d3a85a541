/* Events, balances and metrics (stages 05-10): sending events and tallying
 * their replies, the debug log that shows them applied, metrics replies
 * (harness_events.c); balance queries (harness_balances.c); and events from
 * several connections at once (harness_load.c).
 *
 * The scenarios run on a fresh server started with --log-level debug: they
 * learn that the workers have caught up from its debug line "queue empty: N
 * events processed". Failures name the test's line that called them. */
#ifndef TESTS_HARNESS_EVENTS_H
#define TESTS_HARNESS_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "harness_client.h"
#include "harness_common.h"
#include "harness_server.h"

/* The first three counters of a metrics reply. */
struct metrics_reply {
    unsigned long long received, processed, dropped;
};

/* How the events a scenario sent were answered. */
struct event_tally {
    unsigned long accepted; /* {"status":"accepted"} */
    unsigned long busy; /* {"status":"rejected","reason":"server_busy"} */
};

/*** events and their replies ***/

/* Appends the event line (with '\n') that adds delta to user's balance (a
 * buy, or a sell of -delta) at buf + *len, advancing *len; fails if it does
 * not fit in cap. */
void event_append(char *buf, size_t cap, size_t *len, const char *user, long long delta);
/* Reads n replies to events, each accepted or server_busy, or fails. */
struct event_tally client_read_tally(struct client *c, size_t n);
/* Sends n events buying 1 for user in one write, then reads their replies
 * as client_read_tally() does. */
struct event_tally client_send_bulk(struct client *c, const char *user, size_t n);

/* Sends n events buying 1 for "bulk" in one write on c, to a server whose
 * queue of queue_cap they overflow: at least queue_cap are accepted, not all.
 * Waits until the accepted ones are processed; returns the replies' tally. */
struct event_tally scenario_overload(struct server *srv, struct client *c, size_t n,
                                     size_t queue_cap);

/* Waits until the server's debug log says processed events are done. */
void server_wait_processed(struct server *srv, unsigned long processed);

/* Stages 05-08 show applied events in their debug log, one line "balance of
 * 'U' is now N" per event. */

/* Events applied so far, as the log shows them. */
size_t server_logged_updates(struct server *srv);
/* The balance of user after the last update the log shows (0 if none). */
long long server_logged_balance(struct server *srv, const char *user);

/*** metrics (stages 09-10) ***/

/* Parses {"received":N,"processed":N,"dropped":N followed by more keys or
 * by the closing brace; false if line is not such a reply. */
bool metrics_parse(const char *line, struct metrics_reply *m);
/* Sends {"type":"metrics"} and returns the reply's counters, or fails. */
struct metrics_reply client_metrics(struct client *c);
/* Once the workers are done: received = accepted + busy, processed =
 * accepted, dropped = busy, or the test fails. */
void server_expect_metrics_at_rest(struct server *srv, struct event_tally t);

/*** balances (stages 07-10) ***/

/* Balance queries: unknown users are 0; invalid users are invalid_event;
 * users are echoed JSON-escaped; after some events (sent as escapes or as
 * raw UTF-8), each user's balance is the sum of its events. Returns how the
 * events were answered (all accepted). */
struct event_tally scenario_balance_queries(struct server *srv);
/* 8 connections send events on a few users at once, each in one write, and
 * read every reply; once the workers are done, each user's balance is the
 * sum of its accepted events. Returns how the events were answered. */
struct event_tally scenario_exact_balances(struct server *srv);
/* scenario_exact_balances() on a fresh server name (left running in srv)
 * with 4 workers and room for every event, which are then all accepted. */
struct event_tally scenario_exact_balances_roomy(struct server *srv, const char *name);
/* The same with a queue of 4 and 2 ms of work per event, which then has
 * some events accepted and some rejected. */
struct event_tally scenario_exact_balances_overloaded(struct server *srv, const char *name);
/* Metrics queried while 8 connections keep events in flight: every reply
 * well-formed, received >= processed + dropped, no counter going back, none
 * behind the replies already seen; at rest as server_expect_metrics_at_rest(). */
struct event_tally scenario_metrics_under_load(struct server *srv);
/* Stages 09-10 (--log-level debug): events one at a time after idle pauses
 * are each processed with no further traffic: no wake-up of a worker is
 * lost. Returns how many events were accepted. */
unsigned scenario_wakeups_after_idle(struct server *srv);

#ifndef HARNESS_IMPLEMENTATION
#define event_append(...)                  HARNESS_AT(event_append(__VA_ARGS__))
#define client_read_tally(...)             HARNESS_AT(client_read_tally(__VA_ARGS__))
#define client_send_bulk(...)              HARNESS_AT(client_send_bulk(__VA_ARGS__))
#define server_logged_updates(...)         HARNESS_AT(server_logged_updates(__VA_ARGS__))
#define server_logged_balance(...)         HARNESS_AT(server_logged_balance(__VA_ARGS__))
#define client_metrics(...)                HARNESS_AT(client_metrics(__VA_ARGS__))
#define server_wait_processed(...)         HARNESS_AT(server_wait_processed(__VA_ARGS__))
#define server_expect_metrics_at_rest(...) HARNESS_AT(server_expect_metrics_at_rest(__VA_ARGS__))
#define scenario_balance_queries(...)      HARNESS_AT(scenario_balance_queries(__VA_ARGS__))
#define scenario_exact_balances(...)       HARNESS_AT(scenario_exact_balances(__VA_ARGS__))
#define scenario_exact_balances_roomy(...) HARNESS_AT(scenario_exact_balances_roomy(__VA_ARGS__))
#define scenario_exact_balances_overloaded(...)                                                    \
    HARNESS_AT(scenario_exact_balances_overloaded(__VA_ARGS__))
#define scenario_overload(...)           HARNESS_AT(scenario_overload(__VA_ARGS__))
#define scenario_metrics_under_load(...) HARNESS_AT(scenario_metrics_under_load(__VA_ARGS__))
#define scenario_wakeups_after_idle(...) HARNESS_AT(scenario_wakeups_after_idle(__VA_ARGS__))
#endif

#endif
