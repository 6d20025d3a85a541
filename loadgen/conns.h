/* A thread's connections: opening them, reading and writing, the requests
 * each has in flight, closing, and reopening those that fail during the run.
 * They never send on their own: which requests go out, and when, is the
 * engine's to decide (engine.c), and a reopened connection stays empty until
 * the engine tops it up. */
#ifndef LOADGEN_CONNS_H
#define LOADGEN_CONNS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "requests.h"
#include "stats.h"
#include "verify.h"

#define REPLY_LINE_MAX (64 * 1024) /* a longer reply line is a protocol error */
#define COPY_SLACK     POOL_SLACK /* bytes a request's copy may write past its end */

enum conn_state {
    CONN_CLOSED, /* for good, or not made yet */
    CONN_CONNECTING, /* a connect in progress */
    CONN_OPEN,
    CONN_WAITING, /* closed during the run; reopens at retry_at */
};

struct inflight {
    const struct req_line *req;
    uint64_t t; /* sent (closed loop) or intended to be sent (open loop), ns */
};

struct conn {
    int fd;
    uint8_t state;
    bool opened; /* the connection was made, at least once */
    bool want_out; /* EPOLLOUT is registered: the socket took only part of a write */
    bool refused; /* the server said too_many_connections */
    bool served; /* ... or something else: it got a real reply */
    bool closed_early; /* closed before the end of the run */
    uint8_t tries; /* attempts to reopen since the last real reply */
    uint32_t head; /* ring index of the oldest request in flight */
    uint32_t count; /* requests in flight */
    struct inflight *ring;
    char *wbuf; /* requests not yet written: wbuf[woff .. wlen) */
    uint32_t woff, wlen;
    char *carry; /* the start of a reply line split across reads */
    uint32_t carry_len, carry_cap;
    uint64_t last_progress; /* last reply, or first request sent after none were out */
    uint64_t retry_at; /* CONN_WAITING: when to reopen; CONN_CONNECTING: when it began */
    /* The engine's: the connection's open-loop schedule. */
    uint64_t phase; /* offset of its slots */
    uint64_t next_due; /* intended time of its next request */
};

struct conns_config {
    const struct sockaddr_storage *addr;
    socklen_t addr_len;
    unsigned n; /* connections */
    uint32_t pipeline; /* requests in flight on one, at most */
    unsigned connect_timeout_ms;
    unsigned reply_timeout_ms; /* a connection with requests out and no reply this long closes */
    struct lg_stats *stats; /* the connections' counters go there */
    struct verify_sums *sums; /* requests lost in flight are noted there */
};

struct conns {
    struct conns_config cfg;
    struct conn *conn; /* cfg.n of them; epoll events point to them */
    int epfd;
    char *rbuf; /* what one read returns, after the connection's carry */
    size_t wbuf_cap;
    unsigned open; /* connections open */
    unsigned reopening; /* connections waiting to reopen, or reopening */
    uint64_t in_flight; /* requests, over all connections */
    bool running; /* the load runs: a failed connection is reopened */
    uint64_t reopen_until; /* ... if it can be before this */
};

enum close_reason { CLOSE_DONE, CLOSE_RESET, CLOSE_EOF, CLOSE_TIMEOUT, CLOSE_PROTOCOL };

/* False (nothing to free) if memory or an epoll instance runs out. */
bool conns_init(struct conns *cs, const struct conns_config *cfg);
void conns_free(struct conns *cs);

/* Opens every connection, within the connect timeout, or until *stop. */
void conns_connect_all(struct conns *cs, const atomic_bool *stop);
/* The load starts at now: the open connections are read from now on, those
 * that could not be made wait to be reopened, and until conns_stop_reopening
 * a connection that fails is reopened if it can be before reopen_until. */
void conns_start(struct conns *cs, uint64_t now, uint64_t reopen_until);
void conns_stop_reopening(struct conns *cs);
/* Every so often: closes the connections whose replies are late, reopens
 * those due, fails the connects too slow. */
void conns_tick(struct conns *cs, uint64_t now);
/* A connect in progress has an event; true if the connection is open now,
 * with nothing in flight. */
bool conn_connect_done(struct conns *cs, struct conn *c, uint64_t now);

/* Closes a connection; during the run, one the server closed, reset, refused
 * or left silent waits to be reopened (see conns.c). Its requests in flight
 * are counted unanswered (or sent on a refused connection). */
void conn_close(struct conns *cs, struct conn *c, enum close_reason why);
void conns_close_all(struct conns *cs);

/* The server's answers: a real reply, which ends the back-off; a refusal. */
void conn_served(struct conns *cs, struct conn *c);
void conn_refused(struct conns *cs, struct conn *c);

/* Writes what the socket takes; the rest waits for EPOLLOUT. */
void conn_flush(struct conns *cs, struct conn *c);

/* One read: the connection's unfinished line, then what arrived, at *data.
 * Its length, or 0 if nothing came (the connection is closed if the server
 * closed or reset it). */
size_t conn_read(struct conns *cs, struct conn *c, char **data);
/* Keeps the unfinished line at the end of a read (at most REPLY_LINE_MAX
 * bytes) for the next one; false if memory ran out: the connection is closed. */
bool conn_keep(struct conns *cs, struct conn *c, const char *rest, size_t len);

/*** the requests in flight ***/

/* Before up to n requests are added at now: room in the write buffer, and
 * the wait for a reply starts if none was out. */
static inline void conn_reserve(struct conns *cs, struct conn *c, uint64_t n, uint64_t now)
{
    if (c->woff > 0 && c->wlen + n * REQ_LINE_MAX > cs->wbuf_cap) {
        memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
        c->wlen -= c->woff;
        c->woff = 0;
    }
    if (c->count == 0)
        c->last_progress = now;
}

/* Adds req, sent (or due) at t, to what the connection writes next and to its
 * requests in flight. Room was reserved. */
static inline void conn_push(struct conns *cs, struct conn *c, const struct req_line *req,
                             uint64_t t)
{
    uint32_t tail = c->head + c->count;
    if (tail >= cs->cfg.pipeline)
        tail -= cs->cfg.pipeline;
    /* A fixed-size copy is a few vector moves, not a call: both buffers have
     * COPY_SLACK bytes to spare past any line. */
    if (req->len <= COPY_SLACK)
        memcpy(c->wbuf + c->wlen, req->text, COPY_SLACK);
    else
        memcpy(c->wbuf + c->wlen, req->text, req->len);
    c->wlen += req->len;
    c->ring[tail] = (struct inflight){req, t};
    c->count++;
    cs->in_flight++;
}

/* The oldest request in flight, which the reply that came at now answers. */
static inline struct inflight conn_pop(struct conns *cs, struct conn *c, uint64_t now)
{
    struct inflight e = c->ring[c->head];
    if (++c->head == cs->cfg.pipeline)
        c->head = 0;
    c->count--;
    cs->in_flight--;
    c->last_progress = now;
    return e;
}

#endif
