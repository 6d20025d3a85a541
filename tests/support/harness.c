#define HARNESS_IMPLEMENTATION
#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*** failures ***/

/* The test's call that is running, named in every failure. */
static const char *site_file = "?";
static int site_line;

void harness_set_site(const char *file, int line)
{
    site_file = file;
    site_line = line;
}

static void fail_test(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail_test(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* What ck_abort_msg() expands to, with the test's file and line. */
    _ck_assert_failed(site_file, site_line, "Failed", "%s", msg);
    abort(); /* not reached: Check ends the test */
}

#define require(cond, ...)                                                                         \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fail_test(__VA_ARGS__);                                                                \
    } while (0)

/* s[0 .. n) for a message: quoted, control bytes escaped, at most ~200 bytes. */
static const char *quoted(const char *s, size_t n, char *buf, size_t cap)
{
    size_t o = 0;
    buf[o++] = '"';
    for (size_t i = 0; i < n && o + 8 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        const char *esc = ch == '\n' ? "\\n" : ch == '\r' ? "\\r" : ch == '\t' ? "\\t" : NULL;
        if (esc)
            o += (size_t)snprintf(buf + o, cap - o, "%s", esc);
        else if (ch < 0x20 || ch == 0x7f)
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", ch);
        else
            buf[o++] = (char)ch;
        if (i + 1 < n && o + 8 >= cap)
            o += (size_t)snprintf(buf + o, cap - o, "...");
    }
    snprintf(buf + o, cap - o, "\"");
    return buf;
}

/*** time ***/

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline, for poll(): never negative. */
static int ms_left(long long deadline)
{
    long long left = deadline - now_ms();
    return left > 0 ? (int)left : 0;
}

/* poll() on one fd until deadline, retrying on EINTR. Returns revents, 0 on
 * timeout. */
static short poll_one(int fd, short events, long long deadline)
{
    for (;;) {
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, ms_left(deadline));
        if (n > 0)
            return p.revents;
        if (n == 0)
            return 0;
        if (errno != EINTR)
            fail_test("poll: %s", strerror(errno));
    }
}

/*** the servers still running ***/

#define MAX_LIVE 32

/* Copies, not pointers: the teardown runs after the test's frames are gone. */
static struct {
    pid_t pid;
    char name[32];
    char log_path[64];
} live[MAX_LIVE];

static void forget_server(pid_t pid)
{
    for (int i = 0; i < MAX_LIVE; i++)
        if (live[i].pid == pid)
            live[i].pid = 0;
}

static void dump_file(const char *name, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    long from = size > 64 * 1024 ? size - 64 * 1024 : 0;
    fseek(f, from, SEEK_SET);
    fprintf(stderr, "---- %s stderr (%s)%s ----\n", name, path, from ? ", last 64 KiB" : "");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stderr);
    fprintf(stderr, "---- end of %s stderr ----\n", name);
    fclose(f);
}

void harness_kill_servers(void)
{
    for (int i = 0; i < MAX_LIVE; i++) {
        if (live[i].pid <= 0)
            continue;
        kill(live[i].pid, SIGKILL);
        waitpid(live[i].pid, NULL, 0);
        fprintf(stderr, "harness: killed %s (pid %d), left running by the test\n", live[i].name,
                (int)live[i].pid);
        dump_file(live[i].name, live[i].log_path);
        unlink(live[i].log_path);
        live[i].pid = 0;
    }
}

static void remember_server(const struct server *srv)
{
    for (int i = 0; i < MAX_LIVE; i++) {
        if (live[i].pid == 0) {
            live[i].pid = srv->pid;
            snprintf(live[i].name, sizeof live[i].name, "%s", srv->name);
            snprintf(live[i].log_path, sizeof live[i].log_path, "%s", srv->log_path);
            return;
        }
    }
    fail_test("more than %d servers at once", MAX_LIVE);
}

/*** starting ***/

#define MAX_ARGS 64

/* In the child: never outlive the test process, then become the server. */
static void exec_server(const char *path, char **argv, pid_t parent, int out_fd, int log_fd)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(log_fd, 2) < 0)
        _exit(127);
    execv(path, argv);
    dprintf(2, "harness: cannot run %s: %s\n", path, strerror(errno));
    _exit(127);
}

/* Reaps the server if it has exited; true if it has. */
static bool reap_if_exited(struct server *srv)
{
    if (srv->pid <= 0)
        return true;
    int status;
    pid_t r = waitpid(srv->pid, &status, WNOHANG);
    if (r == 0)
        return false;
    if (r == srv->pid)
        srv->status = status;
    forget_server(srv->pid);
    srv->pid = 0;
    return true;
}

static void describe_status(int status, char *buf, size_t cap)
{
    if (WIFEXITED(status))
        snprintf(buf, cap, "exit code %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, cap, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(buf, cap, "wait status %#x", status);
}

static void fail_server_died(struct server *srv, const char *when)
{
    char how[96];
    describe_status(srv->status, how, sizeof how);
    dump_file(srv->name, srv->log_path);
    fail_test("%s died on its own (%s) %s; its stderr is above (%s)", srv->name, how, when,
              srv->log_path);
}

/* Reads one line from the server's stdout into buf; see
 * server_read_stdout_line(). */
static int read_stdout_line(struct server *srv, char *buf, size_t cap, long long deadline)
{
    for (;;) {
        char *nl = memchr(srv->out_buf, '\n', srv->out_len);
        if (nl) {
            size_t len = (size_t)(nl - srv->out_buf);
            require(len < cap, "%s: stdout line longer than %zu bytes", srv->name, cap - 1);
            memcpy(buf, srv->out_buf, len);
            buf[len] = '\0';
            srv->out_len -= len + 1;
            memmove(srv->out_buf, nl + 1, srv->out_len);
            return (int)len;
        }
        require(srv->out_len < sizeof srv->out_buf, "%s: stdout line too long", srv->name);
        if (poll_one(srv->stdout_fd, POLLIN, deadline) == 0)
            return CLIENT_TIMEOUT;
        ssize_t n =
            read(srv->stdout_fd, srv->out_buf + srv->out_len, sizeof srv->out_buf - srv->out_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return CLIENT_EOF;
        srv->out_len += (size_t)n;
    }
}

/* "stepNN listening on HOST:PORT": the port, or -1. */
static int parse_listening_line(const char *name, const char *line)
{
    size_t prefix = strcspn(name, "_"); /* "step03_parse" announces itself as "step03" */
    static const char middle[] = " listening on ";
    if (strncmp(line, name, prefix) != 0 || strncmp(line + prefix, middle, strlen(middle)) != 0)
        return -1;
    const char *colon = strrchr(line, ':');
    if (!colon || colon[1] == '\0')
        return -1;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port <= 0 || port > 65535)
        return -1;
    return (int)port;
}

void server_startv(struct server *srv, const char *name, const char *const *args)
{
    memset(srv, 0, sizeof *srv);
    srv->name = name;
    srv->stdout_fd = -1;

    char path[4096];
    snprintf(path, sizeof path, "%s/%s", BIN_DIR, name);
    require(access(path, X_OK) == 0, "no server binary %s: %s", path, strerror(errno));

    char *argv[MAX_ARGS];
    int argc = 0;
    argv[argc++] = (char *)name;
    argv[argc++] = "--port";
    argv[argc++] = "0";
    for (; args && *args; args++) {
        require(argc < MAX_ARGS - 1, "too many server arguments");
        argv[argc++] = (char *)*args;
    }
    argv[argc] = NULL;

    const char *tmp = getenv("TMPDIR");
    snprintf(srv->log_path, sizeof srv->log_path, "%s/%.16s-XXXXXX.log",
             tmp && strlen(tmp) < 32 ? tmp : "/tmp", name);
    int log_fd = mkostemps(srv->log_path, 4, O_CLOEXEC);
    require(log_fd >= 0, "mkstemps %s: %s", srv->log_path, strerror(errno));
    int out[2];
    require(pipe2(out, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));

    fflush(NULL); /* nothing buffered may be written twice */
    pid_t parent = getpid();
    pid_t pid = fork();
    require(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0)
        exec_server(path, argv, parent, out[1], log_fd);
    close(out[1]);
    close(log_fd);
    srv->pid = pid;
    srv->stdout_fd = out[0];
    remember_server(srv);
    /* A failed test exits at once and leaves the log behind: say where. */
    fprintf(stderr, "harness: %s (pid %d) logs to %s\n", name, (int)pid, srv->log_path);

    char line[256];
    int n = read_stdout_line(srv, line, sizeof line, now_ms() + HARNESS_START_TIMEOUT_MS);
    if (n == CLIENT_EOF) {
        server_wait(srv, HARNESS_STOP_TIMEOUT_MS);
        if (srv->pid == 0)
            fail_server_died(srv, "before its listening line");
    }
    if (n < 0) {
        dump_file(name, srv->log_path);
        fail_test("%s printed no listening line within %d ms", name, HARNESS_START_TIMEOUT_MS);
    }
    srv->port = parse_listening_line(name, line);
    require(srv->port > 0, "%s: bad listening line \"%s\"", name, line);
}

void server_start(struct server *srv, const char *name, ...)
{
    const char *args[MAX_ARGS];
    size_t n = 0;
    va_list ap;
    va_start(ap, name);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL;) {
        require(n < MAX_ARGS - 1, "too many server arguments");
        args[n++] = a;
    }
    va_end(ap);
    args[n] = NULL;
    server_startv(srv, name, args);
}

