/* The engine.
 *
 * Each thread owns a slice of the connections and one epoll loop. A
 * connection keeps a ring of its requests in flight (the server answers in
 * order, so the oldest is the one the next reply answers), with the time each
 * was sent: the actual time in a closed loop, the intended time on the
 * connection's fixed schedule in an open loop. Replies are read 64 KiB at a
 * time, split with memchr and classified against constant lines; new
 * requests are copied from the pre-built pool into the connection's write
 * buffer and written with one call per refill. The connections (conns.c)
 * open, read, write, keep the requests in flight, close and reopen; the
 * engine decides what each sends and when: a reopened connection sends
 * nothing until the engine tops it up. */

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "conns.h"
#include "engine.h"
#include "rng.h"

#define MAX_EVENTS 512
#define TICK_NS    (20 * LG_MS_NS) /* timeouts, phases and reopening are checked this often */

struct worker {
    struct lg_run *run;
    const struct lg_options *o;
    unsigned id;
    pthread_t thread;
    struct conns conns;
    unsigned first_conn; /* global index of conns.conn[0] */
    struct rng rng;
    struct lg_stats stats;
    struct verify_sums sums;
    enum reply_kind guess[RK_COUNT]; /* the reply each request kind got last */

    /* The run's phases. */
    uint64_t warmup_end;
    uint64_t end; /* no request intended at or after it is sent */
    uint64_t reopen_until; /* no connection is reopened after it */
    bool sending;
    uint64_t drain_deadline;
    bool budget_mode;
    uint64_t budget; /* --requests: measured requests this thread may still send */
    bool budget_done;

    /* Open loop. */
    bool open_loop;
    uint64_t interval; /* ns between two requests of one connection */
    unsigned cursor; /* the connection whose slot comes next */
    uint64_t cursor_round;
};

static atomic_bool stop_requested;
static atomic_uint total_opened;

void engine_request_stop(void)
{
    atomic_store(&stop_requested, true);
}

/*** sending ***/

static inline enum req_kind pick_kind(struct worker *w)
{
    const struct lg_run *run = w->run;
    if (run->single_kind >= 0)
        return (enum req_kind)run->single_kind;
    uint32_t r = rng_below(&w->rng, run->mix_total);
    int k = 0;
    while (r >= run->mix_cum[k])
        k++;
    return (enum req_kind)k;
}

static inline const struct req_line *pick_request(struct worker *w)
{
    enum req_kind kind = pick_kind(w);
    uint32_t user = req_kind_has_user(kind) ? sampler_next(w->run->sampler, &w->rng) : 0;
    return pool_pick(w->run->pool, kind, user, (uint32_t)rng_next(&w->rng));
}

/* How many requests the connection may send now. */
static inline uint64_t sendable(struct worker *w, struct conn *c, uint64_t now)
{
    uint64_t room = w->o->pipeline - c->count;
    if (!w->open_loop || room == 0)
        return room;
    uint64_t last = now < w->end ? now : w->end - 1; /* nothing intended at or after the end */
    if (c->next_due > last)
        return 0;
    uint64_t due = (last - c->next_due) / w->interval + 1;
    return due < room ? due : room;
}

/* Tops the connection's pipeline up, as far as the schedule allows, and writes. */
static void refill(struct worker *w, struct conn *c, uint64_t now)
{
    if (c->state != CONN_OPEN)
        return;
    uint64_t n = w->sending && !c->refused ? sendable(w, c, now) : 0;
    if (n > 0) {
        conn_reserve(&w->conns, c, n, now);
        uint64_t t = lg_now_ns();
        uint64_t sent = 0;
        for (; sent < n; sent++) {
            uint64_t ts = w->open_loop ? c->next_due : t;
            bool measured = ts >= w->warmup_end && ts < w->end;
            if (measured && w->budget_mode) {
                if (w->budget == 0) {
                    w->budget_done = true;
                    break;
                }
                w->budget--;
            }
            conn_push(&w->conns, c, pick_request(w), ts);
            w->stats.measured_sent += measured;
            if (w->open_loop && measured)
                hist_record(&w->stats.send_lag, t > ts ? t - ts : 0);
            c->next_due += w->interval;
        }
        w->stats.sent += sent;
    }
    conn_flush(&w->conns, c);
}

