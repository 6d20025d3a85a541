/* A bounded ring of events from the event loop to the workers, on C11
 * atomics: no lock, and no system call while the workers are busy.
 *
 * The event loop is the only producer. It writes events into free slots
 * (queue_try_push: false at once when the ring is full) and makes them
 * visible to the workers in one go (queue_publish, after each read);
 * only if a worker sleeps does publishing wake one, with a futex. Workers
 * take events in batches (queue_take), spin briefly when there is none, then
 * sleep on the futex. */
#ifndef QUEUE_H
#define QUEUE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "request.h"

struct queued_event {
    int64_t delta; /* +amount for buy, -amount for sell */
    size_t user_len;
    char user[USER_MAX];
};

/* Positions count events from 0 and never wrap; position pos lives in slot
 * pos % cap. A slot is free for position pos once turn == pos: a worker sets
 * that after copying out the event at pos - cap. */
struct slot {
    _Atomic size_t turn;
    struct queued_event event;
};

struct queue {
    _Alignas(64) _Atomic size_t head; /* the next position to take: workers move it */
    _Alignas(64) _Atomic size_t tail; /* positions before it are published */
    size_t next; /* the producer's own: the position its next push writes */
    _Alignas(64) _Atomic uint32_t wakeups; /* a futex: bumped to wake the sleepers */
    _Atomic uint32_t sleepers; /* workers asleep, or about to sleep, on wakeups */
    struct slot *slots;
    size_t cap;
};

bool queue_init(struct queue *q, size_t cap);
void queue_destroy(struct queue *q);

/* Producer: writes e into the ring unless it is full; never waits for room.
 * Workers see it only after the next queue_publish. */
bool queue_try_push(struct queue *q, const struct queued_event *e);
/* Producer: makes every event pushed so far visible, and wakes a worker if
 * one sleeps. */
void queue_publish(struct queue *q);
/* Worker: takes up to max of the oldest events into out, waiting while there
 * are none; returns how many it took. */
size_t queue_take(struct queue *q, struct queued_event *out, size_t max);
/* Events published and not yet taken; any thread, no lock. */
size_t queue_len(struct queue *q);

#endif
