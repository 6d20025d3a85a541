/* loadgen's command line. */
#ifndef LOADGEN_OPTIONS_H
#define LOADGEN_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "requests.h"
#include "zipf.h"

#define CONNS_MAX    20000
#define THREADS_MAX  256
#define PIPELINE_MAX 4096

enum self_test { SELF_TEST_NONE, SELF_TEST_ACCEPT, SELF_TEST_ECHO };

struct lg_options {
    const char *target; /* "HOST:PORT" as given */
    char host[256];
    char port[16];
    unsigned threads;
    unsigned conns;
    unsigned pipeline;
    double duration_s; /* used when requests == 0 */
    uint64_t requests; /* 0: run for duration_s */
    double warmup_s;
    double rate; /* requests per second over all connections; 0: closed loop */
    unsigned mix[RK_COUNT];
    uint32_t users;
    enum dist_kind dist;
    double zipf_s;
    unsigned verify; /* enum verify_check bits; 0: off */
    const char *json_path;
    unsigned timeout_ms; /* a connection silent this long with requests out is closed */
    unsigned connect_timeout_ms; /* for all connections to be made */
    uint64_t seed;
    char user_prefix[USER_PREFIX_MAX + 1]; /* of every user name: new to the server */
    enum self_test self_test;
    int argc; /* the command line, for --json */
    char **argv;
};

/* Fills opts from argv. Returns -1 to go on, or an exit code: 0 after
 * --help, 2 after a bad option (with one line on stderr saying why). */
int lg_options_parse(struct lg_options *opts, int argc, char **argv);

/* Parses a --mix value into weights; false (with what is wrong in err) if bad. */
bool mix_parse(const char *text, unsigned weights[RK_COUNT], char *err, size_t err_len);

/* The table the command line is parsed from: one entry per option gives its
 * --help line, its range or accepted values, its default and its error
 * messages. */
enum lg_option_kind {
    LG_OPT_WHOLE, /* a whole number from min to max */
    LG_OPT_REAL, /* a finite number from lo to hi */
    LG_OPT_TEXT, /* checked by the entry's parse */
    LG_OPT_HELP,
};

struct lg_option {
    const char *name;
    const char *arg; /* what follows the name in --help ("N"); NULL: no value */
    bool arg_optional; /* --name[=ARG] */
    const char *group; /* the heading it is listed under in --help */
    const char *help;
    enum lg_option_kind kind;
    const char *unit; /* a number's, in messages ("seconds"); NULL: "a whole number" */
    uint64_t min, max; /* LG_OPT_WHOLE */
    double lo, hi; /* LG_OPT_REAL */
    size_t offset, size; /* a number's field in struct lg_options */
    const char *expect; /* LG_OPT_TEXT: the values it takes */
    /* LG_OPT_TEXT: stores the value; false if bad, with why filled in when
     * there is more to say than `expect`. text is NULL for a bare --name[=ARG]. */
    bool (*parse)(struct lg_options *o, const char *text, char *why, size_t why_len);
    const char *def; /* the default, written as it would be given; NULL: none */
    const char *def_note; /* the default in words, where def is NULL */
};

/* The table, and its length in *count. */
const struct lg_option *lg_option_table(unsigned *count);

/* "1 to 20000", "0.001 to 10^9": the values a number option takes. */
void lg_option_range(const struct lg_option *opt, char *buf, size_t len);

/* The mix as text, e.g. "event=90,balance=10", into buf. */
void mix_format(const unsigned weights[RK_COUNT], char *buf, size_t len);

#endif
