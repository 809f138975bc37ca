/* splitargs.c - omk_splitargs (see splitargs.h): Redis' sdssplitargs over explicit
 * lengths. It walks the line once, writing each argument's resolved bytes to the
 * caller's buffer and handing the caller a slice of it; it never writes more bytes than
 * it reads, so a buffer as long as the line always suffices. */
#include "config.h"

#include <string.h>

#include "common/splitargs.h"

/* Whether 'c' is a blank between arguments: isspace() in the C locale, as
 * sdssplitargs uses it, whatever locale the process runs in. */
static int sa_is_blank(int c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Value of the hex digit 'c', or -1 if it is not one. */
static int sa_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The byte at 'i' of 'line'/'n', or -1 past the end (where Redis' C string has its NUL). */
static int sa_at(const char *line, size_t n, size_t i)
{
    return i < n ? (unsigned char)line[i] : -1;
}

int omk_splitargs(const char *line, size_t len, char *out, omk_splitargs_fn *fn, void *arg)
{
    const char *nul = len > 0 ? memchr(line, '\0', len) : NULL;
    size_t n = nul ? (size_t)(nul - line) : len, i = 0, w = 0;

    for (;;) {
        int inq = 0, insq = 0, done = 0;
        size_t start;

        while (i < n && sa_is_blank((unsigned char)line[i]))
            i++;
        if (i == n)
            return 0;
        start = w;
        while (!done) {
            int c = sa_at(line, n, i), next = sa_at(line, n, i + 1);

            if (inq) {
                if (c == '\\' && next == 'x' && sa_hexval(sa_at(line, n, i + 2)) >= 0 &&
                    sa_hexval(sa_at(line, n, i + 3)) >= 0) {
                    out[w++] = (char)(sa_hexval(line[i + 2]) * 16 + sa_hexval(line[i + 3]));
                    i += 3;
                } else if (c == '\\' && next != -1) {
                    i++;
                    switch (next) {
                    case 'n': out[w++] = '\n'; break;
                    case 'r': out[w++] = '\r'; break;
                    case 't': out[w++] = '\t'; break;
                    case 'b': out[w++] = '\b'; break;
                    case 'a': out[w++] = '\a'; break;
                    default: out[w++] = (char)next; break;
                    }
                } else if (c == '"') {
                    if (next != -1 && !sa_is_blank(next))
                        return -1;
                    done = 1;
                } else if (c == -1) {
                    return -1;
                } else {
                    out[w++] = (char)c;
                }
            } else if (insq) {
                if (c == '\\' && next == '\'') {
                    i++;
                    out[w++] = '\'';
                } else if (c == '\'') {
                    if (next != -1 && !sa_is_blank(next))
                        return -1;
                    done = 1;
                } else if (c == -1) {
                    return -1;
                } else {
                    out[w++] = (char)c;
                }
            } else {
                switch (c) {
                case ' ': case '\n': case '\r': case '\t': case -1:
                    done = 1;
                    break;
                case '"':
                    inq = 1;
                    break;
                case '\'':
                    insq = 1;
                    break;
                default:
                    out[w++] = (char)c;
                    break;
                }
            }
            if (c != -1)
                i++;
        }
        fn(arg, out + start, w - start);
    }
}
