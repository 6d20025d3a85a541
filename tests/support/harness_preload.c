/* Starting a server with a library of the harness preloaded into it, and
 * holding one of its locks with hold_lock.c. */
#include "harness_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ENV 16

void server_start_preloaded(struct server *srv, const char *name, const char *library,
                            const char *const *env, const char *const *args)
{
    char preload[512], asan[512];
    const char *asan_was = getenv("ASAN_OPTIONS");
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", library);
    /* The preloaded library comes before the AddressSanitizer runtime. */
    snprintf(asan, sizeof asan, "ASAN_OPTIONS=%s%sverify_asan_link_order=0",
             asan_was ? asan_was : "", asan_was ? ":" : "");
    const char *all[MAX_ENV] = {preload, asan};
    size_t n = 2;
    for (; env && *env; env++) {
        require(n < MAX_ENV - 1, "too many environment variables");
        all[n++] = *env;
    }
    all[n] = NULL;
    server_start_env(srv, name, all, args);
}

void server_start_holding(struct server *srv, struct lock_hold *hold, const char *name,
                          const char *trigger, const char *const *args)
{
    int fds[2];
    require(pipe2(fds, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
    /* The server inherits the read end: the holder waits on it. */
    require(fcntl(fds[0], F_SETFD, 0) == 0, "fcntl: %s", strerror(errno));
    char release[32];
    snprintf(release, sizeof release, "HOLD_RELEASE_FD=%d", fds[0]);
    const char *const env[] = {trigger, release, NULL};
    server_start_preloaded(srv, name, HOLD_LOCK_LIB, env, args);
    close(fds[0]);
    hold->release_fd = fds[1];
}

void lock_hold_wait(struct server *srv)
{
    server_wait_log(srv, "hold_lock: holding", HARNESS_REPLY_TIMEOUT_MS);
}

void lock_hold_release(struct lock_hold *hold)
{
    require(write(hold->release_fd, "", 1) == 1, "release: %s", strerror(errno));
    close(hold->release_fd);
    hold->release_fd = -1;
}
