/* step10_shutdown: stopping without losing anything.
 *
 * Stage 09 plus a graceful drain. SIGINT and SIGTERM are blocked in every
 * thread and arrive on a signalfd the event loop watches. On the first one
 * the server stops accepting, gives every connection one last read so that
 * lines already delivered are answered too (events now get shutting_down),
 * flushes, half-closes, lets the workers empty the queue, joins them, prints
 * the final metrics line and exits 0: every event answered "accepted" has
 * been processed. --drain-timeout-ms bounds it all; a second signal exits at
 * once. {"type":"health"} says "ok", or "draining". */

/*** includes ***/

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/sockios.h>

#include <urcu/urcu-memb.h>

#include "accounts.h"
#include "cli.h"
#include "clock.h"
#include "intake.h"
#include "listener.h"
#include "log.h"
#include "net.h"
#include "outbuf.h"
#include "queue.h"
#include "request.h"
#include "response.h"
#include "thread.h"
#include "work.h"

/*** options ***/

static const struct stage_info stage = {
    .name = STAGE_NAME, /* "stepNN" and port 70NN, from the directory name (CMakeLists.txt) */
    .summary = "The step09 server with a graceful drain on SIGINT/SIGTERM, and health checks.",
    .default_port = STAGE_PORT,
    .used_options = OPTS_BASE | OPT_BIT(OPT_MAX_CONNS) | OPT_BIT(OPT_MAX_OUTBUF) |
                    OPT_BIT(OPT_WORK_US) | OPT_BIT(OPT_QUEUE_CAP) | OPT_BIT(OPT_WORKERS) |
                    OPT_BIT(OPT_DRAIN_TIMEOUT_MS),
};

/*** state ***/

#define READ_CHUNK (64 * 1024) /* one read per client per wake-up: fair to the others */
#define MAX_EVENTS 256
#define TAKE_BATCH 32 /* events a worker takes off the queue at once */

#define DRAIN_TICK_MS 20 /* while draining, look at the clock this often */
#define LINGER_MS     1000 /* half-closed: a client silent this long may be closed (ms) */

struct conn {
    int fd;
    uint32_t watching; /* the epoll events registered for it */
    bool eof; /* the client has sent all it will: answer, then close */
    struct intake in; /* its unfinished line, and input held back */
    struct outbuf out; /* its replies the socket has not taken yet */
    bool last_read_due; /* shutting down: one more read, once the input held back is answered */
    bool draining; /* shutting down: it had its last read, nothing more is served */
    uint64_t linger_until; /* half-closed: input is dropped until the client's EOF; silent
                            * until this time (ms), it may be closed sooner */
    struct conn *prev, *next; /* every open connection, for the drain */
};

/* One worker thread. Its counter is its own, on its own cache line: workers
 * never write to the same line, and a reader just adds them up. */
struct worker {
    _Alignas(64) _Atomic uint64_t processed; /* events taken off the queue and done with */
    struct workers *all;
    pthread_t thread;
};

/* The threads that apply events, and what they share. */
struct workers {
    struct queue *queue;
    unsigned work_us;
    struct accounts balances; /* lock-free */
    unsigned count;
    struct worker *each;
    int exited_fd; /* an eventfd: each worker adds 1 as it exits */
};

/* The event loop's counters: only it writes them, anybody may read them. */
struct counters {
    _Alignas(64) _Atomic uint64_t received; /* valid events taken in: accepted + dropped */
    _Atomic uint64_t dropped; /* events refused: server_busy or shutting_down */
};

struct server {
    const struct options *opts;
    int epoll_fd;
    struct listener listener; /* in epoll with data.ptr NULL */
    size_t conns; /* connections open */
    char *read_buf; /* one read's bytes; shared, since one read is handled at a time */
    struct outbuf replies; /* the replies to that read, shared likewise */
    struct queue queue; /* events waiting for the workers */
    struct counters counters;
    struct workers *workers; /* for the balances and their counters */
    int signal_fd; /* SIGINT and SIGTERM arrive here */
    bool draining; /* a signal came: finish what was read, then stop */
    uint64_t drain_deadline; /* draining: when to give up (ms) */
    struct conn *conn_list;
};

