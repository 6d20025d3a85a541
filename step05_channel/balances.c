#include "balances.h"

#include <stdlib.h>
#include <string.h>

/* A table that cannot grow does not exit: the add fails, and says so by
 * leaving the entry's hh.tbl NULL. */
#define HASH_NONFATAL_OOM 1
#include <uthash.h>

struct account {
    UT_hash_handle hh;
    int64_t balance;
    size_t user_len;
    char user[]; /* copied once, when the user is first seen */
};

struct balances {
    struct account *accounts; /* a uthash table */
};

struct balances *balances_new(void)
{
    return calloc(1, sizeof(struct balances));
}

void balances_free(struct balances *b)
{
    struct account *a, *tmp;
    HASH_ITER(hh, b->accounts, a, tmp)
    {
        HASH_DEL(b->accounts, a);
        free(a);
    }
    free(b);
}

enum apply_result balances_apply(struct balances *b, const char *user, size_t user_len,
                                 int64_t delta, int64_t *balance)
{
    struct account *a;
    HASH_FIND(hh, b->accounts, user, user_len, a);
    int64_t now = a ? a->balance : 0;
    if (__builtin_add_overflow(now, delta, &now))
        return APPLY_OVERFLOW;
    if (!a) {
        a = malloc(sizeof *a + user_len);
        if (!a)
            return APPLY_NO_MEMORY;
        a->user_len = user_len;
        memcpy(a->user, user, user_len);
        HASH_ADD_KEYPTR(hh, b->accounts, a->user, a->user_len, a);
        if (!a->hh.tbl) {
            free(a);
            return APPLY_NO_MEMORY;
        }
    }
    a->balance = now;
    *balance = now;
    return APPLY_DONE;
}
