#include "bm_run.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/clock.h"
#include "rng.h"

/* The threads start together: each arrives, then waits for the word. */
struct gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned arrived;
    int word; /* 0: wait, 1: go, -1: give up (a thread could not be started) */
};

struct run {
    const struct bm_workload *w;
    const struct map_design *d;
    void *map;
    unsigned reads_pct;
    struct gate gate;
    atomic_bool stop;
};

struct worker {
    pthread_t thread;
    struct run *run;
    struct rng rng;
    int64_t *sums; /* per user: the deltas this thread applied */
    uint64_t reads, writes, refused;
};

static bool gate_arrive(struct gate *g)
{
    pthread_mutex_lock(&g->lock);
    g->arrived++;
    pthread_cond_broadcast(&g->cond);
    while (g->word == 0)
        pthread_cond_wait(&g->cond, &g->lock);
    bool go = g->word > 0;
    pthread_mutex_unlock(&g->lock);
    return go;
}

/* Waits for n threads to arrive. */
static void gate_wait(struct gate *g, unsigned n)
{
    pthread_mutex_lock(&g->lock);
    while (g->arrived < n)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

static void gate_open(struct gate *g, bool go)
{
    pthread_mutex_lock(&g->lock);
    g->word = go ? 1 : -1;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

static void *work(void *arg)
{
    struct worker *me = arg;
    struct run *run = me->run;
    const struct bm_workload *w = run->w;
    const struct map_design *d = run->d;
    if (d->enter_thread)
        d->enter_thread();
    if (gate_arrive(&run->gate)) {
        while (!atomic_load_explicit(&run->stop, memory_order_relaxed)) {
            uint32_t u = sampler_next(w->sampler, &me->rng);
            if (rng_below(&me->rng, 100) < run->reads_pct) {
                d->get(run->map, &w->users[u]);
                me->reads++;
                continue;
            }
            int64_t delta = (int64_t)rng_below(&me->rng, 2 * BM_DELTA_MAX + 1) - BM_DELTA_MAX;
            if (d->apply(run->map, &w->users[u], delta, w->hold_us)) {
                me->sums[u] += delta;
                me->writes++;
            } else {
                me->refused++;
            }
        }
    }
    if (d->leave_thread)
        d->leave_thread();
    return NULL;
}

static void sleep_for(double seconds)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    uint64_t ns = (uint64_t)until.tv_nsec + (uint64_t)(seconds * 1e9);
    until.tv_sec += (time_t)(ns / 1000000000u);
    until.tv_nsec = (long)(ns % 1000000000u);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
        ;
}

/* Every user's balance against the sums of the threads' deltas. */
static void self_check(const struct run *run, const struct worker *workers, unsigned n,
                       struct bm_run_result *r)
{
    const struct bm_workload *w = run->w;
    const struct bench_user *first_wrong = NULL;
    int64_t first_expected = 0, first_found = 0;
    for (uint32_t u = 0; u < w->n_users; u++) {
        int64_t expected = 0;
        for (unsigned t = 0; t < n; t++)
            expected += workers[t].sums[u];
        int64_t found = run->d->get(run->map, &w->users[u]);
        r->expected_total += expected;
        r->found_total += found;
        if (found == expected)
            continue;
        if (!first_wrong) {
            first_wrong = &w->users[u];
            first_expected = expected;
            first_found = found;
        }
        r->users_wrong++;
    }
    if (first_wrong)
        snprintf(r->failure, sizeof r->failure,
                 "%s failed its self-check: %" PRIu32 " of %" PRIu32
                 " users' balances are not the sums of the deltas applied to them (all users: "
                 "%" PRId64 ", expected %" PRId64 "; '%s': %" PRId64 ", expected %" PRId64 ")",
                 run->d->name, r->users_wrong, w->n_users, r->found_total, r->expected_total,
                 first_wrong->name, first_found, first_expected);
    else if (r->refused)
        snprintf(r->failure, sizeof r->failure,
                 "%s failed its self-check: it refused %" PRIu64 " deltas, and none could overflow",
                 run->d->name, r->refused);
    r->passed = r->failure[0] == '\0';
}

/* Starts the threads, lets them run for w->seconds, stops and joins them. */
static bool run_threads(struct run *run, struct worker *workers, unsigned n,
                        struct bm_run_result *r)
{
    unsigned started = 0;
    int err = 0;
    while (started < n &&
           (err = pthread_create(&workers[started].thread, NULL, work, &workers[started])) == 0)
        started++;
    if (started == n)
        gate_wait(&run->gate, n);
    uint64_t start = monotonic_ns(); /* before the first operation can start */
    gate_open(&run->gate, started == n);
    if (started == n)
        sleep_for(run->w->seconds);
    atomic_store_explicit(&run->stop, true, memory_order_relaxed);
    uint64_t end = monotonic_ns();
    for (unsigned t = 0; t < started; t++)
        pthread_join(workers[t].thread, NULL);
    if (started < n) {
        snprintf(r->failure, sizeof r->failure, "cannot start thread %u of %u: %s", started + 1, n,
                 strerror(err));
        return false;
    }
    r->window_s = (double)(end - start) / 1e9;
    for (unsigned t = 0; t < n; t++) {
        r->reads += workers[t].reads;
        r->writes += workers[t].writes;
        r->refused += workers[t].refused;
    }
    r->ops_per_s = r->window_s > 0 ? (double)(r->reads + r->writes) / r->window_s : 0;
    return true;
}

bool bm_run(const struct bm_workload *w, const struct map_design *d, unsigned threads,
            unsigned reads_pct, uint64_t seed, struct bm_run_result *r)
{
    *r = (struct bm_run_result){0};
    struct run run = {.w = w, .d = d, .reads_pct = reads_pct};
    pthread_mutex_init(&run.gate.lock, NULL);
    pthread_cond_init(&run.gate.cond, NULL);
    atomic_init(&run.stop, false);
    bool ran = false;
    if (d->enter_thread) /* this thread fills the map, checks it and frees it */
        d->enter_thread();
    struct worker *workers = calloc(threads, sizeof *workers);
    run.map = d->create(w->n_users);
    bool ready = workers && run.map;
    for (unsigned t = 0; ready && t < threads; t++) {
        workers[t].run = &run;
        rng_seed(&workers[t].rng, seed + t * UINT64_C(0x9e3779b97f4a7c15));
        workers[t].sums = calloc(w->n_users, sizeof *workers[t].sums);
        ready = workers[t].sums != NULL;
    }
    /* A map out of memory for a user ends the process, as the stages' maps do. */
    for (uint32_t u = 0; ready && u < w->n_users; u++)
        d->apply(run.map, &w->users[u], 0, 0);
    if (!ready)
        snprintf(r->failure, sizeof r->failure, "out of memory for a run of %s", d->name);
    else if (run_threads(&run, workers, threads, r)) {
        self_check(&run, workers, threads, r);
        ran = true;
    }
    for (unsigned t = 0; workers && t < threads; t++)
        free(workers[t].sums);
    free(workers);
    if (run.map)
        d->destroy(run.map);
    if (d->leave_thread)
        d->leave_thread();
    pthread_cond_destroy(&run.gate.cond);
    pthread_mutex_destroy(&run.gate.lock);
    return ran;
}
