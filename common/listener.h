/* The listening socket of an event loop, and accepting on it without being
 * swamped (stages 02-10).
 *
 * - A wake-up takes at most LISTENER_BATCH clients: the listener stays ready
 *   for the rest, and a storm of connections cannot starve the clients
 *   already connected.
 * - Over --max-conns a client is told why and closed.
 * - Out of file descriptors or memory, accepting pauses for
 *   LISTENER_PAUSE_MS: the listener leaves epoll, which would otherwise wake
 *   the loop again at once, for ever. The first pause of an episode is
 *   logged, and how many there were once a client is taken again. */
#ifndef COMMON_LISTENER_H
#define COMMON_LISTENER_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"

#define LISTENER_BATCH    64
#define LISTENER_PAUSE_MS 100

struct listener {
    int fd;
    int epoll_fd; /* watches fd with data.ptr NULL, unless paused */
    size_t max_conns;
    unsigned batch; /* accept calls made in this wake-up so far */
    uint64_t resume_at; /* paused: when to try accepting again (ms), else 0 */
    unsigned pauses; /* pauses in a row, till a client is taken again */
};

/* Listens on --host:--port, non-blocking, and adds the socket to epoll_fd
 * with data.ptr NULL. Exits 1 if it cannot listen (listen_or_exit). */
void listener_open(struct listener *l, int epoll_fd, const struct options *opts);

/* epoll_wait's timeout: LISTENER_PAUSE_MS while paused, else -1 (none). */
int listener_timeout(const struct listener *l);

/* After epoll_wait: once a pause is over, watches the listener again. */
void listener_resume_if_due(struct listener *l);

/* The next client to serve, a non-blocking socket, with conns connections
 * open; or -1, when none is waiting, this wake-up took LISTENER_BATCH
 * already, or accept failed (out of file descriptors: accepting pauses).
 * Call it until -1. */
int listener_accept(struct listener *l, size_t conns);

/* The client listener_accept returned is served: ends an episode of pauses,
 * if any, saying how many there were. */
void listener_taken(struct listener *l);

/* The client listener_accept returned cannot be served (out of memory, or
 * epoll cannot watch it): the caller closes it, and accepting pauses. */
void listener_pause(struct listener *l);

/* Stops listening for good. */
void listener_close(struct listener *l);

#endif
