#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rng.h"
#include "verify.h"

#define MIX_WEIGHT_MAX 1000000
#define HELP_INDENT    25 /* the column of the help texts */
#define HELP_WIDTH     80
#define OPTION_VAL     256 /* getopt's value for table[i] is OPTION_VAL + i */

#define STR(x)  #x
#define XSTR(x) STR(x)

/* A number option's field in struct lg_options. */
#define FIELD(f)                                                                                   \
    .offset = offsetof(struct lg_options, f), .size = sizeof(((struct lg_options *)0)->f)

static const char usage_head[] =
    "Usage: loadgen --target HOST:PORT [options]\n"
    "       loadgen --self-test[=accept|echo] [options]\n"
    "\n"
    "Drives a line-delimited JSON server over many connections and measures it.\n"
    "\n";

static const char usage_tail[] =
    "\n"
    "A connection that fails or is closed during the run is counted and reopened,\n"
    "after a back-off (a refusal, too_many_connections, too).\n"
    "\n"
    "Exit: 0 ok, 1 protocol or verification error, 2 bad options, 3 could not connect.\n";

enum option_id {
    O_TARGET,
    O_THREADS,
    O_CONNS,
    O_PIPELINE,
    O_DURATION,
    O_REQUESTS,
    O_WARMUP,
    O_RATE,
    O_MIX,
    O_USERS,
    O_DIST,
    O_SEED,
    O_USER_PREFIX,
    O_VERIFY,
    O_TIMEOUT,
    O_CONNECT_TIMEOUT,
    O_JSON,
    O_SELF_TEST,
    O_HELP,
    O_COUNT
};

static bool parse_target(struct lg_options *o, const char *text, char *why, size_t why_len);
static bool parse_mix(struct lg_options *o, const char *text, char *why, size_t why_len);
static bool parse_dist(struct lg_options *o, const char *text, char *why, size_t why_len);
static bool parse_user_prefix(struct lg_options *o, const char *text, char *why, size_t why_len);
static bool parse_verify(struct lg_options *o, const char *text, char *why, size_t why_len);
static bool parse_json(struct lg_options *o, const char *text, char *why, size_t why_len);
static bool parse_self_test(struct lg_options *o, const char *text, char *why, size_t why_len);

