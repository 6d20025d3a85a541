/* The two printers of the figures: the summary people read, and the JSON.
 * The summary's lines are templates that name the figures they show
 * ({connections.refused}), so each figure's value comes from the one list. */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "response.h"

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

/*** the summary ***/

#define TEXT_MAX 256 /* one figure as text */

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

/* A figure as people read it: "12,345", "1.85ms", "0.25". */
static const char *human_text(char *buf, const struct figure *g, const char *key)
{
    switch (g->kind) {
    case FIG_COUNT: return grouped(buf, g->v.count);
    case FIG_INTEGER: snprintf(buf, TEXT_MAX, "%" PRId64, g->v.integer); return buf;
    case FIG_NUMBER: snprintf(buf, TEXT_MAX, "%.2f", g->v.number); return buf;
    case FIG_RATE: return grouped(buf, (uint64_t)(g->v.number + 0.5));
    case FIG_NS: lg_format_ns(buf, TEXT_MAX, (uint64_t)g->v.number); return buf;
    case FIG_TEXT: return g->v.text;
    case FIG_FLAG: return g->v.flag ? "true" : "false";
    default: break;
    }
    fprintf(stderr, "loadgen: the summary cannot show figure %s\n", key);
    abort(); /* only a bug gets here */
}

/* The conversion of a printf format say() takes: 's' ("%-9s"), 'f' ("%.3f",
 * "%g") or 'u' ("%llu"); 0 for any other. */
static char conversion(const char *fmt)
{
    if (fmt[0] != '%')
        return 0;
    const char *c = fmt + 1 + strspn(fmt + 1, "-0123456789.");
    if (strcmp(c, "s") == 0)
        return 's';
    if (strcmp(c, "f") == 0 || strcmp(c, "g") == 0)
        return 'f';
    return strcmp(c, "llu") == 0 ? 'u' : 0;
}

/* Writes tmpl with each {KEY} replaced by that figure as people read it, and
 * each {KEY%FMT} by the figure through printf's FMT: %...s takes the text,
 * %...f and %...g the number, %...llu the count. */
static void say(FILE *out, const struct figures *f, const char *tmpl)
{
    for (const char *p = tmpl; *p;) {
        const char *open = strchr(p, '{');
        if (!open) {
            fputs(p, out);
            return;
        }
        fwrite(p, 1, (size_t)(open - p), out);
        char key[128], fmt[16] = "";
        size_t n = strcspn(open + 1, "}");
        size_t k = strcspn(open + 1, "%}");
        if (open[1 + n] != '}' || n >= sizeof key || n - k >= sizeof fmt)
            abort(); /* a template without its '}': only a bug gets here */
        memcpy(key, open + 1, k);
        key[k] = '\0';
        memcpy(fmt, open + 1 + k, n - k);
        fmt[n - k] = '\0';
        const struct figure *g = figure_find(f, key);
        char buf[TEXT_MAX];
        switch (fmt[0] ? conversion(fmt) : '-') {
        case '-': fputs(human_text(buf, g, key), out); break;
        case 's': fprintf(out, fmt, human_text(buf, g, key)); break;
        case 'f': fprintf(out, fmt, figure_number(f, key)); break;
        case 'u': fprintf(out, fmt, (unsigned long long)figure_count(f, key)); break;
        default: abort(); /* a format say() does not take: only a bug gets here */
        }
        p = open + 2 + n;
    }
}

/* "1 thread", "2 threads". */
static void say_counted(FILE *out, const struct figures *f, const char *key, const char *noun)
{
    uint64_t n = figure_count(f, key);
    fprintf(out, "%" PRIu64 " %s%s", n, noun, n == 1 ? "" : "s");
}

static void say_load(FILE *out, const struct figures *f)
{
    say(out, f, "  load          {mode} loop, ");
    say_counted(out, f, "options.threads", "thread");
    fputs(", ", out);
    say_counted(out, f, "options.conns", "connection");
    say(out, f,
        " x pipeline {options.pipeline%llu}; mix {options.mix_text}, {options.users%llu} users "
        "{options.dist}");
    if (figure_present(f, "options.zipf_s"))
        say(out, f, ":{options.zipf_s%g}");
    fputs("\n", out);
}

