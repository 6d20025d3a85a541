#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rng.h"
#include "verify.h"

static const char usage[] =
    "Usage: loadgen --target HOST:PORT [options]\n"
    "       loadgen --self-test[=accept|echo] [options]\n"
    "\n"
    "Drives a line-delimited JSON server over many connections and measures it.\n"
    "\n"
    "Load:\n"
    "  --target HOST:PORT     the server to drive\n"
    "  --threads T            threads, each with its own connections (default 1)\n"
    "  --conns N              connections, 1 to 20000 (default 64)\n"
    "  --pipeline D           requests in flight per connection (default 1)\n"
    "  --duration S           seconds to measure (default 5)\n"
    "  --requests N           measure N requests instead of a duration\n"
    "  --warmup S             seconds of load before measuring (default 0)\n"
    "  --rate R               open loop: R requests/s over all connections, each on a\n"
    "                         fixed schedule; latency counts from the intended send time\n"
    "                         (default: closed loop, a new request for each reply)\n"
    "Requests:\n"
    "  --mix K=W,...          weights of request kinds: event, balance, metrics, health,\n"
    "                         invalid, echo, set (default event=100); set is a\n"
    "                         Redis SET command, to drive Redis the same way\n"
    "  --users K              distinct users, 1 to 1000000 (default 1000)\n"
    "  --dist uniform|zipf:S  how users are chosen (default uniform)\n"
    "  --seed N               random seed (default 1)\n"
    "  --user-prefix P        start every user name with P (printable ASCII, up to 32\n"
    "                         bytes; '' for none); default: new for each run, so that\n"
    "                         a run's users are new to the server (lgXXXXXXXX-)\n"
    "Checks and output:\n"
    "  --verify MODE          check replies and, at the end, the server's state:\n"
    "                         echo (stages 01-02), parse (03), inline (04), queue\n"
    "                         (05-06), balances (07-08), metrics (09-10), or a stage\n"
    "                         number 1-10; the state checks assume loadgen is the\n"
    "                         server's only client\n"
    "  --timeout MS           close (and reopen) a connection whose requests get no\n"
    "                         reply for MS (default 10000); also bounds the final wait\n"
    "                         for replies, and the checks at the end\n"
    "  --connect-timeout MS   time allowed to open every connection (default 10000)\n"
    "  --json FILE            write every figure and the options as JSON\n"
    "  --self-test[=MODE]     drive a built-in sink in a thread instead of a server, to\n"
    "                         measure loadgen's own ceiling: accept (answers every line\n"
    "                         {\"status\":\"accepted\"}, the default) or echo\n"
    "  --help                 this text\n"
    "\n"
    "A connection that fails or is closed during the run is counted and reopened,\n"
    "after a back-off (a refusal, too_many_connections, too).\n"
    "\n"
    "Exit: 0 ok, 1 protocol or verification error, 2 bad options, 3 could not connect.\n";

enum {
    O_TARGET = 256,
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
};

static const struct option long_options[] = {
    {"target", required_argument, NULL, O_TARGET},
    {"threads", required_argument, NULL, O_THREADS},
    {"conns", required_argument, NULL, O_CONNS},
    {"pipeline", required_argument, NULL, O_PIPELINE},
    {"duration", required_argument, NULL, O_DURATION},
    {"requests", required_argument, NULL, O_REQUESTS},
    {"warmup", required_argument, NULL, O_WARMUP},
    {"rate", required_argument, NULL, O_RATE},
    {"mix", required_argument, NULL, O_MIX},
    {"users", required_argument, NULL, O_USERS},
    {"dist", required_argument, NULL, O_DIST},
    {"seed", required_argument, NULL, O_SEED},
    {"user-prefix", required_argument, NULL, O_USER_PREFIX},
    {"verify", required_argument, NULL, O_VERIFY},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"connect-timeout", required_argument, NULL, O_CONNECT_TIMEOUT},
    {"json", required_argument, NULL, O_JSON},
    {"self-test", optional_argument, NULL, O_SELF_TEST},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

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
                     "bad --mix '%s': expected KIND=WEIGHT,... with KIND one of "
                     "event, balance, metrics, health, invalid, echo, set",
                     text);
            return false;
        }
        char num[16];
        size_t n = (size_t)(comma - eq - 1);
        uint64_t v;
        if (n == 0 || n >= sizeof num || seen[kind] ||
            (memcpy(num, eq + 1, n), num[n] = '\0', !parse_u64(num, 0, 1000000, &v))) {
            snprintf(err, err_len, "bad --mix '%s': each kind once, weights 0 to 1000000", text);
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
        snprintf(err, err_len, "bad --mix '%s': the weights add up to 0", text);
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

static bool valid_prefix(const char *p)
{
    size_t n = strlen(p);
    for (size_t i = 0; i < n; i++) {
        if (p[i] < 0x20 || p[i] > 0x7e)
            return false;
    }
    return n <= USER_PREFIX_MAX;
}

/* "lgXXXXXXXX-": from the seed, the time and the process, new for each run. */
static void unique_prefix(char *buf, size_t len, uint64_t seed)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = seed ^ ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^
                 ((uint64_t)getpid() << 40);
    snprintf(buf, len, "lg%08x-", (unsigned)(rng_splitmix(&x) >> 32));
}

