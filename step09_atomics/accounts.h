/* Every user's balance in an RCU lock-free hash table (liburcu's cds_lfht).
 *
 * Readers and writers take no lock: a lookup runs inside an RCU read-side
 * critical section, and a balance is a C11 atomic changed with
 * compare-and-swap. A new user is inserted with cds_lfht_add_unique; the
 * loser of an insert race uses the winner's entry. Every thread that calls
 * these must be registered with RCU (urcu_memb_register_thread). */
#ifndef ACCOUNTS_H
#define ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "update.h"

struct cds_lfht;

struct accounts {
    struct cds_lfht *table;
};

bool accounts_init(struct accounts *a);
/* Removes and frees every entry, then the table. No thread may use it any
 * more; the calling thread must be registered with RCU. */
void accounts_destroy(struct accounts *a);

/* Adds delta to user's balance and stores the result in *balance. */
enum apply_result accounts_apply(struct accounts *a, const char *user, size_t user_len,
                                 int64_t delta, int64_t *balance);
/* The user's balance: 0 for a user never seen. */
int64_t accounts_get(struct accounts *a, const char *user, size_t user_len);

#endif
