#include "request.h"
#include "request_internal.h"

#include <stdbool.h>
#include <string.h>

#include <cJSON.h>

#include "json_strict.h"

/* cJSON ends its strings at the first NUL, so a "\u0000" escape would
 * silently cut a user name short: "a\u0000b" would read as "a". (A raw NUL
 * byte never gets this far: it is not JSON.) Turning each such escape into
 * "\u0001" first keeps the string's length, keeps the line exactly as valid
 * JSON as it was, and leaves a control character that the user name check
 * rejects. */
static void hide_nul_characters(char *line, size_t len)
{
    char *end = line + len;
    /* Most lines have no backslash at all: memchr finds that out fast. */
    for (char *p = memchr(line, '\\', len); p && end - p > 1;
         p = memchr(p + 2, '\\', (size_t)(end - p - 2))) {
        if (p[1] == 'u' && end - p > 5 && memcmp(p + 2, "0000", 4) == 0)
            p[5] = '1';
        /* p + 2: the escaped character never starts another escape */
    }
}

/* Well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF) with
 * no control characters. */
static bool is_clean_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x20 || c == 0x7f)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t extra;
        unsigned lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
        if (c >= 0xc2 && c <= 0xdf) {
            extra = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            extra = 2;
            if (c == 0xe0)
                lo = 0xa0; /* overlong */
            if (c == 0xed)
                hi = 0x9f; /* surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
            extra = 3;
            if (c == 0xf0)
                lo = 0x90; /* overlong */
            if (c == 0xf4)
                hi = 0x8f; /* above U+10FFFF */
        } else {
            return false;
        }
        if (n - i <= extra || s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k <= extra; k++) {
            if (s[i + k] < 0x80 || s[i + k] > 0xbf)
                return false;
        }
        i += extra + 1;
    }
    return true;
}

static bool read_user(const cJSON *obj, struct request *req)
{
    const cJSON *user = cJSON_GetObjectItemCaseSensitive(obj, "user");
    if (!cJSON_IsString(user) || !user->valuestring)
        return false;
    size_t n = strlen(user->valuestring); /* exact: NULs were hidden before parsing */
    if (n < 1 || n > USER_MAX || !is_clean_utf8((const unsigned char *)user->valuestring, n))
        return false;
    memcpy(req->user, user->valuestring, n + 1);
    req->user_len = n;
    return true;
}

/* amount_text: where the object's first "amount" member's value is written. */
static bool read_event(const cJSON *obj, struct json_span amount_text, struct request *req)
{
    if (!read_user(obj, req))
        return false;

    const cJSON *action = cJSON_GetObjectItemCaseSensitive(obj, "action");
    if (!cJSON_IsString(action) || !action->valuestring)
        return false;
    if (strcmp(action->valuestring, "buy") == 0)
        req->action = ACTION_BUY;
    else if (strcmp(action->valuestring, "sell") == 0)
        req->action = ACTION_SELL;
    else
        return false;

    /* cJSON gives every number as a double, rounded: the amount is judged on
     * its text instead. */
    const cJSON *amount = cJSON_GetObjectItemCaseSensitive(obj, "amount");
    return cJSON_IsNumber(amount) && amount_text.start &&
           json_whole_number(amount_text.start, amount_text.len, 1, AMOUNT_MAX, &req->amount);
}

static enum command command_named(const cJSON *type)
{
    if (!cJSON_IsString(type) || !type->valuestring)
        return COMMAND_UNKNOWN;
    if (strcmp(type->valuestring, "balance") == 0)
        return COMMAND_BALANCE;
    if (strcmp(type->valuestring, "metrics") == 0)
        return COMMAND_METRICS;
    if (strcmp(type->valuestring, "health") == 0)
        return COMMAND_HEALTH;
    return COMMAND_UNKNOWN;
}

static void classify(const cJSON *root, struct json_span amount_text, struct request *req)
{
    if (!cJSON_IsObject(root)) {
        req->reason = REASON_INVALID_EVENT;
        return;
    }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
    if (type) {
        req->kind = REQUEST_COMMAND;
        req->command = command_named(type);
        if (req->command == COMMAND_BALANCE && !read_user(root, req))
            req->reason = REASON_INVALID_EVENT;
        return;
    }
    if (read_event(root, amount_text, req))
        req->kind = REQUEST_EVENT;
    else
        req->reason = REASON_INVALID_EVENT;
}

static bool only_whitespace(const char *p, const char *end)
{
    for (; p < end; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
            return false;
    }
    return true;
}