static const struct lg_option table[O_COUNT] = {
    [O_TARGET] = {.name = "target",
                  .arg = "HOST:PORT",
                  .group = "Load",
                  .help = "the server to drive",
                  .kind = LG_OPT_TEXT,
                  .expect = "HOST:PORT with a port from 1 to 65535",
                  .parse = parse_target},
    [O_THREADS] = {.name = "threads",
                   .arg = "T",
                   .group = "Load",
                   .help = "threads, each with its own connections",
                   .kind = LG_OPT_WHOLE,
                   .min = 1,
                   .max = THREADS_MAX,
                   FIELD(threads),
                   .def = "1"},
    [O_CONNS] = {.name = "conns",
                 .arg = "N",
                 .group = "Load",
                 .help = "connections",
                 .kind = LG_OPT_WHOLE,
                 .min = 1,
                 .max = CONNS_MAX,
                 FIELD(conns),
                 .def = "64"},
    [O_PIPELINE] = {.name = "pipeline",
                    .arg = "D",
                    .group = "Load",
                    .help = "requests in flight per connection",
                    .kind = LG_OPT_WHOLE,
                    .min = 1,
                    .max = PIPELINE_MAX,
                    FIELD(pipeline),
                    .def = "1"},
    [O_DURATION] = {.name = "duration",
                    .arg = "S",
                    .group = "Load",
                    .help = "seconds to measure",
                    .kind = LG_OPT_REAL,
                    .unit = "seconds",
                    .lo = 0.001,
                    .hi = 86400,
                    FIELD(duration_s),
                    .def = "5"},
    [O_REQUESTS] = {.name = "requests",
                    .arg = "N",
                    .group = "Load",
                    .help = "measure N requests instead of a duration",
                    .kind = LG_OPT_WHOLE,
                    .min = 1,
                    .max = UINT64_C(1000000000000),
                    FIELD(requests)},
    [O_WARMUP] = {.name = "warmup",
                  .arg = "S",
                  .group = "Load",
                  .help = "seconds of load before measuring",
                  .kind = LG_OPT_REAL,
                  .unit = "seconds",
                  .lo = 0,
                  .hi = 3600,
                  FIELD(warmup_s),
                  .def = "0"},
    [O_RATE] = {.name = "rate",
                .arg = "R",
                .group = "Load",
                .help = "open loop: R requests/s over all connections, each on a fixed schedule; "
                        "latency counts from the intended send time",
                .kind = LG_OPT_REAL,
                .unit = "requests/s",
                .lo = 0.001,
                .hi = 1e9,
                FIELD(rate),
                .def_note = "closed loop, a new request for each reply"},
    [O_MIX] = {.name = "mix",
               .arg = "K=W,...",
               .group = "Requests",
               .help = "weights of request kinds: event, balance, metrics, health, invalid, echo, "
                       "set; set is a Redis SET command, to drive Redis the same way",
               .kind = LG_OPT_TEXT,
               .expect = "KIND=WEIGHT,... with weights from 0 to " XSTR(MIX_WEIGHT_MAX),
               .parse = parse_mix,
               .def = "event=100"},
    [O_USERS] = {.name = "users",
                 .arg = "K",
                 .group = "Requests",
                 .help = "distinct users",
                 .kind = LG_OPT_WHOLE,
                 .min = 1,
                 .max = USERS_MAX,
                 FIELD(users),
                 .def = "1000"},
    [O_DIST] = {.name = "dist",
                .arg = "uniform|zipf:S",
                .group = "Requests",
                .help = "how users are chosen",
                .kind = LG_OPT_TEXT,
                .expect = "uniform or zipf:S with 0 < S <= " XSTR(ZIPF_S_MAX),
                .parse = parse_dist,
                .def = "uniform"},
    [O_SEED] = {.name = "seed",
                .arg = "N",
                .group = "Requests",
                .help = "random seed",
                .kind = LG_OPT_WHOLE,
                .min = 0,
                .max = UINT64_MAX,
                FIELD(seed),
                .def = "1"},
    [O_USER_PREFIX] = {.name = "user-prefix",
                       .arg = "P",
                       .group = "Requests",
                       .help = "start every user name with P",
                       .kind = LG_OPT_TEXT,
                       .expect =
                           "up to " XSTR(USER_PREFIX_MAX) " printable ASCII bytes, '' for none",
                       .parse = parse_user_prefix,
                       .def_note = "new for each run, lgXXXXXXXX-, so that a run's users are new "
                                   "to the server"},
    [O_VERIFY] = {.name = "verify",
                  .arg = "MODE",
                  .group = "Checks and output",
                  .help = "check replies and, at the end, the server's state; the state checks "
                          "assume loadgen is the server's only client",
                  .kind = LG_OPT_TEXT,
                  .expect = "echo for stages 01-02, parse for 03, inline for 04, queue for 05-06, "
                            "balances for 07-08, metrics for 09-10, or a stage number 1 to 10",
                  .parse = parse_verify},
    [O_TIMEOUT] = {.name = "timeout",
                   .arg = "MS",
                   .group = "Checks and output",
                   .help = "close (and reopen) a connection whose requests get no reply for MS; "
                           "also bounds the final wait for replies, and the checks at the end",
                   .kind = LG_OPT_WHOLE,
                   .unit = "milliseconds",
                   .min = 1,
                   .max = 3600000,
                   FIELD(timeout_ms),
                   .def = "10000"},
    [O_CONNECT_TIMEOUT] = {.name = "connect-timeout",
                           .arg = "MS",
                           .group = "Checks and output",
                           .help = "time allowed to open every connection",
                           .kind = LG_OPT_WHOLE,
                           .unit = "milliseconds",
                           .min = 1,
                           .max = 3600000,
                           FIELD(connect_timeout_ms),
                           .def = "10000"},
    [O_JSON] = {.name = "json",
                .arg = "FILE",
                .group = "Checks and output",
                .help = "write every figure and the options as JSON",
                .kind = LG_OPT_TEXT,
                .parse = parse_json},
    [O_SELF_TEST] = {.name = "self-test",
                     .arg = "MODE",
                     .arg_optional = true,
                     .group = "Checks and output",
                     .help = "drive a built-in sink in a thread instead of a server, to measure "
                             "loadgen's own ceiling: accept (the default) answers every line "
                             "{\"status\":\"accepted\"}, echo writes back what it reads",
                     .kind = LG_OPT_TEXT,
                     .expect = "accept or echo",
                     .parse = parse_self_test},
    [O_HELP] = {.name = "help",
                .group = "Checks and output",
                .help = "this text",
                .kind = LG_OPT_HELP},
};

