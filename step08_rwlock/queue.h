/* A bounded queue of events between the event loop and the worker threads.
 *
 * The event loop only ever tries to push: when the queue is full it gets
 * false at once and rejects the event, it never waits for room. The
 * workers wait while the queue is empty, without spinning. */
#ifndef QUEUE_H
#define QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "request.h"

struct queued_event {
    int64_t delta; /* +amount for buy, -amount for sell */
    size_t user_len;
    char user[USER_MAX];
};

struct queue {
    pthread_mutex_t lock;
    pthread_cond_t not_empty;
    struct queued_event *items; /* a ring of cap items */
    size_t cap;
    size_t head; /* the oldest item */
    size_t len;
};

bool queue_init(struct queue *q, size_t cap);
void queue_destroy(struct queue *q);

/* Adds e unless the queue is full; never waits for room. */
bool queue_try_push(struct queue *q, const struct queued_event *e);
/* Takes the oldest item, waiting while there is none. */
void queue_pop(struct queue *q, struct queued_event *e);
size_t queue_len(struct queue *q);

#endif
