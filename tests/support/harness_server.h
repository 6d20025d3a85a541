/* Server processes under test: starting and stopping them (harness_server.c),
 * what a test can learn about one from outside (harness_server_probe.c), and
 * starting one with a library preloaded, e.g. to hold one of its locks
 * (harness_preload.c). */
#ifndef TESTS_HARNESS_SERVER_H
#define TESTS_HARNESS_SERVER_H

#include <stddef.h>
#include <sys/types.h>

#include "harness_common.h"

struct server {
    const char *name; /* binary name in BIN_DIR, e.g. "step03_parse" */
    pid_t pid; /* 0 once reaped */
    int port; /* from the listening line */
    int stdout_fd; /* read end of the server's stdout */
    int status; /* wait status once reaped (see server_stop) */
    char log_path[64]; /* the server's stderr */
    char out_buf[512]; /* stdout bytes read but not yet returned as lines */
    size_t out_len;
};

/*** starting and stopping ***/

/* Starts BIN_DIR/name with "--port 0" followed by the extra arguments (a
 * NULL-terminated list), and waits for its listening line. Fails the test if
 * the line does not come within HARNESS_START_TIMEOUT_MS or the server dies. */
void server_start(struct server *srv, const char *name, ...) __attribute__((sentinel));
/* The same with the extra arguments as a NULL-terminated array (may be NULL). */
void server_startv(struct server *srv, const char *name, const char *const *args);

/* Fails the test, showing the server's log, if the server has exited. */
void server_assert_alive(struct server *srv);

/* Checks the server is still alive (a server that died on its own fails the
 * test) and wrote nothing to stdout after its listening line, then SIGTERM,
 * waits up to HARNESS_STOP_TIMEOUT_MS, then SIGKILL; then server_cleanup().
 * Returns the wait status (stages 01-09 die of SIGTERM). */
int server_stop(struct server *srv);

/* Lower-level control, e.g. for graceful shutdown tests. */
void server_signal(struct server *srv, int sig);
/* Waits up to timeout_ms for the server to exit; its wait status, or -1 on
 * timeout (the server is then still running). */
int server_wait(struct server *srv, int timeout_ms);
/* After server_wait() saw the server exit: fails the test if its log shows a
 * sanitizer report, then removes the log (server_stop() ends with this). */
void server_cleanup(struct server *srv);
/* Reads the server's next stdout line after the listening line (without '\n')
 * into buf; its length, -1 on timeout, -2 on EOF. */
int server_read_stdout_line(struct server *srv, char *buf, size_t cap, int timeout_ms);

/* Kills and reaps every server a test left running, showing its log (the
 * checked teardown of harness_tcase()). */
void harness_kill_servers(void);

/*** from outside ***/

/* Waits until the server's stderr log contains needle, or fails the test
 * after timeout_ms (showing the log). For stages whose only window on their
 * internals is a debug log line, e.g. "queue empty: 200 events processed". */
void server_wait_log(struct server *srv, const char *needle, int timeout_ms);

/* Counts the lines of the server's log so far that hold needle; stores in
 * *last (if not NULL) the number after needle on the last of them (0 if
 * none). */
size_t server_log_count(struct server *srv, const char *needle, long long *last);

/* Writes the server's stderr log to our stderr (at most its last 64 KiB). */
void server_dump_log(struct server *srv);

/* CPU time the server has used (user + system, from /proc/PID/stat), in ms. */
long server_cpu_ms(struct server *srv);

/* The server's resident set size from /proc/PID/status (VmRSS), in KiB. */
long server_rss_kib(struct server *srv);

/* Fails the test if the server's RSS grew by max_kib or more since
 * before_kib (a server_rss_kib() reading); returns the growth. Under
 * AddressSanitizer RSS includes its quarantine of freed memory (up to
 * 256 MiB by default), under ThreadSanitizer its shadow memory, so there
 * the growth is only reported. */
long server_check_rss_growth(struct server *srv, long before_kib, long max_kib);

/*** with a library preloaded ***/

/* server_startv() with library in LD_PRELOAD and env (NAME=VALUE strings,
 * NULL-terminated, may be NULL) added to the server's environment. The
 * libraries are built next to the harness: FAIL_EPOLL_ADD_LIB,
 * COUNT_ACCEPTS_LIB, HOLD_LOCK_LIB (see each one's source). */
void server_start_preloaded(struct server *srv, const char *name, const char *library,
                            const char *const *env, const char *const *args);

/* A lock inside a server, held by a thread of it (hold_lock.c) until the
 * test releases it. */
struct lock_hold {
    int release_fd; /* the test's end of the pipe the holder waits on */
};

/* Starts name (args as server_startv()) with hold_lock.c preloaded and
 * trigger in its environment, which says which lock is held:
 * "HOLD_AT_LOG_LINE=text" (a thread about to log a line holding text waits
 * first, with whatever locks it holds) or "HOLD_WRITE_LOCK=thread" (the
 * first read/write lock taken for writing by the thread named thread). */
void server_start_holding(struct server *srv, struct lock_hold *hold, const char *name,
                          const char *trigger, const char *const *args);
/* Waits until the server's thread holds the lock (its log says so). */
void lock_hold_wait(struct server *srv);
/* Lets the holding thread go on. */
void lock_hold_release(struct lock_hold *hold);

#ifndef HARNESS_IMPLEMENTATION
#define server_start(...)            HARNESS_AT(server_start(__VA_ARGS__))
#define server_startv(...)           HARNESS_AT(server_startv(__VA_ARGS__))
#define server_assert_alive(...)     HARNESS_AT(server_assert_alive(__VA_ARGS__))
#define server_stop(...)             HARNESS_AT(server_stop(__VA_ARGS__))
#define server_cleanup(...)          HARNESS_AT(server_cleanup(__VA_ARGS__))
#define server_signal(...)           HARNESS_AT(server_signal(__VA_ARGS__))
#define server_read_stdout_line(...) HARNESS_AT(server_read_stdout_line(__VA_ARGS__))
#define server_wait_log(...)         HARNESS_AT(server_wait_log(__VA_ARGS__))
#define server_log_count(...)        HARNESS_AT(server_log_count(__VA_ARGS__))
#define server_cpu_ms(...)           HARNESS_AT(server_cpu_ms(__VA_ARGS__))
#define server_rss_kib(...)          HARNESS_AT(server_rss_kib(__VA_ARGS__))
#define server_check_rss_growth(...) HARNESS_AT(server_check_rss_growth(__VA_ARGS__))
#define server_start_preloaded(...)  HARNESS_AT(server_start_preloaded(__VA_ARGS__))
#define server_start_holding(...)    HARNESS_AT(server_start_holding(__VA_ARGS__))
#define lock_hold_wait(...)          HARNESS_AT(lock_hold_wait(__VA_ARGS__))
#define lock_hold_release(...)       HARNESS_AT(lock_hold_release(__VA_ARGS__))
#endif

#endif
