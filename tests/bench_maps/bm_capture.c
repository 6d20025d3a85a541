#include "bm_capture.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bm_main.h"

const struct map_design *const stage_designs[3] = {&design_mutex, &design_striped, &design_rcu};

/* Points fd at a new temporary file; returns a descriptor of what it was. */
static int redirect(int fd, FILE *tmp)
{
    int saved = dup(fd);
    ck_assert_msg(saved >= 0 && dup2(fileno(tmp), fd) == fd, "redirect: %s", strerror(errno));
    return saved;
}

static void restore(int fd, int saved)
{
    ck_assert(dup2(saved, fd) == fd);
    close(saved);
}

static char *contents(FILE *tmp)
{
    ck_assert(fseek(tmp, 0, SEEK_END) == 0);
    long size = ftell(tmp);
    ck_assert(size >= 0 && fseek(tmp, 0, SEEK_SET) == 0);
    char *text = malloc((size_t)size + 1);
    ck_assert_ptr_nonnull(text);
    text[fread(text, 1, (size_t)size, tmp)] = '\0';
    fclose(tmp);
    return text;
}

void bm_capture(struct bm_outcome *o, const struct map_design *const *designs, size_t n,
                const char *const *args)
{
    char *argv[64];
    int argc = 0;
    argv[argc++] = (char *)"bench_maps";
    for (; *args; args++) {
        ck_assert_int_lt(argc, 63);
        argv[argc++] = (char *)*args;
    }
    argv[argc] = NULL;
    FILE *out = tmpfile(), *err = tmpfile();
    ck_assert_msg(out && err, "tmpfile: %s", strerror(errno));
    fflush(NULL);
    int saved_out = redirect(STDOUT_FILENO, out), saved_err = redirect(STDERR_FILENO, err);
    o->exit_code = bench_maps_main(argc, argv, designs, n);
    fflush(NULL);
    restore(STDOUT_FILENO, saved_out);
    restore(STDERR_FILENO, saved_err);
    o->out = contents(out);
    o->err = contents(err);
}

void bm_outcome_free(struct bm_outcome *o)
{
    free(o->out);
    free(o->err);
}

size_t bm_lines(const char *text)
{
    size_t n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}
