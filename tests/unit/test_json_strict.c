/* common/json_strict.c: which texts RFC 8259 accepts (a table of 187, each
 * with its expected outcome: numbers, strings, escapes, surrogates,
 * whitespace, nesting, trailing bytes, BOM, NUL), where the amount is
 * written, and whole numbers judged on their text. */
#include <stdio.h>
#include <string.h>

#include "json_strict.h"
#include "unit.h"

struct text_case {
    const char *text;
    size_t len; /* texts may hold NULs */
    bool valid;
};

#define OK(text, len)                                                                              \
    {                                                                                              \
        text, len, true                                                                            \
    }
#define BAD(text, len)                                                                             \
    {                                                                                              \
        text, len, false                                                                           \
    }

static const struct text_case texts[] = {
    OK("0", 1),
    OK("-0", 2),
    OK("1", 1),
    OK("-1", 2),
    OK("10", 2),
    OK("123456789", 9),
    OK("0.5", 3),
    OK("-0.5", 4),
    OK("1.25", 4),
    OK("1e5", 3),
    OK("1E5", 3),
    OK("1e+5", 4),
    OK("1e-5", 4),
    OK("1E-05", 5),
    OK("0e0", 3),
    OK("-0.0e-0", 7),
    OK("1.5e300", 7),
    OK("1e400", 5),
    OK("12345678901234567890123", 23),
    OK("0.0000001", 9),
    OK("\"\"", 2),
    OK("\"a\"", 3),
    OK("\"abc def\"", 9),
    OK("\"\\\"\"", 4),
    OK("\"\\\\\"", 4),
    OK("\"\\/\"", 4),
    OK("\"\\b\\f\\n\\r\\t\"", 12),
    OK("\"\\u0000\"", 8),
    OK("\"\\u001f\"", 8),
    OK("\"\\u00e9\"", 8),
    OK("\"\\uABCD\"", 8),
    OK("\"\\uabcd\"", 8),
    OK("\"\\ud83d\\ude00\"", 14),
    OK("\"\\uD83D\\uDE00\"", 14),
    OK("\"\\udbff\\udfff\"", 14),
    OK("\"\\ud800\\udc00\"", 14),
    OK("\"\xc3\xa9\"", 4),
    OK("\"\xe6\x97\xa5\"", 5),
    OK("\"\xf0\x9f\x98\x80\"", 6),
    OK("\"\x7f\"", 3),
    OK("true", 4),
    OK("false", 5),
    OK("null", 4),
    OK("[]", 2),
    OK("[ ]", 3),
    OK("[1]", 3),
    OK("[1,2,3]", 7),
    OK("[[]]", 4),
    OK("[[[]]]", 6),
    OK("[1,\"a\",true,false,null,{},[]]", 29),
    OK("[ 1 , 2 ]", 9),
    OK("{}", 2),
    OK("{ }", 3),
    OK("{\"a\":1}", 7),
    OK("{\"a\":1,\"b\":2}", 13),
    OK("{\"a\":{\"b\":{\"c\":[1]}}}", 21),
    OK("{\"\":0}", 6),
    OK("{\"a\":[]}", 8),
    OK("{\"a\":1,\"a\":2}", 13),
    OK(" 1", 2),
    OK("1 ", 2),
    OK("\x09"
       "1\x09",
       3),
    OK("\x0d\x0a"
       "1\x0d\x0a",
       5),
    OK(" {\"a\" : 1 } ", 12),
    OK("\x0a[\x0a"
       "1\x0a]\x0a",
       7),
    OK("{\"user\":\"alice\",\"action\":\"buy\",\"amount\":100}", 44),
    OK("{\"type\":\"balance\",\"user\":\"a\"}", 29),
    OK("\"\\u0041\\u0042\"", 14),
    OK("\"a\\u0000b\"", 10),
    OK("\"\\\\u0000\"", 9),
    OK("\"\xed\x9f\xbf\"", 5),
    BAD("", 0),
    BAD("  ", 2),
    BAD(" \x09\x0d\x0a", 4),
    BAD("01", 2),
    BAD("00", 2),
    BAD("-01", 3),
    BAD("012", 3),
    BAD("+1", 2),
    BAD(".5", 2),
    BAD("-.5", 3),
    BAD("1.", 2),
    BAD("2.e3", 4),
    BAD("-", 1),
    BAD("--1", 3),
    BAD("1e", 2),
    BAD("1e+", 3),
    BAD("1e-", 3),
    BAD("1E", 2),
    BAD("1.e5", 4),
    BAD("0x10", 4),
    BAD("1_000", 5),
    BAD("1,5", 3),
    BAD("Infinity", 8),
    BAD("-Infinity", 9),
    BAD("NaN", 3),
    BAD("nan", 3),
    BAD("inf", 3),
    BAD("1e5.5", 5),
    BAD("0.5.5", 5),
    BAD("1..2", 4),
    BAD("1ee5", 4),
    BAD("\"", 1),
    BAD("\"abc", 4),
    BAD("\"\\\"", 3),
    BAD("\"\\x\"", 4),
    BAD("\"\\u\"", 4),
    BAD("\"\\u12\"", 6),
    BAD("\"\\u123\"", 7),
    BAD("\"\\uqqqq\"", 8),
    BAD("\"\\u12g4\"", 8),
    BAD("\"\\U0041\"", 8),
    BAD("\"\\a\"", 4),
    BAD("\"\\0\"", 4),
    BAD("\"\\'\"", 4),
    BAD("\"\\ud800\"", 8),
    BAD("\"\\udc00\"", 8),
    BAD("\"\\ud800x\"", 9),
    BAD("\"\\ud800\\u0041\"", 14),
    BAD("\"\\ud800\\ud800\"", 14),
    BAD("\"\\udfff\\ud800\"", 14),
    BAD("\"a\\ud83d\"", 9),
    BAD("\"\\ud83d\\\"", 9),
    BAD("\"a\x09"
        "b\"",
        5),
    BAD("\"a\x0a"
        "b\"",
        5),
    BAD("\"a\x0d"
        "b\"",
        5),
    BAD("\"a\x01"
        "b\"",
        5),
    BAD("\"a\x1f"
        "b\"",
        5),
    BAD("\"\x00\"", 3),
    BAD("\"a\x00\"", 4),
    BAD("tru", 3),
    BAD("tRue", 4),
    BAD("True", 4),
    BAD("nul", 3),
    BAD("NULL", 4),
    BAD("falsey", 6),
    BAD("truee", 5),
    BAD("null1", 5),
    BAD("[", 1),
    BAD("[1", 2),
    BAD("[1,", 3),
    BAD("[1,]", 4),
    BAD("[,1]", 4),
    BAD("[1 2]", 5),
    BAD("[1,,2]", 6),
    BAD("]", 1),
    BAD("[1]]", 4),
    BAD("[[1]", 4),
    BAD("{", 1),
    BAD("{\"a\"", 4),
    BAD("{\"a\":", 5),
    BAD("{\"a\":1", 6),
    BAD("{\"a\":1,", 7),
    BAD("{\"a\":1,}", 8),
    BAD("{,\"a\":1}", 8),
    BAD("{\"a\" 1}", 7),
    BAD("{a:1}", 5),
    BAD("{'a':1}", 7),
    BAD("{\"a\":1 \"b\":2}", 13),
    BAD("{1:2}", 5),
    BAD("{\"a\":1}}", 8),
    BAD("{\"a\"::1}", 8),
    BAD("{null:1}", 8),
    BAD("1 2", 3),
    BAD("{} {}", 5),
    BAD("[] x", 4),
    BAD("{}x", 3),
    BAD("\"a\" \"b\"", 7),
    BAD("1 ,", 3),
    BAD("\xef\xbb\xbf{}", 5),
    BAD("\xef\xbb\xbf"
        "1",
        4),
    BAD("\x0b"
        "1",
        2),
    BAD("1\x0b", 2),
    BAD("\x0c{}", 3),
    BAD("{}\x0c", 3),
    BAD("\x00{}", 3),
    BAD("{}\x00", 3),
    BAD("{\x00}", 3),
    BAD("[1,\x00"
        "2]",
        6),
    BAD("\x01", 1),
    BAD("{\"a\":1}\x1f", 8),
    BAD("\xa0{}", 3),
    BAD("{'user':'a'}", 12),
    BAD("{\"user\":\"a\",}", 13),
    BAD("/* */1", 6),
    BAD("1//x", 4),
    BAD("#1", 2),
};

