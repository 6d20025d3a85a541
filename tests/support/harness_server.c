/* Server processes: started with a bounded wait for their listening line,
 * stopped with SIGTERM (then SIGKILL), reaped, their logs checked for
 * sanitizer reports; and killed if a test leaves them running. */
#include "harness_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

/* In the child: never outlive the test process, then become the server,
 * with env (NAME=VALUE strings) added to its environment. */
static void exec_server(const char *path, char **argv, char *const *env, pid_t parent, int out_fd,
                        int log_fd)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    for (; env && *env; env++) /* the test process has one thread: safe after fork */
        if (putenv(*env) != 0)
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

void server_start_env(struct server *srv, const char *name, const char *const *env,
                      const char *const *args)
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
        exec_server(path, argv, (char *const *)env, parent, out[1], log_fd);
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

void server_startv(struct server *srv, const char *name, const char *const *args)
{
    server_start_env(srv, name, NULL, args);
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
