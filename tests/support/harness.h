/* Test harness for the integration tests: start a server binary, talk to it
 * over TCP, stop it. Every wait is bounded and done with poll(); nothing
 * sleeps to synchronise.
 *
 * A failure fails the test through Check, naming the test's line that called
 * the helper (see "call sites" below), so these helpers belong in the test's
 * own thread. A server started here never outlives the test process:
 * it gets SIGKILL when the test process dies (PR_SET_PDEATHSIG), which is how
 * a failed or timed-out test ends in Check's fork mode. The log of each server
 * is named on stderr at start, and kept when its test fails. */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*** timeouts ***/

/* Generous enough for a sanitizer build on a busy machine. */
#define HARNESS_START_TIMEOUT_MS 10000 /* for the listening line */
#define HARNESS_STOP_TIMEOUT_MS  5000 /* from SIGTERM to exit, before SIGKILL */
#define HARNESS_REPLY_TIMEOUT_MS 5000 /* default wait for one reply line */
#define HARNESS_TEST_TIMEOUT_S   60 /* Check's per-test timeout in harness_tcase() */

/*** servers ***/

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

/* Waits until the server's stderr log contains needle, or fails the test
 * after timeout_ms (showing the log). For stages whose only window on their
 * internals is a debug log line, e.g. "queue empty: 200 events processed". */
void server_wait_log(struct server *srv, const char *needle, int timeout_ms);

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

/* Writes the server's stderr log to our stderr (at most its last 64 KiB). */
void server_dump_log(struct server *srv);

/* Kills and reaps every server a test left running, showing its log (the
 * checked teardown of harness_tcase()). */
void harness_kill_servers(void);

/*** clients ***/

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

/*** scenarios shared by stages ***/

/* A client that writes and never reads: the server must cap its unread
 * output and stop reading it. Floods line (ending in '\n') from one client
 * until its writes stay blocked (failing if 100 MiB go through), checks that
 * another client's probe gets probe_reply promptly meanwhile, that the
 * server's RSS grew by less than max_rss_growth_kib (as
 * server_check_rss_growth() checks it), and that once the flooder
 * reads, every line it sent is answered with reply. Returns the bytes the
 * flooder sent before it blocked. */
size_t scenario_slow_reader(struct server *srv, const char *line, const char *reply,
                            const char *probe, const char *probe_reply, long max_rss_growth_kib);

/* With the server started with --max-outbuf 1, so that it puts the rest of
 * a read aside after every reply: copies of line (ending in '\n') sent at
 * once are all answered with reply, in order, and nothing more. */
void scenario_tiny_output_cap(struct server *srv, const char *line, const char *reply);

/* For stages 03+: clients that send tiny invalid lines ("x", each answered
 * with a 43-byte error) and never read. The server must stop answering each
 * at --max-outbuf (default), not after a whole read's worth of replies
 * (about 1.4 MB). Floods from AMPLIFYING_CLIENTS connections until none of
 * them gets a byte through, checks that the server's RSS grew by less than
 * AMPLIFYING_MAX_GROWTH_KIB and that another client is still served. */
#define AMPLIFYING_CLIENTS        8
#define AMPLIFYING_MAX_GROWTH_KIB (4 * 1024)
void scenario_amplifying_slow_readers(struct server *srv);

/* The tests every event-loop stage shares, added to tc for the stage
 * `server`, whose replies are echoes (HARNESS_ECHO) or JSON (HARNESS_JSON):
 * scenario_tiny_output_cap() with a line it answers, for HARNESS_JSON also
 * scenario_amplifying_slow_readers(), a client the server cannot watch
 * (epoll_ctl fails for it): closed, and the next client served; and a storm
 * of waiting connections: accepted at most 64 per wake-up, every one served. */
enum harness_replies { HARNESS_ECHO, HARNESS_JSON };
void harness_add_shared_tests(TCase *tc, const char *server, enum harness_replies replies);

/* For the threaded stages: a test that their threads named thread_name
 * ("processor", "worker") run as SCHED_BATCH and the event loop does not. */
void harness_add_background_threads_test(TCase *tc, const char *server, const char *thread_name);

/* For the echo stages: on one connection, "complete\nunterminated" then a
 * half-close get "complete" back and then a clean close, no more. */
void scenario_unterminated_last_line(struct server *srv);

/*** call sites ***/

/* Failure messages name the test's line that called the harness. */
void harness_set_site(const char *file, int line);
#define HARNESS_AT(call) (harness_set_site(__FILE__, __LINE__), call)

