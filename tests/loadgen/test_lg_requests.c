/* The request pool: every pre-built line is one valid line that the
 * project's own parser (common/request.h) reads as the kind, user and amount
 * it was built for; invalid lines get the reason they are expected to get. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "requests.h"
#include "response.h"
#include "unit.h"

/* Parses a pre-built line the way a server would: without its '\n', NUL-terminated. */
static void parse(const struct req_line *line, struct request *req)
{
    char buf[REQ_LINE_MAX + 1];
    EXPECT(line->len >= 2 && line->len <= REQ_LINE_MAX, "line of %u bytes", line->len);
    EXPECT(line->text[line->len - 1] == '\n', "line does not end in \\n");
    EXPECT(memchr(line->text, '\n', line->len - 1u) == NULL, "two lines in one");
    EXPECT(memchr(line->text, '\r', line->len) == NULL, "a \\r in a line");
    memcpy(buf, line->text, line->len - 1u);
    buf[line->len - 1u] = '\0';
    request_parse(buf, line->len - 1u, req);
}

static void check_user(const struct req_pool *pool, const struct request *req, uint32_t u)
{
    char name[USER_NAME_MAX];
    size_t n = pool_user_name(pool, u, name);
    EXPECT(req->user_len == n && memcmp(req->user, name, n) == 0, "user %u: got '%s'", u,
           req->user);
}

static void check_pool(uint32_t users, const char *prefix)
{
    struct req_pool pool;
    ck_assert(pool_init(&pool, users, prefix));
    struct request req;
    for (uint32_t u = 0; u < users; u++) {
        for (uint32_t v = 0; v < pool.variants; v++) {
            const struct req_line *e = pool_pick(&pool, RK_EVENT, u, v);
            EXPECT(e->kind == RK_EVENT && e->user == u, "event %u/%u mislabelled", u, v);
            parse(e, &req);
            EXPECT(req.kind == REQUEST_EVENT, "user %u variant %u: not an event: %.*s", u, v,
                   (int)e->len, e->text);
            check_user(&pool, &req, u);
            EXPECT(event_delta(&req) == e->delta, "user %u: delta %lld, built for %lld", u,
                   (long long)event_delta(&req), (long long)e->delta);
        }
        const struct req_line *b = pool_pick(&pool, RK_BALANCE, u, 0);
        EXPECT(b->kind == RK_BALANCE && b->user == u, "balance %u mislabelled", u);
        parse(b, &req);
        EXPECT(req.kind == REQUEST_COMMAND && req.command == COMMAND_BALANCE &&
                   req.reason == REASON_NONE,
               "balance query %u: %.*s", u, (int)b->len, b->text);
        check_user(&pool, &req, u);
        /* user_off/user_len point at the user exactly as a server escapes it. */
        char name[USER_NAME_MAX], esc[6 * USER_NAME_MAX + 2];
        size_t n = json_escape(esc, name, pool_user_name(&pool, u, name));
        EXPECT(b->user_len == n && memcmp(b->text + b->user_off, esc, n) == 0,
               "balance query %u: user not at its offset", u);
    }
    parse(&pool.metrics, &req);
    ck_assert(req.kind == REQUEST_COMMAND && req.command == COMMAND_METRICS);
    parse(&pool.health, &req);
    ck_assert(req.kind == REQUEST_COMMAND && req.command == COMMAND_HEALTH);
    ck_assert_uint_gt(pool.n_invalid, 0);
    for (uint32_t i = 0; i < pool.n_invalid; i++) {
        const struct req_line *inv = pool_pick(&pool, RK_INVALID, 0, i);
        parse(inv, &req);
        enum reason want =
            inv->expect == REPLY_ERR_INVALID_JSON ? REASON_INVALID_JSON : REASON_INVALID_EVENT;
        EXPECT(inv->expect == REPLY_ERR_INVALID_JSON || inv->expect == REPLY_ERR_INVALID_EVENT,
               "invalid line %u expects %d", i, inv->expect);
        EXPECT(req.kind == REQUEST_INVALID && req.reason == want,
               "invalid line %u (%.*s): kind %d reason %d, expected reason %d", i,
               (int)inv->len - 1, inv->text, req.kind, req.reason, want);
    }
    ck_assert_uint_gt(pool.n_echo, 0);
    for (uint32_t i = 0; i < pool.n_echo; i++) {
        const struct req_line *e = pool_pick(&pool, RK_ECHO, 0, i);
        parse(e, &req);
        EXPECT(req.kind == REQUEST_INVALID && req.reason == REASON_INVALID_JSON,
               "text line %u parses as JSON", i);
    }
    pool_free(&pool);
}

START_TEST(test_every_line_parses_as_built)
{
    check_pool(1000, "");
    check_pool(1000, "lg0123abcd-");
}
END_TEST

/* The longest prefix, every byte of it escaped: the longest lines. */
#define WORST_PREFIX "\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\"

START_TEST(test_many_users_one_variant)
{
    ck_assert_uint_eq(strlen(WORST_PREFIX), USER_PREFIX_MAX);
    check_pool(100001, WORST_PREFIX);
}
END_TEST

