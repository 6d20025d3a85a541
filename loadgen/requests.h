/* The request pool: every line loadgen will send, built once at start.
 *
 * Per user: a few event lines (buys and sells of known amounts, so that the
 * balance change of each is known) and one balance query; then one metrics
 * and one health command, a set of invalid lines (each with the error reason
 * it must get) and a set of plain text lines for echo servers. On request,
 * one Redis SET command per user too, to drive Redis the same way. Sending a
 * request is a memcpy of one of these lines: no formatting, no allocation. */
#ifndef LOADGEN_REQUESTS_H
#define LOADGEN_REQUESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replies.h"

enum req_kind {
    RK_EVENT,
    RK_BALANCE,
    RK_METRICS,
    RK_HEALTH,
    RK_INVALID,
    RK_ECHO,
    RK_SET, /* a Redis command, not this protocol's: for comparing with Redis */
    RK_COUNT
};

#define USERS_MAX       1000000
#define REQ_LINE_MAX    256 /* longest pre-built line, '\n' included */
#define POOL_SLACK      64 /* bytes readable past the end of any line */
#define USER_PREFIX_MAX 32 /* bytes of printable ASCII before every user name */
#define USER_NAME_MAX   80 /* room for one user name, prefix included */

/* Whether requests of this kind are about one user (pool_pick's `user`). */
static inline bool req_kind_has_user(enum req_kind kind)
{
    return kind == RK_EVENT || kind == RK_BALANCE || kind == RK_SET;
}

const char *req_kind_name(enum req_kind kind);
bool req_kind_from_name(const char *name, size_t len, enum req_kind *kind);

struct req_line {
    const char *text; /* the line, '\n' included */
    uint16_t len; /* bytes of text, '\n' included */
    uint8_t kind; /* enum req_kind */
    uint8_t expect; /* RK_INVALID: the reply kind it must get (an error reason) */
    uint32_t user; /* RK_EVENT, RK_BALANCE: user index */
    int64_t delta; /* RK_EVENT: the signed balance change */
    uint16_t user_off; /* RK_BALANCE: the JSON-escaped user, quotes included, */
    uint16_t user_len; /* at text[user_off .. user_off + user_len) */
};

struct req_pool {
    char prefix[USER_PREFIX_MAX + 1]; /* of every user name */
    uint32_t users;
    uint32_t variants; /* event lines per user */
    struct req_line *events; /* users * variants: user u's are at u * variants */
    struct req_line *balances; /* one per user */
    struct req_line metrics, health;
    struct req_line *invalid;
    uint32_t n_invalid;
    struct req_line *echo;
    uint32_t n_echo;
    char *arena; /* the text of every line */
    struct req_line *set; /* one per user once pool_add_set_lines ran, else NULL */
    char *set_arena; /* their text */
};

/* Builds the pool for users 0 .. users - 1, their names starting with
 * prefix (printable ASCII, at most USER_PREFIX_MAX bytes; "" for none);
 * false if memory runs out. */
bool pool_init(struct req_pool *pool, uint32_t users, const char *prefix);
void pool_free(struct req_pool *pool);

/* Adds, for each user, the Redis command SET <name> <amount> in RESP (the
 * amount of the user's first event), several CRLF-ended parts in one "line";
 * false if memory runs out. Only runs that send RK_SET need them. */
bool pool_add_set_lines(struct req_pool *pool);

/* The user name of index i (raw bytes, not escaped) into buf (USER_NAME_MAX
 * bytes); returns its length. Most are "<prefix>user<i>"; one in ten has a
 * quote and a non-ASCII letter, "<prefix>q\"é-<i>", so that servers
 * must escape and unescape it. */
size_t pool_user_name(const struct req_pool *pool, uint32_t i, char *buf);

/* One line of the kind asked for; user and pick choose among the candidates. */
static inline const struct req_line *pool_pick(const struct req_pool *pool, enum req_kind kind,
                                               uint32_t user, uint32_t pick)
{
    switch (kind) {
    case RK_EVENT: return &pool->events[(size_t)user * pool->variants + pick % pool->variants];
    case RK_BALANCE: return &pool->balances[user];
    case RK_METRICS: return &pool->metrics;
    case RK_HEALTH: return &pool->health;
    case RK_INVALID: return &pool->invalid[pick % pool->n_invalid];
    case RK_SET: return &pool->set[user];
    case RK_ECHO:
    default: return &pool->echo[pick % pool->n_echo];
    }
}

#endif
