# tests/local.mk - the integration-test harness and the integration tests. Each test
# starts its own omenkv-server ($OMK_SERVER) on a free loopback port.
check_LIBRARIES += tests/libomktest.a
tests_libomktest_a_SOURCES = tests/harness.c tests/harness.h tests/tap.h
tests_libomktest_a_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)

INTEG_LDADD = tests/libomktest.a common/libomkcommon.a $(HIREDIS_LIBS) -lpthread
INTEG_TESTS = tests/integ/test_server tests/integ/test_noread tests/integ/test_multi tests/integ/test_conn tests/integ/test_strings tests/integ/test_keys \
	tests/integ/test_persist tests/integ/test_string_ops tests/integ/test_expire \
	tests/integ/test_keyspace tests/integ/test_bigstr \
	tests/integ/test_cmdinfo tests/integ/test_slowlog tests/integ/test_introspect \
	tests/integ/test_pubsub tests/integ/test_tracking tests/integ/test_notify \
	tests/integ/test_config_rewrite tests/integ/test_latency tests/integ/test_memory \
	tests/integ/test_swapdb tests/integ/test_object_idle tests/integ/test_rocksdb_io \
	tests/integ/test_index_file tests/integ/test_hotkey
check_PROGRAMS += $(INTEG_TESTS)
TESTS += $(INTEG_TESTS) tests/integ/test_tools.sh tests/check-layering.sh
EXTRA_DIST += tests/integ/test_tools.sh tests/check-layering.sh tests/lib.sh
# The long fuzz run (issue 19 item 10; never run by make check): tests/fuzz/long-run.sh.
EXTRA_DIST += tests/fuzz/long-run.sh
# Issue 25's shards: three servers behind twemproxy (nutcracker), the README's recipe, with
# redis-cli, redis-benchmark and redis-py (tests/integ/shards_client.py) through the proxy.
TESTS += tests/integ/test_shards.sh
EXTRA_DIST += tests/integ/test_shards.sh tests/integ/shards_client.py
# The store unit tests' shared fixtures (header only; those tests are built by store/local.mk).
EXTRA_DIST += tests/unit/store_fixture.h

# The integration tests need the server built first.
$(INTEG_TESTS): daemon/omenkv-server$(EXEEXT)

tests_integ_test_hotkey_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_hotkey_LDADD = $(INTEG_LDADD)
tests_integ_test_index_file_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_index_file_LDADD = $(INTEG_LDADD)
tests_integ_test_rocksdb_io_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_rocksdb_io_LDADD = $(INTEG_LDADD)
tests_integ_test_cmdinfo_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_cmdinfo_LDADD = $(INTEG_LDADD)
tests_integ_test_slowlog_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_slowlog_LDADD = $(INTEG_LDADD)
tests_integ_test_server_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_server_LDADD = $(INTEG_LDADD)
tests_integ_test_noread_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_noread_LDADD = $(INTEG_LDADD)
tests_integ_test_pubsub_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_pubsub_LDADD = $(INTEG_LDADD)
tests_integ_test_tracking_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_tracking_LDADD = $(INTEG_LDADD)
tests_integ_test_notify_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_notify_LDADD = $(INTEG_LDADD)
tests_integ_test_multi_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_multi_LDADD = $(INTEG_LDADD)
tests_integ_test_conn_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_conn_LDADD = $(INTEG_LDADD)
tests_integ_test_strings_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_strings_LDADD = $(INTEG_LDADD)
tests_integ_test_keys_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_keys_LDADD = $(INTEG_LDADD)
tests_integ_test_persist_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_persist_LDADD = $(INTEG_LDADD)
tests_integ_test_string_ops_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_string_ops_LDADD = $(INTEG_LDADD)
tests_integ_test_expire_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_expire_LDADD = $(INTEG_LDADD)
tests_integ_test_keyspace_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_keyspace_LDADD = $(INTEG_LDADD)
tests_integ_test_introspect_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_introspect_LDADD = $(INTEG_LDADD)
tests_integ_test_bigstr_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_bigstr_LDADD = $(INTEG_LDADD)
tests_integ_test_config_rewrite_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_config_rewrite_LDADD = $(INTEG_LDADD)
tests_integ_test_latency_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_latency_LDADD = $(INTEG_LDADD)
tests_integ_test_memory_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_memory_LDADD = $(INTEG_LDADD)
tests_integ_test_swapdb_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_swapdb_LDADD = $(INTEG_LDADD)
tests_integ_test_object_idle_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_object_idle_LDADD = $(INTEG_LDADD)

