/* step01_echo: a blocking echo server.
 *
 * One client at a time: accept it, echo each of its lines until it leaves,
 * then accept the next. Simple, and its flaw is the lesson: while one client
 * is connected, every other client waits. */

/*** includes ***/

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "framer.h"
#include "log.h"
#include "net.h"
#include "outbuf.h"
#include "response.h"

/*** options ***/

static const struct stage_info stage = {
    .name = STAGE_NAME, /* "stepNN" and port 70NN, from the directory name (CMakeLists.txt) */
    .summary = "Blocking echo server: serves one client at a time, echoing each line.",
    .default_port = STAGE_PORT,
    .used_options = OPTS_BASE,
};

/*** state ***/

#define READ_CHUNK (64 * 1024)

struct server {
    const struct options *opts;
    int listen_fd;
    char *read_buf; /* one read's bytes */
    struct outbuf replies; /* the replies to one read */
};

static void serve_client(struct server *s, int fd);
static bool handle_input(struct server *s, struct framer *in, struct chunk *bytes);
static void handle_request(struct server *s, char *line, size_t len);

/*** main ***/

static void run(struct server *s);

int main(int argc, char **argv)
{
    struct options opts;
    options_parse(&opts, &stage, argc, argv);

    struct server s = {.opts = &opts, .read_buf = malloc(READ_CHUNK)};
    if (!s.read_buf) {
        log_error("cannot start: %s", strerror(errno)); /* malloc sets errno too */
        return 1;
    }
    s.listen_fd = listen_or_exit(opts.host, opts.port, false);
    announce_listening(stage.name, s.listen_fd);
    run(&s);
}

/*** event loop ***/

/* Accept one client, serve it until it leaves, repeat. accept() and read()
 * block: nothing else happens while we wait. */
static void run(struct server *s)
{
    for (;;) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EINTR && errno != ECONNABORTED)
                log_warn("accept: %s", strerror(errno));
            continue;
        }
        tune_client_socket(fd);
        log_debug("client connected (fd %d)", fd);
        serve_client(s, fd);
        close(fd);
        log_debug("client left (fd %d)", fd);
    }
}

/*** connections ***/

/* Read, answer every complete line of what was read, write the answers; until
 * the client closes its side or the connection fails. */
static void serve_client(struct server *s, int fd)
{
    struct framer in;
    framer_init(&in, s->opts->max_line);
    for (;;) {
        ssize_t n = recv(fd, s->read_buf, READ_CHUNK, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        struct chunk bytes = {s->read_buf, (size_t)n};
        bool ok = handle_input(s, &in, &bytes) && !s->replies.failed &&
                  write_all(fd, s->replies.data, outbuf_len(&s->replies));
        outbuf_clear(&s->replies);
        if (!ok)
            break;
    }
    framer_free(&in);
}

/* Answers every complete line in bytes; false if the connection must close. */
static bool handle_input(struct server *s, struct framer *in, struct chunk *bytes)
{
    for (;;) {
        struct frame f = framer_next(in, bytes);
        switch (f.kind) {
        case FRAME_NONE: return true;
        case FRAME_LINE: handle_request(s, f.line, f.len); break;
        case FRAME_TOO_LONG: respond_error(&s->replies, REASON_LINE_TOO_LONG); break;
        case FRAME_NO_MEMORY: return false;
        }
    }
}

/*** requests ***/

static void handle_request(struct server *s, char *line, size_t len)
{
    respond_echo(&s->replies, line, len);
}
