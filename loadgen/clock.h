/* The monotonic clock loadgen measures with, in nanoseconds. */
#ifndef LOADGEN_CLOCK_H
#define LOADGEN_CLOCK_H

#include "../common/clock.h"

static inline uint64_t lg_now_ns(void)
{
    return monotonic_ns();
}

#define LG_MS_NS 1000000ull

#endif