# Issue 19's daemon items: descriptors, SHUTDOWN and MULTI, timeout, output limits
# (tests/integ/test_hostile.c).
HOSTILE_INTEG = tests/integ/test_hostile
check_PROGRAMS += $(HOSTILE_INTEG)
TESTS += $(HOSTILE_INTEG)
$(HOSTILE_INTEG): daemon/omenkv-server$(EXEEXT)
tests_integ_test_hostile_SOURCES = tests/integ/test_hostile.c tests/integ/tproc.h
tests_integ_test_hostile_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_hostile_LDADD = $(INTEG_LDADD)

# A data directory that turns read-only, then writable: writes resume without a restart
# (store/commit.c, HOW WRITES RESUME); the full-disk twin is test_diskfull (clients/local.mk).
RODIR_INTEG = tests/integ/test_rodir
check_PROGRAMS += $(RODIR_INTEG)
TESTS += $(RODIR_INTEG)
$(RODIR_INTEG): daemon/omenkv-server$(EXEEXT)
tests_integ_test_rodir_SOURCES = tests/integ/test_rodir.c tests/integ/tproc.h
tests_integ_test_rodir_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_rodir_LDADD = $(INTEG_LDADD)

# Damaged data files at start-up: each kind, and what the server does (store/recover.c).
CORRUPT_INTEG = tests/integ/test_corrupt
check_PROGRAMS += $(CORRUPT_INTEG)
TESTS += $(CORRUPT_INTEG)
$(CORRUPT_INTEG): daemon/omenkv-server$(EXEEXT)
tests_integ_test_corrupt_SOURCES = tests/integ/test_corrupt.c tests/integ/tproc.h
tests_integ_test_corrupt_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_corrupt_LDADD = $(INTEG_LDADD)

# The value cache over a real server (tests/integ/test_cache.c).
CACHE_INTEG = tests/integ/test_cache
check_PROGRAMS += $(CACHE_INTEG)
TESTS += $(CACHE_INTEG)
$(CACHE_INTEG): daemon/omenkv-server$(EXEEXT)
tests_integ_test_cache_SOURCES = tests/integ/test_cache.c tests/integ/tcoherence.h
tests_integ_test_cache_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_cache_LDADD = $(INTEG_LDADD) -lm

# MGET's batched RocksDB reads (issue 25): values right over 12x the cache, mixed key
# kinds, keyspace counts, and a writer racing MGET readers (tests/integ/test_mget.c).
MGET_INTEG = tests/integ/test_mget
check_PROGRAMS += $(MGET_INTEG)
TESTS += $(MGET_INTEG)
$(MGET_INTEG): daemon/omenkv-server$(EXEEXT)
tests_integ_test_mget_SOURCES = tests/integ/test_mget.c tests/integ/tcoherence.h
tests_integ_test_mget_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_mget_LDADD = $(INTEG_LDADD)

# Issue 21's blocking pops: every command's errors and replies, the order of service,
# MULTI, CLIENT UNBLOCK, disconnects, keys made ready by any write, and a race of pushers
# and parked poppers (tests/integ/test_blocking.c; also in ./bootstrap's TSan list).
BLOCKING_INTEG = tests/integ/test_blocking
check_PROGRAMS += $(BLOCKING_INTEG)
TESTS += $(BLOCKING_INTEG)
$(BLOCKING_INTEG): daemon/omenkv-server$(EXEEXT)
tests_integ_test_blocking_SOURCES = tests/integ/test_blocking.c tests/integ/tcoll.h
tests_integ_test_blocking_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_blocking_LDADD = $(INTEG_LDADD)