static void say_measured(FILE *out, const struct figures *f)
{
    bool by_count = figure_present(f, "options.requests");
    if (by_count)
        say(out, f, "  measured      {options.requests} requests");
    else
        say(out, f, "  measured      {options.duration_s} s");
    if (!by_count && figure_number(f, "window_s") < figure_number(f, "options.duration_s") - 0.01)
        say(out, f, " (stopped early, after {window_s} s)");
    else if (by_count &&
             figure_count(f, "requests.measured_sent") < figure_count(f, "options.requests"))
        say(out, f, " (stopped early, after {requests.measured_sent})");
    if (figure_number(f, "options.warmup_s") > 0)
        say(out, f, " after {options.warmup_s} s of warm-up");
    if (figure_present(f, "options.verify"))
        say(out, f, "; verify {options.verify}");
    fputs("\n", out);
    say(out, f,
        by_count ? "  throughput    {throughput_rps} replies/s  ({requests.measured_replies} "
                   "replies in {window_s} s)\n"
                 : "  throughput    {throughput_rps} replies/s  ({requests.window_replies} "
                   "replies in {window_s} s)\n");
}

/* The open loop: the schedule kept, and how late requests went out. */
static void say_schedule(FILE *out, const struct figures *f)
{
    if (!figure_present(f, "options.rate"))
        return;
    if (!figure_present(f, "options.requests")) {
        say(out, f,
            "  schedule      {options.rate}/s asked: {requests.scheduled} due in the window, "
            "{requests.measured_sent} sent");
        if (figure_count(f, "requests.backlog_at_end"))
            say(out, f,
                ", {requests.backlog_at_end} never sent (pipelines full: the server fell "
                "behind)");
        if (figure_count(f, "requests.unsent_closed"))
            say(out, f, ", {requests.unsent_closed} never sent (their connections had closed)");
        fputs("\n", out);
    }
    if (figure_count(f, "send_lag_us.count"))
        say(out, f,
            "  send lag      p50 {send_lag_us.p50}, p99 {send_lag_us.p99}, max {send_lag_us.max} "
            "behind schedule (part of the latency)\n");
}

static void say_latency(FILE *out, const struct figures *f)
{
    static const char *const columns[][2] = {
        {"p50", "latency_us.p50"},     {"p90", "latency_us.p90"}, {"p99", "latency_us.p99"},
        {"p99.9", "latency_us.p99_9"}, {"max", "latency_us.max"}, {"mean", "latency_us.mean"},
    };
    fputs("  latency      ", out);
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++)
        fprintf(out, " %-9s", columns[i][0]);
    fputs("\n              ", out);
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++) {
        char column[64];
        snprintf(column, sizeof column, " {%s%%-9s}", columns[i][1]);
        say(out, f, column);
    }
    fprintf(out, "  (%s, from %s send time)\n",
            figure_count(f, "latency_us.count") ? "per request" : "no replies",
            figure_present(f, "options.rate") ? "intended" : "actual");
}

/* The replies of the window by kind, those that came. */
static void say_replies(FILE *out, const struct figures *f)
{
    fputs("  replies      ", out);
    bool any = false;
    for (size_t i = 0; i < f->n; i++) {
        const struct figure *g = &f->items[i];
        if (strcmp(g->section, "replies") == 0 && g->v.count) {
            char buf[TEXT_MAX];
            fprintf(out, " %s %s", g->name, grouped(buf, g->v.count));
            any = true;
        }
    }
    fprintf(out, "%s\n", any ? "" : " none");
}

static void say_errors(FILE *out, const struct figures *f)
{
    if (!figure_count(f, "errors.protocol") && !figure_count(f, "errors.verify") &&
        !figure_count(f, "errors.unanswered")) {
        fputs("  errors        none\n", out);
        return;
    }
    say(out, f,
        "  errors        protocol {errors.protocol}, verify {errors.verify}, unanswered "
        "{errors.unanswered}\n");
    const struct lg_stats *s = figure_find(f, "errors.samples")->v.samples;
    for (unsigned i = 0; i < s->n_samples; i++)
        fprintf(out, "    %s\n      request: %s\n      reply:   %s\n", s->samples[i].what,
                s->samples[i].request, s->samples[i].reply);
}

