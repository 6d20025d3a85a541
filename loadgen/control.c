#include "control.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

static bool fail(struct control *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(struct control *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->error, sizeof c->error, fmt, ap);
    va_end(ap);
    return false;
}

/* Waits for events on the socket until the deadline; false if it passed. */
static bool wait_for(struct control *c, short events)
{
    for (;;) {
        uint64_t now = lg_now_ns();
        if (now >= c->deadline)
            return false;
        uint64_t ms = (c->deadline - now + LG_MS_NS - 1) / LG_MS_NS;
        struct pollfd p = {.fd = c->fd, .events = events};
        int n = poll(&p, 1, ms > 1000 ? 1000 : (int)ms);
        if (n > 0)
            return true;
        if (n < 0 && errno != EINTR)
            return false;
    }
}

bool control_open(struct control *c, const struct sockaddr_storage *addr, socklen_t len,
                  uint64_t deadline)
{
    c->deadline = deadline;
    c->start = c->end = 0;
    c->error[0] = '\0';
    c->fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return fail(c, "socket: %s", strerror(errno));
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (const struct sockaddr *)addr, len) != 0) {
        if (errno != EINPROGRESS)
            return fail(c, "connect: %s", strerror(errno));
        if (!wait_for(c, POLLOUT))
            return fail(c, "connect: timed out");
        int err = 0;
        socklen_t elen = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen);
        if (err)
            return fail(c, "connect: %s", strerror(err));
    }
    return true;
}

bool control_send(struct control *c, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
        if (n > 0) {
            data += n;
            len -= (size_t)n;
        } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            return fail(c, "send: %s", strerror(errno));
        } else if (!wait_for(c, POLLOUT)) {
            return fail(c, "send: timed out");
        }
    }
    return true;
}

const char *control_line(struct control *c, size_t *len)
{
    for (;;) {
        char *line = c->buf + c->start;
        char *nl = memchr(line, '\n', c->end - c->start);
        if (nl) {
            c->start = (size_t)(nl - c->buf) + 1;
            *len = (size_t)(nl - line);
            if (*len && line[*len - 1] == '\r')
                --*len;
            return line;
        }
        if (c->start > 0) { /* keep the partial line at the front */
            memmove(c->buf, line, c->end - c->start);
            c->end -= c->start;
            c->start = 0;
        }
        if (c->end == sizeof c->buf) {
            fail(c, "reply line longer than %d bytes", CONTROL_BUF);
            return NULL;
        }
        ssize_t n = recv(c->fd, c->buf + c->end, sizeof c->buf - c->end, 0);
        if (n > 0) {
            c->end += (size_t)n;
        } else if (n == 0) {
            fail(c, "the server closed the connection");
            return NULL;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            fail(c, "recv: %s", strerror(errno));
            return NULL;
        } else if (!wait_for(c, POLLIN)) {
            fail(c, "no reply in time");
            return NULL;
        }
    }
}

void control_close(struct control *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}