# Lua scripting (issue 24): EVAL, EVALSHA, SCRIPT, conversions in RESP2/RESP3, errors,
# a lock used by 50 clients, SCRIPT KILL and SHUTDOWN NOSAVE of busy scripts, SIGKILL of a
# script mid-way (tests/integ/test_scripting.c).
SCRIPTING_INTEG = tests/integ/test_scripting
check_PROGRAMS += $(SCRIPTING_INTEG)
TESTS += $(SCRIPTING_INTEG)
$(SCRIPTING_INTEG): daemon/omenkv-server$(EXEEXT)
tests_integ_test_scripting_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_scripting_LDADD = $(INTEG_LDADD)

# Functions (issue 24): FUNCTION LOAD/DELETE/FLUSH/LIST/DUMP/RESTORE/STATS/KILL/HELP,
# FCALL and FCALL_RO, their errors, and the libraries surviving a restart and a SIGKILL
# (tests/integ/test_functions.c).
FUNCTIONS_INTEG = tests/integ/test_functions
check_PROGRAMS += $(FUNCTIONS_INTEG)
TESTS += $(FUNCTIONS_INTEG)
$(FUNCTIONS_INTEG): daemon/omenkv-server$(EXEEXT)
tests_integ_test_functions_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_functions_LDADD = $(INTEG_LDADD)

# Every header compiles alone (STYLE.md 2.9): tests/unit/test_headers.c is compiled once
# per header below, through a generated wrapper naming the header and its guard, and once
# as the TAP main. A header that is not self-contained breaks this build, so make check
# fails; the main checks each guard and that every header of these folders is listed.
HEADER_TUS = tests/unit/hdr/common/omk.c tests/unit/hdr/common/omk_thread.c \
	tests/unit/hdr/common/splitargs.c tests/unit/hdr/common/sha256.c tests/unit/hdr/common/sha1.c \
	tests/unit/hdr/index/index.c tests/unit/hdr/index/index_internal.c \
	tests/unit/hdr/index/shard.c tests/unit/hdr/resp/resp.c \
	tests/unit/hdr/store/store.c tests/unit/hdr/store/store_internal.c \
	tests/unit/hdr/store/cache.c tests/unit/hdr/store/elemcache.c tests/unit/hdr/store/format.c tests/unit/hdr/store/rocks.c \
	tests/unit/hdr/store/coll.c tests/unit/hdr/store/list.c tests/unit/hdr/store/zrank.c \
	tests/unit/hdr/store/strval.c \
	tests/unit/hdr/store/hll.c \
	tests/unit/hdr/daemon/acl.c tests/unit/hdr/daemon/acl_cats.c \
	tests/unit/hdr/store/bits.c \
	tests/unit/hdr/daemon/cfg.c tests/unit/hdr/daemon/cmd.c tests/unit/hdr/daemon/cmd_keyspecs.c tests/unit/hdr/daemon/conn.c \
	tests/unit/hdr/daemon/blocking.c tests/unit/hdr/daemon/info.c \
	tests/unit/hdr/daemon/monitor.c tests/unit/hdr/daemon/pause.c \
	tests/unit/hdr/daemon/clientinfo.c \
	tests/unit/hdr/daemon/log.c tests/unit/hdr/daemon/multi.c tests/unit/hdr/daemon/pass.c \
	tests/unit/hdr/daemon/pubsub.c tests/unit/hdr/daemon/script.c tests/unit/hdr/daemon/function.c \
	tests/unit/hdr/daemon/tracking.c \
	tests/unit/hdr/daemon/notify.c tests/unit/hdr/daemon/cfg_rewrite.c tests/unit/hdr/daemon/latency.c \
	tests/unit/hdr/daemon/memory.c tests/unit/hdr/daemon/digest.c \
	tests/unit/hdr/daemon/reply.c tests/unit/hdr/daemon/server.c tests/unit/hdr/daemon/slowlog.c \
	tests/unit/hdr/clients/hist.c tests/unit/hdr/clients/keydist.c \
	tests/unit/hdr/clients/hllmodel.c
