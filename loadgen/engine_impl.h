/* The engine's insides, shared by its two files: engine.c (threads, the
 * load: sending, receiving, the schedule) and conns.c (connections: opening,
 * closing, reopening). Nothing else includes this. */
#ifndef LOADGEN_ENGINE_IMPL_H
#define LOADGEN_ENGINE_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "rng.h"

/*** constants ***/

#define READ_SIZE      (64 * 1024) /* one read per connection per wake-up */
#define REPLY_LINE_MAX (64 * 1024) /* a longer reply line is a protocol error */
#define CARRY_FIRST    256 /* first size of a connection's carry buffer */
#define MAX_EVENTS     512
#define TICK_NS        (20 * LG_MS_NS) /* timeouts, phases and reopening are checked this often */
#define COPY_SLACK     POOL_SLACK

/*** state ***/

enum conn_state {
    CONN_CONNECTING, /* a connect in progress */
    CONN_OPEN,
    CONN_WAITING, /* closed during the run; reopens at retry_at */
    CONN_CLOSED, /* for good */
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
    uint64_t phase; /* open loop: offset of this connection's schedule */
    uint64_t next_due; /* open loop: intended time of the next request to send */
    uint64_t last_progress; /* last reply, or first request sent after none were out */
    uint64_t retry_at; /* CONN_WAITING: when to reopen; CONN_CONNECTING: when it began */
};

struct worker {
    struct lg_run *run;
    const struct lg_options *o;
    unsigned id;
    pthread_t thread;
    int epfd;
    struct conn *conns;
    unsigned n_conns;
    unsigned first_conn; /* global index of conns[0] */
    char *rbuf;
    struct rng rng;
    struct lg_stats stats;
    struct verify_sums sums;
    enum reply_kind guess[RK_COUNT]; /* the reply each request kind got last */
    size_t wbuf_cap;

    /* The run's phases. */
    uint64_t warmup_end;
    uint64_t end; /* no request intended at or after it is sent */
    uint64_t reopen_until; /* no connection is reopened after it */
    bool sending;
    uint64_t drain_deadline;
    bool budget_mode;
    uint64_t budget; /* --requests: measured requests this thread may still send */
    bool budget_done;
    unsigned open_conns;
    unsigned reopening; /* connections waiting to reopen, or reopening */
    uint64_t in_flight; /* over all connections */

    /* Open loop. */
    bool open_loop;
    uint64_t interval; /* ns between two requests of one connection */
    unsigned cursor; /* the connection whose slot comes next */
    uint64_t cursor_round;
};

/*** conns.c ***/

enum close_reason { CLOSE_DONE, CLOSE_RESET, CLOSE_EOF, CLOSE_TIMEOUT, CLOSE_PROTOCOL };

void conn_watch(struct worker *w, struct conn *c, int op, uint32_t events);
/* Opens every connection of the thread, within --connect-timeout. */
void conns_connect_all(struct worker *w);
/* When the load starts: the connections that could not be made wait to be reopened. */
void conns_start(struct worker *w, uint64_t now);
/* Closes a connection; during the run, one the server closed, reset, refused
 * or left silent is reopened later (see conns.c). */
void conn_close(struct worker *w, struct conn *c, enum close_reason why);
/* A connect in progress during the run has an event. */
void conn_connect_done(struct worker *w, struct conn *c, uint64_t now);
/* Every TICK_NS: reopens the connections due, fails the connects too slow. */
void conns_tick(struct worker *w, uint64_t now);
/* Sending has stopped: nothing is reopened any more. */
void conns_stop_reopening(struct worker *w);
void conns_free(struct worker *w);

/* Slots first + k * interval, k >= 0, that fall in [lo, hi). */
uint64_t slots_in(uint64_t first, uint64_t interval, uint64_t lo, uint64_t hi);

/*** engine.c ***/

bool engine_stop_requested(void);

/* Tops the connection's pipeline up and writes. */
void conn_refill(struct worker *w, struct conn *c, uint64_t now);

#endif
