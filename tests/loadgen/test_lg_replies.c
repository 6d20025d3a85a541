/* Reply classification: a table of reply lines and what they are, the fast
 * path agreeing with the slow one, the protocol check per request kind, and
 * the --verify modes. */
#include <stdio.h>
#include <string.h>

#include "replies.h"
#include "requests.h"
#include "verify.h"
#include "unit.h"

static struct req_pool pool;

static void setup(void)
{
    ck_assert(pool_init(&pool, 100, ""));
}

static void teardown(void)
{
    pool_free(&pool);
}

static const struct req_line *event(void)
{
    return &pool.events[0];
}

static const struct {
    const char *line;
    enum reply_kind kind;
} table[] = {
    {"{\"status\":\"accepted\"}", REPLY_ACCEPTED},
    {"{\"status\":\"ok\",\"balance\":100}", REPLY_OK},
    {"{\"status\":\"ok\",\"balance\":-9223372036854775808}", REPLY_OK},
    {"{\"status\":\"ok\",\"balance\":0}", REPLY_OK},
    {"{\"status\":\"ok\",\"user\":\"alice\",\"balance\":110}", REPLY_OK_BALANCE},
    {"{\"status\":\"ok\",\"user\":\"q\\\"\xc3\xa9-7\",\"balance\":-5}", REPLY_OK_BALANCE},
    {"{\"status\":\"ok\"}", REPLY_OK_HEALTH},
    {"{\"status\":\"draining\"}", REPLY_DRAINING},
    {"{\"received\":10,\"processed\":8,\"dropped\":2}", REPLY_METRICS},
    {"{\"received\":10,\"processed\":8,\"dropped\":2,\"queue\":0}", REPLY_METRICS},
    {"{\"status\":\"rejected\",\"reason\":\"server_busy\"}", REPLY_REJ_SERVER_BUSY},
    {"{\"status\":\"rejected\",\"reason\":\"shutting_down\"}", REPLY_REJ_SHUTTING_DOWN},
    {"{\"status\":\"rejected\",\"reason\":\"too_many_connections\"}",
     REPLY_REJ_TOO_MANY_CONNECTIONS},
    {"{\"status\":\"error\",\"reason\":\"invalid_json\"}", REPLY_ERR_INVALID_JSON},
    {"{\"status\":\"error\",\"reason\":\"invalid_event\"}", REPLY_ERR_INVALID_EVENT},
    {"{\"status\":\"error\",\"reason\":\"unknown_type\"}", REPLY_ERR_UNKNOWN_TYPE},
    {"{\"status\":\"error\",\"reason\":\"line_too_long\"}", REPLY_ERR_LINE_TOO_LONG},
    {"{\"status\":\"error\",\"reason\":\"overflow\"}", REPLY_ERR_OVERFLOW},
    {"+OK", REPLY_REDIS_OK},
    /* Near misses are "other". */
    {"+OK ", REPLY_OTHER},
    {"-ERR unknown command", REPLY_OTHER},
    {"", REPLY_OTHER},
    {"hello", REPLY_OTHER},
    {"{\"status\":\"accepted\"} ", REPLY_OTHER},
    {"{\"status\": \"accepted\"}", REPLY_OTHER},
    {"{\"status\":\"error\",\"reason\":\"nope\"}", REPLY_OTHER},
    {"{\"status\":\"ok\",\"balance\":}", REPLY_OTHER},
    {"{\"status\":\"ok\",\"balance\":12}x", REPLY_OTHER},
    {"{\"status\":\"ok\",\"balance\":012}", REPLY_OTHER},
    {"{\"status\":\"ok\",\"balance\":1.5}", REPLY_OTHER},
    {"{\"status\":\"ok\",\"balance\":9223372036854775808}", REPLY_OTHER},
    {"{\"status\":\"ok\",\"user\":\"alice\"}", REPLY_OTHER},
    {"{\"status\":\"ok\",\"user\":\"alice,\"balance\":1}", REPLY_OTHER},
    {"{\"received\":10,\"processed\":8}", REPLY_OTHER},
    {"{\"received\":-1,\"processed\":8,\"dropped\":2}", REPLY_OTHER},
    {"{\"received\":1,\"processed\":8,\"dropped\":2", REPLY_OTHER},
};