check_PROGRAMS += tests/unit/test_headers
TESTS += tests/unit/test_headers
tests_unit_test_headers_SOURCES = tests/unit/test_headers.c tests/tap.h
nodist_tests_unit_test_headers_SOURCES = $(HEADER_TUS)
tests_unit_test_headers_CPPFLAGS = $(AM_CPPFLAGS) -DOMK_TEST_TOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_headers_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(ROCKSDB_CFLAGS) $(LUA_CFLAGS)
tests_unit_test_headers_LDADD = common/libomkcommon.a $(PTHREAD_LIBS)
CLEANFILES += $(HEADER_TUS)
tests/unit/hdr/%.c: $(srcdir)/%.h $(srcdir)/tests/local.mk
	@$(MKDIR_P) $(@D)
	$(AM_V_GEN)printf '%s\n' '/* Generated by tests/local.mk: $*.h alone (tests/unit/test_headers.c). */' \
		'#define OMK_TEST_HEADER "$*.h"' \
		"#define OMK_TEST_GUARD OMK_`echo '$*' | tr 'a-z/' 'A-Z_'`_H" \
		'#include "tests/unit/test_headers.c"' > $@

# Issue 20's hashes and sets (tests/integ/tcoll.h: their shared helpers and RESP3 reader):
# the hash commands, the set commands, and the generic commands, encodings, WATCH,
# restart and the inline/split threshold on both types.
COLL_INTEG = tests/integ/test_hash tests/integ/test_set tests/integ/test_coll
check_PROGRAMS += $(COLL_INTEG)
TESTS += $(COLL_INTEG)
EXTRA_DIST += tests/integ/tcoll.h tests/integ/traw.h
$(COLL_INTEG): daemon/omenkv-server$(EXEEXT)
tests_integ_test_hash_SOURCES = tests/integ/test_hash.c tests/integ/tcoll.h
tests_integ_test_hash_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_hash_LDADD = $(INTEG_LDADD)
tests_integ_test_set_SOURCES = tests/integ/test_set.c tests/integ/tcoll.h
tests_integ_test_set_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_set_LDADD = $(INTEG_LDADD)
tests_integ_test_coll_SOURCES = tests/integ/test_coll.c tests/integ/tcoll.h
tests_integ_test_coll_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_coll_LDADD = $(INTEG_LDADD)

# The order-statistic structure of large sorted sets and its registry (store/zrank.c):
# against a sorted array under random changes, eviction and pinning, threads.
check_PROGRAMS += tests/unit/test_zrank
TESTS += tests/unit/test_zrank
tests_unit_test_zrank_SOURCES = tests/unit/test_zrank.c tests/tap.h
tests_unit_test_zrank_LDADD = store/libomkstore.a common/libomkcommon.a $(PTHREAD_LIBS)
# The same test over nodes of 8 entries (the store's have 32): a few thousand keys then
# make trees four or five levels deep, and every merge and rebalance of inner nodes runs.
check_PROGRAMS += tests/unit/test_zrank_fan8
TESTS += tests/unit/test_zrank_fan8
tests_unit_test_zrank_fan8_SOURCES = tests/unit/test_zrank.c tests/tap.h store/zrank.c \
	store/zrank.h
tests_unit_test_zrank_fan8_CPPFLAGS = $(AM_CPPFLAGS) -DZR_FAN=8
tests_unit_test_zrank_fan8_LDADD = common/libomkcommon.a $(PTHREAD_LIBS)

# Issue 21's lists (tests/integ/test_list.c): the non-blocking list commands, checked
# against a model; the inline/split limit and a restart on omenkv only.
LIST_INTEG = tests/integ/test_list
check_PROGRAMS += $(LIST_INTEG)
TESTS += $(LIST_INTEG)
$(LIST_INTEG): daemon/omenkv-server$(EXEEXT)
tests_integ_test_list_SOURCES = tests/integ/test_list.c tests/integ/tcoll.h
tests_integ_test_list_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_list_LDADD = $(INTEG_LDADD)

# Issue 21's sorted sets: every non-blocking command, its options, errors and reply types,
# small and split sets, checked against a model (tests/integ/test_zset.c).
ZSET_INTEG = tests/integ/test_zset
check_PROGRAMS += $(ZSET_INTEG)
TESTS += $(ZSET_INTEG)
$(ZSET_INTEG): daemon/omenkv-server$(EXEEXT)
tests_integ_test_zset_SOURCES = tests/integ/test_zset.c tests/integ/tcoll.h
tests_integ_test_zset_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_zset_LDADD = $(INTEG_LDADD) -lm