/* Slots first + k * interval, k >= 0, that fall in [lo, hi). */
static uint64_t slots_in(uint64_t first, uint64_t interval, uint64_t lo, uint64_t hi)
{
    if (hi <= lo || hi <= first)
        return 0;
    uint64_t k0 = first >= lo ? 0 : (lo - first + interval - 1) / interval;
    uint64_t k1 = (hi - first + interval - 1) / interval; /* the first slot at or after hi */
    return k1 > k0 ? k1 - k0 : 0;
}

/* A connection open again during the run starts sending: in the open loop,
 * the slots that passed while it was closed are not sent late (they count as
 * never sent, like those of a connection that stays closed). */
static void resume(struct worker *w, struct conn *c, uint64_t now)
{
    if (w->open_loop && c->next_due < now) {
        uint64_t hi = now < w->end ? now : w->end;
        w->stats.unsent_closed += slots_in(c->next_due, w->interval, w->warmup_end, hi);
        c->next_due += slots_in(c->next_due, w->interval, c->next_due, now) * w->interval;
    }
    refill(w, c, now);
}

/*** receiving ***/

static void protocol_error(struct worker *w, const char *what, const struct req_line *req,
                           const char *line, size_t len)
{
    w->stats.protocol_errors++;
    stats_add_sample(&w->stats, what, req ? req->text : "", req ? req->len - 1u : 0, line, len);
}

/* One reply line (no '\n'). False if the connection was closed. */
static bool on_reply(struct worker *w, struct conn *c, const char *line, size_t len, uint64_t now)
{
    if (c->count == 0) {
        size_t n;
        const char *refusal = reply_constant(REPLY_REJ_TOO_MANY_CONNECTIONS, &n);
        if (len == n && memcmp(line, refusal, n) == 0 && !c->refused) {
            /* Refused before it was sent anything: the server closes it next. */
            conn_refused(&w->conns, c);
            w->stats.total_counts[REPLY_REJ_TOO_MANY_CONNECTIONS]++;
            return true;
        }
        protocol_error(w, "reply with no request outstanding", NULL, line, len);
        conn_close(&w->conns, c, CLOSE_PROTOCOL);
        return false;
    }
    struct inflight e = conn_pop(&w->conns, c, now);

    const struct req_line *req = e.req;
    enum reply_kind guess = w->guess[req->kind];
    if (req->kind == RK_INVALID && guess != REPLY_ECHO)
        guess = (enum reply_kind)req->expect;
    struct reply r;
    reply_classify(line, len, req, guess, &r);
    size_t clen;
    if (r.kind == REPLY_ECHO || reply_constant(r.kind, &clen))
        w->guess[req->kind] = r.kind;

    w->stats.replies++;
    w->stats.total_counts[r.kind]++;
    if (e.t >= w->warmup_end && e.t < w->end) {
        w->stats.counts[r.kind]++;
        hist_record(&w->stats.latency, now > e.t ? now - e.t : 0);
        if (w->budget_mode && now > w->stats.window_end_ns)
            w->stats.window_end_ns = now;
    }
    if (now >= w->warmup_end && now < w->end)
        w->stats.window_replies++;

    const char *why = reply_mismatch(line, req, &r);
    if (why)
        protocol_error(w, why, req, line, len);
    if (w->o->verify) {
        const char *vwhy = verify_reply(w->o->verify, req, &r);
        if (vwhy) {
            w->stats.verify_errors++;
            stats_add_sample(&w->stats, vwhy, req->text, req->len - 1u, line, len);
        }
        verify_note(&w->sums, req, r.kind);
    }
    if (r.kind == REPLY_REJ_TOO_MANY_CONNECTIONS && !c->refused)
        conn_refused(&w->conns, c);
    else if (r.kind != REPLY_REJ_TOO_MANY_CONNECTIONS && !c->served)
        conn_served(&w->conns, c);
    return true;
}

