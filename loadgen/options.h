/* loadgen's command line. */
#ifndef LOADGEN_OPTIONS_H
#define LOADGEN_OPTIONS_H

#include <stdbool.h>
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

/* Parses a --mix value into weights; false (with a message in err) if bad. */
bool mix_parse(const char *text, unsigned weights[RK_COUNT], char *err, size_t err_len);

/* The mix as text, e.g. "event=90,balance=10", into buf. */
void mix_format(const unsigned weights[RK_COUNT], char *buf, size_t len);

#endif
