/* Output buffers: growth, and sending to a socket that is full or gone. The
 * bytes sent are a stream whose every byte depends on its position, so that a
 * lost, repeated or reordered byte is seen where it happens. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "outbuf.h"
#include "unit.h"

static char pattern(size_t pos)
{
    return (char)(((uint32_t)pos * 2654435761u) >> 24);
}

/* Appends the next n bytes of the stream, by append or by reserve and commit. */
static void stage(struct outbuf *b, size_t *pos, size_t n, bool by_reserve)
{
    char *p = by_reserve ? outbuf_reserve(b, n) : malloc(n > 0 ? n : 1);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < n; i++)
        p[i] = pattern(*pos + i);
    if (by_reserve) {
        outbuf_commit(b, n);
    } else {
        outbuf_append(b, p, n);
        free(p);
    }
    *pos += n;
    ck_assert(!b->failed);
}

/* The bytes in b are the stream from position from on. */
static void expect_stream(const struct outbuf *b, size_t from, size_t n)
{
    ck_assert_uint_eq(outbuf_len(b), n);
    for (size_t i = 0; i < n; i++)
        EXPECT(b->data[b->start + i] == pattern(from + i), "byte %zu out of place", i);
}

/* Reads up to max bytes the peer has received, checking them against the stream. */
static size_t receive(int fd, size_t *pos, size_t max)
{
    static char buf[1 << 16];
    size_t total = 0;
    while (total < max) {
        size_t want = max - total < sizeof buf ? max - total : sizeof buf;
        ssize_t r = recv(fd, buf, want, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            ck_assert_msg(errno == EAGAIN || errno == EWOULDBLOCK, "recv: %s", strerror(errno));
            break;
        }
        ck_assert_int_gt(r, 0); /* the writer never closes */
        for (ssize_t i = 0; i < r; i++)
            EXPECT(buf[i] == pattern(*pos + (size_t)i), "received byte %zu out of place",
                   *pos + (size_t)i);
        *pos += (size_t)r;
        total += (size_t)r;
    }
    return total;
}

static size_t receive_all(int fd, size_t *pos)
{
    return receive(fd, pos, SIZE_MAX);
}

/* sv[0] writes, sv[1] reads; both non-blocking. sndbuf 0 keeps the default. */
static void open_pair(int sv[2], int sndbuf)
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    if (sndbuf > 0)
        ck_assert_int_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf), 0);
}

static void close_pair(int sv[2])
{
    close(sv[0]);
    close(sv[1]);
}

/* Sends chunks the peer does not read until the socket is full; returns the stream position. */
static size_t fill_socket(int fd, struct outbuf *staged, struct outbuf *pending)
{
    size_t pos = 0;
    for (int i = 0; i < 10000; i++) {
        stage(staged, &pos, 16384, i % 2);
        enum send_status st = outbuf_send(staged, pending, fd);
        ck_assert_uint_eq(outbuf_len(staged), 0);
        if (st == SEND_PENDING) {
            ck_assert_uint_gt(outbuf_len(pending), 0);
            ck_assert_ptr_nonnull(pending->data);
            return pos;
        }
        ck_assert_int_eq(st, SEND_DONE);
        ck_assert_ptr_null(pending->data);
    }
    ck_abort_msg("the socket never filled up");
    return 0;
}

/* Lets the peer read while pending is flushed, until all is written and read. */
static void drain(int writer, int reader, struct outbuf *pending, size_t *read_pos, size_t end)
{
    for (;;) {
        size_t got = receive_all(reader, read_pos);
        enum send_status st = outbuf_flush(pending, writer);
        if (st == SEND_DONE)
            break;
        ck_assert_int_eq(st, SEND_PENDING);
        ck_assert_uint_gt(got, 0); /* progress, or the loop would never end */
    }
    ck_assert_ptr_null(pending->data); /* drained: its memory is freed */
    ck_assert_uint_eq(pending->cap, 0);
    receive_all(reader, read_pos);
    ck_assert_uint_eq(*read_pos, end);
}

