#include "framer.h"

#include <stdlib.h>
#include <string.h>

#define PARTIAL_MIN_CAP 256

void framer_init(struct framer *f, size_t max_line)
{
    *f = (struct framer){.max_line = max_line};
}

static void release_idle_memory(struct framer *f);

void framer_free(struct framer *f)
{
    free(f->partial);
    f->partial = NULL;
    f->len = f->cap = 0;
}

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    }
    return true;
}

/* Appends n bytes to the unfinished line, keeping room for a NUL. */
static bool keep(struct framer *f, const char *data, size_t n)
{
    size_t need = f->len + n + 1; /* never more than max_line + 1 */
    if (need > f->cap) {
        size_t cap = f->cap ? f->cap * 2 : PARTIAL_MIN_CAP;
        if (cap > f->max_line + 1)
            cap = f->max_line + 1;
        if (cap < need)
            cap = need;
        char *p = realloc(f->partial, cap);
        if (!p)
            return false;
        f->partial = p;
        f->cap = cap;
    }
    memcpy(f->partial + f->len, data, n);
    f->len += n;
    return true;
}

static void advance(struct chunk *in, size_t n)
{
    in->data += n;
    in->len -= n;
}

struct frame framer_next(struct framer *f, struct chunk *in)
{
    while (in->len > 0) {
        if (f->discarding) {
            char *nl = memchr(in->data, '\n', in->len);
            if (!nl) {
                advance(in, in->len);
                break;
            }
            advance(in, (size_t)(nl - in->data) + 1);
            f->discarding = false;
            continue;
        }

        /* The '\n' may come at most max_line bytes after the line's start. */
        size_t room = f->max_line - f->len;
        size_t scan = in->len < room + 1 ? in->len : room + 1;
        char *nl = memchr(in->data, '\n', scan);
        if (!nl) {
            if (in->len > room) { /* max_line + 1 bytes and still no '\n' */
                advance(in, scan);
                f->len = 0;
                f->discarding = true;
                return (struct frame){.kind = FRAME_TOO_LONG};
            }
            bool kept = keep(f, in->data, in->len);
            advance(in, in->len);
            if (!kept)
                return (struct frame){.kind = FRAME_NO_MEMORY};
            break;
        }

        size_t n = (size_t)(nl - in->data);
        char *line;
        size_t len;
        if (f->len == 0) { /* the whole line is in this chunk: hand it out in place */
            line = in->data;
            len = n;
        } else { /* the end of a line begun in an earlier chunk */
            if (!keep(f, in->data, n)) {
                advance(in, n + 1);
                f->len = 0;
                return (struct frame){.kind = FRAME_NO_MEMORY};
            }
            line = f->partial;
            len = f->len;
            f->len = 0;
        }
        advance(in, n + 1);
        if (len > 0 && line[len - 1] == '\r')
            len--;
        line[len] = '\0';
        if (!is_blank(line, len))
            return (struct frame){.kind = FRAME_LINE, .line = line, .len = len};
    }
    release_idle_memory(f);
    return (struct frame){.kind = FRAME_NONE};
}

/* An idle connection holds no input memory: no buffer for a line that is not
 * begun. */
static void release_idle_memory(struct framer *f)
{
    if (f->len == 0 && f->partial) {
        free(f->partial);
        f->partial = NULL;
        f->cap = 0;
    }
}
