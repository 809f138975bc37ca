/* test_headers.c - every header of common/, index/, resp/, store/, daemon/ and clients/
 * compiles alone (STYLE.md 2.9; nbdkit checks its public header the same way).
 * tests/local.mk compiles this file once per header, through a generated wrapper that
 * defines OMK_TEST_HEADER ("daemon/conn.h") and OMK_TEST_GUARD (OMK_DAEMON_CONN_H). Such a
 * unit includes config.h, then that header twice and nothing else: a header that leans on
 * an earlier include, or has no include guard, fails to compile, and `make check` fails
 * with it. Each unit registers its header before main() runs. Compiled without
 * OMK_TEST_HEADER, this file is the TAP main: one test per header (its guard is defined and
 * named as STYLE.md says), then one that every header in those folders has a unit, so a
 * new header cannot be left out. */
#include "config.h"

#ifdef OMK_TEST_HEADER

#include OMK_TEST_HEADER
#include OMK_TEST_HEADER /* again: the guard must cover the whole header */

/* "" (or the guard's value) once the header defined its guard; the guard's own name if
 * it did not. */
#define TEST_HDR_STR(x) #x
#define TEST_HDR_XSTR(x) TEST_HDR_STR(x)

void test_hdr_register(const char *header, const char *guard_value);

__attribute__((constructor)) static void test_hdr_self(void)
{
    test_hdr_register(OMK_TEST_HEADER, TEST_HDR_XSTR(OMK_TEST_GUARD));
}

#else /* the TAP main */

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "tests/tap.h"

#define TEST_HDR_MAX 64

/* The folders whose every header must have a unit in tests/local.mk. */
static const char *const test_hdr_dirs[] = {"common", "index",  "resp",
                                            "store",  "daemon", "clients"};

static struct test_hdr {
    const char *header;      /* "daemon/conn.h" */
    const char *guard_value; /* what OMK_TEST_GUARD expanded to after the includes */
} test_hdrs[TEST_HDR_MAX];
static size_t test_nhdrs;

void test_hdr_register(const char *header, const char *guard_value);

/* Called by each header's unit before main(), in link order. */
void test_hdr_register(const char *header, const char *guard_value)
{
    OMK_ASSERT(test_nhdrs < TEST_HDR_MAX);
    test_hdrs[test_nhdrs].header = header;
    test_hdrs[test_nhdrs].guard_value = guard_value;
    test_nhdrs++;
}

static int test_hdr_cmp(const void *a, const void *b)
{
    return strcmp(((const struct test_hdr *)a)->header, ((const struct test_hdr *)b)->header);
}

/* The guard STYLE.md 2.9 names for 'header': "daemon/conn.h" -> "OMK_DAEMON_CONN_H". */
static void test_hdr_guard(const char *header, char *guard, size_t len)
{
    size_t n = 0;

    n += (size_t)snprintf(guard, len, "OMK_");
    for (const char *p = header; *p && n + 1 < len; p++)
        guard[n++] = (*p == '/' || *p == '.') ? '_' : (char)toupper((unsigned char)*p);
    guard[n] = '\0';
}

static int test_hdr_known(const char *header)
{
    for (size_t i = 0; i < test_nhdrs; i++)
        if (strcmp(test_hdrs[i].header, header) == 0)
            return 1;
    return 0;
}

/* Headers found in the source tree with no unit of their own; -1 if a folder cannot be
 * read. */
static int test_hdr_missing(const char *top)
{
    char path[4096];
    int missing = 0;

    for (size_t d = 0; d < OMK_ARRAY_LEN(test_hdr_dirs); d++) {
        DIR *dir;
        struct dirent *de;

        snprintf(path, sizeof(path), "%s/%s", top, test_hdr_dirs[d]);
        if (!(dir = opendir(path))) {
            diag("cannot read %s", path);
            return -1;
        }
        while ((de = readdir(dir))) {
            size_t len = strlen(de->d_name);

            if (len < 3 || strcmp(de->d_name + len - 2, ".h") != 0)
                continue;
            snprintf(path, sizeof(path), "%s/%s", test_hdr_dirs[d], de->d_name);
            if (!test_hdr_known(path)) {
                diag("%s has no unit: add it to HEADER_TUS in tests/local.mk", path);
                missing++;
            }
        }
        closedir(dir);
    }
    return missing;
}

int main(void)
{
    const char *top = getenv("OMK_TOP_SRCDIR"); /* set by make check */
    char guard[128];
    int missing;

    qsort(test_hdrs, test_nhdrs, sizeof(test_hdrs[0]), test_hdr_cmp);
    for (size_t i = 0; i < test_nhdrs; i++) {
        test_hdr_guard(test_hdrs[i].header, guard, sizeof(guard));
        ok(strcmp(test_hdrs[i].guard_value, guard) != 0,
           "%s compiles alone and twice; its guard is %s", test_hdrs[i].header, guard);
    }
    if (!top)
        top = OMK_TEST_TOP_SRCDIR; /* run by hand: the tree it was built from */
    missing = test_hdr_missing(top);
    ok(test_nhdrs > 0 && missing == 0,
       "every header in %s/{common,index,resp,store,daemon,clients} has a unit (%zu units)", top,
       test_nhdrs);
    return tap_done();
}

#endif