START_TEST(test_append_reserve_commit)
{
    struct outbuf b = {0};
    ck_assert_ptr_null(b.data);
    outbuf_append(&b, "abc", 3);
    char *p = outbuf_reserve(&b, 10);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_ge(b.cap - b.end, 10);
    memcpy(p, "defgh", 5);
    outbuf_commit(&b, 5);
    ck_assert_uint_eq(outbuf_len(&b), 8);
    ck_assert_mem_eq(b.data + b.start, "abcdefgh", 8);

    char *data = b.data;
    outbuf_clear(&b); /* empty, memory kept */
    ck_assert_uint_eq(outbuf_len(&b), 0);
    ck_assert_ptr_eq(b.data, data);
    outbuf_append(&b, "xy", 2);
    ck_assert_ptr_eq(b.data, data);
    ck_assert_mem_eq(b.data + b.start, "xy", 2);

    outbuf_free(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.cap, 0);
    ck_assert_uint_eq(outbuf_len(&b), 0);
}
END_TEST

START_TEST(test_growth_keeps_order)
{
    struct outbuf b = {0};
    size_t pos = 0;
    for (size_t n = 1; pos < (1u << 20); n = n * 3 % 7919 + 1)
        stage(&b, &pos, n, n % 2);
    ck_assert_uint_gt(b.cap, 4096);
    expect_stream(&b, 0, pos);

    char *p = outbuf_reserve(&b, 5u << 20); /* far more than the capacity */
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_ge(b.cap - b.end, 5u << 20);
    expect_stream(&b, 0, pos);
    outbuf_free(&b);
}
END_TEST

START_TEST(test_failed_buffer_takes_nothing)
{
    struct outbuf b = {0};
    outbuf_append(&b, "abc", 3);
    b.failed = true;
    ck_assert_ptr_null(outbuf_reserve(&b, 1));
    outbuf_append(&b, "d", 1);
    ck_assert_uint_eq(outbuf_len(&b), 3);
    outbuf_free(&b);
    ck_assert(!b.failed);
}
END_TEST

START_TEST(test_send_with_room)
{
    int sv[2];
    open_pair(sv, 0);
    struct outbuf staged = {0}, pending = {0};
    size_t pos = 0, read_pos = 0;
    for (int i = 0; i < 100; i++) {
        stage(&staged, &pos, 100, i % 2);
        ck_assert_int_eq(outbuf_send(&staged, &pending, sv[0]), SEND_DONE);
        ck_assert_uint_eq(outbuf_len(&staged), 0);
        ck_assert_ptr_nonnull(staged.data); /* the staging buffer keeps its memory */
        ck_assert_ptr_null(pending.data); /* nothing pending: nothing allocated */
        ck_assert_uint_eq(receive_all(sv[1], &read_pos), 100);
    }
    ck_assert_uint_eq(read_pos, pos);
    ck_assert_int_eq(outbuf_flush(&pending, sv[0]), SEND_DONE);
    ck_assert_ptr_null(pending.data);
    outbuf_free(&staged);
    close_pair(sv);
}
END_TEST

START_TEST(test_send_to_full_socket)
{
    int sv[2];
    open_pair(sv, 0);
    struct outbuf staged = {0}, pending = {0};
    size_t pos = fill_socket(sv[0], &staged, &pending), read_pos = 0;
    /* More replies go behind what is pending. */
    for (int i = 0; i < 4; i++) {
        stage(&staged, &pos, 1000, i % 2);
        ck_assert_int_eq(outbuf_send(&staged, &pending, sv[0]), SEND_PENDING);
        ck_assert_uint_eq(outbuf_len(&staged), 0);
    }
    ck_assert_uint_ge(outbuf_len(&pending), 4000);
    expect_stream(&pending, pos - outbuf_len(&pending), outbuf_len(&pending));
    drain(sv[0], sv[1], &pending, &read_pos, pos);
    outbuf_free(&staged);
    close_pair(sv);
}
END_TEST

/* Sending an unused staging buffer while bytes are pending only flushes them. */
START_TEST(test_send_nothing_behind_pending)
{
    int sv[2];
    open_pair(sv, 0);
    struct outbuf staged = {0}, pending = {0};
    size_t pos = fill_socket(sv[0], &staged, &pending), read_pos = 0;
    outbuf_free(&staged);
    size_t before = outbuf_len(&pending);
    ck_assert_int_eq(outbuf_send(&staged, &pending, sv[0]), SEND_PENDING);
    ck_assert_uint_eq(outbuf_len(&pending), before);
    drain(sv[0], sv[1], &pending, &read_pos, pos);
    close_pair(sv);
}
END_TEST

