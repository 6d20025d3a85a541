/* A TCP client of a server under test: connecting, sending, and reading
 * lines, each with a bounded wait. */
#include "harness_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int client_connect(struct client *c, int port)
{
    return client_connect_rcvbuf(c, port, 0);
}

int client_connect_rcvbuf(struct client *c, int port, int rcvbuf)
{
    c->start = c->end = 0;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    require(c->fd >= 0, "socket: %s", strerror(errno));
    if (rcvbuf > 0) /* before connecting: the window is agreed then */
        require(setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) == 0,
                "SO_RCVBUF: %s", strerror(errno));
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        require(errno == EINPROGRESS, "connect to port %d: %s", port, strerror(errno));
        short ev = poll_one(c->fd, POLLOUT, now_ms() + HARNESS_REPLY_TIMEOUT_MS);
        require(ev != 0, "connect to port %d: timed out", port);
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        require(err == 0, "connect to port %d: %s", port, strerror(err));
    }
    int flags = fcntl(c->fd, F_GETFL);
    fcntl(c->fd, F_SETFL, flags & ~O_NONBLOCK);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return c->fd;
}

void client_close(struct client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->start = c->end = 0;
}

void client_set_nonblocking(struct client *c)
{
    int flags = fcntl(c->fd, F_GETFL);
    require(flags >= 0 && fcntl(c->fd, F_SETFL, flags | O_NONBLOCK) == 0, "fcntl: %s",
            strerror(errno));
}

void client_shutdown_write(struct client *c)
{
    require(shutdown(c->fd, SHUT_WR) == 0, "shutdown: %s", strerror(errno));
}

void client_send_all(struct client *c, const void *data, size_t len)
{
    const char *p = data;
    long long deadline = now_ms() + HARNESS_REPLY_TIMEOUT_MS;
    while (len > 0) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            deadline = now_ms() + HARNESS_REPLY_TIMEOUT_MS; /* progress: wait afresh */
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        require(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK), "send: %s",
                n < 0 ? strerror(errno) : "sent nothing");
        require(poll_one(c->fd, POLLOUT, deadline) != 0,
                "send: no room for %d ms (%zu bytes left to send)", HARNESS_REPLY_TIMEOUT_MS, len);
    }
}

void client_send_str(struct client *c, const char *s)
{
    client_send_all(c, s, strlen(s));
}

/* Reads more bytes into the buffer, waiting until deadline. Returns the bytes
 * read, 0 on timeout, CLIENT_EOF or CLIENT_RESET. */
static int fill(struct client *c, long long deadline)
{
    if (c->start > 0) {
        memmove(c->buf, c->buf + c->start, c->end - c->start);
        c->end -= c->start;
        c->start = 0;
    }
    require(c->end < sizeof c->buf, "reply line longer than %zu bytes", sizeof c->buf);
    for (;;) {
        ssize_t n = recv(c->fd, c->buf + c->end, sizeof c->buf - c->end, MSG_DONTWAIT);
        if (n > 0) {
            c->end += (size_t)n;
            return (int)n;
        }
        if (n == 0)
            return CLIENT_EOF;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return CLIENT_RESET;
        if (poll_one(c->fd, POLLIN, deadline) == 0)
            return 0;
    }
}

static int read_line_until(struct client *c, char *buf, size_t cap, long long deadline)
{
    size_t scanned = c->start;
    for (;;) {
        char *nl = memchr(c->buf + scanned, '\n', c->end - scanned);
        if (nl) {
            size_t len = (size_t)(nl - (c->buf + c->start));
            require(len < cap, "reply line of %zu bytes does not fit in %zu", len, cap - 1);
            memcpy(buf, c->buf + c->start, len);
            buf[len] = '\0';
            c->start += len + 1;
            return (int)len;
        }
        scanned = c->end - c->start; /* fill() moves the unread bytes to the front */
        int n = fill(c, deadline);
        if (n == 0)
            return CLIENT_TIMEOUT;
        if (n < 0)
            return n;
    }
}

int client_read_line(struct client *c, char *buf, size_t cap, int timeout_ms)
{
    return read_line_until(c, buf, cap, now_ms() + timeout_ms);
}

void client_expect_line(struct client *c, const char *expected, int timeout_ms)
{
    static char got[CLIENT_BUF_SIZE + 1];
    int n = client_read_line(c, got, sizeof got, timeout_ms);
    char want[256], have[256];
    require(n >= 0, "expected %s, got %s after %d ms",
            quoted(expected, strlen(expected), want, sizeof want), result_name(n), timeout_ms);
    require(strcmp(got, expected) == 0 && (size_t)n == strlen(expected), "expected %s, got %s",
            quoted(expected, strlen(expected), want, sizeof want),
            quoted(got, (size_t)n, have, sizeof have));
}

void client_expect_reply(struct client *c, const char *request, const char *expected)
{
    size_t len = strlen(request);
    char *line = malloc(len + 1); /* one write for the whole line */
    require(line != NULL, "out of memory");
    memcpy(line, request, len);
    line[len] = '\n';
    client_send_all(c, line, len + 1);
    free(line);
    client_expect_line(c, expected, HARNESS_REPLY_TIMEOUT_MS);
}

/* What fill() brought: the unread bytes, or why there were none. */
static const char *describe_fill(struct client *c, int n, char *buf, size_t cap)
{
    if (n <= 0)
        return result_name(n);
    return quoted(c->buf + c->start, c->end - c->start, buf, cap);
}

void client_expect_silence(struct client *c, int ms)
{
    char what[256];
    require(c->end == c->start, "expected silence, but %s were already received",
            describe_fill(c, 1, what, sizeof what));
    int n = fill(c, now_ms() + ms);
    require(n == 0, "expected silence for %d ms, got %s", ms,
            describe_fill(c, n, what, sizeof what));
}

void client_expect_eof(struct client *c, int timeout_ms)
{
    char what[256];
    require(c->end == c->start, "expected EOF, but %s were received",
            describe_fill(c, 1, what, sizeof what));
    int n = fill(c, now_ms() + timeout_ms);
    require(n == CLIENT_EOF, "expected EOF within %d ms, got %s", timeout_ms,
            n == 0 ? "nothing" : describe_fill(c, n, what, sizeof what));
}