/* One read: every complete reply in it handled, then the pipeline refilled. */
static void on_readable(struct worker *w, struct conn *c, uint64_t now)
{
    char *p;
    size_t n = conn_read(&w->conns, c, &p);
    if (n == 0)
        return;
    char *end = p + n, *nl;
    while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        size_t len = (size_t)(nl - p);
        if (len && p[len - 1] == '\r')
            len--;
        if (!on_reply(w, c, p, len, now))
            return;
        p = nl + 1;
    }
    size_t rest = (size_t)(end - p);
    if (rest > REPLY_LINE_MAX) {
        protocol_error(w, "reply line longer than 64 KiB", c->count ? c->ring[c->head].req : NULL,
                       p, rest);
        conn_close(&w->conns, c, CLOSE_PROTOCOL);
        return;
    }
    if (conn_keep(&w->conns, c, p, rest))
        refill(w, c, now);
}

/*** the run ***/

/* Open loop: the slots of a thread's connections come in a fixed order,
 * conns[0] .. conns[n - 1], then again one interval later. */
static inline uint64_t cursor_time(const struct worker *w)
{
    return w->run->start_ns + w->cursor_round * w->interval + w->conns.conn[w->cursor].phase;
}

/* Puts the cursor on the first slot after now. */
static void cursor_reset(struct worker *w, uint64_t now)
{
    uint64_t since = now - w->run->start_ns;
    w->cursor_round = since / w->interval;
    uint64_t into = since % w->interval;
    unsigned lo = 0, hi = w->conns.cfg.n; /* the first connection whose phase is after `into` */
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (w->conns.conn[mid].phase > into)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (lo == w->conns.cfg.n) {
        lo = 0;
        w->cursor_round++;
    }
    w->cursor = lo;
}

/* Sends what the schedule says is due. A connection whose pipeline is full
 * is skipped: its due requests wait (their latency grows) and go out as soon
 * as replies make room. */
static void run_schedule(struct worker *w, uint64_t now)
{
    unsigned steps = 0;
    while (cursor_time(w) <= now) {
        if (steps++ ==
            w->conns.cfg.n) { /* a whole round behind: every connection has been served */
            cursor_reset(w, now);
            return;
        }
        refill(w, &w->conns.conn[w->cursor], now);
        if (++w->cursor == w->conns.cfg.n) {
            w->cursor = 0;
            w->cursor_round++;
        }
    }
}

static void stop_sending(struct worker *w)
{
    /* Later than every send time stamped so far: those requests stay measured. */
    uint64_t now = lg_now_ns();
    w->sending = false;
    if (now < w->end)
        w->end = now;
    w->drain_deadline = now + (uint64_t)w->o->timeout_ms * 1000000u;
    if (!w->budget_mode)
        w->stats.window_end_ns = w->end > w->warmup_end ? w->end : w->warmup_end;
    conns_stop_reopening(&w->conns);
}

/* Open loop, at the end: the slots inside the window, and those that were
 * due but never sent. */
static void count_schedule(struct worker *w)
{
    if (!w->open_loop || w->budget_mode)
        return;
    for (unsigned i = 0; i < w->conns.cfg.n; i++) {
        struct conn *c = &w->conns.conn[i];
        if (!c->opened)
            continue;
        uint64_t first = w->run->start_ns + c->phase;
        /* Slots k >= 0 with warmup_end <= first + k * interval < end. */
        uint64_t k0 = first >= w->warmup_end ? 0 : (w->warmup_end - first - 1) / w->interval + 1;
        uint64_t k1 = w->end > first ? (w->end - first - 1) / w->interval + 1 : 0;
        if (k1 > k0)
            w->stats.scheduled += k1 - k0;
        uint64_t from = c->next_due > w->warmup_end ? c->next_due : w->warmup_end;
        if (from < w->end) {
            uint64_t f = from - first;
            uint64_t kf = (f + w->interval - 1) / w->interval;
            if (k1 > kf) {
                if (c->closed_early)
                    w->stats.unsent_closed += k1 - kf;
                else
                    w->stats.backlog_at_end += k1 - kf;
            }
        }
    }
}

