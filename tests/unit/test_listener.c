/* The listener: a bounded batch of accepts per wake-up, the refusal over
 * --max-conns, and the pause when out of file descriptors, driven the way an
 * event loop drives it. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listener.h"
#include "response.h"
#include "unit.h"

#define CLIENTS (LISTENER_BATCH + 6)
#define BOUND   50 /* turns of a loop that must end much sooner */

struct fixture {
    int epoll_fd;
    struct listener l;
    int port;
};

static void open_fixture(struct fixture *f, size_t max_conns)
{
    f->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    ck_assert_int_ge(f->epoll_fd, 0);
    struct options opts = {.host = "127.0.0.1", .port = 0, .max_conns = max_conns};
    listener_open(&f->l, f->epoll_fd, &opts);
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    ck_assert_int_eq(getsockname(f->l.fd, (struct sockaddr *)&addr, &len), 0);
    f->port = ntohs(addr.sin_port);
}

static void close_fixture(struct fixture *f)
{
    listener_close(&f->l);
    close(f->epoll_fd);
}

/* A connected client: the kernel completes the connection, it waits in the
 * listen backlog until accepted. */
static int connect_client(const struct fixture *f)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)f->port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    return fd;
}

/* What the event loop learns from epoll: 1 if the listener is ready. */
static int listener_ready(const struct fixture *f, int timeout_ms)
{
    struct epoll_event ev;
    int n;
    do
        n = epoll_wait(f->epoll_fd, &ev, 1, timeout_ms);
    while (n < 0 && errno == EINTR);
    ck_assert_int_ge(n, 0);
    ck_assert(n == 0 || ev.data.ptr == NULL);
    return n;
}

/* Accepts like a wake-up of the event loop: until -1; returns how many. */
static int accept_batch(struct fixture *f, int *fds, size_t conns)
{
    int n = 0, fd;
    while ((fd = listener_accept(&f->l, conns)) >= 0) {
        fds[n++] = fd;
        ck_assert_int_le(n, CLIENTS);
        listener_taken(&f->l);
    }
    return n;
}

START_TEST(test_a_wakeup_takes_a_bounded_batch)
{
    struct fixture f;
    open_fixture(&f, 1000);
    int clients[CLIENTS], served[CLIENTS];
    for (int i = 0; i < CLIENTS; i++)
        clients[i] = connect_client(&f);
    ck_assert_int_eq(listener_ready(&f, 1000), 1);
    ck_assert_int_eq(accept_batch(&f, served, 0), LISTENER_BATCH);
    ck_assert_int_eq(listener_ready(&f, 0), 1); /* the rest wait for the next wake-up */
    ck_assert_int_eq(accept_batch(&f, served + LISTENER_BATCH, 0), CLIENTS - LISTENER_BATCH);
    ck_assert_int_eq(listener_ready(&f, 0), 0);
    ck_assert_int_eq(listener_timeout(&f.l), -1);
    for (int i = 0; i < CLIENTS; i++) {
        close(clients[i]);
        close(served[i]);
    }
    close_fixture(&f);
}
END_TEST

START_TEST(test_a_client_over_max_conns_is_told_and_closed)
{
    struct fixture f;
    open_fixture(&f, 2);
    int client = connect_client(&f);
    int served[CLIENTS];
    ck_assert_int_eq(listener_ready(&f, 1000), 1);
    ck_assert_int_eq(accept_batch(&f, served, 2), 0);
    char reply[256];
    ssize_t n = recv(client, reply, sizeof reply, MSG_WAITALL);
    ck_assert_int_eq(n, (ssize_t)TOO_MANY_CONNECTIONS_LEN);
    ck_assert(memcmp(reply, TOO_MANY_CONNECTIONS_LINE, TOO_MANY_CONNECTIONS_LEN) == 0);
    close(client);
    close_fixture(&f);
}
END_TEST

/* Out of file descriptors, accept fails while the client still waits: the
 * listener leaves epoll (no busy loop) for LISTENER_PAUSE_MS, then comes back
 * and the client is served. */
START_TEST(test_out_of_fds_accepting_pauses)
{
    struct rlimit normal, small;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &normal), 0);
    small = (struct rlimit){.rlim_cur = 64, .rlim_max = normal.rlim_max};
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &small), 0);
    struct fixture f;
    open_fixture(&f, 1000);
    int client = connect_client(&f);
    int spare[64], spares = 0, fd;
    while (spares < 64 && (fd = dup(client)) >= 0)
        spare[spares++] = fd;
    ck_assert_int_lt(spares, 64); /* the limit was reached */

    int served[CLIENTS];
    ck_assert_int_eq(listener_ready(&f, 1000), 1);
    ck_assert_int_eq(accept_batch(&f, served, 0), 0);
    ck_assert_int_eq(listener_timeout(&f.l), LISTENER_PAUSE_MS);
    ck_assert_int_eq(listener_ready(&f, 0), 0); /* paused, though the client waits */

    while (spares > 0)
        close(spare[--spares]);
    for (int turn = 0; listener_timeout(&f.l) != -1; turn++) {
        ck_assert_int_lt(turn, BOUND);
        listener_ready(&f, listener_timeout(&f.l));
        listener_resume_if_due(&f.l);
    }
    ck_assert_int_eq(listener_ready(&f, 1000), 1);
    ck_assert_int_eq(accept_batch(&f, served, 0), 1);
    ck_assert_uint_eq(f.l.pauses, 0); /* the episode is over */
    close(served[0]);
    close(client);
    close_fixture(&f);
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &normal), 0);
}
END_TEST

static Suite *listener_suite(void)
{
    Suite *s = suite_create("listener");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_a_wakeup_takes_a_bounded_batch);
    tcase_add_test(tc, test_a_client_over_max_conns_is_told_and_closed);
    tcase_add_test(tc, test_out_of_fds_accepting_pauses);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(listener_suite)
