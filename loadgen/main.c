/* loadgen: drives any stage of the ingestion server and measures it.
 *
 * main: options, the request pool and user sampler, the target's address (or
 * the built-in sink of --self-test), the run, the report, the exit code. */

#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "engine.h"
#include "options.h"
#include "report.h"
#include "requests.h"
#include "sink.h"
#include "verify.h"
#include "verify_end.h"
#include "zipf.h"

enum { EXIT_OK = 0, EXIT_CHECK = 1, EXIT_USAGE = 2, EXIT_CONNECT = 3 };

static void on_signal(int sig)
{
    (void)sig;
    engine_request_stop();
}

/* Enough file descriptors for every connection (and the sink's, in a self-test). */
static void raise_fd_limit(const struct lg_options *o)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t want = (rlim_t)o->conns * (o->self_test ? 2 : 1) + 64;
    if (rl.rlim_cur < want) {
        rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < want)
        fprintf(stderr,
                "loadgen: warning: %llu connections need about %llu file descriptors, the limit "
                "is %llu: some connections will fail\n",
                (unsigned long long)o->conns, (unsigned long long)want,
                (unsigned long long)rl.rlim_cur);
}

static bool resolve(struct lg_run *run, const char *host, const char *port)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "loadgen: cannot resolve %s: %s\n", host, gai_strerror(rc));
        return false;
    }
    memcpy(&run->addr, res->ai_addr, res->ai_addrlen);
    run->addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    return true;
}

int main(int argc, char **argv)
{
    struct lg_options opts;
    int rc = lg_options_parse(&opts, argc, argv);
    if (rc >= 0)
        return rc;
    raise_fd_limit(&opts);

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct req_pool pool;
    struct sampler sampler;
    if (!pool_init(&pool, opts.users, opts.user_prefix) ||
        (opts.mix[RK_SET] && !pool_add_set_lines(&pool)) ||
        !sampler_init(&sampler, opts.dist, opts.zipf_s, opts.users)) {
        fprintf(stderr, "loadgen: out of memory building %u users' requests\n", opts.users);
        return 1;
    }

    static struct lg_run run; /* large: the merged histogram */
    run = (struct lg_run){.opts = &opts, .pool = &pool, .sampler = &sampler};
    struct sink sink = {0};
    if (opts.self_test) {
        if (!sink_start(&sink, opts.self_test))
            return 1;
        char port[16];
        snprintf(port, sizeof port, "%d", sink.port);
        if (!resolve(&run, "127.0.0.1", port))
            return 1;
    } else if (!resolve(&run, opts.host, opts.port)) {
        return EXIT_CONNECT;
    }

    struct verify_end vend;
    verify_end_before(&vend, &run);
    if (!engine_run(&run))
        return 1;
    if (opts.self_test)
        sink_stop(&sink);
    if (run.stats.conns_opened > 0)
        verify_end_after(&vend, &run);

    const struct lg_stats *s = &run.stats;
    struct lg_result res = {
        .opts = &opts,
        .stats = s,
        .connect_s = (double)run.connect_ns / 1e9,
        .sink_lines = sink.lines,
        .sink_port = sink.port,
        .vend = &vend,
    };
    result_compute(&res);
    res.verify_passed = s->verify_errors == 0 && s->unanswered == 0 && s->conns_opened > 0 &&
                        (!vend.ran || vend.passed);
    if (s->conns_opened == 0) {
        res.exit_code = EXIT_CONNECT;
        res.exit_reason = "no connection could be made";
    } else if (s->refused > 0 && s->conns_served == 0) {
        res.exit_code = EXIT_CONNECT;
        res.exit_reason = "no connection was served: refused with too_many_connections";
    } else if (s->protocol_errors) {
        res.exit_code = EXIT_CHECK;
        res.exit_reason = "protocol errors: replies that do not match their requests";
    } else if (opts.verify && !res.verify_passed) {
        res.exit_code = EXIT_CHECK;
        res.exit_reason = s->verify_errors ? "verification failed"
                          : s->unanswered  ? "verification failed: requests without a reply"
                                           : "verification failed: the checks at the end could "
                                             "not be made";
    }
    static struct figures figures;
    figures_collect(&figures, &res);
    report_human(stdout, &figures);
    fflush(stdout);
    if (opts.json_path && !report_json(opts.json_path, &figures) && res.exit_code == 0)
        res.exit_code = 1;

    verify_sums_free(&run.sums);
    sampler_free(&sampler);
    pool_free(&pool);
    return res.exit_code;
}
