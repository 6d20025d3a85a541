/* The report: one list of figures, printed for people and as JSON. Both
 * printers show the same figures: every figure is in the JSON under its
 * name, and the summary shows the values the JSON has. */
#include <cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "options.h"
#include "report.h"
#include "unit.h"

static struct lg_stats stats; /* large: keep them off the stack */
static struct figures figures;

/* A run with a different value in every figure the summary shows. */
static void fill(struct lg_stats *s)
{
    stats_init(s);
    for (uint64_t i = 1; i <= 5000; i++)
        hist_record(&s->latency, 1000 + i * 37);
    for (uint64_t i = 1; i <= 300; i++)
        hist_record(&s->send_lag, i * 11);
    s->counts[REPLY_ACCEPTED] = 4001;
    s->counts[REPLY_ERR_INVALID_EVENT] = 702;
    s->counts[REPLY_REJ_SERVER_BUSY] = 303;
    s->total_counts[REPLY_ACCEPTED] = 4104;
    s->measured_sent = 4997;
    s->window_replies = 4990;
    s->window_start_ns = 1000;
    s->window_end_ns = 1000 + 2000000000ull;
    s->sent = 5200;
    s->replies = 5150;
    s->scheduled = 5100;
    s->backlog_at_end = 77;
    s->unsent_closed = 23;
    s->protocol_errors = 2;
    s->verify_errors = 5;
    s->unanswered = 9;
    s->sent_refused = 4;
    stats_add_sample(s, "reply does not answer", "{\"type\":\"event\"}", 16, "{\"x\":1}", 7);
    s->conns_opened = 60;
    s->connect_failed = 14;
    s->refused = 3;
    s->resets = 12;
    s->closed_by_server = 1234;
    s->timed_out = 1;
    s->conns_served = 59;
    s->reopened = 1300;
    s->reopen_failed = 17;
    s->gave_up = 6;
    s->first_connect_errno = ECONNREFUSED;
}

/* The summary and the JSON of the run above, with args on the command line. */
static void report(const char *const *args, char **human, cJSON **json)
{
    static char *argv[32];
    int argc = 0;
    argv[argc++] = (char *)"loadgen";
    for (; *args; args++)
        argv[argc++] = (char *)*args;
    static struct lg_options o;
    ck_assert_int_eq(lg_options_parse(&o, argc, argv), -1);
    fill(&stats);
    static struct verify_end vend = {
        .ran = true,
        .users_checked = 2000,
        .users_wrong = 3,
        .users_unsure = 7,
        .sweeps = 4,
        .wait_s = 1.5,
        .metrics = true,
        .before = {10, 8, 2, 0},
        .after = {5010, 4800, 200, -1},
        .seen_received = 4999,
        .seen_dropped = 198,
    };
    strcpy(vend.failure, "balances did not settle");
    struct lg_result r = {.opts = &o,
                          .stats = &stats,
                          .connect_s = 0.0123,
                          .sink_lines = 5555,
                          .sink_port = 40123,
                          .vend = &vend,
                          .exit_code = 1,
                          .exit_reason = "protocol errors"};
    result_compute(&r);
    figures_collect(&figures, &r);

    size_t len;
    FILE *out = open_memstream(human, &len);
    ck_assert_ptr_nonnull(out);
    report_human(out, &figures);
    fclose(out);

    char path[] = "/tmp/lg-report-XXXXXX";
    int fd = mkstemp(path);
    ck_assert(fd >= 0);
    close(fd);
    ck_assert(report_json(path, &figures));
    FILE *f = fopen(path, "r");
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(path);
    *json = cJSON_Parse(text);
    ck_assert_msg(*json != NULL, "not JSON: %s", text);
}

/* The JSON's value at a dotted key ("connections.refused"), or NULL. */
static const cJSON *at(const cJSON *json, const char *key)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", key);
    const cJSON *node = json;
    for (char *save, *part = strtok_r(buf, ".", &save); part && node;
         part = strtok_r(NULL, ".", &save))
        node = cJSON_GetObjectItemCaseSensitive(node, part);
    return node;
}

/* 12345 -> "12,345" */
static const char *grouped(char *buf, double v)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%.0f", v);
    char *p = buf;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            *p++ = ',';
        *p++ = digits[i];
    }
    *p = '\0';
    return buf;
}

/* Every figure of the list is in the JSON, under its section and name. */
START_TEST(test_json_has_every_figure)
{
    char *human;
    cJSON *json;
    report((const char *const[]){"--target", "127.0.0.1:7003", "--rate", "12345.6", "--verify",
                                 "10", "--user-prefix", "p-", NULL},
           &human, &json);
    ck_assert_uint_gt(figures.n, 100);
    for (size_t i = 0; i < figures.n; i++) {
        const struct figure *g = &figures.items[i];
        char key[160];
        snprintf(key, sizeof key, "%s%s%s", g->section, g->section[0] ? "." : "", g->name);
        const cJSON *node = at(json, key);
        ck_assert_msg(node != NULL, "%s is not in the JSON", key);
        if (g->kind == FIG_COUNT)
            ck_assert_msg(cJSON_IsNumber(node) && node->valuedouble == (double)g->v.count,
                          "%s: %g in the JSON, %" PRIu64 " in the list", key, node->valuedouble,
                          g->v.count);
        if (g->kind == FIG_NULL)
            ck_assert_msg(cJSON_IsNull(node), "%s is not null", key);
    }
    free(human);
    cJSON_Delete(json);
}
END_TEST

