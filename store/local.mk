# store/local.mk - build rules for store/ (included by the top Makefile.am).
# libomkstore.a is the keyspace over RocksDB; store/rocks.c alone includes rocksdb/c.h.
noinst_LIBRARIES += store/libomkstore.a
store_libomkstore_a_SOURCES = store/keyspace.c store/load.c \
	store/store.h store/store_internal.h \
	store/format.c store/format.h \
	store/rocks.c store/rocks.h \
	store/store.c store/scan.c
store_libomkstore_a_CFLAGS = $(AM_CFLAGS) $(ROCKSDB_CFLAGS)

check_PROGRAMS += tests/unit/test_store
TESTS += tests/unit/test_store
tests_unit_test_store_SOURCES = tests/unit/test_store.c tests/tap.h
tests_unit_test_store_LDADD = store/libomkstore.a index/libomkindex.a common/libomkcommon.a $(ROCKSDB_LIBS) -lpthread
