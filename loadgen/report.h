/* The results: a short human summary on stdout, and every figure as JSON;
 * both printed from one list of figures (figures.h). */
#ifndef LOADGEN_REPORT_H
#define LOADGEN_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "figures.h"

void report_human(FILE *out, const struct figures *f);
/* False (with a message) if the file cannot be written. */
bool report_json(const char *path, const struct figures *f);

/* "850ns", "12.3us", "1.85ms", "2.04s". */
void lg_format_ns(char *buf, size_t len, uint64_t ns);

#endif
