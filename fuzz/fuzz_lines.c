/* libFuzzer target for the request path: bytes from a client, through the line framer,
 * request_parse and the response formatters.
 *
 * Input: byte 0 chooses max_line and seeds the chunking; the other bytes are the stream a client
 * sends. The stream goes through the framer up to three times: in chunks of pseudo-random sizes,
 * in one chunk, and (if it is short) one byte at a time. Each chunk is copied into a buffer of
 * exactly its size, so that AddressSanitizer sees any access outside it. In the random pass, after
 * some frames there is no room and the rest of the chunk is held back in the intake, as a server
 * does for a client past its output cap. Whatever the chunking, the frames must be those of a
 * trivial reference splitter run on the whole stream. In the first
 * pass every line is parsed and answered (or, for one input in eight, echoed), and every answer is
 * checked: one line, compact JSON, keys in protocol order, the user written back unchanged; the
 * answers are taken out of their output buffer in pieces, as a slow client would read them.
 *
 * cJSON is not instrumented, so each line is also parsed from a copy whose terminating NUL is the
 * last byte before an inaccessible page: any read past the line faults there. Every violated
 * invariant ends in abort(). */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cJSON.h>

#include "intake.h"
#include "outbuf.h"
#include "request.h"
#include "response.h"

/*** checks ***/

__attribute__((noreturn)) static void fail(int line, const char *what)
{
    fprintf(stderr, "fuzz_lines.c:%d: invariant violated: %s\n", line, what);
    abort();
}

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fail(__LINE__, #cond);                                                                 \
    } while (0)

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    }
    return true;
}

/* Decodes every code point: well-formed UTF-8 is shortest-form, at most
 * U+10FFFF and no surrogate. */
static bool is_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t extra;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            extra = 1, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            extra = 2, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            extra = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i <= extra)
            return false;
        for (size_t k = 1; k <= extra; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += extra + 1;
    }
    return true;
}

static void check_user(const struct request *req)
{
    CHECK(req->user_len >= 1 && req->user_len <= USER_MAX);
    CHECK(strlen(req->user) == req->user_len);
    for (size_t i = 0; i < req->user_len; i++) {
        unsigned char c = (unsigned char)req->user[i];
        CHECK(c >= 0x20 && c != 0x7f);
    }
    CHECK(is_utf8((const unsigned char *)req->user, req->user_len));
}

static void check_request(const struct request *req)
{
    switch (req->kind) {
    case REQUEST_INVALID:
        CHECK(req->reason == REASON_INVALID_JSON || req->reason == REASON_INVALID_EVENT);
        break;
    case REQUEST_EVENT:
        CHECK(req->reason == REASON_NONE);
        CHECK(req->action == ACTION_BUY || req->action == ACTION_SELL);
        CHECK(req->amount >= 1 && req->amount <= AMOUNT_MAX);
        check_user(req);
        break;
    case REQUEST_COMMAND:
        CHECK(req->command >= COMMAND_UNKNOWN && req->command <= COMMAND_HEALTH);
        if (req->command == COMMAND_BALANCE && req->reason == REASON_NONE)
            check_user(req);
        else if (req->command == COMMAND_BALANCE)
            CHECK(req->reason == REASON_INVALID_EVENT);
        else
            CHECK(req->reason == REASON_NONE);
        break;
    default: CHECK(!"a known request kind");
    }
}

static bool same_request(const struct request *a, const struct request *b)
{
    if (a->kind != b->kind || a->reason != b->reason)
        return false;
    if (a->kind == REQUEST_COMMAND && a->command != b->command)
        return false;
    if (a->kind == REQUEST_EVENT && (a->action != b->action || a->amount != b->amount))
        return false;
    bool has_user =
        a->kind == REQUEST_EVENT ||
        (a->kind == REQUEST_COMMAND && a->command == COMMAND_BALANCE && a->reason == REASON_NONE);
    return !has_user ||
           (a->user_len == b->user_len && memcmp(a->user, b->user, a->user_len + 1) == 0);
}

/*** pseudo-random numbers ***/

static uint64_t next_random(uint64_t *state)
{
    uint64_t x = *state; /* xorshift64* */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dULL;
}

/*** the reference splitter ***/

struct ref_frame {
    enum frame_kind kind;
    size_t off, len; /* FRAME_LINE: the line's bytes in the stream */
};

struct reference {
    const char *stream;
    size_t stream_len;
    struct ref_frame *frames;
    size_t n;
};

