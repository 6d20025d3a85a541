/* The balances split into stripes, each behind its own read/write lock.
 *
 * A user always lands in the same stripe (by a hash of the name). Readers of
 * a stripe share its lock; a writer has it alone. Two updates to users in
 * different stripes do not wait for each other, and readers never wait for
 * readers. */
#ifndef STRIPED_H
#define STRIPED_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "balances.h"

#define STRIPES 64 /* a power of two */

struct stripe {
    _Alignas(64) pthread_rwlock_t lock; /* one cache line each: no false sharing */
    struct balances *balances;
};

struct striped_balances {
    struct stripe stripes[STRIPES];
};

bool striped_init(struct striped_balances *sb);
void striped_destroy(struct striped_balances *sb);

/* The stripe a user belongs to. */
size_t striped_index(const char *user, size_t user_len);

/* balances_apply under the stripe's write lock. */
enum apply_result striped_apply(struct striped_balances *sb, const char *user, size_t user_len,
                                int64_t delta, int64_t *balance);
/* balances_get under the stripe's read lock. */
int64_t striped_get(struct striped_balances *sb, const char *user, size_t user_len);

#endif
