/* info.h - the text INFO replies (info.c): Redis' sections and field names, built from
 * the server, worker, command and store statistics. Used by cmd_info (cmd_server.c). */
#ifndef OMK_DAEMON_INFO_H
#define OMK_DAEMON_INFO_H

#include <stddef.h>

#include "common/omk.h"

struct evbuffer;

/* Append to 'b' the sections that the INFO arguments 'args' ('n' of them: section names,
 * "all", "everything", "default"; none: the default sections) ask for, each a
 * "# Name" block, separated by blank lines. Reads counters other threads write, so the
 * figures are a moment's approximation. Any thread. */
void info_write(struct evbuffer *b, size_t n, const struct omk_slice *args);

#endif
