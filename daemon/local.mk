# daemon/local.mk - the server binary (included by the top Makefile.am). Everything but
# main.c is built once into daemon/libomkdaemon.a: the server links it, and so does the
# in-process fuzz target of the command path (tests/fuzz/fuzz_cmd.c, clients/local.mk).
noinst_LIBRARIES += daemon/libomkdaemon.a
daemon_libomkdaemon_a_SOURCES = \
	daemon/server.c daemon/server.h \
	daemon/worker.c \
	daemon/conn.c daemon/conn.h \
	daemon/reply.c daemon/reply.h \
	daemon/cmd.c daemon/cmd.h daemon/commands.def \
	daemon/cmd_keyspecs.c daemon/cmd_keyspecs.h daemon/cmd_keyspecs.def \
	daemon/multi.c daemon/multi.h \
	daemon/pass.c daemon/pass.h \
	daemon/blocking.c daemon/blocking.h \
	daemon/monitor.c daemon/monitor.h daemon/pause.c daemon/pause.h \
	daemon/clientinfo.c daemon/clientinfo.h \
	daemon/cmd_sorted_set.c \
	daemon/cmd_connection.c daemon/cmd_server.c daemon/cmd_string.c daemon/cmd_generic.c \
	daemon/cmd_hash.c daemon/cmd_set.c daemon/cmd_list.c daemon/cmd_transactions.c \
	daemon/cmd_hyperloglog.c \
	daemon/cmd_bitmap.c \
	daemon/cmd_pubsub.c daemon/pubsub.c daemon/pubsub.h \
	daemon/cmd_scripting.c daemon/script.c daemon/script.h daemon/function.c daemon/function.h \
	daemon/tracking.c daemon/tracking.h \
	daemon/notify.c daemon/notify.h \
	daemon/info.c daemon/info.h \
	daemon/slowlog.c daemon/slowlog.h \
	daemon/cfg.c daemon/cfg.h daemon/cfg_rewrite.c daemon/cfg_rewrite.h \
	daemon/latency.c daemon/latency.h daemon/memory.c daemon/memory.h \
	daemon/digest.c daemon/digest.h \
	daemon/log.c daemon/log.h \
	daemon/acl.c daemon/acl.h daemon/acl_cats.c daemon/acl_cats.h
daemon_libomkdaemon_a_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(ROCKSDB_CFLAGS) $(LUA_CFLAGS)

bin_PROGRAMS += daemon/omenkv-server
daemon_omenkv_server_SOURCES = daemon/main.c
daemon_omenkv_server_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(ROCKSDB_CFLAGS)
daemon_omenkv_server_LDADD = daemon/libomkdaemon.a store/libomkstore.a index/libomkindex.a \
	resp/libomkresp.a common/libomkcommon.a $(LIBEVENT_LIBS) $(ROCKSDB_LIBS) $(LUA_LIBS) \
	-lpthread -lm

check_PROGRAMS += tests/unit/test_cfg
TESTS += tests/unit/test_cfg
tests_unit_test_cfg_SOURCES = tests/unit/test_cfg.c daemon/cfg.c daemon/cfg_rewrite.c daemon/log.c
tests_unit_test_cfg_LDADD = common/libomkcommon.a -lpthread

# Every command's handler is cmd_<name> in daemon/cmd_<group>.c (README "How it is built").
TESTS += tests/check-command-files.sh
EXTRA_DIST += tests/check-command-files.sh

# Every command has Redis 7.0's description (daemon/cmd_keyspecs.def), agreeing with its row.
check_PROGRAMS += tests/unit/test_cmd_keyspecs
TESTS += tests/unit/test_cmd_keyspecs
tests_unit_test_cmd_keyspecs_SOURCES = tests/unit/test_cmd_keyspecs.c daemon/cmd_keyspecs.c
tests_unit_test_cmd_keyspecs_LDADD = common/libomkcommon.a -lpthread

# Issue 24's Lua libraries written here (Debian has neither): cmsgpack and struct, opened
# by the interpreter (daemon/lua_libs.h), and the string library's bounded pattern matcher; their unit test is tests/unit/test_lua_libs.
daemon_libomkdaemon_a_SOURCES += daemon/lua_cmsgpack.c daemon/lua_struct.c daemon/lua_strmatch.c \
	daemon/lua_libs.h
