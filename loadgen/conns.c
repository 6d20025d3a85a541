/* The engine's connections: opened before the load, closed at its end, and
 * reopened in between when they fail.
 *
 * During the run, a connection that the server closes, resets or refuses
 * (too_many_connections), or that gets no reply for --timeout, is counted
 * and reopened after a back-off: REOPEN_BACKOFF_NS, doubling up to
 * BACKOFF_MAX_NS, REFUSED_BACKOFF_NS after a refusal. A connection stops
 * trying after REOPEN_TRIES attempts in a row without a real reply, and
 * nothing is reopened in the last moments of the run (see reopen_until).
 * Connections that could not be made at the start are tried again the same
 * way, as long as at least one connection was made. A connection closed
 * for a protocol error is not reopened. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "engine_impl.h"

#define REOPEN_BACKOFF_NS  (20 * LG_MS_NS)
#define REFUSED_BACKOFF_NS (50 * LG_MS_NS)
#define BACKOFF_MAX_NS     (1000 * LG_MS_NS)
#define REOPEN_TRIES       10

void conn_watch(struct worker *w, struct conn *c, int op, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(w->epfd, op, c->fd, &ev) != 0) {
        fprintf(stderr, "loadgen: epoll_ctl: %s\n", strerror(errno)); /* only a bug gets here */
        abort();
    }
}

uint64_t slots_in(uint64_t first, uint64_t interval, uint64_t lo, uint64_t hi)
{
    if (hi <= lo || hi <= first)
        return 0;
    uint64_t k0 = first >= lo ? 0 : (lo - first + interval - 1) / interval;
    uint64_t k1 = (hi - first + interval - 1) / interval; /* the first slot at or after hi */
    return k1 > k0 ? k1 - k0 : 0;
}

/*** opening ***/

static bool conn_buffers(struct worker *w, struct conn *c)
{
    if (!c->ring)
        c->ring = malloc(sizeof *c->ring * w->o->pipeline);
    if (!c->wbuf)
        c->wbuf = malloc(w->wbuf_cap + COPY_SLACK);
    return c->ring && c->wbuf;
}

/* Starts a non-blocking connect; false (errno set, no socket left) if it failed at once. */
static bool start_connect(struct worker *w, struct conn *c)
{
    const struct lg_run *run = w->run;
    c->fd = socket(run->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return false;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (const struct sockaddr *)&run->addr, run->addr_len) == 0) {
        c->state = CONN_OPEN;
        conn_watch(w, c, EPOLL_CTL_ADD, 0); /* not read until the load starts */
        return true;
    }
    if (errno != EINPROGRESS) {
        int e = errno;
        close(c->fd);
        c->fd = -1;
        errno = e;
        return false;
    }
    c->state = CONN_CONNECTING;
    conn_watch(w, c, EPOLL_CTL_ADD, EPOLLOUT);
    return true;
}

static int connect_error(struct conn *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    return err;
}

static void connect_failed(struct worker *w, struct conn *c, int err)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = CONN_CLOSED;
    w->stats.connect_failed++;
    if (!w->stats.first_connect_errno)
        w->stats.first_connect_errno = err;
}

void conns_connect_all(struct worker *w)
{
    unsigned pending = 0;
    for (unsigned i = 0; i < w->n_conns; i++) {
        struct conn *c = &w->conns[i];
        if (!start_connect(w, c))
            connect_failed(w, c, errno);
        else if (c->state == CONN_CONNECTING)
            pending++;
    }
    uint64_t deadline = lg_now_ns() + w->o->connect_timeout_ms * LG_MS_NS;
    struct epoll_event events[MAX_EVENTS];
    while (pending > 0 && !engine_stop_requested()) {
        uint64_t now = lg_now_ns();
        if (now >= deadline)
            break;
        int ms = (int)((deadline - now) / LG_MS_NS) + 1;
        int n = epoll_wait(w->epfd, events, MAX_EVENTS, ms < 100 ? ms : 100);
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (c->state != CONN_CONNECTING)
                continue;
            int err = connect_error(c);
            pending--;
            if (err) {
                connect_failed(w, c, err);
            } else {
                c->state = CONN_OPEN;
                conn_watch(w, c, EPOLL_CTL_MOD, 0);
            }
        }
    }
    for (unsigned i = 0; i < w->n_conns; i++) {
        struct conn *c = &w->conns[i];
        if (c->state == CONN_CONNECTING)
            connect_failed(w, c, ETIMEDOUT);
        else if (c->state == CONN_OPEN && !conn_buffers(w, c))
            connect_failed(w, c, ENOMEM);
        else if (c->state == CONN_OPEN)
            w->open_conns++, c->opened = true;
    }
    w->stats.conns_opened = w->open_conns;
}

/*** reopening ***/

/* Sets when the connection tries again; false if it does not. */
static bool next_try(struct worker *w, struct conn *c, uint64_t now)
{
    if (!w->sending || now >= w->reopen_until)
        return false;
    if (c->tries >= REOPEN_TRIES) {
        w->stats.gave_up++;
        return false;
    }
    uint64_t wait = (c->refused ? REFUSED_BACKOFF_NS : REOPEN_BACKOFF_NS) << c->tries;
    c->tries++;
    c->retry_at = now + (wait < BACKOFF_MAX_NS ? wait : BACKOFF_MAX_NS);
    return c->retry_at < w->reopen_until;
}

