/* Sockets: the listening socket every stage opens, and small helpers. */
#ifndef COMMON_NET_H
#define COMMON_NET_H

#include <stdbool.h>
#include <stddef.h>

/* Opens a listening TCP socket on host:port (port 0: the kernel picks one),
 * ignores SIGPIPE, and prints "NAME listening on HOST:PORT" to stdout with the
 * real port. On failure logs why (address in use, bad address, ...) and exits 1. */
int listen_or_exit(const char *stage_name, const char *host, int port, bool nonblocking);

/* Per-client socket settings: replies go out at once (no Nagle delay). */
void tune_client_socket(int fd);

/* Writes all n bytes to a blocking socket; false on error (peer gone). */
bool write_all(int fd, const char *data, size_t n);

/* Sends a one-line refusal on a freshly accepted socket, half-closes, closes. */
void refuse_connection(int fd, const char *line, size_t len);

#endif
