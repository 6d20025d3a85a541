/* fake_server: a deliberately wrong line server, for loadgen's tests.
 *
 *   fake_server --port 0 [--mode accept|flip|forget] [--close-after N] [--max-conns N]
 *
 * It prints "fake listening on 127.0.0.1:PORT" and answers every line:
 *   accept  {"status":"accepted"}, whatever the line (invalid ones too)
 *   flip    the line echoed with its first byte changed
 *   forget  balance queries {"status":"ok","user":U,"balance":0} and metrics
 *           all 0 (it forgets every event); anything else {"status":"accepted"}
 * --close-after N closes each connection after N replies; --max-conns N
 * refuses a connection over N open ones with too_many_connections. One
 * thread per connection; it runs until killed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

enum mode { MODE_ACCEPT, MODE_FLIP, MODE_FORGET };

static enum mode mode = MODE_ACCEPT;
static long close_after = -1; /* replies per connection; -1: no limit */
static long max_conns = -1;
static atomic_long open_conns;

static const char accepted[] = "{\"status\":\"accepted\"}\n";
static const char refusal[] = "{\"status\":\"rejected\",\"reason\":\"too_many_connections\"}\n";
static const char zero_metrics[] = "{\"received\":0,\"processed\":0,\"dropped\":0,\"queued\":0}\n";

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0)
            return;
        p += k;
        n -= (size_t)k;
    }
}

/* The user of a balance query, as written (quotes included), or NULL. */
static const char *balance_user(const char *line, size_t *len)
{
    const char *key = strstr(line, "\"user\":\"");
    if (!strstr(line, "\"type\":\"balance\"") || !key)
        return NULL;
    const char *s = key + 7, *p = s + 1;
    while (*p && *p != '"')
        p += *p == '\\' && p[1] ? 2 : 1;
    if (*p != '"')
        return NULL;
    *len = (size_t)(p + 1 - s);
    return s;
}

/* The wrong reply to line (NUL-terminated, no '\n') into out; its length. */
static size_t reply(char *line, size_t len, char *out, size_t cap)
{
    size_t ulen;
    const char *user;
    switch (mode) {
    case MODE_FLIP:
        line[0] = line[0] == 'x' ? 'y' : 'x';
        return (size_t)snprintf(out, cap, "%s\n", line);
    case MODE_FORGET:
        if ((user = balance_user(line, &ulen)))
            return (size_t)snprintf(out, cap, "{\"status\":\"ok\",\"user\":%.*s,\"balance\":0}\n",
                                    (int)ulen, user);
        if (strstr(line, "\"type\":\"metrics\""))
            return (size_t)snprintf(out, cap, "%s", zero_metrics);
        /* fall through */
    case MODE_ACCEPT:
    default: (void)len; return (size_t)snprintf(out, cap, "%s", accepted);
    }
}

#define IN_CAP  (64 * 1024)
#define OUT_CAP (256 * 1024)

static void serve(int fd)
{
    char *in = malloc(IN_CAP), *out = malloc(OUT_CAP);
    size_t have = 0;
    long replies = 0;
    for (;;) {
        ssize_t n = in && out ? recv(fd, in + have, IN_CAP - have - 1, 0) : 0;
        if (n <= 0)
            break;
        have += (size_t)n;
        size_t olen = 0, start = 0;
        char *nl;
        while ((nl = memchr(in + start, '\n', have - start)) != NULL) {
            size_t len = (size_t)(nl - (in + start));
            char *line = in + start;
            start += len + 1;
            if (len && line[len - 1] == '\r')
                len--;
            line[len] = '\0';
            if (len == 0)
                continue;
            olen += reply(line, len, out + olen, OUT_CAP - olen);
            if (++replies == close_after || olen > OUT_CAP - 1024)
                break;
        }
        send_all(fd, out, olen);
        memmove(in, in + start, have - start);
        have -= start;
        if (replies == close_after || have == IN_CAP - 1)
            break;
    }
    free(in);
    free(out);
}

/* Over --max-conns: the refusal, a half-close, and the client's input
 * discarded until its EOF (for at most a second), so that closing sends no reset. */
static void refuse(int fd)
{
    send_all(fd, refusal, sizeof refusal - 1);
    shutdown(fd, SHUT_WR);
    struct timeval tv = {.tv_sec = 1};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char sink[4096];
    while (recv(fd, sink, sizeof sink, 0) > 0)
        ;
}

struct job {
    int fd;
    bool refused;
};

static void *connection(void *arg)
{
    struct job *job = arg;
    if (job->refused)
        refuse(job->fd);
    else
        serve(job->fd);
    close(job->fd);
    if (!job->refused)
        atomic_fetch_sub(&open_conns, 1);
    free(job);
    return NULL;
}

static void usage(void)
{
    fprintf(stderr, "usage: fake_server --port P [--mode accept|flip|forget] [--close-after N] "
                    "[--max-conns N]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int port = -1;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        const char *a = argv[i], *v = argv[++i];
        if (strcmp(a, "--port") == 0)
            port = atoi(v);
        else if (strcmp(a, "--close-after") == 0)
            close_after = atol(v);
        else if (strcmp(a, "--max-conns") == 0)
            max_conns = atol(v);
        else if (strcmp(a, "--mode") == 0 && strcmp(v, "accept") == 0)
            mode = MODE_ACCEPT;
        else if (strcmp(a, "--mode") == 0 && strcmp(v, "flip") == 0)
            mode = MODE_FLIP;
        else if (strcmp(a, "--mode") == 0 && strcmp(v, "forget") == 0)
            mode = MODE_FORGET;
        else
            usage();
    }
    if (port < 0 || port > 65535)
        usage();
    signal(SIGPIPE, SIG_IGN);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, alen) != 0 || listen(lfd, 128) != 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &alen) != 0) {
        perror("fake_server");
        return 1;
    }
    printf("fake listening on 127.0.0.1:%d\n", ntohs(a.sin_port));
    fflush(stdout);
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        struct job *job = malloc(sizeof *job);
        if (!job) {
            close(fd);
            continue;
        }
        job->fd = fd;
        job->refused = max_conns >= 0 && atomic_load(&open_conns) >= max_conns;
        if (!job->refused)
            atomic_fetch_add(&open_conns, 1);
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, connection, job) != 0) {
            close(fd);
            if (!job->refused)
                atomic_fetch_sub(&open_conns, 1);
            free(job);
        }
        pthread_attr_destroy(&attr);
    }
}
