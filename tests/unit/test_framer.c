/* The line framer: lines cut at any byte, CRLF, blank lines, the max_line
 * limit and the memory it holds. Every frame seen is written down as one line
 * of text, its bytes or TOO_LONG_MARK, and compared with what is expected. */
#include <stdio.h>
#include <string.h>

#include "framer.h"
#include "unit.h"

#define TOO_LONG_MARK "<TOO_LONG>"

struct seen {
    char text[1 << 16];
    size_t len;
};

static void seen_reset(struct seen *s)
{
    s->len = 0;
    s->text[0] = '\0';
}

static void seen_add(struct seen *s, const char *data, size_t n)
{
    EXPECT(s->len + n < sizeof s->text, "too many frames");
    memcpy(s->text + s->len, data, n);
    s->len += n;
    s->text[s->len] = '\0';
}

/* What must hold whenever the framer has used up its input. */
static void check_memory(const struct framer *f)
{
    EXPECT(f->len <= f->max_line, "%zu bytes kept, max_line %zu", f->len, f->max_line);
    if (f->len == 0)
        EXPECT(f->partial == NULL, "memory held with no unfinished line");
    else
        EXPECT(f->partial != NULL && f->cap <= f->max_line + 1,
               "unfinished line of %zu bytes in %zu allocated, max_line %zu", f->len, f->cap,
               f->max_line);
}

/* Hands one chunk to the framer, calling it until FRAME_NONE. */
static void feed(struct framer *f, struct seen *s, const char *data, size_t n)
{
    /* An exactly sized copy: AddressSanitizer catches any access past the chunk. */
    char *buf = malloc(n > 0 ? n : 1);
    EXPECT(buf != NULL, "out of memory");
    if (n > 0)
        memcpy(buf, data, n);
    struct chunk in = {buf, n};
    for (;;) {
        struct frame fr = framer_next(f, &in);
        if (fr.kind == FRAME_NONE)
            break;
        if (fr.kind == FRAME_LINE) {
            EXPECT(fr.line != NULL && fr.line[fr.len] == '\0', "line not NUL-terminated");
            seen_add(s, fr.line, fr.len);
            seen_add(s, "\n", 1);
        } else {
            EXPECT(fr.kind == FRAME_TOO_LONG, "unexpected frame kind %d", fr.kind);
            seen_add(s, TOO_LONG_MARK "\n", strlen(TOO_LONG_MARK "\n"));
        }
    }
    EXPECT(in.len == 0, "FRAME_NONE with %zu bytes left", in.len);
    check_memory(f);
    free(buf);
}

/* Frames input with a fresh framer, cut at the ascending offsets cuts[]. */
static void frame_cut(size_t max_line, const char *input, size_t n, const size_t *cuts,
                      size_t ncuts, struct seen *s)
{
    struct framer f;
    framer_init(&f, max_line);
    seen_reset(s);
    size_t at = 0;
    for (size_t i = 0; i < ncuts; i++) {
        feed(&f, s, input + at, cuts[i] - at);
        at = cuts[i];
    }
    feed(&f, s, input + at, n - at);
    framer_free(&f);
    ck_assert_ptr_null(f.partial);
}

/* Frames input with a fresh framer, in chunks of piece bytes. */
static void frame_pieces(size_t max_line, const char *input, size_t n, size_t piece, struct seen *s)
{
    struct framer f;
    framer_init(&f, max_line);
    seen_reset(s);
    for (size_t at = 0; at < n; at += piece)
        feed(&f, s, input + at, n - at < piece ? n - at : piece);
    framer_free(&f);
}

/* The frames of input are the same whole, cut once or twice anywhere, and byte by byte. */
static void expect_every_split(size_t max_line, const char *input, const char *expected)
{
    static struct seen s;
    size_t n = strlen(input);
    frame_cut(max_line, input, n, NULL, 0, &s);
    ck_assert_str_eq(s.text, expected);
    for (size_t i = 0; i <= n; i++) {
        for (size_t j = i; j <= n; j++) {
            size_t cuts[] = {i, j};
            frame_cut(max_line, input, n, cuts, i == j ? 1 : 2, &s);
            EXPECT(strcmp(s.text, expected) == 0, "cut at %zu and %zu: got \"%s\"", i, j, s.text);
        }
    }
    frame_pieces(max_line, input, n, 1, &s);
    ck_assert_str_eq(s.text, expected);
}

START_TEST(test_split_everywhere)
{
    expect_every_split(4096, "alpha\n{\"user\":\"bob\"}\r\n\n  \t\r\nbeta gamma\r\n\r\nz\n",
                       "alpha\n{\"user\":\"bob\"}\nbeta gamma\nz\n");
}
END_TEST

