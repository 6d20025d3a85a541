/* step10_shutdown: step09 plus health and a graceful drain on SIGINT or
 * SIGTERM. Every line read before the drain is answered (events after the
 * signal: shutting_down; health: draining), clients see complete lines then
 * EOF, every accepted event is processed, and the final metrics line on
 * stdout says so; a second signal or --drain-timeout-ms cuts the drain short.
 * Every test that ends the server reads its log for sanitizer reports (the
 * AddressSanitizer build's leak check runs at a graceful exit). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define SERVER    "step10_shutdown"
#define HEALTH    "{\"type\":\"health\"}"
#define HEALTH_OK "{\"status\":\"ok\"}"
#define DRAINING  "{\"status\":\"draining\"}"
#define METRICS   "{\"type\":\"metrics\"}"
#define T         HARNESS_REPLY_TIMEOUT_MS

#define EVENT_LINE(user) "{\"user\":\"" user "\",\"action\":\"buy\",\"amount\":1}"

/*** exits ***/

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits up to timeout_ms for the server to exit with exit code code. */
static void expect_exit(struct server *srv, int code, int timeout_ms)
{
    int status = server_wait(srv, timeout_ms);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != code)
        server_dump_log(srv);
    ck_assert_msg(status != -1, "%s still running after %d ms", srv->name, timeout_ms);
    ck_assert_msg(WIFEXITED(status), "%s killed by signal %d", srv->name,
                  WIFSIGNALED(status) ? WTERMSIG(status) : -1);
    ck_assert_msg(WEXITSTATUS(status) == code, "%s exited with %d, not %d", srv->name,
                  WEXITSTATUS(status), code);
}

/* After the exit: the one line the server wrote to stdout after its
 * listening line, a metrics reply. */
static struct metrics_reply final_metrics(struct server *srv)
{
    char line[512], more[512];
    struct metrics_reply m;
    int n = server_read_stdout_line(srv, line, sizeof line, T);
    ck_assert_msg(n >= 0, "%s printed no final metrics line", srv->name);
    ck_assert_msg(metrics_parse(line, &m), "%s's final line is not metrics: %s", srv->name, line);
    n = server_read_stdout_line(srv, more, sizeof more, T);
    ck_assert_msg(n == CLIENT_EOF, "%s printed more after its final line: %s", srv->name,
                  n >= 0 ? more : "(no EOF)");
    return m;
}

/* SIGTERM; the server exits 0 with its final metrics line, and a clean log. */
static struct metrics_reply stop_gracefully(struct server *srv)
{
    server_signal(srv, SIGTERM);
    expect_exit(srv, 0, HARNESS_STOP_TIMEOUT_MS);
    struct metrics_reply m = final_metrics(srv);
    server_cleanup(srv);
    return m;
}

static void expect_final_counts(struct metrics_reply m, unsigned long accepted,
                                unsigned long dropped)
{
    ck_assert_msg(m.received == accepted + dropped && m.processed == accepted &&
                      m.dropped == dropped,
                  "final metrics: received %llu, processed %llu, dropped %llu; the clients saw "
                  "%lu accepted and %lu dropped",
                  m.received, m.processed, m.dropped, accepted, dropped);
}

/*** replies across the signal ***/

enum request_kind { EVENT, HEALTH_QUERY, METRICS_QUERY };

/* The replies one client saw, in order. */
struct tally {
    unsigned long replies, accepted, busy, shutting_down, ok, draining;
    bool drain_seen; /* a reply showed the drain had begun */
};

/* Checks reply against the kind of its request: before the drain, events
 * are accepted or server_busy and health is ok; once a reply shows the drain
 * has begun, every later reply must show it too. */
