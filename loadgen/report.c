#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "response.h"
#include "verify.h"

static const double percentiles[] = {50, 90, 99, 99.9};
static const char *const percentile_names[] = {"p50", "p90", "p99", "p99.9"};
#define N_PERCENTILES (sizeof percentiles / sizeof percentiles[0])

void result_compute(struct lg_result *r)
{
    const struct lg_stats *s = r->stats;
    uint64_t start = s->window_start_ns, end = s->window_end_ns;
    r->window_s = end > start && start != UINT64_MAX ? (double)(end - start) / 1e9 : 0;
    uint64_t replies = r->opts->requests ? s->latency.count : s->window_replies;
    r->throughput = r->window_s > 0 ? (double)replies / r->window_s : 0;
}

void lg_format_ns(char *buf, size_t len, uint64_t ns)
{
    if (ns < 1000)
        snprintf(buf, len, "%" PRIu64 "ns", ns);
    else if (ns < 1000000)
        snprintf(buf, len, "%.1fus", (double)ns / 1e3);
    else if (ns < 1000000000)
        snprintf(buf, len, "%.2fms", (double)ns / 1e6);
    else
        snprintf(buf, len, "%.2fs", (double)ns / 1e9);
}

/* 12345678 -> "12,345,678". */
static const char *grouped(char *buf, uint64_t v)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%" PRIu64, v);
    char *p = buf;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            *p++ = ',';
        *p++ = digits[i];
    }
    *p = '\0';
    return buf;
}

static void describe_load(char *buf, size_t len, const struct lg_options *o)
{
    char mix[128];
    mix_format(o->mix, mix, sizeof mix);
    int n = snprintf(buf, len, "%s, %u thread%s, %u connection%s x pipeline %u",
                     o->rate > 0 ? "open loop" : "closed loop", o->threads,
                     o->threads == 1 ? "" : "s", o->conns, o->conns == 1 ? "" : "s", o->pipeline);
    if (n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, "; mix %s, %u users %s", mix, o->users,
                 o->dist == DIST_UNIFORM ? "uniform" : "zipf");
}

/* "passed" or "FAILED", then what the checks at the end found. */
static void report_verify(FILE *out, const struct lg_result *r)
{
    const struct verify_end *v = r->vend;
    char g1[32], g2[32], g3[32], g4[32], g5[32];
    fprintf(out, "  verify        %s", r->verify_passed ? "passed" : "FAILED");
    if (!v || !v->ran) {
        fprintf(out, "\n");
        return;
    }
    if (v->failure[0])
        fprintf(out, ": %s", v->failure);
    fprintf(out, "\n");
    if (v->users_checked || v->users_unsure) {
        fprintf(out, "                %s of %s users' balances %s (%s, %u %s, %.2f s)",
                grouped(g1, v->users_checked - v->users_wrong), grouped(g2, v->users_checked),
                v->probes ? "are the sums of their events"
                          : "are the sums of their accepted events",
                v->probes ? "one more event each" : "one query each", v->sweeps,
                v->sweeps == 1 ? "round" : "rounds", v->wait_s);
        if (v->users_unsure)
            fprintf(out, "; %s not checked (an event lost in flight)",
                    grouped(g3, v->users_unsure));
        fprintf(out, "\n");
    }
    if (v->metrics)
        fprintf(out,
                "                metrics grew by received %s, dropped %s, processed %s; "
                "loadgen saw %s taken in, %s dropped\n",
                grouped(g1, v->after.received - v->before.received),
                grouped(g2, v->after.dropped - v->before.dropped),
                grouped(g3, v->after.processed - v->before.processed),
                grouped(g4, v->seen_received), grouped(g5, v->seen_dropped));
}

