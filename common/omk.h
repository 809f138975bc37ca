/* omk.h - the few helpers every omenkv module shares: byte slices, allocation that
 * aborts on failure, always-on assertions, strict number parsing, glob matching, a key
 * hash and the millisecond clock. libc only, so index/ and resp/ may use it too. */
#ifndef OMK_COMMON_OMK_H
#define OMK_COMMON_OMK_H

#include <stddef.h>
#include <stdint.h>

/* A borrowed run of bytes; not NUL-terminated. */
struct omk_slice {
    const char *p;
    size_t len;
};

#define OMK_UNUSED(x) ((void)(x))
#define OMK_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Always on: a failed assertion logs the expression and aborts. */
#define OMK_ASSERT(e) ((e) ? (void)0 : omk_assert_fail(#e, __FILE__, __LINE__))
#ifdef OMK_DEBUG
#define OMK_DEBUG_ASSERT(e) OMK_ASSERT(e)
#else
#define OMK_DEBUG_ASSERT(e) ((void)0)
#endif
void omk_assert_fail(const char *expr, const char *file, int line) __attribute__((noreturn));

/* Allocation: these never return NULL; they abort the process when memory runs out,
 * as Redis' zmalloc does. omk_free(NULL) is a no-op. */
void *omk_malloc(size_t n);
void *omk_calloc(size_t count, size_t size);
void *omk_realloc(void *p, size_t n); /* the old pointer is dead afterwards */
void *omk_memdup(const void *p, size_t n); /* copy plus a NUL after the last byte */
void omk_free(void *p);
/* Bytes the blocks these functions handed out and omk_free() has not taken back occupy
 * (malloc_usable_size of each): the heap this process's own code holds, RocksDB's and
 * Lua's apart. Any thread; a sum of per-thread counts taken without a lock. */
size_t omk_alloc_bytes(void);
/* Report that 'n' bytes could not be had (from malloc or the kernel) and abort. */
void omk_oom(size_t n) __attribute__((noreturn));

/* Strict decimal parse of 'p'/'len' into '*v', like Redis' string2ll: optional '-',
 * no spaces, no '+', no leading zeros, no overflow. Returns 1 and writes '*v' on
 * success, 0 otherwise ('*v' untouched). */
int omk_str2ll(const char *p, size_t len, long long *v);

/* Same rules for unsigned 64-bit values (no '-'). */
int omk_str2ull(const char *p, size_t len, unsigned long long *v);

/* Parse a long double like Redis' string2ld: no spaces, not NaN; "inf" allowed.
 * Returns 1 on success, 0 otherwise. */
int omk_str2ld(const char *p, size_t len, long double *v);

/* Write 'v' in decimal into 'buf' (at least 21 bytes); returns the length, no NUL. */
size_t omk_ll2str(char *buf, long long v);

/* Redis glob match of 'str' against 'pat': * ? [abc] [^a-z] and \ escapes.
 * 'nocase' folds ASCII case. Returns 1 on match, 0 otherwise. No recursion;
 * O(plen * slen) time at worst. */
int omk_glob_match(const char *pat, size_t plen, const char *str, size_t slen, int nocase);

/* Length of the literal prefix of glob 'pat': the bytes before the first special
 * character (* ? [ \). A pattern with no special character is all literal. */
size_t omk_glob_literal_prefix(const char *pat, size_t plen);

/* 64-bit hash of 'p'/'len' (not cryptographic; stable across runs). */
uint64_t omk_hash(const void *p, size_t len);

/* Wall clock in milliseconds and microseconds since the Unix epoch. */
int64_t omk_now_ms(void);
int64_t omk_now_us(void);

/* Monotonic clock in microseconds (for durations). */
int64_t omk_mono_us(void);

#endif
