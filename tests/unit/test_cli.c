/* Command-line options: defaults, every option, --help, and bad input (exit 2). */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "unit.h"

#define OPTS_ALL ((1u << OPT_COUNT) - 1)

static const struct stage_info base_stage = {"step03", "Parses events.", 7003, OPTS_BASE};
static const struct stage_info full_stage = {"step10", "Shuts down gracefully.", 7010, OPTS_ALL};

#define MAX_ARGS 30

/* Runs options_parse as the program /opt/ingest/bin/NAME with args (NULL-terminated). */
static void parse(struct options *o, const struct stage_info *stage, const char *const *args)
{
    static char prog[64];
    static char *argv[MAX_ARGS + 2];
    snprintf(prog, sizeof prog, "/opt/ingest/bin/%s", stage->name);
    int argc = 0;
    argv[argc++] = prog;
    /* getopt_long reorders argv, never the strings themselves. */
    for (; args[argc - 1]; argc++) {
        ck_assert_int_le(argc, MAX_ARGS);
        argv[argc] = (char *)args[argc - 1];
    }
    argv[argc] = NULL;
    options_parse(o, stage, argc, argv);
}

static void expect_options(const struct options *got, const struct options *want)
{
    ck_assert_str_eq(got->host, want->host);
    ck_assert_int_eq(got->port, want->port);
    ck_assert_uint_eq(got->max_line, want->max_line);
    ck_assert_uint_eq(got->max_conns, want->max_conns);
    ck_assert_uint_eq(got->max_outbuf, want->max_outbuf);
    ck_assert_int_eq(got->log_level, want->log_level);
    ck_assert_uint_eq(got->work_us, want->work_us);
    ck_assert_uint_eq(got->queue_cap, want->queue_cap);
    ck_assert_uint_eq(got->workers, want->workers);
    ck_assert_uint_eq(got->drain_timeout_ms, want->drain_timeout_ms);
    /* options_parse also sets the log level */
    for (int level = LOG_DEBUG; level <= LOG_ERROR; level++)
        ck_assert_int_eq(log_enabled((enum log_level)level), level >= (int)want->log_level);
}

START_TEST(test_defaults)
{
    static const char *const none[] = {NULL};
    const struct stage_info *stages[] = {&base_stage, &full_stage};
    for (size_t i = 0; i < ARRAY_LEN(stages); i++) {
        struct options o;
        parse(&o, stages[i], none);
        expect_options(&o, &(struct options){
                               .host = "127.0.0.1",
                               .port = stages[i]->default_port,
                               .max_line = 4096,
                               .max_conns = 10000,
                               .max_outbuf = 64 * 1024,
                               .log_level = LOG_INFO,
                               .work_us = 0,
                               .queue_cap = 1024,
                               .workers = (unsigned)sysconf(_SC_NPROCESSORS_ONLN),
                               .drain_timeout_ms = 5000,
                           });
    }
}
END_TEST

/* One option and its value to a line. */
/* clang-format off */
static const struct {
    const char *args[24];
    struct options want;
} good[] = {
    /* Every option, with the value as the next argument; the last of a repeated option wins. */
    {{"--port", "1",
      "--host", "0.0.0.0",
      "--port", "8080",
      "--max-line", "100",
      "--max-conns", "5",
      "--max-outbuf", "1000",
      "--log-level", "debug",
      "--work-us", "250",
      "--queue-cap", "7",
      "--workers", "3",
      "--drain-timeout-ms", "0"},
     {"0.0.0.0", 8080, 100, 5, 1000, LOG_DEBUG, 250, 7, 3, 0}},
    /* --name=value, and the largest values allowed. */
    {{"--host=::1",
      "--port=65535",
      "--max-line=16777216",
      "--max-conns=1000000",
      "--max-outbuf=1073741824",
      "--log-level=error",
      "--work-us=10000000",
      "--queue-cap=16777216",
      "--workers=1024",
      "--drain-timeout-ms=3600000"},
     {"::1", 65535, 16777216, 1000000, 1073741824, LOG_ERROR, 10000000, 16777216, 1024, 3600000}},
    /* The smallest values allowed. */
    {{"--port", "0",
      "--max-line", "1",
      "--max-conns", "1",
      "--max-outbuf", "1",
      "--log-level", "warn",
      "--work-us", "0",
      "--queue-cap", "1",
      "--workers", "1",
      "--drain-timeout-ms", "0"},
     {"127.0.0.1", 0, 1, 1, 1, LOG_WARN, 0, 1, 1, 0}},
    /* Leading zeros are still decimal; the rest keep their defaults. */
    {{"--log-level", "info",
      "--workers", "007"},
     {"127.0.0.1", 7010, 4096, 10000, 65536, LOG_INFO, 0, 1024, 7, 5000}},
};
/* clang-format on */

