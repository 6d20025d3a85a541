#include "listener.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "net.h"
#include "response.h"

static void watch_listener(struct listener *l, int op)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(l->epoll_fd, op, l->fd, &ev) != 0) {
        log_error("epoll_ctl: %s", strerror(errno)); /* only a bug gets here */
        abort();
    }
}

void listener_open(struct listener *l, int epoll_fd, const struct options *opts)
{
    *l = (struct listener){.fd = listen_or_exit(opts->host, opts->port, true),
                           .epoll_fd = epoll_fd,
                           .max_conns = opts->max_conns};
    watch_listener(l, EPOLL_CTL_ADD);
}

int listener_timeout(const struct listener *l)
{
    return l->resume_at ? LISTENER_PAUSE_MS : -1;
}

void listener_resume_if_due(struct listener *l)
{
    if (l->resume_at && monotonic_ms() >= l->resume_at) {
        l->resume_at = 0;
        watch_listener(l, EPOLL_CTL_ADD);
    }
}

int listener_accept(struct listener *l, size_t conns)
{
    while (l->batch < LISTENER_BATCH) {
        l->batch++;
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                listener_pause(l);
            else if (errno != EAGAIN && errno != EWOULDBLOCK)
                log_warn("accept: %s", strerror(errno));
            break;
        }
        if (conns >= l->max_conns) {
            refuse_connection(fd, TOO_MANY_CONNECTIONS_LINE, TOO_MANY_CONNECTIONS_LEN);
            continue;
        }
        return fd;
    }
    l->batch = 0; /* the next call is the next wake-up's */
    return -1;
}

void listener_taken(struct listener *l)
{
    if (l->pauses) {
        log_info("accepting again, after this many pauses: %u", l->pauses);
        l->pauses = 0;
    }
}

void listener_pause(struct listener *l)
{
    if (l->pauses++ == 0)
        log_warn("cannot accept (%s): pausing accepts, %d ms at a time", strerror(errno),
                 LISTENER_PAUSE_MS);
    watch_listener(l, EPOLL_CTL_DEL);
    l->resume_at = monotonic_ms() + LISTENER_PAUSE_MS;
    l->batch = 0;
}

void listener_close(struct listener *l)
{
    close(l->fd); /* also leaves epoll, if it was watched */
    l->fd = -1;
    l->resume_at = 0;
}
