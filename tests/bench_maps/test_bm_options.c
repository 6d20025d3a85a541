/* bench_maps' command line: defaults, values, refusals (exit 2, one line on
 * stderr, nothing run), and --help. */
#include <stdio.h>
#include <string.h>

#include "bm_capture.h"
#include "bm_options.h"
#include "unit.h"

static int parse(struct bm_options *o, const char *const *args)
{
    static char *argv[64];
    int argc = 0;
    argv[argc++] = (char *)"bench_maps";
    for (; *args; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    return bm_options_parse(o, stage_designs, ARRAY_LEN(stage_designs), argc, argv);
}

#define PARSE(o, ...) parse(o, (const char *const[]){__VA_ARGS__, NULL})

START_TEST(test_defaults)
{
    struct bm_options o;
    ck_assert_int_eq(parse(&o, (const char *const[]){NULL}), -1);
    ck_assert_uint_eq(o.n_designs, 3);
    for (size_t i = 0; i < 3; i++)
        ck_assert_ptr_eq(o.designs[i], stage_designs[i]);
    ck_assert_uint_eq(o.n_threads, 4);
    ck_assert(o.threads[0] == 1 && o.threads[1] == 2 && o.threads[2] == 4 && o.threads[3] == 8);
    ck_assert_uint_eq(o.n_reads, 2);
    ck_assert(o.reads_pct[0] == 50 && o.reads_pct[1] == 90);
    ck_assert_uint_eq(o.users, 1000);
    ck_assert_int_eq(o.dist, DIST_UNIFORM);
    ck_assert(o.seconds == 1);
    ck_assert_uint_eq(o.rounds, 3);
    ck_assert_uint_eq(o.hold_us, 0);
    ck_assert_uint_eq(o.seed, 1);
    ck_assert(!o.json_stdout && o.json_path == NULL);
}
END_TEST

START_TEST(test_values)
{
    struct bm_options o;
    ck_assert_int_eq(PARSE(&o, "--designs", "rcu,mutex", "--threads", "3,1,256", "--reads", "0,100",
                           "--users", "100000", "--dist", "zipf:0.5", "--seconds", "0.25",
                           "--rounds", "5", "--hold-us", "1000000", "--seed",
                           "18446744073709551615", "--format", "json", "--json", "out.json"),
                     -1);
    ck_assert_uint_eq(o.n_designs, 2);
    ck_assert_ptr_eq(o.designs[0], &design_rcu); /* in the order given */
    ck_assert_ptr_eq(o.designs[1], &design_mutex);
    ck_assert_uint_eq(o.n_threads, 3);
    ck_assert(o.threads[0] == 3 && o.threads[1] == 1 && o.threads[2] == 256);
    ck_assert_uint_eq(o.n_reads, 2);
    ck_assert(o.reads_pct[0] == 0 && o.reads_pct[1] == 100);
    ck_assert_uint_eq(o.users, 100000);
    ck_assert(o.dist == DIST_ZIPF && o.zipf_s == 0.5);
    ck_assert(o.seconds == 0.25);
    ck_assert_uint_eq(o.rounds, 5);
    ck_assert_uint_eq(o.hold_us, 1000000);
    ck_assert(o.seed == UINT64_MAX);
    ck_assert(o.json_stdout);
    ck_assert_str_eq(o.json_path, "out.json");
    /* zipf alone is zipf:1; the last --format counts. */
    ck_assert_int_eq(PARSE(&o, "--dist", "zipf", "--format", "json", "--format", "table"), -1);
    ck_assert(o.dist == DIST_ZIPF && o.zipf_s == 1);
    ck_assert(!o.json_stdout);
    /* The most threads times the users just within the self-check's memory. */
    ck_assert_int_eq(PARSE(&o, "--threads", "33,1", "--users", "1000000"), -1);
}
END_TEST

/* Each refusal: exit 2, one line on stderr naming the program, nothing on
 * stdout (nothing was run). */
START_TEST(test_bad_options)
{
    static const char *const bad[][4] = {
        {"--designs", "locked"},
        {"--designs", "mutex,mutex"},
        {"--designs", "mutex,"},
        {"--designs", ""},
        {"--threads", "0"},
        {"--threads", "257"},
        {"--threads", "1,,2"},
        {"--threads", "2,2"},
        {"--threads", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17"},
        {"--threads", "-1"},
        {"--threads", "x"},
        {"--reads", "101"},
        {"--reads", "50%"},
        {"--users", "0"},
        {"--users", "1000001"},
        {"--threads", "1,34", "--users", "1000000"}, /* the self-check's sums */
        {"--dist", "zipf:0"},
        {"--dist", "normal"},
        {"--seconds", "0"},
        {"--seconds", "61"},
        {"--seconds", "nan"},
        {"--rounds", "0"},
        {"--rounds", "101"},
        {"--hold-us", "1000001"},
        {"--hold-us", "-5"},
        {"--seed", "-1"},
        {"--format", "csv"},
        {"--bogus"},
        {"extra"},
        {"--threads"},
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        const char *args[5] = {0};
        for (int k = 0; k < 4 && bad[i][k]; k++)
            args[k] = bad[i][k];
        struct bm_outcome out;
        bm_capture(&out, stage_designs, ARRAY_LEN(stage_designs), args);
        ck_assert_msg(out.exit_code == 2, "case %zu (%s %s) exited %d", i, bad[i][0],
                      bad[i][1] ? bad[i][1] : "", out.exit_code);
        ck_assert_msg(bm_lines(out.err) == 1 && strncmp(out.err, "bench_maps: ", 12) == 0,
                      "case %zu: stderr is not one line: %s", i, out.err);
        ck_assert_msg(out.out[0] == '\0', "case %zu: stdout: %s", i, out.out);
        bm_outcome_free(&out);
    }
}
END_TEST

/* The line says which option and value were refused. */
START_TEST(test_refusal_names_the_value)
{
    struct bm_outcome out;
    BM_CAPTURE(&out, stage_designs, "--reads", "50,120");
    ck_assert_int_eq(out.exit_code, 2);
    ck_assert_msg(strstr(out.err, "--reads '50,120'"), "%s", out.err);
    bm_outcome_free(&out);
    BM_CAPTURE(&out, stage_designs, "--designs", "rwlock");
    ck_assert_msg(strstr(out.err, "'rwlock'") && strstr(out.err, "mutex, striped or rcu"), "%s",
                  out.err);
    bm_outcome_free(&out);
}
END_TEST

/* --help: exit 0, every design with what --hold-us does to it, every option. */
START_TEST(test_help)
{
    static const char *const options[] = {"--designs", "--threads", "--reads",  "--users",
                                          "--dist",    "--seconds", "--rounds", "--hold-us",
                                          "--seed",    "--format",  "--json",   "--help"};
    struct bm_outcome out;
    BM_CAPTURE(&out, stage_designs, "--help");
    ck_assert_int_eq(out.exit_code, 0);
    ck_assert_str_eq(out.err, "");
    ck_assert(strncmp(out.out, "Usage: bench_maps", 17) == 0);
    for (size_t i = 0; i < ARRAY_LEN(stage_designs); i++) {
        char line[32];
        snprintf(line, sizeof line, "\n  %-9s", stage_designs[i]->name);
        ck_assert_msg(strstr(out.out, line), "no %s in: %s", stage_designs[i]->name, out.out);
    }
    size_t holds = 0;
    for (const char *p = out.out; (p = strstr(p, "--hold-us: ")); p++)
        holds++;
    ck_assert_uint_eq(holds, ARRAY_LEN(stage_designs));
    ck_assert_ptr_nonnull(strstr(out.out, "spins before accounts_apply")); /* rcu's, honestly */
    for (size_t i = 0; i < ARRAY_LEN(options); i++)
        ck_assert_msg(strstr(out.out, options[i]), "no %s in --help", options[i]);
    for (const char *line = out.out; *line; line = strchr(line, '\n') + 1)
        ck_assert_msg(strcspn(line, "\n") <= 80, "a line of --help is too long: %.*s",
                      (int)strcspn(line, "\n"), line);
    bm_outcome_free(&out);
}
END_TEST

static Suite *options_suite(void)
{
    Suite *s = suite_create("bench_maps options");
    TCase *tc = tcase_create("options");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_values);
    tcase_add_test(tc, test_bad_options);
    tcase_add_test(tc, test_refusal_names_the_value);
    tcase_add_test(tc, test_help);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(options_suite)
