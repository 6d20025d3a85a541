/* The engine end to end, in process, against the built-in sink: every
 * request answered and counted once, closed and open loop, and a target
 * with nothing listening. Short runs; every wait is bounded by the engine's
 * own timeouts. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine.h"
#include "options.h"
#include "requests.h"
#include "sink.h"
#include "zipf.h"
#include "unit.h"

static struct req_pool pool;
static struct sampler sampler;
static struct lg_run run; /* large: keep it off the stack */

static void setup(void)
{
    ck_assert(pool_init(&pool, 100, ""));
    ck_assert(sampler_init(&sampler, DIST_ZIPF, 0.99, 100));
}

static void teardown(void)
{
    sampler_free(&sampler);
    pool_free(&pool);
}

static struct lg_options base_options(void)
{
    struct lg_options o = {
        .threads = 2,
        .conns = 4,
        .pipeline = 8,
        .duration_s = 0.2,
        .users = 100,
        .dist = DIST_ZIPF,
        .zipf_s = 0.99,
        .timeout_ms = 5000,
        .connect_timeout_ms = 5000,
        .seed = 1,
    };
    o.mix[RK_EVENT] = 100;
    return o;
}

static void aim(struct lg_run *r, const struct lg_options *o, int port)
{
    *r = (struct lg_run){.opts = o, .pool = &pool, .sampler = &sampler};
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    memcpy(&r->addr, &a, sizeof a);
    r->addr_len = sizeof a;
}

static uint64_t sum(const uint64_t *counts)
{
    uint64_t n = 0;
    for (int k = 0; k < REPLY_COUNT; k++)
        n += counts[k];
    return n;
}

/* Runs o against a fresh sink in mode (stopped after the run); the stats. */
static const struct lg_stats *run_on_sink(const struct lg_options *o, enum self_test mode,
                                          struct sink *sink)
{
    ck_assert(sink_start(sink, mode));
    aim(&run, o, sink->port);
    ck_assert(engine_run(&run));
    sink_stop(sink);
    return &run.stats;
}

START_TEST(test_requests_all_answered)
{
    struct lg_options o = base_options();
    o.requests = 20000;
    o.verify = VERIFY_PARSE;
    struct sink sink;
    const struct lg_stats *s = run_on_sink(&o, SELF_TEST_ACCEPT, &sink);
    ck_assert_uint_eq(s->conns_opened, 4);
    ck_assert_uint_eq(s->measured_sent, 20000);
    ck_assert_uint_eq(s->latency.count, 20000);
    ck_assert_uint_eq(s->counts[REPLY_ACCEPTED], 20000);
    ck_assert_uint_eq(sum(s->counts), 20000);
    ck_assert_uint_eq(s->replies, s->sent);
    ck_assert_uint_eq(sink.lines, s->sent);
    ck_assert_uint_eq(s->protocol_errors + s->verify_errors + s->unanswered, 0);
    ck_assert_uint_gt(s->window_end_ns, s->window_start_ns);
}
END_TEST

START_TEST(test_echo_mix_duration)
{
    struct lg_options o = base_options();
    o.mix[RK_BALANCE] = 10;
    o.mix[RK_METRICS] = 5;
    o.mix[RK_HEALTH] = 5;
    o.mix[RK_INVALID] = 20;
    o.mix[RK_ECHO] = 10;
    o.verify = VERIFY_ECHO;
    struct sink sink;
    const struct lg_stats *s = run_on_sink(&o, SELF_TEST_ECHO, &sink);
    ck_assert_uint_gt(s->counts[REPLY_ECHO], 0);
    ck_assert_uint_eq(sum(s->counts), s->counts[REPLY_ECHO]);
    ck_assert_uint_eq(s->replies, s->sent);
    ck_assert_uint_eq(s->protocol_errors + s->verify_errors + s->unanswered, 0);
}
END_TEST

START_TEST(test_open_loop_keeps_schedule)
{
    struct lg_options o = base_options();
    o.rate = 20000;
    o.duration_s = 0.3;
    o.pipeline = 64;
    struct sink sink;
    const struct lg_stats *s = run_on_sink(&o, SELF_TEST_ACCEPT, &sink);
    /* 0.3 s at 20000/s: 6000 slots in the window, all sent by a sink this fast. */
    ck_assert_uint_ge(s->scheduled, 5996);
    ck_assert_uint_le(s->scheduled, 6004);
    ck_assert_uint_eq(s->measured_sent + s->backlog_at_end, s->scheduled);
    ck_assert_uint_eq(s->latency.count, s->measured_sent);
    ck_assert_uint_eq(s->protocol_errors + s->unanswered, 0);
}
END_TEST

START_TEST(test_nothing_listening)
{
    /* A port that was free a moment ago: connections are refused. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ck_assert(bind(fd, (struct sockaddr *)&a, len) == 0);
    ck_assert(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    close(fd);
    struct lg_options o = base_options();
    aim(&run, &o, ntohs(a.sin_port));
    ck_assert(engine_run(&run));
    ck_assert_uint_eq(run.stats.conns_opened, 0);
    ck_assert_uint_eq(run.stats.connect_failed, 4);
    ck_assert_uint_eq(run.stats.sent, 0);
}
END_TEST

static Suite *engine_suite(void)
{
    Suite *s = suite_create("loadgen engine");
    TCase *tc = tcase_create("engine");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_requests_all_answered);
    tcase_add_test(tc, test_echo_mix_duration);
    tcase_add_test(tc, test_open_loop_keeps_schedule);
    tcase_add_test(tc, test_nothing_listening);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(engine_suite)