static void accept_clients(struct server *s);
static bool on_readable(struct server *s, struct conn *c);
static bool on_writable(struct server *s, struct conn *c);
static bool catch_up(struct server *s, struct conn *c);
static bool handle_input(struct server *s, struct conn *c, struct chunk *bytes);
static void handle_request(struct server *s, char *line, size_t len);
static void queue_event(struct server *s, const struct request *req);
static void answer_balance(struct server *s, const struct request *req);
static void answer_metrics(struct server *s);
static void answer_health(struct server *s);
static void *process_events(void *arg);
static void apply_event(struct workers *w, const struct queued_event *e);
static void log_if_queue_empty(struct workers *w);
static void on_signal(struct server *s);
static void begin_shutdown(struct server *s, int signo);
static void linger(struct server *s, struct conn *c);
static void expire_drain(struct server *s);
static int finish(struct server *s);

/*** main ***/

static void run(struct server *s);
static void watch(struct server *s, int op, int fd, uint32_t events, void *ptr);

int main(int argc, char **argv)
{
    struct options opts;
    options_parse(&opts, &stage, argc, argv);

    /* Blocked before any thread starts, so that every thread inherits the
     * mask: the signals wait in the signalfd for the event loop. */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);

    struct server s = {.opts = &opts, .read_buf = malloc(READ_CHUNK)};
    s.signal_fd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
    struct workers w = {.queue = &s.queue, .work_us = opts.work_us, .count = opts.workers};
    w.each = aligned_alloc(_Alignof(struct worker), w.count * sizeof(struct worker));
    s.workers = &w;
    w.exited_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    s.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (!s.read_buf || !w.each || !accounts_init(&w.balances) || s.epoll_fd < 0 ||
        s.signal_fd < 0 || w.exited_fd < 0 || !queue_init(&s.queue, opts.queue_cap)) {
        log_error("cannot start: %s", strerror(errno)); /* malloc sets errno too */
        return 1;
    }
    for (unsigned i = 0; i < w.count; i++) {
        w.each[i] = (struct worker){.all = &w};
        int err = start_background_thread(&w.each[i].thread, "worker", process_events, &w.each[i]);
        if (err) {
            log_error("cannot start worker %u: %s", i, strerror(err));
            return 1;
        }
    }
    listener_open(&s.listener, s.epoll_fd, &opts);
    watch(&s, EPOLL_CTL_ADD, s.signal_fd, EPOLLIN, &s.signal_fd);
    urcu_memb_register_thread(); /* the event loop reads the balances too */
    announce_listening(stage.name, s.listener.fd);
    run(&s);
    return finish(&s);
}

/*** event loop ***/

/* Runs until a signal came and every connection is closed, or the drain
 * deadline passed. */
static void run(struct server *s)
{
    struct epoll_event events[MAX_EVENTS];
    while (!s->draining || (s->conn_list && monotonic_ms() < s->drain_deadline)) {
        int timeout = s->draining ? DRAIN_TICK_MS : listener_timeout(&s->listener);
        int n = epoll_wait(s->epoll_fd, events, MAX_EVENTS, timeout);
        if (n < 0 && errno != EINTR) {
            log_error("epoll_wait: %s", strerror(errno));
            exit(1);
        }
        listener_resume_if_due(&s->listener);
        bool signalled = false;
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            uint32_t ev = events[i].events;
            if (!c) {
                accept_clients(s);
                continue;
            }
            if (events[i].data.ptr == &s->signal_fd) {
                signalled = true; /* after this batch: the drain may close connections */
                continue;
            }
            if ((ev & EPOLLOUT) && !on_writable(s, c))
                continue; /* closed */
            if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))
                on_readable(s, c);
        }
        if (signalled)
            on_signal(s);
        if (s->draining)
            expire_drain(s);
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
        *c = (struct conn){.fd = fd, .watching = EPOLLIN, .next = s->conn_list};
        if (c->next)
            c->next->prev = c;
        s->conn_list = c;
        intake_init(&c->in, s->opts->max_line);
        tune_client_socket(fd);
        s->conns++;
        listener_taken(&s->listener);
    }
}