/*** stopping ***/

static int pidfd_open_compat(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

int server_wait(struct server *srv, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    if (reap_if_exited(srv))
        return srv->status;
    int pidfd = pidfd_open_compat(srv->pid);
    while (!reap_if_exited(srv)) {
        if (ms_left(deadline) == 0) {
            if (pidfd >= 0)
                close(pidfd);
            return -1;
        }
        if (pidfd >= 0) {
            poll_one(pidfd, POLLIN, deadline); /* readable once the process exits */
        } else {
            /* No pidfd: check again shortly (waiting for an exit, not for data). */
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    if (pidfd >= 0)
        close(pidfd);
    return srv->status;
}

void server_signal(struct server *srv, int sig)
{
    require(srv->pid > 0, "%s is not running", srv->name);
    require(kill(srv->pid, sig) == 0, "kill %s: %s", srv->name, strerror(errno));
}

void server_assert_alive(struct server *srv)
{
    if (reap_if_exited(srv))
        fail_server_died(srv, "during the test");
}

int server_read_stdout_line(struct server *srv, char *buf, size_t cap, int timeout_ms)
{
    return read_stdout_line(srv, buf, cap, now_ms() + timeout_ms);
}

/* True if the log holds a sanitizer report. */
static bool log_has_sanitizer_report(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[1024];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, "Sanitizer: ") != NULL || strstr(line, "runtime error: ") != NULL;
    fclose(f);
    return found;
}

int server_stop(struct server *srv)
{
    server_assert_alive(srv);
    /* Nothing on stdout but the listening line, so far. */
    char extra[256], shown[256];
    int n = read_stdout_line(srv, extra, sizeof extra, 0);
    require(n == CLIENT_TIMEOUT && srv->out_len == 0, "%s wrote more to stdout: %s", srv->name,
            n >= 0 ? quoted(extra, (size_t)n, shown, sizeof shown)
                   : quoted(srv->out_buf, srv->out_len, shown, sizeof shown));
    server_signal(srv, SIGTERM);
    if (server_wait(srv, HARNESS_STOP_TIMEOUT_MS) < 0) {
        fprintf(stderr, "harness: %s ignored SIGTERM for %d ms, sending SIGKILL\n", srv->name,
                HARNESS_STOP_TIMEOUT_MS);
        kill(srv->pid, SIGKILL);
        server_wait(srv, HARNESS_STOP_TIMEOUT_MS);
        require(srv->pid == 0, "%s survived SIGKILL", srv->name);
    }
    server_cleanup(srv);
    return srv->status;
}

void server_cleanup(struct server *srv)
{
    require(srv->pid == 0, "%s is still running", srv->name);
    if (srv->stdout_fd >= 0) {
        close(srv->stdout_fd);
        srv->stdout_fd = -1;
    }
    if (log_has_sanitizer_report(srv->log_path)) {
        dump_file(srv->name, srv->log_path);
        fail_test("%s: sanitizer report in its stderr (above, %s)", srv->name, srv->log_path);
    }
    unlink(srv->log_path);
}

void server_dump_log(struct server *srv)
{
    dump_file(srv->name, srv->log_path);
}

static bool file_contains(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool found = false;
    char line[4096];
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

void server_wait_log(struct server *srv, const char *needle, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    int watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    require(watch >= 0, "inotify_init1: %s", strerror(errno));
    require(inotify_add_watch(watch, srv->log_path, IN_MODIFY) >= 0, "inotify_add_watch %s: %s",
            srv->log_path, strerror(errno));
    /* Watch first, then look: a line written in between still wakes us. */
    while (!file_contains(srv->log_path, needle)) {
        if (ms_left(deadline) == 0) {
            close(watch);
            server_dump_log(srv);
            fail_test("%s: no log line with \"%s\" within %d ms", srv->name, needle, timeout_ms);
        }
        if (poll_one(watch, POLLIN, deadline) & POLLIN) {
            char events[4096];
            while (read(watch, events, sizeof events) > 0)
                continue;
        }
    }
    close(watch);
}

long server_cpu_ms(struct server *srv)
{
    require(srv->pid > 0, "%s is not running", srv->name);
    char path[64], stat[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)srv->pid);
    FILE *f = fopen(path, "r");
    require(f != NULL, "open %s: %s", path, strerror(errno));
    size_t n = fread(stat, 1, sizeof stat - 1, f);
    fclose(f);
    stat[n] = '\0';
    /* Fields 14 and 15 (utime, stime), counted after the ")" that ends the name. */
    const char *p = strrchr(stat, ')');
    unsigned long utime, stime;
    require(p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
                        &stime) == 2,
            "cannot read the CPU times in %s", path);
    return (long)((utime + stime) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK));
}

long server_rss_kib(struct server *srv)
{
    require(srv->pid > 0, "%s is not running", srv->name);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)srv->pid);
    FILE *f = fopen(path, "r");
    require(f != NULL, "open %s: %s", path, strerror(errno));
    char line[256];
    long kib = -1;
    while (kib < 0 && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) != 1)
            kib = -1;
    fclose(f);
    require(kib >= 0, "no VmRSS in %s", path);
    return kib;
}

/* Sanitizers keep freed memory in quarantine and shadow what is used. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RSS_IS_MEANINGFUL false
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define RSS_IS_MEANINGFUL false
#endif
#endif
#ifndef RSS_IS_MEANINGFUL
#define RSS_IS_MEANINGFUL true
#endif

long server_check_rss_growth(struct server *srv, long before_kib, long max_kib)
{
    long growth = server_rss_kib(srv) - before_kib;
    if (RSS_IS_MEANINGFUL)
        require(growth < max_kib, "%s: RSS grew by %ld KiB, the bound is %ld KiB", srv->name,
                growth, max_kib);
    else
        fprintf(stderr, "harness: %s RSS grew by %ld KiB (not checked under a sanitizer)\n",
                srv->name, growth);
    return growth;
}

/*** clients ***/

