# index/local.mk - build rules for index/ (included by the top Makefile.am).

# ---- core (alex) ----
noinst_LIBRARIES += index/libomkindex.a
index_libomkindex_a_SOURCES = index/index.h index/index_internal.h index/keycode.c \
	index/alex.c index/alex_leaf.c index/alex_build.c index/alex_check.c index/alex_append.c \
	index/entry_arena.c index/leaf_mem.c

check_PROGRAMS += tests/unit/test_index
TESTS += tests/unit/test_index
tests_unit_test_index_SOURCES = tests/unit/test_index.c
tests_unit_test_index_LDADD = index/libomkindex.a common/libomkcommon.a $(PTHREAD_LIBS) -lm

# The entry arena: sizes, reuse, the in-use count, two threads (also under TSan and,
# in malloc mode, valgrind).
check_PROGRAMS += tests/unit/test_entry_arena
TESTS += tests/unit/test_entry_arena
tests_unit_test_entry_arena_SOURCES = tests/unit/test_entry_arena.c tests/tap.h
tests_unit_test_entry_arena_LDADD = index/libomkindex.a common/libomkcommon.a $(PTHREAD_LIBS)
# ---- end core (alex) ----

# ---- shards, bench, concurrency, fuzz ----
# index/shard.h: S indexes behind writer-preferring rwlocks, with the merged ordered walk.
index_libomkindex_a_SOURCES += index/shard.h index/shard.c

# Walk, count, random, clear, bulk load, and a 2 s run of writers, a reader and a walker
# (run it in a build configured with --enable-sanitizers=thread too).
check_PROGRAMS += tests/unit/test_shard
TESTS += tests/unit/test_shard
tests_unit_test_shard_SOURCES = tests/unit/test_shard.c tests/tap.h
tests_unit_test_shard_LDADD = index/libomkindex.a common/libomkcommon.a $(PTHREAD_LIBS)

# Replays every file of tests/fuzz/corpus/index through the fuzz target (tests/fuzz/replay.c).
check_PROGRAMS += tests/fuzz/fuzz_index_replay
TESTS += tests/fuzz/fuzz_index_replay
tests_fuzz_fuzz_index_replay_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_index.c
tests_fuzz_fuzz_index_replay_CPPFLAGS = $(AM_CPPFLAGS) -DOMK_FUZZ_CORPUS='"index"'
tests_fuzz_fuzz_index_replay_LDADD = index/libomkindex.a common/libomkcommon.a
EXTRA_DIST += tests/fuzz/corpus/index

# make fuzz-index: tests/fuzz/fuzz_index, the libFuzzer binary (never built by default).
# Like fuzz-resp (FUZZ_CC and FUZZ_CFLAGS come from resp/local.mk), it compiles the index
# sources themselves with clang so that all of them get coverage instrumentation.
# Run: tests/fuzz/fuzz_index -max_total_time=60 <a scratch copy of tests/fuzz/corpus/index>
FUZZ_INDEX_SRCS = $(srcdir)/tests/fuzz/fuzz_index.c $(srcdir)/common/omk.c \
	$(addprefix $(srcdir)/,$(filter %.c,$(filter-out index/shard.c,$(index_libomkindex_a_SOURCES))))
.PHONY: fuzz-index
fuzz-index: tests/fuzz/fuzz_index
tests/fuzz/fuzz_index: $(FUZZ_INDEX_SRCS) $(srcdir)/index/index.h \
		$(srcdir)/index/index_internal.h $(srcdir)/common/omk.h config.h
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEFS) $(DEFAULT_INCLUDES) $(AM_CPPFLAGS) \
		-o $@ $(FUZZ_INDEX_SRCS) $(LIBS)
CLEANFILES += tests/fuzz/fuzz_index
