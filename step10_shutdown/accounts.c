#include "accounts.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <urcu/urcu-memb.h> /* the flavour: see README.md */
#include <urcu/rculfhash.h>

/* ThreadSanitizer cannot see the ordering the table gives: liburcu is not
 * instrumented, so a node published by one thread (a release inside
 * cds_lfht_add_unique) and found by another (an acquire inside the lookup)
 * would look like a race on the node's fields. These two annotations tell it
 * what liburcu guarantees; in other builds they are nothing. */
#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifdef UNDER_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define tsan_published(node) __tsan_release(node)
#define tsan_found(node)     __tsan_acquire(node)
#else
#define tsan_published(node) ((void)0)
#define tsan_found(node)     ((void)0)
#endif

struct account {
    struct cds_lfht_node node;
    struct rcu_head rcu; /* for freeing after the last reader has left */
    _Atomic int64_t balance;
    size_t user_len;
    char user[]; /* copied once, when the user is first seen */
};

struct key {
    const char *user;
    size_t len;
};

bool accounts_init(struct accounts *a)
{
    a->table = cds_lfht_new_flavor(1024, 1024, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
                                   &urcu_memb_flavor, NULL);
    return a->table != NULL;
}

static void free_account(struct rcu_head *head)
{
    free(caa_container_of(head, struct account, rcu));
}

void accounts_destroy(struct accounts *a)
{
    struct cds_lfht_iter iter;
    struct account *acct;
    urcu_memb_read_lock();
    cds_lfht_for_each_entry(a->table, &iter, acct, node)
    {
        if (cds_lfht_del(a->table, &acct->node) == 0)
            urcu_memb_call_rcu(&acct->rcu, free_account);
    }
    urcu_memb_read_unlock();
    cds_lfht_destroy(a->table, NULL); /* empty now, as it must be */
    urcu_memb_barrier(); /* every free_account has run */
    a->table = NULL;
}

/* FNV-1a, 64 bits. */
static unsigned long hash_user(const char *user, size_t len)
{
    uint64_t h = 14695981039346656037u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)user[i];
        h *= 1099511628211u;
    }
    return (unsigned long)h;
}

static int match(struct cds_lfht_node *node, const void *k)
{
    struct account *acct = caa_container_of(node, struct account, node);
    const struct key *key = k;
    tsan_found(acct);
    return acct->user_len == key->len && memcmp(acct->user, key->user, key->len) == 0;
}

/* Must run inside an RCU read-side critical section; so must any use of the result. */
static struct account *lookup(struct accounts *a, const struct key *key, unsigned long hash)
{
    struct cds_lfht_iter iter;
    cds_lfht_lookup(a->table, hash, match, key, &iter);
    struct cds_lfht_node *node = cds_lfht_iter_get_node(&iter);
    return node ? caa_container_of(node, struct account, node) : NULL;
}

/* The user's entry, inserted if need be; NULL if there is no memory for it.
 * Inside a read-side critical section. */
static struct account *find_or_add(struct accounts *a, const struct key *key, unsigned long hash)
{
    struct account *acct = lookup(a, key, hash);
    if (acct)
        return acct;
    struct account *fresh = malloc(sizeof *fresh + key->len);
    if (!fresh)
        return NULL;
    cds_lfht_node_init(&fresh->node);
    atomic_init(&fresh->balance, 0);
    fresh->user_len = key->len;
    memcpy(fresh->user, key->user, key->len);
    tsan_published(fresh);
    struct cds_lfht_node *winner = cds_lfht_add_unique(a->table, hash, match, key, &fresh->node);
    if (winner != &fresh->node) { /* another thread added this user first */
        free(fresh); /* never published: nobody else can see it */
        return caa_container_of(winner, struct account, node);
    }
    return fresh;
}

enum apply_result accounts_apply(struct accounts *a, const char *user, size_t user_len,
                                 int64_t delta, int64_t *balance)
{
    struct key key = {user, user_len};
    enum apply_result result = APPLY_DONE;
    urcu_memb_read_lock();
    struct account *acct = find_or_add(a, &key, hash_user(user, user_len));
    if (!acct) {
        urcu_memb_read_unlock();
        return APPLY_NO_MEMORY;
    }
    int64_t old = atomic_load_explicit(&acct->balance, memory_order_relaxed), now;
    do {
        if (__builtin_add_overflow(old, delta, &now)) {
            result = APPLY_OVERFLOW;
            break;
        }
    } while (!atomic_compare_exchange_weak_explicit(&acct->balance, &old, now, memory_order_relaxed,
                                                    memory_order_relaxed));
    urcu_memb_read_unlock();
    if (result == APPLY_DONE)
        *balance = now;
    return result;
}

int64_t accounts_get(struct accounts *a, const char *user, size_t user_len)
{
    struct key key = {user, user_len};
    urcu_memb_read_lock();
    struct account *acct = lookup(a, &key, hash_user(user, user_len));
    int64_t balance = acct ? atomic_load_explicit(&acct->balance, memory_order_relaxed) : 0;
    urcu_memb_read_unlock();
    return balance;
}
