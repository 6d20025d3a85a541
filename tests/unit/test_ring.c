/* The lock-free ring that hands events to the workers from stage 09 on
 * (step09_atomics/queue.c; stage 10's copy adds queue_close, tested when
 * RING_CLOSES is defined): empty, full, wrap-around, batches published and
 * taken, close, no lost wake-up, and one producer with several consumers
 * moving millions of items, each taken exactly once. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "queue.h"
#include "queued_items.h"
#include "threads.h"
#include "unit.h"

#define POISON (-1) /* the delta of an item that tells its taker to stop */

/* Pushes e, retrying (and publishing, so that room can be made) while the
 * ring is full. */
static void push_when_room(struct queue *q, const struct queued_event *e)
{
    while (!queue_try_push(q, e)) {
        queue_publish(q);
        sched_yield();
    }
}

/* Takes up to max items (the ring must not be empty: the call would wait)
 * and expects items first, first + 1, ...; returns how many it took. */
static size_t expect_take(struct queue *q, size_t max, size_t first)
{
    struct queued_event out[64];
    ck_assert_uint_le(max, ARRAY_LEN(out));
    size_t n = queue_take(q, out, max);
    ck_assert_uint_ge(n, 1);
    ck_assert_uint_le(n, max);
    for (size_t i = 0; i < n; i++) {
        const char *why = mismatch(&out[i], first + i);
        ck_assert_msg(why == NULL, "took delta %lld, not item %zu: %s", (long long)out[i].delta,
                      first + i, why);
    }
    return n;
}

/*** one thread ***/

START_TEST(test_pushed_items_wait_for_publish)
{
    struct queue q;
    ck_assert(queue_init(&q, 8));
    ck_assert_uint_eq(queue_len(&q), 0);
    push(&q, 0);
    push(&q, 1);
    ck_assert_uint_eq(queue_len(&q), 0); /* not published yet: no worker can see them */
    queue_publish(&q);
    ck_assert_uint_eq(queue_len(&q), 2);
    queue_publish(&q); /* nothing new: changes nothing */
    ck_assert_uint_eq(queue_len(&q), 2);
    ck_assert_uint_eq(expect_take(&q, 8, 0), 2);
    ck_assert_uint_eq(queue_len(&q), 0);
    queue_destroy(&q);
}
END_TEST

/* Published items come out in batches of at most max, oldest first. */
START_TEST(test_take_in_batches)
{
    struct queue q;
    ck_assert(queue_init(&q, 16));
    for (size_t i = 0; i < 10; i++)
        push(&q, i);
    queue_publish(&q);
    ck_assert_uint_eq(expect_take(&q, 4, 0), 4);
    ck_assert_uint_eq(expect_take(&q, 4, 4), 4);
    ck_assert_uint_eq(queue_len(&q), 2);
    ck_assert_uint_eq(expect_take(&q, 4, 8), 2);
    ck_assert_uint_eq(queue_len(&q), 0);
    queue_destroy(&q);
}
END_TEST

/* Full means cap items not yet taken, published or not; a push then fails
 * at once, and taking one makes room for one. */
START_TEST(test_full_ring_refuses_at_once)
{
    struct queue q;
    ck_assert(queue_init(&q, 3));
    for (size_t i = 0; i < 3; i++)
        push(&q, i);
    struct queued_event extra = item(99);
    ck_assert(!queue_try_push(&q, &extra));
    queue_publish(&q);
    ck_assert(!queue_try_push(&q, &extra));
    ck_assert_uint_eq(queue_len(&q), 3);
    ck_assert_uint_eq(expect_take(&q, 1, 0), 1);
    push(&q, 3);
    ck_assert(!queue_try_push(&q, &extra));
    queue_publish(&q);
    ck_assert_uint_eq(expect_take(&q, 8, 1), 3);
    queue_destroy(&q);
}
END_TEST

/* Pushing three and taking two at a time walks round a ring of five many
 * times, at every offset, and fills it: a push into the full ring is
 * refused. */
