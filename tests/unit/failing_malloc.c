#include "failing_malloc.h"

#include <stddef.h>

static int succeeding = -1; /* allocations left to succeed; -1: all */

void fail_mallocs_after(int n)
{
    succeeding = n;
}

void *__real_malloc(size_t n);
void *__wrap_malloc(size_t n);

void *__wrap_malloc(size_t n)
{
    if (succeeding == 0)
        return NULL;
    if (succeeding > 0)
        succeeding--;
    return __real_malloc(n);
}
