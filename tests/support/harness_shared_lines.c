/* The tests every stage shares on how lines are read (stages 01-10): the
 * line limit, blank lines, \r\n, a half-close, an unterminated last line;
 * and, for the echo stages, the echo itself. Each stage answers with echoes
 * or in JSON, which decides the lines sent and the replies expected. */
/* Tests themselves: the harness's calls here name these lines in failures. */
#include "harness.h"
#include "harness_internal.h"

#include <stdio.h>
#include <string.h>

#define T HARNESS_REPLY_TIMEOUT_MS

/* The stage the line tests run against: set before the tests run (a forked
 * test inherits it). */
static struct {
    const char *server;
    enum harness_replies replies;
} lines_stage;

const struct answered_line *stage_probes(enum harness_replies replies)
{
    static const struct answered_line echo[2] = {{"served", "served"}, {"next", "next"}};
    static const struct answered_line json[2] = {{REQUEST_UNKNOWN_TYPE, REPLY_UNKNOWN_TYPE},
                                                 {"garbage", REPLY_INVALID_JSON}};
    return replies == HARNESS_ECHO ? echo : json;
}

/* A line of exactly len bytes that the stage answers, in line, and its
 * reply, in reply (both of cap bytes, cap > len). In JSON a command no stage knows,
 * {"type":"xx...x"}, answered unknown_type. */
static void line_of_length(size_t len, char *line, char *reply, size_t cap)
{
    static const char empty_command[] = "{\"type\":\"\"}";
    require(len < cap, "a line of %zu bytes does not fit in %zu", len, cap);
    if (lines_stage.replies == HARNESS_ECHO) {
        for (size_t i = 0; i < len; i++)
            line[i] = (char)('a' + i % 26);
        line[len] = '\0';
        memcpy(reply, line, len + 1);
        return;
    }
    size_t pad = len - (sizeof empty_command - 1);
    require(len >= sizeof empty_command - 1, "no command of %zu bytes", len);
    memcpy(line, "{\"type\":\"", 9);
    memset(line + 9, 'x', pad);
    memcpy(line + 9 + pad, "\"}", 3);
    snprintf(reply, cap, "%s", REPLY_UNKNOWN_TYPE);
}

/* Line i of a numbered series and its reply: echoes say their number, in
 * JSON the two probes take turns. */
static void numbered_line(int i, char *line, char *reply, size_t cap)
{
    if (lines_stage.replies == HARNESS_ECHO) {
        snprintf(line, cap, "line %d", i);
        snprintf(reply, cap, "line %d", i);
    } else {
        const struct answered_line *p = &stage_probes(HARNESS_JSON)[i % 2];
        snprintf(line, cap, "%s", p->request);
        snprintf(reply, cap, "%s", p->reply);
    }
}

/* Echo stages: each line comes back as it was, bytes and spaces included,
 * without its \r\n; several lines in one write get one reply each, in order. */
START_TEST(test_echoes_lines)
{
    struct server srv;
    struct client c;
    server_start(&srv, lines_stage.server, NULL);
    client_connect(&c, srv.port);

    client_expect_reply(&c, "hello", "hello");
    client_expect_reply(&c, "  spaces inside and around  ", "  spaces inside and around  ");
    client_expect_reply(&c, "{\"user\":\"alice\",\"action\":\"buy\",\"amount\":100}",
                        "{\"user\":\"alice\",\"action\":\"buy\",\"amount\":100}");
    client_expect_reply(&c, "caf\xc3\xa9 \xff bytes", "caf\xc3\xa9 \xff bytes");

    client_send_str(&c, "windows\r\n");
    client_expect_line(&c, "windows", T);

    client_send_str(&c, "one\ntwo\r\nthree\n");
    client_expect_line(&c, "one", T);
    client_expect_line(&c, "two", T);
    client_expect_line(&c, "three", T);

    client_close(&c);
    server_stop(&srv);
}
END_TEST

/* Lines of nothing but spaces, tabs and \r get no reply at all. */
START_TEST(test_blank_lines_get_no_reply)
{
    const struct answered_line *probe = stage_probes(lines_stage.replies);
    struct server srv;
    struct client c;
    char after[256];
    server_start(&srv, lines_stage.server, NULL);
    client_connect(&c, srv.port);

    snprintf(after, sizeof after, "%s\n%s\n", probe[0].request, probe[1].request);
    client_send_str(&c, "\n");
    client_send_str(&c, "   \n\t\r\n\r\n \t \r\n");
    client_send_str(&c, after);
    client_expect_line(&c, probe[0].reply, T); /* the very next reply */
    client_expect_line(&c, probe[1].reply, T);
    client_expect_reply(&c, probe[0].request, probe[0].reply);

    client_close(&c);
    server_stop(&srv);
}
END_TEST

/* With --max-line 16: a line of 16 bytes is answered, one of 17 gets
 * line_too_long, and the connection goes on. */