static void run_load(struct worker *w)
{
    const struct lg_options *o = w->o;
    uint64_t start = w->run->start_ns;
    w->warmup_end = start + (uint64_t)(o->warmup_s * 1e9);
    w->end = o->requests ? UINT64_MAX : w->warmup_end + (uint64_t)(o->duration_s * 1e9);
    w->stats.window_start_ns = w->warmup_end;
    /* Nothing reopens in the last tenth of the run, nor in its last 100 ms. */
    uint64_t margin =
        (w->end - start) / 10 < 100 * LG_MS_NS ? (w->end - start) / 10 : 100 * LG_MS_NS;
    w->reopen_until = o->requests ? UINT64_MAX : w->end - margin;
    w->sending = true;
    if (w->open_loop)
        w->cursor_round = 0, w->cursor = 0;
    struct conns *cs = &w->conns;
    for (unsigned i = 0; i < cs->cfg.n; i++)
        cs->conn[i].next_due = start + cs->conn[i].phase;
    conns_start(cs, start, w->reopen_until);
    for (unsigned i = 0; i < cs->cfg.n && !w->open_loop; i++)
        refill(w, &cs->conn[i], start);

    struct epoll_event events[MAX_EVENTS];
    uint64_t next_tick = start + TICK_NS;
    uint64_t now = lg_now_ns();
    while (cs->open > 0 || cs->reopening > 0) {
        uint64_t wake = next_tick;
        if (w->sending) {
            if (w->warmup_end > now && w->warmup_end < wake)
                wake = w->warmup_end;
            if (w->end < wake)
                wake = w->end;
            if (w->open_loop && cursor_time(w) < wake)
                wake = cursor_time(w);
        }
        uint64_t wait = wake > now ? wake - now : 0;
        struct timespec ts = {.tv_sec = (time_t)(wait / 1000000000u),
                              .tv_nsec = (long)(wait % 1000000000u)};
        int n = epoll_pwait2(cs->epfd, events, MAX_EVENTS, &ts, NULL);
        w->stats.wakeups++;
        if (n < 0 && errno != EINTR) {
            fprintf(stderr, "loadgen: epoll_pwait2: %s\n", strerror(errno));
            abort();
        }
        now = lg_now_ns();
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            uint32_t ev = events[i].events;
            if (c->state == CONN_CONNECTING) {
                if (conn_connect_done(cs, c, now))
                    resume(w, c, now);
                continue;
            }
            if (c->state == CONN_OPEN && (ev & EPOLLOUT))
                conn_flush(cs, c);
            if (c->state == CONN_OPEN && (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)))
                on_readable(w, c, now);
        }
        if (w->sending && (now >= w->end || w->budget_done || atomic_load(&stop_requested)))
            stop_sending(w);
        if (w->sending && w->open_loop)
            run_schedule(w, now);
        if (now >= next_tick) {
            conns_tick(cs, now);
            next_tick = now + TICK_NS;
        }
        if (!w->sending && (cs->in_flight == 0 || now >= w->drain_deadline))
            break;
    }
    if (w->sending)
        stop_sending(w); /* every connection closed early, for good */
    count_schedule(w);
    conns_close_all(cs);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct lg_run *run = w->run;
    /* Wake-ups on time, for the open loop's schedule (the default slack is 50 us). */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    conns_connect_all(&w->conns, &stop_requested);
    atomic_fetch_add(&total_opened, w->conns.open);
    if (pthread_barrier_wait(&run->barrier) == PTHREAD_BARRIER_SERIAL_THREAD) {
        run->start_ns = lg_now_ns();
        run->connect_ns = run->start_ns - run->connect_start_ns;
    }
    pthread_barrier_wait(&run->barrier);
    if (atomic_load(&total_opened) > 0)
        run_load(w);
    return NULL;
}

/*** setup ***/

