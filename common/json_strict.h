/* What cJSON lets through and RFC 8259 does not: a strict check of a JSON
 * text, and a whole-number amount judged on the number's text.
 *
 * cJSON 1.7.15 accepts leading zeros (012), fractions and exponents without
 * digits (1., 2.e3, -.5), \u escapes that are not four hex digits, raw
 * control characters inside strings, any byte up to 0x20 as whitespace, and
 * a byte-order mark; and it gives every number as a double, so that
 * 999999999.99999999 reads as a whole number. The line is checked here first;
 * cJSON then parses only what RFC 8259 accepts. */
#ifndef COMMON_JSON_STRICT_H
#define COMMON_JSON_STRICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Nesting deeper than this is refused, as cJSON refuses it (CJSON_NESTING_LIMIT). */
#define JSON_MAX_DEPTH 1000

/* A stretch of the text: where a value was written. */
struct json_span {
    const char *start; /* NULL: not found */
    size_t len;
};

/* Whether text[0 .. len) is one JSON text as RFC 8259 defines it: optional
 * whitespace (space, tab, LF, CR), one value, optional whitespace, nothing
 * else; no lone surrogate escape, nesting at most JSON_MAX_DEPTH. If it is
 * and its value is an object, *amount is where the value of its first member
 * named "amount" (after unescaping) is written, or {NULL, 0} if it has none. */
bool json_check_strict(const char *text, size_t len, struct json_span *amount);

/* Whether the JSON number written in text[0 .. len) (RFC 8259 grammar,
 * already checked) is exactly a whole number from min to max, judged on its
 * digits, never through a double: 1e3 and 100.000 are, 1.0000000000000001 and
 * 1e400 are not. If it is, *value is that number. */
bool json_whole_number(const char *text, size_t len, int64_t min, int64_t max, int64_t *value);

#endif
