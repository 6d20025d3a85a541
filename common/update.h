/* The outcome of applying an event to a user's balance: the same in every
 * stage's state (a map, a striped map, an RCU table), and logged alike. */
#ifndef COMMON_UPDATE_H
#define COMMON_UPDATE_H

#include <stddef.h>
#include <stdint.h>

enum apply_result {
    APPLY_DONE, /* applied: the new balance is known */
    APPLY_OVERFLOW, /* refused, nothing changed: the sum would leave the int64_t range */
    APPLY_NO_MEMORY, /* refused, nothing changed: no memory for a new user's entry */
};

/* Logs what became of an event a worker applied: the new balance (debug),
 * an overflow (warn), or an accepted event lost for want of memory (error). */
void log_update(enum apply_result result, const char *user, size_t user_len, int64_t balance);

#endif
