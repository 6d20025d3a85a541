/* The results: a short human summary on stdout, and every figure as JSON. */
#ifndef LOADGEN_REPORT_H
#define LOADGEN_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "options.h"
#include "stats.h"
#include "verify_end.h"

struct lg_result {
    const struct lg_options *opts;
    const struct lg_stats *stats;
    double window_s; /* the measured window */
    double throughput; /* replies per second in it */
    double connect_s; /* time to open the connections */
    uint64_t sink_lines; /* --self-test: lines the sink answered */
    int sink_port;
    const struct verify_end *vend; /* the checks at the end; may be NULL */
    bool verify_passed;
    int exit_code;
    const char *exit_reason; /* NULL when 0 */
};

/* Works out the window and throughput from the stats. */
void result_compute(struct lg_result *r);

void report_human(FILE *out, const struct lg_result *r);
/* False (with a message) if the file cannot be written. */
bool report_json(const char *path, const struct lg_result *r);

/* "850ns", "12.3us", "1.85ms", "2.04s". */
void lg_format_ns(char *buf, size_t len, uint64_t ns);

#endif