#ifndef HARNESS_IMPLEMENTATION
#define server_start(...)             HARNESS_AT(server_start(__VA_ARGS__))
#define server_startv(...)            HARNESS_AT(server_startv(__VA_ARGS__))
#define server_assert_alive(...)      HARNESS_AT(server_assert_alive(__VA_ARGS__))
#define server_stop(...)              HARNESS_AT(server_stop(__VA_ARGS__))
#define server_cleanup(...)           HARNESS_AT(server_cleanup(__VA_ARGS__))
#define server_signal(...)            HARNESS_AT(server_signal(__VA_ARGS__))
#define server_read_stdout_line(...)  HARNESS_AT(server_read_stdout_line(__VA_ARGS__))
#define server_rss_kib(...)           HARNESS_AT(server_rss_kib(__VA_ARGS__))
#define server_wait_log(...)          HARNESS_AT(server_wait_log(__VA_ARGS__))
#define server_cpu_ms(...)            HARNESS_AT(server_cpu_ms(__VA_ARGS__))
#define server_check_rss_growth(...)  HARNESS_AT(server_check_rss_growth(__VA_ARGS__))
#define client_connect(...)           HARNESS_AT(client_connect(__VA_ARGS__))
#define client_connect_rcvbuf(...)    HARNESS_AT(client_connect_rcvbuf(__VA_ARGS__))
#define client_set_nonblocking(...)   HARNESS_AT(client_set_nonblocking(__VA_ARGS__))
#define client_shutdown_write(...)    HARNESS_AT(client_shutdown_write(__VA_ARGS__))
#define client_send_all(...)          HARNESS_AT(client_send_all(__VA_ARGS__))
#define client_send_str(...)          HARNESS_AT(client_send_str(__VA_ARGS__))
#define client_read_line(...)         HARNESS_AT(client_read_line(__VA_ARGS__))
#define client_expect_line(...)       HARNESS_AT(client_expect_line(__VA_ARGS__))
#define client_expect_reply(...)      HARNESS_AT(client_expect_reply(__VA_ARGS__))
#define client_expect_silence(...)    HARNESS_AT(client_expect_silence(__VA_ARGS__))
#define client_expect_eof(...)        HARNESS_AT(client_expect_eof(__VA_ARGS__))
#define client_flood(...)             HARNESS_AT(client_flood(__VA_ARGS__))
#define client_flood_finish(...)      HARNESS_AT(client_flood_finish(__VA_ARGS__))
#define scenario_slow_reader(...)     HARNESS_AT(scenario_slow_reader(__VA_ARGS__))
#define scenario_tiny_output_cap(...) HARNESS_AT(scenario_tiny_output_cap(__VA_ARGS__))
#define scenario_amplifying_slow_readers(...)                                                      \
    HARNESS_AT(scenario_amplifying_slow_readers(__VA_ARGS__))
#define scenario_unterminated_last_line(...)                                                       \
    HARNESS_AT(scenario_unterminated_last_line(__VA_ARGS__))
#endif

/*** suites ***/

/* A test case with HARNESS_TEST_TIMEOUT_S and harness_kill_servers() as a
 * checked teardown. */
TCase *harness_tcase(const char *name);
/* Runs the suite, prints the results; returns the process exit status. */
int harness_run(Suite *suite);

/*** scenarios: events, balances and metrics (stages 05-10) ***/

/* These run on a fresh server started with --log-level debug: they learn
 * that the workers have caught up from its debug line "queue empty: N events
 * processed". Failures name the test's line that called them. */

/* The first three counters of a metrics reply. */
struct metrics_reply {
    unsigned long long received, processed, dropped;
};

/* How the events a scenario sent were answered. */
struct event_tally {
    unsigned long accepted; /* {"status":"accepted"} */
    unsigned long busy; /* {"status":"rejected","reason":"server_busy"} */
};

/* Appends the event line (with '\n') that adds delta to user's balance (a
 * buy, or a sell of -delta) at buf + *len, advancing *len; fails if it does
 * not fit in cap. */
void event_append(char *buf, size_t cap, size_t *len, const char *user, long long delta);
/* Reads n replies to events, each accepted or server_busy, or fails. */
struct event_tally client_read_tally(struct client *c, size_t n);
/* Sends n events buying 1 for user in one write, then reads their replies
 * as client_read_tally() does. */
struct event_tally client_send_bulk(struct client *c, const char *user, size_t n);

/* Sends n events buying 1 for "bulk" in one write on c, to a server whose
 * queue of queue_cap they overflow: at least queue_cap are accepted, not all.
 * Waits until the accepted ones are processed; returns the replies' tally. */
