/* Lines of the protocol (docs/PROTOCOL.md) that the tests send and expect,
 * without their '\n'. */
#ifndef TESTS_HARNESS_PROTOCOL_H
#define TESTS_HARNESS_PROTOCOL_H

#define REPLY_ACCEPTED       "{\"status\":\"accepted\"}"
#define REPLY_SERVER_BUSY    "{\"status\":\"rejected\",\"reason\":\"server_busy\"}"
#define REPLY_SHUTTING_DOWN  "{\"status\":\"rejected\",\"reason\":\"shutting_down\"}"
#define REPLY_TOO_MANY_CONNS "{\"status\":\"rejected\",\"reason\":\"too_many_connections\"}"
#define REPLY_INVALID_JSON   "{\"status\":\"error\",\"reason\":\"invalid_json\"}"
#define REPLY_INVALID_EVENT  "{\"status\":\"error\",\"reason\":\"invalid_event\"}"
#define REPLY_UNKNOWN_TYPE   "{\"status\":\"error\",\"reason\":\"unknown_type\"}"
#define REPLY_LINE_TOO_LONG  "{\"status\":\"error\",\"reason\":\"line_too_long\"}"

/* A command no stage knows: every parsing stage (03-10) answers it with
 * REPLY_UNKNOWN_TYPE, whatever it holds. */
#define REQUEST_UNKNOWN_TYPE "{\"type\":\"x\"}"

/* Balance queries (stages 07-10); user is a JSON value, balance a number,
 * both as text. */
#define BALANCE_QUERY(user)          "{\"type\":\"balance\",\"user\":" user "}"
#define BALANCE_REPLY(user, balance) "{\"status\":\"ok\",\"user\":" user ",\"balance\":" balance "}"

#endif
