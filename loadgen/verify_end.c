#include "verify_end.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control.h"

#define BATCH     256 /* requests written before their replies are read */
#define POLL_NS   (10 * LG_MS_NS) /* between two metrics queries or balance sweeps */
#define SETTLE_NS (500 * LG_MS_NS) /* 07-08: balances unchanged this long are at rest */

/*** helpers ***/

static void failed(struct verify_end *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void failed(struct verify_end *v, const char *fmt, ...)
{
    if (v->failure[0])
        return; /* the first reason is the one that matters */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->failure, sizeof v->failure, fmt, ap);
    va_end(ap);
}

static void pause_until(uint64_t deadline)
{
    uint64_t now = lg_now_ns();
    uint64_t ns = now + POLL_NS < deadline ? POLL_NS : deadline > now ? deadline - now : 0;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)ns};
    nanosleep(&ts, NULL);
}

/* Connects, and asks a question that changes nothing (a health query: ok,
 * or unknown_type before stage 10) to learn that the server will answer: a
 * server at its --max-conns refuses the connection, maybe only because the
 * load's connections are not all gone yet. Then it tries again. */
static bool open_control(struct control *c, struct verify_end *v, const struct lg_run *run,
                         uint64_t deadline)
{
    size_t n, len;
    const char *refusal = reply_constant(REPLY_REJ_TOO_MANY_CONNECTIONS, &n);
    const struct req_line *health = &run->pool->health;
    for (;;) {
        const char *line = NULL;
        if (control_open(c, &run->addr, run->addr_len, deadline) &&
            control_send(c, health->text, health->len))
            line = control_line(c, &len);
        if (line && (len != n || memcmp(line, refusal, n) != 0))
            return true;
        control_close(c);
        if (!line) {
            failed(v, "cannot query the server: %s", c->error);
            return false;
        }
        if (lg_now_ns() >= deadline) {
            failed(v, "cannot query the server: too_many_connections");
            return false;
        }
        pause_until(deadline);
    }
}

/*** metrics ***/

static bool query_metrics(struct control *c, struct verify_end *v, const struct req_pool *pool,
                          struct lg_metrics *m)
{
    size_t len;
    const char *line;
    if (!control_send(c, pool->metrics.text, pool->metrics.len) ||
        !(line = control_line(c, &len))) {
        failed(v, "metrics query: %s", c->error);
        return false;
    }
    struct reply r;
    reply_classify(line, len, &pool->metrics, REPLY_OTHER, &r);
    if (r.kind != REPLY_METRICS) {
        failed(v, "metrics query answered %.*s", len > 100 ? 100 : (int)len, line);
        return false;
    }
    *m = (struct lg_metrics){r.metrics[0], r.metrics[1], r.metrics[2], r.queued};
    return true;
}

static bool at_rest(const struct lg_metrics *m)
{
    return m->queued <= 0 && m->received == m->processed + m->dropped;
}

/* Queries metrics until they are at rest, or the deadline. */
static bool metrics_at_rest(struct control *c, struct verify_end *v, const struct req_pool *pool,
                            struct lg_metrics *m, uint64_t deadline)
{
    for (;;) {
        if (!query_metrics(c, v, pool, m))
            return false;
        if (at_rest(m))
            return true;
        if (lg_now_ns() >= deadline) {
            failed(v,
                   "metrics not at rest within --timeout: received %" PRIu64 ", processed %" PRIu64
                   ", dropped %" PRIu64 ", queued %" PRId64,
                   m->received, m->processed, m->dropped, m->queued);
            return false;
        }
        pause_until(deadline);
    }
}

static void metrics_sample(struct lg_stats *s, const char *what, struct verify_end *v,
                           const char *field, uint64_t grew, uint64_t lo, uint64_t hi)
{
    const struct lg_metrics *b = &v->before, *a = &v->after;
    char counters[SAMPLE_TEXT_MAX + 1], growth[SAMPLE_TEXT_MAX + 1];
    int cn = snprintf(counters, sizeof counters,
                      "received/processed/dropped %" PRIu64 "/%" PRIu64 "/%" PRIu64
                      " before, %" PRIu64 "/%" PRIu64 "/%" PRIu64 " after",
                      b->received, b->processed, b->dropped, a->received, a->processed, a->dropped);
    int gn = snprintf(growth, sizeof growth, "%s grew by %" PRIu64 ", expected %" PRIu64 "%s",
                      field, grew, lo, hi > lo ? " (or up to the requests unanswered more)" : "");
    v->metrics_wrong++;
    s->verify_errors++;
    stats_add_sample(s, what, counters, (size_t)cn, growth, (size_t)gn);
}

