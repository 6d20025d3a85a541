#include "figures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "verify.h"

void result_compute(struct lg_result *r)
{
    const struct lg_stats *s = r->stats;
    uint64_t start = s->window_start_ns, end = s->window_end_ns;
    r->window_s = end > start && start != UINT64_MAX ? (double)(end - start) / 1e9 : 0;
    uint64_t replies = r->opts->requests ? s->latency.count : s->window_replies;
    r->throughput = r->window_s > 0 ? (double)replies / r->window_s : 0;
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

/*** adding ***/

/* A new figure in the current section. */
static struct figure *add(struct figures *f, const char *name, enum figure_kind kind)
{
    if (f->n == FIGURES_MAX) {
        fprintf(stderr, "loadgen: more than %d figures: FIGURES_MAX is too small\n", FIGURES_MAX);
        abort(); /* only a bug gets here */
    }
    struct figure *g = &f->items[f->n++];
    *g = (struct figure){.section = f->section, .name = name, .kind = kind};
    return g;
}

static void put_count(struct figures *f, const char *name, uint64_t v)
{
    add(f, name, FIG_COUNT)->v.count = v;
}

static void put_integer(struct figures *f, const char *name, int64_t v)
{
    add(f, name, FIG_INTEGER)->v.integer = v;
}

static void put_number(struct figures *f, const char *name, enum figure_kind kind, double v)
{
    add(f, name, kind)->v.number = v;
}

/* A text, or null if it is NULL. */
static void put_text(struct figures *f, const char *name, const char *text)
{
    if (text)
        add(f, name, FIG_TEXT)->v.text = text;
    else
        add(f, name, FIG_NULL);
}

static void put_flag(struct figures *f, const char *name, bool v)
{
    add(f, name, FIG_FLAG)->v.flag = v;
}

static void put_null(struct figures *f, const char *name)
{
    add(f, name, FIG_NULL);
}

/*** the figures ***/

static void options_figures(struct figures *f, const struct lg_options *o)
{
    f->section = "options";
    put_text(f, "target", o->target ? o->target : "");
    put_count(f, "threads", o->threads);
    put_count(f, "conns", o->conns);
    put_count(f, "pipeline", o->pipeline);
    if (o->requests)
        put_null(f, "duration_s");
    else
        put_number(f, "duration_s", FIG_NUMBER, o->duration_s);
    if (o->requests)
        put_count(f, "requests", o->requests);
    else
        put_null(f, "requests");
    put_number(f, "warmup_s", FIG_NUMBER, o->warmup_s);
    if (o->rate > 0)
        put_number(f, "rate", FIG_RATE, o->rate);
    else
        put_null(f, "rate");
    f->section = "options.mix";
    for (int k = 0; k < RK_COUNT; k++)
        put_count(f, req_kind_name((enum req_kind)k), o->mix[k]);
    f->section = "options";
    mix_format(o->mix, f->mix_text, sizeof f->mix_text);
    put_text(f, "mix_text", f->mix_text);
    put_count(f, "users", o->users);
    put_text(f, "dist", o->dist == DIST_UNIFORM ? "uniform" : "zipf");
    if (o->dist == DIST_ZIPF)
        put_number(f, "zipf_s", FIG_NUMBER, o->zipf_s);
    else
        put_null(f, "zipf_s");
    put_count(f, "seed", o->seed);
    put_text(f, "user_prefix", o->user_prefix);
    put_text(f, "verify", o->verify ? verify_name(o->verify) : NULL);
    put_count(f, "timeout_ms", o->timeout_ms);
    put_count(f, "connect_timeout_ms", o->connect_timeout_ms);
    put_text(f, "self_test",
             o->self_test == SELF_TEST_NONE     ? NULL
             : o->self_test == SELF_TEST_ACCEPT ? "accept"
                                                : "echo");
    struct figure *argv = add(f, "argv", FIG_TEXTS);
    argv->v.texts.items = o->argv;
    argv->v.texts.n = o->argc;
}

/* Times in ns; the JSON has them in microseconds. */
static void latency_figures(struct figures *f, const char *section, const struct histogram *h)
{
    static const double ps[] = {50, 75, 90, 99, 99.9, 99.99};
    static const char *const names[] = {"p50", "p75", "p90", "p99", "p99_9", "p99_99"};
    f->section = section;
    put_count(f, "count", h->count);
    put_number(f, "min", FIG_NS, h->count ? (double)h->min : 0);
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        put_number(f, names[i], FIG_NS, (double)hist_percentile(h, ps[i]));
    put_number(f, "max", FIG_NS, h->count ? (double)h->max : 0);
    put_number(f, "mean", FIG_NS, hist_mean(h));
    put_number(f, "stdev", FIG_NS, hist_stddev(h));
    put_count(f, "above_range", h->clamped);
    /* Enough to redraw the distribution or merge runs. */
    add(f, "histogram_ns", FIG_BUCKETS)->v.hist = h;
}

static void reply_figures(struct figures *f, const char *section, const uint64_t *counts)
{
    f->section = section;
    for (int k = 0; k < REPLY_COUNT; k++)
        put_count(f, reply_kind_name((enum reply_kind)k), counts[k]);
}

static void connection_figures(struct figures *f, const struct lg_result *r)
{
    const struct lg_stats *s = r->stats;
    f->section = "connections";
    put_count(f, "asked", r->opts->conns);
    put_count(f, "opened", s->conns_opened);
    put_count(f, "connect_failed", s->connect_failed);
    put_count(f, "refused", s->refused);
    put_count(f, "reset", s->resets);
    put_count(f, "closed_by_server", s->closed_by_server);
    put_count(f, "timed_out", s->timed_out);
    put_count(f, "served", s->conns_served);
    put_count(f, "reopened", s->reopened);
    put_count(f, "reopen_failed", s->reopen_failed);
    put_count(f, "gave_up", s->gave_up);
    if (s->first_connect_errno)
        snprintf(f->connect_error, sizeof f->connect_error, "%s", strerror(s->first_connect_errno));
    put_text(f, "first_connect_error", s->first_connect_errno ? f->connect_error : NULL);
}

static void metrics_figures(struct figures *f, const char *section, const struct lg_metrics *m)
{
    f->section = section;
    put_count(f, "received", m->received);
    put_count(f, "processed", m->processed);
    put_count(f, "dropped", m->dropped);
    put_integer(f, "queued", m->queued);
}

static void verify_figures(struct figures *f, const struct lg_result *r)
{
    f->section = "";
    if (!r->opts->verify) {
        put_null(f, "verify");
        return;
    }
    f->section = "verify";
    put_text(f, "mode", verify_name(r->opts->verify));
    put_flag(f, "passed", r->verify_passed);
    const struct verify_end *v = r->vend;
    if (!v || !v->ran) {
        put_null(f, "end");
        return;
    }
    f->section = "verify.end";
    put_flag(f, "passed", v->passed);
    put_text(f, "failure", v->failure[0] ? v->failure : NULL);
    put_count(f, "users_checked", v->users_checked);
    put_count(f, "users_wrong", v->users_wrong);
    put_count(f, "users_unsure", v->users_unsure);
    put_count(f, "probes", v->probes);
    put_count(f, "rounds", v->sweeps);
    put_number(f, "wait_s", FIG_NUMBER, v->wait_s);
    if (!v->metrics) {
        put_null(f, "metrics");
        return;
    }
    metrics_figures(f, "verify.end.metrics.before", &v->before);
    metrics_figures(f, "verify.end.metrics.after", &v->after);
    f->section = "verify.end.metrics";
    put_count(f, "seen_received", v->seen_received);
    put_count(f, "seen_dropped", v->seen_dropped);
    put_count(f, "lost", v->lost);
    put_count(f, "wrong", v->metrics_wrong);
}

void figures_collect(struct figures *f, const struct lg_result *r)
{
    const struct lg_options *o = r->opts;
    const struct lg_stats *s = r->stats;
    f->n = 0;
    f->section = "";
    put_text(f, "tool", "loadgen");

    f->section = "machine";
    cpu_model(f->cpu_model, sizeof f->cpu_model);
    put_text(f, "cpu_model", f->cpu_model);
    put_integer(f, "cpus_online", sysconf(_SC_NPROCESSORS_ONLN));
    /* A loopback target shares this machine's CPUs with loadgen; another may not. */
    if (o->self_test || strncmp(o->host, "127.", 4) == 0 || strcmp(o->host, "localhost") == 0 ||
        strcmp(o->host, "::1") == 0)
        put_flag(f, "shared_with_server", true);
    else
        put_null(f, "shared_with_server");

    options_figures(f, o);

    f->section = "";
    put_text(f, "mode", o->rate > 0 ? "open" : "closed");
    put_number(f, "window_s", FIG_NUMBER, r->window_s);
    put_number(f, "throughput_rps", FIG_RATE, r->throughput);
    put_number(f, "connect_s", FIG_NUMBER, r->connect_s);

    f->section = "requests";
    put_count(f, "sent", s->sent);
    put_count(f, "measured_sent", s->measured_sent);
    put_count(f, "replies", s->replies);
    put_count(f, "measured_replies", s->latency.count);
    put_count(f, "window_replies", s->window_replies);
    put_count(f, "scheduled", s->scheduled);
    put_count(f, "backlog_at_end", s->backlog_at_end);
    put_count(f, "unsent_closed", s->unsent_closed);
    put_count(f, "bytes_sent", s->bytes_sent);
    put_count(f, "bytes_received", s->bytes_received);
    put_count(f, "sent_refused", s->sent_refused);

    f->section = "syscalls";
    put_count(f, "recv", s->reads);
    put_count(f, "send", s->writes);
    put_count(f, "epoll_wait", s->wakeups);

    latency_figures(f, "latency_us", &s->latency);
    latency_figures(f, "send_lag_us", &s->send_lag);
    reply_figures(f, "replies", s->counts);
    reply_figures(f, "replies_whole_run", s->total_counts);

    f->section = "errors";
    put_count(f, "protocol", s->protocol_errors);
    put_count(f, "verify", s->verify_errors);
    put_count(f, "unanswered", s->unanswered);
    add(f, "samples", FIG_SAMPLES)->v.samples = s;

    connection_figures(f, r);
    verify_figures(f, r);

    f->section = "";
    if (o->self_test) {
        f->section = "self_test";
        put_text(f, "sink", o->self_test == SELF_TEST_ECHO ? "echo" : "accept");
        put_count(f, "sink_port", (uint64_t)r->sink_port);
        put_count(f, "sink_lines", r->sink_lines);
        put_number(f, "ceiling_rps", FIG_RATE, r->throughput);
    } else {
        put_null(f, "self_test");
    }
    f->section = "";
    put_integer(f, "exit_code", r->exit_code);
    put_text(f, "exit_reason", r->exit_reason);
}

/*** finding ***/

static bool has_key(const struct figure *g, const char *key)
{
    size_t n = strlen(g->section);
    if (n) {
        if (strncmp(key, g->section, n) != 0 || key[n] != '.')
            return false;
        key += n + 1;
    }
    return strcmp(key, g->name) == 0;
}

static _Noreturn void no_figure(const char *key, const char *what)
{
    fprintf(stderr, "loadgen: the report asks for %s figure %s\n", what, key);
    abort(); /* only a bug gets here */
}

const struct figure *figure_find(const struct figures *f, const char *key)
{
    for (size_t i = 0; i < f->n; i++) {
        if (has_key(&f->items[i], key))
            return &f->items[i];
    }
    no_figure(key, "a missing");
}

uint64_t figure_count(const struct figures *f, const char *key)
{
    const struct figure *g = figure_find(f, key);
    if (g->kind != FIG_COUNT)
        no_figure(key, "as a count the");
    return g->v.count;
}

double figure_number(const struct figures *f, const char *key)
{
    const struct figure *g = figure_find(f, key);
    if (g->kind != FIG_NUMBER && g->kind != FIG_RATE && g->kind != FIG_NS)
        no_figure(key, "as a number the");
    return g->v.number;
}

const char *figure_text(const struct figures *f, const char *key)
{
    const struct figure *g = figure_find(f, key);
    if (g->kind != FIG_TEXT && g->kind != FIG_NULL)
        no_figure(key, "as a text the");
    return g->kind == FIG_TEXT ? g->v.text : NULL;
}

bool figure_flag(const struct figures *f, const char *key)
{
    const struct figure *g = figure_find(f, key);
    if (g->kind != FIG_FLAG)
        no_figure(key, "as a flag the");
    return g->v.flag;
}

/* The figure is in the section key, or in one inside it. */
static bool in_section(const struct figure *g, const char *key)
{
    size_t n = strlen(key);
    return strncmp(g->section, key, n) == 0 && (g->section[n] == '\0' || g->section[n] == '.');
}

bool figure_present(const struct figures *f, const char *key)
{
    for (size_t i = 0; i < f->n; i++) {
        if (has_key(&f->items[i], key))
            return f->items[i].kind != FIG_NULL;
        if (in_section(&f->items[i], key))
            return true; /* an object */
    }
    no_figure(key, "a missing");
}