/* Returns false: the connection is closed and freed. */
static bool close_conn(struct server *s, struct conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conn_list = c->next;
    if (c->next)
        c->next->prev = c->prev;
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
    if (c->draining && st == SEND_DONE && !holding && !c->linger_until) {
        shutdown(c->fd, SHUT_WR); /* all answered: the client sees EOF */
        linger(s, c);
    }
    uint32_t want = 0;
    if (!c->eof && (c->linger_until ||
                    (!c->draining && !holding && outbuf_len(&c->out) <= s->opts->max_outbuf)))
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
    bool dropped = false;
    if (!intake_holds(&c->in)) {
        dropped = c->draining; /* it had its last read: what comes now is dropped */
        c->draining |= c->last_read_due; /* this is its last read */
        c->last_read_due = false;
        ssize_t n = recv(c->fd, s->read_buf, READ_CHUNK, 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return true;
            return close_conn(s, c); /* reset by the peer, ... */
        }
        c->eof = n == 0; /* an unfinished last line is not a line: it gets no reply */
        bytes = (struct chunk){s->read_buf, (size_t)n};
        if (c->linger_until && n > 0)
            linger(s, c); /* still sending: wait on for its EOF */
    }
    bool served = dropped || handle_input(s, c, &bytes);
    queue_publish(&s->queue); /* this read's events, to the workers in one go */
    if (!served) {
        outbuf_clear(&s->replies);
        return close_conn(s, c);
    }
    return after_send(s, c, outbuf_send(&s->replies, &c->out, c->fd));
}

static bool on_writable(struct server *s, struct conn *c)
{
    if (!after_send(s, c, outbuf_flush(&c->out, c->fd)))
        return false; /* closed */
    return catch_up(s, c);
}

/* While the client's unread replies leave room: answers the input held
 * back, then, shutting down, makes the last read. False if it closed. */
static bool catch_up(struct server *s, struct conn *c)
{
    while ((intake_holds(&c->in) || c->last_read_due) &&
           outbuf_len(&c->out) <= s->opts->max_outbuf) {
        if (!on_readable(s, c))
            return false; /* closed */
    }
    return after_send(s, c, outbuf_len(&c->out) ? SEND_PENDING : SEND_DONE);
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
    struct request req;
    request_parse(line, len, &req);
    switch (req.kind) {
    case REQUEST_EVENT: queue_event(s, &req); break;
    case REQUEST_COMMAND:
        if (req.command == COMMAND_BALANCE)
            answer_balance(s, &req);
        else if (req.command == COMMAND_METRICS)
            answer_metrics(s);
        else if (req.command == COMMAND_HEALTH)
            answer_health(s);
        else
            respond_error(&s->replies, REASON_UNKNOWN_TYPE);
        break;
    case REQUEST_INVALID: respond_error(&s->replies, req.reason); break;
    }
}

/* Hands the event to the workers, or refuses it: never waits for room. */
static void queue_event(struct server *s, const struct request *req)
{
    struct queued_event e = {.delta = event_delta(req), .user_len = req->user_len};
    memcpy(e.user, req->user, req->user_len);
    atomic_fetch_add_explicit(&s->counters.received, 1, memory_order_relaxed);
    if (s->draining) {
        atomic_fetch_add_explicit(&s->counters.dropped, 1, memory_order_relaxed);
        respond_rejected(&s->replies, REASON_SHUTTING_DOWN);
    } else if (queue_try_push(&s->queue, &e)) {
        respond_accepted(&s->replies);
    } else {
        atomic_fetch_add_explicit(&s->counters.dropped, 1, memory_order_relaxed);
        respond_rejected(&s->replies, REASON_SERVER_BUSY);
    }
}

/* Reads the shared balances on the event-loop thread, with no lock: it never
 * waits for a worker. */
static void answer_balance(struct server *s, const struct request *req)
{
    if (req->reason != REASON_NONE) {
        respond_error(&s->replies, req->reason);
        return;
    }
    int64_t balance = accounts_get(&s->workers->balances, req->user, req->user_len);
    respond_balance(&s->replies, req->user, req->user_len, balance);
}

static uint64_t count_processed(const struct workers *w)
{
    uint64_t processed = 0;
    for (unsigned i = 0; i < w->count; i++)
        processed += atomic_load_explicit(&w->each[i].processed, memory_order_relaxed);
    return processed;
}

static void answer_health(struct server *s)
{
    respond_health(&s->replies, s->draining);
}

