#include "replies.h"

#include <string.h>

#include "requests.h"

static const char *const names[REPLY_COUNT] = {
    [REPLY_ACCEPTED] = "accepted",
    [REPLY_OK] = "ok",
    [REPLY_OK_BALANCE] = "ok/balance",
    [REPLY_OK_HEALTH] = "ok/health",
    [REPLY_DRAINING] = "draining",
    [REPLY_METRICS] = "metrics",
    [REPLY_REJ_SERVER_BUSY] = "rejected/server_busy",
    [REPLY_REJ_SHUTTING_DOWN] = "rejected/shutting_down",
    [REPLY_REJ_TOO_MANY_CONNECTIONS] = "rejected/too_many_connections",
    [REPLY_ERR_INVALID_JSON] = "error/invalid_json",
    [REPLY_ERR_INVALID_EVENT] = "error/invalid_event",
    [REPLY_ERR_UNKNOWN_TYPE] = "error/unknown_type",
    [REPLY_ERR_LINE_TOO_LONG] = "error/line_too_long",
    [REPLY_ERR_OVERFLOW] = "error/overflow",
    [REPLY_REDIS_OK] = "redis/ok",
    [REPLY_ECHO] = "echo",
    [REPLY_OTHER] = "other",
};

#define LINE(s)                                                                                    \
    {                                                                                              \
        s, sizeof s - 1                                                                            \
    }
static const struct {
    const char *text;
    size_t len;
} constants[REPLY_COUNT] = {
    [REPLY_ACCEPTED] = LINE("{\"status\":\"accepted\"}"),
    [REPLY_OK_HEALTH] = LINE("{\"status\":\"ok\"}"),
    [REPLY_DRAINING] = LINE("{\"status\":\"draining\"}"),
    [REPLY_REJ_SERVER_BUSY] = LINE("{\"status\":\"rejected\",\"reason\":\"server_busy\"}"),
    [REPLY_REJ_SHUTTING_DOWN] = LINE("{\"status\":\"rejected\",\"reason\":\"shutting_down\"}"),
    [REPLY_REJ_TOO_MANY_CONNECTIONS] =
        LINE("{\"status\":\"rejected\",\"reason\":\"too_many_connections\"}"),
    [REPLY_ERR_INVALID_JSON] = LINE("{\"status\":\"error\",\"reason\":\"invalid_json\"}"),
    [REPLY_ERR_INVALID_EVENT] = LINE("{\"status\":\"error\",\"reason\":\"invalid_event\"}"),
    [REPLY_ERR_UNKNOWN_TYPE] = LINE("{\"status\":\"error\",\"reason\":\"unknown_type\"}"),
    [REPLY_ERR_LINE_TOO_LONG] = LINE("{\"status\":\"error\",\"reason\":\"line_too_long\"}"),
    [REPLY_ERR_OVERFLOW] = LINE("{\"status\":\"error\",\"reason\":\"overflow\"}"),
    [REPLY_REDIS_OK] = LINE("+OK"),
};

const char *reply_kind_name(enum reply_kind kind)
{
    return names[kind];
}

const char *reply_constant(enum reply_kind kind, size_t *len)
{
    *len = constants[kind].len;
    return constants[kind].text;
}

/* Prefix match: advances *p past lit if the text at *p starts with it. */
static bool eat(const char **p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
        return false;
    *p += n;
    return true;
}

