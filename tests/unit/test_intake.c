/* The intake: input held back while a client's replies are past their cap,
 * answered first once there is room, in order, each line once; and the
 * bound that keeps a client's unread replies within one reply of the cap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"
#include "unit.h"

/* The lines framed so far, one per '\n'. */
struct seen {
    char text[1 << 14];
    size_t len;
};

static void seen_line(struct seen *s, const struct frame *f)
{
    const char *text = f->kind == FRAME_LINE ? f->line : "<TOO_LONG>";
    size_t n = f->kind == FRAME_LINE ? f->len : strlen(text);
    EXPECT(s->len + n + 1 < sizeof s->text, "too many frames");
    memcpy(s->text + s->len, text, n);
    s->len += n;
    s->text[s->len++] = '\n';
    s->text[s->len] = '\0';
}

/* Frames one read as a server that runs out of room after every frame
 * would: the rest is held back, then answered. The caller's buffer is
 * overwritten after each call, as the server's shared read buffer is. */
static void feed_holding(struct intake *in, struct seen *s, const char *data, size_t n)
{
    char *buf = malloc(n > 0 ? n : 1); /* exactly sized: ASan sees any access past it */
    EXPECT(buf != NULL, "out of memory");
    memcpy(buf, data, n);
    struct chunk fresh = {buf, n};
    for (;;) {
        struct frame f = intake_next(in, &fresh, true);
        EXPECT(f.kind != FRAME_NO_MEMORY, "out of memory");
        if (f.kind == FRAME_NONE)
            break;
        seen_line(s, &f);
        bool left = fresh.len > 0 || intake_holds(in);
        EXPECT(intake_next(in, &fresh, false).kind == FRAME_NONE, "framed without room");
        EXPECT(fresh.len == 0, "%zu bytes neither framed nor held", fresh.len);
        EXPECT(intake_holds(in) == left, "holds %d, bytes left %d", intake_holds(in), left);
        memset(buf, '#', n); /* held bytes must be a copy */
    }
    EXPECT(fresh.len == 0 && !intake_holds(in), "input left after FRAME_NONE");
    EXPECT(in->held == NULL, "held memory kept once used up");
    free(buf);
}

START_TEST(test_held_back_after_every_frame_at_every_cut)
{
    static const char input[] = "one\r\ntwo\n\n  \nthree-is-too-long\nfour\nfi";
    static const char expected[] = "one\ntwo\n<TOO_LONG>\nfour\n";
    size_t n = strlen(input);
    for (size_t i = 0; i <= n; i++) {
        for (size_t j = i; j <= n; j++) {
            static struct seen s;
            s.len = 0;
            s.text[0] = '\0';
            struct intake in;
            intake_init(&in, 8);
            feed_holding(&in, &s, input, i);
            feed_holding(&in, &s, input + i, j - i);
            feed_holding(&in, &s, input + j, n - j);
            EXPECT(strcmp(s.text, expected) == 0, "cut at %zu and %zu: got \"%s\"", i, j, s.text);
            EXPECT(in.framer.len == 2, "the unfinished \"fi\" is not kept");
            intake_free(&in);
        }
    }
}
END_TEST

static const char *next_line(struct intake *in, struct chunk *fresh)
{
    struct frame f = intake_next(in, fresh, true);
    return f.kind == FRAME_LINE ? f.line : "<none>";
}

/* Held input comes before what is read next; more input held back while
 * some is held already goes after it. */