/* The growth of the counters against the replies loadgen saw. */
static void compare_metrics(struct verify_end *v, struct lg_stats *s)
{
    const uint64_t *seen = s->total_counts;
    v->metrics = true;
    v->seen_dropped = seen[REPLY_REJ_SERVER_BUSY] + seen[REPLY_REJ_SHUTTING_DOWN];
    v->seen_received = seen[REPLY_ACCEPTED] + v->seen_dropped;
    v->lost = s->unanswered;
    const struct lg_metrics *b = &v->before, *a = &v->after;
    if (a->received < b->received || a->processed < b->processed || a->dropped < b->dropped) {
        failed(v, "metrics went back during the run: was the server restarted?");
        return;
    }
    uint64_t dr = a->received - b->received, dd = a->dropped - b->dropped;
    uint64_t dp = a->processed - b->processed;
    if (dr < v->seen_received || dr > v->seen_received + v->lost)
        metrics_sample(s, "metrics: received did not grow by the events accepted or dropped", v,
                       "received", dr, v->seen_received, v->seen_received + v->lost);
    if (dd < v->seen_dropped || dd > v->seen_dropped + v->lost)
        metrics_sample(s, "metrics: dropped did not grow by the events dropped", v, "dropped", dd,
                       v->seen_dropped, v->seen_dropped + v->lost);
    if (dr >= dd && dp != dr - dd)
        metrics_sample(s, "metrics: processed did not grow by received - dropped", v, "processed",
                       dp, dr - dd, dr - dd);
}

/*** balances ***/

/* One round of requests, one per checked user, and what their replies said. */
struct sweep {
    const struct req_line **reqs;
    int64_t *want;
    int64_t *got;
    size_t n;
    enum reply_kind expect; /* REPLY_OK (a probe event) or REPLY_OK_BALANCE */
    struct req_line *probes; /* inline: the probe events, their text in arena */
    char *arena;
    uint64_t wrong;
    struct sample samples[SAMPLES_MAX];
    unsigned n_samples;
};

static void sweep_note(struct sweep *sw, size_t i, const char *line, size_t len)
{
    const struct req_line *req = sw->reqs[i];
    struct reply r;
    reply_classify(line, len, req, REPLY_OTHER, &r);
    bool answered = r.kind == sw->expect && !reply_mismatch(line, req, &r);
    sw->got[i] = answered ? r.balance : INT64_MIN;
    if (answered && r.balance == sw->want[i])
        return;
    sw->wrong++;
    if (sw->n_samples == SAMPLES_MAX)
        return;
    struct sample *sm = &sw->samples[sw->n_samples++];
    sm->what = !answered                        ? "no balance in the reply at the end"
               : sw->expect == REPLY_OK_BALANCE ? "balance is not the sum of the accepted events"
                                                : "balance is not the sum of the applied events";
    snprintf(sm->request, sizeof sm->request, "%.*s", (int)req->len - 1, req->text);
    snprintf(sm->reply, sizeof sm->reply, "%.*s (expected %" PRId64 ")", len > 80 ? 80 : (int)len,
             line, sw->want[i]);
}

/* Sends every request of the sweep, BATCH at a time, and notes the replies. */
static bool sweep_run(struct sweep *sw, struct control *c, struct verify_end *v)
{
    char text[BATCH * REQ_LINE_MAX];
    sw->wrong = 0;
    sw->n_samples = 0;
    for (size_t first = 0; first < sw->n; first += BATCH) {
        size_t n = sw->n - first < BATCH ? sw->n - first : BATCH, len = 0;
        for (size_t i = 0; i < n; i++) {
            memcpy(text + len, sw->reqs[first + i]->text, sw->reqs[first + i]->len);
            len += sw->reqs[first + i]->len;
        }
        if (!control_send(c, text, len)) {
            failed(v, "balance check: %s", c->error);
            return false;
        }
        for (size_t i = 0; i < n; i++) {
            size_t llen;
            const char *line = control_line(c, &llen);
            if (!line) {
                failed(v, "balance check: %s", c->error);
                return false;
            }
            sweep_note(sw, first + i, line, llen);
        }
    }
    return true;
}

/* Sweeps until every balance matches, or they stop changing for SETTLE_NS
 * (the server is at rest and wrong), or the deadline. */
static bool sweep_until_settled(struct sweep *sw, struct control *c, struct verify_end *v,
                                uint64_t deadline)
{
    int64_t *prev = malloc(sizeof *prev * (sw->n ? sw->n : 1));
    if (!prev) {
        failed(v, "out of memory");
        return false;
    }
    uint64_t changed_at = 0;
    bool ok;
    for (;;) {
        if (!(ok = sweep_run(sw, c, v)))
            break;
        v->sweeps++;
        uint64_t now = lg_now_ns();
        if (sw->wrong == 0 || now >= deadline)
            break;
        if (v->sweeps == 1 || memcmp(prev, sw->got, sizeof *prev * sw->n) != 0) {
            memcpy(prev, sw->got, sizeof *prev * sw->n);
            changed_at = now;
        } else if (now - changed_at >= SETTLE_NS) {
            break;
        }
        pause_until(deadline);
    }
    free(prev);
    return ok;
}