/* max_line 8: 8 bytes pass, 9 do not, and a '\r' counts. */
START_TEST(test_split_everywhere_with_limit)
{
    expect_every_split(8,
                       "12345678\n"
                       "123456789\n"
                       "1234567\r\n"
                       "12345678\r\n"
                       "  \t \r\n"
                       "0123456789abcdefghijklmnopqrstuvwxyz\n"
                       "ok\n",
                       "12345678\n" TOO_LONG_MARK "\n"
                       "1234567\n" TOO_LONG_MARK "\n" TOO_LONG_MARK "\n"
                       "ok\n");
}
END_TEST

/* One chunk each: CRLF, blank lines, whitespace that is not blank, unfinished lines. */
static const struct {
    const char *input, *expected;
} line_cases[] = {
    {"a\r\n", "a\n"},
    {"a\r\r\n", "a\r\n"}, /* only one '\r' is stripped */
    {"a\rb\r\n", "a\rb\n"},
    {"\n", ""},
    {"\r\n", ""},
    {" \n", ""},
    {"\t\n", ""},
    {"\r\r\n", ""},
    {" \t\r \r\n", ""},
    {"\n\n\n", ""},
    {"a\n\n \nb\n", "a\nb\n"},
    {" x \n", " x \n"}, /* not trimmed */
    {"\tx\r\n", "\tx\n"},
    {"\v\n", "\v\n"}, /* not JSON whitespace: not blank */
    {"\f\n", "\f\n"},
    {"abc", ""}, /* an unfinished line is not a line */
    {"abc\ndef", "abc\n"},
    {"  ", ""},
    {"\r", ""},
};

START_TEST(test_line_cases)
{
    expect_every_split(4096, line_cases[_i].input, line_cases[_i].expected);
}
END_TEST

START_TEST(test_many_lines_one_chunk)
{
    enum { LINES = 1000 };
    static char buf[LINES * 16];
    size_t starts[LINES], n = 0;
    for (int i = 0; i < LINES; i++) {
        starts[i] = n;
        n += (size_t)snprintf(buf + n, sizeof buf - n, "line %d\n", i);
    }
    struct framer f;
    framer_init(&f, 4096);
    struct chunk in = {buf, n};
    for (int i = 0; i < LINES; i++) {
        struct frame fr = framer_next(&f, &in);
        char want[16];
        snprintf(want, sizeof want, "line %d", i);
        ck_assert_int_eq(fr.kind, FRAME_LINE);
        ck_assert_ptr_eq(fr.line, buf + starts[i]); /* in place, no copy */
        ck_assert_str_eq(fr.line, want);
        ck_assert_uint_eq(fr.len, strlen(want));
        ck_assert_ptr_null(f.partial);
    }
    ck_assert_int_eq(framer_next(&f, &in).kind, FRAME_NONE);
    ck_assert_uint_eq(in.len, 0);
    ck_assert_ptr_null(f.partial);
    framer_free(&f);
}
END_TEST

START_TEST(test_nul_terminated_in_place)
{
    char buf[] = "abc\r\ndef\nx";
    struct framer f;
    framer_init(&f, 4096);
    struct chunk in = {buf, sizeof buf - 1};
    struct frame fr = framer_next(&f, &in);
    ck_assert_int_eq(fr.kind, FRAME_LINE);
    ck_assert_ptr_eq(fr.line, buf);
    ck_assert_uint_eq(fr.len, 3);
    ck_assert_mem_eq(buf, "abc\0\n", 5); /* the '\r' became the NUL */
    fr = framer_next(&f, &in);
    ck_assert_int_eq(fr.kind, FRAME_LINE);
    ck_assert_ptr_eq(fr.line, buf + 5);
    ck_assert_mem_eq(buf + 5, "def\0", 4); /* the '\n' became the NUL */
    ck_assert_int_eq(framer_next(&f, &in).kind, FRAME_NONE);
    ck_assert_uint_eq(f.len, 1); /* "x" waits for its '\n' */
    framer_free(&f);
}
END_TEST

START_TEST(test_nul_bytes_pass_through)
{
    static struct seen s;
    static const char input[] = "a\0b\n\0\n";
    for (size_t piece = 1; piece <= sizeof input - 1; piece++) {
        frame_pieces(4096, input, sizeof input - 1, piece, &s);
        ck_assert_uint_eq(s.len, 6);
        ck_assert_mem_eq(s.text, "a\0b\n\0\n", 6);
    }
}
END_TEST

/* Lines of max_line and max_line + 1 bytes, with and without '\r', in pieces of many sizes. */
static const size_t limits[] = {1, 2, 3, 255, 256, 257, 300, 4096, 10000};