START_TEST(test_wrap_around_keeps_order)
{
    enum { CAP = 5 };
    struct queue q;
    ck_assert(queue_init(&q, CAP));
    size_t pushed = 0, taken = 0, refused = 0;
    for (int round = 0; round < 40; round++) {
        for (int i = 0; i < 3; i++) {
            if (pushed - taken < CAP) {
                push(&q, pushed++);
            } else {
                struct queued_event extra = item(99);
                ck_assert(!queue_try_push(&q, &extra));
                refused++;
            }
        }
        queue_publish(&q);
        ck_assert_uint_eq(queue_len(&q), pushed - taken);
        taken += expect_take(&q, 2, taken);
    }
    ck_assert_uint_gt(taken, 10 * CAP);
    ck_assert_uint_gt(refused, 0);
    while (taken < pushed)
        taken += expect_take(&q, 2, taken);
    ck_assert_uint_eq(queue_len(&q), 0);
    queue_destroy(&q);
}
END_TEST

/* A ring filled by pushes alone (a --queue-cap smaller than one read's
 * events) publishes them when it refuses the next, so that the workers can
 * make room. */
START_TEST(test_full_ring_publishes_before_refusing)
{
    struct queue q;
    ck_assert(queue_init(&q, 4));
    for (size_t i = 0; i < 4; i++)
        push(&q, i);
    ck_assert_uint_eq(queue_len(&q), 0);
    struct queued_event extra = item(99);
    ck_assert(!queue_try_push(&q, &extra));
    ck_assert_uint_eq(queue_len(&q), 4);
    ck_assert_uint_eq(expect_take(&q, 8, 0), 4);
    push(&q, 4);
    queue_destroy(&q);
}
END_TEST

/* A long batch of pushes is published as it goes, well before the ring is
 * full: a long read's first events reach the workers before its end. */
START_TEST(test_a_long_batch_is_published_as_it_goes)
{
    struct queue q;
    ck_assert(queue_init(&q, 1024));
    for (size_t i = 0; i < 200; i++)
        push(&q, i);
    ck_assert_uint_gt(queue_len(&q), 0);
    ck_assert_uint_lt(queue_len(&q), 200); /* the last few wait for the publish */
    queue_publish(&q);
    ck_assert_uint_eq(queue_len(&q), 200);
    ck_assert_uint_eq(expect_take(&q, 8, 0), 8);
    queue_destroy(&q);
}
END_TEST

START_TEST(test_capacity_one)
{
    struct queue q;
    ck_assert(queue_init(&q, 1));
    for (size_t i = 0; i < 5; i++) {
        push(&q, i);
        struct queued_event extra = item(99);
        ck_assert(!queue_try_push(&q, &extra));
        queue_publish(&q);
        ck_assert_uint_eq(expect_take(&q, 4, i), 1);
    }
    queue_destroy(&q);
}
END_TEST

#ifdef RING_CLOSES
/* Closing publishes what was pushed; it is taken, then take returns 0 at
 * once, as often as it is called. */
START_TEST(test_close_lets_the_rest_be_taken)
{
    struct queue q;
    ck_assert(queue_init(&q, 8));
    for (size_t i = 0; i < 5; i++)
        push(&q, i);
    queue_close(&q);
    ck_assert_uint_eq(expect_take(&q, 3, 0), 3);
    ck_assert_uint_eq(expect_take(&q, 3, 3), 2);
    struct queued_event out[4];
    ck_assert_uint_eq(queue_take(&q, out, 4), 0);
    ck_assert_uint_eq(queue_take(&q, out, 4), 0);
    queue_destroy(&q);
}
END_TEST
#endif

/*** threads ***/

/* A consumer thread: takes items until it takes the poison item (or, where
 * the ring closes, until take returns 0), checking each one for tearing, and
 * that its own items come in increasing order. Marks each item taken. */
struct consumer {
    pthread_t thread;
    struct queue *queue;
    size_t max; /* batch size */
    _Atomic unsigned char *taken_times; /* per item; shared by all consumers */
    size_t taken; /* items taken, the poison not counted */
    _Atomic bool done;
};