int client_connect(struct client *c, int port)
{
    return client_connect_rcvbuf(c, port, 0);
}

int client_connect_rcvbuf(struct client *c, int port, int rcvbuf)
{
    c->start = c->end = 0;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    require(c->fd >= 0, "socket: %s", strerror(errno));
    if (rcvbuf > 0) /* before connecting: the window is agreed then */
        require(setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) == 0,
                "SO_RCVBUF: %s", strerror(errno));
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        require(errno == EINPROGRESS, "connect to port %d: %s", port, strerror(errno));
        short ev = poll_one(c->fd, POLLOUT, now_ms() + HARNESS_REPLY_TIMEOUT_MS);
        require(ev != 0, "connect to port %d: timed out", port);
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        require(err == 0, "connect to port %d: %s", port, strerror(err));
    }
    int flags = fcntl(c->fd, F_GETFL);
    fcntl(c->fd, F_SETFL, flags & ~O_NONBLOCK);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return c->fd;
}

void client_close(struct client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->start = c->end = 0;
}

void client_set_nonblocking(struct client *c)
{
    int flags = fcntl(c->fd, F_GETFL);
    require(flags >= 0 && fcntl(c->fd, F_SETFL, flags | O_NONBLOCK) == 0, "fcntl: %s",
            strerror(errno));
}

void client_shutdown_write(struct client *c)
{
    require(shutdown(c->fd, SHUT_WR) == 0, "shutdown: %s", strerror(errno));
}

void client_send_all(struct client *c, const void *data, size_t len)
{
    const char *p = data;
    long long deadline = now_ms() + HARNESS_REPLY_TIMEOUT_MS;
    while (len > 0) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            deadline = now_ms() + HARNESS_REPLY_TIMEOUT_MS; /* progress: wait afresh */
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        require(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK), "send: %s",
                n < 0 ? strerror(errno) : "sent nothing");
        require(poll_one(c->fd, POLLOUT, deadline) != 0,
                "send: no room for %d ms (%zu bytes left to send)", HARNESS_REPLY_TIMEOUT_MS, len);
    }
}

void client_send_str(struct client *c, const char *s)
{
    client_send_all(c, s, strlen(s));
}

/* Reads more bytes into the buffer, waiting until deadline. Returns the bytes
 * read, 0 on timeout, CLIENT_EOF or CLIENT_RESET. */
static int fill(struct client *c, long long deadline)
{
    if (c->start > 0) {
        memmove(c->buf, c->buf + c->start, c->end - c->start);
        c->end -= c->start;
        c->start = 0;
    }
    require(c->end < sizeof c->buf, "reply line longer than %zu bytes", sizeof c->buf);
    for (;;) {
        ssize_t n = recv(c->fd, c->buf + c->end, sizeof c->buf - c->end, MSG_DONTWAIT);
        if (n > 0) {
            c->end += (size_t)n;
            return (int)n;
        }
        if (n == 0)
            return CLIENT_EOF;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return CLIENT_RESET;
        if (poll_one(c->fd, POLLIN, deadline) == 0)
            return 0;
    }
}

static int read_line_until(struct client *c, char *buf, size_t cap, long long deadline)
{
    size_t scanned = c->start;
    for (;;) {
        char *nl = memchr(c->buf + scanned, '\n', c->end - scanned);
        if (nl) {
            size_t len = (size_t)(nl - (c->buf + c->start));
            require(len < cap, "reply line of %zu bytes does not fit in %zu", len, cap - 1);
            memcpy(buf, c->buf + c->start, len);
            buf[len] = '\0';
            c->start += len + 1;
            return (int)len;
        }
        scanned = c->end - c->start; /* fill() moves the unread bytes to the front */
        int n = fill(c, deadline);
        if (n == 0)
            return CLIENT_TIMEOUT;
        if (n < 0)
            return n;
    }
}

int client_read_line(struct client *c, char *buf, size_t cap, int timeout_ms)
{
    return read_line_until(c, buf, cap, now_ms() + timeout_ms);
}

static const char *result_name(int r)
{
    switch (r) {
    case CLIENT_TIMEOUT: return "nothing (timed out)";
    case CLIENT_EOF: return "EOF";
    case CLIENT_RESET: return "a connection reset";
    default: return "a line";
    }
}

void client_expect_line(struct client *c, const char *expected, int timeout_ms)
{
    static char got[CLIENT_BUF_SIZE + 1];
    int n = client_read_line(c, got, sizeof got, timeout_ms);
    char want[256], have[256];
    require(n >= 0, "expected %s, got %s after %d ms",
            quoted(expected, strlen(expected), want, sizeof want), result_name(n), timeout_ms);
    require(strcmp(got, expected) == 0 && (size_t)n == strlen(expected), "expected %s, got %s",
            quoted(expected, strlen(expected), want, sizeof want),
            quoted(got, (size_t)n, have, sizeof have));
}

void client_expect_reply(struct client *c, const char *request, const char *expected)
{
    size_t len = strlen(request);
    char *line = malloc(len + 1); /* one write for the whole line */
    require(line != NULL, "out of memory");
    memcpy(line, request, len);
    line[len] = '\n';
    client_send_all(c, line, len + 1);
    free(line);
    client_expect_line(c, expected, HARNESS_REPLY_TIMEOUT_MS);
}

/* What fill() brought: the unread bytes, or why there were none. */
static const char *describe_fill(struct client *c, int n, char *buf, size_t cap)
{
    if (n <= 0)
        return result_name(n);
    return quoted(c->buf + c->start, c->end - c->start, buf, cap);
}

void client_expect_silence(struct client *c, int ms)
{
    char what[256];
    require(c->end == c->start, "expected silence, but %s were already received",
            describe_fill(c, 1, what, sizeof what));
    int n = fill(c, now_ms() + ms);
    require(n == 0, "expected silence for %d ms, got %s", ms,
            describe_fill(c, n, what, sizeof what));
}

void client_expect_eof(struct client *c, int timeout_ms)
{
    char what[256];
    require(c->end == c->start, "expected EOF, but %s were received",
            describe_fill(c, 1, what, sizeof what));
    int n = fill(c, now_ms() + timeout_ms);
    require(n == CLIENT_EOF, "expected EOF within %d ms, got %s", timeout_ms,
            n == 0 ? "nothing" : describe_fill(c, n, what, sizeof what));
}

/*** flooding ***/

bool client_flood(struct client *c, const char *line, size_t *sent, size_t max_bytes,
                  int blocked_ms)
{
    size_t line_len = strlen(line);
    require(line_len > 0 && line[line_len - 1] == '\n', "a flood line ends in '\\n'");
    /* Many copies of the line, so that each send() offers a large chunk. */
    size_t copies = 65536 / line_len + 1;
    size_t chunk_len = copies * line_len;
    char *chunk = malloc(chunk_len);
    require(chunk != NULL, "out of memory");
    for (size_t i = 0; i < copies; i++)
        memcpy(chunk + i * line_len, line, line_len);

    client_set_nonblocking(c);
    bool blocked = false;
    while (!blocked && *sent < max_bytes) {
        size_t off = *sent % line_len; /* continue the stream where it stopped */
        size_t want = chunk_len - off;
        if (want > max_bytes - *sent)
            want = max_bytes - *sent;
        ssize_t n = send(c->fd, chunk + off, want, MSG_NOSIGNAL);
        if (n > 0) {
            *sent += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        require(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK), "send: %s",
                n < 0 ? strerror(errno) : "sent nothing");
        blocked = poll_one(c->fd, POLLOUT, now_ms() + blocked_ms) == 0;
    }
    free(chunk);
    return blocked;
}

