#include "zipf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

bool dist_parse(const char *text, enum dist_kind *kind, double *s)
{
    if (strcmp(text, "uniform") == 0) {
        *kind = DIST_UNIFORM;
        *s = 0;
        return true;
    }
    if (strncmp(text, "zipf:", 5) != 0)
        return false;
    char *end;
    double v = strtod(text + 5, &end);
    if (end == text + 5 || *end != '\0' || !(v > 0 && v <= ZIPF_S_MAX))
        return false;
    *kind = DIST_ZIPF;
    *s = v;
    return true;
}

bool sampler_init(struct sampler *smp, enum dist_kind kind, double s, uint32_t users)
{
    *smp = (struct sampler){.kind = kind, .users = users, .s = s};
    if (kind == DIST_UNIFORM)
        return true;
    smp->cdf = malloc(sizeof *smp->cdf * users);
    if (!smp->cdf)
        return false;
    double total = 0;
    for (uint32_t k = 1; k <= users; k++)
        total += pow((double)k, -s);
    double acc = 0;
    for (uint32_t k = 1; k <= users; k++) {
        acc += pow((double)k, -s);
        double scaled = acc / total * 18446744073709551616.0; /* 2^64 */
        smp->cdf[k - 1] = scaled >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)scaled;
    }
    smp->cdf[users - 1] = UINT64_MAX; /* the last user takes whatever rounding left */
    return true;
}

void sampler_free(struct sampler *smp)
{
    free(smp->cdf);
    smp->cdf = NULL;
}

double sampler_probability(const struct sampler *smp, uint32_t i)
{
    if (smp->kind == DIST_UNIFORM)
        return 1.0 / smp->users;
    double total = 0;
    for (uint32_t k = 1; k <= smp->users; k++)
        total += pow((double)k, -smp->s);
    return pow((double)(i + 1), -smp->s) / total;
}