START_TEST(test_table)
{
    for (size_t i = 0; i < ARRAY_LEN(table); i++) {
        const char *line = table[i].line;
        /* Every guess gives the same answer as the slow path. */
        for (int g = 0; g < REPLY_COUNT; g++) {
            size_t n;
            if (g != REPLY_ECHO && !reply_constant((enum reply_kind)g, &n))
                continue;
            struct reply r = {0};
            reply_classify(line, strlen(line), event(), (enum reply_kind)g, &r);
            ck_assert_msg(r.kind == table[i].kind, "'%s' with guess %s: %s, expected %s", line,
                          reply_kind_name((enum reply_kind)g), reply_kind_name(r.kind),
                          reply_kind_name(table[i].kind));
        }
    }
}
END_TEST

START_TEST(test_values)
{
    struct reply r = {0};
    const char *l = "{\"status\":\"ok\",\"balance\":-42}";
    reply_classify(l, strlen(l), event(), REPLY_ACCEPTED, &r);
    ck_assert_int_eq(r.kind, REPLY_OK);
    ck_assert_int_eq(r.balance, -42);
    l = "{\"status\":\"ok\",\"user\":\"a\\\\b\",\"balance\":7}";
    reply_classify(l, strlen(l), event(), REPLY_ACCEPTED, &r);
    ck_assert_int_eq(r.kind, REPLY_OK_BALANCE);
    ck_assert_int_eq(r.balance, 7);
    ck_assert_uint_eq(r.user_len, 6);
    ck_assert_int_eq(memcmp(l + r.user_off, "\"a\\\\b\"", 6), 0);
    l = "{\"received\":10,\"processed\":8,\"dropped\":2}";
    reply_classify(l, strlen(l), event(), REPLY_ACCEPTED, &r);
    ck_assert_int_eq(r.kind, REPLY_METRICS);
    ck_assert_uint_eq(r.metrics[0], 10);
    ck_assert_uint_eq(r.metrics[1], 8);
    ck_assert_uint_eq(r.metrics[2], 2);
    ck_assert_int_eq(r.queued, -1);
    l = "{\"received\":10,\"processed\":8,\"dropped\":1,\"queued\":1,\"connections\":3}";
    reply_classify(l, strlen(l), event(), REPLY_ACCEPTED, &r);
    ck_assert_int_eq(r.kind, REPLY_METRICS);
    ck_assert_int_eq(r.queued, 1);
}
END_TEST

/* The line of req, without its '\n'. */
static void echo_of(const struct req_line *req, char *buf)
{
    memcpy(buf, req->text, req->len - 1u);
    buf[req->len - 1u] = '\0';
}

START_TEST(test_echo)
{
    char buf[REQ_LINE_MAX];
    const struct req_line *reqs[] = {event(),      &pool.balances[3], &pool.metrics,
                                     &pool.health, &pool.invalid[0],  &pool.echo[5]};
    for (size_t i = 0; i < ARRAY_LEN(reqs); i++) {
        echo_of(reqs[i], buf);
        struct reply r = {0};
        reply_classify(buf, strlen(buf), reqs[i], REPLY_ECHO, &r);
        ck_assert_int_eq(r.kind, REPLY_ECHO);
        reply_classify(buf, strlen(buf), reqs[i], REPLY_ACCEPTED, &r);
        ck_assert_int_eq(r.kind, REPLY_ECHO);
        ck_assert_ptr_null(reply_mismatch(buf, reqs[i], &r));
        /* An echo of another request is not an echo. */
        buf[strlen(buf) - 1] ^= 1;
        reply_classify(buf, strlen(buf), reqs[i], REPLY_ECHO, &r);
        ck_assert_int_ne(r.kind, REPLY_ECHO);
        ck_assert_ptr_nonnull(reply_mismatch(buf, reqs[i], &r));
    }
}
END_TEST