const struct lg_option *lg_option_table(unsigned *count)
{
    *count = O_COUNT;
    return table;
}

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "loadgen: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see --help)\n");
    va_end(ap);
    return 2;
}

/*** numbers ***/

static bool parse_whole(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
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

static bool parse_real(const char *s, double lo, double hi, double *out)
{
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || !isfinite(v) || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* A bound as people write it: 10^9 rather than 1000000000. */
static void whole_text(char *buf, size_t len, uint64_t v)
{
    if (v == UINT64_MAX) {
        snprintf(buf, len, "2^64 - 1");
        return;
    }
    uint64_t x = v;
    int zeros = 0;
    while (x >= 10 && x % 10 == 0) {
        x /= 10;
        zeros++;
    }
    if (x == 1 && zeros >= 9)
        snprintf(buf, len, "10^%d", zeros);
    else
        snprintf(buf, len, "%" PRIu64, v);
}

static void real_text(char *buf, size_t len, double v)
{
    if (v >= 1 && v < 1e18 && v == floor(v))
        whole_text(buf, len, (uint64_t)v);
    else
        snprintf(buf, len, "%g", v);
}

void lg_option_range(const struct lg_option *opt, char *buf, size_t len)
{
    char lo[32], hi[32];
    if (opt->kind == LG_OPT_WHOLE) {
        whole_text(lo, sizeof lo, opt->min);
        whole_text(hi, sizeof hi, opt->max);
    } else if (opt->kind == LG_OPT_REAL) {
        real_text(lo, sizeof lo, opt->lo);
        real_text(hi, sizeof hi, opt->hi);
    } else {
        snprintf(buf, len, "%s", opt->expect ? opt->expect : "");
        return;
    }
    snprintf(buf, len, "%s to %s", lo, hi);
}

/*** the options that take text ***/

bool mix_parse(const char *text, unsigned weights[RK_COUNT], char *err, size_t err_len)
{
    unsigned w[RK_COUNT] = {0};
    bool seen[RK_COUNT] = {false};
    const char *p = text;
    unsigned long total = 0;
    for (;;) {
        const char *eq = strchr(p, '=');
        const char *comma = strchr(p, ',');
        if (!comma)
            comma = p + strlen(p);
        enum req_kind kind;
        if (!eq || eq > comma || !req_kind_from_name(p, (size_t)(eq - p), &kind)) {
            snprintf(err, err_len,
                     "expected KIND=WEIGHT,... with KIND one of event, balance, metrics, health, "
                     "invalid, echo, set");
            return false;
        }
        char num[16];
        size_t n = (size_t)(comma - eq - 1);
        uint64_t v;
        if (n == 0 || n >= sizeof num || seen[kind] ||
            (memcpy(num, eq + 1, n), num[n] = '\0', !parse_whole(num, 0, MIX_WEIGHT_MAX, &v))) {
            snprintf(err, err_len, "expected each kind once, with a weight from 0 to %d",
                     MIX_WEIGHT_MAX);
            return false;
        }
        seen[kind] = true;
        w[kind] = (unsigned)v;
        total += v;
        if (*comma == '\0')
            break;
        p = comma + 1;
    }
    if (total == 0) {
        snprintf(err, err_len, "the weights add up to 0");
        return false;
    }
    memcpy(weights, w, sizeof w);
    return true;
}

void mix_format(const unsigned weights[RK_COUNT], char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int k = 0; k < RK_COUNT; k++) {
        if (weights[k] == 0)
            continue;
        int n = snprintf(buf + used, len - used, "%s%s=%u", used ? "," : "",
                         req_kind_name((enum req_kind)k), weights[k]);
        if (n < 0 || (size_t)n >= len - used)
            return;
        used += (size_t)n;
    }
}

static bool parse_target(struct lg_options *o, const char *t, char *why, size_t why_len)
{
    (void)why, (void)why_len;
    const char *colon = strrchr(t, ':');
    if (!colon || colon == t || strlen(colon + 1) == 0 || strlen(colon + 1) >= sizeof o->port)
        return false;
    const char *h = t;
    size_t hl = (size_t)(colon - t);
    if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') { /* [::1]:7003 */
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= sizeof o->host)
        return false;
    memcpy(o->host, h, hl);
    o->host[hl] = '\0';
    strcpy(o->port, colon + 1);
    uint64_t port;
    if (!parse_whole(o->port, 1, 65535, &port))
        return false;
    o->target = t;
    return true;
}

