# clients/local.mk - build rules for clients/ (included by the top Makefile.am).