START_TEST(test_max_line_boundaries)
{
    size_t max = limits[_i];
    static char input[4 * 10002 + 16], expected[3 * 10002 + 64];
    size_t n = 0, e = 0;
#define PUT(buf, at, c, count) (memset(buf + at, c, count), at += (count))
#define PUTS(buf, at, str)     (memcpy(buf + at, str, strlen(str)), at += strlen(str))
    PUT(input, n, 'a', max); /* exactly max_line: accepted */
    PUTS(input, n, "\n");
    PUT(expected, e, 'a', max);
    PUTS(expected, e, "\n");
    PUT(input, n, 'b', max + 1); /* one more: too long, reported once */
    PUTS(input, n, "\n");
    PUTS(expected, e, TOO_LONG_MARK "\n");
    PUT(input, n, 'c', max - 1); /* max_line with the '\r': accepted, '\r' stripped */
    PUTS(input, n, "\r\n");
    if (max > 1) {
        PUT(expected, e, 'c', max - 1);
        PUTS(expected, e, "\n");
    }
    PUT(input, n, 'd', max); /* max_line + 1 with the '\r': too long */
    PUTS(input, n, "\r\n");
    PUTS(expected, e, TOO_LONG_MARK "\n");
    PUTS(input, n, "y\n"); /* served normally after it */
    PUTS(expected, e, "y\n");
#undef PUT
#undef PUTS
    expected[e] = '\0';

    static struct seen s;
    const size_t pieces[] = {1, 2, 3, 7, 256, max, max + 1, max + 2, n};
    for (size_t p = 0; p < ARRAY_LEN(pieces); p++) {
        frame_pieces(max, input, n, pieces[p], &s);
        ck_assert_msg(s.len == e && memcmp(s.text, expected, e) == 0,
                      "max_line %zu, pieces of %zu: got %zu bytes", max, pieces[p], s.len);
    }
}
END_TEST

START_TEST(test_too_long_across_many_chunks)
{
    static struct seen s;
    char xs[100];
    memset(xs, 'x', sizeof xs);
    struct framer f;
    framer_init(&f, 100);
    seen_reset(&s);
    feed(&f, &s, xs, sizeof xs); /* exactly max_line so far: kept */
    ck_assert_str_eq(s.text, "");
    ck_assert_uint_eq(f.len, 100);
    for (int i = 0; i < 100; i++) {
        feed(&f, &s, xs, sizeof xs);
        ck_assert_ptr_null(f.partial); /* what is discarded is not kept */
    }
    ck_assert_str_eq(s.text, TOO_LONG_MARK "\n");
    feed(&f, &s, "x\nok\n", 5);
    ck_assert_str_eq(s.text, TOO_LONG_MARK "\nok\n");
    framer_free(&f);
}
END_TEST

START_TEST(test_unfinished_line_kept_until_newline)
{
    static struct seen s;
    struct framer f;
    framer_init(&f, 4096);
    seen_reset(&s);
    feed(&f, &s, "abc\nde", 6);
    ck_assert_str_eq(s.text, "abc\n");
    ck_assert_uint_eq(f.len, 2);
    ck_assert_mem_eq(f.partial, "de", 2);
    feed(&f, &s, "f", 1);
    feed(&f, &s, "g\r", 2);
    ck_assert_str_eq(s.text, "abc\n");
    feed(&f, &s, "\n", 1);
    ck_assert_str_eq(s.text, "abc\ndefg\n");
    ck_assert_ptr_null(f.partial);
    feed(&f, &s, "unfinished", 10);
    framer_free(&f);
    ck_assert_ptr_null(f.partial);
    ck_assert_uint_eq(f.len, 0);
}
END_TEST

/* An unfinished line grows one byte at a time up to max_line without passing max_line + 1. */
START_TEST(test_memory_bounded_while_unfinished)
{
    size_t max = limits[_i];
    static struct seen s;
    struct framer f;
    framer_init(&f, max);
    seen_reset(&s);
    for (size_t i = 1; i <= max; i++) {
        feed(&f, &s, "m", 1);
        ck_assert_uint_eq(f.len, i);
        ck_assert_uint_le(f.cap, max + 1);
    }
    ck_assert_str_eq(s.text, "");
    feed(&f, &s, "\n", 1);
    ck_assert_uint_eq(s.len, max + 1);
    ck_assert_ptr_null(f.partial);
    framer_free(&f);
}
END_TEST

static Suite *framer_suite(void)
{
    Suite *s = suite_create("framer");
    TCase *tc = tcase_create("framer");
    tcase_add_test(tc, test_split_everywhere);
    tcase_add_test(tc, test_split_everywhere_with_limit);
    tcase_add_loop_test(tc, test_line_cases, 0, (int)ARRAY_LEN(line_cases));
    tcase_add_test(tc, test_many_lines_one_chunk);
    tcase_add_test(tc, test_nul_terminated_in_place);
    tcase_add_test(tc, test_nul_bytes_pass_through);
    tcase_add_loop_test(tc, test_max_line_boundaries, 0, (int)ARRAY_LEN(limits));
    tcase_add_test(tc, test_too_long_across_many_chunks);
    tcase_add_test(tc, test_unfinished_line_kept_until_newline);
    tcase_add_loop_test(tc, test_memory_bounded_while_unfinished, 0, (int)ARRAY_LEN(limits));
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(framer_suite)
