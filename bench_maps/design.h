/* A design of the shared balances, as the benchmark drives it: one of the
 * stages' maps (design_mutex.c, design_striped.c, design_rcu.c) behind the
 * same few calls, so that one loop measures and checks them all. */
#ifndef BENCH_MAPS_DESIGN_H
#define BENCH_MAPS_DESIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One of the benchmark's users: its name (what the stages' maps key on) and
 * its number, 0 .. users - 1 (what the benchmark's own bookkeeping keys on). */
struct bench_user {
    char name[24];
    size_t len;
    uint32_t index;
};

struct map_design {
    const char *name; /* on the command line and in the reports */
    const char *summary; /* which stage's code, behind what: for --help */
    const char *hold; /* what --hold-us does to this design: for --help */
    /* A new, empty map for users 0 .. users - 1; NULL if memory runs out.
     * Called on a thread that enter_thread() has been called on. */
    void *(*create)(uint32_t users);
    void (*destroy)(void *map);
    /* Called on every thread before its first use of a map, and after its
     * last; NULL when the design needs nothing. */
    void (*enter_thread)(void);
    void (*leave_thread)(void);
    /* Adds delta to the user's balance, as a writer whose update takes
     * hold_us microseconds of work (see `hold`). False if the design refused
     * it (the sum would overflow, or there was no memory for a new user). */
    bool (*apply)(void *map, const struct bench_user *user, int64_t delta, unsigned hold_us);
    int64_t (*get)(void *map, const struct bench_user *user);
};

/* The stages' designs, in the order of the stages. */
extern const struct map_design design_mutex; /* 06-07 */
extern const struct map_design design_striped; /* 08 */
extern const struct map_design design_rcu; /* 09 */

#endif
