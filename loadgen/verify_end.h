/* --verify, the checks made at the end of a run, on the server's state:
 *
 *   inline    (04)  one more event per user (a buy of 1) on a fresh
 *                   connection: its reply's balance must be the sum of the
 *                   user's events plus 1. Stage 04 applies every event
 *                   before answering it, so this is exact.
 *   balances  (07+) once the server is at rest, one balance query per user
 *                   must equal the sum of the user's accepted events. At
 *                   rest: for 09+, when its metrics say so; for 07-08, when
 *                   the balances stop changing (or match).
 *   metrics   (09+) a metrics snapshot before the run and one after, both
 *                   at rest (queued 0, received = processed + dropped): the
 *                   growth of received is the events loadgen saw accepted
 *                   or dropped, of dropped those it saw dropped, and
 *                   processed grew by received - dropped.
 *
 * Only the users loadgen sent events to are checked, and those with an
 * event lost in flight (its connection closed before the reply) are
 * skipped: whether it was applied is unknown. The checks assume that
 * loadgen is the server's only client during the run, and that its user
 * names are new to the server (see --user-prefix). All waits end within
 * --timeout. */
#ifndef LOADGEN_VERIFY_END_H
#define LOADGEN_VERIFY_END_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

struct lg_metrics {
    uint64_t received, processed, dropped;
    int64_t queued; /* -1 if the server does not say */
};

struct verify_end {
    bool ran; /* the end checks were attempted */
    bool passed;
    char failure[192]; /* why they could not be made, or "" */
    uint64_t users_checked; /* users whose final balance was compared */
    uint64_t users_wrong; /* ... and was not the sum of their events */
    uint64_t users_unsure; /* users with an event lost in flight: not checked */
    uint64_t probes; /* inline: events sent to read the balances */
    unsigned sweeps; /* rounds of balance queries until they matched or settled */
    double wait_s; /* time the end checks took */
    bool metrics; /* metrics were compared */
    unsigned metrics_wrong; /* counters that did not grow as they should */
    struct lg_metrics before, after;
    uint64_t seen_received; /* events loadgen saw accepted or dropped */
    uint64_t seen_dropped; /* events loadgen saw dropped (server_busy, shutting_down) */
    uint64_t lost; /* requests without a reply: the metrics may count up to this many more */
};

/* Before the load: the metrics snapshot, in metrics mode (else nothing). */
void verify_end_before(struct verify_end *v, const struct lg_run *run);

/* After the load, in a mode that checks the state: every check above. Each
 * mismatch is a verification error in run->stats (the first few as samples). */
void verify_end_after(struct verify_end *v, struct lg_run *run);

#endif