static void give_up(struct worker *w, struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = CONN_CLOSED;
    w->reopening--;
}

/* A reopening attempt failed: wait and try again, or give up. */
static void retry_later(struct worker *w, struct conn *c, uint64_t now)
{
    w->stats.reopen_failed++;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = CONN_WAITING;
    if (!next_try(w, c, now))
        give_up(w, c);
}

/* The connection is open again: a fresh start, its missed schedule skipped. */
static void conn_up(struct worker *w, struct conn *c, uint64_t now)
{
    if (!conn_buffers(w, c)) {
        retry_later(w, c, now);
        return;
    }
    c->state = CONN_OPEN;
    c->opened = true;
    c->closed_early = c->refused = c->served = c->want_out = false;
    c->head = c->count = c->woff = c->wlen = c->carry_len = 0;
    c->last_progress = now;
    w->open_conns++;
    w->reopening--;
    w->stats.reopened++;
    conn_watch(w, c, EPOLL_CTL_MOD, EPOLLIN);
    if (w->open_loop && c->next_due < now) {
        /* The slots that passed while it was closed are not sent late: they
         * are counted as never sent, like those of a connection that stays closed. */
        uint64_t hi = now < w->end ? now : w->end;
        w->stats.unsent_closed += slots_in(c->next_due, w->interval, w->warmup_end, hi);
        c->next_due += slots_in(c->next_due, w->interval, c->next_due, now) * w->interval;
    }
    conn_refill(w, c, now);
}

static void reopen(struct worker *w, struct conn *c, uint64_t now)
{
    if (!start_connect(w, c))
        retry_later(w, c, now);
    else if (c->state == CONN_OPEN)
        conn_up(w, c, now);
    else
        c->retry_at = now; /* connecting since */
}

void conn_connect_done(struct worker *w, struct conn *c, uint64_t now)
{
    if (connect_error(c))
        retry_later(w, c, now);
    else
        conn_up(w, c, now);
}

void conns_start(struct worker *w, uint64_t now)
{
    for (unsigned i = 0; i < w->n_conns; i++) {
        struct conn *c = &w->conns[i];
        if (c->state == CONN_CLOSED && next_try(w, c, now)) {
            c->state = CONN_WAITING;
            w->reopening++;
        }
    }
}

void conns_tick(struct worker *w, uint64_t now)
{
    if (w->reopening == 0)
        return;
    uint64_t connect_limit = w->o->connect_timeout_ms * LG_MS_NS;
    for (unsigned i = 0; i < w->n_conns; i++) {
        struct conn *c = &w->conns[i];
        if (c->state == CONN_WAITING && c->retry_at <= now) {
            if (w->sending && now < w->reopen_until)
                reopen(w, c, now);
            else
                give_up(w, c);
        } else if (c->state == CONN_CONNECTING && now - c->retry_at > connect_limit) {
            retry_later(w, c, now);
        }
    }
}

void conns_stop_reopening(struct worker *w)
{
    for (unsigned i = 0; i < w->n_conns && w->reopening > 0; i++) {
        struct conn *c = &w->conns[i];
        if (c->state == CONN_WAITING || c->state == CONN_CONNECTING)
            give_up(w, c);
    }
}

/*** closing ***/

/* The requests in flight will get no reply. */
static void forget_in_flight(struct worker *w, struct conn *c)
{
    if (c->refused) { /* the server never read them */
        w->stats.sent_refused += c->count;
    } else {
        w->stats.unanswered += c->count;
        uint32_t k = c->head;
        for (uint32_t i = 0; i < c->count; i++) {
            verify_note_lost(&w->sums, c->ring[k].req);
            if (++k == w->o->pipeline)
                k = 0;
        }
    }
    w->in_flight -= c->count;
    c->count = 0;
}

void conn_close(struct worker *w, struct conn *c, enum close_reason why)
{
    if (c->state == CONN_WAITING || c->state == CONN_CONNECTING) {
        give_up(w, c);
        return;
    }
    if (c->state != CONN_OPEN)
        return;
    bool busy = c->count > 0 || w->sending;
    if (!c->refused) {
        switch (why) {
        case CLOSE_RESET: w->stats.resets++; break;
        case CLOSE_EOF: w->stats.closed_by_server += busy; break;
        case CLOSE_TIMEOUT: w->stats.timed_out++; break;
        default: break;
        }
    }
    forget_in_flight(w, c);
    close(c->fd);
    c->fd = -1;
    c->state = CONN_CLOSED;
    c->closed_early = why != CLOSE_DONE;
    w->open_conns--;
    if (why != CLOSE_DONE && why != CLOSE_PROTOCOL && next_try(w, c, lg_now_ns())) {
        c->state = CONN_WAITING;
        w->reopening++;
    }
}

void conns_free(struct worker *w)
{
    for (unsigned i = 0; w->conns && i < w->n_conns; i++) {
        struct conn *c = &w->conns[i];
        free(c->ring);
        free(c->wbuf);
        free(c->carry);
    }
    free(w->conns);
    w->conns = NULL;
}
