/* bench_maps' runs and their self-check: each stage's design, run briefly by
 * several threads, keeps every update and passes; the read share and
 * --hold-us do what they say; maps that lose, misplace or refuse updates
 * fail, by name, and make bench_maps exit 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bm_capture.h"
#include "bm_run.h"
#include "unit.h"
#include "wrong_maps.h"

#define SECONDS 0.02 /* per run: the threads do thousands of operations even under TSan */

struct workload {
    struct bench_user users[64];
    struct sampler sampler;
    struct bm_workload w;
};

static void workload_init(struct workload *wl, uint32_t users, enum dist_kind dist,
                          unsigned hold_us, double seconds)
{
    ck_assert_uint_le(users, ARRAY_LEN(wl->users));
    for (uint32_t i = 0; i < users; i++) {
        wl->users[i].len = (size_t)snprintf(wl->users[i].name, sizeof wl->users[i].name, "u%u", i);
        wl->users[i].index = i;
    }
    ck_assert(sampler_init(&wl->sampler, dist, 1, users));
    wl->w = (struct bm_workload){wl->users, users, &wl->sampler, hold_us, seconds};
}

#define ATTEMPTS 20

/* A run of at least min_ops operations. A busy machine may give the threads
 * no core for a whole short window: a run with fewer is made again, up to
 * ATTEMPTS times. */
static void run(const struct workload *wl, const struct map_design *d, unsigned threads,
                unsigned reads_pct, uint64_t min_ops, struct bm_run_result *r)
{
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
        ck_assert_msg(bm_run(&wl->w, d, threads, reads_pct, 7 + attempt, r), "could not run %s: %s",
                      d->name, r->failure);
        if (r->reads + r->writes + r->refused >= min_ops)
            return;
    }
    ck_abort_msg("%s: fewer than %llu operations in each of %d runs", d->name,
                 (unsigned long long)min_ops, ATTEMPTS);
}

/* Four threads on 16 users (zipf: most operations on a few of them). */
START_TEST(test_stage_designs_pass)
{
    struct workload wl;
    workload_init(&wl, 16, DIST_ZIPF, 0, SECONDS);
    for (size_t i = 0; i < ARRAY_LEN(stage_designs); i++) {
        struct bm_run_result r;
        run(&wl, stage_designs[i], 4, 50, 100, &r);
        ck_assert_msg(r.passed, "%s", r.failure);
        ck_assert_str_eq(r.failure, "");
        ck_assert_uint_eq(r.users_wrong, 0);
        ck_assert(r.reads > 0 && r.writes > 0 && r.refused == 0);
        ck_assert(r.expected_total == r.found_total);
        ck_assert(r.window_s >= SECONDS);
        ck_assert(r.ops_per_s == (double)(r.reads + r.writes) / r.window_s);
    }
    sampler_free(&wl.sampler);
}
END_TEST

START_TEST(test_read_share)
{
    struct workload wl;
    workload_init(&wl, 8, DIST_UNIFORM, 0, SECONDS);
    struct bm_run_result r;
    run(&wl, &design_striped, 2, 100, 1, &r);
    ck_assert(r.passed && r.reads > 0 && r.writes == 0 && r.expected_total == 0);
    run(&wl, &design_striped, 2, 0, 1, &r);
    ck_assert(r.passed && r.reads == 0 && r.writes > 0);
    run(&wl, &design_striped, 2, 90, 2000, &r);
    ck_assert(r.passed);
    double share = (double)r.reads / (double)(r.reads + r.writes);
    ck_assert_msg(share > 0.85 && share < 0.95, "%.3f of the operations were reads", share);
    sampler_free(&wl.sampler);
}
END_TEST

/* A write takes at least --hold-us of wall time (it spins on CPU time). In
 * the locked designs the writers of one user wait for each other's work, so
 * however many threads, the writes of the window fit in it one after the
 * other (plus one per thread: a write may end after the stop). The RCU
 * design holds nothing: its bound is per thread. */
