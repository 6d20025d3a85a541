/* --verify: what a stage lets loadgen check, beyond the stage-independent
 * protocol check of replies.h.
 *
 * A mode is a set of checks; each stage adds its own to those before it:
 *   echo      01, 02   every reply equals its request
 *   parse     03       every valid event accepted, every invalid line the
 *                      right error reason, every command unknown_type
 *   inline    04       every event answered with a balance; at the end, one
 *                      more event per user shows the balance is the sum of
 *                      that user's events
 *   queue     05, 06   as parse, but an event may also be rejected server_busy
 *   balances  07, 08   as queue, balance queries answered; at the end, one
 *                      balance query per user equals the sum of that user's
 *                      accepted events (once the queue has drained)
 *   metrics   09, 10   as balances, and the server's metrics add up
 * Every mode also requires every request to be answered. The checks made
 * while the load runs are here; those made at the end, in verify_end.h. */
#ifndef LOADGEN_VERIFY_H
#define LOADGEN_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "replies.h"
#include "requests.h"

enum verify_check {
    VERIFY_ECHO = 1u << 0,
    VERIFY_PARSE = 1u << 1,
    VERIFY_QUEUE = 1u << 2,
    VERIFY_INLINE = 1u << 3,
    VERIFY_BALANCES = 1u << 4,
    VERIFY_METRICS = 1u << 5,
};

/* Parses a mode name or a stage ("3", "03", "step03"); 0 if it is neither. */
unsigned verify_parse(const char *text);
/* The name of a mode, for reports. */
const char *verify_name(unsigned checks);
/* Whether the mode checks the server's state at the end (inline, balances, metrics). */
static inline bool verify_checks_state(unsigned checks)
{
    return (checks & (VERIFY_INLINE | VERIFY_BALANCES)) != 0;
}

/* NULL if r is what req must get under the checks; else why not. A refusal
 * (too_many_connections) is never wrong: the server may refuse a connection. */
const char *verify_reply(unsigned checks, const struct req_line *req, const struct reply *r);

/* What the state checks need, per user: the sum of the changes of the
 * events the server accepted (or applied), and whether loadgen sent the user
 * an event at all or lost one (sent on a connection that closed before its
 * reply: applied or not, nobody knows). One per thread, merged at the end. */
enum { USER_TOUCHED = 1, USER_UNSURE = 2 };

struct verify_sums {
    uint32_t users;
    int64_t *sum; /* NULL unless the mode checks the state */
    uint8_t *flags; /* USER_TOUCHED | USER_UNSURE */
};

bool verify_sums_init(struct verify_sums *s, unsigned checks, uint32_t users);
void verify_sums_free(struct verify_sums *s);
/* The reply of kind `kind` to req arrived. */
static inline void verify_note(struct verify_sums *s, const struct req_line *req,
                               enum reply_kind kind)
{
    if (!s->sum || req->kind != RK_EVENT)
        return;
    s->flags[req->user] |= USER_TOUCHED;
    if (kind == REPLY_ACCEPTED || kind == REPLY_OK)
        s->sum[req->user] += req->delta;
}
/* req was sent and will get no reply. */
static inline void verify_note_lost(struct verify_sums *s, const struct req_line *req)
{
    if (s->sum && req->kind == RK_EVENT)
        s->flags[req->user] |= USER_TOUCHED | USER_UNSURE;
}
void verify_sums_merge(struct verify_sums *dst, const struct verify_sums *src);

#endif
