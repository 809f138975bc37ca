# tests/local.mk - the integration-test harness and the integration tests. Each test
# starts its own omenkv-server ($OMK_SERVER) on a free loopback port.
check_LIBRARIES += tests/libomktest.a
tests_libomktest_a_SOURCES = tests/harness.c tests/harness.h tests/tap.h
tests_libomktest_a_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)

INTEG_LDADD = tests/libomktest.a common/libomkcommon.a $(HIREDIS_LIBS) -lpthread
INTEG_TESTS = tests/integ/test_server tests/integ/test_noread tests/integ/test_multi tests/integ/test_conn tests/integ/test_strings tests/integ/test_keys \
	tests/integ/test_persist tests/integ/test_string_ops tests/integ/test_expire \
	tests/integ/test_keyspace
check_PROGRAMS += $(INTEG_TESTS)
TESTS += $(INTEG_TESTS) tests/integ/test_tools.sh tests/check-layering.sh
EXTRA_DIST += tests/integ/test_tools.sh tests/check-layering.sh tests/lib.sh
# The store unit tests' shared fixtures (header only; those tests are built by store/local.mk).
EXTRA_DIST += tests/unit/store_fixture.h

# The integration tests need the server built first.
$(INTEG_TESTS): daemon/omenkv-server$(EXEEXT)

tests_integ_test_server_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_server_LDADD = $(INTEG_LDADD)
tests_integ_test_noread_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_noread_LDADD = $(INTEG_LDADD)
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

# The value cache over a real server (tests/integ/test_cache.c).
CACHE_INTEG = tests/integ/test_cache
check_PROGRAMS += $(CACHE_INTEG)
TESTS += $(CACHE_INTEG)
$(CACHE_INTEG): daemon/omenkv-server$(EXEEXT)
tests_integ_test_cache_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_cache_LDADD = $(INTEG_LDADD) -lm
