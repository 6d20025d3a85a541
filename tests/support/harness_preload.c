/* Starting a server with a library of the harness preloaded into it. */
#include "harness_internal.h"

#include <stdio.h>
#include <stdlib.h>

#define MAX_ENV 16

void server_start_preloaded(struct server *srv, const char *name, const char *library,
                            const char *const *env, const char *const *args)
{
    char preload[512], asan[512];
    const char *asan_was = getenv("ASAN_OPTIONS");
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", library);
    /* The preloaded library comes before the AddressSanitizer runtime. */
    snprintf(asan, sizeof asan, "ASAN_OPTIONS=%s%sverify_asan_link_order=0",
             asan_was ? asan_was : "", asan_was ? ":" : "");
    const char *all[MAX_ENV] = {preload, asan};
    size_t n = 2;
    for (; env && *env; env++) {
        require(n < MAX_ENV - 1, "too many environment variables");
        all[n++] = *env;
    }
    all[n] = NULL;
    server_start_env(srv, name, all, args);
}
