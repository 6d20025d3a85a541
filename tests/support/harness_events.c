/* Events sent to the stages with a queue (05-10), the tally of their
 * replies, the debug log that shows them applied, and metrics replies. */
#include "harness_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORKERS_DONE_MS 30000 /* for the workers to catch up, sanitizer builds included */

void event_append(char *buf, size_t cap, size_t *len, const char *user, long long delta)
{
    int n =
        snprintf(buf + *len, cap - *len, "{\"user\":\"%s\",\"action\":\"%s\",\"amount\":%lld}\n",
                 user, delta >= 0 ? "buy" : "sell", delta >= 0 ? delta : -delta);
    require(n > 0 && (size_t)n < cap - *len, "no room for an event of '%s' after %zu bytes", user,
            *len);
    *len += (size_t)n;
}

struct event_tally client_read_tally(struct client *c, size_t n)
{
    char line[256], shown[256];
    struct event_tally t = {0};
    for (size_t i = 0; i < n; i++) {
        int len = client_read_line(c, line, sizeof line, HARNESS_REPLY_TIMEOUT_MS);
        require(len >= 0, "reply %zu of %zu: got %s", i, n, result_name(len));
        if (strcmp(line, REPLY_ACCEPTED) == 0)
            t.accepted++;
        else if (strcmp(line, REPLY_SERVER_BUSY) == 0)
            t.busy++;
        else
            fail_test("reply %zu of %zu: got %s", i, n,
                      quoted(line, (size_t)len, shown, sizeof shown));
    }
    return t;
}

struct event_tally client_send_bulk(struct client *c, const char *user, size_t n)
{
    size_t cap = n * (strlen(user) + 64), len = 0;
    char *lines = malloc(cap);
    require(lines != NULL, "out of memory");
    for (size_t i = 0; i < n; i++)
        event_append(lines, cap, &len, user, 1);
    client_send_all(c, lines, len);
    free(lines);
    return client_read_tally(c, n);
}

struct event_tally scenario_overload(struct server *srv, struct client *c, size_t n,
                                     size_t queue_cap)
{
    struct event_tally t = client_send_bulk(c, "bulk", n);
    fprintf(stderr, "harness: %s: %lu of %zu accepted, %lu server_busy\n", srv->name, t.accepted, n,
            t.busy);
    require(t.accepted >= queue_cap && t.accepted < n,
            "%s: %lu of %zu events accepted with a queue of %zu", srv->name, t.accepted, n,
            queue_cap);
    server_wait_processed(srv, t.accepted);
    return t;
}

size_t server_logged_updates(struct server *srv)
{
    return server_log_count(srv, "balance of '", NULL);
}

long long server_logged_balance(struct server *srv, const char *user)
{
    char needle[128];
    snprintf(needle, sizeof needle, "balance of '%s' is now ", user);
    long long balance;
    server_log_count(srv, needle, &balance);
    return balance;
}

/* "key":digits at *p; advances *p past them. */
static bool parse_counter(const char **p, const char *key, unsigned long long *v)
{
    size_t klen = strlen(key);
    if ((*p)[0] != '"' || strncmp(*p + 1, key, klen) != 0 || strncmp(*p + 1 + klen, "\":", 2))
        return false;
    const char *d = *p + klen + 3;
    if (*d < '0' || *d > '9')
        return false;
    char *end;
    errno = 0;
    *v = strtoull(d, &end, 10);
    *p = end;
    return errno == 0;
}

bool metrics_parse(const char *line, struct metrics_reply *m)
{
    const char *p = line + 1;
    if (line[0] != '{' || !parse_counter(&p, "received", &m->received) || *p++ != ',' ||
        !parse_counter(&p, "processed", &m->processed) || *p++ != ',' ||
        !parse_counter(&p, "dropped", &m->dropped))
        return false;
    size_t rest = strlen(p);
    return (rest == 1 || (rest > 2 && p[0] == ',')) && p[rest - 1] == '}';
}

struct metrics_reply client_metrics(struct client *c)
{
    static const char query[] = "{\"type\":\"metrics\"}\n";
    char line[512], shown[256];
    struct metrics_reply m;
    client_send_all(c, query, sizeof query - 1);
    int n = client_read_line(c, line, sizeof line, HARNESS_REPLY_TIMEOUT_MS);
    require(n >= 0, "metrics: got %s", result_name(n));
    require(metrics_parse(line, &m), "metrics: got %s",
            quoted(line, (size_t)n, shown, sizeof shown));
    return m;
}

void server_wait_processed(struct server *srv, unsigned long processed)
{
    char needle[64];
    snprintf(needle, sizeof needle, "queue empty: %lu events processed", processed);
    if (processed > 0)
        server_wait_log(srv, needle, WORKERS_DONE_MS);
}

void server_expect_metrics_at_rest(struct server *srv, struct event_tally t)
{
    static struct client c;
    server_wait_processed(srv, t.accepted);
    client_connect(&c, srv->port);
    struct metrics_reply m = client_metrics(&c);
    client_close(&c);
    require(m.received == t.accepted + t.busy && m.processed == t.accepted && m.dropped == t.busy,
            "%s at rest: received %llu, processed %llu, dropped %llu; the clients saw %lu "
            "accepted and %lu server_busy",
            srv->name, m.received, m.processed, m.dropped, t.accepted, t.busy);
}