START_TEST(test_every_option)
{
    struct options o;
    ck_assert_ptr_null(good[_i].args[ARRAY_LEN(good[_i].args) - 1]);
    parse(&o, &full_stage, good[_i].args);
    expect_options(&o, &good[_i].want);
}
END_TEST

/* What a run of options_parse in a child process printed, and how it ended. */
struct run {
    int exit_code; /* -1: killed, 99: options_parse returned */
    char out[8192], err[8192];
};

static void read_all(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
    close(fd);
}

static void run_parse(const struct stage_info *stage, const char *const *args, struct run *run)
{
    int out[2], err[2];
    ck_assert_int_eq(pipe(out), 0);
    ck_assert_int_eq(pipe(err), 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        close(out[0]), close(out[1]), close(err[0]), close(err[1]);
        struct options o;
        parse(&o, stage, args);
        _exit(99);
    }
    close(out[1]);
    close(err[1]);
    read_all(out[0], run->out, sizeof run->out);
    read_all(err[0], run->err, sizeof run->err);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    run->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const char *const option_names[OPT_COUNT] = {
    [OPT_HOST] = "--host",
    [OPT_PORT] = "--port",
    [OPT_MAX_LINE] = "--max-line",
    [OPT_MAX_CONNS] = "--max-conns",
    [OPT_MAX_OUTBUF] = "--max-outbuf",
    [OPT_LOG_LEVEL] = "--log-level",
    [OPT_WORK_US] = "--work-us",
    [OPT_QUEUE_CAP] = "--queue-cap",
    [OPT_WORKERS] = "--workers",
    [OPT_DRAIN_TIMEOUT_MS] = "--drain-timeout-ms",
};

/* --help lists exactly the options the stage uses, with their defaults. */
START_TEST(test_help_lists_used_options)
{
    static const char *const help[] = {"--help", NULL};
    const struct stage_info *stages[] = {&base_stage, &full_stage};
    for (size_t i = 0; i < ARRAY_LEN(stages); i++) {
        static struct run run;
        run_parse(stages[i], help, &run);
        ck_assert_int_eq(run.exit_code, 0);
        ck_assert_str_eq(run.err, "");
        char usage[64], port[64];
        snprintf(usage, sizeof usage, "Usage: %s ", stages[i]->name);
        snprintf(port, sizeof port, "(default: %d)", stages[i]->default_port);
        ck_assert_msg(strncmp(run.out, usage, strlen(usage)) == 0, "got: %s", run.out);
        ck_assert_ptr_nonnull(strstr(run.out, stages[i]->summary));
        ck_assert_ptr_nonnull(strstr(run.out, port));
        ck_assert_ptr_nonnull(strstr(run.out, "(default: 127.0.0.1)"));
        ck_assert_ptr_nonnull(strstr(run.out, "(default: 4096)"));
        ck_assert_ptr_nonnull(strstr(run.out, "(default: info)"));
        ck_assert_ptr_nonnull(strstr(run.out, "--help"));
        for (int id = 0; id < OPT_COUNT; id++) {
            char flag[64];
            snprintf(flag, sizeof flag, "%s ", option_names[id]);
            bool used = stages[i]->used_options & OPT_BIT(id);
            ck_assert_msg((strstr(run.out, flag) != NULL) == used, "%s: %s %s listed",
                          stages[i]->name, flag, used ? "not" : "wrongly");
        }
    }
}
END_TEST

static const char *const help_args[][4] = {
    {"--help"},
    {"-h"},
    {"--port", "1", "--help"},
};

START_TEST(test_help_exits_0)
{
    ck_assert_ptr_nonnull(freopen("/dev/null", "w", stdout));
    struct options o;
    parse(&o, &full_stage, help_args[_i]);
}
END_TEST

static const struct {
    const struct stage_info *stage;
    const char *args[4];
} bad[] = {
    /* Not a whole number, or out of range. */
    {&full_stage, {"--port", "abc"}},
    {&full_stage, {"--port", ""}},
    {&full_stage, {"--port", "1x"}},
    {&full_stage, {"--port", " 1"}},
    {&full_stage, {"--port", "+1"}},
    {&full_stage, {"--port", "0x10"}},
    {&full_stage, {"--port", "-1"}},
    {&full_stage, {"--port=-5"}},
    {&full_stage, {"--port", "65536"}},
    {&full_stage, {"--port", "99999999999999999999999"}},
    {&full_stage, {"--max-line", "0"}},
    {&full_stage, {"--max-line", "16777217"}},
    {&full_stage, {"--max-conns", "0"}},
    {&full_stage, {"--max-outbuf", "0"}},
    {&full_stage, {"--max-outbuf", "1073741825"}},
    {&full_stage, {"--work-us", "10000001"}},
    {&full_stage, {"--work-us", "1.5"}},
    {&full_stage, {"--queue-cap", "0"}},
    {&full_stage, {"--workers", "0"}},
    {&full_stage, {"--workers", "-1"}},
    {&full_stage, {"--workers", "1025"}},
    {&full_stage, {"--drain-timeout-ms", "3600001"}},
    {&full_stage, {"--log-level", "verbose"}},
    {&full_stage, {"--log-level", "INFO"}},
    {&full_stage, {"--log-level", ""}},
    /* Unknown or ambiguous options, stray arguments. */
    {&full_stage, {"--bogus"}},
    {&full_stage, {"--bogus", "1"}},
    {&full_stage, {"--max", "1"}},
    {&full_stage, {"--help=yes"}},
    {&full_stage, {"-x"}},
    {&full_stage, {"-p", "1"}},
    {&full_stage, {"stray"}},
    {&full_stage, {"--port", "1", "stray"}},
    /* A missing value. */
    {&full_stage, {"--port"}},
    {&full_stage, {"--port", "1", "--host"}},
    {&full_stage, {"--log-level"}},
    /* An option the stage does not use. */
    {&base_stage, {"--workers", "4"}},
    {&base_stage, {"--queue-cap", "4"}},
    {&base_stage, {"--max-conns", "4"}},
    {&base_stage, {"--max-outbuf", "4"}},
    {&base_stage, {"--work-us", "4"}},
    {&base_stage, {"--drain-timeout-ms", "4"}},
};

START_TEST(test_bad_input_exits_2)
{
    ck_assert_ptr_nonnull(freopen("/dev/null", "w", stderr));
    struct options o;
    parse(&o, bad[_i].stage, bad[_i].args);
}
END_TEST

/* A bad value is explained on stderr, naming the option and the value; stdout stays clean. */
START_TEST(test_bad_input_is_explained)
{
    static const struct {
        const char *args[3];
        const char *says[2];
    } explained[] = {
        {{"--port", "abc"}, {"--port", "abc"}},
        {{"--workers", "0"}, {"--workers", "1 to 1024"}},
        {{"--log-level", "loud"}, {"--log-level", "loud"}},
        {{"--bogus"}, {"--bogus", "--help"}},
        {{"--port"}, {"--port", "value"}},
    };
    for (size_t i = 0; i < ARRAY_LEN(explained); i++) {
        static struct run run;
        run_parse(&full_stage, explained[i].args, &run);
        ck_assert_int_eq(run.exit_code, 2);
        ck_assert_str_eq(run.out, "");
        ck_assert_msg(strncmp(run.err, "step10: ", 8) == 0, "got: %s", run.err);
        for (size_t k = 0; k < ARRAY_LEN(explained[i].says); k++)
            ck_assert_msg(strstr(run.err, explained[i].says[k]) != NULL, "\"%s\" not in: %s",
                          explained[i].says[k], run.err);
    }
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("cli");
    tcase_add_test(tc, test_defaults);
    tcase_add_loop_test(tc, test_every_option, 0, (int)ARRAY_LEN(good));
    tcase_add_test(tc, test_help_lists_used_options);
    tcase_add_loop_exit_test(tc, test_help_exits_0, 0, 0, (int)ARRAY_LEN(help_args));
    tcase_add_loop_exit_test(tc, test_bad_input_exits_2, 2, 0, (int)ARRAY_LEN(bad));
    tcase_add_test(tc, test_bad_input_is_explained);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(cli_suite)
