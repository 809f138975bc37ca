/* splitargs.h - the one argument tokenizer: a line split into arguments by the rules of
 * Redis' sdssplitargs, which redis.conf lines (daemon/cfg.c) and inline requests
 * (resp/parse.c) share. libc only. */
#ifndef OMK_COMMON_SPLITARGS_H
#define OMK_COMMON_SPLITARGS_H

#include <stddef.h>

/* Called by omk_splitargs() once per argument, in order: 'p'/'len' is the argument with
 * its quotes and escapes resolved, inside the caller's 'out' buffer (so valid as long as
 * that buffer is); 'arg' is omk_splitargs()'s. */
typedef void omk_splitargs_fn(void *arg, const char *p, size_t len);

/* Split 'line'/'len' into arguments as Redis' sdssplitargs does, calling 'fn' for each:
 *  - blanks (space, \t \n \v \f \r) separate arguments; an unquoted argument ends at a
 *    space, \t, \n or \r (not at \v or \f, which it keeps, as Redis does);
 *  - "double quotes" take the escapes \xHH (two hex digits, either case), \n \r \t \b
 *    \a, and \<any other byte> for that byte ("\q" is q, "\x4" is x4);
 *  - 'single quotes' take only \' and keep every other byte as it is;
 *  - a quote may open inside a word (a"b c" is the one argument "ab c"), and a closing
 *    quote must be followed by a blank or the end of the line;
 *  - Redis splits a C string, so a NUL byte ends the line here too.
 * The unquoted bytes are written to 'out', which must hold 'len' bytes (an argument is
 * never longer than its source) and may be NULL when 'len' is 0. Nothing is allocated.
 * Returns 0, or -1 when a quote is not closed or a closing quote is followed by
 * something other than a blank (Redis' "unbalanced quotes"); 'fn' may then have been
 * called for the arguments before the bad one, which the caller discards. */
int omk_splitargs(const char *line, size_t len, char *out, omk_splitargs_fn *fn, void *arg);

#endif
