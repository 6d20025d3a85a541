/* libFuzzer target: the fast path of request_parse against the cJSON path.
 *
 * Each input is parsed both ways three times: as a line on its own; wrapped into the common event
 * shape ({"user":"A","action":"B","amount":C}, the input split at its first two NUL bytes); and as
 * an event of that shape built from the input, amount and whitespace chosen by its first bytes
 * (check_generated), so that most runs reach the end of the fast path. Wherever the fast path
 * accepts a line, the cJSON path must read it as a valid event with the same user, action and
 * amount, field by field; request_parse must give the cJSON path's answer for every line; and a
 * line is answered invalid_json exactly when an RFC 8259 recognizer written apart for this
 * (strict_reference.c) rejects it. The
 * fast path gets a copy of exactly len bytes, with no NUL after it, so that AddressSanitizer sees
 * any read past the line; it must not write to the line. Every violated invariant ends in
 * abort(). */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_strict.h"
#include "request.h"
#include "request_internal.h"
#include "strict_reference.h"

/*** checks ***/

__attribute__((noreturn)) static void fail(int line, const char *what)
{
    fprintf(stderr, "fuzz_request_diff.c:%d: invariant violated: %s\n", line, what);
    abort();
}

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fail(__LINE__, #cond);                                                                 \
    } while (0)

/* Every field, and every byte of user[] (both paths zero what follows the name). */
static void check_same(const struct request *a, const struct request *b)
{
    CHECK(a->kind == b->kind);
    CHECK(a->reason == b->reason);
    CHECK(a->command == b->command);
    CHECK(a->action == b->action);
    CHECK(a->amount == b->amount);
    CHECK(a->user_len == b->user_len);
    CHECK(memcmp(a->user, b->user, sizeof a->user) == 0);
}

/*** one line, both ways ***/

static void check_line(const char *line, size_t len)
{
    /* The fast path: exactly len bytes, no terminating NUL. */
    char *exact = malloc(len ? len : 1);
    CHECK(exact != NULL);
    memcpy(exact, line, len);
    struct request fast;
    memset(&fast, 0xa5, sizeof fast);
    bool accepted = request_parse_fast(exact, len, &fast);
    CHECK(memcmp(exact, line, len) == 0);
    free(exact);

    /* The cJSON path and request_parse: NUL-terminated copies of their own. */
    char *copy = malloc(len + 1);
    CHECK(copy != NULL);
    memcpy(copy, line, len);
    copy[len] = '\0';
    struct request slow;
    memset(&slow, 0x5a, sizeof slow);
    request_parse_cjson(copy, len, &slow);

    memcpy(copy, line, len);
    copy[len] = '\0';
    struct request whole;
    memset(&whole, 0x3c, sizeof whole);
    request_parse(copy, len, &whole);
    free(copy);

    check_same(&whole, &slow);
    /* Not JSON exactly when the reference says RFC 8259 rejects it. */
    bool json = reference_is_json(line, len, JSON_MAX_DEPTH);
    CHECK((slow.reason == REASON_INVALID_JSON) == !json);
    if (!accepted)
        return;
    CHECK(json);
    CHECK(slow.kind == REQUEST_EVENT);
    CHECK(fast.kind == REQUEST_EVENT);
    check_same(&fast, &slow);
}

/* {"user":"A","action":"B","amount":C} from A NUL B NUL C. */
static void check_wrapped(const uint8_t *data, size_t size)
{
    static const char *const parts[] = {"{\"user\":\"", "\",\"action\":\"", "\",\"amount\":", "}"};
    char *line = malloc(size + 64);
    CHECK(line != NULL);
    size_t n = 0, field = 0;
    n += strlen(strcpy(line, parts[0]));
    for (size_t i = 0; i < size; i++) {
        if (data[i] == '\0' && field < 2) {
            field++;
            n += strlen(strcpy(line + n, parts[field]));
        } else {
            line[n++] = (char)data[i];
        }
    }
    while (field < 3) {
        field++;
        n += strlen(strcpy(line + n, parts[field]));
    }
    check_line(line, n);
    free(line);
}

/* An event of the common shape built from the input, with the amount and the whitespace chosen
 * from its first bytes: amounts around the limits, and whitespace the fast path takes or leaves
 * to cJSON, come up far more often than from byte mutations alone. */
static void check_generated(const uint8_t *data, size_t size)
{
    uint8_t head[12] = {0};
    size_t n_head = size < sizeof head ? size : sizeof head;
    memcpy(head, data, n_head);
    data += n_head;
    size -= n_head;
    uint64_t x = 0;
    for (size_t i = 0; i < 8; i++)
        x = x << 8 | head[i];
    uint32_t gaps = (uint32_t)head[8] << 16 | (uint32_t)head[9] << 8 | head[10];

    char amount[32];
    switch (head[11] & 3) {
    case 0: snprintf(amount, sizeof amount, "%" PRIu64, x % 100); break;
    case 1: snprintf(amount, sizeof amount, "%" PRIu64, AMOUNT_MAX - 8 + x % 16); break;
    case 2: snprintf(amount, sizeof amount, "%" PRIu64, x % 100000000000); break;
    default: snprintf(amount, sizeof amount, "%" PRIu64, x); break;
    }
    static const char *const actions[] = {"\"buy\"", "\"sell\"", "\"buy\"", "\"sell\"",
                                          "\"Buy\"", "\"bu\"",   "\"sel\"", "\"buyy\""};
    const char *action = actions[head[11] >> 2 & 7];
    static const char *const spaces[] = {"", "", "", " ", "\t", "\r\n", "\x0b", "\x01"};

    /* The tokens, with a gap chosen by 3 bits of gaps before each (and one at the end). */
    const char *tokens[] = {"{",    "\"user\"", ":",          NULL, ",",    "\"action\"", ":",
                            action, ",",        "\"amount\"", ":",  amount, "}",          ""};
    size_t cap = size + 256, n = 0;
    char *line = malloc(cap);
    CHECK(line != NULL);
    for (size_t t = 0; t < sizeof tokens / sizeof tokens[0]; t++) {
        const char *gap = spaces[(gaps >> (3 * (t % 8))) & 7];
        n += strlen(strcpy(line + n, gap));
        if (tokens[t]) {
            n += strlen(strcpy(line + n, tokens[t]));
        } else { /* the user: the rest of the input, quoted */
            line[n++] = '"';
            memcpy(line + n, data, size);
            n += size;
            line[n++] = '"';
        }
    }
    check_line(line, n);
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_line((const char *)data, size);
    check_wrapped(data, size);
    check_generated(data, size);
    return 0;
}
