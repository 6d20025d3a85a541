/* One run: one design, T threads, a read share, a fixed time; then the
 * self-check of the map the threads left. */
#ifndef BENCH_MAPS_RUN_H
#define BENCH_MAPS_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "design.h"
#include "zipf.h"

/* What every run of a benchmark shares. */
struct bm_workload {
    const struct bench_user *users;
    uint32_t n_users;
    const struct sampler *sampler; /* which user an operation is for */
    unsigned hold_us; /* passed to every apply */
    double seconds; /* how long the threads run */
};

struct bm_run_result {
    uint64_t reads, writes; /* operations done: balances read, deltas applied */
    uint64_t refused; /* deltas the design refused (none can overflow) */
    double window_s; /* from the threads' start to their stop */
    double ops_per_s; /* (reads + writes) / window_s */
    /* The self-check: every user's balance against the sum of the deltas
     * applied to it. */
    bool passed;
    uint32_t users_wrong;
    int64_t expected_total, found_total; /* over all users */
    char failure[320]; /* why it failed, or why it could not run; "" if passed */
};

/* The delta a write applies: from -BM_DELTA_MAX to BM_DELTA_MAX. */
#define BM_DELTA_MAX 1000

/* Fills a new map of the design with every user (a delta of 0 each), runs
 * threads threads on it for w->seconds, each choosing reads_pct percent
 * reads, then checks every user's balance. Thread i's operations come from
 * seed and i alone. False if the run could not be made (memory, threads):
 * r->failure says why. True otherwise, with r->passed the check's verdict. */
bool bm_run(const struct bm_workload *w, const struct map_design *d, unsigned threads,
            unsigned reads_pct, uint64_t seed, struct bm_run_result *r);

#endif
