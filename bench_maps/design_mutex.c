/* Stages 06-07: step07_mutex/balances.c behind one pthread_mutex, locked as
 * step07_mutex/server.c locks it: around each balances_apply (a worker) and
 * each balances_get (the event loop). */
#include <pthread.h>
#include <stdlib.h>

#include "balances.h"
#include "design.h"
#include "work.h"

struct mutex_map {
    pthread_mutex_t lock; /* guards balances */
    struct balances *balances;
};

static void *mutex_create(uint32_t users)
{
    (void)users; /* uthash grows as users arrive */
    struct mutex_map *m = malloc(sizeof *m);
    if (!m)
        return NULL;
    m->balances = balances_new();
    if (!m->balances) {
        free(m);
        return NULL;
    }
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

static void mutex_destroy(void *map)
{
    struct mutex_map *m = map;
    pthread_mutex_destroy(&m->lock);
    balances_free(m->balances);
    free(m);
}

/* The work is done holding the mutex: every other reader and writer waits. */
static bool mutex_apply(void *map, const struct bench_user *user, int64_t delta, unsigned hold_us)
{
    struct mutex_map *m = map;
    int64_t balance;
    pthread_mutex_lock(&m->lock);
    simulate_work(hold_us);
    bool applied =
        balances_apply(m->balances, user->name, user->len, delta, &balance) == APPLY_DONE;
    pthread_mutex_unlock(&m->lock);
    return applied;
}

static int64_t mutex_get(void *map, const struct bench_user *user)
{
    struct mutex_map *m = map;
    pthread_mutex_lock(&m->lock);
    int64_t balance = balances_get(m->balances, user->name, user->len);
    pthread_mutex_unlock(&m->lock);
    return balance;
}

const struct map_design design_mutex = {
    .name = "mutex",
    .summary = "stages 06-07: step07_mutex/balances.c (uthash) behind one pthread_mutex",
    .hold = "the writer spins holding the one mutex",
    .create = mutex_create,
    .destroy = mutex_destroy,
    .apply = mutex_apply,
    .get = mutex_get,
};
