#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_USAGE 2

struct option_spec {
    const char *name;
    const char *arg;
    const char *help;
    unsigned long long min, max; /* for numeric options */
};

static const struct option_spec specs[OPT_COUNT] = {
    [OPT_HOST] = {"host", "ADDR", "address to listen on", 0, 0},
    [OPT_PORT] = {"port", "N", "port to listen on; 0 picks a free one", 0, 65535},
    [OPT_MAX_LINE] = {"max-line", "BYTES", "longest request line, '\\r' included", 1, 1u << 24},
    [OPT_MAX_CONNS] = {"max-conns", "N", "most connections served at once", 1, 1000000},
    [OPT_MAX_OUTBUF] = {"max-outbuf", "BYTES",
                        "unread output per client before the server stops reading it", 1, 1u << 30},
    [OPT_LOG_LEVEL] = {"log-level", "LEVEL", "debug, info, warn or error", 0, 0},
    [OPT_WORK_US] = {"work-us", "N", "simulated CPU work per event, in microseconds", 0, 10000000},
    [OPT_QUEUE_CAP] = {"queue-cap", "N", "events the queue holds before rejecting", 1, 1u << 24},
    [OPT_WORKERS] = {"workers", "N", "worker threads", 1, 1024},
    [OPT_DRAIN_TIMEOUT_MS] = {"drain-timeout-ms", "MS", "longest graceful drain on shutdown", 0,
                              3600000},
};

static void set_defaults(struct options *o, const struct stage_info *stage)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    *o = (struct options){
        .host = "127.0.0.1",
        .port = stage->default_port,
        .max_line = 4096,
        .max_conns = 10000,
        .max_outbuf = 64 * 1024,
        .log_level = LOG_INFO,
        .work_us = 0,
        .queue_cap = 1024,
        .workers = cpus > 0 ? (unsigned)cpus : 1,
        .drain_timeout_ms = 5000,
    };
}

static void default_text(const struct options *o, enum option_id id, char *buf, size_t len)
{
    switch (id) {
    case OPT_HOST: snprintf(buf, len, "%s", o->host); break;
    case OPT_PORT: snprintf(buf, len, "%d", o->port); break;
    case OPT_MAX_LINE: snprintf(buf, len, "%zu", o->max_line); break;
    case OPT_MAX_CONNS: snprintf(buf, len, "%zu", o->max_conns); break;
    case OPT_MAX_OUTBUF: snprintf(buf, len, "%zu", o->max_outbuf); break;
    case OPT_LOG_LEVEL: snprintf(buf, len, "%s", log_level_name(o->log_level)); break;
    case OPT_WORK_US: snprintf(buf, len, "%u", o->work_us); break;
    case OPT_QUEUE_CAP: snprintf(buf, len, "%zu", o->queue_cap); break;
    case OPT_WORKERS: snprintf(buf, len, "%u (online CPUs)", o->workers); break;
    case OPT_DRAIN_TIMEOUT_MS: snprintf(buf, len, "%u", o->drain_timeout_ms); break;
    case OPT_COUNT: buf[0] = '\0'; break;
    }
}

static void print_usage(FILE *out, const char *prog, const struct stage_info *stage)
{
    struct options defaults;
    set_defaults(&defaults, stage);
    fprintf(out, "Usage: %s [OPTION]...\n%s\n\nOptions:\n", prog, stage->summary);
    for (int id = 0; id < OPT_COUNT; id++) {
        if (!(stage->used_options & OPT_BIT(id)))
            continue;
        char flag[64], def[64];
        snprintf(flag, sizeof flag, "--%s %s", specs[id].name, specs[id].arg);
        default_text(&defaults, (enum option_id)id, def, sizeof def);
        fprintf(out, "  %-24s %s (default: %s)\n", flag, specs[id].help, def);
    }
    fprintf(out, "  %-24s %s\n", "--help", "show this help and exit");
}

static _Noreturn void usage_error(const char *prog, const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "%s: ", prog);
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\nTry '%s --help' for more information.\n", prog);
    exit(EXIT_USAGE);
}

/* A whole decimal number within the option's range, or a usage error. */
static unsigned long long parse_number(const char *prog, enum option_id id, const char *text)
{
    const struct option_spec *s = &specs[id];
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno == ERANGE || v < s->min ||
        v > s->max) {
        char range[64];
        snprintf(range, sizeof range, "%llu to %llu", s->min, s->max);
        char what[128];
        snprintf(what, sizeof what, "--%s '%s'", s->name, text);
        usage_error(prog, "invalid value for %s: expected a whole number from %s", what, range);
    }
    return v;
}

void options_parse(struct options *o, const struct stage_info *stage, int argc, char **argv)
{
    const char *prog = argc > 0 ? argv[0] : stage->name;
    const char *slash = strrchr(prog, '/');
    if (slash)
        prog = slash + 1;
    set_defaults(o, stage);

    struct option longopts[OPT_COUNT + 2];
    int n = 0;
    for (int id = 0; id < OPT_COUNT; id++) {
        if (stage->used_options & OPT_BIT(id))
            longopts[n++] = (struct option){specs[id].name, required_argument, NULL, id};
    }
    longopts[n++] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[n] = (struct option){0};

    opterr = 0;
    optind = 1;
    for (;;) {
        int prev = optind;
        int id = getopt_long(argc, argv, ":h", longopts, NULL);
        if (id == -1)
            break;
        const char *arg = optarg;
        switch (id) {
        case 'h': print_usage(stdout, prog, stage); exit(0);
        case ':': usage_error(prog, "option '%s' needs a value%s", argv[prev], "");
        case '?': usage_error(prog, "unknown option '%s'%s", argv[prev], "");
        case OPT_HOST: o->host = arg; break;
        case OPT_PORT: o->port = (int)parse_number(prog, id, arg); break;
        case OPT_MAX_LINE: o->max_line = parse_number(prog, id, arg); break;
        case OPT_MAX_CONNS: o->max_conns = parse_number(prog, id, arg); break;
        case OPT_MAX_OUTBUF: o->max_outbuf = parse_number(prog, id, arg); break;
        case OPT_LOG_LEVEL:
            if (!log_level_from_name(arg, &o->log_level))
                usage_error(prog, "invalid value for --log-level '%s'%s", arg,
                            ": expected debug, info, warn or error");
            break;
        case OPT_WORK_US: o->work_us = (unsigned)parse_number(prog, id, arg); break;
        case OPT_QUEUE_CAP: o->queue_cap = parse_number(prog, id, arg); break;
        case OPT_WORKERS: o->workers = (unsigned)parse_number(prog, id, arg); break;
        case OPT_DRAIN_TIMEOUT_MS:
            o->drain_timeout_ms = (unsigned)parse_number(prog, id, arg);
            break;
        }
    }
    if (optind < argc)
        usage_error(prog, "unexpected argument '%s'%s", argv[optind], "");
    log_set_level(o->log_level);
}