START_TEST(test_hold_us_spins)
{
    const unsigned hold_us = 2000, threads = 3;
    struct workload wl;
    workload_init(&wl, 1, DIST_UNIFORM, hold_us, 0.05);
    for (size_t i = 0; i < ARRAY_LEN(stage_designs); i++) {
        const struct map_design *d = stage_designs[i];
        struct bm_run_result r;
        run(&wl, d, threads, 0, 1, &r);
        ck_assert_msg(r.passed, "%s", r.failure);
        double serial = r.window_s * 1e6 / hold_us;
        double most = d == &design_rcu ? threads * (serial + 1) : serial + threads;
        ck_assert_msg(r.writes >= 1 && (double)r.writes <= most,
                      "%s: %llu writes of %u us in %.3f s", d->name, (unsigned long long)r.writes,
                      hold_us, r.window_s);
    }
    sampler_free(&wl.sampler);
}
END_TEST

/* Eight threads writing two users with a yield between read and write:
 * updates are lost in every run (and every one is reported). */
START_TEST(test_lost_updates_fail)
{
    struct workload wl;
    workload_init(&wl, 2, DIST_UNIFORM, 0, 0.05);
    struct bm_run_result r;
    run(&wl, &design_unlocked, 8, 0, 100, &r);
    ck_assert(!r.passed);
    ck_assert_uint_ge(r.users_wrong, 1);
    ck_assert(r.expected_total != r.found_total);
    ck_assert_msg(strncmp(r.failure, "unlocked failed its self-check: ", 32) == 0, "%s", r.failure);
    ck_assert_ptr_nonnull(strstr(r.failure, "of 2 users' balances"));
    sampler_free(&wl.sampler);
}
END_TEST

/* The total is right, each user is wrong: the check is per user. */
START_TEST(test_misplaced_updates_fail)
{
    struct workload wl;
    workload_init(&wl, 4, DIST_UNIFORM, 0, SECONDS);
    struct bm_run_result r;
    run(&wl, &design_misrouted, 2, 0, 10, &r);
    ck_assert(!r.passed);
    ck_assert(r.expected_total == r.found_total);
    ck_assert_uint_ge(r.users_wrong, 1);
    ck_assert_ptr_nonnull(strstr(r.failure, "misrouted failed its self-check"));
    sampler_free(&wl.sampler);
}
END_TEST

START_TEST(test_refused_updates_fail)
{
    struct workload wl;
    workload_init(&wl, 4, DIST_UNIFORM, 0, SECONDS);
    struct bm_run_result r;
    run(&wl, &design_refusing, 2, 50, 10, &r);
    ck_assert(!r.passed);
    ck_assert(r.refused > 0 && r.writes == 0 && r.users_wrong == 0);
    ck_assert_ptr_nonnull(strstr(r.failure, "refusing failed its self-check: it refused"));
    sampler_free(&wl.sampler);
}
END_TEST

/* bench_maps with a map that loses updates among good ones: every run of it
 * is named on stderr, one line each, the others pass, and the exit code is 1. */
START_TEST(test_failure_exits_1)
{
    static const struct map_design *const designs[] = {&design_mutex, &design_unlocked};
    struct bm_outcome out;
    BM_CAPTURE(&out, designs, "--threads", "8", "--users", "2", "--reads", "0", "--seconds", "0.05",
               "--rounds", "2");
    ck_assert_int_eq(out.exit_code, 1);
    /* One line per failed round (a round the machine gave no core to may
     * have had no write to lose), each about the unlocked map. */
    size_t lines = bm_lines(out.err);
    ck_assert_msg(lines >= 1 && lines <= 2, "%s", out.err);
    for (const char *line = out.err; *line;) {
        size_t len = strcspn(line, "\n");
        char one[512];
        snprintf(one, sizeof one, "%.*s", (int)len, line);
        ck_assert_msg(strncmp(one, "bench_maps: unlocked failed its self-check: ", 44) == 0 &&
                          strstr(one, " [8 threads, 0% reads, round "),
                      "%s", out.err);
        line += len + (line[len] == '\n');
    }
    ck_assert_ptr_null(strstr(out.err, "mutex"));
    ck_assert_msg(strstr(out.out, "\nmutex ") && strstr(out.out, "passed\n") &&
                      strstr(out.out, "\nunlocked ") && strstr(out.out, "FAILED\n"),
                  "%s", out.out);
    bm_outcome_free(&out);
}
END_TEST

