/* Numbered queue items for the queue and ring tests: item seq carries seq in
 * its delta and in its user, so a lost, repeated, reordered or torn item
 * shows where it happens. */
#ifndef TESTS_UNIT_QUEUED_ITEMS_H
#define TESTS_UNIT_QUEUED_ITEMS_H

#include <stddef.h>

#include "queue.h"

/* The item with sequence number seq. */
struct queued_event item(size_t seq);

/* Pushes item(seq), which the queue must take at once, or fails the test. */
void push(struct queue *q, size_t seq);

/* Why e is not item(seq), or NULL if it is. */
const char *mismatch(const struct queued_event *e, size_t seq);

#endif