static void tally_reply(struct tally *t, enum request_kind kind, const char *reply)
{
    struct metrics_reply m;
    bool drain = false;
    if (kind == EVENT && strcmp(reply, REPLY_ACCEPTED) == 0) {
        t->accepted++;
    } else if (kind == EVENT && strcmp(reply, REPLY_SERVER_BUSY) == 0) {
        t->busy++;
    } else if (kind == EVENT && strcmp(reply, REPLY_SHUTTING_DOWN) == 0) {
        t->shutting_down++;
        drain = true;
    } else if (kind == HEALTH_QUERY && strcmp(reply, HEALTH_OK) == 0) {
        t->ok++;
    } else if (kind == HEALTH_QUERY && strcmp(reply, DRAINING) == 0) {
        t->draining++;
        drain = true;
    } else {
        ck_assert_msg(kind == METRICS_QUERY && metrics_parse(reply, &m), "reply %lu (to %s) is %s",
                      t->replies,
                      kind == EVENT          ? "an event"
                      : kind == HEALTH_QUERY ? "health"
                                             : "metrics",
                      reply);
    }
    ck_assert_msg(drain || kind == METRICS_QUERY || !t->drain_seen,
                  "reply %lu is %s, after a reply sent while draining", t->replies, reply);
    t->drain_seen |= drain;
    t->replies++;
}

static void tally_add(struct tally *sum, const struct tally *t)
{
    sum->replies += t->replies;
    sum->accepted += t->accepted;
    sum->busy += t->busy;
    sum->shutting_down += t->shutting_down;
    sum->ok += t->ok;
    sum->draining += t->draining;
}

/* Reads the complete lines that have arrived, tallying them; true at EOF.
 * Fails on a reset, or on an unterminated line before the EOF. */
static bool read_replies(struct client *c, struct tally *t, const enum request_kind *kinds,
                         size_t nkinds, int timeout_ms)
{
    char line[512];
    for (;;) {
        int n = client_read_line(c, line, sizeof line, timeout_ms);
        if (n == CLIENT_TIMEOUT)
            return false;
        if (n == CLIENT_EOF) {
            ck_assert_msg(c->end == c->start, "%zu bytes of an unterminated line before EOF",
                          c->end - c->start);
            return true;
        }
        ck_assert_msg(n >= 0, "connection reset after %lu replies", t->replies);
        tally_reply(t, kinds[t->replies % nkinds], line);
    }
}

/*** commands ***/

/* Health is ok while the server runs; its type is matched exactly, and
 * there is no shutdown command. */
START_TEST(test_health)
{
    struct server srv;
    struct client c;
    server_start(&srv, SERVER, NULL);
    client_connect(&c, srv.port);
    client_expect_reply(&c, HEALTH, HEALTH_OK);
    client_expect_reply(&c, "{\"type\":\"health\",\"verbose\":true}", HEALTH_OK);
    client_expect_reply(&c, "{\"type\":\"Health\"}", REPLY_UNKNOWN_TYPE);
    client_expect_reply(&c, "{\"type\":\"shutdown\"}", REPLY_UNKNOWN_TYPE);
    client_close(&c);
    expect_final_counts(stop_gracefully(&srv), 0, 0);
}
END_TEST

/* How the harness's shared balance and metrics tests end here: gracefully,
 * the final line agreeing with what the clients saw. */
static void stop_with_final_counts(struct server *srv, struct event_tally t)
{
    expect_final_counts(stop_gracefully(srv), t.accepted, t.busy);
}

static const struct harness_balance_stage stage = {
    .server = SERVER,
    .has_metrics = true,
    .stop = stop_with_final_counts,
};

/*** a drain under load ***/

#define LOAD_CONNS        8
#define LOAD_BLOCK        64 /* lines in a connection's stream: one health query, then events */
#define LOAD_SIGNAL_AFTER 10000 /* replies over all connections before SIGTERM */
#define LOAD_TIMEOUT_MS   30000
#define LOAD_PUMP_MAX     (64 * 1024) /* bytes written per connection per wake-up */

/* One connection writing its block of lines over and over, reading replies
 * as they come, until the server's EOF. */
struct pipelined {
    struct client c;
    char block[LOAD_BLOCK * 64];
    size_t block_len;
    size_t sent; /* bytes of the stream sent so far */
    struct tally t;
    bool send_closed; /* sending failed: the server had closed */
    bool eof;
};

static const enum request_kind *load_kinds(void)
{
    static enum request_kind kinds[LOAD_BLOCK];
    for (size_t i = 0; i < LOAD_BLOCK; i++)
        kinds[i] = i == 0 ? HEALTH_QUERY : EVENT;
    return kinds;
}