/* Splits on '\n'. A segment longer than max_line (a '\r' included) is one
 * FRAME_TOO_LONG, even unterminated at the end: it is reported as soon as the
 * limit is passed. Otherwise one trailing '\r' goes, blank lines go and the
 * unterminated tail goes. */
static void reference_split(const char *s, size_t n, size_t max_line, struct reference *ref)
{
    ref->stream = s;
    ref->stream_len = n;
    ref->frames = malloc((n + 1) * sizeof *ref->frames);
    CHECK(ref->frames != NULL);
    ref->n = 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        bool end = i == n;
        if (!end && s[i] != '\n')
            continue;
        size_t len = i - start;
        if (len > max_line) {
            ref->frames[ref->n++] = (struct ref_frame){.kind = FRAME_TOO_LONG};
        } else if (!end) {
            if (len > 0 && s[start + len - 1] == '\r')
                len--;
            if (!is_blank(s + start, len))
                ref->frames[ref->n++] =
                    (struct ref_frame){.kind = FRAME_LINE, .off = start, .len = len};
        }
        start = i + 1;
    }
}

/*** a page-guarded copy of a line ***/

static char *guard_end; /* one past the last accessible byte */

static void guard_init(void)
{
    long page = sysconf(_SC_PAGESIZE);
    CHECK(page > 0);
    size_t psz = (size_t)page;
    size_t data = (4096 + 1 + psz - 1) / psz * psz; /* the longest line and its NUL */
    char *p = mmap(NULL, data + psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    CHECK(mprotect(p + data, psz, PROT_NONE) == 0);
    guard_end = p + data;
}

/* line[0 .. len) and a NUL, ending right before the guard page. */
static char *guarded_copy(const char *line, size_t len)
{
    CHECK(len <= 4096);
    char *copy = guard_end - (len + 1);
    memcpy(copy, line, len);
    copy[len] = '\0';
    return copy;
}

/*** replies ***/

struct replies {
    struct outbuf out;
    char *sent; /* every byte appended to out, in order */
    size_t sent_len, sent_cap;
    size_t written; /* bytes taken out of out by simulated socket writes */
    size_t count; /* reply lines */
    uint64_t rng;
    enum { WRITE_ALL, WRITE_SOME, WRITE_NONE, WRITE_DRIP } style; /* how fast the client reads */
    size_t drip; /* WRITE_DRIP: bytes per write */
    bool echo; /* lines are echoed, as stages 01 and 02 do */
    int64_t balance;
    unsigned events, commands;
};

/* What a reply must say, key by key in protocol order. */
struct expect {
    const char *status;
    const char *user; /* NULL: no "user" key */
    size_t user_len;
    const char *reason; /* NULL: no "reason" key */
    bool has_balance;
    int64_t balance;
    const struct metrics *metrics; /* set: a metrics line, with no "status" */
};

static const cJSON *expect_key(const cJSON *item, const char *key)
{
    CHECK(item != NULL);
    CHECK(item->string != NULL && strcmp(item->string, key) == 0);
    return item;
}

/* The three counters the protocol names come first, in order and exact;
 * more numbers may follow. */
static void check_metrics_json(const char *line, const cJSON *root, const struct metrics *m)
{
    char want[128];
    int n = snprintf(want, sizeof want,
                     "{\"received\":%" PRIu64 ",\"processed\":%" PRIu64 ",\"dropped\":%" PRIu64,
                     m->received, m->processed, m->dropped);
    CHECK(n > 0 && (size_t)n < sizeof want);
    CHECK(strncmp(line, want, (size_t)n) == 0); /* line is NUL-terminated */
    CHECK(line[n] == ',' || line[n] == '}');
    const cJSON *item = root->child;
    CHECK(item != NULL);
    for (; item; item = item->next)
        CHECK(item->string != NULL && cJSON_IsNumber(item));
}

static void check_reply_json(const char *line, size_t len, const struct expect *e)
{
    /* cJSON gets a NUL-terminated copy of its own. */
    char *copy = malloc(len + 1);
    CHECK(copy != NULL);
    memcpy(copy, line, len);
    copy[len] = '\0';
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(copy, len, &end, 0);
    CHECK(root != NULL && cJSON_IsObject(root));
    CHECK(end == copy + len - 1); /* compact: only the '\n' follows */

    if (e->metrics) {
        check_metrics_json(copy, root, e->metrics);
        cJSON_Delete(root);
        free(copy);
        return;
    }
    const cJSON *item = expect_key(root->child, "status");
    CHECK(cJSON_IsString(item) && strcmp(item->valuestring, e->status) == 0);
    if (e->user) {
        item = expect_key(item->next, "user");
        CHECK(cJSON_IsString(item) && strlen(item->valuestring) == e->user_len);
        CHECK(memcmp(item->valuestring, e->user, e->user_len) == 0);
    }
    if (e->reason) {
        item = expect_key(item->next, "reason");
        CHECK(cJSON_IsString(item) && strcmp(item->valuestring, e->reason) == 0);
    }
    if (e->has_balance) {
        item = expect_key(item->next, "balance");
        CHECK(cJSON_IsNumber(item) && item->valuedouble == (double)e->balance);
    }
    CHECK(item->next == NULL);
    cJSON_Delete(root);
    free(copy);
}

/* Takes bytes off the front of out, as a send would, and checks they are the
 * replies' bytes in order. Slow readers make out fill up, move its unsent bytes
 * to the front and grow. */
static void simulate_write(struct replies *r, bool everything)
{
    size_t len = outbuf_len(&r->out);
    uint64_t x = next_random(&r->rng);
    size_t n = len;
    if (!everything && r->style == WRITE_SOME)
        n = (size_t)(x >> 8) % (len + 1);
    else if (!everything && r->style == WRITE_NONE)
        n = 0;
    else if (!everything && r->style == WRITE_DRIP)
        n = len < r->drip ? len : r->drip;
    if (n > 0) {
        CHECK(r->written + n <= r->sent_len);
        CHECK(memcmp(r->out.data + r->out.start, r->sent + r->written, n) == 0);
        r->out.start += n;
        r->written += n;
    }
    if (outbuf_len(&r->out) == 0 && (x & 16))
        outbuf_free(&r->out); /* as outbuf_flush does once all is written */
}

/* The one reply appended since out held `before` bytes: a single line. */
static const char *new_reply(struct replies *r, size_t before, size_t *len)
{
    CHECK(!r->out.failed);
    size_t after = outbuf_len(&r->out);
    CHECK(after > before);
    size_t n = after - before;
    const char *line = r->out.data + r->out.end - n;
    CHECK(line[n - 1] == '\n');
    CHECK(memchr(line, '\n', n - 1) == NULL);
    *len = n;
    return line;
}

/* Notes a checked reply as sent, then lets the client read some. */
static void keep_reply(struct replies *r, const char *line, size_t n)
{
    if (r->sent_len + n > r->sent_cap) {
        size_t cap = r->sent_cap ? r->sent_cap : 4096;
        while (cap < r->sent_len + n)
            cap *= 2;
        char *p = realloc(r->sent, cap);
        CHECK(p != NULL);
        r->sent = p;
        r->sent_cap = cap;
    }
    memcpy(r->sent + r->sent_len, line, n);
    r->sent_len += n;
    r->count++;
    simulate_write(r, false);
}

static void check_reply(struct replies *r, size_t before, const struct expect *e)
{
    size_t n;
    const char *line = new_reply(r, before, &n);
    check_reply_json(line, n, e);
    keep_reply(r, line, n);
}

static void reply_echo(struct replies *r, const char *request, size_t len)
{
    size_t before = outbuf_len(&r->out), n;
    respond_echo(&r->out, request, len);
    const char *line = new_reply(r, before, &n);
    CHECK(n == len + 1 && memcmp(line, request, len) == 0);
    keep_reply(r, line, n);
}

static void reply_error(struct replies *r, enum reason reason)
{
    size_t before = outbuf_len(&r->out);
    respond_error(&r->out, reason);
    check_reply(r, before, &(struct expect){.status = "error", .reason = reason_name(reason)});
}

static void reply_rejected(struct replies *r, enum reason reason)
{
    size_t before = outbuf_len(&r->out);
    respond_rejected(&r->out, reason);
    check_reply(r, before, &(struct expect){.status = "rejected", .reason = reason_name(reason)});
}

/* Events are answered the ways the stages answer them, in turn. */
static void reply_event(struct replies *r, const struct request *req)
{
    size_t before = outbuf_len(&r->out);
    switch (r->events++ % 4) {
    case 0:
        respond_accepted(&r->out);
        check_reply(r, before, &(struct expect){.status = "accepted"});
        break;
    case 1: {
        int64_t balance;
        if (__builtin_add_overflow(r->balance, event_delta(req), &balance)) {
            reply_error(r, REASON_OVERFLOW);
            break;
        }
        r->balance = balance;
        respond_new_balance(&r->out, balance);
        check_reply(r, before,
                    &(struct expect){.status = "ok", .has_balance = true, .balance = balance});
        break;
    }
    case 2: reply_rejected(r, REASON_SERVER_BUSY); break;
    default: reply_rejected(r, REASON_SHUTTING_DOWN); break;
    }
}

static void reply_command(struct replies *r, const struct request *req)
{
    size_t before = outbuf_len(&r->out);
    switch (req->command) {
    case COMMAND_BALANCE:
        if (req->reason != REASON_NONE) {
            reply_error(r, req->reason);
            break;
        }
        respond_balance(&r->out, req->user, req->user_len, r->balance);
        check_reply(r, before,
                    &(struct expect){.status = "ok",
                                     .user = req->user,
                                     .user_len = req->user_len,
                                     .has_balance = true,
                                     .balance = r->balance});
        break;
    case COMMAND_HEALTH: {
        bool draining = r->commands++ & 1;
        respond_health(&r->out, draining);
        check_reply(r, before, &(struct expect){.status = draining ? "draining" : "ok"});
        break;
    }
    case COMMAND_METRICS: {
        /* Counters of every size, up to 20 digits. */
        uint64_t v[5];
        for (size_t i = 0; i < 5; i++) {
            uint64_t x = next_random(&r->rng);
            v[i] = (x & 7) == 0 ? UINT64_MAX : x >> (x & 63);
        }
        struct metrics m = {v[0], v[1], v[2], v[3], v[4]};
        respond_metrics(&r->out, &m);
        check_reply(r, before, &(struct expect){.metrics = &m});
        break;
    }
    default: reply_error(r, REASON_UNKNOWN_TYPE); break;
    }
}

static void reply(struct replies *r, const struct request *req)
{
    if (req->kind == REQUEST_EVENT)
        reply_event(r, req);
    else if (req->kind == REQUEST_COMMAND)
        reply_command(r, req);
    else
        reply_error(r, req->reason);
}

static void replies_init(struct replies *r, uint64_t seed)
{
    *r = (struct replies){.rng = seed};
    uint64_t x = next_random(&r->rng);
    r->style = (int)(x & 3);
    r->drip = 1 + (size_t)(x >> 8) % 64;
    r->echo = (x & 0x1c) == 0; /* one input in eight */
    size_t before = outbuf_len(&r->out);
    CHECK(TOO_MANY_CONNECTIONS_LEN == strlen(TOO_MANY_CONNECTIONS_LINE));
    outbuf_append(&r->out, TOO_MANY_CONNECTIONS_LINE, TOO_MANY_CONNECTIONS_LEN);
    check_reply(r, before,
                &(struct expect){.status = "rejected", .reason = "too_many_connections"});
}

static void replies_finish(struct replies *r, size_t expected_count)
{
    simulate_write(r, true);
    CHECK(outbuf_len(&r->out) == 0);
    CHECK(r->written == r->sent_len);
    CHECK(r->count == expected_count);
    outbuf_free(&r->out);
    free(r->sent);
}

/*** one line ***/

/* json_escape on any bytes: a JSON string of printable ASCII and the bytes
 * >= 0x80 as they were, which reads back as the same bytes (up to a NUL, where
 * cJSON's strings end). */
static void check_escape(const char *line, size_t len)
{
    size_t max = json_escaped_max(len);
    char *buf = malloc(max + 1);
    CHECK(buf != NULL);
    size_t n = json_escape(buf, line, len);
    CHECK(n >= 2 && n <= max);
    CHECK(buf[0] == '"' && buf[n - 1] == '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)buf[i];
        CHECK(c >= 0x20 && c != 0x7f);
    }
    buf[n] = '\0';
    const char *end = NULL;
    cJSON *str = cJSON_ParseWithLengthOpts(buf, n, &end, 0);
    CHECK(cJSON_IsString(str) && end == buf + n);
    const char *nul = memchr(line, '\0', len);
    size_t keep = nul ? (size_t)(nul - line) : len;
    CHECK(strlen(str->valuestring) == keep && memcmp(str->valuestring, line, keep) == 0);
    cJSON_Delete(str);
    free(buf);
}

/* A request read from a line (its NULs hidden) says what the JSON says. */
static void check_fields(const char *line, size_t len, const struct request *req)
{
    if (req->kind == REQUEST_INVALID)
        return;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(line, len, &end, 0);
    CHECK(cJSON_IsObject(root));
    CHECK(end != NULL && end >= line && end <= line + len);
    CHECK(strspn(end, " \t\r\n") == (size_t)(line + len - end)); /* no trailing garbage */
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
    CHECK((type != NULL) == (req->kind == REQUEST_COMMAND));
    if (req->kind == REQUEST_COMMAND && req->command != COMMAND_UNKNOWN)
        CHECK(cJSON_IsString(type));
    bool has_user = req->kind == REQUEST_EVENT ||
                    (req->command == COMMAND_BALANCE && req->reason == REASON_NONE);
    if (has_user) {
        const cJSON *user = cJSON_GetObjectItemCaseSensitive(root, "user");
        CHECK(cJSON_IsString(user) && strcmp(user->valuestring, req->user) == 0);
    }
    if (req->kind == REQUEST_EVENT) {
        const cJSON *action = cJSON_GetObjectItemCaseSensitive(root, "action");
        CHECK(cJSON_IsString(action));
        CHECK(strcmp(action->valuestring, req->action == ACTION_BUY ? "buy" : "sell") == 0);
        const cJSON *amount = cJSON_GetObjectItemCaseSensitive(root, "amount");
        CHECK(cJSON_IsNumber(amount) && amount->valuedouble == (double)req->amount);
    }
    cJSON_Delete(root);
}

static void answer_line(struct replies *r, char *line, size_t len)
{
    check_escape(line, len);
    if (r->echo)
        reply_echo(r, line, len);
    char *copy = guarded_copy(line, len);
    struct request req, other;
    request_parse(line, len, &req);
    check_request(&req);
    request_parse(copy, len, &other);
    CHECK(same_request(&req, &other));
    /* A NUL is hidden in place unless it follows a backslash, which makes
     * an invalid escape: no NUL may cut a string short. */
    if (memchr(copy, '\0', len))
        CHECK(req.kind == REQUEST_INVALID && req.reason == REASON_INVALID_JSON);
    /* The line, as modified, must parse the same. */
    request_parse(copy, len, &other);
    CHECK(same_request(&req, &other));
    check_fields(copy, len, &req);
    if (!r->echo)
        reply(r, &req);
}

/*** framing passes ***/

struct pass {
    const struct reference *ref;
    size_t next; /* the reference frame expected next */
    struct intake intake;
    struct replies *replies; /* NULL: the frames are only compared */
    uint64_t *rng; /* not NULL: after some frames there is no room: the rest is held back */
};

static bool inside(const char *p, size_t n, const char *base, size_t size)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)base;
    return base != NULL && a >= b && n < size && a - b <= size - 1 - n;
}

