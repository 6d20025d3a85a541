/* Preloaded into a server under test (LD_PRELOAD): one thread of the server
 * holds a lock until the test releases it, so that the test can see what
 * waits for that lock and what does not. Which lock is held, once:
 *
 *   HOLD_AT_LOG_LINE=text  a thread about to write a line holding text to
 *                          stderr (the log) waits first, with whatever locks
 *                          it holds (stage 07's workers log each update
 *                          under the balances' mutex);
 *   HOLD_WRITE_LOCK=name   the first read/write lock a thread named name
 *                          takes for writing (stage 08: a worker's stripe).
 *
 * The holder writes "hold_lock: holding ..." to stderr, then waits until a
 * byte or EOF comes on the descriptor HOLD_RELEASE_FD (the test keeps the
 * other end), or HOLD_MAX_MS pass. */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#define HOLD_MAX_MS 30000 /* a bound, should the test never release */

static int (*real_fputs)(const char *, FILE *);
static int (*real_rwlock_wrlock)(pthread_rwlock_t *);
static const char *log_text, *writer_name;
static int release_fd = -1;
static atomic_bool held;

/* Before the server's threads exist: nothing here races. */
__attribute__((constructor)) static void read_environment(void)
{
    *(void **)&real_fputs = dlsym(RTLD_NEXT, "fputs");
    *(void **)&real_rwlock_wrlock = dlsym(RTLD_NEXT, "pthread_rwlock_wrlock");
    log_text = getenv("HOLD_AT_LOG_LINE");
    writer_name = getenv("HOLD_WRITE_LOCK");
    const char *fd = getenv("HOLD_RELEASE_FD");
    release_fd = fd ? atoi(fd) : -1;
}

/* True for the first caller only: one hold per process. */
static bool first_hold(void)
{
    return !atomic_exchange(&held, true);
}

static void hold(const char *what)
{
    dprintf(2, "hold_lock: holding %s\n", what);
    struct pollfd p = {.fd = release_fd, .events = POLLIN};
    int r;
    while ((r = poll(&p, 1, HOLD_MAX_MS)) < 0 && errno == EINTR)
        continue;
    dprintf(2, "hold_lock: released%s\n", r > 0 ? "" : " (no release in time)");
}

static bool thread_is_named(const char *name)
{
    char mine[16] = "";
    prctl(PR_GET_NAME, mine);
    return strcmp(mine, name) == 0;
}

int fputs(const char *s, FILE *stream)
{
    if (log_text && stream == stderr && strstr(s, log_text) && first_hold())
        hold("at a log line");
    return real_fputs(s, stream);
}

int pthread_rwlock_wrlock(pthread_rwlock_t *lock)
{
    int err = real_rwlock_wrlock(lock);
    if (err == 0 && writer_name && thread_is_named(writer_name) && first_hold())
        hold("a write lock");
    return err;
}
