/* TCP clients of a server under test (harness_client.c), and flooding a
 * server from one that does not read (harness_flood.c). */
#ifndef TESTS_HARNESS_CLIENT_H
#define TESTS_HARNESS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "harness_common.h"

#define CLIENT_BUF_SIZE (64 * 1024)

/* Results of client_read_line() other than a length. */
#define CLIENT_TIMEOUT (-1) /* no complete line within the timeout */
#define CLIENT_EOF     (-2) /* the server closed (any unterminated bytes are dropped) */
#define CLIENT_RESET   (-3) /* the connection failed (e.g. ECONNRESET) */

/* One TCP connection to a server, with a buffer for reading lines. */
struct client {
    int fd;
    size_t start, end; /* unread bytes are buf[start .. end) */
    char buf[CLIENT_BUF_SIZE];
};

/* Connects to 127.0.0.1:port (blocking socket, TCP_NODELAY) within
 * HARNESS_REPLY_TIMEOUT_MS, or fails the test. Returns c->fd. */
int client_connect(struct client *c, int port);
/* The same with a receive buffer of rcvbuf bytes (0: the system's). */
int client_connect_rcvbuf(struct client *c, int port, int rcvbuf);
void client_close(struct client *c);
/* Makes the socket non-blocking (the send helpers still wait for room). */
void client_set_nonblocking(struct client *c);
/* shutdown(SHUT_WR): the server sees EOF; replies can still be read. */
void client_shutdown_write(struct client *c);

/* Sends all len bytes (waiting, bounded, for room) or fails the test. */
void client_send_all(struct client *c, const void *data, size_t len);
void client_send_str(struct client *c, const char *s);

/* Reads the next line into buf without its '\n', NUL-terminated. Returns its
 * length, or CLIENT_TIMEOUT, CLIENT_EOF, CLIENT_RESET. A line that does not
 * fit in buf (cap - 1 bytes) fails the test. */
int client_read_line(struct client *c, char *buf, size_t cap, int timeout_ms);

/* Fails the test unless the next line is exactly expected. */
void client_expect_line(struct client *c, const char *expected, int timeout_ms);
/* Sends request plus '\n', then expects exactly the reply line expected. */
void client_expect_reply(struct client *c, const char *request, const char *expected);
/* Fails the test if any byte (or EOF) arrives within ms. */
void client_expect_silence(struct client *c, int ms);
/* Fails the test unless the server closes cleanly (FIN, no reset) within
 * timeout_ms with no further bytes. */
void client_expect_eof(struct client *c, int timeout_ms);

/*** flooding ***/

/* Writes line (which ends in '\n') over and over without reading replies,
 * until writes stay blocked for blocked_ms (returns true) or *sent reaches
 * max_bytes (returns false). *sent counts the bytes of the stream sent so far,
 * possibly ending inside a line: start at 0, and call again with the same
 * *sent to continue the stream. The socket is left non-blocking. */
bool client_flood(struct client *c, const char *line, size_t *sent, size_t max_bytes,
                  int blocked_ms);
/* After client_flood(): sends the rest of the last, partial line while reading
 * the replies, and expects one reply equal to reply per line sent, all within
 * timeout_ms. */
void client_flood_finish(struct client *c, const char *line, size_t sent, const char *reply,
                         int timeout_ms);

/* Floods line from c until a whole second passes without a byte going
 * through (a busy server only pauses its reading, a capped one stops), or
 * fails once max_bytes have. Returns the bytes sent; the last line may be
 * partial, as client_flood_finish() expects. */
size_t client_flood_until_stopped(struct client *c, const char *line, size_t max_bytes);

#ifndef HARNESS_IMPLEMENTATION
#define client_connect(...)             HARNESS_AT(client_connect(__VA_ARGS__))
#define client_connect_rcvbuf(...)      HARNESS_AT(client_connect_rcvbuf(__VA_ARGS__))
#define client_set_nonblocking(...)     HARNESS_AT(client_set_nonblocking(__VA_ARGS__))
#define client_shutdown_write(...)      HARNESS_AT(client_shutdown_write(__VA_ARGS__))
#define client_send_all(...)            HARNESS_AT(client_send_all(__VA_ARGS__))
#define client_send_str(...)            HARNESS_AT(client_send_str(__VA_ARGS__))
#define client_read_line(...)           HARNESS_AT(client_read_line(__VA_ARGS__))
#define client_expect_line(...)         HARNESS_AT(client_expect_line(__VA_ARGS__))
#define client_expect_reply(...)        HARNESS_AT(client_expect_reply(__VA_ARGS__))
#define client_expect_silence(...)      HARNESS_AT(client_expect_silence(__VA_ARGS__))
#define client_expect_eof(...)          HARNESS_AT(client_expect_eof(__VA_ARGS__))
#define client_flood(...)               HARNESS_AT(client_flood(__VA_ARGS__))
#define client_flood_finish(...)        HARNESS_AT(client_flood_finish(__VA_ARGS__))
#define client_flood_until_stopped(...) HARNESS_AT(client_flood_until_stopped(__VA_ARGS__))
#endif

#endif