static bool split_target(struct lg_options *o, const char *t)
{
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
    return parse_u64(o->port, 1, 65535, &port);
}

int lg_options_parse(struct lg_options *o, int argc, char **argv)
{
    *o = (struct lg_options){
        .threads = 1,
        .conns = 64,
        .pipeline = 1,
        .duration_s = 5,
        .users = 1000,
        .dist = DIST_UNIFORM,
        .timeout_ms = 10000,
        .connect_timeout_ms = 10000,
        .seed = 1,
        .argc = argc,
        .argv = argv,
    };
    o->mix[RK_EVENT] = 100;
    bool threads_given = false, duration_given = false, prefix_given = false;
    char err[256];
    uint64_t u;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        const char *a = optarg;
        switch (c) {
        case O_TARGET:
            if (!split_target(o, a))
                return bad("bad --target '%s': expected HOST:PORT", a);
            o->target = a;
            break;
        case O_THREADS:
            if (!parse_u64(a, 1, THREADS_MAX, &u))
                return bad("bad --threads '%s': expected 1 to 256", a);
            o->threads = (unsigned)u;
            threads_given = true;
            break;
        case O_CONNS:
            if (!parse_u64(a, 1, CONNS_MAX, &u))
                return bad("bad --conns '%s': expected 1 to 20000", a);
            o->conns = (unsigned)u;
            break;
        case O_PIPELINE:
            if (!parse_u64(a, 1, PIPELINE_MAX, &u))
                return bad("bad --pipeline '%s': expected 1 to 4096", a);
            o->pipeline = (unsigned)u;
            break;
        case O_DURATION:
            if (!parse_double(a, 0.001, 86400, &o->duration_s))
                return bad("bad --duration '%s': expected seconds, 0.001 to 86400", a);
            duration_given = true;
            break;
        case O_REQUESTS:
            if (!parse_u64(a, 1, UINT64_C(1000000000000), &o->requests))
                return bad("bad --requests '%s': expected 1 to 10^12", a);
            break;
        case O_WARMUP:
            if (!parse_double(a, 0, 3600, &o->warmup_s))
                return bad("bad --warmup '%s': expected seconds, 0 to 3600", a);
            break;
        case O_RATE:
            if (!parse_double(a, 0.001, 1e9, &o->rate))
                return bad("bad --rate '%s': expected requests/s, above 0 and up to 10^9", a);
            break;
        case O_MIX:
            if (!mix_parse(a, o->mix, err, sizeof err))
                return bad("%s", err);
            break;
        case O_USERS:
            if (!parse_u64(a, 1, USERS_MAX, &u))
                return bad("bad --users '%s': expected 1 to 1000000", a);
            o->users = (uint32_t)u;
            break;
        case O_DIST:
            if (!dist_parse(a, &o->dist, &o->zipf_s))
                return bad("bad --dist '%s': expected uniform or zipf:S with 0 < S <= 10", a);
            break;
        case O_SEED:
            if (!parse_u64(a, 0, UINT64_MAX, &o->seed))
                return bad("bad --seed '%s': expected a non-negative integer", a);
            break;
        case O_USER_PREFIX:
            if (!valid_prefix(a))
                return bad("bad --user-prefix '%s': expected up to 32 printable ASCII bytes", a);
            strcpy(o->user_prefix, a);
            prefix_given = true;
            break;
        case O_VERIFY:
            o->verify = verify_parse(a);
            if (!o->verify)
                return bad("bad --verify '%s': expected echo, parse, queue, inline, balances, "
                           "metrics or a stage number 1 to 10",
                           a);
            break;
        case O_TIMEOUT:
            if (!parse_u64(a, 1, 3600000, &u))
                return bad("bad --timeout '%s': expected milliseconds, 1 to 3600000", a);
            o->timeout_ms = (unsigned)u;
            break;
        case O_CONNECT_TIMEOUT:
            if (!parse_u64(a, 1, 3600000, &u))
                return bad("bad --connect-timeout '%s': expected milliseconds, 1 to 3600000", a);
            o->connect_timeout_ms = (unsigned)u;
            break;
        case O_JSON: o->json_path = a; break;
        case O_SELF_TEST:
            if (!a || strcmp(a, "accept") == 0)
                o->self_test = SELF_TEST_ACCEPT;
            else if (strcmp(a, "echo") == 0)
                o->self_test = SELF_TEST_ECHO;
            else
                return bad("bad --self-test '%s': expected accept or echo", a);
            break;
        case O_HELP: fputs(usage, stdout); return 0;
        default:
            if (optopt >= O_TARGET)
                return bad("option %s needs a value", argv[optind - 1]);
            return bad("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return bad("unexpected argument '%s'", argv[optind]);
    if (!o->target && o->self_test == SELF_TEST_NONE)
        return bad("--target HOST:PORT is required");
    if (o->target && o->self_test != SELF_TEST_NONE)
        return bad("--target and --self-test exclude each other");
    if (o->requests && duration_given)
        return bad("--duration and --requests exclude each other");
    if (o->threads > o->conns) {
        if (threads_given)
            return bad("--threads is more than --conns");
        o->threads = o->conns;
    }
    if (!prefix_given)
        unique_prefix(o->user_prefix, sizeof o->user_prefix, o->seed);
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
