#include "bm_options.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_head[] =
    "Usage: bench_maps [options]\n"
    "\n"
    "Drives the stages' maps of users' balances directly, in one process, with no\n"
    "network: T threads each read balances and apply deltas to them as fast as they\n"
    "can, for a fixed time; every (design, read share, threads) point is measured\n"
    "--rounds times. After every run, each user's balance must equal the sum of the\n"
    "deltas applied to it; a design that lost an update fails the run.\n"
    "\n"
    "Designs:\n";

static const char usage_options[] =
    "\n"
    "Options:\n"
    "  --designs LIST        designs to measure, comma-separated (default: all)\n"
    "  --threads LIST        thread counts, 1 to 256 (default 1,2,4,8)\n"
    "  --reads LIST          reads in percent of operations, 0 to 100 (default 50,90)\n"
    "  --users N             distinct users, 1 to 1000000 (default 1000); all of them\n"
    "                        are in the map before a run starts\n"
    "  --dist D              how users are chosen: uniform, zipf (zipf:1) or zipf:S\n"
    "                        with 0 < S <= 10 (default uniform)\n"
    "  --seconds S           time measured per point and round, 0.001 to 60\n"
    "                        (default 1)\n"
    "  --rounds R            rounds, 1 to 100 (default 3): the report gives the\n"
    "                        median, min and max of operations/s over them\n"
    "  --hold-us N           a writer's work on the balance it updates, in\n"
    "                        microseconds of CPU, 0 to 1000000 (default 0); what\n"
    "                        each design does with it is said under Designs\n"
    "  --seed N              random seed (default 1): the same seed gives every\n"
    "                        design the same operations\n"
    "  --format table|json   what goes to stdout (default table)\n"
    "  --json FILE           write the JSON report to FILE as well\n"
    "  --help                this text\n"
    "\n"
    "A thread times --users may not be more than 33554432 (the self-check keeps a sum\n"
    "per thread and user).\n"
    "\n"
    "Exit: 0 ok, 1 a design failed its self-check, 2 bad options, 3 could not run\n"
    "(memory, threads) or could not write the report.\n";

enum {
    O_DESIGNS = 256,
    O_THREADS,
    O_READS,
    O_USERS,
    O_DIST,
    O_SECONDS,
    O_ROUNDS,
    O_HOLD_US,
    O_SEED,
    O_FORMAT,
    O_JSON,
    O_HELP,
};

static const struct option long_options[] = {
    {"designs", required_argument, NULL, O_DESIGNS},
    {"threads", required_argument, NULL, O_THREADS},
    {"reads", required_argument, NULL, O_READS},
    {"users", required_argument, NULL, O_USERS},
    {"dist", required_argument, NULL, O_DIST},
    {"seconds", required_argument, NULL, O_SECONDS},
    {"rounds", required_argument, NULL, O_ROUNDS},
    {"hold-us", required_argument, NULL, O_HOLD_US},
    {"seed", required_argument, NULL, O_SEED},
    {"format", required_argument, NULL, O_FORMAT},
    {"json", required_argument, NULL, O_JSON},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

#define USAGE_WIDTH  80
#define USAGE_INDENT 11 /* where a design's description starts */

/* text, broken between words into lines that end by USAGE_WIDTH; the first
 * line goes on from column `at`, the others start at USAGE_INDENT. */
static void print_wrapped(const char *text, int at)
{
    for (const char *p = text; *p;) {
        size_t word = strcspn(p, " ");
        if (at > USAGE_INDENT && at + 1 + (int)word > USAGE_WIDTH)
            at = printf("\n%*s", USAGE_INDENT, "") - 1;
        else if (at > USAGE_INDENT)
            at += printf(" ");
        at += printf("%.*s", (int)word, p);
        p += word + (p[word] == ' ');
    }
    printf("\n");
}

static void print_usage(const struct map_design *const *available, size_t n)
{
    fputs(usage_head, stdout);
    for (size_t i = 0; i < n; i++) {
        print_wrapped(available[i]->summary, printf("  %-9s", available[i]->name));
        print_wrapped(available[i]->hold, printf("%*s--hold-us:", USAGE_INDENT, ""));
    }
    fputs(usage_options, stdout);
}

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench_maps: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see --help)\n");
    va_end(ap);
    return 2;
}

