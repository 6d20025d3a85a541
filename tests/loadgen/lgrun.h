/* loadgen as a child process of a test: run it with a bounded time, then
 * read its exit code and its --json report. For the tests that drive the
 * real binary against servers (test_lg_cli, test_lg_stages). */
#ifndef TESTS_LOADGEN_LGRUN_H
#define TESTS_LOADGEN_LGRUN_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#define LGRUN_TIMEOUT_MS 30000 /* loadgen is killed, and the test fails, after this */

struct lg_outcome {
    int exit_code; /* loadgen's exit code */
    cJSON *json; /* its --json report, or NULL if it wrote none */
    char out_path[64]; /* its stdout and stderr */
};

/* Runs BIN_DIR/loadgen with args (NULL-terminated) and "--json FILE". */
void lgrun(struct lg_outcome *out, const char *const *args);
#define LGRUN(out, ...) lgrun(out, (const char *const[]){__VA_ARGS__, NULL})

/* Fails the test, showing loadgen's output, unless it exited with code. */
void lgrun_expect_exit(const struct lg_outcome *out, int code);

/* A number or a boolean of the report at a dotted path ("requests.replies",
 * "verify.end.users_checked"); fails the test if there is none. */
double lgrun_num(const struct lg_outcome *out, const char *path);
bool lgrun_bool(const struct lg_outcome *out, const char *path);

/* What loadgen wrote on stdout and stderr, into buf (NUL-terminated); its length. */
size_t lgrun_output(const struct lg_outcome *out, char *buf, size_t len);

void lgrun_free(struct lg_outcome *out);

/* "127.0.0.1:PORT" in buf (>= 32 bytes). */
const char *lgrun_target(char *buf, int port);
/* A loopback port that nothing listens on (it was free a moment ago). */
int lgrun_closed_port(void);

#endif