/* A JSON integer (no leading zeros, optional minus) that fits in int64. */
static bool eat_int(const char **p, const char *end, int64_t *out)
{
    const char *s = *p;
    bool neg = s < end && *s == '-';
    if (neg)
        s++;
    if (s >= end || *s < '0' || *s > '9' ||
        (*s == '0' && s + 1 < end && s[1] >= '0' && s[1] <= '9'))
        return false;
    uint64_t v = 0;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (limit - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    *p = s;
    return true;
}

/* A JSON string, quotes included (escapes are skipped, not checked). */
static bool eat_string(const char **p, const char *end)
{
    const char *s = *p;
    if (s >= end || *s != '"')
        return false;
    for (s++; s < end; s++) {
        if (*s == '\\')
            s++;
        else if (*s == '"') {
            *p = s + 1;
            return true;
        }
    }
    return false;
}

static enum reply_kind classify_slow(const char *line, size_t len, struct reply *out)
{
    for (int k = 0; k < REPLY_COUNT; k++) {
        if (constants[k].text && constants[k].len == len &&
            memcmp(constants[k].text, line, len) == 0)
            return (enum reply_kind)k;
    }
    const char *p = line, *end = line + len;
    if (eat(&p, end, "{\"status\":\"ok\",\"balance\":")) {
        if (eat_int(&p, end, &out->balance) && p + 1 == end && *p == '}')
            return REPLY_OK;
        return REPLY_OTHER;
    }
    if (eat(&p, end, "{\"status\":\"ok\",\"user\":")) {
        const char *user = p;
        if (!eat_string(&p, end))
            return REPLY_OTHER;
        out->user_off = (size_t)(user - line);
        out->user_len = (size_t)(p - user);
        if (eat(&p, end, ",\"balance\":") && eat_int(&p, end, &out->balance) && p + 1 == end &&
            *p == '}')
            return REPLY_OK_BALANCE;
        return REPLY_OTHER;
    }
    static const char *const metric_keys[3] = {
        "{\"received\":", ",\"processed\":", ",\"dropped\":"};
    for (int i = 0; i < 3; i++) {
        int64_t v;
        if (!eat(&p, end, metric_keys[i]) || !eat_int(&p, end, &v) || v < 0)
            return REPLY_OTHER;
        out->metrics[i] = (uint64_t)v;
    }
    const char *q = p;
    if (!eat(&q, end, ",\"queued\":") || !eat_int(&q, end, &out->queued) || out->queued < 0)
        out->queued = -1;
    if (p < end && end[-1] == '}' && (*p == '}' ? p + 1 == end : *p == ','))
        return REPLY_METRICS;
    return REPLY_OTHER;
}

void reply_classify(const char *line, size_t len, const struct req_line *req, enum reply_kind guess,
                    struct reply *out)
{
    if (guess == REPLY_ECHO) {
        if (len + 1 == req->len && memcmp(line, req->text, len) == 0) {
            out->kind = REPLY_ECHO;
            return;
        }
    } else if (constants[guess].text && constants[guess].len == len &&
               memcmp(constants[guess].text, line, len) == 0) {
        out->kind = guess;
        return;
    }
    if (len + 1 == req->len && memcmp(line, req->text, len) == 0) {
        out->kind = REPLY_ECHO;
        return;
    }
    out->kind = classify_slow(line, len, out);
}

const char *reply_mismatch(const char *line, const struct req_line *req, const struct reply *r)
{
    switch (r->kind) {
    case REPLY_ECHO:
    case REPLY_REJ_TOO_MANY_CONNECTIONS: return NULL; /* any request can get these */
    case REPLY_OTHER: return req->kind == RK_ECHO ? "echo mismatch" : "malformed or unknown reply";
    default: break;
    }
    switch ((enum req_kind)req->kind) {
    case RK_EVENT:
        if (r->kind == REPLY_ACCEPTED || r->kind == REPLY_OK || r->kind == REPLY_REJ_SERVER_BUSY ||
            r->kind == REPLY_REJ_SHUTTING_DOWN || r->kind == REPLY_ERR_OVERFLOW)
            return NULL;
        return "impossible reply to a valid event";
    case RK_BALANCE:
        if (r->kind == REPLY_ERR_UNKNOWN_TYPE)
            return NULL;
        if (r->kind != REPLY_OK_BALANCE)
            return "impossible reply to a balance query";
        if (r->user_len != req->user_len ||
            memcmp(line + r->user_off, req->text + req->user_off, r->user_len) != 0)
            return "balance reply for another user";
        return NULL;
    case RK_METRICS:
        return r->kind == REPLY_METRICS || r->kind == REPLY_ERR_UNKNOWN_TYPE
                   ? NULL
                   : "impossible reply to a metrics query";
    case RK_HEALTH:
        return r->kind == REPLY_OK_HEALTH || r->kind == REPLY_DRAINING ||
                       r->kind == REPLY_ERR_UNKNOWN_TYPE
                   ? NULL
                   : "impossible reply to a health query";
    case RK_INVALID:
        if (r->kind == req->expect)
            return NULL;
        return r->kind == REPLY_ERR_INVALID_JSON || r->kind == REPLY_ERR_INVALID_EVENT
                   ? "wrong error reason for an invalid line"
                   : "impossible reply to an invalid line";
    case RK_ECHO:
        return r->kind == REPLY_ERR_INVALID_JSON ? NULL : "impossible reply to a text line";
    case RK_SET: return r->kind == REPLY_REDIS_OK ? NULL : "SET not answered +OK";
    default: return "impossible reply";
    }
}
