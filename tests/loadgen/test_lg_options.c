/* The command line: what is accepted, what is refused with exit code 2. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "options.h"
#include "verify.h"
#include "unit.h"

/* Parses a NULL-terminated list of arguments. */
static int parse(struct lg_options *o, const char *const *args)
{
    static char *argv[64];
    int argc = 0;
    argv[argc++] = (char *)"loadgen";
    for (; *args; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    fflush(stderr);
    return lg_options_parse(o, argc, argv);
}

#define PARSE(o, ...) parse(o, (const char *const[]){__VA_ARGS__, NULL})

/* Parses args with what loadgen writes to fd (1 or 2) kept in out. */
static int parse_capturing(struct lg_options *o, const char *const *args, int fd, char *out,
                           size_t len)
{
    fflush(stdout);
    fflush(stderr);
    FILE *tmp = tmpfile();
    ck_assert_ptr_nonnull(tmp);
    int saved = dup(fd);
    ck_assert(saved >= 0 && dup2(fileno(tmp), fd) >= 0);
    int rc = parse(o, args);
    fflush(stdout);
    fflush(stderr);
    dup2(saved, fd);
    close(saved);
    rewind(tmp);
    size_t n = fread(out, 1, len - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
    return rc;
}

/* A refusal: exit code 2, and one line on stderr that says what is wrong
 * and where to look. */
static void expect_refused(const char *const *args, const char *must_say)
{
    struct lg_options o;
    char err[1024];
    int rc = parse_capturing(&o, args, 2, err, sizeof err);
    char line[512] = "";
    for (const char *const *a = args; *a; a++)
        snprintf(line + strlen(line), sizeof line - strlen(line), " %s", *a);
    ck_assert_msg(rc == 2, "not refused:%s", line);
    static const char tail[] = "(see --help)\n";
    size_t n = strlen(err), t = strlen(tail);
    ck_assert_msg(strncmp(err, "loadgen: ", 9) == 0 && n > t && strcmp(err + n - t, tail) == 0 &&
                      strchr(err, '\n') == err + n - 1,
                  "not one clear line: '%s'", err);
    if (must_say)
        ck_assert_msg(strstr(err, must_say), "'%s' does not say '%s'", err, must_say);
}

START_TEST(test_defaults_and_values)
{
    struct lg_options o;
    ck_assert_int_eq(PARSE(&o, "--target", "127.0.0.1:7003"), -1);
    ck_assert_str_eq(o.host, "127.0.0.1");
    ck_assert_str_eq(o.port, "7003");
    ck_assert_uint_eq(o.threads, 1);
    ck_assert_uint_eq(o.pipeline, 1);
    ck_assert_uint_eq(o.mix[RK_EVENT], 100);
    ck_assert(o.rate == 0 && o.requests == 0 && o.verify == 0);
    ck_assert_int_eq(PARSE(&o, "--target", "[::1]:80", "--threads", "2", "--conns", "20000",
                           "--pipeline", "64", "--rate", "50000", "--requests", "1000", "--mix",
                           "event=90,balance=10", "--dist", "zipf:0.99", "--users", "5000",
                           "--verify", "step03", "--warmup", "0.5"),
                     -1);
    ck_assert_str_eq(o.host, "::1");
    ck_assert_uint_eq(o.conns, 20000);
    ck_assert(o.rate == 50000 && o.requests == 1000 && o.zipf_s == 0.99);
    ck_assert_uint_eq(o.mix[RK_BALANCE], 10);
    ck_assert_uint_eq(o.verify, VERIFY_PARSE);
    ck_assert_int_eq(PARSE(&o, "--self-test=echo", "--mix", "echo=1", "--verify", "echo"), -1);
    ck_assert_int_eq(o.self_test, SELF_TEST_ECHO);
    ck_assert_int_eq(PARSE(&o, "--self-test", "--conns", "2", "--threads", "2"), -1);
    ck_assert_int_eq(o.self_test, SELF_TEST_ACCEPT);
    /* Verify modes that check the state; user names new to the server by default. */
    ck_assert_int_eq(PARSE(&o, "--target", "h:1", "--verify", "10"), -1);
    ck_assert_uint_eq(o.verify, VERIFY_BALANCES | VERIFY_METRICS);
    ck_assert_uint_eq(strlen(o.user_prefix), 11);
    ck_assert(strncmp(o.user_prefix, "lg", 2) == 0 && o.user_prefix[10] == '-');
    ck_assert_int_eq(PARSE(&o, "--target", "h:1", "--verify", "inline", "--user-prefix", ""), -1);
    ck_assert_str_eq(o.user_prefix, "");
    ck_assert_uint_eq(o.verify, VERIFY_INLINE);
    ck_assert_int_eq(PARSE(&o, "--target", "h:1", "--user-prefix", "run \"7\" "), -1);
    ck_assert_str_eq(o.user_prefix, "run \"7\" ");
    /* More default threads than connections: fewer threads. */
    ck_assert_int_eq(PARSE(&o, "--target", "h:1", "--conns", "1"), -1);
    ck_assert_uint_eq(o.threads, 1);
}
END_TEST

START_TEST(test_bad_options)
{
    static const char *const bad[][6] = {
        {"--conns", "5"}, /* no target */
        {"--target", "nohostport"},
        {"--target", "h:0"},
        {"--target", "h:70000"},
        {"--target", "h:1", "--conns", "0"},
        {"--target", "h:1", "--conns", "20001"},
        {"--target", "h:1", "--conns", "-1"},
        {"--target", "h:1", "--pipeline", "0"},
        {"--target", "h:1", "--threads", "3", "--conns", "2"},
        {"--target", "h:1", "--duration", "0"},
        {"--target", "h:1", "--duration", "x"},
        {"--target", "h:1", "--rate", "0"},
        {"--target", "h:1", "--mix", "event=0"},
        {"--target", "h:1", "--mix", "events=1"},
        {"--target", "h:1", "--mix", "event=1,event=2"},
        {"--target", "h:1", "--mix", "event"},
        {"--target", "h:1", "--dist", "zipf"},
        {"--target", "h:1", "--users", "0"},
        {"--target", "h:1", "--verify", "11"},
        {"--target", "h:1", "--user-prefix", "a\tb"},
        {"--target", "h:1", "--user-prefix", "0123456789abcdef0123456789abcdefX"},
        {"--target", "h:1", "--user-prefix", "caf\xc3\xa9"},
        {"--self-test", "--verify", "7"},
        {"--target", "h:1", "--duration", "1", "--requests", "5"},
        {"--target", "h:1", "--self-test"},
        {"--self-test", "--mix", "event=1,invalid=1"},
        {"--self-test=echo", "--verify", "3"},
        {"--self-test=nope"},
        {"--target", "h:1", "--bogus"},
        {"--target", "h:1", "extra"},
        {"--target", "h:1", "--mix", "set=1,event=1"}, /* Redis's protocol mixed with ours */
        {"--target", "h:1", "--mix", "set=1", "--verify", "10"},
        {"--self-test=echo", "--mix", "set=1"},
        {"--target"},
        {"--target", "h:1", "--help=3"},
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        const char *args[8] = {0};
        for (int k = 0; k < 6 && bad[i][k]; k++)
            args[k] = bad[i][k];
        expect_refused(args, NULL);
    }
}
END_TEST

/* A value the option's field holds, read through the table. */
static uint64_t whole_field(const struct lg_options *o, const struct lg_option *opt)
{
    const char *field = (const char *)o + opt->offset;
    if (opt->size == sizeof(uint32_t)) {
        uint32_t v;
        memcpy(&v, field, sizeof v);
        return v;
    }
    ck_assert_uint_eq(opt->size, sizeof(uint64_t));
    uint64_t v;
    memcpy(&v, field, sizeof v);
    return v;
}

static double real_field(const struct lg_options *o, const struct lg_option *opt)
{
    double v;
    ck_assert_uint_eq(opt->size, sizeof v);
    memcpy(&v, (const char *)o + opt->offset, sizeof v);
    return v;
}

/* "--target h:1 --conns 20000 --NAME value": room for every --threads. */
static int parse_one(struct lg_options *o, const struct lg_option *opt, const char *value,
                     const char **args)
{
    int n = 0;
    args[n++] = "--target";
    args[n++] = "h:1";
    if (strcmp(opt->name, "conns") != 0) {
        args[n++] = "--conns";
        args[n++] = "20000";
    }
    static char flag[64];
    snprintf(flag, sizeof flag, "--%s", opt->name);
    args[n++] = flag;
    args[n++] = value;
    args[n] = NULL;
    return o ? parse(o, args) : -1;
}

/* Every number option of the table takes its bounds and refuses what lies
 * beyond them, and text it cannot read, each with one line that gives the range. */
START_TEST(test_every_range_enforced)
{
    unsigned count;
    const struct lg_option *table = lg_option_table(&count);
    int numbers = 0;
    for (unsigned i = 0; i < count; i++) {
        const struct lg_option *opt = &table[i];
        if (opt->kind != LG_OPT_WHOLE && opt->kind != LG_OPT_REAL)
            continue;
        numbers++;
        char range[64], lo[48], hi[48], below[48], above[48];
        lg_option_range(opt, range, sizeof range);
        struct lg_options o;
        const char *args[10];
        if (opt->kind == LG_OPT_WHOLE) {
            snprintf(lo, sizeof lo, "%" PRIu64, opt->min);
            snprintf(hi, sizeof hi, "%" PRIu64, opt->max);
            if (opt->min > 0)
                snprintf(below, sizeof below, "%" PRIu64, opt->min - 1);
            else
                snprintf(below, sizeof below, "-1");
            if (opt->max < UINT64_MAX)
                snprintf(above, sizeof above, "%" PRIu64, opt->max + 1);
            else
                snprintf(above, sizeof above, "18446744073709551616");
            ck_assert_msg(opt->size == sizeof(uint64_t) || opt->max <= UINT32_MAX,
                          "--%s: its field is too small for its range", opt->name);
            ck_assert_int_eq(parse_one(&o, opt, lo, args), -1);
            ck_assert_uint_eq(whole_field(&o, opt), opt->min);
            ck_assert_int_eq(parse_one(&o, opt, hi, args), -1);
            ck_assert_uint_eq(whole_field(&o, opt), opt->max);
        } else {
            snprintf(lo, sizeof lo, "%.17g", opt->lo);
            snprintf(hi, sizeof hi, "%.17g", opt->hi);
            snprintf(below, sizeof below, "%.17g", opt->lo > 0 ? opt->lo / 2 : -1.0);
            snprintf(above, sizeof above, "%.17g", opt->hi * 2);
            ck_assert_int_eq(parse_one(&o, opt, lo, args), -1);
            ck_assert(real_field(&o, opt) == opt->lo);
            ck_assert_int_eq(parse_one(&o, opt, hi, args), -1);
            ck_assert(real_field(&o, opt) == opt->hi);
        }
        const char *refused[] = {below, above, "x", "", "1x", "nan", "inf"};
        for (size_t k = 0; k < ARRAY_LEN(refused); k++) {
            parse_one(NULL, opt, refused[k], args);
            expect_refused(args, range);
        }
    }
    ck_assert_int_ge(numbers, 10);
}
END_TEST

/* Every text option refuses what it cannot read with one line that says
 * what it expects (--json takes any file name). */
START_TEST(test_every_text_option_explains)
{
    unsigned count;
    const struct lg_option *table = lg_option_table(&count);
    for (unsigned i = 0; i < count; i++) {
        const struct lg_option *opt = &table[i];
        if (opt->kind != LG_OPT_TEXT || !opt->expect)
            continue;
        const char *args[10];
        parse_one(NULL, opt, "\x01", args);
        expect_refused(args, "expected ");
    }
}
END_TEST

START_TEST(test_mix)
{
    unsigned w[RK_COUNT];
    char err[256], text[128];
    ck_assert(
        mix_parse("event=90,balance=10,invalid=0,metrics=0,health=0,echo=0", w, err, sizeof err));
    ck_assert_uint_eq(w[RK_EVENT], 90);
    ck_assert_uint_eq(w[RK_BALANCE], 10);
    mix_format(w, text, sizeof text);
    ck_assert_str_eq(text, "event=90,balance=10");
    ck_assert(mix_parse("set=1", w, err, sizeof err));
    ck_assert_uint_eq(w[RK_SET], 1);
    ck_assert(mix_parse("echo=1", w, err, sizeof err));
    ck_assert_uint_eq(w[RK_EVENT], 0);
    ck_assert(!mix_parse("", w, err, sizeof err));
    ck_assert(!mix_parse("event=", w, err, sizeof err));
    ck_assert(!mix_parse("event=1,", w, err, sizeof err));
    ck_assert(!mix_parse("event=1x", w, err, sizeof err));
}
END_TEST

/* Text with every run of white space made one space. */
static void squeeze(char *s)
{
    char *out = s;
    for (const char *p = s; *p; p++) {
        if (isspace((unsigned char)*p)) {
            if (out > s && out[-1] != ' ')
                *out++ = ' ';
        } else {
            *out++ = *p;
        }
    }
    *out = '\0';
}

/* --help lists every option of the table with its help, the values it
 * takes and its default; the defaults it shows are those a run gets. */
START_TEST(test_help)
{
    struct lg_options o;
    static char help[16384];
    ck_assert_int_eq(
        parse_capturing(&o, (const char *const[]){"--help", NULL}, 1, help, sizeof help), 0);
    squeeze(help);
    unsigned count;
    const struct lg_option *table = lg_option_table(&count);
    for (unsigned i = 0; i < count; i++) {
        const struct lg_option *opt = &table[i];
        char want[1024], values[256];
        snprintf(want, sizeof want, "--%s%s%s%s %s", opt->name,
                 !opt->arg           ? ""
                 : opt->arg_optional ? "[="
                                     : " ",
                 opt->arg ? opt->arg : "", opt->arg && opt->arg_optional ? "]" : "", opt->help);
        squeeze(want);
        ck_assert_msg(strstr(help, want), "--help lacks '%s'", want);
        lg_option_range(opt, values, sizeof values);
        ck_assert_msg(strstr(help, values), "--help lacks '%s'", values);
        if (opt->def) {
            snprintf(want, sizeof want, "default %s)", opt->def);
            ck_assert_msg(strstr(help, want), "--help lacks '%s'", want);
        }
    }
    /* What a few of them say, in words. */
    ck_assert(strstr(help, "--conns N connections (1 to 20000; default 64)"));
    ck_assert(strstr(help, "(1 to 10^12)"));
    ck_assert(strstr(help, "default: closed loop"));
    /* The defaults themselves. */
    ck_assert_int_eq(PARSE(&o, "--target", "h:1"), -1);
    ck_assert_uint_eq(o.conns, 64);
    ck_assert(o.duration_s == 5 && o.warmup_s == 0 && o.rate == 0);
    ck_assert_uint_eq(o.users, 1000);
    ck_assert_int_eq(o.dist, DIST_UNIFORM);
    ck_assert_uint_eq(o.seed, 1);
    ck_assert_uint_eq(o.timeout_ms, 10000);
    ck_assert_uint_eq(o.connect_timeout_ms, 10000);
    ck_assert_int_eq(o.self_test, SELF_TEST_NONE);
    ck_assert_ptr_null(o.json_path);
}
END_TEST

static Suite *options_suite(void)
{
    Suite *s = suite_create("loadgen options");
    TCase *tc = tcase_create("options");
    tcase_add_test(tc, test_defaults_and_values);
    tcase_add_test(tc, test_bad_options);
    tcase_add_test(tc, test_every_range_enforced);
    tcase_add_test(tc, test_every_text_option_explains);
    tcase_add_test(tc, test_mix);
    tcase_add_test(tc, test_help);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(options_suite)