/* Whether reply `line` may answer req, by the stage-independent check. */
static bool possible(const struct req_line *req, const char *line)
{
    struct reply r = {0};
    reply_classify(line, strlen(line), req, REPLY_ACCEPTED, &r);
    return reply_mismatch(line, req, &r) == NULL;
}

START_TEST(test_mismatch)
{
    const struct req_line *ev = event(), *bal = &pool.balances[7];
    ck_assert(possible(ev, "{\"status\":\"accepted\"}"));
    ck_assert(possible(ev, "{\"status\":\"ok\",\"balance\":5}"));
    ck_assert(possible(ev, "{\"status\":\"rejected\",\"reason\":\"server_busy\"}"));
    ck_assert(possible(ev, "{\"status\":\"rejected\",\"reason\":\"shutting_down\"}"));
    ck_assert(possible(ev, "{\"status\":\"rejected\",\"reason\":\"too_many_connections\"}"));
    ck_assert(possible(ev, "{\"status\":\"error\",\"reason\":\"overflow\"}"));
    ck_assert(!possible(ev, "{\"status\":\"error\",\"reason\":\"invalid_json\"}"));
    ck_assert(!possible(ev, "{\"status\":\"error\",\"reason\":\"unknown_type\"}"));
    ck_assert(!possible(ev, "{\"status\":\"ok\"}"));
    ck_assert(!possible(ev, "garbage"));
    /* Balance queries: the reply names the same user, escaped the same way. */
    char line[256];
    snprintf(line, sizeof line, "{\"status\":\"ok\",\"user\":%.*s,\"balance\":3}",
             (int)bal->user_len, bal->text + bal->user_off);
    ck_assert(possible(bal, line));
    ck_assert(!possible(&pool.balances[8], line));
    ck_assert(possible(bal, "{\"status\":\"error\",\"reason\":\"unknown_type\"}"));
    ck_assert(!possible(bal, "{\"status\":\"accepted\"}"));
    ck_assert(possible(&pool.metrics, "{\"received\":1,\"processed\":1,\"dropped\":0}"));
    ck_assert(!possible(&pool.metrics, "{\"status\":\"ok\"}"));
    ck_assert(possible(&pool.health, "{\"status\":\"ok\"}"));
    ck_assert(possible(&pool.health, "{\"status\":\"draining\"}"));
    ck_assert(!possible(&pool.health, "{\"status\":\"accepted\"}"));
    ck_assert(possible(&pool.echo[0], "{\"status\":\"error\",\"reason\":\"invalid_json\"}"));
    ck_assert(!possible(&pool.echo[0], "{\"status\":\"accepted\"}"));
    /* Redis's SET: +OK and nothing else; +OK answers nothing of this protocol. */
    ck_assert(pool_add_set_lines(&pool));
    ck_assert(possible(&pool.set[0], "+OK"));
    ck_assert(!possible(&pool.set[0], "-ERR wrong number of arguments"));
    ck_assert(!possible(&pool.set[0], "{\"status\":\"error\",\"reason\":\"invalid_json\"}"));
    ck_assert(!possible(ev, "+OK"));
    ck_assert(!possible(bal, "+OK"));
    /* Invalid lines: accepted is impossible, and the reason must be theirs. */
    for (uint32_t i = 0; i < pool.n_invalid; i++) {
        const struct req_line *inv = &pool.invalid[i];
        size_t n;
        const char *right = reply_constant((enum reply_kind)inv->expect, &n);
        enum reply_kind other_kind = inv->expect == REPLY_ERR_INVALID_JSON ? REPLY_ERR_INVALID_EVENT
                                                                           : REPLY_ERR_INVALID_JSON;
        const char *wrong = reply_constant(other_kind, &n);
        ck_assert(possible(inv, right));
        ck_assert(!possible(inv, wrong));
        ck_assert(!possible(inv, "{\"status\":\"accepted\"}"));
    }
}
END_TEST

/* Whether reply `line` to req passes --verify with the given checks. */
static bool verified(unsigned checks, const struct req_line *req, const char *line)
{
    struct reply r = {0};
    reply_classify(line, strlen(line), req, REPLY_ACCEPTED, &r);
    return verify_reply(checks, req, &r) == NULL;
}