static void check_framer(const struct pass *p, const char *buf, size_t n, const struct chunk *in)
{
    const struct framer *f = &p->intake.framer;
    CHECK(in->len <= n && in->data + in->len == buf + n);
    CHECK(f->len <= f->max_line);
    CHECK(f->cap <= f->max_line + 1); /* input memory stays bounded */
    if (f->partial)
        CHECK(f->len < f->cap);
    else
        CHECK(f->len == 0 && f->cap == 0);
    if (f->discarding)
        CHECK(f->len == 0);
}

static void take_frame(struct pass *p, const struct frame *fr, const char *buf, size_t n)
{
    const struct framer *f = &p->intake.framer;
    const struct held_input *h = p->intake.held;
    CHECK(p->next < p->ref->n);
    const struct ref_frame *want = &p->ref->frames[p->next++];
    CHECK(fr->kind == want->kind);
    if (fr->kind == FRAME_TOO_LONG) {
        if (p->replies)
            reply_error(p->replies, REASON_LINE_TOO_LONG);
        return;
    }
    CHECK(fr->line != NULL);
    CHECK(fr->len >= 1 && fr->len <= f->max_line);
    /* Handed out in place in the chunk or in the held input, or from the
     * framer's own buffer, with room for its NUL. */
    CHECK(inside(fr->line, fr->len, buf, n) || inside(fr->line, fr->len, f->partial, f->cap) ||
          (h && inside(fr->line, fr->len, h->bytes, h->size)));
    CHECK(fr->line[fr->len] == '\0');
    CHECK(memchr(fr->line, '\n', fr->len) == NULL);
    CHECK(!is_blank(fr->line, fr->len));
    CHECK(fr->len == want->len);
    CHECK(memcmp(fr->line, p->ref->stream + want->off, fr->len) == 0);
    if (p->replies)
        answer_line(p->replies, fr->line, fr->len);
}