void request_parse_cjson(char *line, size_t len, struct request *req)
{
    *req = (struct request){.kind = REQUEST_INVALID, .reason = REASON_NONE};
    /* What RFC 8259 does not accept is not JSON, whatever cJSON would make
     * of it. */
    struct json_span amount_text;
    if (!json_check_strict(line, len, &amount_text)) {
        req->reason = REASON_INVALID_JSON;
        return;
    }
    hide_nul_characters(line, len);

    /* cJSON 1.7.15 may read one byte past a length-bounded buffer: line[len]
     * is a NUL, so that byte ends the input either way. */
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(line, len, &end, 0);
    if (!root || !end || end > line + len || !only_whitespace(end, line + len)) {
        req->reason = REASON_INVALID_JSON;
        cJSON_Delete(root);
        return;
    }
    classify(root, amount_text, req);
    cJSON_Delete(root);
}

/* The fast path. cJSON allocates for every value and string (about 270 ns an
 * event here); most lines are events of one shape, which a scanner reads in a
 * fraction of that. It accepts only
 *
 *   {"user":"U","action":"buy"|"sell","amount":N}
 *
 * with those three keys in that order, written without escapes; optional space,
 * tab, CR or LF around every token; U 1 to USER_MAX bytes of clean UTF-8 with no
 * backslash; N a decimal integer from 1 to AMOUNT_MAX, no sign, no leading zero,
 * no fraction, no exponent. Anything else, valid or not, is declined and goes
 * to cJSON. A line it accepts holds no NUL and no backslash, so
 * hide_nul_characters would not have changed it. fuzz/fuzz_request_diff.c
 * checks that every line it accepts parses to the same request through cJSON. */

/* Only the four JSON whitespace bytes: cJSON also skips every other byte up to
 * 0x20, but a line holding one of those is left to it. */
static inline const char *skip_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

/* Skips whitespace, then the literal text s; NULL if it is not there. Inlined,
 * memcmp with a constant length becomes a compare or two: half the work. */
static inline const char *expect(const char *p, const char *end, const char *s, size_t n)
{
    p = skip_space(p, end);
    if ((size_t)(end - p) < n || memcmp(p, s, n) != 0)
        return NULL;
    return p + n;
}

#define EXPECT(p, end, lit) expect((p), (end), (lit), sizeof(lit) - 1)

bool request_parse_fast(const char *line, size_t len, struct request *req)
{
    const char *p = line, *end = line + len;

    if (!(p = EXPECT(p, end, "{")) || !(p = EXPECT(p, end, "\"user\"")) ||
        !(p = EXPECT(p, end, ":")) || !(p = EXPECT(p, end, "\"")))
        return false;
    const char *user = p;
    while (p < end && *p != '"' && *p != '\\')
        p++;
    size_t user_len = (size_t)(p - user);
    if (p == end || *p != '"' || user_len < 1 || user_len > USER_MAX ||
        !is_clean_utf8((const unsigned char *)user, user_len))
        return false;
    p++;

    if (!(p = EXPECT(p, end, ",")) || !(p = EXPECT(p, end, "\"action\"")) ||
        !(p = EXPECT(p, end, ":")))
        return false;
    enum action action;
    const char *q;
    if ((q = EXPECT(p, end, "\"buy\""))) {
        action = ACTION_BUY;
    } else if ((q = EXPECT(p, end, "\"sell\""))) {
        action = ACTION_SELL;
    } else {
        return false;
    }
    p = q;

    if (!(p = EXPECT(p, end, ",")) || !(p = EXPECT(p, end, "\"amount\"")) ||
        !(p = EXPECT(p, end, ":")))
        return false;
    p = skip_space(p, end);
    if (p == end || *p < '1' || *p > '9')
        return false;
    int64_t amount = 0;
    for (int digits = 0; p < end && *p >= '0' && *p <= '9'; p++) {
        if (++digits > 10) /* AMOUNT_MAX has 10 */
            return false;
        amount = amount * 10 + (*p - '0');
    }
    if (amount > AMOUNT_MAX || !(p = EXPECT(p, end, "}")) || skip_space(p, end) != end)
        return false;

    *req = (struct request){.kind = REQUEST_EVENT,
                            .reason = REASON_NONE,
                            .action = action,
                            .amount = amount,
                            .user_len = user_len};
    memcpy(req->user, user, user_len); /* the rest of user[] is zero: NUL-terminated */
    return true;
}

void request_parse(char *line, size_t len, struct request *req)
{
    if (!request_parse_fast(line, len, req))
        request_parse_cjson(line, len, req);
}
