#include "queue.h"

#include <stdlib.h>

bool queue_init(struct queue *q, size_t cap)
{
    *q = (struct queue){.cap = cap, .items = malloc(cap * sizeof(struct queued_event))};
    if (!q->items)
        return false;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    return true;
}

void queue_destroy(struct queue *q)
{
    pthread_cond_destroy(&q->not_empty);
    pthread_mutex_destroy(&q->lock);
    free(q->items);
}

bool queue_try_push(struct queue *q, const struct queued_event *e)
{
    pthread_mutex_lock(&q->lock);
    bool room = q->len < q->cap;
    if (room) {
        q->items[(q->head + q->len) % q->cap] = *e;
        q->len++;
        pthread_cond_signal(&q->not_empty);
    }
    pthread_mutex_unlock(&q->lock);
    return room;
}

bool queue_pop(struct queue *q, struct queued_event *e)
{
    pthread_mutex_lock(&q->lock);
    while (q->len == 0 && !q->closed)
        pthread_cond_wait(&q->not_empty, &q->lock);
    if (q->len == 0) {
        pthread_mutex_unlock(&q->lock);
        return false;
    }
    *e = q->items[q->head];
    q->head = (q->head + 1) % q->cap;
    q->len--;
    pthread_mutex_unlock(&q->lock);
    return true;
}

void queue_close(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = true;
    pthread_cond_broadcast(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

size_t queue_len(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    size_t len = q->len;
    pthread_mutex_unlock(&q->lock);
    return len;
}