/* Checks a copy exactly as long as the text, so that AddressSanitizer sees
 * any read past its end. */
static bool check_copy(const char *text, size_t len, struct json_span *amount, char **copy)
{
    *copy = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(*copy);
    memcpy(*copy, text, len);
    return json_check_strict(*copy, len, amount);
}

START_TEST(test_texts)
{
    const struct text_case *t = &texts[_i];
    struct json_span amount;
    char *copy;
    bool valid = check_copy(t->text, t->len, &amount, &copy);
    free(copy);
    ck_assert_msg(valid == t->valid, "case %d, %.*s: %s, expected %s", _i, (int)t->len, t->text,
                  valid ? "valid" : "invalid", t->valid ? "valid" : "invalid");
}
END_TEST

/* Nesting: JSON_MAX_DEPTH levels are accepted, one more is not. */
START_TEST(test_nesting_limit)
{
    static char text[2 * (JSON_MAX_DEPTH + 1)];
    struct json_span amount;
    for (int depth = JSON_MAX_DEPTH; depth <= JSON_MAX_DEPTH + 1; depth++) {
        memset(text, '[', (size_t)depth);
        memset(text + depth, ']', (size_t)depth);
        ck_assert_int_eq(json_check_strict(text, 2 * (size_t)depth, &amount),
                         depth <= JSON_MAX_DEPTH);
    }
}
END_TEST

/* The amount: the value of the first member whose key reads "amount" once
 * unescaped, at the top level only. */
