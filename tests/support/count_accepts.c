/* Preloaded into a server under test (LD_PRELOAD): counts the connections
 * accept4 hands out between two calls of epoll_wait, and each time a run is
 * longer than any before it writes "accept burst N" to stderr (the server's
 * log). The longest run is what one wake-up of the event loop accepted. */
#include <dlfcn.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>

/* Only the event-loop thread accepts and waits: no two threads get here at once. */
static int burst, longest;

int epoll_wait(int epfd, struct epoll_event *events, int max, int timeout)
{
    static int (*real_epoll_wait)(int, struct epoll_event *, int, int);
    if (!real_epoll_wait)
        *(void **)&real_epoll_wait = dlsym(RTLD_NEXT, "epoll_wait");
    burst = 0;
    return real_epoll_wait(epfd, events, max, timeout);
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
    if (!real_accept4)
        *(void **)&real_accept4 = dlsym(RTLD_NEXT, "accept4");
    int client = real_accept4(fd, addr, len, flags);
    if (client >= 0 && ++burst > longest) {
        longest = burst;
        dprintf(2, "accept burst %d\n", longest);
    }
    return client;
}