/* Writes what the socket takes now, up to LOAD_PUMP_MAX bytes: enough to
 * keep lines in flight, little enough that replies, and the server's EOF,
 * are read soon. */
static void pump(struct pipelined *p)
{
    for (size_t budget = LOAD_PUMP_MAX; budget > 0;) {
        size_t off = p->sent % p->block_len;
        size_t want = p->block_len - off < budget ? p->block_len - off : budget;
        ssize_t n = send(p->c.fd, p->block + off, want, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            p->sent += (size_t)n;
            budget -= (size_t)n;
            continue;
        }
        ck_assert_msg(n < 0, "send: sent nothing");
        if (errno == EPIPE || errno == ECONNRESET) {
            /* The server has closed: the replies and its EOF must still be
             * there to read, which read_replies checks. */
            p->send_closed = true;
            return;
        }
        ck_assert_msg(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR, "send: %s",
                      strerror(errno));
        if (errno != EINTR)
            return;
    }
}

/* Many connections write pipelined events and health queries without pause;
 * SIGTERM arrives in the middle. Every client gets complete lines, with any
 * shutting_down or draining reply after every other, then EOF; the server
 * exits 0, having processed exactly the events its clients saw accepted.
 * A client that still writes after the server closed may be reset: it then
 * stops writing, and must still read every reply and the EOF. */
START_TEST(test_sigterm_under_pipelined_load)
{
    static struct pipelined p[LOAD_CONNS];
    const enum request_kind *kinds = load_kinds();
    struct server srv;
    server_start(&srv, SERVER, NULL);
    for (unsigned k = 0; k < LOAD_CONNS; k++) {
        p[k] = (struct pipelined){0};
        size_t len = (size_t)snprintf(p[k].block, sizeof p[k].block, "%s\n", HEALTH);
        for (unsigned i = 1; i < LOAD_BLOCK; i++)
            len += (size_t)snprintf(p[k].block + len, sizeof p[k].block - len,
                                    "{\"user\":\"user-%u-%u\",\"action\":\"%s\",\"amount\":%u}\n",
                                    k, i, i % 3 ? "buy" : "sell", i * 1000 + k);
        p[k].block_len = len;
        client_connect(&p[k].c, srv.port);
        client_set_nonblocking(&p[k].c);
    }

    bool signalled = false;
    unsigned open = LOAD_CONNS;
    unsigned long replies = 0;
    long long deadline = now_ms() + LOAD_TIMEOUT_MS;
    while (open > 0) {
        struct pollfd fds[LOAD_CONNS];
        unsigned who[LOAD_CONNS], n = 0;
        for (unsigned k = 0; k < LOAD_CONNS; k++)
            if (!p[k].eof) {
                fds[n] = (struct pollfd){.fd = p[k].c.fd,
                                         .events = POLLIN | (p[k].send_closed ? 0 : POLLOUT)};
                who[n++] = k;
            }
        long long left = deadline - now_ms();
        int r = poll(fds, n, left > 0 ? (int)left : 0);
        ck_assert_msg(r > 0 || (r < 0 && errno == EINTR),
                      "%u connections still open after %d ms (signal %s)", open, LOAD_TIMEOUT_MS,
                      signalled ? "sent" : "not sent");
        for (unsigned i = 0; r > 0 && i < n; i++) {
            struct pipelined *q = &p[who[i]];
            if (fds[i].revents & POLLOUT)
                pump(q);
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            unsigned long before = q->t.replies;
            if (read_replies(&q->c, &q->t, kinds, LOAD_BLOCK, 0)) {
                q->eof = true; /* the server is done with us: we are done too */
                client_shutdown_write(&q->c);
                open--;
            }
            replies += q->t.replies - before;
        }
        if (!signalled && replies >= LOAD_SIGNAL_AFTER) {
            server_signal(&srv, SIGTERM);
            signalled = true;
        }
    }
    ck_assert_msg(signalled, "every connection closed before the signal");

    struct tally sum = {0};
    for (unsigned k = 0; k < LOAD_CONNS; k++) {
        tally_add(&sum, &p[k].t);
        client_close(&p[k].c);
    }
    fprintf(stderr,
            "%s: %lu replies: %lu accepted, %lu server_busy, %lu shutting_down, health %lu ok "
            "and %lu draining\n",
            SERVER, sum.replies, sum.accepted, sum.busy, sum.shutting_down, sum.ok, sum.draining);
    expect_exit(&srv, 0, HARNESS_STOP_TIMEOUT_MS);
    struct metrics_reply m = final_metrics(&srv);
    server_cleanup(&srv);
    ck_assert_msg(m.processed == m.received - m.dropped,
                  "final metrics: processed %llu of %llu accepted", m.processed,
                  m.received - m.dropped);
    ck_assert_msg(m.received - m.dropped >= sum.accepted,
                  "the server accepted %llu events, its clients saw %lu accepted",
                  m.received - m.dropped, sum.accepted);
    /* Every reply reached its client, so the counts agree exactly. */
    expect_final_counts(m, sum.accepted, sum.busy + sum.shutting_down);
}
END_TEST

