#include "outbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define OUTBUF_MIN_CAP 4096

void outbuf_free(struct outbuf *b)
{
    free(b->data);
    *b = (struct outbuf){0};
}

void outbuf_clear(struct outbuf *b)
{
    b->start = b->end = 0;
    b->failed = false;
}

char *outbuf_reserve(struct outbuf *b, size_t n)
{
    if (b->failed)
        return NULL;
    if (b->start > 0 && b->start == b->end)
        b->start = b->end = 0;
    if (b->cap - b->end >= n)
        return b->data + b->end;
    /* Move the unsent bytes to the front before growing. */
    size_t len = b->end - b->start;
    if (b->start > 0 && b->cap - len >= n && len <= b->start) {
        memcpy(b->data, b->data + b->start, len);
        b->start = 0;
        b->end = len;
        return b->data + b->end;
    }
    size_t cap = b->cap ? b->cap : OUTBUF_MIN_CAP;
    while (cap - len < n)
        cap *= 2;
    char *p = malloc(cap);
    if (!p) {
        b->failed = true;
        return NULL;
    }
    if (len > 0)
        memcpy(p, b->data + b->start, len);
    free(b->data);
    b->data = p;
    b->cap = cap;
    b->start = 0;
    b->end = len;
    return b->data + b->end;
}

void outbuf_commit(struct outbuf *b, size_t n)
{
    b->end += n;
}

void outbuf_append(struct outbuf *b, const char *data, size_t n)
{
    if (n == 0) /* data may be NULL: an empty buffer's */
        return;
    char *p = outbuf_reserve(b, n);
    if (p) {
        memcpy(p, data, n);
        b->end += n;
    }
}

enum send_status outbuf_flush(struct outbuf *pending, int fd)
{
    if (pending->failed)
        return SEND_FAILED;
    if (outbuf_len(pending) == 0) { /* data may be NULL: no pointer arithmetic on it */
        outbuf_free(pending);
        return SEND_DONE;
    }
    size_t written;
    enum send_status st =
        send_some(fd, pending->data + pending->start, outbuf_len(pending), &written);
    pending->start += written;
    if (st == SEND_DONE)
        outbuf_free(pending);
    return st;
}

enum send_status outbuf_send(struct outbuf *staged, struct outbuf *pending, int fd)
{
    if (staged->failed) {
        outbuf_clear(staged);
        return SEND_FAILED;
    }
    if (outbuf_len(staged) == 0) /* data may be NULL: no pointer arithmetic on it */
        return outbuf_flush(pending, fd);
    if (outbuf_len(pending) > 0) { /* keep the order: behind what is already waiting */
        outbuf_append(pending, staged->data + staged->start, outbuf_len(staged));
        outbuf_clear(staged);
        return outbuf_flush(pending, fd);
    }
    size_t written;
    enum send_status st = send_some(fd, staged->data + staged->start, outbuf_len(staged), &written);
    if (st == SEND_PENDING)
        outbuf_append(pending, staged->data + staged->start + written,
                      outbuf_len(staged) - written);
    outbuf_clear(staged);
    if (st == SEND_PENDING && pending->failed)
        return SEND_FAILED;
    return st;
}
