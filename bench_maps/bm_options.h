/* bench_maps' command line. */
#ifndef BENCH_MAPS_OPTIONS_H
#define BENCH_MAPS_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "design.h"
#include "zipf.h"

#define BM_LIST_MAX    16 /* values in --threads or --reads, designs in --designs */
#define BM_THREADS_MAX 256
#define BM_USERS_MAX   1000000
/* The self-check keeps one sum per thread and user (8 bytes each): the most
 * threads of a point times --users may not pass this (256 MiB of sums). */
#define BM_THREAD_USERS_MAX (UINT64_C(1) << 25)

struct bm_options {
    const struct map_design *designs[BM_LIST_MAX];
    size_t n_designs;
    unsigned threads[BM_LIST_MAX];
    size_t n_threads;
    unsigned reads_pct[BM_LIST_MAX]; /* share of operations that are reads, in percent */
    size_t n_reads;
    uint32_t users;
    enum dist_kind dist;
    double zipf_s;
    double seconds; /* measured per point and round */
    unsigned rounds;
    unsigned hold_us; /* a writer's work inside its critical section */
    uint64_t seed;
    bool json_stdout; /* --format json: the JSON report instead of the table */
    const char *json_path; /* --json FILE: the JSON report there too */
    int argc; /* the command line, for the JSON report */
    char **argv;
};

/* Fills opts from argv; the designs named by --designs come from the n
 * available ones (all of them by default). Returns -1 to go on, or an exit
 * code: 0 after --help, 2 after a bad option (with one line on stderr
 * saying why). */
int bm_options_parse(struct bm_options *opts, const struct map_design *const *available, size_t n,
                     int argc, char **argv);

#endif