void report_human(FILE *out, const struct lg_result *r)
{
    const struct lg_options *o = r->opts;
    const struct lg_stats *s = r->stats;
    char g1[32], g2[32], g3[32], line[512];
    describe_load(line, sizeof line, o);
    if (o->self_test)
        fprintf(out, "loadgen self-test (built-in %s sink on port %d)\n",
                o->self_test == SELF_TEST_ECHO ? "echo" : "accept", r->sink_port);
    else
        fprintf(out, "loadgen %s\n", o->target);
    fprintf(out, "  load          %s", line);
    if (o->dist == DIST_ZIPF)
        fprintf(out, ":%g", o->zipf_s);
    fprintf(out, "\n");
    if (o->requests)
        fprintf(out, "  measured      %s requests", grouped(g1, o->requests));
    else
        fprintf(out, "  measured      %.2f s", o->duration_s);
    if (!o->requests && r->window_s < o->duration_s - 0.01)
        fprintf(out, " (stopped early, after %.2f s)", r->window_s);
    else if (o->requests && s->measured_sent < o->requests)
        fprintf(out, " (stopped early, after %s)", grouped(g2, s->measured_sent));
    if (o->warmup_s > 0)
        fprintf(out, " after %.2f s of warm-up", o->warmup_s);
    if (o->verify)
        fprintf(out, "; verify %s", verify_name(o->verify));
    fprintf(out, "\n");

    fprintf(out, "  throughput    %s replies/s  (%s replies in %.2f s)\n",
            grouped(g1, (uint64_t)(r->throughput + 0.5)),
            grouped(g2, o->requests ? s->latency.count : s->window_replies), r->window_s);
    if (o->rate > 0 && !o->requests) {
        fprintf(out, "  schedule      %s/s asked: %s due in the window, %s sent",
                grouped(g1, (uint64_t)(o->rate + 0.5)), grouped(g2, s->scheduled),
                grouped(g3, s->measured_sent));
        if (s->backlog_at_end)
            fprintf(out, ", %s never sent (pipelines full: the server fell behind)",
                    grouped(g1, s->backlog_at_end));
        if (s->unsent_closed)
            fprintf(out, ", %s never sent (their connections had closed)",
                    grouped(g1, s->unsent_closed));
        fprintf(out, "\n");
    }

    if (o->rate > 0 && s->send_lag.count) {
        char a[32], b[32], c[32];
        lg_format_ns(a, sizeof a, hist_percentile(&s->send_lag, 50));
        lg_format_ns(b, sizeof b, hist_percentile(&s->send_lag, 99));
        lg_format_ns(c, sizeof c, s->send_lag.max);
        fprintf(out,
                "  send lag      p50 %s, p99 %s, max %s behind schedule (part of the latency)\n", a,
                b, c);
    }
    const struct histogram *h = &s->latency;
    fprintf(out, "  latency      ");
    for (size_t i = 0; i < N_PERCENTILES; i++)
        fprintf(out, " %-9s", percentile_names[i]);
    fprintf(out, " %-9s %-9s\n              ", "max", "mean");
    char t[32];
    for (size_t i = 0; i < N_PERCENTILES; i++) {
        lg_format_ns(t, sizeof t, hist_percentile(h, percentiles[i]));
        fprintf(out, " %-9s", t);
    }
    lg_format_ns(t, sizeof t, h->count ? h->max : 0);
    fprintf(out, " %-9s", t);
    lg_format_ns(t, sizeof t, (uint64_t)hist_mean(h));
    fprintf(out, " %-9s  (%s, from %s send time)\n", t, h->count ? "per request" : "no replies",
            o->rate > 0 ? "intended" : "actual");

    fprintf(out, "  replies      ");
    bool any = false;
    for (int k = 0; k < REPLY_COUNT; k++) {
        if (s->counts[k]) {
            fprintf(out, " %s %s", reply_kind_name((enum reply_kind)k), grouped(g1, s->counts[k]));
            any = true;
        }
    }
    fprintf(out, "%s\n", any ? "" : " none");

    if (s->protocol_errors || s->verify_errors || s->unanswered) {
        fprintf(out, "  errors        protocol %s, verify %s, unanswered %s\n",
                grouped(g1, s->protocol_errors), grouped(g2, s->verify_errors),
                grouped(g3, s->unanswered));
        for (unsigned i = 0; i < s->n_samples; i++) {
            fprintf(out, "    %s\n      request: %s\n      reply:   %s\n", s->samples[i].what,
                    s->samples[i].request, s->samples[i].reply);
        }
    } else {
        fprintf(out, "  errors        none\n");
    }
    fprintf(out,
            "  connections   %s of %s opened in %.3f s; %s failed to connect, %s refused, %s "
            "reset, %s closed by server, %s timed out\n",
            grouped(g1, s->conns_opened), grouped(line + 120, o->conns), r->connect_s,
            grouped(g2, s->connect_failed), grouped(g3, s->refused), grouped(line, s->resets),
            grouped(line + 40, s->closed_by_server), grouped(line + 80, s->timed_out));
    if (s->reopened || s->reopen_failed || s->gave_up || s->sent_refused)
        fprintf(out,
                "                reopened %s times, %s attempts failed, %s gave up; %s requests "
                "sent on refused connections\n",
                grouped(g1, s->reopened), grouped(g2, s->reopen_failed), grouped(g3, s->gave_up),
                grouped(line, s->sent_refused));
    if (s->connect_failed && s->first_connect_errno)
        fprintf(out, "                first connect error: %s\n", strerror(s->first_connect_errno));
    if (o->self_test && o->rate > 0)
        fprintf(out,
                "  self-test     the sink answered %s lines (open loop: the rate was asked, "
                "this is no ceiling)\n",
                grouped(g1, r->sink_lines));
    else if (o->self_test)
        fprintf(out,
                "  self-test     the sink answered %s lines: loadgen's own ceiling here is "
                "about %s replies/s with these options\n",
                grouped(g1, r->sink_lines), grouped(g2, (uint64_t)(r->throughput + 0.5)));
    if (o->verify)
        report_verify(out, r);
    if (r->exit_code)
        fprintf(out, "  exit          %d: %s\n", r->exit_code, r->exit_reason);
}