/*** the last read ***/

/* Three metrics queries (replies longer than requests), a health query and
 * an event, repeated by a client that never reads. */
static const char flood_unit[] =
    METRICS "\n" METRICS "\n" METRICS "\n" HEALTH "\n" EVENT_LINE("flood") "\n";
static const enum request_kind flood_kinds[] = {METRICS_QUERY, METRICS_QUERY, METRICS_QUERY,
                                                HEALTH_QUERY, EVENT};
#define FLOOD_MAX_BYTES ((size_t)256 << 20)
#define SLOW_CLIENT_MS  1500 /* longer than the server's wait for a client's EOF */

/* Floods the server with flood_unit until it stops reading the flooder, as
 * --max-outbuf makes it; returns the bytes sent. */
static size_t flood_until_ignored(struct client *flooder)
{
    return client_flood_until_stopped(flooder, flood_unit, FLOOD_MAX_BYTES);
}

/* A client whose unread replies pass --max-outbuf is no longer read, so its
 * lines wait in the socket when the signal comes. The drain's one last read
 * takes some of them: they are answered as during a drain (health:
 * draining, events: shutting_down), after every earlier reply, and the
 * client gets every reply, then EOF. The second run's client starts reading
 * only SLOW_CLIENT_MS after the signal: the server's flush waits for it (the
 * drain allows 30 s), so it must still get everything and no reset. */
START_TEST(test_lines_read_at_the_signal_are_answered)
{
    static struct client flooder, probe;
    struct server srv;
    server_start(&srv, SERVER, "--max-outbuf", "1", "--drain-timeout-ms", "30000", NULL);
    client_connect(&probe, srv.port);
    client_connect(&flooder, srv.port);
    client_expect_reply(&probe, HEALTH, HEALTH_OK);

    size_t sent = flood_until_ignored(&flooder);
    unsigned long events_sent = sent / (sizeof flood_unit - 1);
    struct metrics_reply m = client_metrics(&probe);
    ck_assert_msg(m.received < events_sent, "%s read all %lu events of a client that never reads",
                  SERVER, events_sent);

    server_signal(&srv, SIGTERM);
    client_shutdown_write(&flooder);
    if (_i == 1) { /* the pause is the behaviour under test: a slow client */
        struct timespec pause = {SLOW_CLIENT_MS / 1000, SLOW_CLIENT_MS % 1000 * 1000000L};
        nanosleep(&pause, NULL);
    }
    struct tally t = {0};
    ck_assert_msg(
        read_replies(&flooder, &t, flood_kinds, sizeof flood_kinds / sizeof *flood_kinds, T),
        "no EOF after %lu replies", t.replies);
    fprintf(stderr,
            "%s: a client that never read sent %zu bytes; %lu replies: %lu accepted, %lu "
            "server_busy, %lu shutting_down, health %lu ok and %lu draining\n",
            SERVER, sent, t.replies, t.accepted, t.busy, t.shutting_down, t.ok, t.draining);
    ck_assert_uint_gt(t.ok, 0);
    ck_assert_uint_gt(t.draining, 0);
    ck_assert_uint_gt(t.shutting_down, 0);
    client_expect_eof(&probe, T);
    client_close(&probe);
    client_close(&flooder);

    expect_exit(&srv, 0, HARNESS_STOP_TIMEOUT_MS);
    m = final_metrics(&srv);
    server_cleanup(&srv);
    expect_final_counts(m, t.accepted, t.busy + t.shutting_down);
}
END_TEST

