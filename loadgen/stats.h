/* What one thread measured; the threads' stats are merged at the end. */
#ifndef LOADGEN_STATS_H
#define LOADGEN_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "histogram.h"
#include "replies.h"

#define SAMPLES_MAX     5 /* protocol and verification errors shown */
#define SAMPLE_TEXT_MAX 120 /* bytes of a request or reply kept in a sample */

struct sample {
    const char *what; /* a constant string */
    char request[SAMPLE_TEXT_MAX + 1];
    char reply[SAMPLE_TEXT_MAX + 1];
};

struct lg_stats {
    /* The measured requests: those (intended to be) sent inside the window. */
    struct histogram latency; /* ns, from (intended) send to reply */
    uint64_t counts[REPLY_COUNT]; /* their replies by kind */
    uint64_t measured_sent; /* sent inside the window */
    uint64_t window_replies; /* replies that arrived inside the window */
    uint64_t window_start_ns, window_end_ns;
    /* The whole run, warm-up and final wait included. */
    uint64_t total_counts[REPLY_COUNT];
    uint64_t sent, replies;
    uint64_t bytes_sent, bytes_received;
    uint64_t reads, writes, wakeups; /* system calls: recv, send, epoll_pwait2 */
    /* Open loop: sends the schedule asked for inside the window, and those
     * that were due but never sent because the pipeline stayed full. */
    uint64_t scheduled;
    uint64_t backlog_at_end;
    uint64_t unsent_closed; /* due on connections that had closed */
    /* Open loop: how late each measured request was written, against its
     * intended time (waiting for a full pipeline, or for loadgen itself). */
    struct histogram send_lag;
    /* Errors. */
    uint64_t protocol_errors;
    uint64_t verify_errors;
    uint64_t unanswered; /* requests out when their connection closed or the run ended */
    uint64_t sent_refused; /* requests out on a connection the server refused: never read */
    struct sample samples[SAMPLES_MAX];
    unsigned n_samples;
    /* Connections. */
    uint64_t conns_opened;
    uint64_t connect_failed;
    uint64_t refused; /* too_many_connections */
    uint64_t resets; /* ECONNRESET, EPIPE, ... */
    uint64_t closed_by_server; /* EOF while requests were out or still to send */
    uint64_t timed_out; /* no reply for --timeout */
    uint64_t conns_served; /* connections (reopened ones too) that got a real reply */
    uint64_t reopened; /* connections made again during the run */
    uint64_t reopen_failed; /* attempts to make one again that failed */
    uint64_t gave_up; /* connections that stopped trying (too many attempts in a row) */
    int first_connect_errno;
};

void stats_init(struct lg_stats *s);
void stats_merge(struct lg_stats *dst, const struct lg_stats *src);
void stats_add_sample(struct lg_stats *s, const char *what, const char *request, size_t req_len,
                      const char *reply, size_t reply_len);

#endif