static void mix_table(struct lg_run *run)
{
    const unsigned *mix = run->opts->mix;
    run->mix_total = 0;
    run->single_kind = -1;
    int kinds = 0;
    for (int k = 0; k < RK_COUNT; k++) {
        run->mix_total += mix[k];
        run->mix_cum[k] = run->mix_total;
        if (mix[k]) {
            kinds++;
            run->single_kind = k;
        }
    }
    if (kinds > 1)
        run->single_kind = -1;
}

static bool worker_init(struct worker *w, struct lg_run *run, unsigned id, unsigned first,
                        unsigned n)
{
    const struct lg_options *o = run->opts;
    *w = (struct worker){.run = run, .o = o, .id = id, .first_conn = first};
    stats_init(&w->stats);
    rng_seed(&w->rng, o->seed * 1000003u + id);
    if (!verify_sums_init(&w->sums, o->verify, o->users))
        return false;
    struct conns_config cfg = {
        .addr = &run->addr,
        .addr_len = run->addr_len,
        .n = n,
        .pipeline = o->pipeline,
        .connect_timeout_ms = o->connect_timeout_ms,
        .reply_timeout_ms = o->timeout_ms,
        .stats = &w->stats,
        .sums = &w->sums,
    };
    if (!conns_init(&w->conns, &cfg))
        return false;
    for (int k = 0; k < RK_COUNT; k++)
        w->guess[k] = k == RK_EVENT  ? REPLY_ACCEPTED
                      : k == RK_ECHO ? REPLY_ERR_INVALID_JSON
                      : k == RK_SET  ? REPLY_REDIS_OK
                                     : REPLY_ERR_UNKNOWN_TYPE;
    w->open_loop = o->rate > 0;
    if (w->open_loop) {
        double interval = (double)o->conns * 1e9 / o->rate;
        w->interval = interval < 1 ? 1 : (uint64_t)interval;
    } else {
        w->interval = 0;
    }
    /* Spread the connections' schedules evenly over one interval. */
    for (unsigned i = 0; i < n; i++)
        w->conns.conn[i].phase = (uint64_t)((double)(first + i) * (double)w->interval / o->conns);
    if (o->requests) {
        w->budget_mode = true;
        w->budget = o->requests / o->threads + (id < o->requests % o->threads);
    }
    return true;
}

static void worker_free(struct worker *w)
{
    conns_free(&w->conns);
    verify_sums_free(&w->sums);
}

bool engine_run(struct lg_run *run)
{
    const struct lg_options *o = run->opts;
    mix_table(run);
    stats_init(&run->stats);
    if (!verify_sums_init(&run->sums, o->verify, o->users)) {
        fprintf(stderr, "loadgen: out of memory\n");
        return false;
    }
    struct worker *workers = calloc(o->threads, sizeof *workers);
    if (!workers || pthread_barrier_init(&run->barrier, NULL, o->threads) != 0) {
        fprintf(stderr, "loadgen: out of memory\n");
        free(workers);
        return false;
    }
    atomic_store(&total_opened, 0);
    run->connect_start_ns = lg_now_ns();
    unsigned first = 0;
    bool ok = true;
    for (unsigned t = 0; t < o->threads && ok; t++) {
        unsigned n = o->conns / o->threads + (t < o->conns % o->threads);
        ok = worker_init(&workers[t], run, t, first, n);
        first += n;
    }
    unsigned started = 0;
    for (; ok && started < o->threads; started++) {
        if (pthread_create(&workers[started].thread, NULL, worker_main, &workers[started]) != 0)
            ok = false;
    }
    if (!ok) {
        fprintf(stderr, "loadgen: cannot start: out of memory or threads\n");
        /* Threads already started wait at the barrier for ever: exit instead. */
        exit(1);
    }
    for (unsigned t = 0; t < o->threads; t++) {
        pthread_join(workers[t].thread, NULL);
        stats_merge(&run->stats, &workers[t].stats);
        verify_sums_merge(&run->sums, &workers[t].sums);
        worker_free(&workers[t]);
    }
    pthread_barrier_destroy(&run->barrier);
    free(workers);
    return true;
}
