/* A thread's connections, driven by hand as the engine drives them, against
 * a loopback listener the test accepts on: the requests in flight, a silent
 * server timed out, and a connection the server closed reopened, empty,
 * sending nothing until it is topped up. Every wait is bounded. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conns.h"
#include "unit.h"

#define WAIT_MS 5000

static struct lg_stats stats; /* large: keep it off the stack */
static struct verify_sums sums;
static struct sockaddr_storage addr;
static int listener = -1;
static const atomic_bool no_stop = false;

static char line_text[128] = "hello\n"; /* COPY_SLACK bytes readable past the line */
static const struct req_line line = {.text = line_text, .len = 6, .kind = RK_ECHO};

static void setup(void)
{
    listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ck_assert(listener >= 0 && bind(listener, (struct sockaddr *)&a, len) == 0);
    ck_assert(listen(listener, 8) == 0 && getsockname(listener, (struct sockaddr *)&a, &len) == 0);
    memcpy(&addr, &a, sizeof a);
    stats_init(&stats);
    ck_assert(verify_sums_init(&sums, 0, 1));
}

static void teardown(void)
{
    close(listener);
    verify_sums_free(&sums);
}

/* One connection, opened and in the load: the server's end in *server. */
static void open_one(struct conns *cs, uint32_t pipeline, int *server)
{
    struct conns_config cfg = {
        .addr = &addr,
        .addr_len = sizeof(struct sockaddr_in),
        .n = 1,
        .pipeline = pipeline,
        .connect_timeout_ms = WAIT_MS,
        .reply_timeout_ms = 1000,
        .stats = &stats,
        .sums = &sums,
    };
    ck_assert(conns_init(cs, &cfg));
    conns_connect_all(cs, &no_stop);
    ck_assert_int_eq(cs->conn[0].state, CONN_OPEN);
    ck_assert_uint_eq(stats.conns_opened, 1);
    struct pollfd p = {.fd = listener, .events = POLLIN};
    ck_assert_int_eq(poll(&p, 1, WAIT_MS), 1);
    *server = accept(listener, NULL, NULL);
    ck_assert(*server >= 0);
    uint64_t now = lg_now_ns();
    conns_start(cs, now, now + 60 * 1000 * LG_MS_NS);
}

/* What the engine does to send: reserve, add, write. */
static void send_lines(struct conns *cs, struct conn *c, unsigned n, uint64_t t)
{
    conn_reserve(cs, c, n, lg_now_ns());
    for (unsigned i = 0; i < n; i++)
        conn_push(cs, c, &line, t + i);
    conn_flush(cs, c);
}

/* The server reads exactly n lines. */
static void expect_lines(int server, unsigned n)
{
    char buf[256];
    size_t want = n * line.len, got = 0;
    while (got < want) {
        struct pollfd p = {.fd = server, .events = POLLIN};
        ck_assert_int_eq(poll(&p, 1, WAIT_MS), 1);
        ssize_t r = recv(server, buf + got, sizeof buf - got, 0);
        ck_assert(r > 0);
        got += (size_t)r;
    }
    ck_assert_uint_eq(got, want);
    for (unsigned i = 0; i < n; i++)
        ck_assert(memcmp(buf + i * line.len, line.text, line.len) == 0);
}

/* The next event of the connections' epoll: the connection it is for. */
static struct conn *next_event(struct conns *cs)
{
    struct epoll_event ev;
    ck_assert_int_eq(epoll_wait(cs->epfd, &ev, 1, WAIT_MS), 1);
    return ev.data.ptr;
}

/* Requests go out in order and come back off the ring in order, across its end. */
START_TEST(test_in_flight_in_order)
{
    struct conns cs;
    int server;
    open_one(&cs, 4, &server);
    struct conn *c = &cs.conn[0];
    uint64_t next = 100;
    for (int round = 0; round < 3; round++) {
        send_lines(&cs, c, 3, next);
        expect_lines(server, 3);
        ck_assert_uint_eq(c->count, 3);
        ck_assert_uint_eq(cs.in_flight, 3);
        for (uint64_t i = 0; i < 3; i++) {
            struct inflight e = conn_pop(&cs, c, lg_now_ns());
            ck_assert_ptr_eq(e.req, &line);
            ck_assert_uint_eq(e.t, next + i);
        }
        ck_assert_uint_eq(c->count, 0);
        ck_assert_uint_eq(cs.in_flight, 0);
        next += 3;
    }
    ck_assert_uint_eq(stats.bytes_sent, 9 * line.len);
    conns_close_all(&cs);
    ck_assert_uint_eq(stats.unanswered, 0);
    conns_free(&cs);
    close(server);
}
END_TEST

