/* malloc and calloc that fail on demand, for a test linked with
 * -Wl,--wrap=malloc,--wrap=calloc: every such call of the code linked into
 * it goes through here. */
#ifndef TESTS_UNIT_FAILING_MALLOC_H
#define TESTS_UNIT_FAILING_MALLOC_H

/* The next n allocations succeed, then every one fails; -1: none fails. */
void fail_mallocs_after(int n);

#endif
