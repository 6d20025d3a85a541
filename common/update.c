#include "update.h"

#include <inttypes.h>

#include "log.h"

void log_update(enum apply_result result, const char *user, size_t user_len, int64_t balance)
{
    switch (result) {
    case APPLY_DONE:
        log_debug("balance of '%.*s' is now %" PRId64, (int)user_len, user, balance);
        break;
    case APPLY_OVERFLOW:
        log_warn("event not applied: the balance of '%.*s' would overflow", (int)user_len, user);
        break;
    case APPLY_NO_MEMORY:
        log_error("accepted event lost: no memory for the account of '%.*s'", (int)user_len, user);
        break;
    }
}
