/* bench_maps run inside a test: bench_maps_main with the designs the test
 * gives it, its stdout and stderr caught. */
#ifndef TESTS_BENCH_MAPS_BM_CAPTURE_H
#define TESTS_BENCH_MAPS_BM_CAPTURE_H

#include <stddef.h>

#include "design.h"

struct bm_outcome {
    int exit_code; /* bench_maps_main's */
    char *out, *err; /* what it wrote to stdout and stderr */
};

/* The three stages' designs, as main.c gives them. */
extern const struct map_design *const stage_designs[3];

/* Runs bench_maps_main("bench_maps", args... (NULL-terminated), designs). */
void bm_capture(struct bm_outcome *o, const struct map_design *const *designs, size_t n,
                const char *const *args);
#define BM_CAPTURE(o, designs, ...)                                                                \
    bm_capture(o, designs, sizeof(designs) / sizeof((designs)[0]),                                 \
               (const char *const[]){__VA_ARGS__, NULL})

void bm_outcome_free(struct bm_outcome *o);

/* The lines of text (each ending in '\n'). */
size_t bm_lines(const char *text);

#endif
