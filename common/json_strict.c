#include "json_strict.h"

#include <string.h>

/* A recursive-descent reader of RFC 8259's grammar that keeps nothing but
 * the place of the amount. */
struct reader {
    const char *p, *end;
    int depth;
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static void skip_whitespace(struct reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

/* Four hex digits at p, as a number; false if they are not there. */
static bool read_hex4(const char *p, const char *end, unsigned *code)
{
    if (end - p < 4)
        return false;
    *code = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned digit = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                         : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                         : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                                : 16;
        if (digit == 16)
            return false;
        *code = *code << 4 | digit;
    }
    return true;
}

/* The escape at r->p (a backslash): moves past it and gives the character it
 * stands for (any code point above 0x7f as 0x80: only ASCII is compared). */
static bool read_escape(struct reader *r, unsigned *code)
{
    if (r->end - r->p < 2)
        return false;
    static const char simple[] = "\"\\/bfnrt", meaning[] = "\"\\/\b\f\n\r\t";
    const char *which = r->p[1] ? strchr(simple, r->p[1]) : NULL;
    if (which) {
        *code = (unsigned char)meaning[which - simple];
        r->p += 2;
        return true;
    }
    if (r->p[1] != 'u' || !read_hex4(r->p + 2, r->end, code))
        return false;
    r->p += 6;
    if (*code >= 0xdc00 && *code <= 0xdfff)
        return false; /* a low surrogate with no high one before it */
    if (*code >= 0xd800 && *code <= 0xdbff) { /* a high surrogate: its low one must follow */
        unsigned low;
        if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' ||
            !read_hex4(r->p + 2, r->end, &low) || low < 0xdc00 || low > 0xdfff)
            return false;
        r->p += 6;
    }
    if (*code > 0x7f)
        *code = 0x80;
    return true;
}

/* Whether the string between start and stop (its escapes already checked)
 * reads "amount" once unescaped. */
static bool unescapes_to_amount(const char *start, const char *stop)
{
    static const char amount[] = "amount";
    struct reader r = {.p = start, .end = stop};
    size_t matched = 0;
    while (r.p < r.end) {
        unsigned code = (unsigned char)*r.p;
        if (code == '\\')
            read_escape(&r, &code);
        else
            r.p++;
        if (matched == sizeof amount - 1 || code != (unsigned char)amount[matched])
            return false;
        matched++;
    }
    return matched == sizeof amount - 1;
}

/* A string, from its opening quote. If is_amount is not NULL, says whether
 * the string reads "amount" once unescaped. Raw bytes from 0x80 up are left
 * to the checks of the fields that hold them (a user name must be UTF-8). */
static bool read_string(struct reader *r, bool *is_amount)
{
    const char *start = ++r->p;
    bool escapes = false;
    for (;;) {
        /* Most bytes are plain: skip them in a tight loop. */
        while (r->p < r->end && (unsigned char)*r->p >= 0x20 && *r->p != '"' && *r->p != '\\')
            r->p++;
        if (r->p == r->end || (unsigned char)*r->p < 0x20)
            return false; /* no closing quote, or a control character not escaped */
        if (*r->p == '"')
            break;
        unsigned code;
        if (!read_escape(r, &code))
            return false;
        escapes = true;
    }
    const char *stop = r->p++;
    if (is_amount)
        *is_amount = escapes ? unescapes_to_amount(start, stop)
                             : stop - start == 6 && memcmp(start, "amount", 6) == 0;
    return true;
}

/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static bool read_number(struct reader *r)
{
    const char *p = r->p, *end = r->end;
    if (p < end && *p == '-')
        p++;
    if (p == end || !is_digit(*p))
        return false;
    if (*p++ != '0')
        while (p < end && is_digit(*p))
            p++;
    if (p < end && *p == '.') {
        if (++p == end || !is_digit(*p))
            return false;
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        if (++p < end && (*p == '+' || *p == '-'))
            p++;
        if (p == end || !is_digit(*p))
            return false;
        while (p < end && is_digit(*p))
            p++;
    }
    r->p = p;
    return true;
}

static bool read_literal(struct reader *r, const char *word, size_t n)
{
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return false;
    r->p += n;
    return true;
}

static bool read_value(struct reader *r, struct json_span *amount);

