/* A thread's connections: opened before the load, closed at its end, and
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
#include "conns.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define READ_SIZE          (64 * 1024) /* one read per connection per wake-up */
#define CARRY_FIRST        256 /* first size of a connection's carry buffer */
#define CONNECT_EVENTS     512
#define REOPEN_BACKOFF_NS  (20 * LG_MS_NS)
#define REFUSED_BACKOFF_NS (50 * LG_MS_NS)
#define BACKOFF_MAX_NS     (1000 * LG_MS_NS)
#define REOPEN_TRIES       10

static void watch(struct conns *cs, struct conn *c, int op, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(cs->epfd, op, c->fd, &ev) != 0) {
        fprintf(stderr, "loadgen: epoll_ctl: %s\n", strerror(errno)); /* only a bug gets here */
        abort();
    }
}

bool conns_init(struct conns *cs, const struct conns_config *cfg)
{
    *cs = (struct conns){.cfg = *cfg, .wbuf_cap = (size_t)cfg->pipeline * REQ_LINE_MAX};
    cs->epfd = epoll_create1(EPOLL_CLOEXEC);
    cs->conn = calloc(cfg->n, sizeof *cs->conn);
    cs->rbuf = malloc(READ_SIZE + REPLY_LINE_MAX);
    if (cs->epfd < 0 || !cs->conn || !cs->rbuf) {
        conns_free(cs);
        return false;
    }
    for (unsigned i = 0; i < cfg->n; i++)
        cs->conn[i].fd = -1;
    return true;
}

void conns_free(struct conns *cs)
{
    for (unsigned i = 0; cs->conn && i < cs->cfg.n; i++) {
        struct conn *c = &cs->conn[i];
        if (c->fd >= 0)
            close(c->fd);
        free(c->ring);
        free(c->wbuf);
        free(c->carry);
    }
    if (cs->epfd >= 0)
        close(cs->epfd);
    free(cs->conn);
    free(cs->rbuf);
    cs->conn = NULL;
    cs->rbuf = NULL;
    cs->epfd = -1;
}

/*** opening ***/

static bool conn_buffers(struct conns *cs, struct conn *c)
{
    if (!c->ring)
        c->ring = malloc(sizeof *c->ring * cs->cfg.pipeline);
    if (!c->wbuf)
        c->wbuf = malloc(cs->wbuf_cap + COPY_SLACK);
    return c->ring && c->wbuf;
}

/* Starts a non-blocking connect, which ends with an EPOLLOUT event (at once
 * if it is made at once); false (errno set, no socket left) if it failed. */
static bool start_connect(struct conns *cs, struct conn *c)
{
    c->fd = socket(cs->cfg.addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return false;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (const struct sockaddr *)cs->cfg.addr, cs->cfg.addr_len) != 0 &&
        errno != EINPROGRESS) {
        int e = errno;
        close(c->fd);
        c->fd = -1;
        errno = e;
        return false;
    }
    c->state = CONN_CONNECTING;
    watch(cs, c, EPOLL_CTL_ADD, EPOLLOUT);
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

static void connect_failed(struct conns *cs, struct conn *c, int err)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = CONN_CLOSED;
    cs->cfg.stats->connect_failed++;
    if (!cs->cfg.stats->first_connect_errno)
        cs->cfg.stats->first_connect_errno = err;
}

void conns_connect_all(struct conns *cs, const atomic_bool *stop)
{
    unsigned pending = 0;
    for (unsigned i = 0; i < cs->cfg.n; i++) {
        struct conn *c = &cs->conn[i];
        if (start_connect(cs, c))
            pending++;
        else
            connect_failed(cs, c, errno);
    }
    uint64_t deadline = lg_now_ns() + cs->cfg.connect_timeout_ms * LG_MS_NS;
    struct epoll_event events[CONNECT_EVENTS];
    while (pending > 0 && !atomic_load(stop)) {
        uint64_t now = lg_now_ns();
        if (now >= deadline)
            break;
        int ms = (int)((deadline - now) / LG_MS_NS) + 1;
        int n = epoll_wait(cs->epfd, events, CONNECT_EVENTS, ms < 100 ? ms : 100);
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (c->state != CONN_CONNECTING)
                continue;
            int err = connect_error(c);
            pending--;
            if (err) {
                connect_failed(cs, c, err);
            } else {
                c->state = CONN_OPEN;
                watch(cs, c, EPOLL_CTL_MOD, 0); /* not read until the load starts */
            }
        }
    }
    for (unsigned i = 0; i < cs->cfg.n; i++) {
        struct conn *c = &cs->conn[i];
        if (c->state == CONN_CONNECTING)
            connect_failed(cs, c, ETIMEDOUT);
        else if (c->state == CONN_OPEN && !conn_buffers(cs, c))
            connect_failed(cs, c, ENOMEM);
        else if (c->state == CONN_OPEN)
            cs->open++, c->opened = true;
    }
    cs->cfg.stats->conns_opened = cs->open;
}

