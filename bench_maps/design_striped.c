/* Stage 08: step08_rwlock/striped.c, 64 stripes of step08_rwlock/balances.c,
 * each behind a pthread_rwlock. */
#include <stdlib.h>

#include "design.h"
#include "striped.h"
#include "work.h"

static void *striped_create(uint32_t users)
{
    (void)users;
    struct striped_balances *sb = malloc(sizeof *sb);
    if (sb && !striped_init(sb)) {
        /* striped_init gives no way to free the stripes it made before one
         * failed: they are left to the process, which reports it and ends. */
        free(sb);
        return NULL;
    }
    return sb;
}

static void striped_free(void *map)
{
    striped_destroy(map);
    free(map);
}

/* Without work this is striped_apply itself. With work, the benchmark takes
 * the user's stripe's write lock as striped_apply does (struct stripe is
 * public in striped.h) and spins holding it: the readers and writers of that
 * stripe wait, those of the 63 others do not. */
static bool striped_apply_held(void *map, const struct bench_user *user, int64_t delta,
                               unsigned hold_us)
{
    struct striped_balances *sb = map;
    int64_t balance;
    if (hold_us == 0)
        return striped_apply(sb, user->name, user->len, delta, &balance) == APPLY_DONE;
    struct stripe *st = &sb->stripes[striped_index(user->name, user->len)];
    pthread_rwlock_wrlock(&st->lock);
    simulate_work(hold_us);
    bool applied =
        balances_apply(st->balances, user->name, user->len, delta, &balance) == APPLY_DONE;
    pthread_rwlock_unlock(&st->lock);
    return applied;
}

static int64_t striped_get_user(void *map, const struct bench_user *user)
{
    return striped_get(map, user->name, user->len);
}

const struct map_design design_striped = {
    .name = "striped",
    .summary = "stage 08: step08_rwlock/striped.c, 64 stripes each behind a pthread_rwlock",
    .hold = "the writer spins holding its user's stripe's write lock",
    .create = striped_create,
    .destroy = striped_free,
    .apply = striped_apply_held,
    .get = striped_get_user,
};