void client_flood_finish(struct client *c, const char *line, size_t sent, const char *reply,
                         int timeout_ms)
{
    size_t line_len = strlen(line);
    size_t rest = (line_len - sent % line_len) % line_len; /* of the last, partial line */
    size_t lines = (sent + rest) / line_len;
    const char *tail = line + line_len - rest;
    long long deadline = now_ms() + timeout_ms;
    static char got[CLIENT_BUF_SIZE + 1];

    for (size_t done = 0; done < lines;) {
        int n = read_line_until(c, got, sizeof got, 0); /* what is here, no waiting */
        if (n >= 0) {
            char have[256];
            require(strcmp(got, reply) == 0, "flood: reply %zu of %zu is %s, not \"%s\"", done,
                    lines, quoted(got, (size_t)n, have, sizeof have), reply);
            done++;
            continue;
        }
        require(n == CLIENT_TIMEOUT, "flood: after %zu of %zu replies, got %s", done, lines,
                result_name(n));
        /* Wait for replies and, while the last line is unfinished, for room. */
        struct pollfd p = {.fd = c->fd, .events = POLLIN | (rest > 0 ? POLLOUT : 0)};
        int r = poll(&p, 1, ms_left(deadline));
        if (r < 0 && errno == EINTR)
            continue;
        require(r > 0, "flood: %zu of %zu replies within %d ms", done, lines, timeout_ms);
        if ((p.revents & POLLOUT) && rest > 0) {
            ssize_t w = send(c->fd, tail, rest, MSG_NOSIGNAL | MSG_DONTWAIT);
            require(w > 0 || errno == EAGAIN || errno == EINTR, "send: %s", strerror(errno));
            if (w > 0) {
                tail += w;
                rest -= (size_t)w;
            }
        }
    }
}

/*** scenarios shared by stages ***/

#define SLOW_READER_MAX_BYTES  ((size_t)100 << 20)
#define SLOW_READER_PAUSE_MS   300 /* no room this long: the server paused reading */
#define SLOW_READER_BLOCKED_MS 1000 /* no room this long: the server stopped reading */
#define SLOW_READER_DRAIN_MS   30000 /* to read back everything sent */

/* Floods line from c until a whole SLOW_READER_BLOCKED_MS passes without a
 * byte going through: a busy server only pauses its reading, a capped one
 * stops. Returns the bytes sent. */
static size_t flood_until_blocked(struct server *srv, struct client *c, const char *line)
{
    size_t sent = 0, before;
    do {
        before = sent;
        int wait_ms = sent == 0 ? SLOW_READER_PAUSE_MS : SLOW_READER_BLOCKED_MS;
        bool blocked = client_flood(c, line, &sent, SLOW_READER_MAX_BYTES, wait_ms);
        require(blocked, "%s read all %zu bytes from a client that never reads", srv->name, sent);
    } while (sent > before);
    return sent;
}

size_t scenario_slow_reader(struct server *srv, const char *line, const char *reply,
                            const char *probe, const char *probe_reply, long max_rss_growth_kib)
{
    static struct client other, flooder;
    client_connect(&other, srv->port);
    client_connect(&flooder, srv->port);
    client_expect_reply(&other, probe, probe_reply);
    long rss_before = server_rss_kib(srv);

    size_t sent = flood_until_blocked(srv, &flooder, line);

    /* Others are served while the flooder is stuck, and memory stays bounded. */
    client_expect_reply(&other, probe, probe_reply);
    long growth = server_check_rss_growth(srv, rss_before, max_rss_growth_kib);
    fprintf(stderr,
            "harness: %s: a client that never reads sent %zu bytes before its writes "
            "blocked; server RSS grew by %ld KiB\n",
            srv->name, sent, growth);

    /* Once it reads, everything it sent is answered, and the server goes on. */
    client_flood_finish(&flooder, line, sent, reply, SLOW_READER_DRAIN_MS);
    client_expect_reply(&other, probe, probe_reply);
    client_close(&flooder);
    client_expect_reply(&other, probe, probe_reply);
    client_close(&other);
    return sent;
}

#define INVALID_JSON_LINE   "{\"status\":\"error\",\"reason\":\"invalid_json\"}"
#define INVALID_EVENT_LINE  "{\"status\":\"error\",\"reason\":\"invalid_event\"}"
#define TINY_LINE_REPLY     INVALID_JSON_LINE /* to "x" */
#define TINY_CAP_LINES      5000
#define TINY_CAP_SILENCE_MS 200 /* and then no extra reply */

void scenario_tiny_output_cap(struct server *srv, const char *line, const char *reply)
{
    static struct client c;
    size_t line_len = strlen(line);
    char *lines = malloc(TINY_CAP_LINES * line_len);
    require(lines != NULL, "out of memory");
    for (size_t i = 0; i < TINY_CAP_LINES; i++)
        memcpy(lines + i * line_len, line, line_len);
    client_connect(&c, srv->port);
    client_send_all(&c, lines, TINY_CAP_LINES * line_len);
    free(lines);
    for (int i = 0; i < TINY_CAP_LINES; i++)
        client_expect_line(&c, reply, HARNESS_REPLY_TIMEOUT_MS);
    client_expect_silence(&c, TINY_CAP_SILENCE_MS);
    client_close(&c);
}

#define AMPLIFYING_LINE        "x\n"
#define AMPLIFYING_PROBE       "{\"type\":\"x\"}"
#define AMPLIFYING_PROBE_REPLY "{\"status\":\"error\",\"reason\":\"unknown_type\"}"
#define AMPLIFYING_BLOCKED_MS  200 /* per client and round; a round with no progress ends it */

void scenario_amplifying_slow_readers(struct server *srv)
{
    static struct client other, flooders[AMPLIFYING_CLIENTS];
    client_connect(&other, srv->port);
    client_expect_reply(&other, AMPLIFYING_PROBE, AMPLIFYING_PROBE_REPLY);
    long rss_before = server_rss_kib(srv);

    /* Round after round, each flooder sends until it is blocked for a moment,
     * until a whole round gets no byte through. */
    size_t sent[AMPLIFYING_CLIENTS] = {0}, total = 0;
    for (int i = 0; i < AMPLIFYING_CLIENTS; i++)
        client_connect(&flooders[i], srv->port);
    for (bool progress = true; progress;) {
        progress = false;
        for (int i = 0; i < AMPLIFYING_CLIENTS; i++) {
            size_t before = sent[i];
            client_flood(&flooders[i], AMPLIFYING_LINE, &sent[i], SLOW_READER_MAX_BYTES,
                         AMPLIFYING_BLOCKED_MS);
            require(sent[i] < SLOW_READER_MAX_BYTES,
                    "%s read all %zu bytes from a client that never reads", srv->name, sent[i]);
            progress |= sent[i] > before;
            total += sent[i] - before;
        }
    }
    client_expect_reply(&other, AMPLIFYING_PROBE, AMPLIFYING_PROBE_REPLY);
    long growth = server_check_rss_growth(srv, rss_before, AMPLIFYING_MAX_GROWTH_KIB);
    fprintf(stderr,
            "harness: %s: %d clients that never read sent %zu bytes of tiny lines before "
            "their writes blocked; server RSS grew by %ld KiB\n",
            srv->name, AMPLIFYING_CLIENTS, total, growth);
    for (int i = 0; i < AMPLIFYING_CLIENTS; i++)
        client_close(&flooders[i]);
    client_expect_reply(&other, AMPLIFYING_PROBE, AMPLIFYING_PROBE_REPLY);
    client_close(&other);
}

