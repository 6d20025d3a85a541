/* The built-in sink of --self-test: a trivial one-thread line server, so
 * that loadgen can measure its own ceiling on this machine. In accept mode it
 * answers every line with {"status":"accepted"} (it counts '\n's and writes
 * that many copies of a constant line); in echo mode it writes back the bytes
 * it reads. Either costs the sink far less than any stage costs a server. */
#ifndef LOADGEN_SINK_H
#define LOADGEN_SINK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "options.h"

struct sink {
    enum self_test mode;
    int listen_fd;
    int stop_fd; /* an eventfd: written to stop the thread */
    int port;
    pthread_t thread;
    uint64_t lines; /* answered; read once the thread has stopped */
};

/* Listens on 127.0.0.1 on a free port and starts the thread; false (with a
 * message) if it cannot. */
bool sink_start(struct sink *s, enum self_test mode);
void sink_stop(struct sink *s);

#endif
