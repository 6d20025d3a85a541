/* What the harness's own files share and the tests do not see: failing the
 * test that called, describing bytes in a message, and bounded waits. */
#ifndef TESTS_HARNESS_INTERNAL_H
#define TESTS_HARNESS_INTERNAL_H

#define HARNESS_IMPLEMENTATION /* the harness's functions, not their call-site wrappers */
#include "harness.h"

#include <stddef.h>

/*** failures (harness_fail.c) ***/

/* Fails the test, naming the test's line that called the harness. */
void fail_test(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define require(cond, ...)                                                                         \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fail_test(__VA_ARGS__);                                                                \
    } while (0)

/* s[0 .. n) for a message: quoted, control bytes escaped, at most ~200 bytes. */
const char *quoted(const char *s, size_t n, char *buf, size_t cap);

/* What client_read_line() returned, for a message: "EOF", "a line"... */
const char *result_name(int r);

/* Writes the file at path (at most its last 64 KiB) to stderr, headed by name. */
void dump_file(const char *name, const char *path);

/*** bounded waits (harness_wait.c) ***/

long long now_ms(void);
/* Milliseconds left until deadline, for poll(): never negative. */
int ms_left(long long deadline);
/* poll() on one fd until deadline, retrying on EINTR. Returns revents, 0 on
 * timeout. */
short poll_one(int fd, short events, long long deadline);

/*** the shared tests (harness_shared_lines.c) ***/

/* A line (without '\n') and the reply it gets. */
struct answered_line {
    const char *request, *reply;
};

/* Two lines every stage that answers this way answers, and their replies:
 * different, so that their order shows. */
const struct answered_line *stage_probes(enum harness_replies replies);

/*** servers (harness_server.c) ***/

/* server_startv() with env (NAME=VALUE strings, NULL-terminated, may be
 * NULL) added to the server's environment. */
void server_start_env(struct server *srv, const char *name, const char *const *env,
                      const char *const *args);

#endif
