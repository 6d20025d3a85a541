/* The command line: what is accepted, what is refused with exit code 2. */
#include <fcntl.h>
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
    };
    /* Each refusal says why on stderr: keep the test's output quiet. */
    fflush(stderr);
    int saved = dup(2);
    int devnull = open("/dev/null", O_WRONLY);
    ck_assert(saved >= 0 && devnull >= 0);
    dup2(devnull, 2);
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        const char *args[8] = {0};
        for (int k = 0; k < 6 && bad[i][k]; k++)
            args[k] = bad[i][k];
        struct lg_options o;
        ck_assert_msg(parse(&o, args) == 2, "case %zu (%s %s ...) not refused", i, bad[i][0],
                      bad[i][1] ? bad[i][1] : "");
    }
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(devnull);
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

START_TEST(test_help)
{
    struct lg_options o;
    FILE *saved = stdout;
    stdout = fopen("/dev/null", "w");
    int rc = PARSE(&o, "--help");
    fclose(stdout);
    stdout = saved;
    ck_assert_int_eq(rc, 0);
}
END_TEST

static Suite *options_suite(void)
{
    Suite *s = suite_create("loadgen options");
    TCase *tc = tcase_create("options");
    tcase_add_test(tc, test_defaults_and_values);
    tcase_add_test(tc, test_bad_options);
    tcase_add_test(tc, test_mix);
    tcase_add_test(tc, test_help);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(options_suite)