static bool parse_mix(struct lg_options *o, const char *text, char *why, size_t why_len)
{
    return mix_parse(text, o->mix, why, why_len);
}

static bool parse_dist(struct lg_options *o, const char *text, char *why, size_t why_len)
{
    (void)why, (void)why_len;
    return dist_parse(text, &o->dist, &o->zipf_s);
}

static bool parse_user_prefix(struct lg_options *o, const char *text, char *why, size_t why_len)
{
    (void)why, (void)why_len;
    size_t n = strlen(text);
    if (n > USER_PREFIX_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (text[i] < 0x20 || text[i] > 0x7e)
            return false;
    }
    memcpy(o->user_prefix, text, n + 1);
    return true;
}

static bool parse_verify(struct lg_options *o, const char *text, char *why, size_t why_len)
{
    (void)why, (void)why_len;
    o->verify = verify_parse(text);
    return o->verify != 0;
}

static bool parse_json(struct lg_options *o, const char *text, char *why, size_t why_len)
{
    (void)why, (void)why_len;
    o->json_path = text;
    return true;
}

static bool parse_self_test(struct lg_options *o, const char *text, char *why, size_t why_len)
{
    (void)why, (void)why_len;
    if (!text || strcmp(text, "accept") == 0)
        o->self_test = SELF_TEST_ACCEPT;
    else if (strcmp(text, "echo") == 0)
        o->self_test = SELF_TEST_ECHO;
    else
        return false;
    return true;
}

/*** one option ***/

/* Sets opt from text; false, with what was expected in why, if text is bad. */
static bool apply(struct lg_options *o, const struct lg_option *opt, const char *text, char *why,
                  size_t why_len)
{
    char *field = (char *)o + opt->offset;
    switch (opt->kind) {
    case LG_OPT_WHOLE: {
        uint64_t v;
        if (!parse_whole(text, opt->min, opt->max, &v))
            break;
        if (opt->size == sizeof(uint32_t)) {
            uint32_t v32 = (uint32_t)v;
            memcpy(field, &v32, sizeof v32);
        } else {
            memcpy(field, &v, sizeof v);
        }
        return true;
    }
    case LG_OPT_REAL: {
        double v;
        if (!parse_real(text, opt->lo, opt->hi, &v))
            break;
        memcpy(field, &v, sizeof v);
        return true;
    }
    case LG_OPT_TEXT:
        why[0] = '\0';
        if (opt->parse(o, text, why, why_len))
            return true;
        if (!why[0])
            snprintf(why, why_len, "expected %s", opt->expect);
        return false;
    case LG_OPT_HELP: return true;
    }
    char range[64];
    lg_option_range(opt, range, sizeof range);
    snprintf(why, why_len, "expected %s from %s",
             opt->unit                   ? opt->unit
             : opt->kind == LG_OPT_WHOLE ? "a whole number"
                                         : "a number",
             range);
    return false;
}

/*** --help ***/

/* "  --flag ARG   text": the text wrapped at HELP_WIDTH, from column HELP_INDENT. */
static void print_entry(FILE *out, const char *flag, const char *text)
{
    int col = fprintf(out, "  %s", flag);
    if (col >= HELP_INDENT - 1) {
        fputc('\n', out);
        col = 0;
    }
    fprintf(out, "%*s", HELP_INDENT - col, "");
    col = HELP_INDENT;
    for (const char *p = text; *p;) {
        int word = (int)strcspn(p, " ");
        if (col > HELP_INDENT && col + 1 + word > HELP_WIDTH) {
            fprintf(out, "\n%*s", HELP_INDENT, "");
            col = HELP_INDENT;
        } else if (col > HELP_INDENT) {
            fputc(' ', out);
            col++;
        }
        fwrite(p, 1, (size_t)word, out);
        col += word;
        for (p += word; *p == ' '; p++)
            ;
    }
    fputc('\n', out);
}

static void print_help(FILE *out)
{
    fputs(usage_head, out);
    const char *group = "";
    for (int i = 0; i < O_COUNT; i++) {
        const struct lg_option *opt = &table[i];
        if (strcmp(group, opt->group) != 0)
            fprintf(out, "%s:\n", group = opt->group);
        char flag[64], values[256], def[160], text[640];
        snprintf(flag, sizeof flag, "--%s%s%s%s", opt->name,
                 !opt->arg           ? ""
                 : opt->arg_optional ? "[="
                                     : " ",
                 opt->arg ? opt->arg : "", opt->arg_optional ? "]" : "");
        lg_option_range(opt, values, sizeof values);
        if (opt->def)
            snprintf(def, sizeof def, "%sdefault %s", values[0] ? "; " : "", opt->def);
        else if (opt->def_note)
            snprintf(def, sizeof def, "%sdefault: %s", values[0] ? "; " : "", opt->def_note);
        else
            def[0] = '\0';
        if (values[0] || def[0])
            snprintf(text, sizeof text, "%s (%s%s)", opt->help, values, def);
        else
            snprintf(text, sizeof text, "%s", opt->help);
        print_entry(out, flag, text);
    }
    fputs(usage_tail, out);
}