START_TEST(test_line_too_long)
{
    const struct answered_line *probe = stage_probes(lines_stage.replies);
    char at[64], at_reply[64], over[64], over_reply[64], under[64], under_reply[64], both[160];
    line_of_length(16, at, at_reply, sizeof at);
    line_of_length(17, over, over_reply, sizeof over);
    line_of_length(15, under, under_reply, sizeof under);
    struct server srv;
    struct client c;
    server_start(&srv, lines_stage.server, "--max-line", "16", NULL);
    client_connect(&c, srv.port);

    client_expect_reply(&c, at, at_reply);
    client_expect_reply(&c, over, REPLY_LINE_TOO_LONG);
    client_expect_reply(&c, probe[0].request, probe[0].reply);

    /* In one write, only the long line is refused. */
    snprintf(both, sizeof both, "%s\n%s\n", over, at);
    client_send_str(&c, both);
    client_expect_line(&c, REPLY_LINE_TOO_LONG, T);
    client_expect_line(&c, at_reply, T);

    /* The \r of a \r\n counts towards the limit. */
    snprintf(both, sizeof both, "%s\r\n", under);
    client_send_str(&c, both);
    client_expect_line(&c, under_reply, T);
    snprintf(both, sizeof both, "%s\r\n", at);
    client_send_str(&c, both);
    client_expect_line(&c, REPLY_LINE_TOO_LONG, T);

    /* The error comes as soon as the limit is passed, once per line; the
     * rest of the line is dropped. */
    client_send_str(&c, over);
    client_expect_line(&c, REPLY_LINE_TOO_LONG, T);
    client_send_str(&c, "and much more of the same over-long line\n");
    client_expect_reply(&c, probe[1].request, probe[1].reply);

    client_close(&c);
    server_stop(&srv);
}
END_TEST

#define DEFAULT_MAX_LINE 4096

/* Without --max-line: 4096 bytes are allowed (sent in pieces), 4097 are not. */
START_TEST(test_default_max_line)
{
    const struct answered_line *probe = stage_probes(lines_stage.replies);
    static char line[DEFAULT_MAX_LINE + 2], reply[DEFAULT_MAX_LINE + 2];
    struct server srv;
    struct client c;
    server_start(&srv, lines_stage.server, NULL);
    client_connect(&c, srv.port);

    line_of_length(DEFAULT_MAX_LINE, line, reply, sizeof line);
    line[DEFAULT_MAX_LINE] = '\n';
    for (size_t off = 0; off <= DEFAULT_MAX_LINE; off += 1000) {
        size_t left = DEFAULT_MAX_LINE + 1 - off;
        client_send_all(&c, line + off, left < 1000 ? left : 1000);
    }
    client_expect_line(&c, reply, T);

    line_of_length(DEFAULT_MAX_LINE + 1, line, reply, sizeof line);
    client_send_all(&c, line, DEFAULT_MAX_LINE + 1);
    client_send_str(&c, "\n");
    client_expect_line(&c, REPLY_LINE_TOO_LONG, T);
    client_expect_reply(&c, probe[0].request, probe[0].reply);

    client_close(&c);
    server_stop(&srv);
}
END_TEST

#define HALF_CLOSE_LINES 50

/* Lines sent before a half-close are all answered, in order, then the
 * server closes. */
START_TEST(test_half_close_gets_all_replies)
{
    struct server srv;
    struct client c;
    char line[64], reply[64];
    server_start(&srv, lines_stage.server, NULL);
    client_connect(&c, srv.port);

    for (int i = 0; i < HALF_CLOSE_LINES; i++) {
        numbered_line(i, line, reply, sizeof line);
        strcat(line, "\n");
        client_send_str(&c, line);
    }
    client_shutdown_write(&c);
    for (int i = 0; i < HALF_CLOSE_LINES; i++) {
        numbered_line(i, line, reply, sizeof line);
        client_expect_line(&c, reply, T);
    }
    client_expect_eof(&c, T);

    client_close(&c);
    server_stop(&srv);
}
END_TEST

/* The bytes after the last '\n' when the client half-closes are no line:
 * no reply, a clean close; and the server goes on to the next client. */
START_TEST(test_unterminated_last_line_gets_no_reply)
{
    const struct answered_line *probe = stage_probes(lines_stage.replies);
    struct server srv;
    struct client c;
    char lines[128];
    server_start(&srv, lines_stage.server, NULL);
    client_connect(&c, srv.port);

    snprintf(lines, sizeof lines, "%s\n%s", probe[0].request, probe[1].request);
    client_send_str(&c, lines);
    client_shutdown_write(&c);
    client_expect_line(&c, probe[0].reply, T);
    client_expect_eof(&c, T);
    client_close(&c);

    client_connect(&c, srv.port);
    client_expect_reply(&c, probe[1].request, probe[1].reply);
    client_close(&c);
    server_stop(&srv);
}
END_TEST

void harness_add_line_tests(TCase *tc, const char *server, enum harness_replies replies)
{
    lines_stage.server = server;
    lines_stage.replies = replies;
    if (replies == HARNESS_ECHO)
        tcase_add_test(tc, test_echoes_lines);
    tcase_add_test(tc, test_blank_lines_get_no_reply);
    tcase_add_test(tc, test_line_too_long);
    tcase_add_test(tc, test_default_max_line);
    tcase_add_test(tc, test_half_close_gets_all_replies);
    tcase_add_test(tc, test_unterminated_last_line_gets_no_reply);
}
