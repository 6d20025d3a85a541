/* bench_maps' reports: the JSON (on stdout with --format json, in a file
 * with --json) parses and holds every point with its rounds; the table has
 * a row per point; a report that cannot be written is exit 3. */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bm_capture.h"
#include "unit.h"

#define TINY "--threads", "1,2", "--reads", "50,90", "--users", "20", "--seconds", "0.01"

static const cJSON *field(const cJSON *obj, const char *key)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj, key);
    ck_assert_msg(f != NULL, "no \"%s\" in the JSON report", key);
    return f;
}

static double number(const cJSON *obj, const char *key)
{
    const cJSON *f = field(obj, key);
    ck_assert_msg(cJSON_IsNumber(f), "\"%s\" is not a number", key);
    return f->valuedouble;
}

static bool boolean(const cJSON *obj, const char *key)
{
    const cJSON *f = field(obj, key);
    ck_assert_msg(cJSON_IsBool(f), "\"%s\" is not a boolean", key);
    return cJSON_IsTrue(f);
}

static cJSON *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    return cJSON_Parse(text);
}

/* Every (design, reads, threads) point once, with its rounds, all passed. */
static void expect_points(const cJSON *report, unsigned rounds)
{
    static const unsigned threads[] = {1, 2}, reads[] = {50, 90};
    const cJSON *points = field(report, "points");
    ck_assert(cJSON_IsArray(points));
    ck_assert_int_eq(cJSON_GetArraySize(points), 3 * 2 * 2);
    bool seen[3][2][2] = {{{false}}};
    const cJSON *p;
    cJSON_ArrayForEach(p, points)
    {
        const char *name = cJSON_GetStringValue(field(p, "design"));
        ck_assert_ptr_nonnull(name);
        size_t d = 0, t = 0, r = 0;
        while (d < 3 && strcmp(name, stage_designs[d]->name) != 0)
            d++;
        while (t < 2 && number(p, "threads") != threads[t])
            t++;
        while (r < 2 && number(p, "reads_pct") != reads[r])
            r++;
        ck_assert_msg(d < 3 && t < 2 && r < 2 && !seen[d][t][r], "unexpected point %s %g %g", name,
                      number(p, "threads"), number(p, "reads_pct"));
        seen[d][t][r] = true;
        ck_assert(boolean(p, "passed"));
        const cJSON *ops = field(p, "ops_per_s");
        double median = number(ops, "median"), min = number(ops, "min"), max = number(ops, "max");
        ck_assert(0 <= min && min <= median && median <= max);
        const cJSON *list = field(p, "rounds");
        ck_assert_int_eq(cJSON_GetArraySize(list), (int)rounds);
        const cJSON *round;
        cJSON_ArrayForEach(round, list)
        {
            ck_assert(boolean(round, "passed"));
            ck_assert(cJSON_IsNull(field(round, "failure")));
            ck_assert(number(round, "users_wrong") == 0);
            ck_assert(number(round, "expected_total") == number(round, "found_total"));
            ck_assert(number(round, "refused") == 0);
            double ops_per_s = number(round, "ops_per_s");
            ck_assert(min <= ops_per_s && ops_per_s <= max);
            /* Operations/s is the round's operations over its window, rounded. */
            double ops = number(round, "reads") + number(round, "writes");
            ck_assert(fabs(ops / number(round, "window_s") - ops_per_s) <= 0.5 + 1e-6);
            ck_assert(number(round, "window_s") >= 0.01);
        }
    }
}

