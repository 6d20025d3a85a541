/* Test harness for the integration tests: start a server binary, talk to it
 * over TCP, stop it. Every wait is bounded and done with poll(); nothing
 * sleeps to synchronise. The one header the tests include; each part has a
 * header of its own:
 *
 *   harness_common.h     timeouts, and how failures name the test's line
 *   harness_protocol.h   the lines of the protocol the tests send and expect
 *   harness_server.h     server processes: start, stop, their log, CPU, memory
 *   harness_client.h     TCP clients: send, read lines, flood
 *   harness_scenarios.h  connection scenarios: clients that never read
 *   harness_events.h     events, their replies, metrics, balances (05-10)
 *   harness_suite.h      test cases, the tests stages share, running a suite
 *
 * A failure fails the test through Check, naming the test's line that called
 * the helper, so these helpers belong in the test's own thread. A server
 * started here never outlives the test process: it gets SIGKILL when the test
 * process dies (PR_SET_PDEATHSIG), which is how a failed or timed-out test
 * ends in Check's fork mode. The log of each server is named on stderr at
 * start, and kept when its test fails. */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include "harness_client.h"
#include "harness_common.h"
#include "harness_events.h"
#include "harness_protocol.h"
#include "harness_scenarios.h"
#include "harness_server.h"
#include "harness_suite.h"

#endif