START_TEST(test_verify_modes)
{
    ck_assert_uint_eq(verify_parse("echo"), VERIFY_ECHO);
    ck_assert_uint_eq(verify_parse("1"), VERIFY_ECHO);
    ck_assert_uint_eq(verify_parse("step02"), VERIFY_ECHO);
    ck_assert_uint_eq(verify_parse("03"), VERIFY_PARSE);
    ck_assert_uint_eq(verify_parse("parse"), VERIFY_PARSE);
    ck_assert_uint_eq(verify_parse("5"), VERIFY_QUEUE);
    ck_assert_uint_eq(verify_parse("4"), VERIFY_INLINE);
    ck_assert(verify_parse("7") & VERIFY_BALANCES);
    ck_assert(verify_parse("10") & VERIFY_METRICS);
    ck_assert_uint_eq(verify_parse("0"), 0);
    ck_assert_uint_eq(verify_parse("11"), 0);
    ck_assert_uint_eq(verify_parse("-3"), 0);
    ck_assert_uint_eq(verify_parse("nope"), 0);
    const char *acc = "{\"status\":\"accepted\"}";
    const char *busy = "{\"status\":\"rejected\",\"reason\":\"server_busy\"}";
    const char *unknown = "{\"status\":\"error\",\"reason\":\"unknown_type\"}";
    ck_assert(verified(VERIFY_PARSE, event(), acc));
    ck_assert(!verified(VERIFY_PARSE, event(), busy));
    ck_assert(verified(VERIFY_QUEUE, event(), busy));
    ck_assert(verified(VERIFY_PARSE, &pool.balances[0], unknown));
    ck_assert(verified(VERIFY_PARSE, &pool.metrics, unknown));
    ck_assert(verified(VERIFY_PARSE, &pool.health, unknown));
    ck_assert(!verified(VERIFY_PARSE, &pool.health, "{\"status\":\"ok\"}"));
    ck_assert(verified(VERIFY_PARSE, &pool.echo[1],
                       "{\"status\":\"error\",\"reason\":\"invalid_json\"}"));
    ck_assert(!verified(VERIFY_ECHO, event(), acc));
    char buf[REQ_LINE_MAX];
    echo_of(event(), buf);
    ck_assert(verified(VERIFY_ECHO, event(), buf));
    ck_assert(!verified(VERIFY_PARSE, event(), buf));
}
END_TEST

/* The modes that check the server's state: what each lets through while
 * the load runs. */
START_TEST(test_verify_state_modes)
{
    const char *acc = "{\"status\":\"accepted\"}";
    const char *busy = "{\"status\":\"rejected\",\"reason\":\"server_busy\"}";
    const char *down = "{\"status\":\"rejected\",\"reason\":\"shutting_down\"}";
    const char *refused = "{\"status\":\"rejected\",\"reason\":\"too_many_connections\"}";
    const char *unknown = "{\"status\":\"error\",\"reason\":\"unknown_type\"}";
    const char *overflow = "{\"status\":\"error\",\"reason\":\"overflow\"}";
    const char *health = "{\"status\":\"ok\"}";
    const char *metrics = "{\"received\":5,\"processed\":4,\"dropped\":1,\"queued\":0}";
    char balance[160];
    const struct req_line *b = &pool.balances[7];
    snprintf(balance, sizeof balance, "{\"status\":\"ok\",\"user\":%.*s,\"balance\":-12}",
             (int)b->user_len, b->text + b->user_off);
    unsigned inl = verify_parse("4"), bal = verify_parse("7"), met = verify_parse("10");
    ck_assert_uint_eq(inl, VERIFY_INLINE);
    ck_assert_uint_eq(bal, VERIFY_BALANCES);
    ck_assert_uint_eq(met, VERIFY_BALANCES | VERIFY_METRICS);
    ck_assert_uint_eq(verify_parse("inline"), inl);
    ck_assert_uint_eq(verify_parse("step08"), bal);
    ck_assert_uint_eq(verify_parse("metrics"), verify_parse("9"));
    ck_assert_str_eq(verify_name(met), "metrics");
    ck_assert(verify_checks_state(inl) && verify_checks_state(bal) && verify_checks_state(met));
    ck_assert(!verify_checks_state(VERIFY_PARSE) && !verify_checks_state(VERIFY_QUEUE));

    /* 04: an event gets its new balance; nothing else changes. */
    ck_assert(verified(inl, event(), "{\"status\":\"ok\",\"balance\":100}"));
    ck_assert(!verified(inl, event(), acc));
    ck_assert(!verified(inl, event(), overflow));
    ck_assert(verified(inl, b, unknown));
    ck_assert(verified(inl, &pool.metrics, unknown));
    /* 07: queued events, balance queries answered. */
    ck_assert(verified(bal, event(), acc) && verified(bal, event(), busy));
    ck_assert(!verified(bal, event(), down));
    ck_assert(verified(bal, b, balance));
    ck_assert(!verified(bal, b, unknown));
    ck_assert(verified(bal, &pool.metrics, unknown));
    ck_assert(!verified(bal, &pool.metrics, metrics));
    /* 09-10: metrics answered; health by 10 only; shutting_down from 10. */
    ck_assert(verified(met, &pool.metrics, metrics));
    ck_assert(!verified(met, &pool.metrics, unknown));
    ck_assert(verified(met, &pool.health, health) && verified(met, &pool.health, unknown));
    ck_assert(verified(met, event(), down));
    ck_assert(verified(met, b, balance));
    /* A refusal is never a verification error. */
    ck_assert(verified(VERIFY_PARSE, event(), refused) && verified(inl, event(), refused));
    ck_assert(verified(VERIFY_ECHO, event(), refused) && verified(met, b, refused));
}
END_TEST