START_TEST(test_json_on_stdout)
{
    struct bm_outcome out;
    BM_CAPTURE(&out, stage_designs, TINY, "--rounds", "2", "--format", "json", "--seed",
               "12345678901234567890");
    ck_assert_msg(out.exit_code == 0, "%s", out.err);
    ck_assert_str_eq(out.err, "");
    cJSON *report = cJSON_Parse(out.out);
    ck_assert_msg(report != NULL, "not JSON: %s", out.out);
    ck_assert_str_eq(cJSON_GetStringValue(field(report, "tool")), "bench_maps");
    ck_assert(number(field(report, "machine"), "cpus_online") >= 1);
    const cJSON *o = field(report, "options");
    ck_assert_int_eq(cJSON_GetArraySize(field(o, "designs")), 3);
    ck_assert_int_eq(cJSON_GetArraySize(field(o, "threads")), 2);
    ck_assert_int_eq(cJSON_GetArraySize(field(o, "reads_pct")), 2);
    ck_assert(number(o, "users") == 20 && number(o, "rounds") == 2 && number(o, "hold_us") == 0);
    ck_assert(number(o, "seconds") == 0.01);
    ck_assert_str_eq(cJSON_GetStringValue(field(o, "dist")), "uniform");
    ck_assert(cJSON_IsNull(field(o, "zipf_s")));
    ck_assert_ptr_nonnull(strstr(out.out, "\"seed\":\t12345678901234567890")); /* every digit */
    ck_assert_int_eq(cJSON_GetArraySize(field(o, "argv")), 15);
    expect_points(report, 2);
    ck_assert(boolean(report, "passed"));
    ck_assert(number(report, "exit_code") == 0);
    cJSON_Delete(report);
    bm_outcome_free(&out);
}
END_TEST

/* --json FILE: the same report in the file, the table on stdout. */
START_TEST(test_json_file_and_table)
{
    char path[] = "/tmp/bench_maps-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    struct bm_outcome out;
    BM_CAPTURE(&out, stage_designs, TINY, "--rounds", "1", "--dist", "zipf:1.5", "--json", path);
    ck_assert_msg(out.exit_code == 0, "%s", out.err);
    cJSON *report = read_file(path);
    unlink(path);
    ck_assert_msg(report != NULL, "%s is not JSON", path);
    const cJSON *o = field(report, "options");
    ck_assert_str_eq(cJSON_GetStringValue(field(o, "dist")), "zipf");
    ck_assert(number(o, "zipf_s") == 1.5);
    expect_points(report, 1);
    cJSON_Delete(report);
    /* The table: a heading, then a row per point, each passed. */
    ck_assert_msg(strstr(out.out, "bench_maps: 20 users, zipf:1.5;") == out.out, "%s", out.out);
    ck_assert_ptr_nonnull(strstr(out.out, "design   reads threads"));
    size_t passed = 0;
    for (const char *p = out.out; (p = strstr(p, " passed\n")); p++)
        passed++;
    ck_assert_uint_eq(passed, 12);
    ck_assert_uint_eq(bm_lines(out.out), 2 + 1 + 12);
    for (size_t d = 0; d < ARRAY_LEN(stage_designs); d++) {
        char row[64];
        snprintf(row, sizeof row, "\n%-8s   90%%       2 ", stage_designs[d]->name);
        ck_assert_msg(strstr(out.out, row), "no row '%s' in:\n%s", row + 1, out.out);
    }
    bm_outcome_free(&out);
}
END_TEST

START_TEST(test_unwritable_json_exits_3)
{
    struct bm_outcome out;
    BM_CAPTURE(&out, stage_designs, "--designs", "mutex", "--threads", "1", "--reads", "50",
               "--rounds", "1", "--seconds", "0.001", "--json", "/nonexistent/dir/report.json");
    ck_assert_int_eq(out.exit_code, 3);
    ck_assert_msg(bm_lines(out.err) == 1 && strstr(out.err, "cannot write /nonexistent/dir/"), "%s",
                  out.err);
    bm_outcome_free(&out);
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("bench_maps reports");
    TCase *tc = tcase_create("reports");
    tcase_set_timeout(tc, 60); /* two dozen runs of 0.01 s; sanitizers are slow */
    tcase_add_test(tc, test_json_on_stdout);
    tcase_add_test(tc, test_json_file_and_table);
    tcase_add_test(tc, test_unwritable_json_exits_3);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(report_suite)