/*** JSON ***/

static void jstr(FILE *f, const char *s)
{
    size_t n = strlen(s);
    char *buf = malloc(json_escaped_max(n));
    if (!buf) {
        fputs("\"\"", f);
        return;
    }
    fwrite(buf, 1, json_escape(buf, s, n), f);
    free(buf);
}

static void jdouble(FILE *f, double v)
{
    fprintf(f, "%.6g", v);
}

static void cpu_model(char *buf, size_t len)
{
    snprintf(buf, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *colon = strchr(line, ':');
            if (colon) {
                colon++;
                while (*colon == ' ' || *colon == '\t')
                    colon++;
                colon[strcspn(colon, "\n")] = '\0';
                snprintf(buf, len, "%s", colon);
            }
            break;
        }
    }
    fclose(f);
}

static void json_options(FILE *f, const struct lg_options *o)
{
    char mix[128];
    mix_format(o->mix, mix, sizeof mix);
    fprintf(f, "  \"options\": {\n    \"target\": ");
    jstr(f, o->target ? o->target : "");
    fprintf(f, ",\n    \"threads\": %u,\n    \"conns\": %u,\n    \"pipeline\": %u,\n", o->threads,
            o->conns, o->pipeline);
    fprintf(f, "    \"duration_s\": ");
    if (o->requests)
        fprintf(f, "null");
    else
        jdouble(f, o->duration_s);
    fprintf(f, ",\n    \"requests\": ");
    if (o->requests)
        fprintf(f, "%" PRIu64, o->requests);
    else
        fprintf(f, "null");
    fprintf(f, ",\n    \"warmup_s\": ");
    jdouble(f, o->warmup_s);
    fprintf(f, ",\n    \"rate\": ");
    if (o->rate > 0)
        jdouble(f, o->rate);
    else
        fprintf(f, "null");
    fprintf(f, ",\n    \"mix\": {");
    for (int k = 0; k < RK_COUNT; k++)
        fprintf(f, "%s\"%s\": %u", k ? ", " : "", req_kind_name((enum req_kind)k), o->mix[k]);
    fprintf(f, "},\n    \"mix_text\": ");
    jstr(f, mix);
    fprintf(f, ",\n    \"users\": %u,\n    \"dist\": \"%s\",\n    \"zipf_s\": ", o->users,
            o->dist == DIST_UNIFORM ? "uniform" : "zipf");
    if (o->dist == DIST_ZIPF)
        jdouble(f, o->zipf_s);
    else
        fprintf(f, "null");
    fprintf(f, ",\n    \"seed\": %" PRIu64 ",\n    \"user_prefix\": ", o->seed);
    jstr(f, o->user_prefix);
    fprintf(f, ",\n    \"verify\": ");
    if (o->verify)
        jstr(f, verify_name(o->verify));
    else
        fprintf(f, "null");
    fprintf(f, ",\n    \"timeout_ms\": %u,\n    \"connect_timeout_ms\": %u,\n", o->timeout_ms,
            o->connect_timeout_ms);
    fprintf(f, "    \"self_test\": %s,\n    \"argv\": [",
            o->self_test == SELF_TEST_NONE     ? "null"
            : o->self_test == SELF_TEST_ACCEPT ? "\"accept\""
                                               : "\"echo\"");
    for (int i = 0; i < o->argc; i++) {
        if (i)
            fprintf(f, ", ");
        jstr(f, o->argv[i]);
    }
    fprintf(f, "]\n  },\n");
}

