#include "bm_report.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cJSON.h>

static void describe(FILE *out, const struct bm_options *o)
{
    fprintf(out, "bench_maps: %" PRIu32 " users, %s", o->users,
            o->dist == DIST_UNIFORM ? "uniform" : "zipf");
    if (o->dist == DIST_ZIPF)
        fprintf(out, ":%g", o->zipf_s);
    fprintf(out, "; %g s per point, %u round%s; hold-us %u; seed %" PRIu64 "; %ld CPUs online\n",
            o->seconds, o->rounds, o->rounds == 1 ? "" : "s", o->hold_us, o->seed,
            sysconf(_SC_NPROCESSORS_ONLN));
}

void bm_report_table(FILE *out, const struct bm_results *res)
{
    const struct bm_options *o = res->opts;
    describe(out, o);
    fprintf(out, "operations/s over the rounds:\n");
    fprintf(out, "%-8s %5s %7s %12s %12s %12s  %s\n", "design", "reads", "threads", "median", "min",
            "max", "check");
    for (size_t i = 0; i < res->n_points; i++) {
        const struct bm_point *p = &res->points[i];
        fprintf(out, "%-8s %4u%% %7u %12.0f %12.0f %12.0f  %s\n", p->design->name, p->reads_pct,
                p->threads, p->median, p->min, p->max, p->passed ? "passed" : "FAILED");
    }
}

/*** JSON ***/

/* Builds the tree; a failed allocation anywhere leaves ok false. */
struct builder {
    bool ok;
};

static cJSON *put(struct builder *b, cJSON *parent, const char *key, cJSON *item)
{
    bool added =
        item && parent &&
        (key ? cJSON_AddItemToObject(parent, key, item) : cJSON_AddItemToArray(parent, item));
    if (!added) {
        cJSON_Delete(item);
        b->ok = false;
        return NULL;
    }
    return item;
}

static void put_number(struct builder *b, cJSON *parent, const char *key, double v)
{
    put(b, parent, key, cJSON_CreateNumber(v));
}

/* 64-bit integers as written, not through a double. */
static void put_u64(struct builder *b, cJSON *parent, const char *key, uint64_t v)
{
    char text[24];
    snprintf(text, sizeof text, "%" PRIu64, v);
    put(b, parent, key, cJSON_CreateRaw(text));
}

static void put_i64(struct builder *b, cJSON *parent, const char *key, int64_t v)
{
    char text[24];
    snprintf(text, sizeof text, "%" PRId64, v);
    put(b, parent, key, cJSON_CreateRaw(text));
}

static void put_numbers(struct builder *b, cJSON *parent, const char *key, const unsigned *v,
                        size_t n)
{
    cJSON *list = put(b, parent, key, cJSON_CreateArray());
    for (size_t i = 0; i < n; i++)
        put_number(b, list, NULL, v[i]);
}

static void json_options(struct builder *b, cJSON *root, const struct bm_options *o)
{
    cJSON *opts = put(b, root, "options", cJSON_CreateObject());
    cJSON *designs = put(b, opts, "designs", cJSON_CreateArray());
    for (size_t i = 0; i < o->n_designs; i++)
        put(b, designs, NULL, cJSON_CreateString(o->designs[i]->name));
    put_numbers(b, opts, "threads", o->threads, o->n_threads);
    put_numbers(b, opts, "reads_pct", o->reads_pct, o->n_reads);
    put_number(b, opts, "users", o->users);
    put(b, opts, "dist", cJSON_CreateString(o->dist == DIST_UNIFORM ? "uniform" : "zipf"));
    put(b, opts, "zipf_s",
        o->dist == DIST_ZIPF ? cJSON_CreateNumber(o->zipf_s) : cJSON_CreateNull());
    put_number(b, opts, "seconds", o->seconds);
    put_number(b, opts, "rounds", o->rounds);
    put_number(b, opts, "hold_us", o->hold_us);
    put_u64(b, opts, "seed", o->seed);
    cJSON *argv = put(b, opts, "argv", cJSON_CreateArray());
    for (int i = 0; i < o->argc; i++)
        put(b, argv, NULL, cJSON_CreateString(o->argv[i]));
}

/* Operations/s are whole numbers: the digits after the point are noise. */
static void json_round(struct builder *b, cJSON *rounds, const struct bm_run_result *r)
{
    cJSON *entry = put(b, rounds, NULL, cJSON_CreateObject());
    put_number(b, entry, "ops_per_s", round(r->ops_per_s));
    put_number(b, entry, "window_s", r->window_s);
    put_u64(b, entry, "reads", r->reads);
    put_u64(b, entry, "writes", r->writes);
    put_u64(b, entry, "refused", r->refused);
    put(b, entry, "passed", cJSON_CreateBool(r->passed));
    put_number(b, entry, "users_wrong", r->users_wrong);
    put_i64(b, entry, "expected_total", r->expected_total);
    put_i64(b, entry, "found_total", r->found_total);
    put(b, entry, "failure", r->passed ? cJSON_CreateNull() : cJSON_CreateString(r->failure));
}

static void json_point(struct builder *b, cJSON *points, const struct bm_point *p, unsigned rounds)
{
    cJSON *point = put(b, points, NULL, cJSON_CreateObject());
    put(b, point, "design", cJSON_CreateString(p->design->name));
    put_number(b, point, "reads_pct", p->reads_pct);
    put_number(b, point, "threads", p->threads);
    cJSON *ops = put(b, point, "ops_per_s", cJSON_CreateObject());
    put_number(b, ops, "median", round(p->median));
    put_number(b, ops, "min", round(p->min));
    put_number(b, ops, "max", round(p->max));
    put(b, point, "passed", cJSON_CreateBool(p->passed));
    cJSON *list = put(b, point, "rounds", cJSON_CreateArray());
    for (unsigned r = 0; r < rounds; r++)
        json_round(b, list, &p->rounds[r]);
}

bool bm_report_json(FILE *out, const struct bm_results *res)
{
    struct builder b = {.ok = true};
    cJSON *root = cJSON_CreateObject();
    put(&b, root, "tool", cJSON_CreateString("bench_maps"));
    cJSON *machine = put(&b, root, "machine", cJSON_CreateObject());
    put_number(&b, machine, "cpus_online", (double)sysconf(_SC_NPROCESSORS_ONLN));
    json_options(&b, root, res->opts);
    cJSON *points = put(&b, root, "points", cJSON_CreateArray());
    for (size_t i = 0; i < res->n_points; i++)
        json_point(&b, points, &res->points[i], res->opts->rounds);
    put(&b, root, "passed", cJSON_CreateBool(res->passed));
    put_number(&b, root, "exit_code", res->exit_code);
    char *text = b.ok ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    bool written = text && fprintf(out, "%s\n", text) >= 0 && fflush(out) == 0;
    free(text);
    return written;
}