static bool parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool parse_double(const char *s, double lo, double hi, double *out)
{
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || !isfinite(v) || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* Calls item(text of one item, its length, ctx) for each item of a
 * comma-separated list; false if an item is empty, too long, or refused. */
static bool split_list(const char *text, bool (*item)(const char *, size_t, void *), void *ctx)
{
    for (const char *p = text;;) {
        size_t n = strcspn(p, ",");
        if (n == 0 || !item(p, n, ctx))
            return false;
        if (p[n] == '\0')
            return true;
        p += n + 1;
    }
}

struct number_list {
    unsigned *values;
    size_t n;
    unsigned lo, hi;
};

static bool number_item(const char *p, size_t len, void *ctx)
{
    struct number_list *l = ctx;
    char text[24];
    uint64_t v;
    if (len >= sizeof text || l->n == BM_LIST_MAX)
        return false;
    memcpy(text, p, len);
    text[len] = '\0';
    if (!parse_u64(text, l->lo, l->hi, &v))
        return false;
    for (size_t i = 0; i < l->n; i++) {
        if (l->values[i] == v)
            return false;
    }
    l->values[l->n++] = (unsigned)v;
    return true;
}

/* Whole numbers lo to hi, each once, at most BM_LIST_MAX of them. */
static bool parse_numbers(const char *text, unsigned lo, unsigned hi, unsigned *values, size_t *n)
{
    struct number_list l = {values, 0, lo, hi};
    if (!split_list(text, number_item, &l))
        return false;
    *n = l.n;
    return true;
}

struct design_list {
    const struct map_design *const *available;
    size_t n_available;
    struct bm_options *o;
};

static bool design_item(const char *p, size_t len, void *ctx)
{
    struct design_list *l = ctx;
    const struct map_design *found = NULL;
    for (size_t i = 0; i < l->n_available; i++) {
        const char *name = l->available[i]->name;
        if (strlen(name) == len && memcmp(name, p, len) == 0)
            found = l->available[i];
    }
    if (!found || l->o->n_designs == BM_LIST_MAX)
        return false;
    for (size_t i = 0; i < l->o->n_designs; i++) {
        if (l->o->designs[i] == found)
            return false;
    }
    l->o->designs[l->o->n_designs++] = found;
    return true;
}

/* The names of the available designs, "a, b or c", into buf. */
static const char *design_names(char *buf, size_t len, const struct map_design *const *available,
                                size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < len; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
        int w = snprintf(buf + used, len - used, "%s%s", sep, available[i]->name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return buf;
}

static void set_defaults(struct bm_options *o, const struct map_design *const *available, size_t n,
                         int argc, char **argv)
{
    static const unsigned threads[] = {1, 2, 4, 8}, reads[] = {50, 90};
    *o = (struct bm_options){
        .n_threads = sizeof threads / sizeof threads[0],
        .n_reads = sizeof reads / sizeof reads[0],
        .users = 1000,
        .dist = DIST_UNIFORM,
        .seconds = 1,
        .rounds = 3,
        .seed = 1,
        .argc = argc,
        .argv = argv,
    };
    memcpy(o->threads, threads, sizeof threads);
    memcpy(o->reads_pct, reads, sizeof reads);
    for (size_t i = 0; i < n && i < BM_LIST_MAX; i++)
        o->designs[o->n_designs++] = available[i];
}

int bm_options_parse(struct bm_options *o, const struct map_design *const *available, size_t n,
                     int argc, char **argv)
{
    set_defaults(o, available, n, argc, argv);
    char names[256];
    uint64_t u;
    opterr = 0;
    optind = 0; /* glibc: a full restart, for a second argv in one process (the tests) */
    int c;
    while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        const char *a = optarg;
        switch (c) {
        case O_DESIGNS: {
            struct design_list l = {available, n, o};
            o->n_designs = 0;
            if (!split_list(a, design_item, &l))
                return bad("bad --designs '%s': expected some of %s, comma-separated, each once", a,
                           design_names(names, sizeof names, available, n));
            break;
        }
        case O_THREADS:
            if (!parse_numbers(a, 1, BM_THREADS_MAX, o->threads, &o->n_threads))
                return bad("bad --threads '%s': expected counts 1 to 256, comma-separated, each "
                           "once, at most 16",
                           a);
            break;
        case O_READS:
            if (!parse_numbers(a, 0, 100, o->reads_pct, &o->n_reads))
                return bad("bad --reads '%s': expected percentages 0 to 100, comma-separated, "
                           "each once, at most 16",
                           a);
            break;
        case O_USERS:
            if (!parse_u64(a, 1, BM_USERS_MAX, &u))
                return bad("bad --users '%s': expected 1 to 1000000", a);
            o->users = (uint32_t)u;
            break;
        case O_DIST:
            if (strcmp(a, "zipf") == 0) {
                o->dist = DIST_ZIPF;
                o->zipf_s = 1;
            } else if (!dist_parse(a, &o->dist, &o->zipf_s)) {
                return bad("bad --dist '%s': expected uniform, zipf or zipf:S with 0 < S <= 10", a);
            }
            break;
        case O_SECONDS:
            if (!parse_double(a, 0.001, 60, &o->seconds))
                return bad("bad --seconds '%s': expected 0.001 to 60", a);
            break;
        case O_ROUNDS:
            if (!parse_u64(a, 1, 100, &u))
                return bad("bad --rounds '%s': expected 1 to 100", a);
            o->rounds = (unsigned)u;
            break;
        case O_HOLD_US:
            if (!parse_u64(a, 0, 1000000, &u))
                return bad("bad --hold-us '%s': expected microseconds, 0 to 1000000", a);
            o->hold_us = (unsigned)u;
            break;
        case O_SEED:
            if (!parse_u64(a, 0, UINT64_MAX, &o->seed))
                return bad("bad --seed '%s': expected a non-negative integer", a);
            break;
        case O_FORMAT:
            if (strcmp(a, "table") != 0 && strcmp(a, "json") != 0)
                return bad("bad --format '%s': expected table or json", a);
            o->json_stdout = strcmp(a, "json") == 0;
            break;
        case O_JSON: o->json_path = a; break;
        case O_HELP: print_usage(available, n); return 0;
        default:
            if (optopt >= O_DESIGNS)
                return bad("option %s needs a value", argv[optind - 1]);
            return bad("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return bad("unexpected argument '%s'", argv[optind]);
    unsigned most_threads = 0;
    for (size_t i = 0; i < o->n_threads; i++)
        most_threads = o->threads[i] > most_threads ? o->threads[i] : most_threads;
    if ((uint64_t)most_threads * o->users > BM_THREAD_USERS_MAX)
        return bad("%u threads times %u users is more than %llu: fewer threads or users",
                   most_threads, o->users, (unsigned long long)BM_THREAD_USERS_MAX);
    return -1;
}
