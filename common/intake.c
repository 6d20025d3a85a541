#include "intake.h"

#include <stdlib.h>
#include <string.h>

void intake_init(struct intake *in, size_t max_line)
{
    *in = (struct intake){0};
    framer_init(&in->framer, max_line);
}

void intake_free(struct intake *in)
{
    framer_free(&in->framer);
    free(in->held);
    in->held = NULL;
}

/* Holds the rest of fresh back, after what is held already. */
static bool hold_back(struct intake *in, struct chunk *fresh)
{
    size_t kept = in->held ? in->held->size - in->held->start : 0;
    struct held_input *h = malloc(sizeof *h + kept + fresh->len);
    if (!h)
        return false;
    *h = (struct held_input){.size = kept + fresh->len};
    if (kept > 0)
        memcpy(h->bytes, in->held->bytes + in->held->start, kept);
    memcpy(h->bytes + kept, fresh->data, fresh->len);
    free(in->held);
    in->held = h;
    fresh->data += fresh->len;
    fresh->len = 0;
    return true;
}

struct frame intake_next(struct intake *in, struct chunk *fresh, bool room)
{
    if (!room) {
        if (fresh->len > 0 && !hold_back(in, fresh))
            return (struct frame){.kind = FRAME_NO_MEMORY};
        return (struct frame){.kind = FRAME_NONE};
    }
    if (in->held) {
        struct held_input *h = in->held;
        struct chunk rest = {h->bytes + h->start, h->size - h->start};
        struct frame f = framer_next(&in->framer, &rest);
        h->start = h->size - rest.len;
        if (f.kind != FRAME_NONE)
            return f; /* a line in the held bytes: they stay until the next call */
        free(h); /* all framed: on with what was just read */
        in->held = NULL;
    }
    return framer_next(&in->framer, fresh);
}
