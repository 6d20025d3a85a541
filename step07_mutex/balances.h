/* The state: every user's balance, in memory. It takes no lock itself: the
 * threads that share it hold a lock of theirs around every call. */
#ifndef BALANCES_H
#define BALANCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "update.h"

struct balances; /* user -> signed 64-bit balance; unknown users have 0 */

struct balances *balances_new(void);
void balances_free(struct balances *b);

/* Adds delta to user's balance and stores the result in *balance. */
enum apply_result balances_apply(struct balances *b, const char *user, size_t user_len,
                                 int64_t delta, int64_t *balance);
/* The user's balance: 0 for a user never seen. */
int64_t balances_get(const struct balances *b, const char *user, size_t user_len);

#endif
