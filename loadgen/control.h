/* A control connection: one connection for the questions loadgen asks
 * before and after the load (metrics, balance queries, probe events), one
 * batch of lines at a time. Every wait ends at the connection's deadline.
 * Not for the load itself: that is the engine's. */
#ifndef LOADGEN_CONTROL_H
#define LOADGEN_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CONTROL_BUF (64 * 1024) /* longest reply line, and the read buffer */

struct control {
    int fd;
    uint64_t deadline; /* lg_now_ns() time after which every wait fails */
    size_t start, end; /* unread bytes: buf[start .. end) */
    char error[128]; /* what went wrong, once a call has failed */
    char buf[CONTROL_BUF];
};

/* Connects within the deadline; false (see error) if it cannot. */
bool control_open(struct control *c, const struct sockaddr_storage *addr, socklen_t len,
                  uint64_t deadline);
/* Writes all len bytes; false (see error) on a failure or at the deadline. */
bool control_send(struct control *c, const char *data, size_t len);
/* The next line without its '\n' (nor a '\r' before it), valid until the
 * next call; NULL (see error) on EOF, a failure, or at the deadline. */
const char *control_line(struct control *c, size_t *len);
void control_close(struct control *c);

#endif
