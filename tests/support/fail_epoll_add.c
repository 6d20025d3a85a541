/* Preloaded into a server under test (LD_PRELOAD): epoll_ctl(EPOLL_CTL_ADD)
 * fails with ENOSPC, as when fs.epoll.max_user_watches is reached, for the
 * first FAIL_CLIENT_ADDS connected sockets the server asks to watch.
 * Listening sockets and descriptors that are not sockets are left alone, so
 * a server starts normally and only its clients meet the failure. */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>

static int failures_left = -1; /* -1: not read from the environment yet */

static int is_connected_socket(int fd)
{
    int listening;
    socklen_t len = sizeof listening;
    return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && !listening;
}

/* Only the event-loop thread watches clients, so no two threads get here at
 * once for a connected socket. */
int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
    static int (*real_epoll_ctl)(int, int, int, struct epoll_event *);
    if (!real_epoll_ctl)
        *(void **)&real_epoll_ctl = dlsym(RTLD_NEXT, "epoll_ctl");
    if (op == EPOLL_CTL_ADD && is_connected_socket(fd)) {
        if (failures_left < 0) {
            const char *wanted = getenv("FAIL_CLIENT_ADDS");
            failures_left = wanted ? atoi(wanted) : 0;
        }
        if (failures_left > 0) {
            failures_left--;
            errno = ENOSPC;
            return -1;
        }
    }
    return real_epoll_ctl(epfd, op, fd, event);
}