struct event_tally scenario_overload(struct server *srv, struct client *c, size_t n,
                                     size_t queue_cap);

/* Stages 05 and 06 show applied events only in their debug log, one line
 * "balance of 'U' is now N" per event. */

/* Counts the lines of the server's log so far that hold needle; stores in
 * *last (if not NULL) the number after needle on the last of them (0 if
 * none). */
size_t server_log_count(struct server *srv, const char *needle, long long *last);
/* Events applied so far, as the log shows them. */
size_t server_logged_updates(struct server *srv);
/* The balance of user after the last update the log shows (0 if none). */
long long server_logged_balance(struct server *srv, const char *user);

/* Parses {"received":N,"processed":N,"dropped":N followed by more keys or
 * by the closing brace; false if line is not such a reply. */
bool metrics_parse(const char *line, struct metrics_reply *m);
/* Sends {"type":"metrics"} and returns the reply's counters, or fails. */
struct metrics_reply client_metrics(struct client *c);
/* Waits until the server's debug log says processed events are done. */
void server_wait_processed(struct server *srv, unsigned long processed);
/* Once the workers are done: received = accepted + busy, processed =
 * accepted, dropped = busy, or the test fails. */
void server_expect_metrics_at_rest(struct server *srv, struct event_tally t);

/* Balance queries: unknown users are 0; invalid users are invalid_event;
 * users are echoed JSON-escaped; after some events (sent as escapes or as
 * raw UTF-8), each user's balance is the sum of its events. Returns how the
 * events were answered (all accepted). */
struct event_tally scenario_balance_queries(struct server *srv);
/* 8 connections send events on a few users at once, each in one write, and
 * read every reply; once the workers are done, each user's balance is the
 * sum of its accepted events. Returns how the events were answered. */
struct event_tally scenario_exact_balances(struct server *srv);
/* scenario_exact_balances() on a fresh server name (left running in srv)
 * with 4 workers and room for every event, which are then all accepted. */
struct event_tally scenario_exact_balances_roomy(struct server *srv, const char *name);
/* The same with a queue of 4 and 2 ms of work per event, which then has
 * some events accepted and some rejected. */
struct event_tally scenario_exact_balances_overloaded(struct server *srv, const char *name);
/* Metrics queried while 8 connections keep events in flight: every reply
 * well-formed, received >= processed + dropped, no counter going back, none
 * behind the replies already seen; at rest as server_expect_metrics_at_rest(). */
struct event_tally scenario_metrics_under_load(struct server *srv);
/* Stages 09-10 (--log-level debug): events one at a time after idle pauses
 * are each processed with no further traffic: no wake-up of a worker is
 * lost. Returns how many events were accepted. */
unsigned scenario_wakeups_after_idle(struct server *srv);

#ifndef HARNESS_IMPLEMENTATION
#define event_append(...)                  HARNESS_AT(event_append(__VA_ARGS__))
#define client_read_tally(...)             HARNESS_AT(client_read_tally(__VA_ARGS__))
#define client_send_bulk(...)              HARNESS_AT(client_send_bulk(__VA_ARGS__))
#define server_log_count(...)              HARNESS_AT(server_log_count(__VA_ARGS__))
#define server_logged_updates(...)         HARNESS_AT(server_logged_updates(__VA_ARGS__))
#define server_logged_balance(...)         HARNESS_AT(server_logged_balance(__VA_ARGS__))
#define client_metrics(...)                HARNESS_AT(client_metrics(__VA_ARGS__))
#define server_wait_processed(...)         HARNESS_AT(server_wait_processed(__VA_ARGS__))
#define server_expect_metrics_at_rest(...) HARNESS_AT(server_expect_metrics_at_rest(__VA_ARGS__))
#define scenario_balance_queries(...)      HARNESS_AT(scenario_balance_queries(__VA_ARGS__))
#define scenario_exact_balances(...)       HARNESS_AT(scenario_exact_balances(__VA_ARGS__))
#define scenario_exact_balances_roomy(...) HARNESS_AT(scenario_exact_balances_roomy(__VA_ARGS__))
#define scenario_exact_balances_overloaded(...)                                                    \
    HARNESS_AT(scenario_exact_balances_overloaded(__VA_ARGS__))
#define scenario_overload(...)           HARNESS_AT(scenario_overload(__VA_ARGS__))
#define scenario_metrics_under_load(...) HARNESS_AT(scenario_metrics_under_load(__VA_ARGS__))
#define scenario_wakeups_after_idle(...) HARNESS_AT(scenario_wakeups_after_idle(__VA_ARGS__))
#endif

#endif
