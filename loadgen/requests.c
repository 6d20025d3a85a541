#include "requests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "response.h"

static const char *const kind_names[RK_COUNT] = {
    [RK_EVENT] = "event",   [RK_BALANCE] = "balance", [RK_METRICS] = "metrics",
    [RK_HEALTH] = "health", [RK_INVALID] = "invalid", [RK_ECHO] = "echo",
    [RK_SET] = "set",
};

const char *req_kind_name(enum req_kind kind)
{
    return kind_names[kind];
}

bool req_kind_from_name(const char *name, size_t len, enum req_kind *kind)
{
    for (int k = 0; k < RK_COUNT; k++) {
        if (strlen(kind_names[k]) == len && memcmp(kind_names[k], name, len) == 0) {
            *kind = (enum req_kind)k;
            return true;
        }
    }
    return false;
}

/* Lines that are not valid events, and the reason each must get. */
static const struct {
    const char *text;
    enum reply_kind expect;
} invalid_lines[] = {
    {"{\"user\":\"user1\",\"action\":\"buy\",\"amount\":0}", REPLY_ERR_INVALID_EVENT},
    {"{\"user\":\"user1\",\"action\":\"steal\",\"amount\":5}", REPLY_ERR_INVALID_EVENT},
    {"{\"user\":\"\",\"action\":\"buy\",\"amount\":5}", REPLY_ERR_INVALID_EVENT},
    {"{\"user\":\"user1\",\"action\":\"buy\",\"amount\":2.5}", REPLY_ERR_INVALID_EVENT},
    {"{\"user\":\"user1\",\"action\":\"sell\",\"amount\":1000000001}", REPLY_ERR_INVALID_EVENT},
    {"{\"user\":\"user1\",\"action\":\"buy\",\"amount\":\"5\"}", REPLY_ERR_INVALID_EVENT},
    {"{\"user\":\"a\\u0000b\",\"action\":\"buy\",\"amount\":5}", REPLY_ERR_INVALID_EVENT},
    {"{\"action\":\"buy\",\"amount\":5}", REPLY_ERR_INVALID_EVENT},
    {"[\"user1\",\"buy\",5]", REPLY_ERR_INVALID_EVENT},
    {"{\"user\":\"user1\",\"action\":\"buy\",\"amount\":5", REPLY_ERR_INVALID_JSON},
    {"{\"user\":\"user1\",\"action\":\"buy\",\"amount\":5} trailing", REPLY_ERR_INVALID_JSON},
    {"{\"user\":\"user1\",\"action\":\"buy\",\"amount\":NaN}", REPLY_ERR_INVALID_JSON},
    {"hello, world", REPLY_ERR_INVALID_JSON},
};
#define N_INVALID (sizeof invalid_lines / sizeof invalid_lines[0])

#define N_ECHO 16

/* Event variants per user: fewer for very many users, to bound memory. */
static uint32_t variants_for(uint32_t users)
{
    return users <= 100000 ? 4 : 1;
}

size_t pool_user_name(const struct req_pool *pool, uint32_t i, char *buf)
{
    if (i % 10 == 7)
        return (size_t)sprintf(buf, "%sq\"\xc3\xa9-%u", pool->prefix, i); /* q"é-<i> */
    return (size_t)sprintf(buf, "%suser%u", pool->prefix, i);
}

/* Amount and direction of user u's event variant v: 1 .. 1000, buys and
 * sells alternating. */
static int64_t variant_delta(uint32_t u, uint32_t v)
{
    int64_t amount = 1 + (int64_t)(((uint64_t)u * 7919u + (uint64_t)v * 104729u) % 1000u);
    return v % 2 == 0 ? amount : -amount;
}

/* A writer into the arena, which was sized beforehand. */
struct writer {
    char *p;
};

static void add_line(struct writer *w, struct req_line *line, enum req_kind kind, const char *text,
                     size_t n)
{
    memcpy(w->p, text, n);
    w->p[n] = '\n';
    line->text = w->p;
    line->len = (uint16_t)(n + 1);
    line->kind = (uint8_t)kind;
    w->p += n + 1;
}

