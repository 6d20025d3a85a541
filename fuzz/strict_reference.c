#include "strict_reference.h"

#include <stdlib.h>

/* What the machine expects next, outside strings and numbers. */
enum expect {
    VALUE, /* any value */
    VALUE_OR_CLOSE, /* just after '[' */
    KEY, /* a member's name, after ',' in an object */
    KEY_OR_CLOSE, /* just after '{' */
    COLON,
    NEXT, /* after a value: ',', the container's close, or the end */
};

/* The number states, RFC 8259 section 6 as a DFA. */
enum num { N_SIGN, N_ZERO, N_INT, N_POINT, N_FRAC, N_E, N_ESIGN, N_EXP, N_BAD };

static enum num number_step(enum num s, char c)
{
    bool digit = c >= '0' && c <= '9';
    switch (s) {
    case N_SIGN: return c == '0' ? N_ZERO : digit ? N_INT : N_BAD;
    case N_ZERO: return c == '.' ? N_POINT : (c == 'e' || c == 'E') ? N_E : N_BAD;
    case N_INT: return digit ? N_INT : c == '.' ? N_POINT : (c == 'e' || c == 'E') ? N_E : N_BAD;
    case N_POINT: return digit ? N_FRAC : N_BAD;
    case N_FRAC: return digit ? N_FRAC : (c == 'e' || c == 'E') ? N_E : N_BAD;
    case N_E: return digit ? N_EXP : (c == '+' || c == '-') ? N_ESIGN : N_BAD;
    case N_ESIGN: return digit ? N_EXP : N_BAD;
    case N_EXP: return digit ? N_EXP : N_BAD;
    default: return N_BAD;
    }
}

static bool number_complete(enum num s)
{
    return s == N_ZERO || s == N_INT || s == N_FRAC || s == N_EXP;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
        return (c | 0x20) - 'a' + 10;
    return -1;
}

/* The string starting after its opening quote at *i; leaves *i after the
 * closing quote. */
static bool scan_string(const char *s, size_t n, size_t *i)
{
    bool want_low = false; /* a high surrogate escape was just read */
    while (*i < n) {
        unsigned char c = (unsigned char)s[(*i)++];
        long unit = -1; /* an escaped code unit, or -1 */
        if (c == '"')
            return !want_low;
        if (c < 0x20)
            return false;
        if (c == '\\') {
            if (*i >= n)
                return false;
            char e = s[(*i)++];
            if (e == 'u') {
                if (n - *i < 4)
                    return false;
                unit = 0;
                for (int k = 0; k < 4; k++) {
                    int h = hex_value(s[(*i)++]);
                    if (h < 0)
                        return false;
                    unit = unit * 16 + h;
                }
            } else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' &&
                       e != 'r' && e != 't') {
                return false;
            }
        }
        bool low = unit >= 0xdc00 && unit <= 0xdfff, high = unit >= 0xd800 && unit <= 0xdbff;
        if (want_low != low)
            return false; /* a high without its low, or a low without its high */
        want_low = high;
    }
    return false;
}

bool reference_is_json(const char *s, size_t n, int depth_max)
{
    char *stack = malloc((size_t)depth_max + 1); /* '[' or '{' per open container */
    if (!stack)
        abort();
    int depth = 0;
    enum expect want = VALUE;
    bool ok = false;
    size_t i = 0;
    for (;;) {
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
            i++;
        if (i == n) {
            ok = want == NEXT && depth == 0;
            break;
        }
        char c = s[i];
        if (want == NEXT) {
            if (depth == 0)
                break; /* something after the value */
            char open = stack[depth - 1];
            if (c == ',') {
                want = open == '[' ? VALUE : KEY;
                i++;
            } else if ((open == '[' && c == ']') || (open == '{' && c == '}')) {
                depth--;
                i++;
            } else {
                break;
            }
            continue;
        }
        if (want == COLON) {
            if (c != ':')
                break;
            want = VALUE;
            i++;
            continue;
        }
        if (want == KEY || want == KEY_OR_CLOSE) {
            if (want == KEY_OR_CLOSE && c == '}') {
                depth--;
                want = NEXT;
                i++;
                continue;
            }
            i++;
            if (c != '"' || !scan_string(s, n, &i))
                break;
            want = COLON;
            continue;
        }
        /* VALUE or VALUE_OR_CLOSE */
        if (want == VALUE_OR_CLOSE && c == ']') {
            depth--;
            want = NEXT;
            i++;
            continue;
        }
        if (c == '[' || c == '{') {
            if (depth == depth_max)
                break;
            stack[depth++] = c;
            want = c == '[' ? VALUE_OR_CLOSE : KEY_OR_CLOSE;
            i++;
            continue;
        }
        if (c == '"') {
            i++;
            if (!scan_string(s, n, &i))
                break;
            want = NEXT;
            continue;
        }
        static const char *const words[] = {"true", "false", "null"};
        bool word = false;
        for (int w = 0; w < 3 && !word; w++) {
            size_t k = 0;
            while (words[w][k] && i + k < n && s[i + k] == words[w][k])
                k++;
            if (!words[w][k]) {
                word = true;
                i += k;
            }
        }
        if (word) {
            want = NEXT;
            continue;
        }
        enum num st = N_SIGN;
        if (c == '-')
            i++;
        size_t start = i;
        while (i < n) {
            enum num next = number_step(st, s[i]);
            if (next == N_BAD)
                break;
            st = next;
            i++;
        }
        if (i == start || !number_complete(st))
            break;
        want = NEXT;
    }
    free(stack);
    return ok;
}
