#include "reason.h"

#define REASON_NAME_ITEM(id, name) [id] = name,
static const char *const reason_names[REASON_COUNT] = {REASONS(REASON_NAME_ITEM)};

const char *reason_name(enum reason reason)
{
    return reason_names[reason];
}