static void json_latency(FILE *f, const char *name, const struct histogram *h)
{
    static const double ps[] = {50, 75, 90, 99, 99.9, 99.99};
    static const char *const names[] = {"p50", "p75", "p90", "p99", "p99_9", "p99_99"};
    fprintf(f, "  \"%s\": {\n    \"count\": %" PRIu64 ",\n    \"min\": ", name, h->count);
    jdouble(f, h->count ? (double)h->min / 1e3 : 0);
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        fprintf(f, ",\n    \"%s\": ", names[i]);
        jdouble(f, (double)hist_percentile(h, ps[i]) / 1e3);
    }
    fprintf(f, ",\n    \"max\": ");
    jdouble(f, h->count ? (double)h->max / 1e3 : 0);
    fprintf(f, ",\n    \"mean\": ");
    jdouble(f, hist_mean(h) / 1e3);
    fprintf(f, ",\n    \"stdev\": ");
    jdouble(f, hist_stddev(h) / 1e3);
    fprintf(f, ",\n    \"above_range\": %" PRIu64 ",\n", h->clamped);
    /* The non-empty buckets, as [lowest value in ns, count]: enough to redraw
     * the distribution or merge runs. */
    fprintf(f, "    \"histogram_ns\": [");
    bool first = true;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        if (!h->buckets[i])
            continue;
        fprintf(f, "%s[%" PRIu64 ", %" PRIu64 "]", first ? "" : ", ", hist_bucket_low(i),
                h->buckets[i]);
        first = false;
    }
    fprintf(f, "]\n  },\n");
}

static void json_counts(FILE *f, const char *name, const uint64_t *counts)
{
    fprintf(f, "  \"%s\": {", name);
    for (int k = 0; k < REPLY_COUNT; k++)
        fprintf(f, "%s\"%s\": %" PRIu64, k ? ", " : "", reply_kind_name((enum reply_kind)k),
                counts[k]);
    fprintf(f, "},\n");
}

static void json_metrics(FILE *f, const struct lg_metrics *m)
{
    fprintf(f,
            "{\"received\": %" PRIu64 ", \"processed\": %" PRIu64 ", \"dropped\": %" PRIu64
            ", \"queued\": %" PRId64 "}",
            m->received, m->processed, m->dropped, m->queued);
}

/* The checks at the end of the run, or null if none were made. */
static void json_verify_end(FILE *f, const struct verify_end *v)
{
    if (!v || !v->ran) {
        fprintf(f, "null");
        return;
    }
    fprintf(f, "{\"passed\": %s, \"failure\": ", v->passed ? "true" : "false");
    if (v->failure[0])
        jstr(f, v->failure);
    else
        fprintf(f, "null");
    fprintf(f,
            ", \"users_checked\": %" PRIu64 ", \"users_wrong\": %" PRIu64
            ", \"users_unsure\": %" PRIu64 ", \"probes\": %" PRIu64 ", \"rounds\": %u"
            ", \"wait_s\": ",
            v->users_checked, v->users_wrong, v->users_unsure, v->probes, v->sweeps);
    jdouble(f, v->wait_s);
    fprintf(f, ", \"metrics\": ");
    if (v->metrics) {
        fprintf(f, "{\"before\": ");
        json_metrics(f, &v->before);
        fprintf(f, ", \"after\": ");
        json_metrics(f, &v->after);
        fprintf(f,
                ", \"seen_received\": %" PRIu64 ", \"seen_dropped\": %" PRIu64
                ", \"lost\": %" PRIu64 ", \"wrong\": %u}",
                v->seen_received, v->seen_dropped, v->lost, v->metrics_wrong);
    } else {
        fprintf(f, "null");
    }
    fprintf(f, "}");
}