/* What the state checks keep per user. */
START_TEST(test_verify_sums)
{
    struct verify_sums a, b;
    ck_assert(verify_sums_init(&a, VERIFY_PARSE, 100));
    ck_assert_ptr_null(a.sum);
    verify_note(&a, event(), REPLY_ACCEPTED); /* nothing kept: no crash */
    verify_sums_free(&a);

    ck_assert(verify_sums_init(&a, VERIFY_BALANCES, 100));
    ck_assert(verify_sums_init(&b, VERIFY_BALANCES, 100));
    const struct req_line *e0 = &pool.events[0], *e1 = &pool.events[1];
    const struct req_line *f = &pool.events[pool.variants * 5];
    verify_note(&a, e0, REPLY_ACCEPTED);
    verify_note(&a, e1, REPLY_REJ_SERVER_BUSY);
    verify_note(&b, e1, REPLY_OK);
    verify_note(&b, &pool.balances[9], REPLY_OK_BALANCE); /* not an event */
    verify_note_lost(&b, f);
    verify_sums_merge(&a, &b);
    ck_assert_int_eq(a.sum[0], e0->delta + e1->delta);
    ck_assert_uint_eq(a.flags[0], USER_TOUCHED);
    ck_assert_int_eq(a.sum[5], 0);
    ck_assert_uint_eq(a.flags[5], USER_TOUCHED | USER_UNSURE);
    ck_assert_uint_eq(a.flags[9], 0);
    verify_sums_free(&a);
    verify_sums_free(&b);
}
END_TEST

START_TEST(test_names)
{
    for (int k = 0; k < REPLY_COUNT; k++)
        ck_assert_ptr_nonnull(reply_kind_name((enum reply_kind)k));
    ck_assert_str_eq(reply_kind_name(REPLY_REJ_SERVER_BUSY), "rejected/server_busy");
    ck_assert_str_eq(reply_kind_name(REPLY_ERR_INVALID_JSON), "error/invalid_json");
}
END_TEST

static Suite *replies_suite(void)
{
    Suite *s = suite_create("loadgen replies");
    TCase *tc = tcase_create("replies");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_table);
    tcase_add_test(tc, test_values);
    tcase_add_test(tc, test_echo);
    tcase_add_test(tc, test_mismatch);
    tcase_add_test(tc, test_verify_modes);
    tcase_add_test(tc, test_verify_state_modes);
    tcase_add_test(tc, test_verify_sums);
    tcase_add_test(tc, test_names);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(replies_suite)
