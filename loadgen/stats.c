#include "stats.h"

#include <string.h>

void stats_init(struct lg_stats *s)
{
    memset(s, 0, sizeof *s);
    hist_init(&s->latency);
    hist_init(&s->send_lag);
    s->window_start_ns = UINT64_MAX;
}

void stats_merge(struct lg_stats *dst, const struct lg_stats *src)
{
    hist_merge(&dst->latency, &src->latency);
    hist_merge(&dst->send_lag, &src->send_lag);
    for (int k = 0; k < REPLY_COUNT; k++) {
        dst->counts[k] += src->counts[k];
        dst->total_counts[k] += src->total_counts[k];
    }
    if (src->window_start_ns < dst->window_start_ns)
        dst->window_start_ns = src->window_start_ns;
    if (src->window_end_ns > dst->window_end_ns)
        dst->window_end_ns = src->window_end_ns;
#define ADD(f) dst->f += src->f
    ADD(measured_sent);
    ADD(window_replies);
    ADD(sent);
    ADD(replies);
    ADD(bytes_sent);
    ADD(bytes_received);
    ADD(reads);
    ADD(writes);
    ADD(wakeups);
    ADD(scheduled);
    ADD(backlog_at_end);
    ADD(unsent_closed);
    ADD(protocol_errors);
    ADD(verify_errors);
    ADD(unanswered);
    ADD(conns_opened);
    ADD(connect_failed);
    ADD(refused);
    ADD(resets);
    ADD(closed_by_server);
    ADD(timed_out);
    ADD(sent_refused);
    ADD(conns_served);
    ADD(reopened);
    ADD(reopen_failed);
    ADD(gave_up);
#undef ADD
    if (!dst->first_connect_errno)
        dst->first_connect_errno = src->first_connect_errno;
    for (unsigned i = 0; i < src->n_samples && dst->n_samples < SAMPLES_MAX; i++)
        dst->samples[dst->n_samples++] = src->samples[i];
}

static void copy_text(char *dst, const char *src, size_t n)
{
    if (n > SAMPLE_TEXT_MAX)
        n = SAMPLE_TEXT_MAX;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void stats_add_sample(struct lg_stats *s, const char *what, const char *request, size_t req_len,
                      const char *reply, size_t reply_len)
{
    if (s->n_samples >= SAMPLES_MAX)
        return;
    struct sample *sm = &s->samples[s->n_samples++];
    sm->what = what;
    copy_text(sm->request, request, req_len);
    copy_text(sm->reply, reply, reply_len);
}
