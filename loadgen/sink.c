#include "sink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define SINK_READ   (64 * 1024)
#define SINK_EVENTS 256

static const char accepted[] = "{\"status\":\"accepted\"}\n";
#define ACCEPTED_LEN    (sizeof accepted - 1)
#define ACCEPTED_REPEAT 2048 /* copies in the constant reply buffer */

struct sink_conn {
    struct sink_conn *prev, *next; /* every open connection, to free them at the end */
    int fd;
    bool want_out;
    uint64_t owed; /* accept mode: reply bytes still to write */
    uint64_t phase; /* accept mode: bytes of replies written, modulo a line */
    char *pending; /* echo mode: bytes still to write */
    size_t pending_len;
};

struct sink_loop {
    struct sink *s;
    int epfd;
    char *buf;
    char *replies; /* ACCEPTED_REPEAT copies of the accepted line */
    struct sink_conn *conns;
};

static void sink_watch(struct sink_loop *l, struct sink_conn *c, int op, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = c};
    epoll_ctl(l->epfd, op, c->fd, &ev);
}

static void sink_close(struct sink_loop *l, struct sink_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        l->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    close(c->fd);
    free(c->pending);
    free(c);
}

/* Writes what is owed; false if the connection is gone. */
static bool sink_flush(struct sink_loop *l, struct sink_conn *c)
{
    while (c->owed > 0) {
        size_t off = (size_t)(c->phase % ACCEPTED_LEN);
        size_t room = ACCEPTED_REPEAT * ACCEPTED_LEN - off;
        size_t n = c->owed < room ? (size_t)c->owed : room;
        ssize_t w = send(c->fd, l->replies + off, n, MSG_NOSIGNAL);
        if (w < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK;
        c->owed -= (uint64_t)w;
        c->phase += (uint64_t)w;
        if ((size_t)w < n)
            return true;
    }
    if (c->pending_len > 0) {
        ssize_t w = send(c->fd, c->pending, c->pending_len, MSG_NOSIGNAL);
        if (w < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK;
        memmove(c->pending, c->pending + w, c->pending_len - (size_t)w);
        c->pending_len -= (size_t)w;
    }
    return true;
}

/* After a read or a flush: watch for output only while some is pending, and
 * stop reading while it is. */
static void sink_rearm(struct sink_loop *l, struct sink_conn *c)
{
    bool out = c->owed > 0 || c->pending_len > 0;
    if (out != c->want_out) {
        c->want_out = out;
        sink_watch(l, c, EPOLL_CTL_MOD, out ? EPOLLOUT : EPOLLIN);
    }
}

static bool sink_read(struct sink_loop *l, struct sink_conn *c)
{
    ssize_t n = recv(c->fd, l->buf, SINK_READ, 0);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    if (n == 0)
        return false;
    if (l->s->mode == SELF_TEST_ACCEPT) {
        uint64_t lines = 0;
        const char *p = l->buf, *end = l->buf + n, *nl;
        while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
            lines++;
            p = nl + 1;
        }
        l->s->lines += lines;
        c->owed += lines * ACCEPTED_LEN;
    } else {
        for (const char *p = l->buf, *end = l->buf + n;
             (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
            l->s->lines++;
        char *grown = realloc(c->pending, c->pending_len + (size_t)n);
        if (!grown)
            return false;
        c->pending = grown;
        memcpy(c->pending + c->pending_len, l->buf, (size_t)n);
        c->pending_len += (size_t)n;
    }
    return sink_flush(l, c);
}

static void *sink_main(void *arg)
{
    struct sink *s = arg;
    struct sink_loop l = {.s = s, .epfd = epoll_create1(EPOLL_CLOEXEC)};
    l.buf = malloc(SINK_READ);
    l.replies = malloc(ACCEPTED_REPEAT * ACCEPTED_LEN);
    if (l.epfd < 0 || !l.buf || !l.replies) {
        fprintf(stderr, "loadgen: self-test sink: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < ACCEPTED_REPEAT; i++)
        memcpy(l.replies + i * ACCEPTED_LEN, accepted, ACCEPTED_LEN);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(l.epfd, EPOLL_CTL_ADD, s->listen_fd, &ev);
    ev.data.ptr = &l; /* marks the stop eventfd */
    epoll_ctl(l.epfd, EPOLL_CTL_ADD, s->stop_fd, &ev);
    struct epoll_event events[SINK_EVENTS];
    for (;;) {
        int n = epoll_wait(l.epfd, events, SINK_EVENTS, -1);
        for (int i = 0; i < n; i++) {
            void *ptr = events[i].data.ptr;
            if (ptr == &l)
                goto done;
            if (!ptr) {
                int fd;
                while ((fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >=
                       0) {
                    struct sink_conn *c = calloc(1, sizeof *c);
                    if (!c) {
                        close(fd);
                        continue;
                    }
                    int one = 1;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    c->fd = fd;
                    c->next = l.conns;
                    if (l.conns)
                        l.conns->prev = c;
                    l.conns = c;
                    sink_watch(&l, c, EPOLL_CTL_ADD, EPOLLIN);
                }
                continue;
            }
            struct sink_conn *c = ptr;
            bool alive = (events[i].events & EPOLLOUT) ? sink_flush(&l, c) : sink_read(&l, c);
            if (!alive)
                sink_close(&l, c); /* closing removes it from epoll */
            else
                sink_rearm(&l, c);
        }
    }
done:
    while (l.conns)
        sink_close(&l, l.conns);
    close(l.epfd);
    free(l.buf);
    free(l.replies);
    return NULL;
}

bool sink_start(struct sink *s, enum self_test mode)
{
    *s = (struct sink){.mode = mode, .listen_fd = -1, .stop_fd = -1};
    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (s->listen_fd < 0 || s->stop_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&a, len) != 0 ||
        listen(s->listen_fd, 4096) != 0 || getsockname(s->listen_fd, (struct sockaddr *)&a, &len)) {
        fprintf(stderr, "loadgen: self-test sink: %s\n", strerror(errno));
        return false;
    }
    s->port = ntohs(a.sin_port);
    if (pthread_create(&s->thread, NULL, sink_main, s) != 0) {
        fprintf(stderr, "loadgen: self-test sink: cannot start its thread\n");
        return false;
    }
    return true;
}

void sink_stop(struct sink *s)
{
    uint64_t one = 1;
    if (write(s->stop_fd, &one, sizeof one) != sizeof one)
        return;
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
    close(s->stop_fd);
}
