#include "work.h"

#include <pthread.h>
#include <stdint.h>
#include <time.h>

static uint64_t spins_per_ms;
static pthread_once_t calibrated = PTHREAD_ONCE_INIT;

static void spin(uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        __asm__ volatile("" ::: "memory"); /* the compiler may not drop the loop */
}

static uint64_t elapsed_ns(const struct timespec *a, const struct timespec *b)
{
    return (uint64_t)(b->tv_sec - a->tv_sec) * 1000000000u + (uint64_t)b->tv_nsec -
           (uint64_t)a->tv_nsec;
}

/* Times a fixed loop a few times and keeps the fastest run: on a busy machine
 * the slower runs measured somebody else's time slices, not our loop. */
static void calibrate(void)
{
    const uint64_t n = 1000000;
    uint64_t best = UINT64_MAX;
    for (int round = 0; round < 5; round++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
        spin(n);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
        uint64_t ns = elapsed_ns(&t0, &t1);
        if (ns < best)
            best = ns;
    }
    spins_per_ms = best ? n * 1000000u / best : n;
}

void simulate_work(unsigned us)
{
    if (us == 0)
        return;
    pthread_once(&calibrated, calibrate);
    spin(spins_per_ms * us / 1000u);
}
