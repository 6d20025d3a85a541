/* Background threads: they run as SCHED_BATCH under their name, and starting
 * one leaves the caller's own scheduling alone. */
#include <sched.h>
#include <string.h>

#include "thread.h"
#include "unit.h"

struct seen {
    pthread_barrier_t started; /* passed once start_background_thread returned */
    int policy;
    char name[16];
};

static void *report(void *arg)
{
    struct seen *seen = arg;
    pthread_barrier_wait(&seen->started);
    seen->policy = sched_getscheduler(0);
    pthread_getname_np(pthread_self(), seen->name, sizeof seen->name);
    return NULL;
}

START_TEST(test_batch_policy_and_name)
{
    int own_policy = sched_getscheduler(0);
    struct seen seen = {.policy = -1};
    pthread_barrier_init(&seen.started, NULL, 2);
    pthread_t thread;
    ck_assert_int_eq(start_background_thread(&thread, "worker", report, &seen), 0);
    pthread_barrier_wait(&seen.started);
    ck_assert_int_eq(pthread_join(thread, NULL), 0);
    pthread_barrier_destroy(&seen.started);
    ck_assert_int_eq(seen.policy, SCHED_BATCH);
    ck_assert_str_eq(seen.name, "worker");
    ck_assert_int_eq(sched_getscheduler(0), own_policy); /* the caller's is unchanged */
}
END_TEST

static Suite *thread_suite(void)
{
    Suite *s = suite_create("thread");
    TCase *tc = tcase_create("thread");
    tcase_add_test(tc, test_batch_policy_and_name);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(thread_suite)