bool report_json(const char *path, const struct lg_result *r)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "loadgen: cannot write %s: %s\n", path, strerror(errno));
        return false;
    }
    const struct lg_options *o = r->opts;
    const struct lg_stats *s = r->stats;
    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    fprintf(f, "{\n  \"tool\": \"loadgen\",\n");
    fprintf(f, "  \"machine\": {\"cpu_model\": ");
    jstr(f, cpu);
    /* A loopback target shares this machine's CPUs with loadgen; another may not. */
    bool loopback = o->self_test || strncmp(o->host, "127.", 4) == 0 ||
                    strcmp(o->host, "localhost") == 0 || strcmp(o->host, "::1") == 0;
    fprintf(f, ", \"cpus_online\": %ld, \"shared_with_server\": %s},\n",
            sysconf(_SC_NPROCESSORS_ONLN), loopback ? "true" : "null");
    json_options(f, o);
    fprintf(f, "  \"mode\": \"%s\",\n", o->rate > 0 ? "open" : "closed");
    fprintf(f, "  \"window_s\": ");
    jdouble(f, r->window_s);
    fprintf(f, ",\n  \"throughput_rps\": ");
    jdouble(f, r->throughput);
    fprintf(f, ",\n  \"connect_s\": ");
    jdouble(f, r->connect_s);
    fprintf(f,
            ",\n  \"requests\": {\"sent\": %" PRIu64 ", \"measured_sent\": %" PRIu64
            ", \"replies\": %" PRIu64 ", \"measured_replies\": %" PRIu64
            ", \"window_replies\": %" PRIu64 ", \"scheduled\": %" PRIu64
            ", \"backlog_at_end\": %" PRIu64 ", \"unsent_closed\": %" PRIu64
            ", \"bytes_sent\": %" PRIu64 ", \"bytes_received\": %" PRIu64
            ", \"sent_refused\": %" PRIu64 "},\n",
            s->sent, s->measured_sent, s->replies, s->latency.count, s->window_replies,
            s->scheduled, s->backlog_at_end, s->unsent_closed, s->bytes_sent, s->bytes_received,
            s->sent_refused);
    fprintf(f,
            "  \"syscalls\": {\"recv\": %" PRIu64 ", \"send\": %" PRIu64
            ", \"epoll_wait\": %" PRIu64 "},\n",
            s->reads, s->writes, s->wakeups);
    json_latency(f, "latency_us", &s->latency);
    json_latency(f, "send_lag_us", &s->send_lag);
    json_counts(f, "replies", s->counts);
    json_counts(f, "replies_whole_run", s->total_counts);
    fprintf(f,
            "  \"errors\": {\"protocol\": %" PRIu64 ", \"verify\": %" PRIu64
            ", \"unanswered\": %" PRIu64 ", \"samples\": [",
            s->protocol_errors, s->verify_errors, s->unanswered);
    for (unsigned i = 0; i < s->n_samples; i++) {
        fprintf(f, "%s{\"what\": ", i ? ", " : "");
        jstr(f, s->samples[i].what);
        fprintf(f, ", \"request\": ");
        jstr(f, s->samples[i].request);
        fprintf(f, ", \"reply\": ");
        jstr(f, s->samples[i].reply);
        fprintf(f, "}");
    }
    fprintf(f, "]},\n");
    fprintf(
        f,
        "  \"connections\": {\"asked\": %u, \"opened\": %" PRIu64 ", \"connect_failed\": %" PRIu64
        ", \"refused\": %" PRIu64 ", \"reset\": %" PRIu64 ", \"closed_by_server\": %" PRIu64
        ", \"timed_out\": %" PRIu64 ", \"served\": %" PRIu64 ", \"reopened\": %" PRIu64
        ", \"reopen_failed\": %" PRIu64 ", \"gave_up\": %" PRIu64 ", \"first_connect_error\": ",
        o->conns, s->conns_opened, s->connect_failed, s->refused, s->resets, s->closed_by_server,
        s->timed_out, s->conns_served, s->reopened, s->reopen_failed, s->gave_up);
    if (s->first_connect_errno)
        jstr(f, strerror(s->first_connect_errno));
    else
        fprintf(f, "null");
    fprintf(f, "},\n");
    fprintf(f, "  \"verify\": ");
    if (o->verify) {
        fprintf(f, "{\"mode\": \"%s\", \"passed\": %s, \"end\": ", verify_name(o->verify),
                r->verify_passed ? "true" : "false");
        json_verify_end(f, r->vend);
        fprintf(f, "},\n");
    } else {
        fprintf(f, "null,\n");
    }
    fprintf(f, "  \"self_test\": ");
    if (o->self_test)
        fprintf(f, "{\"sink\": \"%s\", \"sink_lines\": %" PRIu64 ", \"ceiling_rps\": ",
                o->self_test == SELF_TEST_ECHO ? "echo" : "accept", r->sink_lines);
    if (o->self_test) {
        jdouble(f, r->throughput);
        fprintf(f, "},\n");
    } else {
        fprintf(f, "null,\n");
    }
    fprintf(f, "  \"exit_code\": %d,\n  \"exit_reason\": ", r->exit_code);
    if (r->exit_reason)
        jstr(f, r->exit_reason);
    else
        fprintf(f, "null");
    fprintf(f, "\n}\n");
    bool ok = !ferror(f);
    if (fclose(f) != 0 || !ok) {
        fprintf(stderr, "loadgen: cannot write %s\n", path);
        return false;
    }
    return true;
}
