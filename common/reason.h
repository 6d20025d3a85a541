/* The reasons of error and rejected replies, each with the name the reply
 * carries (docs/PROTOCOL.md). One list makes both the enum and the names, so
 * a reason cannot be added without its name. */
#ifndef COMMON_REASON_H
#define COMMON_REASON_H

#define REASONS(X)                                                                                 \
    X(REASON_NONE, "none")                                                                         \
    X(REASON_INVALID_JSON, "invalid_json")                                                         \
    X(REASON_INVALID_EVENT, "invalid_event")                                                       \
    X(REASON_UNKNOWN_TYPE, "unknown_type")                                                         \
    X(REASON_LINE_TOO_LONG, "line_too_long")                                                       \
    X(REASON_OVERFLOW, "overflow")                                                                 \
    X(REASON_SERVER_BUSY, "server_busy")                                                           \
    X(REASON_SHUTTING_DOWN, "shutting_down")                                                       \
    X(REASON_TOO_MANY_CONNECTIONS, "too_many_connections")

#define REASON_ENUM_ITEM(id, name) id,
enum reason { REASONS(REASON_ENUM_ITEM) REASON_COUNT };
#undef REASON_ENUM_ITEM

/* The name a reply carries: "invalid_json", ... */
const char *reason_name(enum reason reason);

#endif