/* From the opening brace. amount: see json_check_strict (NULL below the top). */
static bool read_object(struct reader *r, struct json_span *amount)
{
    if (++r->depth > JSON_MAX_DEPTH)
        return false;
    r->p++;
    skip_whitespace(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        r->depth--;
        return true;
    }
    for (;;) {
        skip_whitespace(r);
        bool is_amount = false;
        if (r->p == r->end || *r->p != '"' || !read_string(r, amount ? &is_amount : NULL))
            return false;
        skip_whitespace(r);
        if (r->p == r->end || *r->p != ':')
            return false;
        r->p++;
        skip_whitespace(r);
        const char *value = r->p;
        if (!read_value(r, NULL))
            return false;
        if (is_amount && !amount->start) /* the first one counts, as in cJSON */
            *amount = (struct json_span){value, (size_t)(r->p - value)};
        skip_whitespace(r);
        if (r->p == r->end)
            return false;
        if (*r->p == '}') {
            r->p++;
            r->depth--;
            return true;
        }
        if (*r->p++ != ',')
            return false;
    }
}

static bool read_array(struct reader *r)
{
    if (++r->depth > JSON_MAX_DEPTH)
        return false;
    r->p++;
    skip_whitespace(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        r->depth--;
        return true;
    }
    for (;;) {
        if (!read_value(r, NULL))
            return false;
        skip_whitespace(r);
        if (r->p == r->end)
            return false;
        if (*r->p == ']') {
            r->p++;
            r->depth--;
            return true;
        }
        if (*r->p++ != ',')
            return false;
    }
}

static bool read_value(struct reader *r, struct json_span *amount)
{
    skip_whitespace(r);
    if (r->p == r->end)
        return false;
    switch (*r->p) {
    case '{': return read_object(r, amount);
    case '[': return read_array(r);
    case '"': return read_string(r, NULL);
    case 't': return read_literal(r, "true", 4);
    case 'f': return read_literal(r, "false", 5);
    case 'n': return read_literal(r, "null", 4);
    default: return read_number(r);
    }
}

bool json_check_strict(const char *text, size_t len, struct json_span *amount)
{
    struct reader r = {.p = text, .end = text + len};
    *amount = (struct json_span){NULL, 0};
    if (!read_value(&r, amount))
        return false;
    skip_whitespace(&r);
    return r.p == r.end;
}

/* More significant digits than this make a number too big for int64_t, or
 * not whole. */
#define SIGNIFICANT_MAX 20

bool json_whole_number(const char *text, size_t len, int64_t min, int64_t max, int64_t *value)
{
    const char *p = text, *end = text + len;
    bool negative = p < end && *p == '-';
    p += negative;

    /* The digits, leading zeros dropped, as the integer D; the number is
     * D x 10^e. */
    char digits[SIGNIFICANT_MAX];
    size_t n = 0;
    long long e = 0;
    bool fraction = false;
    for (; p < end && (is_digit(*p) || *p == '.'); p++) {
        if (*p == '.') {
            fraction = true;
            continue;
        }
        e -= fraction;
        if (n == 0 && *p == '0')
            continue;
        if (n < SIGNIFICANT_MAX)
            digits[n++] = *p;
        else if (*p == '0')
            e++; /* a zero beyond what is kept: one more power of ten */
        else
            return false; /* a 21st significant digit: too big, or not whole */
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        bool negative_exponent = p < end && *p == '-';
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        long long exponent = 0;
        for (; p < end && is_digit(*p); p++)
            if (exponent < 1000000000LL) /* saturates: far beyond any line */
                exponent = exponent * 10 + (*p - '0');
        e += negative_exponent ? -exponent : exponent;
    }
    while (n > 0 && digits[n - 1] == '0') { /* trailing zeros are powers of ten */
        n--;
        e++;
    }
    if (n > 0 && (e < 0 || (long long)n + e > 19))
        return false; /* a fraction left, or at least 10^19 */
    uint64_t magnitude = 0;
    for (size_t i = 0; i < n; i++)
        magnitude = magnitude * 10 + (uint64_t)(digits[i] - '0');
    for (long long i = 0; n > 0 && i < e; i++)
        magnitude *= 10; /* at most 19 digits in all: no overflow */
    if (magnitude > (uint64_t)INT64_MAX)
        return false;
    int64_t v = negative ? -(int64_t)magnitude : (int64_t)magnitude;
    if (v < min || v > max)
        return false;
    *value = v;
    return true;
}