static void say_connections(FILE *out, const struct figures *f)
{
    say(out, f,
        "  connections   {connections.opened} of {connections.asked} opened in {connect_s%.3f} "
        "s; {connections.connect_failed} failed to connect, {connections.refused} refused, "
        "{connections.reset} reset, {connections.closed_by_server} closed by server, "
        "{connections.timed_out} timed out\n");
    if (figure_count(f, "connections.reopened") || figure_count(f, "connections.reopen_failed") ||
        figure_count(f, "connections.gave_up") || figure_count(f, "requests.sent_refused"))
        say(out, f,
            "                reopened {connections.reopened} times, "
            "{connections.reopen_failed} attempts failed, {connections.gave_up} gave up; "
            "{requests.sent_refused} requests sent on refused connections\n");
    if (figure_count(f, "connections.connect_failed") &&
        figure_present(f, "connections.first_connect_error"))
        say(out, f, "                first connect error: {connections.first_connect_error}\n");
}

static void say_self_test(FILE *out, const struct figures *f)
{
    if (!figure_present(f, "self_test"))
        return;
    if (figure_present(f, "options.rate"))
        say(out, f,
            "  self-test     the sink answered {self_test.sink_lines} lines (open loop: the rate "
            "was asked, this is no ceiling)\n");
    else
        say(out, f,
            "  self-test     the sink answered {self_test.sink_lines} lines: loadgen's own "
            "ceiling here is about {self_test.ceiling_rps} replies/s with these options\n");
}

/* How much a server's metric grew over the run. */
static uint64_t grew(const struct figures *f, const char *metric)
{
    char before[64], after[64];
    snprintf(before, sizeof before, "verify.end.metrics.before.%s", metric);
    snprintf(after, sizeof after, "verify.end.metrics.after.%s", metric);
    return figure_count(f, after) - figure_count(f, before);
}

/* "passed" or "FAILED", then what the checks at the end found. */
static void say_verify(FILE *out, const struct figures *f)
{
    if (!figure_present(f, "verify"))
        return;
    fprintf(out, "  verify        %s", figure_flag(f, "verify.passed") ? "passed" : "FAILED");
    if (!figure_present(f, "verify.end")) {
        fputs("\n", out);
        return;
    }
    if (figure_present(f, "verify.end.failure"))
        say(out, f, ": {verify.end.failure}");
    fputs("\n", out);
    uint64_t checked = figure_count(f, "verify.end.users_checked");
    if (checked || figure_count(f, "verify.end.users_unsure")) {
        bool probed = figure_count(f, "verify.end.probes") > 0;
        char right[TEXT_MAX];
        fprintf(out, "                %s",
                grouped(right, checked - figure_count(f, "verify.end.users_wrong")));
        say(out, f,
            probed ? " of {verify.end.users_checked} users' balances are the sums of their events "
                     "(one more event each, "
                   : " of {verify.end.users_checked} users' balances are the sums of their "
                     "accepted events (one query each, ");
        say_counted(out, f, "verify.end.rounds", "round");
        say(out, f, ", {verify.end.wait_s} s)");
        if (figure_count(f, "verify.end.users_unsure"))
            say(out, f, "; {verify.end.users_unsure} not checked (an event lost in flight)");
        fputs("\n", out);
    }
    if (figure_present(f, "verify.end.metrics")) {
        char received[TEXT_MAX], dropped[TEXT_MAX], processed[TEXT_MAX];
        fprintf(out, "                metrics grew by received %s, dropped %s, processed %s; ",
                grouped(received, grew(f, "received")), grouped(dropped, grew(f, "dropped")),
                grouped(processed, grew(f, "processed")));
        say(out, f,
            "loadgen saw {verify.end.metrics.seen_received} taken in, "
            "{verify.end.metrics.seen_dropped} dropped\n");
    }
}

void report_human(FILE *out, const struct figures *f)
{
    if (figure_present(f, "self_test"))
        say(out, f,
            "loadgen self-test (built-in {self_test.sink} sink on port "
            "{self_test.sink_port%llu})\n");
    else
        say(out, f, "loadgen {options.target}\n");
    say_load(out, f);
    say_measured(out, f);
    say_schedule(out, f);
    say_latency(out, f);
    say_replies(out, f);
    say_errors(out, f);
    say_connections(out, f);
    say_self_test(out, f);
    say_verify(out, f);
    if (figure_find(f, "exit_code")->v.integer)
        say(out, f, "  exit          {exit_code}: {exit_reason}\n");
}

/*** JSON ***/

#define JSON_DEPTH_MAX   8
#define JSON_LINES_DEPTH 2 /* members this deep or less have lines of their own */

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

