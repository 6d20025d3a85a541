/* step08_rwlock: step07 with the balances in 64 stripes, each behind a
 * read/write lock. What it answers is tested as for stages 07, 09 and 10
 * (the harness's shared balance tests); here, the stripes. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define SERVER  "step08_rwlock"
#define T       HARNESS_REPLY_TIMEOUT_MS
#define HELD_MS 300 /* how long the test looks for a reply that must not come */
#define STRIPES 64

/* The stripe of a user, as striped.c picks it: FNV-1a of the name. */
static unsigned stripe_of(const char *user)
{
    uint32_t h = 2166136261u;
    for (const char *p = user; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 16777619u;
    }
    return h & (STRIPES - 1);
}

/* A user "user-N" whose stripe is (same) or is not (!same) user's. */
static void user_by_stripe(const char *user, bool same, char *buf, size_t cap)
{
    for (int i = 0; i < 100 * STRIPES; i++) {
        snprintf(buf, cap, "user-%d", i);
        if ((stripe_of(buf) == stripe_of(user)) == same)
            return;
    }
    ck_abort_msg("no user %s the stripe of %s", same ? "in" : "outside", user);
}

/* Sends line and expects reply, both formatted with user. */
static void expect_for_user(struct client *c, const char *line_fmt, const char *reply_fmt,
                            const char *user)
{
    char line[128], reply[128];
    snprintf(line, sizeof line, line_fmt, user);
    snprintf(reply, sizeof reply, reply_fmt, user);
    client_expect_reply(c, line, reply);
}

#define EVENT_FMT(amount) "{\"user\":\"%s\",\"action\":\"buy\",\"amount\":" amount "}"

/* A worker holds the write lock of 'held''s stripe (hold_lock.c keeps it
 * there). Meanwhile a balance query on another stripe is answered, and the
 * other worker applies an update on another stripe; only a query on the
 * held stripe waits, until the writer lets go. With one lock for the whole
 * map, as in stage 07, the first query would wait too. */
START_TEST(test_a_held_stripe_holds_up_only_its_users)
{
    static const char *const args[] = {"--log-level", "debug", "--workers", "2", NULL};
    char elsewhere[32], alongside[32], applied[96];
    user_by_stripe("held", false, elsewhere, sizeof elsewhere);
    user_by_stripe("held", true, alongside, sizeof alongside);
    struct server srv;
    struct lock_hold hold;
    struct client c;
    server_start_holding(&srv, &hold, SERVER, "HOLD_WRITE_LOCK=worker", args);
    client_connect(&c, srv.port);

    expect_for_user(&c, EVENT_FMT("5"), REPLY_ACCEPTED, "held");
    lock_hold_wait(&srv);
    expect_for_user(&c, BALANCE_QUERY("\"%s\""), BALANCE_REPLY("\"%s\"", "0"), elsewhere);
    expect_for_user(&c, EVENT_FMT("3"), REPLY_ACCEPTED, elsewhere);
    snprintf(applied, sizeof applied, "balance of '%s' is now 3", elsewhere);
    server_wait_log(&srv, applied, T);
    expect_for_user(&c, BALANCE_QUERY("\"%s\""), BALANCE_REPLY("\"%s\"", "3"), elsewhere);

    char query[96], reply[128];
    snprintf(query, sizeof query, BALANCE_QUERY("\"%s\"") "\n", alongside);
    client_send_str(&c, query);
    client_expect_silence(&c, HELD_MS);
    lock_hold_release(&hold);
    snprintf(reply, sizeof reply, BALANCE_REPLY("\"%s\"", "0"), alongside);
    client_expect_line(&c, reply, T);
    expect_for_user(&c, BALANCE_QUERY("\"%s\""), BALANCE_REPLY("\"%s\"", "5"), "held");

    client_close(&c);
    server_stop(&srv);
}
END_TEST

/* Commands of later stages, unknown here. */
static const char *const later_commands[] = {"{\"type\":\"metrics\"}", "{\"type\":\"health\"}",
                                             NULL};

static const struct harness_balance_stage stage = {
    .server = SERVER,
    .unknown_commands = later_commands,
};

static Suite *step08_suite(void)
{
    Suite *s = suite_create(SERVER);
    TCase *tc = harness_tcase("rwlock");
    harness_add_line_tests(tc, SERVER, HARNESS_JSON);
    harness_add_shared_tests(tc, SERVER, HARNESS_JSON);
    harness_add_background_threads_test(tc, SERVER, "worker");
    harness_add_balance_tests(tc, &stage);
    tcase_add_test(tc, test_a_held_stripe_holds_up_only_its_users);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return harness_run(step08_suite());
}
