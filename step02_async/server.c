/* step02_async: one thread, many clients.
 *
 * epoll tells the one thread which sockets are ready; every socket is
 * non-blocking, and each connection keeps its own unfinished line and its own
 * unsent replies. Nobody waits behind anybody else: this is about waiting
 * efficiently, not about speed. */

/*** includes ***/

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "intake.h"
#include "listener.h"
#include "log.h"
#include "net.h"
#include "outbuf.h"
#include "response.h"

/*** options ***/

static const struct stage_info stage = {
    .name = STAGE_NAME, /* "stepNN" and port 70NN, from the directory name (CMakeLists.txt) */
    .summary = "Event-loop echo server: one thread serves many clients with epoll.",
    .default_port = STAGE_PORT,
    .used_options = OPTS_BASE | OPT_BIT(OPT_MAX_CONNS) | OPT_BIT(OPT_MAX_OUTBUF),
};

/*** state ***/

#define READ_CHUNK (64 * 1024) /* one read per client per wake-up: fair to the others */
#define MAX_EVENTS 256

struct conn {
    int fd;
    uint32_t watching; /* the epoll events registered for it */
    bool eof; /* the client has sent all it will: answer, then close */
    struct intake in; /* its unfinished line, and input held back */
    struct outbuf out; /* its replies the socket has not taken yet */
};

struct server {
    const struct options *opts;
    int epoll_fd;
    struct listener listener; /* in epoll with data.ptr NULL */
    size_t conns; /* connections open */
    char *read_buf; /* one read's bytes; shared, since one read is handled at a time */
    struct outbuf replies; /* the replies to that read, shared likewise */
};

static void accept_clients(struct server *s);
static bool on_readable(struct server *s, struct conn *c);
static bool on_writable(struct server *s, struct conn *c);
static bool handle_input(struct server *s, struct conn *c, struct chunk *bytes);
static void handle_request(struct server *s, char *line, size_t len);

/*** main ***/

static void run(struct server *s);
static void watch(struct server *s, int op, int fd, uint32_t events, void *ptr);

int main(int argc, char **argv)
{
    struct options opts;
    options_parse(&opts, &stage, argc, argv);

    struct server s = {.opts = &opts, .read_buf = malloc(READ_CHUNK)};
    s.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (!s.read_buf || s.epoll_fd < 0) {
        log_error("cannot start: %s", strerror(errno)); /* malloc sets errno too */
        return 1;
    }
    listener_open(&s.listener, s.epoll_fd, &opts);
    announce_listening(stage.name, s.listener.fd);
    run(&s);
}

/*** event loop ***/

static void run(struct server *s)
{
    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int timeout = listener_timeout(&s->listener);
        int n = epoll_wait(s->epoll_fd, events, MAX_EVENTS, timeout);
        if (n < 0 && errno != EINTR) {
            log_error("epoll_wait: %s", strerror(errno));
            exit(1);
        }
        listener_resume_if_due(&s->listener);
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            uint32_t ev = events[i].events;
            if (!c) {
                accept_clients(s);
                continue;
            }
            if ((ev & EPOLLOUT) && !on_writable(s, c))
                continue; /* closed */
            if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))
                on_readable(s, c);
        }
    }
}

static void watch(struct server *s, int op, int fd, uint32_t events, void *ptr)
{
    struct epoll_event ev = {.events = events, .data.ptr = ptr};
    if (epoll_ctl(s->epoll_fd, op, fd, &ev) != 0) {
        log_error("epoll_ctl: %s", strerror(errno)); /* only a bug gets here */
        abort();
    }
}

/*** connections ***/

/* Takes the clients waiting. listener_accept bounds how many per wake-up,
 * refuses those over --max-conns and pauses when out of file descriptors. */
static void accept_clients(struct server *s)
{
    int fd;
    while ((fd = listener_accept(&s->listener, s->conns)) >= 0) {
        struct conn *c = malloc(sizeof *c);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (!c || epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            listener_pause(&s->listener);
            free(c);
            close(fd);
            return;
        }
        *c = (struct conn){.fd = fd, .watching = EPOLLIN};
        intake_init(&c->in, s->opts->max_line);
        tune_client_socket(fd);
        s->conns++;
        listener_taken(&s->listener);
    }
}

/* Returns false: the connection is closed and freed. */
static bool close_conn(struct server *s, struct conn *c)
{
    close(c->fd); /* also removes it from epoll */
    intake_free(&c->in);
    outbuf_free(&c->out);
    free(c);
    s->conns--;
    return false;
}

/* After a write: close if done or broken; otherwise watch for what we need.
 * A client whose unread replies pass --max-outbuf is not read until they
 * drain; input held back meanwhile is answered first, once there is room. */
static bool after_send(struct server *s, struct conn *c, enum send_status st)
{
    if (st == SEND_FAILED || (c->eof && st == SEND_DONE))
        return close_conn(s, c);
    bool holding = intake_holds(&c->in);
    uint32_t want = 0;
    if (!c->eof && !holding && outbuf_len(&c->out) <= s->opts->max_outbuf)
        want |= EPOLLIN;
    if (st == SEND_PENDING || holding) /* held input: answered once the socket has room */
        want |= EPOLLOUT;
    if (want != c->watching) {
        c->watching = want;
        watch(s, EPOLL_CTL_MOD, c->fd, want, c);
    }
    return true;
}

/* One read (or the input held back from an earlier one), its complete lines
 * answered, the replies written at once. */
static bool on_readable(struct server *s, struct conn *c)
{
    struct chunk bytes = {0}; /* nothing is read while input is held back */
    if (!intake_holds(&c->in)) {
        ssize_t n = recv(c->fd, s->read_buf, READ_CHUNK, 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return true;
            return close_conn(s, c); /* reset by the peer, ... */
        }
        c->eof = n == 0; /* an unfinished last line is not a line: it gets no reply */
        bytes = (struct chunk){s->read_buf, (size_t)n};
    }
    if (!handle_input(s, c, &bytes)) {
        outbuf_clear(&s->replies);
        return close_conn(s, c);
    }
    return after_send(s, c, outbuf_send(&s->replies, &c->out, c->fd));
}

static bool on_writable(struct server *s, struct conn *c)
{
    if (!after_send(s, c, outbuf_flush(&c->out, c->fd)))
        return false; /* closed */
    if (intake_holds(&c->in) && outbuf_len(&c->out) <= s->opts->max_outbuf)
        return on_readable(s, c);
    return true;
}

/* Answers the complete lines in bytes while the replies the client has not
 * read stay within --max-outbuf; past it, the rest is held back. False if
 * the connection must close. */
static bool handle_input(struct server *s, struct conn *c, struct chunk *bytes)
{
    for (;;) {
        bool room = outbuf_len(&s->replies) + outbuf_len(&c->out) <= s->opts->max_outbuf;
        struct frame f = intake_next(&c->in, bytes, room);
        switch (f.kind) {
        case FRAME_NONE: return true;
        case FRAME_LINE: handle_request(s, f.line, f.len); break;
        case FRAME_TOO_LONG: respond_error(&s->replies, REASON_LINE_TOO_LONG); break;
        case FRAME_NO_MEMORY: return false;
        }
    }
}

/*** requests ***/

static void handle_request(struct server *s, char *line, size_t len)
{
    respond_echo(&s->replies, line, len);
}
