/* Command-line options: one table shared by every stage. Each stage names the
 * options it uses; --help lists those, with their defaults. */
#ifndef COMMON_CLI_H
#define COMMON_CLI_H

#include <stddef.h>

#include "log.h"

enum option_id {
    OPT_HOST,
    OPT_PORT,
    OPT_MAX_LINE,
    OPT_MAX_CONNS,
    OPT_MAX_OUTBUF,
    OPT_LOG_LEVEL,
    OPT_WORK_US,
    OPT_QUEUE_CAP,
    OPT_WORKERS,
    OPT_DRAIN_TIMEOUT_MS,
    OPT_COUNT
};

#define OPT_BIT(id) (1u << (id))
/* The options every server has. */
#define OPTS_BASE                                                                                  \
    (OPT_BIT(OPT_HOST) | OPT_BIT(OPT_PORT) | OPT_BIT(OPT_MAX_LINE) | OPT_BIT(OPT_LOG_LEVEL))

struct options {
    const char *host;
    int port; /* 0: the kernel picks a free port */
    size_t max_line;
    size_t max_conns;
    size_t max_outbuf;
    enum log_level log_level;
    unsigned work_us;
    size_t queue_cap;
    unsigned workers;
    unsigned drain_timeout_ms;
};

struct stage_info {
    const char *name; /* "step03": also the start of the listening line */
    const char *summary; /* one line for --help */
    int default_port; /* 7000 + stage number */
    unsigned used_options; /* OPT_BIT()s */
};

/* Fills opts with defaults, then with argv. --help prints the usage and exits 0;
 * a bad option or value prints what is wrong and exits 2. Sets the log level. */
void options_parse(struct options *opts, const struct stage_info *stage, int argc, char **argv);

#endif