bool pool_init(struct req_pool *pool, uint32_t users, const char *prefix)
{
    *pool = (struct req_pool){.users = users, .variants = variants_for(users)};
    snprintf(pool->prefix, sizeof pool->prefix, "%s", prefix);
    size_t n_events = (size_t)users * pool->variants;
    /* Upper bounds: an event line or a balance query is under 128 bytes (a
     * name escapes to at most 79, quotes included). */
    size_t arena_size =
        n_events * 128 + (size_t)users * 128 + 4096 + N_INVALID * 128 + N_ECHO * 128 + POOL_SLACK;
    pool->events = malloc(sizeof *pool->events * n_events);
    pool->balances = malloc(sizeof *pool->balances * users);
    pool->invalid = calloc(N_INVALID, sizeof *pool->invalid);
    pool->echo = calloc(N_ECHO, sizeof *pool->echo);
    pool->arena = malloc(arena_size);
    if (!pool->events || !pool->balances || !pool->invalid || !pool->echo || !pool->arena) {
        pool_free(pool);
        return false;
    }
    struct writer w = {pool->arena};
    char name[USER_NAME_MAX], escaped[6 * USER_NAME_MAX + 2], line[REQ_LINE_MAX];
    for (uint32_t u = 0; u < users; u++) {
        size_t name_len = pool_user_name(pool, u, name);
        size_t esc_len = json_escape(escaped, name, name_len);
        for (uint32_t v = 0; v < pool->variants; v++) {
            int64_t delta = variant_delta(u, v);
            int n = snprintf(line, sizeof line, "{\"user\":%.*s,\"action\":\"%s\",\"amount\":%lld}",
                             (int)esc_len, escaped, delta > 0 ? "buy" : "sell",
                             (long long)(delta > 0 ? delta : -delta));
            struct req_line *e = &pool->events[(size_t)u * pool->variants + v];
            *e = (struct req_line){.user = u, .delta = delta};
            add_line(&w, e, RK_EVENT, line, (size_t)n);
        }
        static const char query_head[] = "{\"type\":\"balance\",\"user\":";
        int n = snprintf(line, sizeof line, "%s%.*s}", query_head, (int)esc_len, escaped);
        struct req_line *b = &pool->balances[u];
        *b = (struct req_line){.user = u,
                               .user_off = (uint16_t)(sizeof query_head - 1),
                               .user_len = (uint16_t)esc_len};
        add_line(&w, b, RK_BALANCE, line, (size_t)n);
    }
    static const char metrics[] = "{\"type\":\"metrics\"}", health[] = "{\"type\":\"health\"}";
    add_line(&w, &pool->metrics, RK_METRICS, metrics, sizeof metrics - 1);
    add_line(&w, &pool->health, RK_HEALTH, health, sizeof health - 1);
    for (size_t i = 0; i < N_INVALID; i++) {
        add_line(&w, &pool->invalid[i], RK_INVALID, invalid_lines[i].text,
                 strlen(invalid_lines[i].text));
        pool->invalid[i].expect = (uint8_t)invalid_lines[i].expect;
    }
    pool->n_invalid = N_INVALID;
    static const char filler[] = "the quick brown fox jumps over the lazy dog";
    for (int i = 0; i < N_ECHO; i++) {
        int n = snprintf(line, sizeof line, "echo %02d %.*s", i, 1 + (i * 11) % 43, filler);
        add_line(&w, &pool->echo[i], RK_ECHO, line, (size_t)n);
    }
    pool->n_echo = N_ECHO;
    return true;
}

/* Room for one SET command: "*3\r\n$3\r\nSET\r\n$NN\r\n<name>\r\n$NN\r\n<amount>\r\n"
 * with a name shorter than USER_NAME_MAX and an amount of at most 20 characters. */
#define SET_LINE_MAX 128
_Static_assert(4 + 4 + 5 + 5 + USER_NAME_MAX + 2 + 5 + 20 + 2 <= SET_LINE_MAX, "a SET fits");

bool pool_add_set_lines(struct req_pool *pool)
{
    char name[USER_NAME_MAX], value[24], line[SET_LINE_MAX];
    pool->set = malloc(sizeof *pool->set * pool->users);
    pool->set_arena = malloc((size_t)pool->users * SET_LINE_MAX + POOL_SLACK);
    if (!pool->set || !pool->set_arena)
        return false; /* pool_free frees what was allocated */
    struct writer w = {pool->set_arena};
    for (uint32_t u = 0; u < pool->users; u++) {
        size_t name_len = pool_user_name(pool, u, name);
        int value_len =
            snprintf(value, sizeof value, "%lld", (long long)llabs(variant_delta(u, 0)));
        /* RESP, as redis-cli sends it; add_line writes the final '\n'. */
        int n = snprintf(line, sizeof line, "*3\r\n$3\r\nSET\r\n$%zu\r\n%.*s\r\n$%d\r\n%s\r",
                         name_len, (int)name_len, name, value_len, value);
        if (n < 0 || (size_t)n >= sizeof line)
            abort(); /* ruled out by the assertion above */
        pool->set[u] = (struct req_line){.user = u};
        add_line(&w, &pool->set[u], RK_SET, line, (size_t)n);
    }
    return true;
}

void pool_free(struct req_pool *pool)
{
    free(pool->set);
    free(pool->set_arena);
    free(pool->events);
    free(pool->balances);
    free(pool->invalid);
    free(pool->echo);
    free(pool->arena);
    *pool = (struct req_pool){0};
}
