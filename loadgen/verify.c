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

const char *verify_unsupported(unsigned checks)
{
    if (checks & VERIFY_METRICS)
        return "--verify for stages 09+ (metrics add up) is not supported yet";
    if (checks & VERIFY_BALANCES)
        return "--verify for stages 07+ (balances equal the sum of accepted events) is not "
               "supported yet";
    if (checks & VERIFY_INLINE)
        return "--verify for stage 04 (running balances) is not supported yet";
    return NULL;
}

const char *verify_reply(unsigned checks, const struct req_line *req, const struct reply *r)
{
    if (checks & VERIFY_ECHO)
        return r->kind == REPLY_ECHO ? NULL : "reply is not the request echoed";
    if (!(checks & (VERIFY_PARSE | VERIFY_QUEUE)))
        return NULL;
    switch ((enum req_kind)req->kind) {
    case RK_EVENT:
        if (r->kind == REPLY_ACCEPTED)
            return NULL;
        if ((checks & VERIFY_QUEUE) && r->kind == REPLY_REJ_SERVER_BUSY)
            return NULL;
        return "valid event not accepted";
    case RK_BALANCE:
    case RK_METRICS:
    case RK_HEALTH:
        return r->kind == REPLY_ERR_UNKNOWN_TYPE ? NULL : "command not answered unknown_type";
    case RK_INVALID: return r->kind == req->expect ? NULL : "invalid line without its error reason";
    case RK_ECHO:
        return r->kind == REPLY_ERR_INVALID_JSON ? NULL : "text line not answered invalid_json";
    default: return "unknown request";
    }
}

bool verify_sums_init(struct verify_sums *s, unsigned checks, uint32_t users)
{
    *s = (struct verify_sums){.users = users};
    if (!(checks & VERIFY_BALANCES))
        return true;
    s->sum = calloc(users, sizeof *s->sum);
    return s->sum != NULL;
}

void verify_sums_free(struct verify_sums *s)
{
    free(s->sum);
    s->sum = NULL;
}

void verify_sums_merge(struct verify_sums *dst, const struct verify_sums *src)
{
    if (!dst->sum || !src->sum)
        return;
    for (uint32_t u = 0; u < dst->users; u++)
        dst->sum[u] += src->sum[u];
}