/*** reopening ***/

/* Sets when the connection tries again; false if it does not. */
static bool next_try(struct conns *cs, struct conn *c, uint64_t now)
{
    if (!cs->running || now >= cs->reopen_until)
        return false;
    if (c->tries >= REOPEN_TRIES) {
        cs->cfg.stats->gave_up++;
        return false;
    }
    uint64_t wait = (c->refused ? REFUSED_BACKOFF_NS : REOPEN_BACKOFF_NS) << c->tries;
    c->tries++;
    c->retry_at = now + (wait < BACKOFF_MAX_NS ? wait : BACKOFF_MAX_NS);
    return c->retry_at < cs->reopen_until;
}

static void give_up(struct conns *cs, struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = CONN_CLOSED;
    cs->reopening--;
}

/* A reopening attempt failed: wait and try again, or give up. */
static void retry_later(struct conns *cs, struct conn *c, uint64_t now)
{
    cs->cfg.stats->reopen_failed++;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = CONN_WAITING;
    if (!next_try(cs, c, now))
        give_up(cs, c);
}

static void reopen(struct conns *cs, struct conn *c, uint64_t now)
{
    if (!start_connect(cs, c)) {
        retry_later(cs, c, now);
        return;
    }
    c->retry_at = now; /* connecting since */
}

bool conn_connect_done(struct conns *cs, struct conn *c, uint64_t now)
{
    if (connect_error(c) || !conn_buffers(cs, c)) {
        retry_later(cs, c, now);
        return false;
    }
    /* A fresh start: nothing in flight, nothing to write. */
    c->state = CONN_OPEN;
    c->opened = true;
    c->closed_early = c->refused = c->served = c->want_out = false;
    c->head = c->count = c->woff = c->wlen = c->carry_len = 0;
    c->last_progress = now;
    cs->open++;
    cs->reopening--;
    cs->cfg.stats->reopened++;
    watch(cs, c, EPOLL_CTL_MOD, EPOLLIN);
    return true;
}

void conns_start(struct conns *cs, uint64_t now, uint64_t reopen_until)
{
    cs->running = true;
    cs->reopen_until = reopen_until;
    for (unsigned i = 0; i < cs->cfg.n; i++) {
        struct conn *c = &cs->conn[i];
        if (c->state == CONN_OPEN) {
            c->want_out = false;
            c->last_progress = now;
            watch(cs, c, EPOLL_CTL_MOD, EPOLLIN);
        } else if (c->state == CONN_CLOSED && next_try(cs, c, now)) {
            c->state = CONN_WAITING;
            cs->reopening++;
        }
    }
}

void conns_tick(struct conns *cs, uint64_t now)
{
    uint64_t reply_limit = (uint64_t)cs->cfg.reply_timeout_ms * LG_MS_NS;
    uint64_t connect_limit = (uint64_t)cs->cfg.connect_timeout_ms * LG_MS_NS;
    for (unsigned i = 0; i < cs->cfg.n; i++) {
        struct conn *c = &cs->conn[i];
        if (c->state == CONN_OPEN && c->count > 0 && now - c->last_progress > reply_limit) {
            conn_close(cs, c, CLOSE_TIMEOUT);
        } else if (c->state == CONN_WAITING && c->retry_at <= now) {
            if (cs->running && now < cs->reopen_until)
                reopen(cs, c, now);
            else
                give_up(cs, c);
        } else if (c->state == CONN_CONNECTING && now - c->retry_at > connect_limit) {
            retry_later(cs, c, now);
        }
    }
}