/*** the command line ***/

/* "lgXXXXXXXX-": from the seed, the time and the process, new for each run. */
static void unique_prefix(char *buf, size_t len, uint64_t seed)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = seed ^ ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^
                 ((uint64_t)getpid() << 40);
    snprintf(buf, len, "lg%08x-", (unsigned)(rng_splitmix(&x) >> 32));
}

/* The options that depend on each other. */
static int check_together(struct lg_options *o, const bool given[O_COUNT])
{
    if (!o->target && o->self_test == SELF_TEST_NONE)
        return bad("--target HOST:PORT is required");
    if (o->target && o->self_test != SELF_TEST_NONE)
        return bad("--target and --self-test exclude each other");
    if (given[O_REQUESTS] && given[O_DURATION])
        return bad("--duration and --requests exclude each other");
    if (o->threads > o->conns) {
        if (given[O_THREADS])
            return bad("--threads is more than --conns");
        o->threads = o->conns;
    }
    if (o->self_test == SELF_TEST_ACCEPT) {
        for (int k = 0; k < RK_COUNT; k++) {
            if (k != RK_EVENT && o->mix[k])
                return bad("--self-test=accept answers every line 'accepted': use --mix "
                           "event=100, or --self-test=echo");
        }
        if (o->verify && o->verify != VERIFY_PARSE && o->verify != VERIFY_QUEUE)
            return bad("--self-test=accept can only be verified as parse or queue");
    }
    if (o->self_test == SELF_TEST_ECHO && o->verify && o->verify != VERIFY_ECHO)
        return bad("--self-test=echo can only be verified as echo");
    if (o->mix[RK_SET]) { /* Redis's protocol, for Redis only */
        for (int k = 0; k < RK_COUNT; k++) {
            if (k != RK_SET && o->mix[k])
                return bad("--mix set drives Redis: it does not mix with other kinds");
        }
        if (o->verify || o->self_test != SELF_TEST_NONE)
            return bad("--mix set drives Redis: it cannot be verified or self-tested");
    }
    return -1;
}

int lg_options_parse(struct lg_options *o, int argc, char **argv)
{
    *o = (struct lg_options){.argc = argc, .argv = argv};
    char why[256];
    struct option longopts[O_COUNT + 1];
    for (int i = 0; i < O_COUNT; i++) {
        const struct lg_option *opt = &table[i];
        if (opt->def && !apply(o, opt, opt->def, why, sizeof why))
            return bad("the default of --%s is wrong: %s", opt->name, why); /* a bug */
        int has_arg = !opt->arg           ? no_argument
                      : opt->arg_optional ? optional_argument
                                          : required_argument;
        longopts[i] = (struct option){opt->name, has_arg, NULL, OPTION_VAL + i};
    }
    longopts[O_COUNT] = (struct option){0};

    bool given[O_COUNT] = {false};
    opterr = 0;
    optind = 1;
    int c;
    /* The leading ':' tells a missing value (':') from an unknown option ('?'). */
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        if (c == ':')
            return bad("option %s needs a value", argv[optind - 1]);
        if (c == '?' && optopt >= OPTION_VAL)
            return bad("option --%s takes no value", table[optopt - OPTION_VAL].name);
        if (c == '?')
            return bad("unknown option '%s'", argv[optind - 1]);
        const struct lg_option *opt = &table[c - OPTION_VAL];
        if (opt->kind == LG_OPT_HELP) {
            print_help(stdout);
            return 0;
        }
        if (!apply(o, opt, optarg, why, sizeof why))
            return bad("bad --%s '%s': %s", opt->name, optarg, why);
        given[c - OPTION_VAL] = true;
    }
    if (optind < argc)
        return bad("unexpected argument '%s'", argv[optind]);
    if (!given[O_USER_PREFIX])
        unique_prefix(o->user_prefix, sizeof o->user_prefix, o->seed);
    return check_together(o, given);
}
