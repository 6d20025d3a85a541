/* Threads that work in the background for the event loop. */
#ifndef COMMON_THREAD_H
#define COMMON_THREAD_H

#include <pthread.h>

/* pthread_create for a thread that does background work, named `name` (at
 * most 15 bytes: top -H and /proc show it) and scheduled as batch work
 * (SCHED_BATCH). The scheduler then never lets waking it preempt the thread
 * that woke it: a worker woken for an event waits for a free moment instead
 * of pushing the event loop off its core. Both are set before this returns;
 * where the policy may not be set, the thread keeps the default one (and a
 * warning is logged).
 * Returns 0 or pthread_create's error number. */
int start_background_thread(pthread_t *thread, const char *name, void *(*run)(void *), void *arg);

#endif
