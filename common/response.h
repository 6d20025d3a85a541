/* Responses: each appends one compact JSON line, '\n' included, to out.
 * Keys come in the order docs/PROTOCOL.md shows. */
#ifndef COMMON_RESPONSE_H
#define COMMON_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include "outbuf.h"
#include "request.h"

/* the line itself */
void respond_echo(struct outbuf *out, const char *line, size_t len);
/* {"status":"accepted"} */
void respond_accepted(struct outbuf *out);
/* {"status":"error","reason":R} */
void respond_error(struct outbuf *out, enum reason reason);
/* {"status":"rejected","reason":R} */
void respond_rejected(struct outbuf *out, enum reason reason);
/* {"status":"ok","balance":N} */
void respond_new_balance(struct outbuf *out, int64_t balance);
/* {"status":"ok","user":U,"balance":N}, U escaped */
void respond_balance(struct outbuf *out, const char *user, size_t user_len, int64_t balance);
/* {"status":"ok"}, or {"status":"draining"} */
void respond_health(struct outbuf *out, int draining);

struct metrics {
    uint64_t received; /* valid events taken in: accepted + dropped */
    uint64_t processed; /* events applied to the state (or found to overflow) */
    uint64_t dropped; /* events refused: server_busy or shutting_down */
    uint64_t queued; /* events waiting in the queue now */
    uint64_t connections;
};
/* {"received":N,"processed":N,"dropped":N,"queued":N,"connections":N} */
void respond_metrics(struct outbuf *out, const struct metrics *m);

/* The whole refusal line for a connection over the limit. */
extern const char TOO_MANY_CONNECTIONS_LINE[];
extern const size_t TOO_MANY_CONNECTIONS_LEN;

/* Writes s[0 .. n) as a JSON string, quotes included, into dst, which has room
 * for at least json_escaped_max(n) bytes; returns the bytes written. */
size_t json_escape(char *dst, const char *s, size_t n);
static inline size_t json_escaped_max(size_t n)
{
    return 6 * n + 2;
}

#endif