/* The stage the shared tests run against: set before the tests run (a
 * forked test inherits it). */
static struct {
    const char *server;
    enum harness_replies replies;
} shared_tests_stage;

/* At the smallest output cap every reply fills it: the rest of each read is
 * put aside and taken up again, one line at a time, and nothing is lost. */
START_TEST(test_tiny_output_cap)
{
    struct server srv;
    server_start(&srv, shared_tests_stage.server, "--max-outbuf", "1", NULL);
    if (shared_tests_stage.replies == HARNESS_ECHO)
        scenario_tiny_output_cap(&srv, "echo me\n", "echo me");
    else
        scenario_tiny_output_cap(&srv, "x\n", TINY_LINE_REPLY);
    server_stop(&srv);
}
END_TEST

#define STRICT_EVENT(amount, user)                                                                 \
    "{\"user\":\"" user "\",\"action\":\"buy\",\"amount\":" amount "}"

/* Every parsing stage holds to RFC 8259 where cJSON would not, and judges
 * the amount on its text: a double would round these to whole numbers. */
START_TEST(test_strict_json_over_the_wire)
{
    static const struct {
        const char *request, *reply;
    } lines[] = {
        {STRICT_EVENT("012", "alice"), INVALID_JSON_LINE},
        {STRICT_EVENT("-01", "alice"), INVALID_JSON_LINE},
        {STRICT_EVENT("1.", "alice"), INVALID_JSON_LINE},
        {STRICT_EVENT("2.e3", "alice"), INVALID_JSON_LINE},
        {STRICT_EVENT("1", "\\uqqqq"), INVALID_JSON_LINE},
        {STRICT_EVENT("1", "a\tb"), INVALID_JSON_LINE},
        {"\xef\xbb\xbf" STRICT_EVENT("1", "alice"), INVALID_JSON_LINE},
        {"{\"type\":\"x\"}\f", INVALID_JSON_LINE},
        {STRICT_EVENT("999999999.99999999", "alice"), INVALID_EVENT_LINE},
        {STRICT_EVENT("1.0000000000000001", "alice"), INVALID_EVENT_LINE},
        {STRICT_EVENT("0.99999999999999999", "alice"), INVALID_EVENT_LINE},
        {STRICT_EVENT("1e400", "alice"), INVALID_EVENT_LINE},
    };
    struct server srv;
    struct client c;
    server_start(&srv, shared_tests_stage.server, NULL);
    client_connect(&c, srv.port);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        client_expect_reply(&c, lines[i].request, lines[i].reply);
    client_close(&c);
    server_stop(&srv);
}
END_TEST

/* Tiny invalid lines get replies 20 times their size: each client's unread
 * replies stay near the output cap, not a whole read's worth. */
START_TEST(test_clients_that_never_read_tiny_lines)
{
    struct server srv;
    server_start(&srv, shared_tests_stage.server, NULL);
    scenario_amplifying_slow_readers(&srv);
    server_stop(&srv);
}
END_TEST

/* Sets name=value for the servers started from now on; the previous value
 * goes to *old (NULL if unset) for restore_env. */
static void set_env(const char *name, const char *value, char **old)
{
    const char *was = getenv(name);
    *old = was ? strdup(was) : NULL;
    require(setenv(name, value, 1) == 0, "setenv %s", name);
}

static void restore_env(const char *name, char *old)
{
    if (old)
        setenv(name, old, 1);
    else
        unsetenv(name);
    free(old);
}

/* Starts the shared tests' stage with `library` preloaded and name=value
 * in its environment (name may be NULL). */
static void start_preloaded(struct server *srv, const char *library, const char *name,
                            const char *value)
{
    char *old_preload, *old_value = NULL, *old_asan, asan[512];
    const char *asan_was = getenv("ASAN_OPTIONS");
    /* The preloaded library comes before the AddressSanitizer runtime. */
    snprintf(asan, sizeof asan, "%s%sverify_asan_link_order=0", asan_was ? asan_was : "",
             asan_was ? ":" : "");
    set_env("LD_PRELOAD", library, &old_preload);
    if (name)
        set_env(name, value, &old_value);
    set_env("ASAN_OPTIONS", asan, &old_asan);
    server_start(srv, shared_tests_stage.server, NULL);
    restore_env("LD_PRELOAD", old_preload);
    if (name)
        restore_env(name, old_value);
    restore_env("ASAN_OPTIONS", old_asan);
}

/* A line the shared tests' stage answers, and its answer. */
static void expect_served(struct client *c)
{
    if (shared_tests_stage.replies == HARNESS_ECHO)
        client_expect_reply(c, "served", "served");
    else
        client_expect_reply(c, AMPLIFYING_PROBE, AMPLIFYING_PROBE_REPLY);
}

/* Watching a new client can fail (fs.epoll.max_user_watches reached, made to
 * happen here by fail_epoll_add.c): the server closes that client, pauses
 * accepting for a moment, and serves the next one. */
START_TEST(test_watching_a_client_fails)
{
    struct server srv;
    start_preloaded(&srv, FAIL_EPOLL_ADD_LIB, "FAIL_CLIENT_ADDS", "1");
    struct client refused, served;
    client_connect(&refused, srv.port);
    client_expect_eof(&refused, HARNESS_REPLY_TIMEOUT_MS);
    server_wait_log(&srv, "pausing accepts", HARNESS_REPLY_TIMEOUT_MS);
    client_connect(&served, srv.port);
    expect_served(&served);
    client_close(&refused);
    client_close(&served);
    server_stop(&srv);
}
END_TEST

/* Connections waiting at once: more than one wake-up may take, fewer than the
 * smallest listen backlog in use (net.core.somaxconn was 128 before Linux 5.4). */
#define ACCEPT_STORM           100
#define ACCEPTS_PER_WAKEUP_MAX 64 /* what the stages accept per wake-up at most */

/* A storm of connections is accepted a bounded batch per wake-up of the
 * event loop (counted by count_accepts.c), so the clients already connected
 * get their turn in between; and every connection of the storm is served. */
START_TEST(test_accepts_per_wakeup_are_bounded)
{
    struct server srv;
    start_preloaded(&srv, COUNT_ACCEPTS_LIB, NULL, NULL);
    struct client *storm = calloc(ACCEPT_STORM, sizeof *storm);
    require(storm != NULL, "out of memory");
    server_signal(&srv, SIGSTOP); /* the kernel completes the connections meanwhile */
    for (int i = 0; i < ACCEPT_STORM; i++)
        client_connect(&storm[i], srv.port);
    server_signal(&srv, SIGCONT);
    for (int i = 0; i < ACCEPT_STORM; i++)
        expect_served(&storm[i]);
    long long longest;
    require(server_log_count(&srv, "accept burst ", &longest) > 0, "no accept counted");
    ck_assert_msg(longest <= ACCEPTS_PER_WAKEUP_MAX && longest > 1,
                  "%s accepted %lld connections in one wake-up", srv.name, longest);
    for (int i = 0; i < ACCEPT_STORM; i++)
        client_close(&storm[i]);
    free(storm);
    server_stop(&srv);
}
END_TEST