START_TEST(test_amount_span)
{
    static const struct {
        const char *text, *amount; /* NULL: none */
    } cases[] = {
        {"{\"amount\":5}", "5"},
        {"{\"user\":\"a\",\"amount\" : 1.5e3 }", "1.5e3"},
        {"{\"amount\":1,\"amount\":2}", "1"},
        {"{\"am\\u006funt\":7}", "7"},
        {"{\"\\u0061mount\":\"x\"}", "\"x\""},
        {"{\"amount\\u0000\":7}", NULL},
        {"{\"Amount\":7}", NULL},
        {"{\"amounts\":7}", NULL},
        {"{\"amoun\":7}", NULL},
        {"{\"x\":{\"amount\":7}}", NULL},
        {"[{\"amount\":7}]", NULL},
        {"{\"x\":1,\"amount\":[1,2]}", "[1,2]"},
        {"7", NULL},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct json_span amount;
        ck_assert_msg(json_check_strict(cases[i].text, strlen(cases[i].text), &amount), "%s",
                      cases[i].text);
        if (!cases[i].amount) {
            ck_assert_msg(amount.start == NULL, "%s: found an amount", cases[i].text);
            continue;
        }
        ck_assert_msg(amount.start != NULL, "%s: no amount", cases[i].text);
        ck_assert_msg(amount.len == strlen(cases[i].amount) &&
                          memcmp(amount.start, cases[i].amount, amount.len) == 0,
                      "%s: amount %.*s", cases[i].text, (int)amount.len, amount.start);
    }
}
END_TEST

/* Whole numbers from 1 to 1,000,000,000 (the amount's range), on the text. */
START_TEST(test_whole_numbers)
{
    static const struct {
        const char *text;
        bool whole;
        int64_t value;
    } cases[] = {
        {"100", true, 100},
        {"100.000", true, 100},
        {"1e3", true, 1000},
        {"0.5e1", true, 5},
        {"1E9", true, 1000000000},
        {"5e-0", true, 5},
        {"5e+0", true, 5},
        {"1000000000", true, 1000000000},
        {"1000000000.0", true, 1000000000},
        {"0.000000001e18", true, 1000000000},
        {"100e-2", true, 1},
        {"10e-1", true, 1},
        {"0.1e1", true, 1},
        {"1.000000000000000000000000000000", true, 1},
        {"100000000000000000000e-11", true, 1000000000},
        {"1e0000000000000000009", true, 1000000000},
        {"1000000000.0000001", false, 0},
        {"999999999.99999999", false, 0},
        {"1.0000000000000001", false, 0},
        {"0.99999999999999999", false, 0},
        {"1e400", false, 0},
        {"1e-400", false, 0},
        {"12345678901234567890", false, 0},
        {"1000000001", false, 0},
        {"1e10", false, 0},
        {"-0", false, 0},
        {"0", false, 0},
        {"0.0e5", false, 0},
        {"-1", false, 0},
        {"-1e3", false, 0},
        {"1.5", false, 0},
        {"0.5", false, 0},
        {"9223372036854775807", false, 0},
        {"18446744073709551616", false, 0},
        {"1e99999999999999999999", false, 0},
        {"0.1", false, 0},
        {"100000000000000000001e-11", false, 0},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        int64_t v = -1;
        bool whole = json_whole_number(cases[i].text, strlen(cases[i].text), 1, 1000000000, &v);
        ck_assert_msg(whole == cases[i].whole, "%s: %s", cases[i].text,
                      whole ? "whole and in range" : "not");
        if (whole)
            ck_assert_msg(v == cases[i].value, "%s: %lld", cases[i].text, (long long)v);
    }
}
END_TEST

/* The full int64_t range, for other callers: the ends are exact. */
START_TEST(test_whole_numbers_at_the_ends)
{
    int64_t v;
    ck_assert(json_whole_number("9223372036854775807", 19, INT64_MIN, INT64_MAX, &v));
    ck_assert(v == INT64_MAX);
    ck_assert(!json_whole_number("9223372036854775808", 19, INT64_MIN, INT64_MAX, &v));
    ck_assert(json_whole_number("-9223372036854775807", 20, INT64_MIN, INT64_MAX, &v));
    ck_assert(v == -INT64_MAX);
    ck_assert(json_whole_number("-0", 2, INT64_MIN, INT64_MAX, &v));
    ck_assert(v == 0);
    ck_assert(json_whole_number("-12e1", 5, INT64_MIN, INT64_MAX, &v));
    ck_assert(v == -120);
}
END_TEST

static Suite *json_strict_suite(void)
{
    Suite *s = suite_create("json_strict");
    TCase *tc = tcase_create("json_strict");
    tcase_add_loop_test(tc, test_texts, 0, (int)ARRAY_LEN(texts));
    tcase_add_test(tc, test_nesting_limit);
    tcase_add_test(tc, test_amount_span);
    tcase_add_test(tc, test_whole_numbers);
    tcase_add_test(tc, test_whole_numbers_at_the_ends);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(json_strict_suite)
