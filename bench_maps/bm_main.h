/* bench_maps from the command line to the exit code, for the designs it is
 * given: main.c gives it the stages' designs; the tests add a design of
 * their own that loses updates, to see the self-check catch it. */
#ifndef BENCH_MAPS_MAIN_H
#define BENCH_MAPS_MAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "bm_options.h"
#include "bm_run.h"
#include "design.h"

enum { BM_EXIT_OK = 0, BM_EXIT_CHECK = 1, BM_EXIT_USAGE = 2, BM_EXIT_RUN = 3 };

/* One (design, read share, threads) point: a run per round. */
struct bm_point {
    const struct map_design *design;
    unsigned threads;
    unsigned reads_pct;
    struct bm_run_result *rounds; /* opts->rounds of them */
    double median, min, max; /* of the rounds' operations/s */
    bool passed; /* every round passed its self-check */
};

struct bm_results {
    const struct bm_options *opts;
    struct bm_point *points; /* by read share, then design, then threads */
    size_t n_points;
    bool passed;
    int exit_code;
};

/* Parses argv, runs every point, reports, and returns the exit code. */
int bench_maps_main(int argc, char **argv, const struct map_design *const *designs, size_t n);

#endif