static void *consume(void *arg)
{
    struct consumer *c = arg;
    struct queued_event out[64];
    size_t last = 0;
    for (;;) {
        size_t n = queue_take(c->queue, out, c->max);
        if (n == 0)
            break; /* closed and empty */
        bool poisoned = false;
        for (size_t i = 0; i < n; i++) {
            if (out[i].delta == POISON) {
                poisoned = true;
                continue;
            }
            size_t seq = (size_t)out[i].delta;
            const char *why = mismatch(&out[i], seq);
            if (why)
                complain("item %zu is torn: %s", seq, why);
            else if (c->taken > 0 && seq <= last)
                complain("item %zu taken after item %zu by one consumer", seq, last);
            else if (atomic_fetch_add(&c->taken_times[seq], 1) != 0)
                complain("item %zu taken twice", seq);
            last = seq;
            c->taken++;
        }
        if (poisoned)
            break;
    }
    atomic_store(&c->done, true);
    return NULL;
}

static void start_consumers(struct consumer *c, unsigned count, struct queue *q, size_t max,
                            _Atomic unsigned char *taken_times)
{
    for (unsigned i = 0; i < count; i++) {
        c[i] = (struct consumer){.queue = q, .max = max, .taken_times = taken_times};
        ck_assert_int_eq(pthread_create(&c[i].thread, NULL, consume, &c[i]), 0);
    }
}

static unsigned count_done(struct consumer *c, unsigned count)
{
    unsigned done = 0;
    for (unsigned i = 0; i < count; i++)
        done += atomic_load(&c[i].done);
    return done;
}

/* Stops the consumers: one poison item at a time, each taken by exactly one
 * of them, which then stops. Returns the items they took, after the joins. */
static size_t stop_consumers(struct consumer *c, unsigned count, struct queue *q)
{
    struct queued_event poison = {.delta = POISON};
    for (unsigned stopped = 0; stopped < count; stopped++) {
        push_when_room(q, &poison);
        queue_publish(q);
        while (count_done(c, count) == stopped) {
            threads_check_complaints(); /* a consumer that complained may never stop */
            sched_yield(); /* Check's timeout bounds this */
        }
    }
    size_t taken = 0;
    for (unsigned i = 0; i < count; i++) {
        ck_assert_int_eq(pthread_join(c[i].thread, NULL), 0);
        taken += c[i].taken;
    }
    threads_check_complaints();
    return taken;
}

/* Waits about ns nanoseconds without leaving the CPU: the idle time between
 * two events, as short as the consumer's own spinning. */
static void busy_wait_ns(long ns)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do
        clock_gettime(CLOCK_MONOTONIC, &now);
    while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < ns);
}

#define WAKEUP_ROUNDS 20000

/* One item at a time after idle pauses of varying length (busy, so that the
 * pause can end while the consumer is spinning, announcing its sleep, or
 * asleep; every 1000th a real sleep): each item must reach the consumer with
 * no further push. A stress test, not a proof: a lost wake-up hangs it until
 * Check's timeout. On this machine it hung every time without the second
 * look before sleeping or without the wake, and one run in three without
 * the producer's fence (x86 rarely reorders a store after a load). */
START_TEST(test_no_lost_wakeup)
{
    struct queue q;
    ck_assert(queue_init(&q, 4));
    static _Atomic unsigned char taken_times[WAKEUP_ROUNDS];
    for (size_t i = 0; i < WAKEUP_ROUNDS; i++)
        atomic_init(&taken_times[i], 0);
    struct consumer c;
    start_consumers(&c, 1, &q, 1, taken_times);
    unsigned seed = 1;
    for (size_t seq = 0; seq < WAKEUP_ROUNDS; seq++) {
        if (seq % 1000 == 999) {
            struct timespec ms = {0, 1000000};
            nanosleep(&ms, NULL);
        } else {
            busy_wait_ns(rand_r(&seed) % 20000);
        }
        push(&q, seq);
        queue_publish(&q);
        while (atomic_load(&taken_times[seq]) == 0) {
            threads_check_complaints(); /* a bad item is never marked taken */
            sched_yield();
        }
    }
    ck_assert_uint_eq(stop_consumers(&c, 1, &q), WAKEUP_ROUNDS);
    queue_destroy(&q);
}
END_TEST

#define STRESS_ITEMS     2000000
#define STRESS_CONSUMERS 4

/* One producer, four consumers taking batches of 1 to 32, a small ring:
 * every item is taken exactly once, untorn, and each consumer's items come
 * in order. The producer publishes after batches of varying size. */
