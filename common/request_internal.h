/* The two ways request_parse reads a line, exposed only so that the unit tests
 * and the differential fuzzer can call each on its own. Not part of the API. */
#ifndef COMMON_REQUEST_INTERNAL_H
#define COMMON_REQUEST_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "request.h"

/* The fast path: true, with *req filled in exactly as request_parse_cjson
 * would fill it, if line[0 .. len) is an event of the common shape
 * {"user":"...","action":"buy"|"sell","amount":N}; false (with *req
 * unspecified) for anything else. Reads only line[0 .. len), never writes it. */
bool request_parse_fast(const char *line, size_t len, struct request *req);

/* The general path through cJSON: every line, any shape. Same contract as
 * request_parse. */
void request_parse_cjson(char *line, size_t len, struct request *req);

#endif