# SORT and SORT_RO over lists, sets and sorted sets (tests/integ/test_sort.c), run again on
# omenkv with every collection split.
SORT_INTEG = tests/integ/test_sort
check_PROGRAMS += $(SORT_INTEG)
TESTS += $(SORT_INTEG)
$(SORT_INTEG): daemon/omenkv-server$(EXEEXT)
tests_integ_test_sort_SOURCES = tests/integ/test_sort.c tests/integ/tcoll.h
tests_integ_test_sort_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_sort_LDADD = $(INTEG_LDADD)

# Issue 22's HyperLogLogs: every command and error, and byte identity with a reference
# redis-server it starts itself (tests/integ/test_hll.c).
HLL_INTEG = tests/integ/test_hll
check_PROGRAMS += $(HLL_INTEG)
TESTS += $(HLL_INTEG)
$(HLL_INTEG): daemon/omenkv-server$(EXEEXT)
tests_integ_test_hll_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_hll_LDADD = $(INTEG_LDADD)

# Issue 23's ACL users: every ACL subcommand, AUTH/HELLO with a user name, NOPERM
# refusals, the ACL LOG and the aclfile (tests/integ/test_acl.c); SHA-256 vectors and the
# ACL's command table (tests/unit/test_acl.c).
ACL_INTEG = tests/integ/test_acl
check_PROGRAMS += $(ACL_INTEG) tests/unit/test_acl
TESTS += $(ACL_INTEG) tests/unit/test_acl
$(ACL_INTEG): daemon/omenkv-server$(EXEEXT)
tests_integ_test_acl_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_acl_LDADD = $(INTEG_LDADD)
tests_unit_test_acl_SOURCES = tests/unit/test_acl.c tests/tap.h daemon/acl_cats.c
tests_unit_test_acl_LDADD = common/libomkcommon.a

# Issue 22's bitmaps: every command and error, bitmaps across fragments and the fragment
# threshold, ranges against a model (tests/integ/test_bitmap.c).
BITMAP_INTEG = tests/integ/test_bitmap
check_PROGRAMS += $(BITMAP_INTEG)
TESTS += $(BITMAP_INTEG)
$(BITMAP_INTEG): daemon/omenkv-server$(EXEEXT)
tests_integ_test_bitmap_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_bitmap_LDADD = $(INTEG_LDADD)

# Issue 24's cmsgpack and struct libraries (daemon/lua_libs.h) in a bare lua_State with a
# memory limit: byte-exact packs, every error, and bounded fuzz loops of random and
# mutated input (tests/unit/test_lua_libs.c).
HEADER_TUS += tests/unit/hdr/daemon/lua_libs.c
check_PROGRAMS += tests/unit/test_lua_libs
TESTS += tests/unit/test_lua_libs
tests_unit_test_lua_libs_SOURCES = tests/unit/test_lua_libs.c tests/lua_libs_cases.h tests/tap.h
tests_unit_test_lua_libs_CFLAGS = $(AM_CFLAGS) $(LUA_CFLAGS)
tests_unit_test_lua_libs_LDADD = daemon/libomkdaemon.a common/libomkcommon.a $(LUA_LIBS) -lm
# The same cases through EVAL, against omenkv and redis-server (skipped without EVAL).
LUA_LIBS_INTEG = tests/integ/test_lua_libs
check_PROGRAMS += $(LUA_LIBS_INTEG)
TESTS += $(LUA_LIBS_INTEG)
$(LUA_LIBS_INTEG): daemon/omenkv-server$(EXEEXT)
tests_integ_test_lua_libs_SOURCES = tests/integ/test_lua_libs.c tests/lua_libs_cases.h
tests_integ_test_lua_libs_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_lua_libs_LDADD = $(INTEG_LDADD)
# Their fuzz target (tests/fuzz/fuzz_lualibs.c): make check replays its corpus with the
# normal compiler; make fuzz-lualibs builds the libFuzzer binary (clang, every source it
# runs instrumented, Lua itself aside), which tests/fuzz/fuzz_smoke.sh runs when built.
check_PROGRAMS += tests/fuzz/fuzz_lualibs_replay
TESTS += tests/fuzz/fuzz_lualibs_replay
tests_fuzz_fuzz_lualibs_replay_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_lualibs.c
tests_fuzz_fuzz_lualibs_replay_CPPFLAGS = $(AM_CPPFLAGS) -DOMK_FUZZ_CORPUS='"lualibs"'
tests_fuzz_fuzz_lualibs_replay_CFLAGS = $(AM_CFLAGS) $(LUA_CFLAGS)
tests_fuzz_fuzz_lualibs_replay_LDADD = daemon/libomkdaemon.a common/libomkcommon.a \
	$(LUA_LIBS) -lm
