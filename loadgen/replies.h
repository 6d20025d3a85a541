/* Replies: what kind each reply line is, and whether it can be the answer to
 * the request it answers.
 *
 * The caller usually knows which reply to expect (the one the last request
 * of the same kind got), so the fast path is one length check and one memcmp
 * against a constant line; anything else goes through the full table. */
#ifndef LOADGEN_REPLIES_H
#define LOADGEN_REPLIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum reply_kind {
    REPLY_ACCEPTED, /* {"status":"accepted"} */
    REPLY_OK, /* {"status":"ok","balance":N}: an event applied inline */
    REPLY_OK_BALANCE, /* {"status":"ok","user":U,"balance":N}: a balance query */
    REPLY_OK_HEALTH, /* {"status":"ok"} */
    REPLY_DRAINING, /* {"status":"draining"} */
    REPLY_METRICS, /* {"received":N,"processed":N,"dropped":N...} */
    REPLY_REJ_SERVER_BUSY, /* {"status":"rejected","reason":...} */
    REPLY_REJ_SHUTTING_DOWN,
    REPLY_REJ_TOO_MANY_CONNECTIONS,
    REPLY_ERR_INVALID_JSON, /* {"status":"error","reason":...} */
    REPLY_ERR_INVALID_EVENT,
    REPLY_ERR_UNKNOWN_TYPE,
    REPLY_ERR_LINE_TOO_LONG,
    REPLY_ERR_OVERFLOW,
    REPLY_REDIS_OK, /* +OK: Redis's answer to SET */
    REPLY_ECHO, /* the request itself */
    REPLY_OTHER, /* none of the above: a malformed or unexpected line */
    REPLY_COUNT
};

struct req_line;

struct reply {
    enum reply_kind kind;
    int64_t balance; /* REPLY_OK, REPLY_OK_BALANCE */
    size_t user_off; /* REPLY_OK_BALANCE: the user as written (JSON string, */
    size_t user_len; /* quotes included) at line[user_off .. user_off + user_len) */
    uint64_t metrics[3]; /* REPLY_METRICS: received, processed, dropped */
    int64_t queued; /* REPLY_METRICS: a "queued" key right after them, or -1 */
};

/* "accepted", "ok", "ok/balance", ..., "error/invalid_json", "echo", "other". */
const char *reply_kind_name(enum reply_kind kind);

/* The constant line of a kind that has one (no '\n'), or NULL. */
const char *reply_constant(enum reply_kind kind, size_t *len);

/* Classifies line[0 .. len) (no '\n'), the answer to req. `guess` is tried
 * first: a kind with a constant line, or REPLY_ECHO. */
void reply_classify(const char *line, size_t len, const struct req_line *req, enum reply_kind guess,
                    struct reply *out);

/* NULL if r can answer req on some stage; otherwise why not ("accepted for
 * an invalid line", "echo mismatch", ...). */
const char *reply_mismatch(const char *line, const struct req_line *req, const struct reply *r);

#endif
