#include "lgrun.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 64

static char json_path[64];

static void show_output(const struct lg_outcome *out)
{
    FILE *f = fopen(out->out_path, "r");
    if (!f)
        return;
    char line[512];
    fprintf(stderr, "---- loadgen output (%s) ----\n", out->out_path);
    while (fgets(line, sizeof line, f))
        fputs(line, stderr);
    fprintf(stderr, "----\n");
    fclose(f);
}

/* Waits for the child within LGRUN_TIMEOUT_MS; its wait status, or -1. */
static int wait_bounded(pid_t pid)
{
    for (int waited = 0; waited < LGRUN_TIMEOUT_MS; waited += 10) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return -1;
        poll(NULL, 0, 10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

/* The whole file, parsed; NULL if it is empty or not JSON. */
static cJSON *read_json(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *text = NULL;
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (size > 0 && fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)size + 1)))
        text[fread(text, 1, (size_t)size, f)] = '\0';
    fclose(f);
    cJSON *json = text ? cJSON_Parse(text) : NULL;
    free(text);
    return json;
}

void lgrun(struct lg_outcome *out, const char *const *args)
{
    memset(out, 0, sizeof *out);
    const char *tmp = getenv("TMPDIR");
    tmp = tmp && strlen(tmp) < 32 ? tmp : "/tmp";
    snprintf(out->out_path, sizeof out->out_path, "%s/loadgen-XXXXXX.out", tmp);
    snprintf(json_path, sizeof json_path, "%s/loadgen-XXXXXX.json", tmp);
    int out_fd = mkostemps(out->out_path, 4, O_CLOEXEC);
    int json_fd = mkostemps(json_path, 5, O_CLOEXEC);
    ck_assert_msg(out_fd >= 0 && json_fd >= 0, "mkstemps: %s", strerror(errno));
    close(json_fd);

    char path[4096];
    snprintf(path, sizeof path, "%s/loadgen", BIN_DIR);
    char *argv[MAX_ARGS];
    int argc = 0;
    argv[argc++] = "loadgen";
    for (; *args; args++) {
        ck_assert_msg(argc < MAX_ARGS - 3, "too many loadgen arguments");
        argv[argc++] = (char *)*args;
    }
    argv[argc++] = "--json";
    argv[argc++] = json_path;
    argv[argc] = NULL;

    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the test */
        if (getppid() != parent || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
            _exit(127);
        execv(path, argv);
        dprintf(2, "cannot run %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    close(out_fd);
    int status = wait_bounded(pid);
    if (status == -1 || !WIFEXITED(status)) {
        show_output(out);
        ck_abort_msg("loadgen %s", status == -1 ? "did not finish in time" : "was killed");
    }
    out->exit_code = WEXITSTATUS(status);

    out->json = read_json(json_path);
    unlink(json_path);
}

void lgrun_expect_exit(const struct lg_outcome *out, int code)
{
    if (out->exit_code == code)
        return;
    show_output(out);
    ck_abort_msg("loadgen exited %d, expected %d", out->exit_code, code);
}

static const cJSON *find(const struct lg_outcome *out, const char *path)
{
    if (!out->json) {
        show_output(out);
        ck_abort_msg("loadgen wrote no JSON report");
    }
    const cJSON *node = out->json;
    char key[64];
    for (const char *p = path; node && *p;) {
        size_t n = strcspn(p, ".");
        ck_assert_uint_lt(n, sizeof key);
        memcpy(key, p, n);
        key[n] = '\0';
        node = cJSON_GetObjectItemCaseSensitive(node, key);
        p += n + (p[n] == '.');
    }
    if (!node) {
        show_output(out);
        ck_abort_msg("no %s in loadgen's JSON report", path);
    }
    return node;
}

double lgrun_num(const struct lg_outcome *out, const char *path)
{
    const cJSON *node = find(out, path);
    ck_assert_msg(cJSON_IsNumber(node), "%s is not a number", path);
    return node->valuedouble;
}

bool lgrun_bool(const struct lg_outcome *out, const char *path)
{
    const cJSON *node = find(out, path);
    ck_assert_msg(cJSON_IsBool(node), "%s is not a boolean", path);
    return cJSON_IsTrue(node);
}

size_t lgrun_output(const struct lg_outcome *out, char *buf, size_t len)
{
    FILE *f = fopen(out->out_path, "r");
    ck_assert_msg(f != NULL, "loadgen's output is gone: %s", out->out_path);
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
    return n;
}

void lgrun_free(struct lg_outcome *out)
{
    cJSON_Delete(out->json);
    out->json = NULL;
    unlink(out->out_path);
}

const char *lgrun_target(char *buf, int port)
{
    snprintf(buf, 32, "127.0.0.1:%d", port);
    return buf;
}

int lgrun_closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ck_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, len) == 0);
    ck_assert(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    close(fd);
    return ntohs(a.sin_port);
}