EXTRA_DIST += tests/fuzz/corpus/lualibs
FUZZ_LUALIBS_SRCS = $(srcdir)/tests/fuzz/fuzz_lualibs.c $(srcdir)/daemon/lua_cmsgpack.c \
	$(srcdir)/daemon/lua_struct.c $(srcdir)/daemon/lua_strmatch.c $(srcdir)/common/omk.c
.PHONY: fuzz-lualibs
fuzz-lualibs: tests/fuzz/fuzz_lualibs
tests/fuzz/fuzz_lualibs: $(FUZZ_LUALIBS_SRCS) $(srcdir)/daemon/lua_libs.h $(srcdir)/common/omk.h \
		config.h
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEFS) $(DEFAULT_INCLUDES) $(AM_CPPFLAGS) \
		$(LUA_CFLAGS) -o $@ $(FUZZ_LUALIBS_SRCS) $(LUA_LIBS) $(LIBS) -lm
CLEANFILES += tests/fuzz/fuzz_lualibs
# Lua source through EVAL, EVALSHA, FUNCTION LOAD and FCALL on the in-process command path
# of fuzz_cmd (tests/fuzz/fuzz_lua.c includes fuzz_cmd.c): make check replays its corpus
# of real scripts and kept findings; make fuzz-lua builds the libFuzzer binary the way
# fuzz-cmd does (FUZZ_CMD_SRCS: clients/local.mk).
check_PROGRAMS += tests/fuzz/fuzz_lua_replay
TESTS += tests/fuzz/fuzz_lua_replay
tests_fuzz_fuzz_lua_replay_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_lua.c
tests_fuzz_fuzz_lua_replay_CPPFLAGS = $(AM_CPPFLAGS) -DOMK_FUZZ_CORPUS='"lua"'
tests_fuzz_fuzz_lua_replay_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(ROCKSDB_CFLAGS) $(LUA_CFLAGS)
tests_fuzz_fuzz_lua_replay_LDADD = $(FUZZ_CMD_LIBS) $(LIBEVENT_LIBS) $(ROCKSDB_LIBS) \
	$(LUA_LIBS) -lpthread -lm
EXTRA_DIST += tests/fuzz/corpus/lua tests/fuzz/lua.dict
FUZZ_LUA_SRCS = $(srcdir)/tests/fuzz/fuzz_lua.c $(filter-out %/fuzz_cmd.c,$(FUZZ_CMD_SRCS))
.PHONY: fuzz-lua
fuzz-lua: tests/fuzz/fuzz_lua
tests/fuzz/fuzz_lua: $(FUZZ_LUA_SRCS) $(srcdir)/tests/fuzz/fuzz_cmd.c \
		$(addprefix $(srcdir)/,$(filter %.h %.def,$(FUZZ_CMD_ALL))) config.h
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEFS) $(DEFAULT_INCLUDES) $(AM_CPPFLAGS) \
		$(LIBEVENT_CFLAGS) $(ROCKSDB_CFLAGS) $(LUA_CFLAGS) -o $@ $(FUZZ_LUA_SRCS) \
		$(LIBEVENT_LIBS) $(ROCKSDB_LIBS) $(LUA_LIBS) $(LIBS) -lpthread -lm
CLEANFILES += tests/fuzz/fuzz_lua
