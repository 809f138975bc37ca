#!/bin/sh
# check-layering.sh - the module boundaries of DESIGN.md, checked on every #include
# (also "#  include", as nested preprocessor blocks indent it): index/ and resp/ know
# nothing of RocksDB, the store or the daemon; store/ knows nothing of RESP, sockets or
# libevent, and of index/ only its public headers; only store/rocks.c includes
# rocksdb/c.h; daemon/ reaches RocksDB and the index only through store/store.h; no
# header includes config.h (STYLE.md 2.9). One TAP test per rule.
src="${OMK_TOP_SRCDIR:-.}"
n=0
failed=0

# check NAME FILES-GLOB FORBIDDEN-REGEX: no file of the glob includes a matching header.
check() {
    n=$((n + 1))
    hits=$(cd "$src" && grep -nE "^#[[:space:]]*include[[:space:]]*[<\"]($3)" $2 2>/dev/null)
    if [ -z "$hits" ]; then
        echo "ok $n - $1"
    else
        echo "not ok $n - $1"
        echo "$hits" | sed 's/^/#   /'
        failed=$((failed + 1))
    fi
}

check "index/ includes neither store/, resp/, daemon/ nor libraries" "index/*.c index/*.h" \
    "store/|resp/|daemon/|rocksdb/|event2/|hiredis"
check "resp/ includes neither store/, index/ nor daemon/" "resp/*.c resp/*.h" \
    "store/|index/|daemon/|rocksdb/|hiredis"
check "store/ includes neither resp/, daemon/, libevent nor index/ internals" \
    "store/*.c store/*.h" "resp/|daemon/|event2/|hiredis|index/index_internal.h"
check "common/ includes no module" "common/*.c common/*.h" \
    "store/|index/|resp/|daemon/|rocksdb/|event2/|hiredis"
check "daemon/ reaches neither RocksDB, index/ nor store/ internals" "daemon/*.c daemon/*.h" \
    "rocksdb/|index/|store/rocks.h|store/store_internal.h|store/format.h|store/cache.h"
check "only store/rocks.c includes rocksdb/c.h" \
    "$(cd "$src" && ls store/*.c store/*.h | grep -v '^store/rocks.c$' | tr '\n' ' ')" "rocksdb/"
check "no header includes config.h" "*/*.h tests/*/*.h" "config.h"
echo "1..$n"
[ "$failed" -eq 0 ]
