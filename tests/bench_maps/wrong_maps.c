#include "wrong_maps.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

/* A balance per user, by the user's number. */
struct array_map {
    uint32_t users;
    _Atomic int64_t balances[];
};

static void *array_create(uint32_t users)
{
    struct array_map *m = calloc(1, sizeof *m + users * sizeof m->balances[0]);
    if (m)
        m->users = users;
    return m;
}

static void array_destroy(void *map)
{
    free(map);
}

static int64_t array_get(void *map, const struct bench_user *user)
{
    struct array_map *m = map;
    return atomic_load_explicit(&m->balances[user->index], memory_order_relaxed);
}

static bool unlocked_apply(void *map, const struct bench_user *user, int64_t delta,
                           unsigned hold_us)
{
    (void)hold_us;
    struct array_map *m = map;
    _Atomic int64_t *balance = &m->balances[user->index];
    int64_t read = atomic_load_explicit(balance, memory_order_relaxed);
    sched_yield(); /* another thread reads the same balance meanwhile */
    atomic_store_explicit(balance, read + delta, memory_order_relaxed);
    return true;
}

static bool misrouted_apply(void *map, const struct bench_user *user, int64_t delta,
                            unsigned hold_us)
{
    (void)hold_us;
    struct array_map *m = map;
    atomic_fetch_add_explicit(&m->balances[(user->index + 1) % m->users], delta,
                              memory_order_relaxed);
    return true;
}

static bool refusing_apply(void *map, const struct bench_user *user, int64_t delta,
                           unsigned hold_us)
{
    (void)map, (void)user, (void)delta, (void)hold_us;
    return false;
}

const struct map_design design_unlocked = {
    .name = "unlocked",
    .summary = "a read, a yield and a write, with no lock",
    .hold = "nothing",
    .create = array_create,
    .destroy = array_destroy,
    .apply = unlocked_apply,
    .get = array_get,
};

const struct map_design design_misrouted = {
    .name = "misrouted",
    .summary = "every delta to the next user",
    .hold = "nothing",
    .create = array_create,
    .destroy = array_destroy,
    .apply = misrouted_apply,
    .get = array_get,
};

const struct map_design design_refusing = {
    .name = "refusing",
    .summary = "refuses every delta",
    .hold = "nothing",
    .create = array_create,
    .destroy = array_destroy,
    .apply = refusing_apply,
    .get = array_get,
};
