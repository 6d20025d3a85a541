/* Stage 09: step09_atomics/accounts.c, liburcu's RCU lock-free hash table
 * (cds_lfht) of C11 atomic balances. Every thread using it is registered
 * with RCU (the memb flavour, as stage 09's threads are). */
#include <stdlib.h>

#include <urcu/urcu-memb.h>

#include "accounts.h"
#include "design.h"
#include "work.h"

static void *rcu_create(uint32_t users)
{
    (void)users;
    struct accounts *a = malloc(sizeof *a);
    if (a && !accounts_init(a)) {
        free(a);
        return NULL;
    }
    return a;
}

/* accounts_destroy hands every entry to liburcu's call_rcu worker thread to
 * free. That thread is started once, by the first map's destroy; later maps
 * reach it through liburcu's queue, which ThreadSanitizer cannot see
 * (liburcu is not instrumented), so it would call the worker's free of an
 * entry a race with this thread's malloc of it. Under ThreadSanitizer, a
 * callback queued first (the worker runs a thread's callbacks in order)
 * tells it what the queue guarantees; in other builds there is nothing. */
#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifdef UNDER_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);

static void entries_handed_over(struct rcu_head *head)
{
    __tsan_acquire(head);
}
#endif

static void rcu_destroy(void *map)
{
#ifdef UNDER_TSAN
    struct rcu_head handover; /* accounts_destroy waits for every callback */
    __tsan_release(&handover);
    urcu_memb_call_rcu(&handover, entries_handed_over);
#endif
    accounts_destroy(map);
    free(map);
}

static void rcu_enter_thread(void)
{
    urcu_memb_register_thread();
}

static void rcu_leave_thread(void)
{
    urcu_memb_unregister_thread();
}

/* There is no lock to hold: the work is done before accounts_apply, and no
 * other thread waits for it. The equivalent of work done on the balance read
 * (work between the read and the compare-and-swap, redone on every retry)
 * would need a hook inside accounts_apply's loop, which accounts.h does not
 * offer: the account and its atomic are private to accounts.c. */
static bool rcu_apply(void *map, const struct bench_user *user, int64_t delta, unsigned hold_us)
{
    int64_t balance;
    simulate_work(hold_us);
    return accounts_apply(map, user->name, user->len, delta, &balance) == APPLY_DONE;
}

static int64_t rcu_get(void *map, const struct bench_user *user)
{
    return accounts_get(map, user->name, user->len);
}

const struct map_design design_rcu = {
    .name = "rcu",
    .summary = "stage 09: step09_atomics/accounts.c, an RCU lock-free hash table (liburcu "
               "cds_lfht) of atomic balances",
    .hold = "no lock to hold: the writer spins before accounts_apply, whose compare-and-swap "
            "loop takes no work between its read and its swap (accounts.h has no hook for it)",
    .create = rcu_create,
    .destroy = rcu_destroy,
    .enter_thread = rcu_enter_thread,
    .leave_thread = rcu_leave_thread,
    .apply = rcu_apply,
    .get = rcu_get,
};