START_TEST(test_held_input_comes_first)
{
    struct intake in;
    intake_init(&in, 4096);
    char a[] = "one\ntwo\n", b[] = "three\n", c[] = "four\n";
    struct chunk fresh = {a, sizeof a - 1};
    ck_assert_str_eq(next_line(&in, &fresh), "one");
    ck_assert_int_eq(intake_next(&in, &fresh, false).kind, FRAME_NONE);
    ck_assert(intake_holds(&in));
    fresh = (struct chunk){b, sizeof b - 1};
    ck_assert_int_eq(intake_next(&in, &fresh, false).kind, FRAME_NONE);
    ck_assert_uint_eq(fresh.len, 0);
    fresh = (struct chunk){c, sizeof c - 1};
    ck_assert_str_eq(next_line(&in, &fresh), "two");
    ck_assert_str_eq(next_line(&in, &fresh), "three");
    ck_assert(intake_holds(&in)); /* used up only once FRAME_NONE says so */
    ck_assert_str_eq(next_line(&in, &fresh), "four");
    ck_assert(!intake_holds(&in));
    ck_assert_int_eq(intake_next(&in, &fresh, true).kind, FRAME_NONE);
    ck_assert_ptr_null(in.framer.partial); /* an idle connection keeps no input memory */

    fresh = (struct chunk){b, sizeof b - 1};
    ck_assert_int_eq(intake_next(&in, &fresh, false).kind, FRAME_NONE);
    intake_free(&in); /* while holding: LeakSanitizer checks it is freed */
    ck_assert(!intake_holds(&in));
}
END_TEST

enum { CAP = 100, MAX_LINE = 40, READ_SIZE = 700 };

/* Line i of the stream: lines of many lengths. */
static int format_line(char *buf, size_t cap, unsigned i)
{
    return snprintf(buf, cap, "line %u %.*s", i, (int)(i % 30), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
}

/* A server's use of the intake: room is judged before each line, the reply
 * to a line is the line and '\n' (as the echo stages answer), and the client
 * reads its replies only now and then. Its unread replies never pass the cap
 * by more than one reply, and every line is answered once, in order. */
START_TEST(test_unread_replies_stay_within_one_reply_of_the_cap)
{
    char stream[20000];
    size_t n = 0;
    unsigned lines = 0;
    while (n + MAX_LINE + 1 < sizeof stream) {
        int len = format_line(stream + n, MAX_LINE, lines);
        n += (size_t)len;
        stream[n++] = '\n';
        lines++;
    }
    struct intake in;
    intake_init(&in, MAX_LINE);
    size_t unread = 0, most = 0, at = 0, reads = 0;
    unsigned answered = 0;
    bool held_back = false;
    while (at < n || intake_holds(&in)) {
        struct chunk fresh = {0};
        char buf[READ_SIZE];
        if (!intake_holds(&in)) { /* as the servers: no read while input is held back */
            size_t k = n - at < READ_SIZE ? n - at : READ_SIZE;
            memcpy(buf, stream + at, k);
            fresh = (struct chunk){buf, k};
            at += k;
        }
        for (;;) {
            struct frame f = intake_next(&in, &fresh, unread <= CAP);
            if (f.kind == FRAME_NONE)
                break;
            ck_assert_int_eq(f.kind, FRAME_LINE);
            char want[MAX_LINE + 1];
            format_line(want, sizeof want, answered);
            ck_assert_str_eq(f.line, want);
            answered++;
            unread += f.len + 1;
            most = unread > most ? unread : most;
        }
        held_back |= intake_holds(&in);
        if (++reads % 3 == 0)
            unread = 0; /* the client reads what it has */
        ck_assert_uint_le(reads, 10 * lines); /* no lock-up */
    }
    ck_assert_uint_eq(answered, lines);
    ck_assert(held_back);
    ck_assert_uint_le(most, CAP + MAX_LINE + 1);
    ck_assert_uint_gt(most, CAP); /* the bound is reached: the test can see a breach */
    intake_free(&in);
}
END_TEST

static Suite *intake_suite(void)
{
    Suite *s = suite_create("intake");
    TCase *tc = tcase_create("intake");
    tcase_add_test(tc, test_held_back_after_every_frame_at_every_cut);
    tcase_add_test(tc, test_held_input_comes_first);
    tcase_add_test(tc, test_unread_replies_stay_within_one_reply_of_the_cap);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(intake_suite)