/* One read of n bytes: frames until it is used up. Now and then there is no
 * room after a frame, as when a client's replies pass their cap: the rest is
 * held back, and framed first next time. */
static void feed(struct pass *p, const char *bytes, size_t n)
{
    char *buf = malloc(n); /* exactly n: any access past it is reported */
    CHECK(buf != NULL);
    if (n > 0)
        memcpy(buf, bytes, n);
    struct chunk in = {.data = buf, .len = n};
    bool room = true;
    for (;;) {
        struct frame fr = intake_next(&p->intake, &in, room);
        check_framer(p, buf, n, &in);
        CHECK(fr.kind != FRAME_NO_MEMORY);
        if (fr.kind == FRAME_NONE && !room) {
            CHECK(in.len == 0); /* held back, or there was nothing left */
            memset(buf, 0, n); /* the server reuses its read buffer: held bytes are a copy */
            room = true;
            continue;
        }
        if (fr.kind == FRAME_NONE) {
            CHECK(in.len == 0);
            CHECK(!intake_holds(&p->intake)); /* held bytes are freed once framed */
            if (p->intake.framer.len == 0) /* an idle connection holds no input memory */
                CHECK(p->intake.framer.partial == NULL);
            break;
        }
        take_frame(p, &fr, buf, n);
        room = !(p->rng && next_random(p->rng) % 4 == 0);
    }
    free(buf); /* the intake must keep nothing that points into it */
}