/* Reads the counters without a lock. processed is read first: every event it
 * counts was received before, so received >= processed + dropped holds in
 * every answer, and at rest they are equal. */
static struct metrics read_metrics(struct server *s)
{
    uint64_t processed = count_processed(s->workers);
    return (struct metrics){
        .received = atomic_load_explicit(&s->counters.received, memory_order_relaxed),
        .processed = processed,
        .dropped = atomic_load_explicit(&s->counters.dropped, memory_order_relaxed),
        .queued = queue_len(&s->queue),
        .connections = s->conns,
    };
}

static void answer_metrics(struct server *s)
{
    struct metrics m = read_metrics(s);
    respond_metrics(&s->replies, &m);
}

/*** processing ***/

/* A worker thread: takes events off the queue in batches and applies them
 * without a lock: the balances are lock-free. It is registered with RCU, as
 * every thread that reads the table must be. An event that would overflow a
 * balance is not applied, is logged, and counts as processed. */
static void *process_events(void *arg)
{
    struct worker *self = arg;
    struct workers *w = self->all;
    urcu_memb_register_thread();
    /* With simulated work, one event at a time: the work dwarfs the cost of
     * taking it, and each event goes to whichever worker is free. */
    size_t batch_max = w->work_us > 0 ? 1 : TAKE_BATCH;
    uint64_t done = 0;
    struct queued_event batch[TAKE_BATCH];
    size_t n;
    while ((n = queue_take(w->queue, batch, batch_max)) > 0) { /* until closed and empty */
        for (size_t i = 0; i < n; i++) {
            apply_event(w, &batch[i]);
            /* Only this thread writes it; release: the balance first. */
            atomic_store_explicit(&self->processed, ++done, memory_order_release);
        }
        log_if_queue_empty(w);
    }
    urcu_memb_unregister_thread();
    uint64_t one = 1;
    if (write(w->exited_fd, &one, sizeof one) < 0)
        log_error("cannot report a worker's exit: %s", strerror(errno));
    return NULL;
}

static void apply_event(struct workers *w, const struct queued_event *e)
{
    simulate_work(w->work_us);
    int64_t balance = 0; /* known only once applied */
    enum apply_result result =
        accounts_apply(&w->balances, e->user, e->user_len, e->delta, &balance);
    log_update(result, e->user, e->user_len, balance);
}

/* For the debug log (tests wait for it): when the queue is empty, how many
 * events all workers have processed. The fence pairs with the other
 * workers' own: of two workers finishing at once, at least one sees both
 * counts, so the total is logged by the last to finish. */
static void log_if_queue_empty(struct workers *w)
{
    if (!log_enabled(LOG_DEBUG) || queue_len(w->queue) > 0)
        return;
    atomic_thread_fence(memory_order_seq_cst);
    log_debug("queue empty: %" PRIu64 " events processed", count_processed(w));
}

/*** shutdown ***/

/* The first signal starts the drain; a second one exits at once. */
static void on_signal(struct server *s)
{
    struct signalfd_siginfo info;
    while (read(s->signal_fd, &info, sizeof info) == (ssize_t)sizeof info) {
        int signo = (int)info.ssi_signo;
        if (s->draining) {
            log_warn("%s again: exiting now", strsignal(signo));
            _exit(128 + signo);
        }
        begin_shutdown(s, signo);
    }
}

/* Stops accepting, and gives every connection one last, bounded,
 * non-blocking read, so that lines already delivered are answered too (after
 * the input held back, if any). The output cap still holds: a client past it
 * gets the rest as it reads. After that a connection reads nothing more,
 * flushes its replies and half-closes. */
static void begin_shutdown(struct server *s, int signo)
{
    log_info("%s: draining (a second signal exits at once)", strsignal(signo));
    s->draining = true;
    s->drain_deadline = monotonic_ms() + s->opts->drain_timeout_ms;
    listener_close(&s->listener);
    queue_close(&s->queue); /* nothing is queued from now on: the workers finish meanwhile */
    for (struct conn *c = s->conn_list, *next; c; c = next) {
        next = c->next;
        c->last_read_due = true;
        catch_up(s, c);
    }
}

