/* Intake: what a connection has read and not yet answered.
 *
 * Lines come out of the framer (common/framer.h). A server must stop
 * answering a client whose unread replies have passed their cap, possibly in
 * the middle of a read: the rest of that read is held back here, and it is
 * answered first, before anything new is read, once there is room again.
 * The servers make one call, intake_next, with whether there is room; they
 * do not read while intake_holds says input is held back. */
#ifndef COMMON_INTAKE_H
#define COMMON_INTAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "framer.h"

/* Input held back, in one allocation with its bookkeeping: an idle
 * connection pays one pointer for it. */
struct held_input {
    size_t start; /* the first byte not framed yet */
    size_t size; /* bytes */
    char bytes[];
};

struct intake {
    struct framer framer; /* the unfinished line */
    struct held_input *held; /* NULL when nothing is held back */
};

void intake_init(struct intake *in, size_t max_line);
void intake_free(struct intake *in);

static inline bool intake_holds(const struct intake *in)
{
    return in->held != NULL;
}

/* The next frame to answer: from the input held back first, then from fresh
 * (the bytes of one read, advanced as they are framed). Without room (the
 * client's unread replies are past their cap) it frames nothing: what is
 * left is held back (the rest of fresh is copied) and FRAME_NONE returned.
 * FRAME_NO_MEMORY if an unfinished line or the held input could not be kept.
 *
 * Room is judged before each line, so a client's unread replies pass their
 * cap by at most the reply to one line. A FRAME_LINE is valid until the next
 * call. */
struct frame intake_next(struct intake *in, struct chunk *fresh, bool room);

#endif
