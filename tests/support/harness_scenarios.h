/* Scenarios on the connections of a server, shared by the stages' tests
 * (harness_scenarios.c). */
#ifndef TESTS_HARNESS_SCENARIOS_H
#define TESTS_HARNESS_SCENARIOS_H

#include <stddef.h>

#include "harness_common.h"
#include "harness_server.h"

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

#ifndef HARNESS_IMPLEMENTATION
#define scenario_slow_reader(...)     HARNESS_AT(scenario_slow_reader(__VA_ARGS__))
#define scenario_tiny_output_cap(...) HARNESS_AT(scenario_tiny_output_cap(__VA_ARGS__))
#define scenario_amplifying_slow_readers(...)                                                      \
    HARNESS_AT(scenario_amplifying_slow_readers(__VA_ARGS__))
#endif

#endif
