/* Stage 05's bounded queue (step05_channel/queue.c): full, empty, the ring
 * wrapping around, and one producer and one consumer thread hammering it. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "queue.h"
#include "queued_items.h"
#include "unit.h"

static void expect_pop(struct queue *q, size_t seq)
{
    struct queued_event e;
    queue_pop(q, &e);
    const char *why = mismatch(&e, seq);
    ck_assert_msg(why == NULL, "popped delta %lld, not item %zu: %s", (long long)e.delta, seq, why);
}

START_TEST(test_new_queue_is_empty)
{
    struct queue q;
    ck_assert(queue_init(&q, 4));
    ck_assert_uint_eq(queue_len(&q), 0);
    push(&q, 1);
    ck_assert_uint_eq(queue_len(&q), 1);
    expect_pop(&q, 1);
    ck_assert_uint_eq(queue_len(&q), 0);
    queue_destroy(&q);
}
END_TEST

START_TEST(test_full_queue_refuses_at_once)
{
    struct queue q;
    ck_assert(queue_init(&q, 3));
    for (size_t i = 0; i < 3; i++)
        push(&q, i);
    struct queued_event extra = item(99);
    ck_assert(!queue_try_push(&q, &extra));
    ck_assert(!queue_try_push(&q, &extra));
    ck_assert_uint_eq(queue_len(&q), 3);

    /* The refusals changed nothing; one pop makes room for one more. */
    expect_pop(&q, 0);
    push(&q, 3);
    ck_assert(!queue_try_push(&q, &extra));
    for (size_t i = 1; i <= 3; i++)
        expect_pop(&q, i);
    ck_assert_uint_eq(queue_len(&q), 0);
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
        expect_pop(&q, i);
    }
    queue_destroy(&q);
}
END_TEST

/* Pushing three and popping two at a time walks the head round the ring of
 * five many times, at every offset, and fills it: a push into the full ring
 * is refused. */
START_TEST(test_wrap_around_keeps_order)
{
    enum { CAP = 5 };
    struct queue q;
    ck_assert(queue_init(&q, CAP));
    size_t pushed = 0, popped = 0, refused = 0;
    for (int round = 0; round < 40; round++) {
        for (int i = 0; i < 3; i++) {
            if (pushed - popped < CAP) {
                push(&q, pushed++);
            } else {
                struct queued_event extra = item(99);
                ck_assert(!queue_try_push(&q, &extra));
                refused++;
            }
        }
        ck_assert_uint_eq(queue_len(&q), pushed - popped);
        for (int i = 0; i < 2; i++)
            expect_pop(&q, popped++);
    }
    ck_assert_uint_gt(popped, 10 * CAP);
    ck_assert_uint_gt(refused, 0);
    while (popped < pushed)
        expect_pop(&q, popped++);
    ck_assert_uint_eq(queue_len(&q), 0);
    queue_destroy(&q);
}
END_TEST

/*** threads ***/

/* What a consumer thread saw; read by the test's thread after the join. */
struct consumer {
    pthread_t thread;
    struct queue *queue;
    size_t count; /* items to take */
    size_t taken; /* the expected items taken before any mismatch */
    const char *why; /* the first mismatch, or NULL */
    int64_t bad_delta;
};

/* Takes count items, expecting items 0, 1, 2, ... in order, and notes the
 * first one that is not the expected one (taking the rest regardless, so
 * that the producer can finish). No ck_assert here: Check asserts only from
 * the test's own thread. */
static void *consume(void *arg)
{
    struct consumer *c = arg;
    for (size_t seq = 0; seq < c->count; seq++) {
        struct queued_event e;
        queue_pop(c->queue, &e);
        if (c->why)
            continue;
        c->why = mismatch(&e, seq);
        if (c->why)
            c->bad_delta = e.delta;
        else
            c->taken++;
    }
    return NULL;
}

static void start_consumer(struct consumer *c, struct queue *q, size_t count)
{
    *c = (struct consumer){.queue = q, .count = count};
    ck_assert_int_eq(pthread_create(&c->thread, NULL, consume, c), 0);
}

static void join_consumer(struct consumer *c)
{
    ck_assert_int_eq(pthread_join(c->thread, NULL), 0);
    ck_assert_msg(c->why == NULL, "consumer: item %zu has delta %lld: %s", c->taken,
                  (long long)c->bad_delta, c->why);
    ck_assert_uint_eq(c->taken, c->count);
}

/* A consumer waiting on the empty queue is woken by the push. */
START_TEST(test_pop_waits_for_a_push)
{
    struct queue q;
    ck_assert(queue_init(&q, 2));
    struct consumer c;
    start_consumer(&c, &q, 2);
    push(&q, 0);
    push(&q, 1);
    join_consumer(&c);
    ck_assert_uint_eq(queue_len(&q), 0);
    queue_destroy(&q);
}
END_TEST

#define HAMMER_ITEMS 200000

/* The test's thread produces, retrying while the small queue is full; the
 * consumer thread checks that every item arrives exactly once, in order. */
START_TEST(test_one_producer_one_consumer)
{
    struct queue q;
    ck_assert(queue_init(&q, 8));
    struct consumer c;
    start_consumer(&c, &q, HAMMER_ITEMS);
    size_t refused = 0;
    for (size_t seq = 0; seq < HAMMER_ITEMS; seq++) {
        struct queued_event e = item(seq);
        while (!queue_try_push(&q, &e)) {
            refused++;
            sched_yield();
        }
    }
    join_consumer(&c);
    ck_assert_uint_eq(queue_len(&q), 0);
    queue_destroy(&q);
    fprintf(stderr, "queue: %d items through a ring of 8, %zu pushes refused while full\n",
            HAMMER_ITEMS, refused);
}
END_TEST

static Suite *queue_suite(void)
{
    Suite *s = suite_create("queue");
    TCase *tc = tcase_create("queue");
    tcase_add_test(tc, test_new_queue_is_empty);
    tcase_add_test(tc, test_full_queue_refuses_at_once);
    tcase_add_test(tc, test_capacity_one);
    tcase_add_test(tc, test_wrap_around_keeps_order);
    tcase_add_test(tc, test_pop_waits_for_a_push);
    suite_add_tcase(s, tc);
    TCase *threads = tcase_create("threads");
    tcase_set_timeout(threads, 60); /* ThreadSanitizer on a busy machine */
    tcase_add_test(threads, test_one_producer_one_consumer);
    suite_add_tcase(s, threads);
    return s;
}

UNIT_MAIN(queue_suite)
