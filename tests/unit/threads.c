#include "threads.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#define MAX_THREADS 64

static pthread_mutex_t complaint_lock = PTHREAD_MUTEX_INITIALIZER;
static char complaint[256];
static pthread_barrier_t start;
static atomic_bool writers_done;

void complain(const char *fmt, ...)
{
    pthread_mutex_lock(&complaint_lock);
    if (complaint[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(complaint, sizeof complaint, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&complaint_lock);
}

void threads_run(void *(*writer)(void *), unsigned writers, void *(*reader)(void *),
                 unsigned readers)
{
    pthread_t threads[MAX_THREADS];
    const unsigned n = writers + readers;
    ck_assert_uint_le(n, MAX_THREADS);
    complaint[0] = '\0';
    atomic_store(&writers_done, false);
    ck_assert_int_eq(pthread_barrier_init(&start, NULL, n), 0);
    for (uintptr_t i = 0; i < n; i++)
        ck_assert_int_eq(
            pthread_create(&threads[i], NULL, i < writers ? writer : reader, (void *)i), 0);
    for (unsigned i = 0; i < writers; i++)
        pthread_join(threads[i], NULL);
    atomic_store(&writers_done, true);
    for (unsigned i = writers; i < n; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start);
    threads_check_complaints();
}

void threads_check_complaints(void)
{
    pthread_mutex_lock(&complaint_lock);
    char first[sizeof complaint];
    snprintf(first, sizeof first, "%s", complaint);
    pthread_mutex_unlock(&complaint_lock);
    ck_assert_msg(first[0] == '\0', "%s", first);
}

TCase *threads_tcase(const char *name, void (*setup)(void), void (*teardown)(void))
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, THREADS_TIMEOUT_S);
    return tc;
}

void threads_wait_start(void)
{
    pthread_barrier_wait(&start);
}

bool threads_writers_done(void)
{
    return atomic_load(&writers_done);
}