/* Clients past the output cap, their sockets full of tiny lines, when the
 * signal comes: the drain's last read answers them only as fast as they read,
 * so the server's memory stays near the caps (one read of tiny lines, all
 * answered at once, would be some 1.4 MB of replies per client). Once they
 * read, each gets invalid_json replies only, then EOF. */
#define CAPPED_CLIENTS        16
#define CAPPED_LINE           "x\n"
#define CAPPED_BLOCKED_MS     200
#define CAPPED_MAX_GROWTH_KIB (4 * 1024)

START_TEST(test_drain_holds_the_output_cap)
{
    /* probes[0] connects before the flooders, probes[1] after them */
    static struct client probes[2], flooders[CAPPED_CLIENTS];
    struct server srv;
    server_start(&srv, SERVER, "--drain-timeout-ms", "30000", NULL);
    client_connect(&probes[0], srv.port);
    client_expect_reply(&probes[0], HEALTH, HEALTH_OK);
    for (int i = 0; i < CAPPED_CLIENTS; i++) {
        size_t sent = 0;
        client_connect(&flooders[i], srv.port);
        ck_assert_msg(
            client_flood(&flooders[i], CAPPED_LINE, &sent, FLOOD_MAX_BYTES, CAPPED_BLOCKED_MS),
            "%s read all %zu bytes from a client that never reads", SERVER, sent);
    }
    client_connect(&probes[1], srv.port);
    client_expect_reply(&probes[1], HEALTH, HEALTH_OK);
    long rss_before = server_rss_kib(&srv);

    server_signal(&srv, SIGTERM);
    /* The drain gives every connection its last read in one go, in the order
     * they connected or the reverse: a probe's EOF comes from its last read,
     * so once both probes have theirs, so have the flooders between them.
     * (A line sent now could come after that read.) */
    client_expect_eof(&probes[0], T);
    client_expect_eof(&probes[1], T);
    long growth = server_check_rss_growth(&srv, rss_before, CAPPED_MAX_GROWTH_KIB);
    fprintf(stderr, "%s: %d clients past the output cap at the signal; RSS grew by %ld KiB\n",
            SERVER, CAPPED_CLIENTS, growth);

    for (int i = 0; i < CAPPED_CLIENTS; i++) {
        client_shutdown_write(&flooders[i]);
        char line[128];
        int n;
        unsigned long replies = 0;
        while ((n = client_read_line(&flooders[i], line, sizeof line, T)) >= 0) {
            ck_assert_str_eq(line, REPLY_INVALID_JSON);
            replies++;
        }
        ck_assert_msg(n == CLIENT_EOF, "client %d: no EOF after %lu replies (%d)", i, replies, n);
        ck_assert_uint_gt(replies, 0);
        client_close(&flooders[i]);
    }
    client_close(&probes[0]);
    client_close(&probes[1]);
    expect_exit(&srv, 0, HARNESS_STOP_TIMEOUT_MS);
    server_cleanup(&srv);
}
END_TEST

/*** cut short ***/

#define SLOW_WORK_US     "20000" /* per event, one worker: 50 events a second */
#define SLOW_QUEUE_CAP   "200" /* events: 4 s of work at SLOW_WORK_US */
#define SLOW_EVENTS      250 /* sent at once: the queue fills, and some are refused */
#define SECOND_SIGNAL_MS 3000 /* the exit, at once: well before the queue is done */

/* Starts SERVER with one slow worker (work_us per event), a queue of
 * SLOW_QUEUE_CAP and drain_timeout_ms; fills its queue from c, and checks
 * that most of the events are still waiting. Returns how they were answered. */