/* Sends, partial reads and flushes in a pseudo-random order through a small socket buffer. */
START_TEST(test_interleaved_send_and_read)
{
    int sv[2];
    open_pair(sv, 4096);
    struct outbuf staged = {0}, pending = {0};
    size_t pos = 0, read_pos = 0;
    uint32_t rng = 12345;
    int pendings = 0;
    for (int i = 0; i < 5000; i++) {
        rng = rng * 1103515245u + 12345u;
        uint32_t r = rng >> 8;
        if (r % 3 == 0) {
            receive(sv[1], &read_pos, r % 8000);
        } else if (r % 3 == 1) {
            for (uint32_t k = r % 4; k > 0; k--)
                stage(&staged, &pos, r % 3000 + k, k % 2);
            enum send_status st = outbuf_send(&staged, &pending, sv[0]);
            ck_assert_int_ne(st, SEND_FAILED);
            pendings += st == SEND_PENDING;
            ck_assert_uint_eq(outbuf_len(&pending) > 0, st == SEND_PENDING);
        } else {
            enum send_status st = outbuf_flush(&pending, sv[0]);
            ck_assert_int_ne(st, SEND_FAILED);
            ck_assert_uint_eq(outbuf_len(&pending) > 0, st == SEND_PENDING);
        }
        if (outbuf_len(&pending) == 0)
            ck_assert_ptr_null(pending.data);
        else if (i % 64 == 0)
            expect_stream(&pending, pos - outbuf_len(&pending), outbuf_len(&pending));
    }
    ck_assert_int_gt(pendings, 100); /* the full-socket path was taken often */
    drain(sv[0], sv[1], &pending, &read_pos, pos);
    outbuf_free(&staged);
    close_pair(sv);
}
END_TEST

START_TEST(test_send_to_closed_peer_fails)
{
    signal(SIGPIPE, SIG_DFL); /* a send without MSG_NOSIGNAL would kill this test */
    int sv[2];
    open_pair(sv, 0);
    close(sv[1]);
    struct outbuf staged = {0}, pending = {0};
    size_t pos = 0;
    stage(&staged, &pos, 10, false);
    ck_assert_int_eq(outbuf_send(&staged, &pending, sv[0]), SEND_FAILED);
    ck_assert_uint_eq(outbuf_len(&staged), 0);
    outbuf_free(&staged);
    outbuf_free(&pending);
    close(sv[0]);
}
END_TEST

START_TEST(test_pending_to_closed_peer_fails)
{
    signal(SIGPIPE, SIG_DFL);
    int sv[2];
    open_pair(sv, 0);
    struct outbuf staged = {0}, pending = {0};
    size_t pos = fill_socket(sv[0], &staged, &pending);
    close(sv[1]);
    ck_assert_int_eq(outbuf_flush(&pending, sv[0]), SEND_FAILED);
    stage(&staged, &pos, 10, true);
    ck_assert_int_eq(outbuf_send(&staged, &pending, sv[0]), SEND_FAILED);
    outbuf_free(&staged);
    outbuf_free(&pending);
    close(sv[0]);
}
END_TEST

/* A failed allocation is reported by the next send, which then starts afresh. */
START_TEST(test_failed_buffers_fail_the_send)
{
    int sv[2];
    open_pair(sv, 0);
    struct outbuf staged = {0}, pending = {0};
    size_t pos = 0, read_pos = 0;
    stage(&staged, &pos, 10, false);
    staged.failed = true;
    ck_assert_int_eq(outbuf_send(&staged, &pending, sv[0]), SEND_FAILED);
    ck_assert(!staged.failed);
    ck_assert_uint_eq(outbuf_len(&staged), 0);
    ck_assert_uint_eq(receive_all(sv[1], &read_pos), 0); /* nothing of it was sent */

    pending.failed = true;
    ck_assert_int_eq(outbuf_flush(&pending, sv[0]), SEND_FAILED);
    outbuf_free(&staged);
    outbuf_free(&pending);
    close_pair(sv);
}
END_TEST

static Suite *outbuf_suite(void)
{
    Suite *s = suite_create("outbuf");
    TCase *tc = tcase_create("outbuf");
    tcase_add_test(tc, test_append_reserve_commit);
    tcase_add_test(tc, test_growth_keeps_order);
    tcase_add_test(tc, test_failed_buffer_takes_nothing);
    tcase_add_test(tc, test_send_with_room);
    tcase_add_test(tc, test_send_to_full_socket);
    tcase_add_test(tc, test_send_nothing_behind_pending);
    tcase_add_test(tc, test_interleaved_send_and_read);
    tcase_add_test(tc, test_send_to_closed_peer_fails);
    tcase_add_test(tc, test_pending_to_closed_peer_fails);
    tcase_add_test(tc, test_failed_buffers_fail_the_send);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(outbuf_suite)
