/* The threaded stages' shared test: their background threads run as batch
 * work. */
/* Tests themselves: the harness's calls here name these lines in failures. */
#include "harness.h"
#include "harness_internal.h"

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
