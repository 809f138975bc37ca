/* replay.c - runs a libFuzzer target without libFuzzer: feeds every file of a corpus
 * directory, in name order, to LLVMFuzzerTestOneInput() and prints TAP, one "ok" per
 * file. Linked with a target, it lets `make check` replay that target's corpus with the
 * normal compiler (and the sanitizers, when configured).
 *
 * The directory is argv[1], else $OMK_TOP_SRCDIR/tests/fuzz/corpus/<OMK_FUZZ_CORPUS>
 * (TESTS runs programs without arguments). A target reports a broken check by aborting,
 * which the TAP driver records as a failure; an empty or missing corpus fails too. */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/omk.h"
#include "tests/tap.h"

#ifndef OMK_FUZZ_CORPUS
#error "define OMK_FUZZ_CORPUS to the corpus name, e.g. -DOMK_FUZZ_CORPUS='\"resp\"'"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read the whole regular file 'path' into '*data'/'*size' (freed with omk_free).
 * Returns 0, or -1 if it cannot be read. */
static int replay_read(const char *path, uint8_t **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *p = NULL;
    size_t n = 0, cap = 0, got;

    if (f == NULL)
        return -1;
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            p = omk_realloc(p, cap);
        }
        got = fread(p + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    if (ferror(f)) {
        fclose(f);
        omk_free(p);
        return -1;
    }
    fclose(f);
    *data = p;
    *size = n;
    return 0;
}

/* Keep regular-looking entries: no dotfiles (README-like notes may start with '.'). */
static int replay_filter(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

int main(int argc, char **argv)
{
    char dir[4096], path[8192];
    struct dirent **names = NULL;
    const char *top = getenv("OMK_TOP_SRCDIR");
    int n, files = 0;

    if (argc > 1)
        snprintf(dir, sizeof(dir), "%s", argv[1]);
    else
        snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", top ? top : ".", OMK_FUZZ_CORPUS);
    n = scandir(dir, &names, replay_filter, alphasort);
    if (n < 0) {
        printf("Bail out! cannot read corpus directory %s\n", dir);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        struct stat st;
        uint8_t *data = NULL;
        size_t size = 0;

        snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            int rd = replay_read(path, &data, &size);

            ok(rd == 0 && LLVMFuzzerTestOneInput(data, size) == 0, "%s (%zu bytes)",
               names[i]->d_name, size);
            files++;
            omk_free(data);
        }
        free(names[i]);
    }
    free(names);
    ok(files > 0, "corpus %s holds %d inputs", dir, files);
    return tap_done();
}
