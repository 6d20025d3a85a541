#include "response.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define TOO_MANY "{\"status\":\"rejected\",\"reason\":\"too_many_connections\"}\n"
const char TOO_MANY_CONNECTIONS_LINE[] = TOO_MANY;
const size_t TOO_MANY_CONNECTIONS_LEN = sizeof TOO_MANY - 1;

/* Appends a constant line; sizeof counts the NUL, so it goes without it. */
#define APPEND_LITERAL(out, text) outbuf_append(out, text, sizeof text - 1)

void respond_echo(struct outbuf *out, const char *line, size_t len)
{
    char *p = outbuf_reserve(out, len + 1);
    if (p) {
        memcpy(p, line, len);
        p[len] = '\n';
        outbuf_commit(out, len + 1);
    }
}

void respond_accepted(struct outbuf *out)
{
    APPEND_LITERAL(out, "{\"status\":\"accepted\"}\n");
}

/* {"status":STATUS,"reason":REASON}; reason names need no escaping. */
static void respond_with_reason(struct outbuf *out, const char *status, enum reason reason)
{
    /* No snprintf: server_busy answers can come a million a second. */
    const char *name = reason_name(reason);
    size_t status_len = strlen(status), name_len = strlen(name);
    char *p = outbuf_reserve(out, 64);
    if (!p)
        return;
    char *start = p;
    memcpy(p, "{\"status\":\"", 11);
    p += 11;
    memcpy(p, status, status_len);
    p += status_len;
    memcpy(p, "\",\"reason\":\"", 12);
    p += 12;
    memcpy(p, name, name_len);
    p += name_len;
    memcpy(p, "\"}\n", 3);
    outbuf_commit(out, (size_t)(p + 3 - start));
}

void respond_error(struct outbuf *out, enum reason reason)
{
    respond_with_reason(out, "error", reason);
}

void respond_rejected(struct outbuf *out, enum reason reason)
{
    respond_with_reason(out, "rejected", reason);
}

void respond_new_balance(struct outbuf *out, int64_t balance)
{
    char *p = outbuf_reserve(out, 64);
    if (p)
        outbuf_commit(
            out, (size_t)snprintf(p, 64, "{\"status\":\"ok\",\"balance\":%" PRId64 "}\n", balance));
}

void respond_balance(struct outbuf *out, const char *user, size_t user_len, int64_t balance)
{
    size_t max = json_escaped_max(user_len) + 64;
    char *p = outbuf_reserve(out, max);
    if (!p)
        return;
    size_t n = (size_t)snprintf(p, max, "{\"status\":\"ok\",\"user\":");
    n += json_escape(p + n, user, user_len);
    n += (size_t)snprintf(p + n, max - n, ",\"balance\":%" PRId64 "}\n", balance);
    outbuf_commit(out, n);
}

void respond_health(struct outbuf *out, int draining)
{
    if (draining)
        APPEND_LITERAL(out, "{\"status\":\"draining\"}\n");
    else
        APPEND_LITERAL(out, "{\"status\":\"ok\"}\n");
}

/* Five keys and five numbers of up to 20 digits: 163 bytes, then snprintf's NUL. */
#define METRICS_MAX 192

void respond_metrics(struct outbuf *out, const struct metrics *m)
{
    char *p = outbuf_reserve(out, METRICS_MAX);
    if (p)
        outbuf_commit(out, (size_t)snprintf(p, METRICS_MAX,
                                            "{\"received\":%" PRIu64 ",\"processed\":%" PRIu64
                                            ",\"dropped\":%" PRIu64 ",\"queued\":%" PRIu64
                                            ",\"connections\":%" PRIu64 "}\n",
                                            m->received, m->processed, m->dropped, m->queued,
                                            m->connections));
}

size_t json_escape(char *dst, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char *p = dst;
    *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(p, "\\u00", 4);
            p[4] = hex[c >> 4];
            p[5] = hex[c & 15];
            p += 6;
        } else {
            *p++ = (char)c;
        }
    }
    *p++ = '"';
    return (size_t)(p - dst);
}
