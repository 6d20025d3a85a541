/* Requests: one line of JSON turned into a typed request, or the reason it
 * is not one. The rules are those of docs/PROTOCOL.md. */
#ifndef COMMON_REQUEST_H
#define COMMON_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "reason.h"

#define USER_MAX   64 /* bytes of a user name, after unescaping */
#define AMOUNT_MAX 1000000000 /* largest amount of one event */

enum request_kind {
    REQUEST_INVALID, /* reason says why: invalid_json or invalid_event */
    REQUEST_EVENT, /* user, action, amount */
    REQUEST_COMMAND, /* an object with a "type": command says which */
};

/* Commands by "type". A stage that does not know one answers unknown_type. */
enum command {
    COMMAND_UNKNOWN, /* a type no stage knows, or a "type" that is not a string */
    COMMAND_BALANCE, /* user; reason is invalid_event if the user is not valid */
    COMMAND_METRICS,
    COMMAND_HEALTH,
};

enum action { ACTION_BUY, ACTION_SELL };

struct request {
    enum request_kind kind;
    enum reason reason;
    enum command command;
    enum action action;
    int64_t amount; /* 1 ... AMOUNT_MAX */
    size_t user_len; /* 1 ... USER_MAX */
    char user[USER_MAX + 1]; /* UTF-8, no control characters, NUL-terminated */
};

/* Parses line[0 .. len), which must be followed by a NUL (line[len] == '\0').
 * The line may be modified. Never allocates beyond what cJSON needs for the
 * parse, and frees that before returning. */
void request_parse(char *line, size_t len, struct request *req);

/* The signed change an event makes to its user's balance. */
static inline int64_t event_delta(const struct request *req)
{
    return req->action == ACTION_BUY ? req->amount : -req->amount;
}

#endif
