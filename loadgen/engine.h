/* The engine: threads, each with its own epoll loop and connections, that
 * send pre-built requests, read replies, and measure. */
#ifndef LOADGEN_ENGINE_H
#define LOADGEN_ENGINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "clock.h"
#include "options.h"
#include "requests.h"
#include "stats.h"
#include "verify.h"
#include "zipf.h"

struct lg_run {
    /* In: */
    const struct lg_options *opts;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    const struct req_pool *pool;
    const struct sampler *sampler;
    /* Set up by the engine: */
    uint32_t mix_cum[RK_COUNT]; /* cumulative weights of the request kinds */
    uint32_t mix_total;
    int single_kind; /* the only kind with a weight, or -1 */
    pthread_barrier_t barrier;
    uint64_t connect_start_ns;
    /* Out, once engine_run returns: */
    struct lg_stats stats; /* every thread's, merged */
    struct verify_sums sums; /* likewise, when the verify mode needs them */
    uint64_t start_ns; /* when the load started (all connections made) */
    uint64_t connect_ns; /* how long making the connections took */
};

/* Connects, runs the load, and merges the threads' results into run.
 * Returns false if it could not start (out of memory, no threads): it says
 * why on stderr. A run with no connection at all still returns true. */
bool engine_run(struct lg_run *run);

/* Asks a running engine to stop sending and finish (safe in a signal handler). */
void engine_request_stop(void);

#endif
