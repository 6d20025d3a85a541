#include "striped.h"

bool striped_init(struct striped_balances *sb)
{
    for (size_t i = 0; i < STRIPES; i++) {
        struct stripe *st = &sb->stripes[i];
        st->balances = balances_new();
        if (!st->balances)
            return false;
        pthread_rwlock_init(&st->lock, NULL);
    }
    return true;
}

void striped_destroy(struct striped_balances *sb)
{
    for (size_t i = 0; i < STRIPES; i++) {
        pthread_rwlock_destroy(&sb->stripes[i].lock);
        balances_free(sb->stripes[i].balances);
    }
}

/* FNV-1a: short keys, cheap, and spreads them well enough over 64 stripes. */
size_t striped_index(const char *user, size_t user_len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < user_len; i++) {
        h ^= (unsigned char)user[i];
        h *= 16777619u;
    }
    return h & (STRIPES - 1);
}

enum apply_result striped_apply(struct striped_balances *sb, const char *user, size_t user_len,
                                int64_t delta, int64_t *balance)
{
    struct stripe *st = &sb->stripes[striped_index(user, user_len)];
    pthread_rwlock_wrlock(&st->lock);
    enum apply_result result = balances_apply(st->balances, user, user_len, delta, balance);
    pthread_rwlock_unlock(&st->lock);
    return result;
}

int64_t striped_get(struct striped_balances *sb, const char *user, size_t user_len)
{
    struct stripe *st = &sb->stripes[striped_index(user, user_len)];
    pthread_rwlock_rdlock(&st->lock);
    int64_t balance = balances_get(st->balances, user, user_len);
    pthread_rwlock_unlock(&st->lock);
    return balance;
}