/* What the summary says, each phrase with the JSON's value for %s (a count
 * grouped by thousands). */
static const char *const phrases[][2] = {
    {"throughput_rps", "throughput    %s replies/s"},
    {"requests.window_replies", "(%s replies in 2.00 s)"},
    {"requests.scheduled", "%s due in the window"},
    {"requests.measured_sent", "%s sent"},
    {"requests.backlog_at_end", "%s never sent (pipelines full"},
    {"requests.unsent_closed", "%s never sent (their connections"},
    {"replies.accepted", "accepted %s"},
    {"replies.rejected/server_busy", "rejected/server_busy %s"},
    {"replies.error/invalid_event", "error/invalid_event %s"},
    {"errors.protocol", "protocol %s,"},
    {"errors.verify", "verify %s,"},
    {"errors.unanswered", "unanswered %s"},
    {"connections.opened", "%s of"},
    {"connections.asked", "of %s opened"},
    {"connections.connect_failed", "%s failed to connect"},
    {"connections.refused", "%s refused"},
    {"connections.reset", "%s reset"},
    {"connections.closed_by_server", "%s closed by server"},
    {"connections.timed_out", "%s timed out"},
    {"connections.reopened", "reopened %s times"},
    {"connections.reopen_failed", "%s attempts failed"},
    {"connections.gave_up", "%s gave up"},
    {"requests.sent_refused", "%s requests sent on refused"},
    {"verify.end.users_checked", "of %s users' balances"},
    {"verify.end.users_unsure", "%s not checked"},
    {"verify.end.rounds", "%s rounds"},
    {"verify.end.metrics.seen_received", "saw %s taken in"},
    {"verify.end.metrics.seen_dropped", "%s dropped\n"},
    {"exit_code", "exit          %s: protocol errors"},
};

START_TEST(test_summary_shows_the_json_figures)
{
    char *human;
    cJSON *json;
    report((const char *const[]){"--target", "127.0.0.1:7003", "--rate", "12345.6", "--verify",
                                 "10", "--user-prefix", "p-", NULL},
           &human, &json);
    for (size_t i = 0; i < ARRAY_LEN(phrases); i++) {
        const cJSON *node = at(json, phrases[i][0]);
        ck_assert_msg(cJSON_IsNumber(node), "%s is not a number in the JSON", phrases[i][0]);
        char value[64], want[160];
        snprintf(want, sizeof want, phrases[i][1], grouped(value, node->valuedouble));
        ck_assert_msg(strstr(human, want), "the summary lacks '%s':\n%s", want, human);
    }
    /* Texts, times, and what the summary works out from the JSON's figures. */
    ck_assert(strstr(human, "loadgen 127.0.0.1:7003\n"));
    ck_assert(strstr(human, "12,346/s asked"));
    ck_assert(strstr(human, "opened in 0.012 s"));
    ck_assert(strstr(human, "first connect error: Connection refused"));
    ck_assert(strstr(human, "verify        FAILED: balances did not settle\n"));
    ck_assert(strstr(human, "1,997 of 2,000 users'"));
    ck_assert(strstr(human, "received 5,000, dropped 198, processed 4,792;"));
    char p50[32];
    lg_format_ns(p50, sizeof p50, (uint64_t)(at(json, "latency_us.p50")->valuedouble * 1e3 + 0.5));
    ck_assert_msg(strstr(human, p50), "the summary lacks p50 %s", p50);
    free(human);
    cJSON_Delete(json);
}
END_TEST

/* A self-test by request count: its own lines, in both. */
START_TEST(test_self_test_by_count)
{
    char *human;
    cJSON *json;
    report(
        (const char *const[]){"--self-test", "--requests", "100000", "--user-prefix", "p-", NULL},
        &human, &json);
    ck_assert(strstr(human, "loadgen self-test (built-in accept sink on port 40123)\n"));
    ck_assert(strstr(human, "measured      100,000 requests (stopped early, after 4,997)\n"));
    ck_assert(strstr(human, "the sink answered 5,555 lines"));
    ck_assert(cJSON_IsNull(at(json, "options.duration_s")));
    ck_assert(cJSON_IsNull(at(json, "verify")));
    ck_assert(at(json, "self_test.sink_lines")->valuedouble == 5555);
    ck_assert(at(json, "self_test.sink_port")->valuedouble == 40123);
    ck_assert(strstr(human, "(5,000 replies in 2.00 s)")); /* the measured ones */
    ck_assert(at(json, "requests.measured_replies")->valuedouble == 5000);
    free(human);
    cJSON_Delete(json);
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("loadgen report");
    TCase *tc = tcase_create("report");
    tcase_add_test(tc, test_json_has_every_figure);
    tcase_add_test(tc, test_summary_shows_the_json_figures);
    tcase_add_test(tc, test_self_test_by_count);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(report_suite)