enum chunking { CHUNKS_RANDOM, CHUNKS_WHOLE, CHUNKS_BYTES };
#define BYTES_PASS_MAX 1024 /* longest stream also fed one byte at a time */

static size_t random_chunk(uint64_t *rng, size_t max_line)
{
    uint64_t x = next_random(rng);
    size_t r = (size_t)(x >> 8);
    switch (x & 7) {
    case 0: return 0; /* an empty read */
    case 1:
    case 2: return 1 + r % 4;
    case 3:
    case 4: return 1 + r % (max_line + 2);
    case 5: return max_line + r % 3 - (max_line > 1 && (r & 4) ? 1 : 0); /* around the limit */
    default: return 1 + r % 2048;
    }
}

static void run_pass(const struct reference *ref, size_t max_line, enum chunking chunking,
                     uint64_t *rng, struct replies *replies)
{
    struct pass p = {.ref = ref, .replies = replies, .rng = chunking == CHUNKS_RANDOM ? rng : NULL};
    intake_init(&p.intake, max_line);
    const char *s = ref->stream;
    size_t n = ref->stream_len, off = 0;
    while (off < n) {
        size_t k = chunking == CHUNKS_WHOLE   ? n
                   : chunking == CHUNKS_BYTES ? 1
                                              : random_chunk(rng, max_line);
        if (k > n - off)
            k = n - off;
        feed(&p, s + off, k);
        off += k;
    }
    CHECK(p.next == ref->n); /* every reference frame came out */
    intake_free(&p.intake);
    CHECK(p.intake.framer.partial == NULL);
}