/* A half-closed client has every reply and our EOF, in its socket or on the
 * way; we wait for its own EOF and drop what it still sends. Closing sooner
 * risks a reset: closing with its input unread sends one, and so does our
 * kernel when it sends more to the closed socket; a reset throws away
 * whatever of ours the client has not acknowledged yet, replies included.
 * So a client that keeps sending is waited for until the drain deadline; one
 * silent for LINGER_MS is closed sooner, but only once it has acknowledged
 * everything we sent, EOF included: then it has nothing left to lose. */
static void linger(struct server *s, struct conn *c)
{
    uint64_t until = monotonic_ms() + LINGER_MS;
    c->linger_until = until < s->drain_deadline ? until : s->drain_deadline;
}

/* Whether the client has acknowledged every byte we sent, and our EOF. */
static bool all_acknowledged(int fd)
{
    int unacknowledged;
    return ioctl(fd, SIOCOUTQ, &unacknowledged) == 0 && unacknowledged == 0;
}

/* Whether nothing the client sent waits unread: closing then sends no reset. */
static bool nothing_unread(int fd)
{
    int unread;
    return ioctl(fd, FIONREAD, &unread) == 0 && unread == 0;
}

/* Closes the half-closed clients that have been silent for LINGER_MS, have
 * acknowledged everything, and have nothing unread (input that came since
 * the last read is read, and dropped, by the next turn of the loop). */
static void expire_drain(struct server *s)
{
    uint64_t now = monotonic_ms();
    for (struct conn *c = s->conn_list, *next; c; c = next) {
        next = c->next;
        if (c->linger_until && now >= c->linger_until && all_acknowledged(c->fd) &&
            nothing_unread(c->fd))
            close_conn(s, c);
    }
}

/* Waits, until the drain deadline, for every worker to exit, still watching
 * for a second signal; false if the time ran out. */
static bool join_workers(struct server *s)
{
    struct workers *w = s->workers;
    struct pollfd fds[] = {{.fd = w->exited_fd, .events = POLLIN},
                           {.fd = s->signal_fd, .events = POLLIN}};
    uint64_t exited = 0;
    while (exited < w->count) {
        uint64_t now = monotonic_ms();
        int ready = poll(fds, 2, now < s->drain_deadline ? (int)(s->drain_deadline - now) : 0);
        if (ready == 0 || (ready < 0 && errno != EINTR))
            return false; /* out of time with a worker still busy */
        if (fds[1].revents)
            on_signal(s); /* a second signal: exits */
        uint64_t n;
        if (fds[0].revents && read(w->exited_fd, &n, sizeof n) == (ssize_t)sizeof n)
            exited += n;
    }
    for (unsigned i = 0; i < w->count; i++)
        pthread_join(w->each[i].thread, NULL);
    return true;
}

/* After the event loop: the workers empty the queue within what is left of
 * --drain-timeout-ms, the final metrics line goes to stdout, and everything
 * is freed. Exit status 0, or 1 if the drain ran out of time. */
static int finish(struct server *s)
{
    size_t cut = 0; /* connections whose replies may not all reach the client */
    while (s->conn_list) {
        struct conn *c = s->conn_list;
        cut += c->linger_until == 0 || !all_acknowledged(c->fd);
        close_conn(s, c);
    }
    bool joined = join_workers(s);

    struct metrics m = read_metrics(s);
    struct outbuf line = {0};
    respond_metrics(&line, &m);
    fwrite(line.data, 1, outbuf_len(&line), stdout);
    fflush(stdout);
    outbuf_free(&line);

    if (!joined || cut > 0) {
        log_error("drain timed out after %u ms: %" PRIu64 " events not processed, %zu "
                  "connections cut",
                  s->opts->drain_timeout_ms, m.received - m.dropped - m.processed, cut);
        for (unsigned i = 0; i < s->workers->count; i++)
            pthread_detach(s->workers->each[i].thread); /* some may still be working */
        _exit(1); /* so nothing can be freed */
    }
    log_info("drained: %" PRIu64 " events processed", m.processed);

    accounts_destroy(&s->workers->balances);
    urcu_memb_unregister_thread();
    queue_destroy(&s->queue);
    free(s->workers->each);
    outbuf_free(&s->replies);
    free(s->read_buf);
    close(s->workers->exited_fd);
    close(s->signal_fd);
    close(s->epoll_fd);
    return 0;
}