static struct event_tally start_with_full_queue(struct server *srv, struct client *c,
                                                const char *work_us, const char *drain_timeout_ms)
{
    server_start(srv, SERVER, "--work-us", work_us, "--workers", "1", "--queue-cap", SLOW_QUEUE_CAP,
                 "--drain-timeout-ms", drain_timeout_ms, NULL);
    client_connect(c, srv->port);
    struct event_tally t = client_send_bulk(c, "slow", SLOW_EVENTS);
    ck_assert_msg(t.busy > 0, "the queue of %s never filled up", SLOW_QUEUE_CAP);
    struct metrics_reply m = client_metrics(c);
    ck_assert_msg(m.processed < t.accepted / 2, "%llu of %lu slow events already processed",
                  m.processed, t.accepted);
    return t;
}

/* The end of a drain for a client that reads late: its events replies, all
 * accepted, then EOF (no reset); the server exits 0, having processed them. */
static void expect_late_reader_served(struct server *srv, struct client *c, unsigned events)
{
    char line[512];
    for (unsigned i = 0; i < events; i++) {
        int n = client_read_line(c, line, sizeof line, T);
        ck_assert_msg(n >= 0, "reply %u of %u: %s", i, events,
                      n == CLIENT_TIMEOUT ? "none"
                      : n == CLIENT_EOF   ? "EOF"
                                          : "connection reset");
        ck_assert_str_eq(line, REPLY_ACCEPTED);
    }
    client_expect_eof(c, T);
    client_close(c);
    expect_exit(srv, 0, HARNESS_STOP_TIMEOUT_MS);
    struct metrics_reply m = final_metrics(srv);
    server_cleanup(srv);
    expect_final_counts(m, events, 0);
}

#define STILL_SENDING_MS  1500 /* longer than the server waits for a silent client */
#define STILL_SENDING_GAP 20
#define UNREAD_EVENTS     200

/* A client that reads nothing yet and goes on sending after the signal, for
 * longer than the server waits for a silent one: the server drops what it
 * sends and waits for its EOF (the drain allows 30 s) instead of closing
 * with its input unread, which would send a reset. Its sends keep
 * succeeding, and then it reads every reply and the EOF. */
START_TEST(test_a_client_still_sending_is_not_reset)
{
    static struct client c;
    struct server srv;
    server_start(&srv, SERVER, "--drain-timeout-ms", "30000", "--log-level", "debug", NULL);
    client_connect(&c, srv.port);
    for (unsigned i = 0; i < UNREAD_EVENTS; i++)
        client_send_str(&c, EVENT_LINE("slow-reader") "\n");
    server_wait_processed(&srv, UNREAD_EVENTS);

    server_signal(&srv, SIGTERM);
    server_wait_log(&srv, "draining", T);
    for (long long end = now_ms() + STILL_SENDING_MS; now_ms() < end;) {
        client_send_str(&c, HEALTH "\n"); /* fails once the server has reset us */
        struct timespec gap = {0, STILL_SENDING_GAP * 1000000L};
        nanosleep(&gap, NULL); /* the pace of a slow client, not a wait for an event */
    }
    expect_late_reader_served(&srv, &c, UNREAD_EVENTS);
}
END_TEST

#define SMALL_WINDOW 4096 /* the client's receive buffer: a few kilobytes of replies */
/* 12 KB of replies: more than the window, less than the server's socket
 * buffer takes at once. */
#define WINDOW_EVENTS 550
#define SILENT_MS     1500 /* longer than the server waits for a silent client */

/* A client that reads nothing, with a small receive window, so that part of
 * its replies waits, unacknowledged, in the server's socket when the server
 * half-closes; it then stays silent for longer than the server waits for a
 * silent client, sends one line more, and only then reads. Closing the
 * connection while replies were unacknowledged would let that line draw a
 * reset that throws them away: every reply and the EOF must still come. */
