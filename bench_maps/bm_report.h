/* The results: a table for people, or every figure as JSON. */
#ifndef BENCH_MAPS_REPORT_H
#define BENCH_MAPS_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "bm_main.h"

void bm_report_table(FILE *out, const struct bm_results *res);

/* The JSON report to out; false if memory ran out or it could not be written. */
bool bm_report_json(FILE *out, const struct bm_results *res);

#endif
