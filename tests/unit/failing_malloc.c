#include "failing_malloc.h"

#include <stdbool.h>
#include <stddef.h>

static int succeeding = -1; /* allocations left to succeed; -1: all */

void fail_mallocs_after(int n)
{
    succeeding = n;
}

static bool allocation_fails(void)
{
    if (succeeding == 0)
        return true;
    if (succeeding > 0)
        succeeding--;
    return false;
}

void *__real_malloc(size_t n);
void *__real_calloc(size_t count, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t count, size_t n);

void *__wrap_malloc(size_t n)
{
    return allocation_fails() ? NULL : __real_malloc(n);
}

/* The compilers turn malloc and a memset to zero into calloc. */
void *__wrap_calloc(size_t count, size_t n)
{
    return allocation_fails() ? NULL : __real_calloc(count, n);
}
