/* Flooding a server from a client that does not read its replies, and
 * reading them back afterwards. */
#include "harness_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

bool client_flood(struct client *c, const char *line, size_t *sent, size_t max_bytes,
                  int blocked_ms)
{
    size_t line_len = strlen(line);
    require(line_len > 0 && line[line_len - 1] == '\n', "a flood line ends in '\\n'");
    /* Many copies of the line, so that each send() offers a large chunk. */
    size_t copies = 65536 / line_len + 1;
    size_t chunk_len = copies * line_len;
    char *chunk = malloc(chunk_len);
    require(chunk != NULL, "out of memory");
    for (size_t i = 0; i < copies; i++)
        memcpy(chunk + i * line_len, line, line_len);

    client_set_nonblocking(c);
    bool blocked = false;
    while (!blocked && *sent < max_bytes) {
        size_t off = *sent % line_len; /* continue the stream where it stopped */
        size_t want = chunk_len - off;
        if (want > max_bytes - *sent)
            want = max_bytes - *sent;
        ssize_t n = send(c->fd, chunk + off, want, MSG_NOSIGNAL);
        if (n > 0) {
            *sent += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        require(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK), "send: %s",
                n < 0 ? strerror(errno) : "sent nothing");
        blocked = poll_one(c->fd, POLLOUT, now_ms() + blocked_ms) == 0;
    }
    free(chunk);
    return blocked;
}

void client_flood_finish(struct client *c, const char *line, size_t sent, const char *reply,
                         int timeout_ms)
{
    size_t line_len = strlen(line);
    size_t rest = (line_len - sent % line_len) % line_len; /* of the last, partial line */
    size_t lines = (sent + rest) / line_len;
    const char *tail = line + line_len - rest;
    long long deadline = now_ms() + timeout_ms;
    static char got[CLIENT_BUF_SIZE + 1];

    for (size_t done = 0; done < lines;) {
        int n = client_read_line(c, got, sizeof got, 0); /* what is here, no waiting */
        if (n >= 0) {
            char have[256];
            require(strcmp(got, reply) == 0, "flood: reply %zu of %zu is %s, not \"%s\"", done,
                    lines, quoted(got, (size_t)n, have, sizeof have), reply);
            done++;
            continue;
        }
        require(n == CLIENT_TIMEOUT, "flood: after %zu of %zu replies, got %s", done, lines,
                result_name(n));
        /* Wait for replies and, while the last line is unfinished, for room. */
        struct pollfd p = {.fd = c->fd, .events = POLLIN | (rest > 0 ? POLLOUT : 0)};
        int r = poll(&p, 1, ms_left(deadline));
        if (r < 0 && errno == EINTR)
            continue;
        require(r > 0, "flood: %zu of %zu replies within %d ms", done, lines, timeout_ms);
        if ((p.revents & POLLOUT) && rest > 0) {
            ssize_t w = send(c->fd, tail, rest, MSG_NOSIGNAL | MSG_DONTWAIT);
            require(w > 0 || errno == EAGAIN || errno == EINTR, "send: %s", strerror(errno));
            if (w > 0) {
                tail += w;
                rest -= (size_t)w;
            }
        }
    }
}

#define FLOOD_PAUSE_MS   300 /* no room this long: the server paused reading */
#define FLOOD_STOPPED_MS 1000 /* no room this long: the server stopped reading */

size_t client_flood_until_stopped(struct client *c, const char *line, size_t max_bytes)
{
    size_t sent = 0, before;
    do {
        before = sent;
        int wait_ms = sent == 0 ? FLOOD_PAUSE_MS : FLOOD_STOPPED_MS;
        bool blocked = client_flood(c, line, &sent, max_bytes, wait_ms);
        require(blocked, "the server read all %zu bytes from a client that never reads", sent);
    } while (sent > before);
    return sent;
}
