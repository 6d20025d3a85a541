#include "work.h"

#include <stdint.h>
#include <time.h>

/* About a microsecond of spinning between two looks at the clock. */
#define SPINS_PER_CHECK 1000

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Spins until this thread has used us microseconds of CPU. Counting the
 * thread's own CPU time (not wall time, not a loop calibrated once) makes the
 * work the same in every process and on every core, however busy the
 * machine: time spent waiting for a core does not count. */
void simulate_work(unsigned us)
{
    if (us == 0)
        return;
    uint64_t until = thread_cpu_ns() + (uint64_t)us * 1000u;
    do {
        for (int i = 0; i < SPINS_PER_CHECK; i++)
            __asm__ volatile("" ::: "memory"); /* the compiler may not drop the loop */
    } while (thread_cpu_ns() < until);
}