/* The users to check (sent an event, none lost), their requests and
 * expected balances. */
static bool sweep_prepare(struct sweep *sw, struct verify_end *v, const struct lg_run *run,
                          bool probe)
{
    const struct verify_sums *sums = &run->sums;
    size_t n = 0;
    for (uint32_t u = 0; u < sums->users; u++) {
        if (sums->flags[u] & USER_UNSURE)
            v->users_unsure++;
        else if (sums->flags[u] & USER_TOUCHED)
            n++;
    }
    size_t cap = n ? n : 1;
    *sw = (struct sweep){.n = n, .expect = probe ? REPLY_OK : REPLY_OK_BALANCE};
    sw->reqs = malloc(sizeof *sw->reqs * cap);
    sw->want = malloc(sizeof *sw->want * cap);
    sw->got = malloc(sizeof *sw->got * cap);
    if (probe) {
        sw->probes = malloc(sizeof *sw->probes * cap);
        sw->arena = malloc(cap * REQ_LINE_MAX);
    }
    if (!sw->reqs || !sw->want || !sw->got || (probe && (!sw->probes || !sw->arena))) {
        failed(v, "out of memory");
        return false;
    }
    size_t i = 0, used = 0;
    for (uint32_t u = 0; u < sums->users; u++) {
        if ((sums->flags[u] & (USER_TOUCHED | USER_UNSURE)) != USER_TOUCHED)
            continue;
        const struct req_line *b = &run->pool->balances[u];
        sw->want[i] = sums->sum[u] + probe;
        sw->reqs[i] = b;
        if (probe) { /* a buy of 1, whose reply is the balance after it */
            char *t = sw->arena + used;
            int len = snprintf(t, REQ_LINE_MAX, "{\"user\":%.*s,\"action\":\"buy\",\"amount\":1}\n",
                               (int)b->user_len, b->text + b->user_off);
            sw->probes[i] = (struct req_line){
                .text = t, .len = (uint16_t)len, .kind = RK_EVENT, .user = u, .delta = 1};
            sw->reqs[i] = &sw->probes[i];
            used += (size_t)len;
        }
        i++;
    }
    return true;
}

static void sweep_free(struct sweep *sw)
{
    free(sw->reqs);
    free(sw->want);
    free(sw->got);
    free(sw->probes);
    free(sw->arena);
}

static void check_balances(struct verify_end *v, struct lg_run *run, struct control *c,
                           uint64_t deadline)
{
    bool probe = (run->opts->verify & VERIFY_INLINE) != 0;
    struct sweep sw;
    bool ran = sweep_prepare(&sw, v, run, probe) &&
               (probe ? sweep_run(&sw, c, v) : sweep_until_settled(&sw, c, v, deadline));
    if (ran) {
        if (probe) {
            v->sweeps = 1;
            v->probes = sw.n;
            for (size_t i = 0; i < sw.n; i++) /* the probes are events too */
                run->sums.sum[sw.reqs[i]->user] += 1;
        }
        v->users_checked = sw.n;
        v->users_wrong = sw.wrong;
        run->stats.verify_errors += sw.wrong;
        for (unsigned i = 0; i < sw.n_samples; i++)
            stats_add_sample(&run->stats, sw.samples[i].what, sw.samples[i].request,
                             strlen(sw.samples[i].request), sw.samples[i].reply,
                             strlen(sw.samples[i].reply));
    }
    sweep_free(&sw);
}

/*** the checks ***/

void verify_end_before(struct verify_end *v, const struct lg_run *run)
{
    *v = (struct verify_end){0};
    if (!(run->opts->verify & VERIFY_METRICS))
        return;
    uint64_t deadline = lg_now_ns() + run->opts->timeout_ms * LG_MS_NS;
    struct control c;
    if (open_control(&c, v, run, deadline))
        metrics_at_rest(&c, v, run->pool, &v->before, deadline);
    control_close(&c);
}

void verify_end_after(struct verify_end *v, struct lg_run *run)
{
    unsigned checks = run->opts->verify;
    if (!verify_checks_state(checks))
        return;
    v->ran = true;
    uint64_t start = lg_now_ns(), deadline = start + run->opts->timeout_ms * LG_MS_NS;
    struct control c;
    if (!v->failure[0] && open_control(&c, v, run, deadline)) {
        bool metrics_ok = true;
        if (checks & VERIFY_METRICS) {
            metrics_ok = metrics_at_rest(&c, v, run->pool, &v->after, deadline);
            if (metrics_ok) {
                compare_metrics(v, &run->stats);
                metrics_ok = !v->failure[0];
            }
        }
        if (metrics_ok) /* the balances are only worth reading at rest */
            check_balances(v, run, &c, deadline);
        control_close(&c);
    }
    v->wait_s = (double)(lg_now_ns() - start) / 1e9;
    v->passed = !v->failure[0] && v->users_wrong == 0 && v->metrics_wrong == 0;
}