void harness_add_shared_tests(TCase *tc, const char *server, enum harness_replies replies)
{
    shared_tests_stage.server = server;
    shared_tests_stage.replies = replies;
    tcase_add_test(tc, test_tiny_output_cap);
    if (replies == HARNESS_JSON) {
        tcase_add_test(tc, test_clients_that_never_read_tiny_lines);
        tcase_add_test(tc, test_strict_json_over_the_wire);
    }
    tcase_add_test(tc, test_watching_a_client_fails);
    tcase_add_test(tc, test_accepts_per_wakeup_are_bounded);
}

/* The stage the background-threads test runs against, and its threads' name. */
static struct {
    const char *server, *thread_name;
} background_stage;

/* Every thread named background_stage.thread_name runs as SCHED_BATCH, and
 * there is at least one; the event loop (the main thread) does not. The
 * threads are started before the server prints its listening line. */
START_TEST(test_background_threads_run_as_batch)
{
    struct server srv;
    server_start(&srv, background_stage.server, NULL);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)srv.pid);
    DIR *tasks = opendir(path);
    require(tasks != NULL, "open %s: %s", path, strerror(errno));
    int batch = 0;
    for (struct dirent *t; (t = readdir(tasks)) != NULL;) {
        pid_t tid = (pid_t)atoi(t->d_name);
        char comm_path[96], name[32] = "";
        snprintf(comm_path, sizeof comm_path, "%s/%d/comm", path, (int)tid);
        FILE *comm = tid > 0 ? fopen(comm_path, "r") : NULL;
        if (!comm)
            continue;
        if (fgets(name, sizeof name, comm))
            name[strcspn(name, "\n")] = '\0';
        fclose(comm);
        int policy = sched_getscheduler(tid);
        if (tid == srv.pid) /* as it was started: with this process's policy */
            ck_assert_msg(policy == sched_getscheduler(0), "the event loop runs with policy %d",
                          policy);
        else if (strcmp(name, background_stage.thread_name) == 0) {
            ck_assert_msg(policy == SCHED_BATCH, "%s thread %d runs with policy %d", name, (int)tid,
                          policy);
            batch++;
        }
    }
    closedir(tasks);
    ck_assert_msg(batch > 0, "no thread named %s", background_stage.thread_name);
    server_stop(&srv);
}
END_TEST

void harness_add_background_threads_test(TCase *tc, const char *server, const char *thread_name)
{
    background_stage.server = server;
    background_stage.thread_name = thread_name;
    tcase_add_test(tc, test_background_threads_run_as_batch);
}

void scenario_unterminated_last_line(struct server *srv)
{
    static struct client c;
    client_connect(&c, srv->port);
    client_send_str(&c, "complete\nunterminated");
    client_shutdown_write(&c);
    client_expect_line(&c, "complete", HARNESS_REPLY_TIMEOUT_MS);
    client_expect_eof(&c, HARNESS_REPLY_TIMEOUT_MS);
    client_close(&c);
}

/*** suites ***/

TCase *harness_tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, HARNESS_TEST_TIMEOUT_S);
    tcase_add_checked_fixture(tc, NULL, harness_kill_servers);
    return tc;
}

