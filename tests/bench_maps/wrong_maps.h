/* Maps that get balances wrong, for the self-check to catch. Linked only
 * into the tests. */
#ifndef TESTS_BENCH_MAPS_WRONG_MAPS_H
#define TESTS_BENCH_MAPS_WRONG_MAPS_H

#include "design.h"

/* Reads a balance, yields the CPU, writes back the balance read plus the
 * delta: two threads on one user lose one's update. The read and the write
 * are each atomic (relaxed), so this is a lost update and not a data race in
 * C11's terms: ThreadSanitizer has nothing to report, and the test that uses
 * it runs under ThreadSanitizer like the others, unsuppressed. */
extern const struct map_design design_unlocked;

/* Applies every delta, atomically, to the next user: the sum over all users
 * is right, each user's balance is not. */
extern const struct map_design design_misrouted;

/* Refuses every delta, as if every sum would overflow: none can. */
extern const struct map_design design_refusing;

#endif