START_TEST(test_kind_names)
{
    enum req_kind k;
    ck_assert(req_kind_from_name("event", 5, &k) && k == RK_EVENT);
    ck_assert(req_kind_from_name("echo", 4, &k) && k == RK_ECHO);
    ck_assert(!req_kind_from_name("even", 4, &k));
    ck_assert(!req_kind_from_name("events", 6, &k));
    for (int i = 0; i < RK_COUNT; i++) {
        const char *name = req_kind_name((enum req_kind)i);
        ck_assert(req_kind_from_name(name, strlen(name), &k) && (int)k == i);
    }
}
END_TEST

START_TEST(test_user_names)
{
    struct req_pool pool;
    char a[USER_NAME_MAX], b[USER_NAME_MAX];
    ck_assert(pool_init(&pool, 20, ""));
    ck_assert_str_eq((pool_user_name(&pool, 0, a), a), "user0");
    ck_assert_str_eq((pool_user_name(&pool, 17, b), b), "q\"\xc3\xa9-17");
    pool_free(&pool);
    ck_assert(pool_init(&pool, 20, "lg1-"));
    ck_assert_str_eq((pool_user_name(&pool, 3, a), a), "lg1-user3");
    ck_assert_str_eq((pool_user_name(&pool, 7, b), b), "lg1-q\"\xc3\xa9-7");
    pool_free(&pool);
    /* The longest name fits the protocol's 64 bytes. */
    ck_assert(pool_init(&pool, 1, WORST_PREFIX));
    ck_assert_uint_le(pool_user_name(&pool, USERS_MAX - 3, a), 64);
    pool_free(&pool);
}
END_TEST

/* One RESP bulk string "$<n>\r\n<n bytes>\r\n" at *p: its bytes, or NULL. */
static const char *bulk(const char **p, const char *end, size_t *len)
{
    char *digits_end;
    if (*p >= end || **p != '$')
        return NULL;
    unsigned long n = strtoul(*p + 1, &digits_end, 10);
    if ((size_t)(end - digits_end) < n + 4 || memcmp(digits_end, "\r\n", 2) != 0 ||
        memcmp(digits_end + 2 + n, "\r\n", 2) != 0)
        return NULL;
    *len = n;
    *p = digits_end + 2 + n + 2;
    return digits_end + 2;
}

/* Each user's SET is one RESP array of three bulk strings, as Redis reads
 * it: SET, the user's name byte for byte, and the amount of its first event. */
static void check_set_lines(uint32_t users, const char *prefix)
{
    struct req_pool pool;
    ck_assert(pool_init(&pool, users, prefix));
    ck_assert(pool_add_set_lines(&pool));
    for (uint32_t u = 0; u < users; u++) {
        const struct req_line *s = pool_pick(&pool, RK_SET, u, 0);
        EXPECT(s->kind == RK_SET && s->user == u, "set %u mislabelled", u);
        const char *p = s->text, *end = s->text + s->len;
        EXPECT(end[-1] == '\n' && memcmp(p, "*3\r\n", 4) == 0, "set %u: not a RESP array", u);
        p += 4;
        size_t n, name_len, value_len;
        const char *cmd = bulk(&p, end, &n);
        EXPECT(cmd && n == 3 && memcmp(cmd, "SET", 3) == 0, "set %u: not SET", u);
        const char *key = bulk(&p, end, &name_len);
        const char *value = bulk(&p, end, &value_len);
        EXPECT(key && value && p == end, "set %u: not three bulk strings", u);
        char name[USER_NAME_MAX], want[24];
        size_t want_name = pool_user_name(&pool, u, name);
        EXPECT(name_len == want_name && memcmp(key, name, name_len) == 0, "set %u: wrong key", u);
        int64_t amount = pool.events[(size_t)u * pool.variants].delta;
        int want_len =
            snprintf(want, sizeof want, "%lld", (long long)(amount > 0 ? amount : -amount));
        EXPECT(value_len == (size_t)want_len && memcmp(value, want, value_len) == 0,
               "set %u: wrong value", u);
    }
    pool_free(&pool);
}

/* The kinds that name a user pick their line by it, the others do not: a
 * kind missing from req_kind_has_user would send every request for user 0. */
START_TEST(test_kinds_with_a_user)
{
    struct req_pool pool;
    ck_assert(pool_init(&pool, 10, ""));
    ck_assert(pool_add_set_lines(&pool));
    for (int k = 0; k < RK_COUNT; k++) {
        bool by_user =
            pool_pick(&pool, (enum req_kind)k, 3, 0) != pool_pick(&pool, (enum req_kind)k, 4, 0);
        ck_assert_msg(by_user == req_kind_has_user((enum req_kind)k), "kind %s",
                      req_kind_name((enum req_kind)k));
    }
    pool_free(&pool);
}
END_TEST

START_TEST(test_set_lines)
{
    check_set_lines(1000, "lg0123abcd-");
    check_set_lines(100008, WORST_PREFIX); /* up to q"é-100007: the longest names */
}
END_TEST

static Suite *requests_suite(void)
{
    Suite *s = suite_create("loadgen requests");
    TCase *tc = tcase_create("requests");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_every_line_parses_as_built);
    tcase_add_test(tc, test_many_users_one_variant);
    tcase_add_test(tc, test_kind_names);
    tcase_add_test(tc, test_user_names);
    tcase_add_test(tc, test_set_lines);
    tcase_add_test(tc, test_kinds_with_a_user);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(requests_suite)
