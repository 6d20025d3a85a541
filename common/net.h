/* Sockets: the listening socket every stage opens, and small helpers. */
#ifndef COMMON_NET_H
#define COMMON_NET_H

#include <stdbool.h>
#include <stddef.h>

/* Opens a listening TCP socket on host:port (port 0: the kernel picks one)
 * and ignores SIGPIPE. On failure logs why (address in use, bad address, ...)
 * and exits 1. */
int listen_or_exit(const char *host, int port, bool nonblocking);

/* Prints "NAME listening on HOST:PORT" to stdout, with the real port, once the
 * server is ready to serve: tests and scripts wait for this line. */
void announce_listening(const char *stage_name, int listen_fd);

/* Per-client socket settings: replies go out at once (no Nagle delay). */
void tune_client_socket(int fd);

enum send_status {
    SEND_DONE, /* everything is written */
    SEND_PENDING, /* the socket is full: bytes are left to write */
    SEND_FAILED /* the peer is gone (or memory ran out): close the connection */
};

/* The one send loop: sends data[0 .. n) until it is all written, the
 * non-blocking socket is full (SEND_PENDING) or the peer is gone. *written
 * says how many bytes went. A blocking socket is never left pending. */
enum send_status send_some(int fd, const char *data, size_t n, size_t *written);

/* Writes all n bytes to a blocking socket; false on error (peer gone). */
static inline bool write_all(int fd, const char *data, size_t n)
{
    size_t written;
    return send_some(fd, data, n, &written) == SEND_DONE;
}

/* Sends a one-line refusal on a freshly accepted socket, half-closes, closes. */
void refuse_connection(int fd, const char *line, size_t len);

#endif
