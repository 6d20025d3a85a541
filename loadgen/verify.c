#include "verify.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    unsigned checks;
} modes[] = {
    {"echo", VERIFY_ECHO},         {"parse", VERIFY_PARSE},
    {"queue", VERIFY_QUEUE},       {"inline", VERIFY_INLINE},
    {"balances", VERIFY_BALANCES}, {"metrics", VERIFY_BALANCES | VERIFY_METRICS},
};

/* Stage N's mode. */
static const unsigned stage_checks[11] = {
    [1] = VERIFY_ECHO,
    [2] = VERIFY_ECHO,
    [3] = VERIFY_PARSE,
    [4] = VERIFY_INLINE,
    [5] = VERIFY_QUEUE,
    [6] = VERIFY_QUEUE,
    [7] = VERIFY_BALANCES,
    [8] = VERIFY_BALANCES,
    [9] = VERIFY_BALANCES | VERIFY_METRICS,
    [10] = VERIFY_BALANCES | VERIFY_METRICS,
};

unsigned verify_parse(const char *text)
{
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        if (strcmp(text, modes[i].name) == 0)
            return modes[i].checks;
    }
    const char *digits = strncmp(text, "step", 4) == 0 ? text + 4 : text;
    char *end;
    long n = strtol(digits, &end, 10);
    if (end == digits || *end != '\0' || *digits < '0' || *digits > '9' || n < 1 || n > 10)
        return 0;
    return stage_checks[n];
}

const char *verify_name(unsigned checks)
{
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        if (modes[i].checks == checks)
            return modes[i].name;
    }
    return checks ? "custom" : "none";
}

#define BIT(kind) (1u << (kind))

/* The replies req may get under the checks (other than a refusal). */
static unsigned allowed(unsigned checks, const struct req_line *req)
{
    const unsigned unknown = BIT(REPLY_ERR_UNKNOWN_TYPE);
    switch ((enum req_kind)req->kind) {
    case RK_EVENT:
        if (checks & VERIFY_INLINE)
            return BIT(REPLY_OK);
        if (checks & VERIFY_METRICS) /* stage 10 may be shutting down */
            return BIT(REPLY_ACCEPTED) | BIT(REPLY_REJ_SERVER_BUSY) | BIT(REPLY_REJ_SHUTTING_DOWN);
        if (checks & (VERIFY_QUEUE | VERIFY_BALANCES))
            return BIT(REPLY_ACCEPTED) | BIT(REPLY_REJ_SERVER_BUSY);
        return BIT(REPLY_ACCEPTED);
    case RK_BALANCE: return checks & VERIFY_BALANCES ? BIT(REPLY_OK_BALANCE) : unknown;
    case RK_METRICS: return checks & VERIFY_METRICS ? BIT(REPLY_METRICS) : unknown;
    case RK_HEALTH: /* 09 does not know health, 10 does */
        return checks & VERIFY_METRICS ? BIT(REPLY_OK_HEALTH) | unknown : unknown;
    case RK_INVALID: return BIT(req->expect);
    case RK_ECHO: return BIT(REPLY_ERR_INVALID_JSON);
    default: return 0;
    }
}

static const char *why_not(unsigned checks, const struct req_line *req)
{
    switch ((enum req_kind)req->kind) {
    case RK_EVENT:
        return checks & VERIFY_INLINE ? "valid event not answered with its new balance"
                                      : "valid event not accepted";
    case RK_BALANCE:
        return checks & VERIFY_BALANCES ? "balance query not answered with a balance"
                                        : "command not answered unknown_type";
    case RK_METRICS:
        return checks & VERIFY_METRICS ? "metrics query not answered with metrics"
                                       : "command not answered unknown_type";
    case RK_HEALTH:
        return checks & VERIFY_METRICS ? "health query not answered ok (or unknown_type)"
                                       : "command not answered unknown_type";
    case RK_INVALID: return "invalid line without its error reason";
    case RK_ECHO: return "text line not answered invalid_json";
    default: return "unknown request";
    }
}

const char *verify_reply(unsigned checks, const struct req_line *req, const struct reply *r)
{
    if (r->kind == REPLY_REJ_TOO_MANY_CONNECTIONS)
        return NULL;
    if (checks & VERIFY_ECHO)
        return r->kind == REPLY_ECHO ? NULL : "reply is not the request echoed";
    return allowed(checks, req) & BIT(r->kind) ? NULL : why_not(checks, req);
}

bool verify_sums_init(struct verify_sums *s, unsigned checks, uint32_t users)
{
    *s = (struct verify_sums){.users = users};
    if (!verify_checks_state(checks))
        return true;
    s->sum = calloc(users, sizeof *s->sum);
    s->flags = calloc(users, sizeof *s->flags);
    if (s->sum && s->flags)
        return true;
    verify_sums_free(s);
    return false;
}

void verify_sums_free(struct verify_sums *s)
{
    free(s->sum);
    free(s->flags);
    s->sum = NULL;
    s->flags = NULL;
}

void verify_sums_merge(struct verify_sums *dst, const struct verify_sums *src)
{
    if (!dst->sum || !src->sum)
        return;
    for (uint32_t u = 0; u < dst->users; u++) {
        dst->sum[u] += src->sum[u];
        dst->flags[u] |= src->flags[u];
    }
}
