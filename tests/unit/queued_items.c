#include "queued_items.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

struct queued_event item(size_t seq)
{
    struct queued_event e = {.delta = (int64_t)seq};
    e.user_len = (size_t)snprintf(e.user, sizeof e.user, "user-%zu", seq);
    return e;
}

const char *mismatch(const struct queued_event *e, size_t seq)
{
    struct queued_event want = item(seq);
    if (e->delta != want.delta)
        return "wrong delta";
    if (e->user_len != want.user_len || memcmp(e->user, want.user, want.user_len) != 0)
        return "wrong user";
    return NULL;
}

void push(struct queue *q, size_t seq)
{
    struct queued_event e = item(seq);
    ck_assert_msg(queue_try_push(q, &e), "push of item %zu refused", seq);
}
