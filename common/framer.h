/* The line framer: turns the bytes of a stream into request lines.
 *
 * Complete lines are handed out in place, inside the caller's input chunk,
 * with no copy; only a line split across reads is copied into the framer's
 * own buffer, which exists only while such a line is unfinished and never
 * holds more than max_line + 1 bytes. */
#ifndef COMMON_FRAMER_H
#define COMMON_FRAMER_H

#include <stdbool.h>
#include <stddef.h>

struct framer {
    char *partial; /* the unfinished line; NULL when there is none */
    size_t len; /* its bytes so far */
    size_t cap; /* bytes allocated for it */
    size_t max_line; /* most bytes before '\n', a '\r' included */
    bool discarding; /* inside an over-long line: drop bytes up to the next '\n' */
};

/* Bytes read from a socket and not yet framed. Writable: lines are
 * NUL-terminated in place. */
struct chunk {
    char *data;
    size_t len;
};

enum frame_kind {
    FRAME_NONE, /* the chunk is used up; an unfinished line is kept */
    FRAME_LINE, /* a complete, non-blank line */
    FRAME_TOO_LONG, /* a line passed max_line: reported once, the rest of it is dropped */
    FRAME_NO_MEMORY /* the unfinished line could not be kept */
};

struct frame {
    enum frame_kind kind;
    char *line; /* FRAME_LINE: NUL-terminated, '\n' and one trailing '\r' removed */
    size_t len; /* valid until the next framer call */
};

void framer_init(struct framer *f, size_t max_line);
void framer_free(struct framer *f);

/* Takes bytes from in, advancing it, up to the next frame. Blank lines (only
 * spaces, tabs and '\r') are skipped. Call until it returns FRAME_NONE. */
struct frame framer_next(struct framer *f, struct chunk *in);

#endif
