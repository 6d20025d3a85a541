/* What a test can learn about a running server from outside: its log, its
 * CPU time, its memory. */
#include "harness_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

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