START_TEST(test_one_producer_many_consumers)
{
    static _Atomic unsigned char taken_times[STRESS_ITEMS];
    for (size_t i = 0; i < STRESS_ITEMS; i++)
        atomic_init(&taken_times[i], 0);
    struct queue q;
    ck_assert(queue_init(&q, 256));
    struct consumer c[STRESS_CONSUMERS];
    static const size_t batch[STRESS_CONSUMERS] = {1, 4, 16, 32};
    for (unsigned i = 0; i < STRESS_CONSUMERS; i++)
        start_consumers(&c[i], 1, &q, batch[i], taken_times);
    size_t refused = 0;
    for (size_t seq = 0; seq < STRESS_ITEMS; seq++) {
        struct queued_event e = item(seq);
        while (!queue_try_push(&q, &e)) {
            refused++;
            queue_publish(&q);
            sched_yield();
        }
        if (seq % 7 == 0 || seq % 100 < 3)
            queue_publish(&q);
    }
    ck_assert_uint_eq(stop_consumers(c, STRESS_CONSUMERS, &q), STRESS_ITEMS);
    for (size_t i = 0; i < STRESS_ITEMS; i++)
        EXPECT(atomic_load(&taken_times[i]) == 1, "item %zu taken %u times", i,
               atomic_load(&taken_times[i]));
    ck_assert_uint_eq(queue_len(&q), 0);
    fprintf(stderr,
            "ring: %d items, %d consumers, %zu pushes refused while full; taken:", STRESS_ITEMS,
            STRESS_CONSUMERS, refused);
    for (unsigned i = 0; i < STRESS_CONSUMERS; i++)
        fprintf(stderr, " %zu", c[i].taken);
    fprintf(stderr, "\n");
    queue_destroy(&q);
}
END_TEST

#ifdef RING_CLOSES
/* Closing wakes every consumer asleep on the empty ring (the test waits until
 * they all are): each returns, having taken what was pushed before the close
 * (run 0: nothing; run 1: a thousand items). */
START_TEST(test_close_wakes_sleepers)
{
    enum { ITEMS = 1000 };
    static _Atomic unsigned char taken_times[ITEMS];
    for (size_t i = 0; i < ITEMS; i++)
        atomic_init(&taken_times[i], 0);
    struct queue q;
    ck_assert(queue_init(&q, ITEMS));
    struct consumer c[STRESS_CONSUMERS];
    start_consumers(c, STRESS_CONSUMERS, &q, 8, taken_times);
    while (atomic_load(&q.sleepers) < STRESS_CONSUMERS)
        sched_yield(); /* each spins 3 us, then sleeps; Check's timeout bounds this */
    size_t items = _i == 0 ? 0 : ITEMS;
    for (size_t seq = 0; seq < items; seq++)
        push(&q, seq);
    queue_close(&q); /* publishes them, then no more */
    size_t taken = 0;
    for (unsigned i = 0; i < STRESS_CONSUMERS; i++) {
        ck_assert_int_eq(pthread_join(c[i].thread, NULL), 0);
        taken += c[i].taken;
    }
    threads_check_complaints();
    ck_assert_uint_eq(taken, items);
    queue_destroy(&q);
}
END_TEST
#endif

static Suite *ring_suite(void)
{
    Suite *s = suite_create("ring");
    TCase *tc = tcase_create("ring");
    tcase_add_test(tc, test_pushed_items_wait_for_publish);
    tcase_add_test(tc, test_take_in_batches);
    tcase_add_test(tc, test_full_ring_refuses_at_once);
    tcase_add_test(tc, test_wrap_around_keeps_order);
    tcase_add_test(tc, test_full_ring_publishes_before_refusing);
    tcase_add_test(tc, test_a_long_batch_is_published_as_it_goes);
    tcase_add_test(tc, test_capacity_one);
#ifdef RING_CLOSES
    tcase_add_test(tc, test_close_lets_the_rest_be_taken);
#endif
    suite_add_tcase(s, tc);
    TCase *threads = tcase_create("threads");
    tcase_set_timeout(threads, THREADS_TIMEOUT_S);
    tcase_add_test(threads, test_no_lost_wakeup);
    tcase_add_test(threads, test_one_producer_many_consumers);
#ifdef RING_CLOSES
    tcase_add_loop_test(threads, test_close_wakes_sleepers, 0, 2);
#endif
    suite_add_tcase(s, threads);
    return s;
}

UNIT_MAIN(ring_suite)