START_TEST(test_a_silent_client_gets_every_reply)
{
    static struct client c;
    struct server srv;
    server_start(&srv, SERVER, "--drain-timeout-ms", "30000", "--log-level", "debug", NULL);
    client_connect_rcvbuf(&c, srv.port, SMALL_WINDOW);
    for (unsigned i = 0; i < WINDOW_EVENTS; i++)
        client_send_str(&c, EVENT_LINE("silent") "\n");
    server_wait_processed(&srv, WINDOW_EVENTS);

    server_signal(&srv, SIGTERM);
    server_wait_log(&srv, "draining", T);
    struct timespec silence = {SILENT_MS / 1000, SILENT_MS % 1000 * 1000000L};
    nanosleep(&silence, NULL); /* the client's silence is the behaviour under test */
    int delivered;
    ck_assert_int_eq(ioctl(c.fd, FIONREAD, &delivered), 0);
    ck_assert_msg((size_t)delivered < WINDOW_EVENTS * (sizeof REPLY_ACCEPTED),
                  "all %d bytes of replies reached the client: nothing was left to lose",
                  delivered);
    client_send_str(&c, HEALTH "\n");
    expect_late_reader_served(&srv, &c, WINDOW_EVENTS);
}
END_TEST

/* The drain waits for the workers: every accepted event is processed
 * before the final line and the exit, however long the queue. */
START_TEST(test_drain_finishes_the_backlog)
{
    struct server srv;
    struct client c;
    struct event_tally t = start_with_full_queue(&srv, &c, "4000", "30000");
    server_signal(&srv, SIGTERM);
    client_expect_eof(&c, T);
    client_close(&c);
    expect_exit(&srv, 0, 30000);
    expect_final_counts(final_metrics(&srv), t.accepted, t.busy);
    server_cleanup(&srv);
}
END_TEST

/* After a second signal the server exits at once with 128 + that signal:
 * SIGINT while a client is still connected (the server is in its event
 * loop), or SIGTERM again once none is left (it is waiting for the
 * workers). It does not finish the drain: no final line, or one that shows
 * events left. */
START_TEST(test_second_signal_exits_at_once)
{
    const bool client_stays = _i == 1;
    struct server srv;
    struct client c;
    struct event_tally t = start_with_full_queue(&srv, &c, SLOW_WORK_US, "60000");
    if (!client_stays)
        client_close(&c);

    server_signal(&srv, SIGTERM);
    server_wait_log(&srv, "draining", T);
    if (client_stays)
        client_expect_eof(&c, T);
    const int second = client_stays ? SIGINT : SIGTERM;
    long long start = now_ms();
    server_signal(&srv, second);
    expect_exit(&srv, 128 + second, SECOND_SIGNAL_MS);
    fprintf(stderr, "%s: exited %lld ms after the second signal\n", SERVER, now_ms() - start);

    char line[512];
    struct metrics_reply m;
    int n = server_read_stdout_line(&srv, line, sizeof line, T);
    ck_assert_msg(n == CLIENT_EOF || (metrics_parse(line, &m) && m.processed < t.accepted),
                  "after a second signal %s printed: %s", SERVER, n >= 0 ? line : "(no EOF)");
    server_cleanup(&srv);
    if (client_stays)
        client_close(&c);
}
END_TEST

/* A drain that runs out of time still prints the final line, says so in its
 * log, and exits 1: with events left in the queue (the final line and the
 * log say how many), or with a client that never reads its replies. */
START_TEST(test_drain_timeout)
{
    struct server srv;
    static struct client c;
    struct metrics_reply m;
    if (_i == 0) {
        struct event_tally t = start_with_full_queue(&srv, &c, SLOW_WORK_US, "200");
        server_signal(&srv, SIGTERM);
        client_expect_eof(&c, T);
        client_close(&c);
        expect_exit(&srv, 1, HARNESS_STOP_TIMEOUT_MS);
        m = final_metrics(&srv);
        ck_assert_msg(m.received == t.accepted + t.busy && m.dropped == t.busy &&
                          m.processed < t.accepted,
                      "final metrics after the timeout: received %llu, processed %llu, dropped "
                      "%llu",
                      m.received, m.processed, m.dropped);
        char needle[64];
        snprintf(needle, sizeof needle, "%llu events not processed", t.accepted - m.processed);
        server_wait_log(&srv, needle, T);
    } else {
        /* With a cap far above one read's replies, the server stops answering
         * only once replies the socket refused are pending, and they stay, as
         * the flooder never reads. (At a tiny cap it can stop with nothing
         * pending, waiting for the kernel's buffer to have room: then the
         * drain's replies may all fit there, and nothing is cut.) */
        server_start(&srv, SERVER, "--max-outbuf", "1048576", "--drain-timeout-ms", "500", NULL);
        client_connect(&c, srv.port);
        flood_until_ignored(&c);
        server_signal(&srv, SIGTERM);
        expect_exit(&srv, 1, HARNESS_STOP_TIMEOUT_MS);
        m = final_metrics(&srv);
        server_wait_log(&srv, "timed out", T);
        client_close(&c);
    }
    server_cleanup(&srv);
}
END_TEST

