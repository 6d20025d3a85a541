/* Scenarios on the connections of a server, shared by the stages' tests:
 * clients that never read, and the smallest output cap. */
#include "harness_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOW_READER_MAX_BYTES ((size_t)100 << 20)
#define SLOW_READER_DRAIN_MS  30000 /* to read back everything sent */

size_t scenario_slow_reader(struct server *srv, const char *line, const char *reply,
                            const char *probe, const char *probe_reply, long max_rss_growth_kib)
{
    static struct client other, flooder;
    client_connect(&other, srv->port);
    client_connect(&flooder, srv->port);
    client_expect_reply(&other, probe, probe_reply);
    long rss_before = server_rss_kib(srv);

    size_t sent = client_flood_until_stopped(&flooder, line, SLOW_READER_MAX_BYTES);

    /* Others are served while the flooder is stuck, and memory stays bounded. */
    client_expect_reply(&other, probe, probe_reply);
    long growth = server_check_rss_growth(srv, rss_before, max_rss_growth_kib);
    fprintf(stderr,
            "harness: %s: a client that never reads sent %zu bytes before its writes "
            "blocked; server RSS grew by %ld KiB\n",
            srv->name, sent, growth);

    /* Once it reads, everything it sent is answered, and the server goes on. */
    client_flood_finish(&flooder, line, sent, reply, SLOW_READER_DRAIN_MS);
    client_expect_reply(&other, probe, probe_reply);
    client_close(&flooder);
    client_expect_reply(&other, probe, probe_reply);
    client_close(&other);
    return sent;
}

#define TINY_CAP_LINES      5000
#define TINY_CAP_SILENCE_MS 200 /* and then no extra reply */

void scenario_tiny_output_cap(struct server *srv, const char *line, const char *reply)
{
    static struct client c;
    size_t line_len = strlen(line);
    char *lines = malloc(TINY_CAP_LINES * line_len);
    require(lines != NULL, "out of memory");
    for (size_t i = 0; i < TINY_CAP_LINES; i++)
        memcpy(lines + i * line_len, line, line_len);
    client_connect(&c, srv->port);
    client_send_all(&c, lines, TINY_CAP_LINES * line_len);
    free(lines);
    for (int i = 0; i < TINY_CAP_LINES; i++)
        client_expect_line(&c, reply, HARNESS_REPLY_TIMEOUT_MS);
    client_expect_silence(&c, TINY_CAP_SILENCE_MS);
    client_close(&c);
}

#define AMPLIFYING_LINE       "x\n"
#define AMPLIFYING_BLOCKED_MS 200 /* per client and round; a round with no progress ends it */

void scenario_amplifying_slow_readers(struct server *srv)
{
    static struct client other, flooders[AMPLIFYING_CLIENTS];
    client_connect(&other, srv->port);
    client_expect_reply(&other, REQUEST_UNKNOWN_TYPE, REPLY_UNKNOWN_TYPE);
    long rss_before = server_rss_kib(srv);

    /* Round after round, each flooder sends until it is blocked for a moment,
     * until a whole round gets no byte through. */
    size_t sent[AMPLIFYING_CLIENTS] = {0}, total = 0;
    for (int i = 0; i < AMPLIFYING_CLIENTS; i++)
        client_connect(&flooders[i], srv->port);
    for (bool progress = true; progress;) {
        progress = false;
        for (int i = 0; i < AMPLIFYING_CLIENTS; i++) {
            size_t before = sent[i];
            client_flood(&flooders[i], AMPLIFYING_LINE, &sent[i], SLOW_READER_MAX_BYTES,
                         AMPLIFYING_BLOCKED_MS);
            require(sent[i] < SLOW_READER_MAX_BYTES,
                    "%s read all %zu bytes from a client that never reads", srv->name, sent[i]);
            progress |= sent[i] > before;
            total += sent[i] - before;
        }
    }
    client_expect_reply(&other, REQUEST_UNKNOWN_TYPE, REPLY_UNKNOWN_TYPE);
    long growth = server_check_rss_growth(srv, rss_before, AMPLIFYING_MAX_GROWTH_KIB);
    fprintf(stderr,
            "harness: %s: %d clients that never read sent %zu bytes of tiny lines before "
            "their writes blocked; server RSS grew by %ld KiB\n",
            srv->name, AMPLIFYING_CLIENTS, total, growth);
    for (int i = 0; i < AMPLIFYING_CLIENTS; i++)
        client_close(&flooders[i]);
    client_expect_reply(&other, REQUEST_UNKNOWN_TYPE, REPLY_UNKNOWN_TYPE);
    client_close(&other);
}
