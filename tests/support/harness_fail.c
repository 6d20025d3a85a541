/* Failing the test that called the harness, and describing what went wrong. */
#include "harness_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* The test's call that is running, named in every failure. */
static const char *site_file = "?";
static int site_line;

void harness_set_site(const char *file, int line)
{
    site_file = file;
    site_line = line;
}

void fail_test(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* What ck_abort_msg() expands to, with the test's file and line. */
    _ck_assert_failed(site_file, site_line, "Failed", "%s", msg);
    abort(); /* not reached: Check ends the test */
}

const char *quoted(const char *s, size_t n, char *buf, size_t cap)
{
    size_t o = 0;
    buf[o++] = '"';
    for (size_t i = 0; i < n && o + 8 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        const char *esc = ch == '\n' ? "\\n" : ch == '\r' ? "\\r" : ch == '\t' ? "\\t" : NULL;
        if (esc)
            o += (size_t)snprintf(buf + o, cap - o, "%s", esc);
        else if (ch < 0x20 || ch == 0x7f)
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", ch);
        else
            buf[o++] = (char)ch;
        if (i + 1 < n && o + 8 >= cap)
            o += (size_t)snprintf(buf + o, cap - o, "...");
    }
    snprintf(buf + o, cap - o, "\"");
    return buf;
}

const char *result_name(int r)
{
    switch (r) {
    case CLIENT_TIMEOUT: return "nothing (timed out)";
    case CLIENT_EOF: return "EOF";
    case CLIENT_RESET: return "a connection reset";
    default: return "a line";
    }
}

void dump_file(const char *name, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    long from = size > 64 * 1024 ? size - 64 * 1024 : 0;
    fseek(f, from, SEEK_SET);
    fprintf(stderr, "---- %s stderr (%s)%s ----\n", name, path, from ? ", last 64 KiB" : "");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stderr);
    fprintf(stderr, "---- end of %s stderr ----\n", name);
    fclose(f);
}