/*** idle clients ***/

/* A connection to port is refused: nobody listens there any more. */
static void expect_refused(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int r = connect(fd, (struct sockaddr *)&addr, sizeof addr);
    int err = errno;
    close(fd);
    ck_assert_msg(r != 0 && err == ECONNREFUSED, "a new connection during the drain: %s",
                  r == 0 ? "accepted" : strerror(err));
}

#define IDLE_CLIENTS 4
#define IDLE_EXIT_MS 4000 /* the drain would wait a minute */

/* Idle clients, one of them with half a line sent, do not hold the server:
 * they see EOF at once (the half line gets no reply), and nobody can connect
 * any more. With SIGTERM they then stay connected and silent, and the server
 * exits 0 soon anyway; with SIGINT they close, and it need not wait. */
START_TEST(test_idle_clients)
{
    static const int signals[] = {SIGTERM, SIGINT};
    static struct client c[IDLE_CLIENTS];
    struct server srv;
    server_start(&srv, SERVER, "--drain-timeout-ms", "60000", NULL);
    for (unsigned i = 0; i < IDLE_CLIENTS; i++) {
        client_connect(&c[i], srv.port);
        client_expect_reply(&c[i], HEALTH, HEALTH_OK);
    }
    client_send_str(&c[0], "{\"type\":\"health\"");

    server_signal(&srv, signals[_i]);
    for (unsigned i = 0; i < IDLE_CLIENTS; i++)
        client_expect_eof(&c[i], T);
    expect_refused(srv.port); /* it stopped accepting before the first EOF */
    if (signals[_i] == SIGINT)
        for (unsigned i = 0; i < IDLE_CLIENTS; i++)
            client_close(&c[i]);
    expect_exit(&srv, 0, IDLE_EXIT_MS);
    struct metrics_reply m = final_metrics(&srv);
    server_cleanup(&srv);
    expect_final_counts(m, 0, 0);
    for (unsigned i = 0; i < IDLE_CLIENTS; i++)
        client_close(&c[i]);
}
END_TEST

static Suite *step10_suite(void)
{
    Suite *s = suite_create(SERVER);
    TCase *commands = harness_tcase("commands");
    harness_add_line_tests(commands, SERVER, HARNESS_JSON);
    harness_add_shared_tests(commands, SERVER, HARNESS_JSON);
    harness_add_background_threads_test(commands, SERVER, "worker");
    harness_add_balance_tests(commands, &stage);
    harness_add_metrics_tests(commands, &stage);
    tcase_add_test(commands, test_health);
    suite_add_tcase(s, commands);

    TCase *drain = harness_tcase("drain");
    tcase_add_test(drain, test_sigterm_under_pipelined_load);
    tcase_add_loop_test(drain, test_lines_read_at_the_signal_are_answered, 0, 2);
    tcase_add_test(drain, test_drain_holds_the_output_cap);
    tcase_add_test(drain, test_a_client_still_sending_is_not_reset);
    tcase_add_test(drain, test_a_silent_client_gets_every_reply);
    tcase_add_test(drain, test_drain_finishes_the_backlog);
    tcase_add_loop_test(drain, test_second_signal_exits_at_once, 0, 2);
    tcase_add_loop_test(drain, test_drain_timeout, 0, 2);
    tcase_add_loop_test(drain, test_idle_clients, 0, 2);
    suite_add_tcase(s, drain);
    return s;
}

int main(void)
{
    return harness_run(step10_suite());
}
