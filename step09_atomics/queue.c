#include "queue.h"

#include <linux/futex.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"

/* How long a worker keeps looking at an empty ring before it sleeps. Long
 * enough to catch the next read's events under load without a sleep and a
 * wake-up; short, because a spinning worker holds a core that the event loop
 * and the clients may need (measured on 2 cores at 110 k events/s: with
 * 20 us of spinning the workers hardly ever slept, and the p99 went from
 * 0.16 ms to 0.8 ms). Counted in time, not in pause instructions, whose cost
 * differs tenfold between CPUs. */
#define SPIN_NS 3000

/* A long read's events are published this many at a time, not all at its
 * end: the workers start on them sooner, and a read of more events than the
 * ring holds is not refused while the workers wait. */
#define PUBLISH_EVERY 64

static void futex_wait(_Atomic uint32_t *word, uint32_t expected)
{
    /* Returns at once unless *word still holds expected: a wake-up between
     * reading it and sleeping is not lost. */
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *word, int waiters)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, waiters, NULL, NULL, 0);
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

bool queue_init(struct queue *q, size_t cap)
{
    *q = (struct queue){.cap = cap, .slots = malloc(cap * sizeof(struct slot))};
    if (!q->slots)
        return false;
    for (size_t i = 0; i < cap; i++)
        atomic_init(&q->slots[i].turn, i);
    return true;
}

void queue_destroy(struct queue *q)
{
    free(q->slots);
}

/* Positions are counted, never wrapped: 64 bits last for ever. */
_Static_assert(sizeof(size_t) >= 8, "positions need 64 bits");

/* The slot for the next position if it is free (the event cap positions
 * back has been taken), else NULL. */
static struct slot *free_slot(struct queue *q)
{
    struct slot *slot = &q->slots[q->next % q->cap];
    return atomic_load_explicit(&slot->turn, memory_order_acquire) == q->next ? slot : NULL;
}

bool queue_try_push(struct queue *q, const struct queued_event *e)
{
    struct slot *slot = free_slot(q);
    if (!slot) {
        /* Full. With a small --queue-cap it can fill within one read, with
         * events the workers cannot see yet: publish them, or no room is
         * ever made. */
        queue_publish(q);
        return false;
    }
    slot->event = *e;
    q->next++;
    if (q->next - atomic_load_explicit(&q->tail, memory_order_relaxed) >= PUBLISH_EVERY)
        queue_publish(q);
    return true;
}

/* Wakes one sleeping worker, if there is one. The fence orders what was
 * published before the look at sleepers; a worker announces itself before it
 * looks at the ring (queue_take), so one of the two sees the other. */
static void wake_a_sleeper(struct queue *q)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&q->sleepers, memory_order_relaxed) == 0)
        return;
    atomic_fetch_add_explicit(&q->wakeups, 1, memory_order_seq_cst);
    futex_wake(&q->wakeups, 1);
}

void queue_publish(struct queue *q)
{
    if (atomic_load_explicit(&q->tail, memory_order_relaxed) == q->next)
        return; /* nothing new */
    atomic_store_explicit(&q->tail, q->next, memory_order_release);
    wake_a_sleeper(q);
}

/* Claims up to max published events and copies them out; 0 if none. */
static size_t try_take(struct queue *q, struct queued_event *out, size_t max)
{
    /* Acquire on head too: a head moved by another worker comes with the tail
     * that worker saw, so the tail read next is never behind it. */
    size_t head = atomic_load_explicit(&q->head, memory_order_acquire), n;
    do {
        size_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
        n = tail - head < max ? tail - head : max;
        if (n == 0)
            return 0;
    } while (!atomic_compare_exchange_weak_explicit(&q->head, &head, head + n, memory_order_acq_rel,
                                                    memory_order_acquire));
    for (size_t i = 0; i < n; i++) {
        struct slot *slot = &q->slots[(head + i) % q->cap];
        out[i] = slot->event;
        /* Free for the position cap further on: the producer may reuse it. */
        atomic_store_explicit(&slot->turn, head + i + q->cap, memory_order_release);
    }
    return n;
}

/* A worker took n events: if some are left, another sleeping worker may
 * take them meanwhile. */
static size_t share_the_rest(struct queue *q, size_t n)
{
    if (queue_len(q) > 0)
        wake_a_sleeper(q);
    return n;
}

size_t queue_take(struct queue *q, struct queued_event *out, size_t max)
{
    for (;;) {
        for (uint64_t start = monotonic_ns();;) {
            size_t n = try_take(q, out, max);
            if (n > 0)
                return share_the_rest(q, n);
            if (monotonic_ns() - start >= SPIN_NS)
                break;
            cpu_relax();
        }
        /* Announce the sleep, then look once more: an event published
         * meanwhile is either seen here or its producer sees a sleeper. */
        uint32_t seen = atomic_load_explicit(&q->wakeups, memory_order_seq_cst);
        atomic_fetch_add_explicit(&q->sleepers, 1, memory_order_seq_cst);
        atomic_thread_fence(memory_order_seq_cst);
        size_t n = try_take(q, out, max);
        if (n == 0)
            futex_wait(&q->wakeups, seen);
        atomic_fetch_sub_explicit(&q->sleepers, 1, memory_order_relaxed);
        if (n > 0)
            return share_the_rest(q, n);
    }
}

size_t queue_len(struct queue *q)
{
    size_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
    return tail > head ? tail - head : 0; /* read apart: never negative, even so */
}
