/* The results of a run as one list of figures: every figure loadgen reports,
 * once, under the name it has in the JSON ("connections.refused"). The
 * human summary and the JSON (report.c) are two printers of this list. */
#ifndef LOADGEN_FIGURES_H
#define LOADGEN_FIGURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

enum figure_kind {
    FIG_COUNT, /* uint64_t */
    FIG_INTEGER, /* int64_t */
    FIG_NUMBER, /* double */
    FIG_RATE, /* double, per second */
    FIG_NS, /* double, a time in nanoseconds (microseconds in the JSON) */
    FIG_TEXT,
    FIG_FLAG,
    FIG_NULL, /* not there: null in the JSON */
    FIG_TEXTS, /* a list of strings: the command line */
    FIG_BUCKETS, /* a histogram's non-empty buckets */
    FIG_SAMPLES, /* the first errors, with their requests and replies */
};

struct figure {
    const char *section; /* the JSON objects it is in, dotted ("verify.end"); "" at the top */
    const char *name;
    enum figure_kind kind;
    union {
        uint64_t count;
        int64_t integer;
        double number; /* FIG_NUMBER, FIG_RATE, FIG_NS */
        const char *text;
        bool flag;
        struct {
            char *const *items;
            int n;
        } texts;
        const struct histogram *hist;
        const struct lg_stats *samples;
    } v;
};

#define FIGURES_MAX 256 /* about 160 in the largest report */

struct figures {
    struct figure items[FIGURES_MAX]; /* in JSON order: a section's figures are together */
    size_t n;
    const char *section; /* where figures_collect adds */
    char cpu_model[256]; /* texts the figures point to */
    char mix_text[128];
    char connect_error[128];
};

/* Lists every figure of r, which must outlive f. */
void figures_collect(struct figures *f, const struct lg_result *r);

/* The figure at key ("connections.refused", "window_s"). A key that is not
 * there, or of another kind, is a bug: they abort. */
const struct figure *figure_find(const struct figures *f, const char *key);
uint64_t figure_count(const struct figures *f, const char *key);
double figure_number(const struct figures *f, const char *key); /* FIG_NUMBER, FIG_RATE */
const char *figure_text(const struct figures *f, const char *key); /* NULL for FIG_NULL */
bool figure_flag(const struct figures *f, const char *key);
/* False if it is FIG_NULL; true if it is a figure or a section of them. */
bool figure_present(const struct figures *f, const char *key);

#endif
