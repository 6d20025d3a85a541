#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

#define LISTEN_BACKLOG 4096 /* the kernel caps it at net.core.somaxconn */

void announce_listening(const char *stage_name, int fd)
{
    struct sockaddr_storage addr = {0};
    socklen_t len = sizeof addr;
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (getsockname(fd, (struct sockaddr *)&addr, &len) == 0) {
        if (addr.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&addr;
            inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
            port = ntohs(a->sin6_port);
        } else {
            struct sockaddr_in *a = (struct sockaddr_in *)&addr;
            inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
            port = ntohs(a->sin_port);
        }
    }
    if (addr.ss_family == AF_INET6)
        printf("%s listening on [%s]:%d\n", stage_name, host, port);
    else
        printf("%s listening on %s:%d\n", stage_name, host, port);
    fflush(stdout);
}

int listen_or_exit(const char *host, int port, bool nonblocking)
{
    signal(SIGPIPE, SIG_IGN); /* a peer that left must not kill the server */

    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *found;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(host, service, &hints, &found);
    if (rc != 0) {
        log_error("cannot listen on %s:%d: %s", host, port, gai_strerror(rc));
        exit(1);
    }
    int fd = -1, err = 0;
    for (struct addrinfo *ai = found; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family,
                    ai->ai_socktype | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0),
                    ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(found);
    if (fd < 0) {
        log_error("cannot listen on %s:%d: %s", host, port, strerror(err));
        exit(1);
    }
    return fd;
}

void tune_client_socket(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

enum send_status send_some(int fd, const char *data, size_t n, size_t *written)
{
    *written = 0;
    while (*written < n) {
        ssize_t w = send(fd, data + *written, n - *written, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return SEND_PENDING;
            return SEND_FAILED;
        }
        *written += (size_t)w;
    }
    return SEND_DONE;
}

void refuse_connection(int fd, const char *line, size_t len)
{
    /* A fresh socket's send buffer takes one short line: no need to wait. */
    if (send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        log_debug("refusal not sent: %s", strerror(errno));
    shutdown(fd, SHUT_WR);
    close(fd);
}