int harness_run(Suite *suite)
{
    SRunner *sr = srunner_create(suite);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*** scenarios: events, balances and metrics (stages 05-10) ***/

#define ACCEPTED_LINE    "{\"status\":\"accepted\"}"
#define SERVER_BUSY_LINE "{\"status\":\"rejected\",\"reason\":\"server_busy\"}"
#define WORKERS_DONE_MS  30000 /* for the workers to catch up, sanitizer builds included */

void event_append(char *buf, size_t cap, size_t *len, const char *user, long long delta)
{
    int n =
        snprintf(buf + *len, cap - *len, "{\"user\":\"%s\",\"action\":\"%s\",\"amount\":%lld}\n",
                 user, delta >= 0 ? "buy" : "sell", delta >= 0 ? delta : -delta);
    require(n > 0 && (size_t)n < cap - *len, "no room for an event of '%s' after %zu bytes", user,
            *len);
    *len += (size_t)n;
}

struct event_tally client_read_tally(struct client *c, size_t n)
{
    char line[256], shown[256];
    struct event_tally t = {0};
    for (size_t i = 0; i < n; i++) {
        int len = client_read_line(c, line, sizeof line, HARNESS_REPLY_TIMEOUT_MS);
        require(len >= 0, "reply %zu of %zu: got %s", i, n, result_name(len));
        if (strcmp(line, ACCEPTED_LINE) == 0)
            t.accepted++;
        else if (strcmp(line, SERVER_BUSY_LINE) == 0)
            t.busy++;
        else
            fail_test("reply %zu of %zu: got %s", i, n,
                      quoted(line, (size_t)len, shown, sizeof shown));
    }
    return t;
}

struct event_tally client_send_bulk(struct client *c, const char *user, size_t n)
{
    size_t cap = n * (strlen(user) + 64), len = 0;
    char *lines = malloc(cap);
    require(lines != NULL, "out of memory");
    for (size_t i = 0; i < n; i++)
        event_append(lines, cap, &len, user, 1);
    client_send_all(c, lines, len);
    free(lines);
    return client_read_tally(c, n);
}

struct event_tally scenario_overload(struct server *srv, struct client *c, size_t n,
                                     size_t queue_cap)
{
    struct event_tally t = client_send_bulk(c, "bulk", n);
    fprintf(stderr, "harness: %s: %lu of %zu accepted, %lu server_busy\n", srv->name, t.accepted, n,
            t.busy);
    require(t.accepted >= queue_cap && t.accepted < n,
            "%s: %lu of %zu events accepted with a queue of %zu", srv->name, t.accepted, n,
            queue_cap);
    server_wait_processed(srv, t.accepted);
    return t;
}

size_t server_log_count(struct server *srv, const char *needle, long long *last)
{
    FILE *f = fopen(srv->log_path, "r");
    require(f != NULL, "cannot open %s: %s", srv->log_path, strerror(errno));
    char line[1024];
    size_t count = 0;
    if (last)
        *last = 0;
    while (fgets(line, sizeof line, f)) {
        const char *found = strstr(line, needle);
        if (!found)
            continue;
        count++;
        if (last) {
            char *end;
            *last = strtoll(found + strlen(needle), &end, 10);
            if (*end != '\n') {
                fclose(f);
                fail_test("%s: unexpected log line: %s", srv->name, line);
            }
        }
    }
    fclose(f);
    return count;
}

size_t server_logged_updates(struct server *srv)
{
    return server_log_count(srv, "balance of '", NULL);
}

long long server_logged_balance(struct server *srv, const char *user)
{
    char needle[128];
    snprintf(needle, sizeof needle, "balance of '%s' is now ", user);
    long long balance;
    server_log_count(srv, needle, &balance);
    return balance;
}

/* "key":digits at *p; advances *p past them. */
static bool parse_counter(const char **p, const char *key, unsigned long long *v)
{
    size_t klen = strlen(key);
    if ((*p)[0] != '"' || strncmp(*p + 1, key, klen) != 0 || strncmp(*p + 1 + klen, "\":", 2))
        return false;
    const char *d = *p + klen + 3;
    if (*d < '0' || *d > '9')
        return false;
    char *end;
    errno = 0;
    *v = strtoull(d, &end, 10);
    *p = end;
    return errno == 0;
}

bool metrics_parse(const char *line, struct metrics_reply *m)
{
    const char *p = line + 1;
    if (line[0] != '{' || !parse_counter(&p, "received", &m->received) || *p++ != ',' ||
        !parse_counter(&p, "processed", &m->processed) || *p++ != ',' ||
        !parse_counter(&p, "dropped", &m->dropped))
        return false;
    size_t rest = strlen(p);
    return (rest == 1 || (rest > 2 && p[0] == ',')) && p[rest - 1] == '}';
}

struct metrics_reply client_metrics(struct client *c)
{
    static const char query[] = "{\"type\":\"metrics\"}\n";
    char line[512], shown[256];
    struct metrics_reply m;
    client_send_all(c, query, sizeof query - 1);
    int n = client_read_line(c, line, sizeof line, HARNESS_REPLY_TIMEOUT_MS);
    require(n >= 0, "metrics: got %s", result_name(n));
    require(metrics_parse(line, &m), "metrics: got %s",
            quoted(line, (size_t)n, shown, sizeof shown));
    return m;
}

void server_wait_processed(struct server *srv, unsigned long processed)
{
    char needle[64];
    snprintf(needle, sizeof needle, "queue empty: %lu events processed", processed);
    if (processed > 0)
        server_wait_log(srv, needle, WORKERS_DONE_MS);
}

void server_expect_metrics_at_rest(struct server *srv, struct event_tally t)
{
    static struct client c;
    server_wait_processed(srv, t.accepted);
    client_connect(&c, srv->port);
    struct metrics_reply m = client_metrics(&c);
    client_close(&c);
    require(m.received == t.accepted + t.busy && m.processed == t.accepted && m.dropped == t.busy,
            "%s at rest: received %llu, processed %llu, dropped %llu; the clients saw %lu "
            "accepted and %lu server_busy",
            srv->name, m.received, m.processed, m.dropped, t.accepted, t.busy);
}

/* Sends request (no '\n') and expects reply, one line each way. */
struct exchange_line {
    const char *request, *reply;
};

static void expect_exchanges(struct client *c, const struct exchange_line *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        client_expect_reply(c, x[i].request, x[i].reply);
}

#define BALANCE_QUERY(user)          "{\"type\":\"balance\",\"user\":" user "}"
#define BALANCE_REPLY(user, balance) "{\"status\":\"ok\",\"user\":" user ",\"balance\":" balance "}"
#define BALANCE_EVENT(user, action, amount)                                                        \
    "{\"user\":" user ",\"action\":\"" action "\",\"amount\":" amount "}"
#define QUOTES16 "\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\""
#define QUOTES64 "\"" QUOTES16 QUOTES16 QUOTES16 QUOTES16 "\"" /* a user of 64 '"' */
#define QUOTES65 "\"" QUOTES16 QUOTES16 QUOTES16 QUOTES16 "\\\"\""
#define BYTES64  "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\""

struct event_tally scenario_balance_queries(struct server *srv)
{
    static const struct exchange_line unknown_and_invalid[] = {
        {BALANCE_QUERY("\"alice\""), BALANCE_REPLY("\"alice\"", "0")},
        {BALANCE_QUERY("\"a\\\"b\\\\c\""), BALANCE_REPLY("\"a\\\"b\\\\c\"", "0")},
        {BALANCE_QUERY("\"caf\\u00e9\""), BALANCE_REPLY("\"caf\xc3\xa9\"", "0")},
        {BALANCE_QUERY("\"\\ud83d\\ude00\""), BALANCE_REPLY("\"\xf0\x9f\x98\x80\"", "0")},
        {BALANCE_QUERY("\"a\\/b\\u0041\""), BALANCE_REPLY("\"a/bA\"", "0")},
        {BALANCE_QUERY(QUOTES64), BALANCE_REPLY(QUOTES64, "0")},
        {BALANCE_QUERY(BYTES64), BALANCE_REPLY(BYTES64, "0")},
        {"{\"user\":\"alice\",\"type\":\"balance\",\"extra\":[1]}",
         BALANCE_REPLY("\"alice\"", "0")},
        {"{\"type\":\"balance\"}", INVALID_EVENT_LINE},
        {BALANCE_QUERY("\"\""), INVALID_EVENT_LINE},
        {BALANCE_QUERY(QUOTES65), INVALID_EVENT_LINE},
        {BALANCE_QUERY("\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefg\""),
         INVALID_EVENT_LINE}, /* 65 bytes */
        {BALANCE_QUERY("\"a\\u0000b\""), INVALID_EVENT_LINE},
        {BALANCE_QUERY("\"a\\u001fb\""), INVALID_EVENT_LINE},
        {BALANCE_QUERY("\"a\\u007fb\""), INVALID_EVENT_LINE},
        {BALANCE_QUERY("\"\xff\""), INVALID_EVENT_LINE},
        {BALANCE_QUERY("42"), INVALID_EVENT_LINE},
        {BALANCE_QUERY("null"), INVALID_EVENT_LINE},
        {BALANCE_QUERY("[\"alice\"]"), INVALID_EVENT_LINE},
        {"{\"type\":\"Balance\",\"user\":\"alice\"}",
         "{\"status\":\"error\",\"reason\":\"unknown_type\"}"},
        {BALANCE_QUERY("\"alice\"") " x", "{\"status\":\"error\",\"reason\":\"invalid_json\"}"},
    };
    /* The same users written both ways: escaped, and as raw UTF-8. */
    static const char *const events[] = {
        BALANCE_EVENT("\"alice\"", "buy", "100"),
        BALANCE_EVENT("\"alice\"", "sell", "30"),
        BALANCE_EVENT("\"bob\"", "sell", "5"),
        BALANCE_EVENT("\"a\\\"b\\\\c\"", "buy", "7"),
        BALANCE_EVENT("\"caf\xc3\xa9\"", "buy", "3"),
        BALANCE_EVENT("\"caf\\u00e9\"", "buy", "4"),
        BALANCE_EVENT("\"\\ud83d\\ude00\"", "buy", "1000000000"),
        BALANCE_EVENT("\"\xf0\x9f\x98\x80\"", "buy", "1000000000"),
        BALANCE_EVENT(QUOTES64, "sell", "1"),
        BALANCE_EVENT("\"a\\/bA\"", "buy", "2"),
    };
    static const struct exchange_line balances[] = {
        {BALANCE_QUERY("\"alice\""), BALANCE_REPLY("\"alice\"", "70")},
        {BALANCE_QUERY("\"bob\""), BALANCE_REPLY("\"bob\"", "-5")},
        {BALANCE_QUERY("\"a\\\"b\\\\c\""), BALANCE_REPLY("\"a\\\"b\\\\c\"", "7")},
        {BALANCE_QUERY("\"caf\\u00e9\""), BALANCE_REPLY("\"caf\xc3\xa9\"", "7")},
        {BALANCE_QUERY("\"caf\xc3\xa9\""), BALANCE_REPLY("\"caf\xc3\xa9\"", "7")},
        {BALANCE_QUERY("\"\xf0\x9f\x98\x80\""),
         BALANCE_REPLY("\"\xf0\x9f\x98\x80\"", "2000000000")},
        {BALANCE_QUERY(QUOTES64), BALANCE_REPLY(QUOTES64, "-1")},
        {BALANCE_QUERY("\"a/bA\""), BALANCE_REPLY("\"a/bA\"", "2")},
        {BALANCE_QUERY("\"Alice\""), BALANCE_REPLY("\"Alice\"", "0")},
        {"{\"type\":\"balance\",\"user\":\"alice\",\"user\":\"bob\"}",
         BALANCE_REPLY("\"alice\"", "70")}, /* the first key wins */
    };
    static struct client c;
    client_connect(&c, srv->port);
    expect_exchanges(&c, unknown_and_invalid,
                     sizeof unknown_and_invalid / sizeof *unknown_and_invalid);
    const size_t nevents = sizeof events / sizeof *events;
    for (size_t i = 0; i < nevents; i++)
        client_expect_reply(&c, events[i], ACCEPTED_LINE);
    server_wait_processed(srv, nevents);
    expect_exchanges(&c, balances, sizeof balances / sizeof *balances);
    client_close(&c);
    return (struct event_tally){.accepted = nevents};
}

/* The load: events on a few users from LOAD_CONNS connections at once. */
#define LOAD_CONNS        8
#define EXACT_EVENTS      400 /* per connection */
#define METRICS_ROUNDS    20
#define METRICS_PER_ROUND 50 /* events per connection per round */

/* As they appear between the quotes of a JSON string, in requests and replies. */
static const char *const load_users[] = {"alice", "bob", "a\\\"b\\\\c", "caf\xc3\xa9"};
#define LOAD_USERS (sizeof load_users / sizeof *load_users)

struct load {
    struct client conns[LOAD_CONNS];
    long long sums[LOAD_USERS]; /* of the accepted events */
    struct event_tally tally;
};

/* Appends event k of connection c to buf; returns its delta, and its user's index in *user. */
static long long load_event(unsigned c, unsigned k, char *buf, size_t cap, size_t *len,
                            size_t *user)
{
    *user = (c + k) % LOAD_USERS;
    long long amount = 1 + (long long)((k * 7919u + c * 104729u) % 1000000u);
    long long delta = k % 4 == 3 ? -amount : amount;
    event_append(buf, cap, len, load_users[*user], delta);
    return delta;
}

static void load_start(struct load *l, int port)
{
    memset(l->sums, 0, sizeof l->sums);
    l->tally = (struct event_tally){0};
    for (unsigned c = 0; c < LOAD_CONNS; c++)
        client_connect(&l->conns[c], port);
}

static void load_close(struct load *l)
{
    for (unsigned c = 0; c < LOAD_CONNS; c++)
        client_close(&l->conns[c]);
}

/* Sends events [from, to) of every connection, one write per connection. */
static void load_send(struct load *l, unsigned from, unsigned to)
{
    size_t cap = (to - from) * 128;
    char *buf = malloc(cap);
    require(buf != NULL, "out of memory");
    for (unsigned c = 0; c < LOAD_CONNS; c++) {
        size_t len = 0, user;
        for (unsigned k = from; k < to; k++)
            load_event(c, k, buf, cap, &len, &user);
        client_send_all(&l->conns[c], buf, len);
    }
    free(buf);
}

/* Reads the replies to events [from, to) of every connection. */
static void load_read(struct load *l, unsigned from, unsigned to)
{
    char line[256], shown[256];
    for (unsigned c = 0; c < LOAD_CONNS; c++) {
        for (unsigned k = from; k < to; k++) {
            size_t len = 0, user;
            long long delta = load_event(c, k, line, sizeof line, &len, &user);
            int n = client_read_line(&l->conns[c], line, sizeof line, HARNESS_REPLY_TIMEOUT_MS);
            require(n >= 0, "load: connection %u, event %u: got %s", c, k, result_name(n));
            if (strcmp(line, ACCEPTED_LINE) == 0) {
                l->tally.accepted++;
                l->sums[user] += delta;
            } else {
                require(strcmp(line, SERVER_BUSY_LINE) == 0,
                        "load: connection %u, event %u: got %s", c, k,
                        quoted(line, (size_t)n, shown, sizeof shown));
                l->tally.busy++;
            }
        }
    }
}

struct event_tally scenario_exact_balances(struct server *srv)
{
    static struct load l;
    load_start(&l, srv->port);
    load_send(&l, 0, EXACT_EVENTS);
    load_read(&l, 0, EXACT_EVENTS);
    server_wait_processed(srv, l.tally.accepted);
    for (size_t u = 0; u < LOAD_USERS; u++) {
        char query[128], reply[160];
        snprintf(query, sizeof query, BALANCE_QUERY("\"%s\""), load_users[u]);
        snprintf(reply, sizeof reply, BALANCE_REPLY("\"%s\"", "%lld"), load_users[u], l.sums[u]);
        client_expect_reply(&l.conns[u % LOAD_CONNS], query, reply);
    }
    load_close(&l);
    return l.tally;
}

struct event_tally scenario_exact_balances_roomy(struct server *srv, const char *name)
{
    server_start(srv, name, "--log-level", "debug", "--workers", "4", "--queue-cap", "100000",
                 NULL);
    struct event_tally t = scenario_exact_balances(srv);
    require(t.busy == 0, "%s: %lu events rejected with room for all", name, t.busy);
    return t;
}

struct event_tally scenario_exact_balances_overloaded(struct server *srv, const char *name)
{
    server_start(srv, name, "--log-level", "debug", "--queue-cap", "4", "--work-us", "2000", NULL);
    struct event_tally t = scenario_exact_balances(srv);
    require(t.accepted > 0 && t.busy > 0, "%s overloaded: %lu accepted, %lu server_busy", name,
            t.accepted, t.busy);
    return t;
}

struct event_tally scenario_metrics_under_load(struct server *srv)
{
    static struct load l;
    static struct client probe;
    load_start(&l, srv->port);
    client_connect(&probe, srv->port);
    struct metrics_reply last = client_metrics(&probe);
    require(last.received == 0 && last.processed == 0 && last.dropped == 0,
            "metrics of a fresh %s: received %llu, processed %llu, dropped %llu", srv->name,
            last.received, last.processed, last.dropped);
    unsigned long long sent = 0;
    for (unsigned r = 0; r < METRICS_ROUNDS; r++) {
        load_send(&l, r * METRICS_PER_ROUND, (r + 1) * METRICS_PER_ROUND);
        sent += LOAD_CONNS * METRICS_PER_ROUND;
        struct metrics_reply m = client_metrics(&probe);
        unsigned long long seen = l.tally.accepted + l.tally.busy;
        require(m.received >= m.processed + m.dropped && m.received <= sent && m.received >= seen &&
                    m.received >= last.received && m.processed >= last.processed &&
                    m.dropped >= last.dropped,
                "metrics under load, round %u: received %llu, processed %llu, dropped %llu; "
                "before: %llu, %llu, %llu; events sent %llu, answered %llu",
                r, m.received, m.processed, m.dropped, last.received, last.processed, last.dropped,
                sent, seen);
        last = m;
        load_read(&l, r * METRICS_PER_ROUND, (r + 1) * METRICS_PER_ROUND);
    }
    client_close(&probe);
    load_close(&l);
    server_expect_metrics_at_rest(srv, l.tally);
    return l.tally;
}

#define IDLE_ROUNDS 40

/* One event after each idle pause, long enough sometimes for every worker
 * to fall asleep: each is processed with no further traffic (the server's
 * debug log says so), or the wake-up was lost and the test times out. */
unsigned scenario_wakeups_after_idle(struct server *srv)
{
    static const long pauses_us[] = {0, 10, 100, 1000, 5000, 20000};
    static struct client c;
    client_connect(&c, srv->port);
    for (unsigned i = 0; i < IDLE_ROUNDS; i++) {
        long us = pauses_us[i % (sizeof pauses_us / sizeof *pauses_us)];
        struct timespec pause = {us / 1000000, us % 1000000 * 1000};
        nanosleep(&pause, NULL); /* the idle time is the scenario, not a wait */
        client_expect_reply(&c, "{\"user\":\"idle\",\"action\":\"buy\",\"amount\":1}",
                            ACCEPTED_LINE);
        server_wait_processed(srv, i + 1);
    }
    client_close(&c);
    return IDLE_ROUNDS;
}
