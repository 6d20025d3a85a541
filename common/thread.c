#include "thread.h"

#include <sched.h>
#include <string.h>

#include "log.h"

int start_background_thread(pthread_t *thread, const char *name, void *(*run)(void *), void *arg)
{
    int err = pthread_create(thread, NULL, run, arg);
    if (err)
        return err;
    /* Set by the creator, before it goes on: pthread attributes cannot carry
     * SCHED_BATCH. A refusal (a sandbox) leaves the default policy, which
     * works too; the name is only a label. */
    struct sched_param param = {.sched_priority = 0}; /* the only one SCHED_BATCH has */
    err = pthread_setschedparam(*thread, SCHED_BATCH, &param);
    if (err)
        log_warn("%s thread keeps the default scheduling: %s", name, strerror(err));
    pthread_setname_np(*thread, name);
    return 0;
}
