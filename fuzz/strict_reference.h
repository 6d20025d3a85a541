/* An RFC 8259 recognizer for the fuzzer, written apart from common/json_strict.c
 * and another way (a state machine with an explicit stack, not recursive
 * descent), so that the two can be held against each other. */
#ifndef FUZZ_STRICT_REFERENCE_H
#define FUZZ_STRICT_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>

/* Whether text[0 .. n) is one JSON text (RFC 8259), nesting at most depth_max. */
bool reference_is_json(const char *text, size_t n, int depth_max);

#endif