/* A request without a reply for the reply timeout: the connection is closed,
 * the request counted unanswered, and the connection waits to reopen. */
START_TEST(test_silent_server_times_out)
{
    struct conns cs;
    int server;
    open_one(&cs, 4, &server);
    struct conn *c = &cs.conn[0];
    send_lines(&cs, c, 1, 0);
    expect_lines(server, 1);
    conns_tick(&cs, lg_now_ns() + 500 * LG_MS_NS); /* not yet */
    ck_assert_int_eq(c->state, CONN_OPEN);
    conns_tick(&cs, lg_now_ns() + 1001 * LG_MS_NS);
    ck_assert_int_eq(c->state, CONN_WAITING);
    ck_assert_uint_eq(stats.timed_out, 1);
    ck_assert_uint_eq(stats.unanswered, 1);
    ck_assert_uint_eq(cs.in_flight, 0);
    ck_assert_uint_eq(cs.reopening, 1);
    conns_stop_reopening(&cs);
    ck_assert_int_eq(c->state, CONN_CLOSED);
    ck_assert_uint_eq(cs.reopening, 0);
    conns_free(&cs);
    close(server);
}
END_TEST

/* The server closes a connection with a request out; the connection reopens
 * after its back-off, and comes back empty: it sends nothing until it is
 * given requests, and then sends them. */
START_TEST(test_reopened_connection_sends_nothing_by_itself)
{
    struct conns cs;
    int server;
    open_one(&cs, 4, &server);
    struct conn *c = &cs.conn[0];
    send_lines(&cs, c, 2, 0);
    expect_lines(server, 2);
    close(server);

    ck_assert_ptr_eq(next_event(&cs), c);
    char *data;
    ck_assert_uint_eq(conn_read(&cs, c, &data), 0); /* the server's EOF */
    ck_assert_int_eq(c->state, CONN_WAITING);
    ck_assert_uint_eq(stats.closed_by_server, 1);
    ck_assert_uint_eq(stats.unanswered, 2);
    ck_assert_uint_eq(cs.open, 0);

    conns_tick(&cs, lg_now_ns() + 1000 * LG_MS_NS); /* after the back-off */
    ck_assert_int_eq(c->state, CONN_CONNECTING);
    struct pollfd p = {.fd = listener, .events = POLLIN};
    ck_assert_int_eq(poll(&p, 1, WAIT_MS), 1);
    server = accept(listener, NULL, NULL);
    ck_assert(server >= 0);
    ck_assert_ptr_eq(next_event(&cs), c);
    ck_assert(conn_connect_done(&cs, c, lg_now_ns()));
    ck_assert_int_eq(c->state, CONN_OPEN);
    ck_assert_uint_eq(stats.reopened, 1);
    ck_assert_uint_eq(cs.open, 1);
    ck_assert_uint_eq(cs.reopening, 0);
    ck_assert_uint_eq(c->count, 0);
    ck_assert_uint_eq(c->wlen, 0);
    /* Nothing was written: on loopback, a send is in the peer's queue when it returns. */
    char byte;
    ck_assert_int_eq(recv(server, &byte, 1, MSG_DONTWAIT), -1);
    ck_assert(errno == EAGAIN || errno == EWOULDBLOCK);

    send_lines(&cs, c, 1, 0); /* the engine tops it up */
    expect_lines(server, 1);
    conns_close_all(&cs);
    ck_assert_uint_eq(stats.unanswered, 3);
    conns_free(&cs);
    close(server);
}
END_TEST

static Suite *conns_suite(void)
{
    Suite *s = suite_create("loadgen conns");
    TCase *tc = tcase_create("conns");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_in_flight_in_order);
    tcase_add_test(tc, test_silent_server_times_out);
    tcase_add_test(tc, test_reopened_connection_sends_nothing_by_itself);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(conns_suite)
