/* Simulated work: a fixed amount of CPU per event, so that the cost of
 * processing can be dialled up (--work-us) to show what it does to a server. */
#ifndef COMMON_WORK_H
#define COMMON_WORK_H

/* Burns us microseconds of this thread's CPU time in a busy loop. It is CPU
 * work, not a sleep: two threads on one core take twice as long. */
void simulate_work(unsigned us);

#endif
