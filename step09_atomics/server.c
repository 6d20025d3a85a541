/* step09_atomics: no locks on the hot path.
 *
 * Stage 08 with the striped, locked balances replaced by liburcu's RCU
 * lock-free hash table (accounts.c), each balance a C11 atomic: balance
 * queries and updates take no lock at all. The queue becomes a lock-free
 * ring (queue.c) that the workers take events from in batches. The counters
 * become atomics too, each written by one thread on its own cache line, so
 * reading them costs nothing; {"type":"metrics"} shows them. */

/*** includes ***/

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <urcu/urcu-memb.h>

#include "accounts.h"
#include "cli.h"
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
    .summary = "Worker threads apply events to an RCU hash table of atomic balances; metrics.",
    .default_port = STAGE_PORT,
    .used_options = OPTS_BASE | OPT_BIT(OPT_MAX_CONNS) | OPT_BIT(OPT_MAX_OUTBUF) |
                    OPT_BIT(OPT_WORK_US) | OPT_BIT(OPT_QUEUE_CAP) | OPT_BIT(OPT_WORKERS),
};

/*** state ***/

#define READ_CHUNK (64 * 1024) /* one read per client per wake-up: fair to the others */
#define MAX_EVENTS 256
#define TAKE_BATCH 32 /* events a worker takes off the queue at once */

struct conn {
    int fd;
    uint32_t watching; /* the epoll events registered for it */
    bool eof; /* the client has sent all it will: answer, then close */
    struct intake in; /* its unfinished line, and input held back */
    struct outbuf out; /* its replies the socket has not taken yet */
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
};

/* The event loop's counters: only it writes them, anybody may read them. */
struct counters {
    _Alignas(64) _Atomic uint64_t received; /* valid events taken in: accepted + dropped */
    _Atomic uint64_t dropped; /* events refused: server_busy */
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
};

static void accept_clients(struct server *s);
static bool on_readable(struct server *s, struct conn *c);
static bool on_writable(struct server *s, struct conn *c);
static bool handle_input(struct server *s, struct conn *c, struct chunk *bytes);
static void handle_request(struct server *s, char *line, size_t len);
static void queue_event(struct server *s, const struct request *req);
static void answer_balance(struct server *s, const struct request *req);
static void answer_metrics(struct server *s);
static void *process_events(void *arg);
static void apply_event(struct workers *w, const struct queued_event *e);
static void log_if_queue_empty(struct workers *w);

/*** main ***/

static void run(struct server *s);
static void watch(struct server *s, int op, int fd, uint32_t events, void *ptr);

int main(int argc, char **argv)
{
    struct options opts;
    options_parse(&opts, &stage, argc, argv);

    struct server s = {.opts = &opts, .read_buf = malloc(READ_CHUNK)};
    struct workers w = {.queue = &s.queue, .work_us = opts.work_us, .count = opts.workers};
    w.each = aligned_alloc(_Alignof(struct worker), w.count * sizeof(struct worker));
    s.workers = &w;
    s.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (!s.read_buf || !w.each || !accounts_init(&w.balances) || s.epoll_fd < 0 ||
        !queue_init(&s.queue, opts.queue_cap)) {
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
    urcu_memb_register_thread(); /* the event loop reads the balances too */
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
    bool served = handle_input(s, c, &bytes);
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
    struct request req;
    request_parse(line, len, &req);
    switch (req.kind) {
    case REQUEST_EVENT: queue_event(s, &req); break;
    case REQUEST_COMMAND:
        if (req.command == COMMAND_BALANCE)
            answer_balance(s, &req);
        else if (req.command == COMMAND_METRICS)
            answer_metrics(s);
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
    if (queue_try_push(&s->queue, &e)) {
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
    for (;;) {
        size_t n = queue_take(w->queue, batch, batch_max);
        for (size_t i = 0; i < n; i++) {
            apply_event(w, &batch[i]);
            /* Only this thread writes it; release: the balance first. */
            atomic_store_explicit(&self->processed, ++done, memory_order_release);
        }
        log_if_queue_empty(w);
    }
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