/*** entry points ***/

static size_t pick_max_line(uint8_t selector)
{
    static const size_t larger[] = {255, 256, 257, 511, 512, 1024, 2048, 4095};
    if (selector < 0xf0)
        return (size_t)selector + 1; /* 1 ... 240: the too-long path is common */
    if (selector < 0xf8)
        return larger[selector - 0xf0];
    return 4096; /* the servers' default */
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    guard_init();
    for (int r = REASON_NONE; r < REASON_COUNT; r++) {
        const char *name = reason_name((enum reason)r);
        CHECK(name != NULL && name[0] != '\0' && strpbrk(name, "\"\\\n") == NULL);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t max_line = pick_max_line(data[0]);
    struct reference ref;
    reference_split((const char *)data + 1, size - 1, max_line, &ref);

    uint64_t rng = ((data[0] + 1u) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)size << 1) | 1;
    struct replies replies;
    replies_init(&replies, next_random(&rng));
    run_pass(&ref, max_line, CHUNKS_RANDOM, &rng, &replies);
    replies_finish(&replies, ref.n + 1); /* one per frame, after the refusal line */
    run_pass(&ref, max_line, CHUNKS_WHOLE, &rng, NULL);
    if (size - 1 <= BYTES_PASS_MAX) /* a malloc per byte: costly on long streams */
        run_pass(&ref, max_line, CHUNKS_BYTES, &rng, NULL);
    free(ref.frames);
    return 0;
}
