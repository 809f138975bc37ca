/* test_acl.c - the ACL's data: SHA-256 against FIPS 180-4's and other known vectors
 * (empty, "abc", the two-block message, a million 'a's, lengths around the padding
 * boundary), and daemon/acl_cats.c: sorted by name, every commands.def row listed. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/sha256.h"
#include "daemon/acl_cats.h"
#include "tests/tap.h"

static void hex(const uint8_t *h, char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static void is_sha(const void *p, size_t len, const char *want, const char *name)
{
    uint8_t h[OMK_SHA256_LEN];
    char got[65];

    omk_sha256(p, len, h);
    hex(h, got);
    if (!ok(strcmp(got, want) == 0, "sha256 %s", name))
        diag("got %s\nwanted %s", got, want);
}

static void test_sha256(void)
{
    static char million[1000000];
    char buf[64];

    is_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "empty");
    is_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "abc");
    is_sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
           "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
           "448 bits (padding spills into a second block)");
    memset(million, 'a', sizeof(million));
    is_sha(million, sizeof(million),
           "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "a million a");
    is_sha("password", 8, "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
           "password (Redis' documentation example)");
    memset(buf, 'a', sizeof(buf));
    is_sha(buf, 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
           "55 bytes: length fits the first block");
    is_sha(buf, 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
           "64 bytes: a whole block of data");
}

static void test_cats(void)
{
    static const char *const rows[] = {
#define OMK_CMD(name, ...) name,
#include "daemon/commands.def"
#undef OMK_CMD
    };
    int sorted = 1, missing = 0, subs_follow = 1;

    for (int i = 1; i < acl_cmds_len; i++)
        sorted &= strcmp(acl_cmds[i - 1].name, acl_cmds[i].name) < 0;
    ok(sorted, "acl_cmds is sorted by name (binary search)");
    for (int i = 0; i < acl_cmds_len; i++) {
        const char *bar = strchr(acl_cmds[i].name, '|');
        int found = 0;

        for (int j = i - 1; bar && j >= 0 && !found; j--)
            found = strlen(acl_cmds[j].name) == (size_t)(bar - acl_cmds[i].name) &&
                    !strncmp(acl_cmds[j].name, acl_cmds[i].name, (size_t)(bar - acl_cmds[i].name));
        subs_follow &= !bar || found;
    }
    ok(subs_follow, "every subcommand comes after its parent");
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        int found = 0;

        for (int i = 0; i < acl_cmds_len && !found; i++)
            found = !strcmp(acl_cmds[i].name, rows[r]);
        if (!found) {
            diag("commands.def row '%s' has no acl_cats.c entry", rows[r]);
            missing++;
        }
    }
    ok(missing == 0, "every commands.def row (%zu) has its ACL categories",
       sizeof(rows) / sizeof(rows[0]));
    ok(acl_cmds_len == 366, "Redis 7.0.15's 366 commands and subcommands");
    for (int i = 0; i < acl_cmds_len; i++)
        if (!strcmp(acl_cmds[i].name, "get"))
            ok(acl_cmds[i].cats == (ACL_CAT_READ | ACL_CAT_STRING | ACL_CAT_FAST) &&
                   acl_cmds[i].key_first == ACL_KEY_READ,
               "get: @read @string @fast, its key read");
}

int main(void)
{
    test_sha256();
    test_cats();
    return tap_done();
}
