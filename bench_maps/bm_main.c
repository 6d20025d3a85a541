#include "bm_main.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bm_report.h"
#include "rng.h"

/* user-0, user-1, ...: the names the maps key on. */
static struct bench_user *make_users(uint32_t n)
{
    struct bench_user *users = calloc(n, sizeof *users);
    for (uint32_t i = 0; users && i < n; i++) {
        int len = snprintf(users[i].name, sizeof users[i].name, "user-%" PRIu32, i);
        users[i].len = (size_t)len;
        users[i].index = i;
    }
    return users;
}

static struct bm_point *make_points(const struct bm_options *o, size_t *n)
{
    *n = o->n_reads * o->n_designs * o->n_threads;
    struct bm_point *points = calloc(*n, sizeof *points);
    if (!points)
        return NULL;
    for (size_t i = 0; i < *n; i++) {
        struct bm_point *p = &points[i];
        p->reads_pct = o->reads_pct[i / (o->n_designs * o->n_threads)];
        p->design = o->designs[i / o->n_threads % o->n_designs];
        p->threads = o->threads[i % o->n_threads];
        p->rounds = calloc(o->rounds, sizeof *p->rounds);
        if (!p->rounds)
            break; /* the last point's rounds stay NULL: the caller looks there */
    }
    return points;
}

static void free_points(struct bm_point *points, size_t n)
{
    for (size_t i = 0; points && i < n; i++)
        free(points[i].rounds);
    free(points);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median, min and max of the rounds' operations/s. */
static void summarise(struct bm_point *p, unsigned rounds)
{
    double v[100]; /* --rounds is at most 100 */
    p->passed = true;
    for (unsigned r = 0; r < rounds; r++) {
        v[r] = p->rounds[r].ops_per_s;
        p->passed = p->passed && p->rounds[r].passed;
    }
    qsort(v, rounds, sizeof v[0], by_value);
    p->min = v[0];
    p->max = v[rounds - 1];
    p->median = rounds % 2 ? v[rounds / 2] : (v[rounds / 2 - 1] + v[rounds / 2]) / 2;
}

/* The seed of a run: the same for every design at one point and round, so
 * that each design is given the same operations. */
static uint64_t run_seed(uint64_t seed, unsigned round, unsigned reads_pct, unsigned threads)
{
    uint64_t x = seed ^ ((uint64_t)round << 40) ^ ((uint64_t)reads_pct << 20) ^ threads;
    return rng_splitmix(&x);
}

/* Every point, round after round: a round runs every point once, so that
 * whatever else the machine does at one moment falls on all of them alike.
 * False if a run could not be made. */
static bool run_all(const struct bm_options *o, const struct bm_workload *w, struct bm_results *res)
{
    for (unsigned round = 0; round < o->rounds; round++) {
        for (size_t i = 0; i < res->n_points; i++) {
            struct bm_point *p = &res->points[i];
            struct bm_run_result *r = &p->rounds[round];
            uint64_t seed = run_seed(o->seed, round, p->reads_pct, p->threads);
            if (!bm_run(w, p->design, p->threads, p->reads_pct, seed, r)) {
                fprintf(stderr, "bench_maps: %s\n", r->failure);
                return false;
            }
            if (!r->passed)
                fprintf(stderr, "bench_maps: %s [%u threads, %u%% reads, round %u of %u]\n",
                        r->failure, p->threads, p->reads_pct, round + 1, o->rounds);
        }
    }
    return true;
}

/* The reports asked for; false if one could not be written. */
static bool report(const struct bm_options *o, const struct bm_results *res)
{
    bool ok = true;
    if (o->json_stdout)
        ok = bm_report_json(stdout, res);
    else
        bm_report_table(stdout, res);
    if (o->json_path) {
        FILE *f = fopen(o->json_path, "w");
        bool written = f && bm_report_json(f, res);
        if (f && fclose(f) != 0)
            written = false;
        if (!written) {
            fprintf(stderr, "bench_maps: cannot write %s: %s\n", o->json_path,
                    errno ? strerror(errno) : "out of memory");
            ok = false;
        }
    } else if (!ok) {
        fprintf(stderr, "bench_maps: cannot write the report\n");
    }
    return ok;
}

int bench_maps_main(int argc, char **argv, const struct map_design *const *designs, size_t n)
{
    struct bm_options o;
    int rc = bm_options_parse(&o, designs, n, argc, argv);
    if (rc >= 0)
        return rc;
    struct sampler sampler = {0};
    struct bm_results res = {.opts = &o, .passed = true};
    struct bench_user *users = make_users(o.users);
    res.points = make_points(&o, &res.n_points);
    bool ready = users && res.points && res.points[res.n_points - 1].rounds &&
                 sampler_init(&sampler, o.dist, o.zipf_s, o.users);
    struct bm_workload w = {users, o.users, &sampler, o.hold_us, o.seconds};
    if (!ready) {
        fprintf(stderr, "bench_maps: out of memory\n");
        rc = BM_EXIT_RUN;
    } else if (!run_all(&o, &w, &res)) {
        rc = BM_EXIT_RUN;
    } else {
        for (size_t i = 0; i < res.n_points; i++) {
            summarise(&res.points[i], o.rounds);
            res.passed = res.passed && res.points[i].passed;
        }
        res.exit_code = res.passed ? BM_EXIT_OK : BM_EXIT_CHECK;
        rc = report(&o, &res) ? res.exit_code : BM_EXIT_RUN;
    }
    sampler_free(&sampler);
    free_points(res.points, res.n_points);
    free(users);
    return rc;
}
