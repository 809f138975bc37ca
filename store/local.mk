# store/local.mk - build rules for store/ (included by the top Makefile.am).
# libomkstore.a is the keyspace over RocksDB; store/rocks.c alone includes rocksdb/c.h.
noinst_LIBRARIES += store/libomkstore.a
store_libomkstore_a_SOURCES = store/keyspace.c store/commit.c store/checkpoint.c store/load.c store/index_file.c \
	store/store.h store/store_internal.h \
	store/format.c store/format.h \
	store/rocks.c store/rocks.h store/recover.c \
	store/store.c store/scan.c store/ops_keys.c store/expire.c \
	store/ops_string.c store/cache.c store/cache.h store/elemcache.c store/elemcache.h \
	store/coll.c store/coll.h store/ops_hash.c store/ops_set.c store/ops_zset.c store/zrank.c store/zrank.h store/reclaim.c \
	store/ops_list.c store/list.h store/ops_sort.c store/strval.c store/strval.h store/reader.c \
	store/hll.c store/hll.h store/ops_hll.c \
	store/ops_bitmap.c store/bits.c store/bits.h \
	store/access.c store/dbmap.c store/metablob.c store/keymem.c
store_libomkstore_a_CFLAGS = $(AM_CFLAGS) $(ROCKSDB_CFLAGS)

check_PROGRAMS += tests/unit/test_store
TESTS += tests/unit/test_store
tests_unit_test_store_SOURCES = tests/unit/test_store.c tests/tap.h
tests_unit_test_store_LDADD = store/libomkstore.a index/libomkindex.a common/libomkcommon.a $(ROCKSDB_LIBS) -lpthread

# String read-modify-writes (store/ops_string.c), reopened and store_check'ed.
check_PROGRAMS += tests/unit/test_store_string
TESTS += tests/unit/test_store_string
tests_unit_test_store_string_SOURCES = tests/unit/test_store_string.c tests/tap.h
tests_unit_test_store_string_LDADD = store/libomkstore.a index/libomkindex.a \
	common/libomkcommon.a $(ROCKSDB_LIBS) -lpthread

check_PROGRAMS += tests/unit/test_store_keys
TESTS += tests/unit/test_store_keys
tests_unit_test_store_keys_SOURCES = tests/unit/test_store_keys.c tests/tap.h
tests_unit_test_store_keys_LDADD = store/libomkstore.a index/libomkindex.a \
	common/libomkcommon.a $(ROCKSDB_LIBS) -lpthread

# The value cache (store/cache.c): SIEVE order, byte accounting, threads, and the store
# over it (coherence, write-through, maxmemory).
check_PROGRAMS += tests/unit/test_cache
TESTS += tests/unit/test_cache
tests_unit_test_cache_SOURCES = tests/unit/test_cache.c tests/tap.h
tests_unit_test_cache_LDADD = store/libomkstore.a index/libomkindex.a \
	common/libomkcommon.a $(ROCKSDB_LIBS) -lpthread

# Writes come back after a failed log write (store/commit.c, HOW WRITES RESUME).
check_PROGRAMS += tests/unit/test_store_resume
TESTS += tests/unit/test_store_resume
tests_unit_test_store_resume_SOURCES = tests/unit/test_store_resume.c tests/tap.h
tests_unit_test_store_resume_LDADD = store/libomkstore.a index/libomkindex.a \
	common/libomkcommon.a $(ROCKSDB_LIBS) -lpthread

# The collection layer and the hash and set operations (store/coll.c, ops_hash.c,
# ops_set.c): layouts both ways, encodings, ids, compaction of dead elements.
check_PROGRAMS += tests/unit/test_store_coll
TESTS += tests/unit/test_store_coll
tests_unit_test_store_coll_SOURCES = tests/unit/test_store_coll.c tests/tap.h
tests_unit_test_store_coll_LDADD = store/libomkstore.a index/libomkindex.a \
	common/libomkcommon.a $(ROCKSDB_LIBS) -lpthread

# The sorted-set operations (store/ops_zset.c) against a model kept by the test: every
# range, rank and change, inline and split, the algebra and the *STORE forms.
check_PROGRAMS += tests/unit/test_store_zset
TESTS += tests/unit/test_store_zset
tests_unit_test_store_zset_SOURCES = tests/unit/test_store_zset.c tests/tap.h
tests_unit_test_store_zset_LDADD = store/libomkstore.a index/libomkindex.a \
	common/libomkcommon.a $(ROCKSDB_LIBS) -lpthread

# The list operations (store/ops_list.c): every call on both layouts and between them, a
# random run against a model of Redis' lists, COPY/DEL/expiry, threads on one list.
check_PROGRAMS += tests/unit/test_store_list
TESTS += tests/unit/test_store_list
tests_unit_test_store_list_SOURCES = tests/unit/test_store_list.c tests/tap.h
tests_unit_test_store_list_LDADD = store/libomkstore.a index/libomkindex.a \
	common/libomkcommon.a $(ROCKSDB_LIBS) -lpthread

# Strings kept in fragments (store/strval.c): a random run against a model across the
# fragment threshold, sparse values, a transaction, a reopen.
check_PROGRAMS += tests/unit/test_store_strval
TESTS += tests/unit/test_store_strval
tests_unit_test_store_strval_SOURCES = tests/unit/test_store_strval.c tests/tap.h
tests_unit_test_store_strval_LDADD = store/libomkstore.a index/libomkindex.a \
	common/libomkcommon.a $(ROCKSDB_LIBS) -lpthread

# The HyperLogLog value code (store/hll.c, pure): Redis' bytes, edits, counts, DECODE.
check_PROGRAMS += tests/unit/test_hll
TESTS += tests/unit/test_hll
tests_unit_test_hll_SOURCES = tests/unit/test_hll.c tests/tap.h
tests_unit_test_hll_LDADD = store/libomkstore.a common/libomkcommon.a -lm -lpthread

# The bitmap operations' pure bit logic (store/bits.c): counts, searches, ranges and
# BITFIELD's integers against bit-by-bit models.
check_PROGRAMS += tests/unit/test_bits
TESTS += tests/unit/test_bits
tests_unit_test_bits_SOURCES = tests/unit/test_bits.c tests/tap.h store/bits.c store/bits.h
tests_unit_test_bits_LDADD = common/libomkcommon.a
