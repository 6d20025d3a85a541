/* --verify: what a stage lets loadgen check, beyond the stage-independent
 * protocol check of replies.h.
 *
 * A mode is a set of checks; each stage adds its own to those before it:
 *   echo      01, 02   every reply equals its request
 *   parse     03       every valid event accepted, every invalid line the
 *                      right error reason, every command unknown_type
 *   queue     05, 06   as parse, but an event may also be rejected server_busy
 *   inline    04       running balances consistent           (not supported yet)
 *   balances  07, 08   a balance query per user at the end equals the sum of
 *                      that user's accepted events            (not supported yet)
 *   metrics   09, 10   metrics add up                         (not supported yet)
 * Every mode also requires every request to be answered. */
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
#define VERIFY_SUPPORTED (VERIFY_ECHO | VERIFY_PARSE | VERIFY_QUEUE)

/* Parses a mode name or a stage ("3", "03", "step03"); 0 if it is neither. */
unsigned verify_parse(const char *text);
/* The name of a mode, for reports. */
const char *verify_name(unsigned checks);
/* NULL if every check of the mode is supported; else what is not. */
const char *verify_unsupported(unsigned checks);

/* NULL if r is what req must get under the checks; else why not. */
const char *verify_reply(unsigned checks, const struct req_line *req, const struct reply *r);

/* What the balance checks need: per user, the sum of the changes of the
 * events the server accepted. One per thread, merged at the end. */
struct verify_sums {
    uint32_t users;
    int64_t *sum; /* NULL unless the mode checks balances */
};

bool verify_sums_init(struct verify_sums *s, unsigned checks, uint32_t users);
void verify_sums_free(struct verify_sums *s);
static inline void verify_note(struct verify_sums *s, const struct req_line *req,
                               enum reply_kind kind)
{
    if (s->sum && req->kind == RK_EVENT && (kind == REPLY_ACCEPTED || kind == REPLY_OK))
        s->sum[req->user] += req->delta;
}
void verify_sums_merge(struct verify_sums *dst, const struct verify_sums *src);

#endif