void conns_stop_reopening(struct conns *cs)
{
    cs->running = false;
    for (unsigned i = 0; i < cs->cfg.n && cs->reopening > 0; i++) {
        struct conn *c = &cs->conn[i];
        if (c->state == CONN_WAITING || c->state == CONN_CONNECTING)
            give_up(cs, c);
    }
}

/*** the server's answers ***/

void conn_served(struct conns *cs, struct conn *c)
{
    c->served = true;
    c->tries = 0;
    cs->cfg.stats->conns_served++;
}

void conn_refused(struct conns *cs, struct conn *c)
{
    c->refused = true;
    cs->cfg.stats->refused++;
}

/*** writing and reading ***/

void conn_flush(struct conns *cs, struct conn *c)
{
    if (c->wlen > c->woff) {
        ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
        cs->cfg.stats->writes++;
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                conn_close(cs, c, CLOSE_RESET);
                return;
            }
            n = 0;
        }
        c->woff += (uint32_t)n;
        cs->cfg.stats->bytes_sent += (uint64_t)n;
    }
    bool pending = c->wlen > c->woff;
    if (!pending)
        c->woff = c->wlen = 0;
    if (pending != c->want_out) {
        c->want_out = pending;
        watch(cs, c, EPOLL_CTL_MOD, pending ? EPOLLIN | EPOLLOUT : EPOLLIN);
    }
}

size_t conn_read(struct conns *cs, struct conn *c, char **data)
{
    char *buf = cs->rbuf;
    size_t have = c->carry_len;
    if (have)
        memcpy(buf, c->carry, have);
    ssize_t n = recv(c->fd, buf + have, READ_SIZE, 0);
    cs->cfg.stats->reads++;
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            conn_close(cs, c, CLOSE_RESET);
        return 0;
    }
    if (n == 0) {
        conn_close(cs, c, CLOSE_EOF);
        return 0;
    }
    cs->cfg.stats->bytes_received += (uint64_t)n;
    *data = buf;
    return have + (size_t)n;
}

bool conn_keep(struct conns *cs, struct conn *c, const char *rest, size_t len)
{
    if (len > c->carry_cap) { /* small at first; grows for long replies only */
        uint32_t cap = len <= CARRY_FIRST ? CARRY_FIRST : REPLY_LINE_MAX;
        char *grown = realloc(c->carry, cap);
        if (!grown) {
            conn_close(cs, c, CLOSE_PROTOCOL);
            return false;
        }
        c->carry = grown;
        c->carry_cap = cap;
    }
    if (len)
        memcpy(c->carry, rest, len);
    c->carry_len = (uint32_t)len;
    return true;
}

/*** closing ***/

/* The requests in flight will get no reply. */
static void forget_in_flight(struct conns *cs, struct conn *c)
{
    if (c->refused) { /* the server never read them */
        cs->cfg.stats->sent_refused += c->count;
    } else {
        cs->cfg.stats->unanswered += c->count;
        uint32_t k = c->head;
        for (uint32_t i = 0; i < c->count; i++) {
            verify_note_lost(cs->cfg.sums, c->ring[k].req);
            if (++k == cs->cfg.pipeline)
                k = 0;
        }
    }
    cs->in_flight -= c->count;
    c->count = 0;
}

void conn_close(struct conns *cs, struct conn *c, enum close_reason why)
{
    if (c->state == CONN_WAITING || c->state == CONN_CONNECTING) {
        give_up(cs, c);
        return;
    }
    if (c->state != CONN_OPEN)
        return;
    bool busy = c->count > 0 || cs->running;
    if (!c->refused) {
        switch (why) {
        case CLOSE_RESET: cs->cfg.stats->resets++; break;
        case CLOSE_EOF: cs->cfg.stats->closed_by_server += busy; break;
        case CLOSE_TIMEOUT: cs->cfg.stats->timed_out++; break;
        default: break;
        }
    }
    forget_in_flight(cs, c);
    close(c->fd);
    c->fd = -1;
    c->state = CONN_CLOSED;
    c->closed_early = why != CLOSE_DONE;
    cs->open--;
    if (why != CLOSE_DONE && why != CLOSE_PROTOCOL && next_try(cs, c, lg_now_ns())) {
        c->state = CONN_WAITING;
        cs->reopening++;
    }
}

void conns_close_all(struct conns *cs)
{
    for (unsigned i = 0; i < cs->cfg.n; i++)
        conn_close(cs, &cs->conn[i], CLOSE_DONE);
}