/* Two maps that keep the first writes they are given, each where the test
 * can read them after bench_maps_main has freed the map. One thread only. */
#define FIRST_WRITES 64
#define ENOUGH       16 /* writes compared */

struct writes_seen {
    size_t n;
    struct {
        uint32_t user;
        int64_t delta;
    } w[FIRST_WRITES];
};

struct recording_map {
    struct writes_seen seen;
    struct writes_seen *keep; /* where destroy leaves them */
};

static struct writes_seen kept_a, kept_b;

static void *recording_create(struct writes_seen *keep)
{
    struct recording_map *m = calloc(1, sizeof *m);
    if (m)
        m->keep = keep;
    return m;
}

static void *recording_create_a(uint32_t users)
{
    (void)users;
    return recording_create(&kept_a);
}

static void *recording_create_b(uint32_t users)
{
    (void)users;
    return recording_create(&kept_b);
}

static void recording_destroy(void *map)
{
    struct recording_map *m = map;
    *m->keep = m->seen;
    free(m);
}

/* Keeps the first writes after the map was filled (with deltas of 0). */
static bool recording_apply(void *map, const struct bench_user *user, int64_t delta,
                            unsigned hold_us)
{
    (void)hold_us;
    struct recording_map *m = map;
    if (delta != 0 && m->seen.n < FIRST_WRITES) {
        m->seen.w[m->seen.n].user = user->index;
        m->seen.w[m->seen.n++].delta = delta;
    }
    return true;
}

static int64_t recording_get(void *map, const struct bench_user *user)
{
    (void)map, (void)user;
    return 0; /* the self-check fails: this test looks at the writes only */
}

static const struct map_design recording_a = {
    "a", "", "", recording_create_a, recording_destroy, NULL, NULL, recording_apply, recording_get};
static const struct map_design recording_b = {
    "b", "", "", recording_create_b, recording_destroy, NULL, NULL, recording_apply, recording_get};

/* Runs both recording maps with seed until each saw ENOUGH writes. */
static void record(const char *seed)
{
    static const struct map_design *const designs[] = {&recording_a, &recording_b};
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
        struct bm_outcome out;
        BM_CAPTURE(&out, designs, "--threads", "1", "--reads", "0", "--users", "1000", "--seconds",
                   "0.01", "--rounds", "1", "--seed", seed);
        bm_outcome_free(&out);
        if (kept_a.n >= ENOUGH && kept_b.n >= ENOUGH)
            return;
    }
    ck_abort_msg("fewer than %d writes in each of %d runs", ENOUGH, ATTEMPTS);
}

/* At one point and round, every design is given the same operations; another
 * seed gives others. */
START_TEST(test_designs_get_the_same_operations)
{
    record("5");
    ck_assert(memcmp(kept_a.w, kept_b.w, ENOUGH * sizeof kept_a.w[0]) == 0);
    struct writes_seen seed_5 = kept_a;
    record("6");
    ck_assert(memcmp(kept_a.w, kept_b.w, ENOUGH * sizeof kept_a.w[0]) == 0);
    ck_assert(memcmp(kept_a.w, seed_5.w, ENOUGH * sizeof kept_a.w[0]) != 0);
}
END_TEST

static Suite *run_suite(void)
{
    Suite *s = suite_create("bench_maps runs");
    TCase *tc = tcase_create("runs");
    tcase_set_timeout(tc, 60); /* a few runs of under 0.1 s each; sanitizers are slow */
    tcase_add_test(tc, test_stage_designs_pass);
    tcase_add_test(tc, test_read_share);
    tcase_add_test(tc, test_hold_us_spins);
    tcase_add_test(tc, test_lost_updates_fail);
    tcase_add_test(tc, test_misplaced_updates_fail);
    tcase_add_test(tc, test_refused_updates_fail);
    tcase_add_test(tc, test_failure_exits_1);
    tcase_add_test(tc, test_designs_get_the_same_operations);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(run_suite)
