/* Output buffers: replies waiting to be written to a socket.
 *
 * The event loop gathers the replies to one read in a staging buffer that it
 * shares between connections, and writes them with one call; only what the
 * socket does not take is copied into the connection's own pending buffer,
 * which is allocated while it holds bytes and freed when it drains. */
#ifndef COMMON_OUTBUF_H
#define COMMON_OUTBUF_H

#include <stdbool.h>
#include <stddef.h>

#include "net.h"

struct outbuf {
    char *data; /* NULL until the first byte */
    size_t start; /* first byte not yet written */
    size_t end; /* one past the last byte */
    size_t cap;
    bool failed; /* an allocation failed: bytes were lost, close the connection */
};

void outbuf_free(struct outbuf *b);
void outbuf_clear(struct outbuf *b); /* empties it (and forgets a failure), keeping its memory */
static inline size_t outbuf_len(const struct outbuf *b)
{
    return b->end - b->start;
}

void outbuf_append(struct outbuf *b, const char *data, size_t n);
/* Room for n more bytes at the end, to format into, or NULL (and failed set);
 * then outbuf_commit says how many were used. */
char *outbuf_reserve(struct outbuf *b, size_t n);
void outbuf_commit(struct outbuf *b, size_t n);

/* Writes staged after whatever is already pending, as far as the non-blocking
 * socket takes it, keeps the rest in pending and empties staged. */
enum send_status outbuf_send(struct outbuf *staged, struct outbuf *pending, int fd);
/* Writes what is pending; frees its memory once it is all written. */
enum send_status outbuf_flush(struct outbuf *pending, int fd);

#endif