static void json_value(FILE *f, const struct figure *g)
{
    switch (g->kind) {
    case FIG_COUNT: fprintf(f, "%" PRIu64, g->v.count); break;
    case FIG_INTEGER: fprintf(f, "%" PRId64, g->v.integer); break;
    case FIG_NUMBER:
    case FIG_RATE: jdouble(f, g->v.number); break;
    case FIG_NS: jdouble(f, g->v.number / 1e3); break;
    case FIG_TEXT: jstr(f, g->v.text); break;
    case FIG_FLAG: fputs(g->v.flag ? "true" : "false", f); break;
    case FIG_NULL: fputs("null", f); break;
    case FIG_TEXTS:
        fputc('[', f);
        for (int i = 0; i < g->v.texts.n; i++) {
            if (i)
                fputs(", ", f);
            jstr(f, g->v.texts.items[i]);
        }
        fputc(']', f);
        break;
    case FIG_BUCKETS: { /* [lowest value in ns, count] */
        const struct histogram *h = g->v.hist;
        bool first = true;
        fputc('[', f);
        for (unsigned i = 0; i < HIST_BUCKETS; i++) {
            if (!h->buckets[i])
                continue;
            fprintf(f, "%s[%" PRIu64 ", %" PRIu64 "]", first ? "" : ", ", hist_bucket_low(i),
                    h->buckets[i]);
            first = false;
        }
        fputc(']', f);
        break;
    }
    case FIG_SAMPLES: {
        const struct lg_stats *s = g->v.samples;
        fputc('[', f);
        for (unsigned i = 0; i < s->n_samples; i++) {
            fprintf(f, "%s{\"what\": ", i ? ", " : "");
            jstr(f, s->samples[i].what);
            fputs(", \"request\": ", f);
            jstr(f, s->samples[i].request);
            fputs(", \"reply\": ", f);
            jstr(f, s->samples[i].reply);
            fputc('}', f);
        }
        fputc(']', f);
        break;
    }
    }
}

/* The objects open while the figures are written, the document's own first. */
struct json_writer {
    FILE *f;
    int depth;
    struct {
        const char *name;
        size_t len;
    } open[JSON_DEPTH_MAX];
    bool first; /* nothing written in the innermost object yet */
};

static void json_member(struct json_writer *w)
{
    if (!w->first)
        fputc(',', w->f);
    if (w->depth <= JSON_LINES_DEPTH)
        fprintf(w->f, "\n%*s", 2 * w->depth, "");
    else if (!w->first)
        fputc(' ', w->f);
    w->first = false;
}

static void json_close(struct json_writer *w)
{
    if (w->depth <= JSON_LINES_DEPTH)
        fprintf(w->f, "\n%*s}", 2 * (w->depth - 1), "");
    else
        fputc('}', w->f);
    w->depth--;
    w->first = false;
}

/* Closes and opens objects until the innermost one is section ("verify.end"). */
static void json_enter(struct json_writer *w, const char *section)
{
    int level = 1; /* objects of section that are open: the document, then its parts */
    const char *p = section;
    while (*p) {
        size_t len = strcspn(p, ".");
        if (level == w->depth || w->open[level].len != len ||
            memcmp(w->open[level].name, p, len) != 0)
            break;
        level++;
        p += len + (p[len] == '.');
    }
    while (w->depth > level)
        json_close(w);
    while (*p) {
        size_t len = strcspn(p, ".");
        if (w->depth == JSON_DEPTH_MAX)
            abort(); /* only a bug gets here */
        json_member(w);
        fprintf(w->f, "\"%.*s\": {", (int)len, p);
        w->open[w->depth].name = p;
        w->open[w->depth].len = len;
        w->depth++;
        w->first = true;
        p += len + (p[len] == '.');
    }
}

bool report_json(const char *path, const struct figures *figs)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "loadgen: cannot write %s: %s\n", path, strerror(errno));
        return false;
    }
    struct json_writer w = {.f = f, .depth = 1, .first = true};
    fputc('{', f);
    for (size_t i = 0; i < figs->n; i++) {
        const struct figure *g = &figs->items[i];
        json_enter(&w, g->section);
        json_member(&w);
        fprintf(f, "\"%s\": ", g->name);
        json_value(f, g);
    }
    json_enter(&w, "");
    json_close(&w);
    fputc('\n', f);
    bool ok = !ferror(f);
    if (fclose(f) != 0 || !ok) {
        fprintf(stderr, "loadgen: cannot write %s\n", path);
        return false;
    }
    return true;
}
